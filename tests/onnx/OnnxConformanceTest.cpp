//===- OnnxConformanceTest.cpp - The ONNX backend conformance suite -------===//
//
// Every test directory of Debian's libonnx-testdata (node, simple,
// pytorch-converted, pytorch-operator) is one test case: its model.onnx is
// imported, compiled with the JIT and run on each test_data_set_N, and every
// output is compared with output_N.pb at the suite's tolerances (rtol 1e-3,
// atol 1e-7). A model the importer reports unsupported is skipped with the
// reason. Graph inputs are also given to the importer as inputValues, so
// that ones used where Adjoint needs static data (Reshape's shape) are
// folded, as an initializer would be.
//
// Running the program on more than one case prints a summary by op:
//   adjoint_onnx_tests --gtest_filter='Onnx*Conformance*'
//
//===----------------------------------------------------------------------===//
#include "compiler/Executable.h"
#include "compiler/onnx/OnnxImporter.h"
#include "ir/Error.h"
#include "ir/FileIO.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

using namespace adjoint;
namespace fs = std::filesystem;

namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

std::string testDataRoot() {
  if (const char *dir = std::getenv("ADJOINT_ONNX_TESTDATA"))
    return dir;
  return "/usr/share/libonnx-testdata/data";
}

struct SuiteCase {
  std::string suite; ///< node, simple, pytorch-converted, pytorch-operator
  std::string dir;
  std::string name;
};

std::vector<SuiteCase> findCases(const std::string &suite) {
  std::vector<SuiteCase> cases;
  fs::path root = fs::path(testDataRoot()) / suite;
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return cases;
  for (const auto &entry : fs::directory_iterator(root, ec))
    if (fs::exists(entry.path() / "model.onnx"))
      cases.push_back(
          {suite, entry.path().string(), entry.path().filename().string()});
  std::sort(
      cases.begin(), cases.end(),
      [](const SuiteCase &a, const SuiteCase &b) { return a.name < b.name; });
  return cases;
}

enum class Outcome { Passed, Failed, Unsupported };

/// Results of the cases this process ran, for the summary.
struct Summary {
  std::map<std::string, std::array<int, 3>> byOp;
  std::array<int, 3> total{};
  void add(const std::set<std::string> &ops, Outcome o) {
    ++total[(int)o];
    for (const std::string &op : ops)
      ++byOp[op][(int)o];
  }
};

Summary &summary() {
  static Summary s;
  return s;
}

class SummaryPrinter : public ::testing::Environment {
public:
  void TearDown() override {
    const Summary &s = summary();
    int ran = s.total[0] + s.total[1] + s.total[2];
    if (ran < 2)
      return;
    std::ostringstream out;
    out << "\nONNX conformance by op (a case counts once for each op in "
           "its model)\n"
        << std::left << std::setw(24) << "op" << std::right << std::setw(8)
        << "passed" << std::setw(8) << "failed" << std::setw(13)
        << "unsupported\n";
    for (const auto &[op, n] : s.byOp)
      out << std::left << std::setw(24) << op << std::right << std::setw(8)
          << n[0] << std::setw(8) << n[1] << std::setw(12) << n[2] << "\n";
    out << "cases: " << s.total[0] << " passed, " << s.total[1] << " failed, "
        << s.total[2] << " unsupported\n";
    std::cout << out.str();
  }
};

const auto *const kSummaryEnv =
    ::testing::AddGlobalTestEnvironment(new SummaryPrinter);

std::vector<std::string> tensorFiles(const fs::path &dir,
                                     const std::string &prefix) {
  std::vector<std::string> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p))
      return files;
    files.push_back(p.string());
  }
}

/// Why `got` differs from `want`, or "" when they agree.
std::string compareTensors(const Tensor &got, const Tensor &want) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape())
    return strCat("type ", dtypeName(got.dtype()), shapeStr(got.shape()),
                  ", expected ", dtypeName(want.dtype()),
                  shapeStr(want.shape()));
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double g = got.elementAsDouble(i), w = want.elementAsDouble(i);
    if (std::isnan(w) && std::isnan(g))
      continue;
    if (g == w)
      continue;
    if (!(std::fabs(g - w) <= kAtol + kRtol * std::fabs(w)))
      return strCat("element ", i, " is ", g, ", expected ", w);
  }
  return "";
}

