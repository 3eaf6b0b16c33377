//===- AotCompilerTest.cpp - AOT programs against the JIT, bit for bit ----===//
#include "tests/aot/AotTestSupport.h"

#include "compiler/Executable.h"
#include "compiler/training/Trainer.h"
#include "ir/ModelIO.h"

#include <algorithm>

namespace adjoint::test {
namespace {

std::vector<int64_t> sizesOf(const std::vector<TensorInfo> &infos) {
  std::vector<int64_t> s;
  for (const TensorInfo &i : infos)
    s.push_back(i.type.byteSize());
  return s;
}

std::vector<Tensor> inOrder(const std::vector<TensorInfo> &infos,
                            const std::map<std::string, Tensor> &byName) {
  std::vector<Tensor> out;
  for (const TensorInfo &i : infos)
    out.push_back(byName.at(i.name));
  return out;
}

class AotExample : public ::testing::TestWithParam<std::string> {};

/// Builds and runs the driver; `stepInputs`/`stepOutputs` are the sizes of
/// NAME_step's batch and results.
std::string buildAndRun(const TempDir &dir, const std::string &example,
                        const std::vector<std::string> &flags,
                        const std::vector<int64_t> &runIn,
                        const std::vector<int64_t> &runOut,
                        const std::vector<int64_t> &stepIn,
                        const std::vector<int64_t> &stepOut, int steps,
                        const std::string &input) {
  std::vector<std::string> args = {"compile", sourcePath("examples/" + example),
                                   "-o", dir / "m.o", "--header", dir / "m.h",
                                   "--name", "m"};
  args.insert(args.end(), flags.begin(), flags.end());
  ProcessResult c = runCli(args);
  EXPECT_EQ(c.status, 0) << c.err;
  bool weights = std::find(flags.begin(), flags.end(), "--weights") !=
                 flags.end();
  writeFile(dir / "driver.c", driverSource("m", runIn, runOut, stepIn,
                                           stepOut, steps, weights));
  ProcessResult b = buildProgram(dir / "driver.c", dir / "driver",
                                 {dir / "m.o"}, dir.path().string());
  EXPECT_EQ(b.status, 0) << b.err;
  writeFile(dir / "input.bin", input);
  std::vector<std::string> runArgs = {dir / "input.bin", dir / "output.bin"};
  if (weights)
    runArgs.push_back(dir / "m.weights");
  ProcessResult r = runProgram(dir / "driver", runArgs);
  EXPECT_EQ(r.status, 0) << r.err;
  return readFile(dir / "output.bin");
}

TEST_P(AotExample, InferenceEqualsJit) {
  Model m = loadModel(sourcePath("examples/" + GetParam()));
  auto exe = compile(m.graph);
  std::vector<Tensor> in = inOrder(exe->inputs(), exampleBatch(m.graph, 7));
  std::vector<Tensor> out;
  for (const TensorInfo &i : exe->outputs())
    out.emplace_back(i.type);
  exe->run(in, out);
  TempDir dir;
  std::string aot =
      buildAndRun(dir, GetParam(), {}, sizesOf(exe->inputs()),
                  sizesOf(exe->outputs()), {}, {}, 0, bytesOf(in));
  ASSERT_EQ(aot.size(), bytesOf(out).size());
  EXPECT_TRUE(aot == bytesOf(out)) << GetParam() << ": outputs differ";
}

TEST_P(AotExample, ExternalWeightsEqualJit) {
  Model m = loadModel(sourcePath("examples/" + GetParam()));
  auto exe = compile(m.graph);
  std::vector<Tensor> in = inOrder(exe->inputs(), exampleBatch(m.graph, 8));
  std::vector<Tensor> out;
  for (const TensorInfo &i : exe->outputs())
    out.emplace_back(i.type);
  exe->run(in, out);
  TempDir dir;
  std::string aot = buildAndRun(
      dir, GetParam(), {"--weights", dir / "m.weights"},
      sizesOf(exe->inputs()), sizesOf(exe->outputs()), {}, {}, 0, bytesOf(in));
  EXPECT_TRUE(aot == bytesOf(out)) << GetParam() << ": outputs differ";
  // The weights file holds every parameter, each padded to 64 bytes.
  int64_t expected = 0;
  for (const Param &p : m.graph.params())
    expected += (p.value->type().byteSize() + 63) / 64 * 64;
  EXPECT_EQ((int64_t)readFile(dir / "m.weights").size(), expected);
}

TEST_P(AotExample, TrainingStepsEqualTrainer) {
  constexpr int kSteps = 3;
  Model m = loadModel(sourcePath("examples/" + GetParam()));
  Trainer trainer(m);
  const Graph &g = trainer.modelGraph();
  // NAME_step takes the batch inputs, in the step graph's input order.
  std::vector<std::string> batchNames;
  for (const Value *v : trainer.stepGraph().inputs())
    if (g.findValue(v->name()) &&
        g.findValue(v->name())->kind() == ValueKind::Input)
      batchNames.push_back(v->name());
  std::string input, expected;
  std::vector<int64_t> stepIn, stepOut;
  for (const std::string &n : batchNames)
    stepIn.push_back(g.findValue(n)->type().byteSize());
  for (int s = 0; s < kSteps; ++s) {
    std::map<std::string, Tensor> batch = exampleBatch(g, 100 + s);
    for (const std::string &n : batchNames)
      input += bytesOf({batch.at(n)});
    StepResult r = trainer.step(batch);
    float loss = (float)r.loss;
    expected.append(reinterpret_cast<const char *>(&loss), 4);
    if (r.accuracy) {
      float acc = (float)*r.accuracy;
      expected.append(reinterpret_cast<const char *>(&acc), 4);
    }
    stepOut = r.accuracy ? std::vector<int64_t>{4, 4} : std::vector<int64_t>{4};
  }
  for (const Param &p : g.params())
    expected += bytesOf({trainer.parameter(p.value->name())});
  // Inference with the trained parameters.
  Model trained = trainer.trainedModel();
  auto exe = compile(trained.graph);
  std::vector<Tensor> in =
      inOrder(exe->inputs(), exampleBatch(trained.graph, 9));
  std::vector<Tensor> out;
  for (const TensorInfo &i : exe->outputs())
    out.emplace_back(i.type);
  exe->run(in, out);
  input += bytesOf(in);
  expected += bytesOf(out);

  TempDir dir;
  std::string aot = buildAndRun(dir, GetParam(), {"--train"},
                                sizesOf(exe->inputs()),
                                sizesOf(exe->outputs()), stepIn, stepOut,
                                kSteps, input);
  ASSERT_EQ(aot.size(), expected.size());
  EXPECT_TRUE(aot == expected)
      << GetParam() << ": losses, parameters or outputs differ";
}

INSTANTIATE_TEST_SUITE_P(Examples, AotExample,
                         ::testing::Values("keras_mlp.pbtxt",
                                           "fashion_mlp.pbtxt",
                                           "fashion_mlp_wide.pbtxt",
                                           "fashion_cnn.pbtxt"),
                         [](const auto &info) {
                           std::string s = info.param;
                           return s.substr(0, s.find('.'));
                         });

} // namespace
} // namespace adjoint::test
