//===- AotCompilerTest.cpp - AOT programs against the JIT, bit for bit ----===//
#include "tests/aot/AotTestSupport.h"
#include "tests/support/Examples.h"

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

/// The examples' symbolic batch, bound for the static NAME_run the drivers
/// call (tests/aot/EveryBatchAotTest.cpp runs NAME_run_batch).
std::string specBatch(const Model &m) {
  return std::to_string(m.training->batchSize);
}

/// Builds and runs the driver; `stepInputs`/`stepOutputs` are the sizes of
/// NAME_step's batch and results.
std::string buildAndRun(const TempDir &dir, const std::string &example,
                        const std::vector<std::string> &flags,
                        const std::vector<int64_t> &runIn,
                        const std::vector<int64_t> &runOut,
                        const std::vector<int64_t> &stepIn,
                        const std::vector<int64_t> &stepOut, int steps,
                        const std::string &input) {
  std::vector<std::string> args = {
      "compile",  sourcePath("examples/" + example),
      "-o",       dir / "m.o",
      "--header", dir / "m.h",
      "--name",   "m"};
  args.insert(args.end(), flags.begin(), flags.end());
  ProcessResult c = runCli(args);
  EXPECT_EQ(c.status, 0) << c.err;
  bool weights =
      std::find(flags.begin(), flags.end(), "--weights") != flags.end();
  writeFile(dir / "driver.c",
            driverSource("m", runIn, runOut, stepIn, stepOut, steps, weights));
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
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      sourcePath("examples/" + GetParam()));
  auto exe = compile(m.graph);
  std::vector<Tensor> in = inOrder(exe->inputs(), exampleBatch(m.graph, 7));
  std::vector<Tensor> out;
  for (const TensorInfo &i : exe->outputs())
    out.emplace_back(i.type);
  exe->run(in, out);
  TempDir dir;
  std::string aot = buildAndRun(dir, GetParam(), {"--batch", specBatch(m)},
                                sizesOf(exe->inputs()), sizesOf(exe->outputs()),
                                {}, {}, 0, bytesOf(in));
  ASSERT_EQ(aot.size(), bytesOf(out).size());
  EXPECT_TRUE(aot == bytesOf(out)) << GetParam() << ": outputs differ";
}

TEST_P(AotExample, ExternalWeightsEqualJit) {
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      sourcePath("examples/" + GetParam()));
  auto exe = compile(m.graph);
  std::vector<Tensor> in = inOrder(exe->inputs(), exampleBatch(m.graph, 8));
  std::vector<Tensor> out;
  for (const TensorInfo &i : exe->outputs())
    out.emplace_back(i.type);
  exe->run(in, out);
  TempDir dir;
  std::string aot = buildAndRun(
      dir, GetParam(),
      {"--weights", dir / "m.weights", "--batch", specBatch(m)},
      sizesOf(exe->inputs()), sizesOf(exe->outputs()), {}, {}, 0, bytesOf(in));
  EXPECT_TRUE(aot == bytesOf(out)) << GetParam() << ": outputs differ";
  // The weights file holds every parameter, each padded to 64 bytes.
  int64_t expected = 0;
  for (const Param &p : m.graph.params())
    expected += (p.value->type().byteSize() + 63) / 64 * 64;
  EXPECT_EQ((int64_t)readFile(dir / "m.weights").size(), expected);
}

// The reference is the JIT's step compiled as the object's is: parameters
// and optimizer state updated in place (InPlaceStepTest compares that with
// the Trainer's double-buffered step).
TEST_P(AotExample, TrainingStepsEqualJit) {
  constexpr int kSteps = 3;
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      sourcePath("examples/" + GetParam()));
  Trainer trainer(m);
  const Graph &g = trainer.modelGraph();
  const Graph &sg = trainer.stepGraph();
  CompileOptions options;
  std::map<std::string, Tensor> state;
  std::vector<std::string> batchNames;
  for (const Value *v : sg.inputs()) {
    const Value *mv = g.findValue(v->name());
    if (mv && mv->kind() == ValueKind::Input) {
      batchNames.push_back(v->name());
      continue;
    }
    options.inPlace.push_back({"update." + v->name(), v->name()});
    state[v->name()] = v->name().rfind("optimizer.", 0) == 0
                           ? trainer.optimizerState(v->name()).clone()
                           : trainer.parameter(v->name()).clone();
  }
  auto step = compile(sg, options);
  std::vector<Tensor> in(step->inputs().size()), out;
  std::vector<int64_t> stepIn, stepOut;
  for (size_t i = 0; i < in.size(); ++i)
    if (state.count(step->inputs()[i].name))
      in[i] = state.at(step->inputs()[i].name);
    else
      stepIn.push_back(step->inputs()[i].type.byteSize());
  std::vector<size_t> results; // outputs NAME_step returns
  for (size_t i = 0; i < step->outputs().size(); ++i) {
    const TensorInfo &info = step->outputs()[i];
    if (info.name.rfind("update.", 0) == 0) {
      out.push_back(state.at(info.name.substr(7)));
    } else {
      out.emplace_back(info.type);
      results.push_back(i);
      stepOut.push_back(info.type.byteSize());
    }
  }
  std::string input, expected;
  for (int s = 0; s < kSteps; ++s) {
    std::map<std::string, Tensor> batch = exampleBatch(g, 100 + s);
    for (size_t i = 0; i < in.size(); ++i)
      if (!state.count(step->inputs()[i].name)) {
        in[i] = batch.at(step->inputs()[i].name);
        input += bytesOf({in[i]});
      }
    step->run(in, out);
    for (size_t r : results)
      expected += bytesOf({out[r]});
  }
  for (const Param &p : g.params()) {
    auto it = state.find(p.value->name());
    expected += bytesOf({it != state.end() ? it->second : p.data});
    if (it != state.end())
      trainer.setParameter(p.value->name(), it->second);
  }
  // Inference with the trained parameters.
  Model trained = trainer.trainedModel();
  auto exe = compile(trained.graph);
  std::vector<Tensor> runIn =
      inOrder(exe->inputs(), exampleBatch(trained.graph, 9));
  std::vector<Tensor> runOut;
  for (const TensorInfo &i : exe->outputs())
    runOut.emplace_back(i.type);
  exe->run(runIn, runOut);
  input += bytesOf(runIn);
  expected += bytesOf(runOut);

  TempDir dir;
  std::string aot =
      buildAndRun(dir, GetParam(), {"--train"}, sizesOf(exe->inputs()),
                  sizesOf(exe->outputs()), stepIn, stepOut, kSteps, input);
  ASSERT_EQ(aot.size(), expected.size());
  size_t first = 0;
  while (first < aot.size() && aot[first] == expected[first])
    ++first;
  EXPECT_TRUE(aot == expected)
      << GetParam() << ": losses, parameters or outputs differ from byte "
      << first;
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