/// Names a case in gtest's messages.
void PrintTo(const SuiteCase &c, std::ostream *os) {
  *os << c.suite << "/" << c.name;
}

class OnnxConformance : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(OnnxConformance, Run) {
  const SuiteCase &c = GetParam();
  fs::path dir = c.dir;
  onnx::ModelProto proto;
  {
    std::string bytes = readFile((dir / "model.onnx").string());
    ASSERT_TRUE(proto.ParseFromString(bytes)) << "cannot parse model.onnx";
  }
  std::set<std::string> ops;
  for (const auto &n : proto.graph().node())
    ops.insert(n.op_type());
  std::vector<std::string> inputNames = onnxInputNames(proto);

  auto skip = [&](const std::string &why) {
    summary().add(ops, Outcome::Unsupported);
    return why;
  };
  bool passed = false;
  struct Record {
    const std::set<std::string> &ops;
    bool &passed;
    bool skipped = false;
    ~Record() {
      if (!skipped)
        summary().add(ops, passed ? Outcome::Passed : Outcome::Failed);
    }
  } record{ops, passed};

  // Sequences and optionals are not tensors: their data files are not
  // TensorProtos either.
  for (const auto *values : {&proto.graph().input(), &proto.graph().output()})
    for (const auto &v : *values)
      if (!v.type().has_tensor_type()) {
        record.skipped = true;
        GTEST_SKIP() << skip("unsupported: graph input or output '" + v.name() +
                             "' is not a tensor");
      }

  std::vector<fs::path> sets;
  for (const auto &entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  ASSERT_FALSE(sets.empty()) << "no test_data_set_N";

  for (const fs::path &set : sets) {
    std::vector<Tensor> inputs, outputs;
    OnnxImportOptions options;
    std::unique_ptr<Executable> exe;
    std::vector<std::string> outputNames;
    try {
      for (const std::string &f : tensorFiles(set, "input_"))
        inputs.push_back(loadOnnxTensor(f));
      for (const std::string &f : tensorFiles(set, "output_"))
        outputs.push_back(loadOnnxTensor(f));
      ASSERT_LE(inputs.size(), inputNames.size())
          << "more inputs than the model";
      for (size_t i = 0; i < inputs.size(); ++i)
        options.inputValues[inputNames[i]] = inputs[i];
      Model m = importOnnx(proto, (dir / "model.onnx").string(), options);
      for (const Output &o : m.graph.outputs())
        outputNames.push_back(o.name);
      CompileOptions compileOptions;
      compileOptions.threads = 1;
      exe = compile(m.graph, compileOptions);
    } catch (const Error &e) {
      std::string what = e.what();
      if (what.find("unsupported") != std::string::npos) {
        record.skipped = true;
        GTEST_SKIP() << skip(what);
      }
      FAIL() << what;
    }
    std::map<std::string, Tensor> feed;
    for (const TensorInfo &in : exe->inputs())
      for (size_t i = 0; i < inputs.size(); ++i)
        if (inputNames[i] == in.name)
          feed[in.name] = inputs[i];
    std::map<std::string, Tensor> got;
    try {
      got = exe->run(feed);
    } catch (const Error &e) {
      FAIL() << "run: " << e.what();
    }
    ASSERT_EQ(outputs.size(), outputNames.size()) << "output count";
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string diff = compareTensors(got.at(outputNames[i]), outputs[i]);
      ASSERT_EQ(diff, "") << set.filename().string() << " output "
                          << outputNames[i];
    }
  }
  passed = true;
}

std::string caseName(const ::testing::TestParamInfo<SuiteCase> &info) {
  std::string s = info.param.name;
  for (char &ch : s)
    if (!std::isalnum((unsigned char)ch))
      ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Node, OnnxConformance,
                         ::testing::ValuesIn(findCases("node")), caseName);
INSTANTIATE_TEST_SUITE_P(Simple, OnnxConformance,
                         ::testing::ValuesIn(findCases("simple")), caseName);
INSTANTIATE_TEST_SUITE_P(PytorchConverted, OnnxConformance,
                         ::testing::ValuesIn(findCases("pytorch-converted")),
                         caseName);
INSTANTIATE_TEST_SUITE_P(PytorchOperator, OnnxConformance,
                         ::testing::ValuesIn(findCases("pytorch-operator")),
                         caseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OnnxConformance);

} // namespace
