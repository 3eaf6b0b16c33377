//===- MemoryPlanTest.cpp - One arena for every intermediate of a graph ---===//
#include "compiler/passes/MemoryPlan.h"
#include "tests/support/Examples.h"

#include "compiler/training/Trainer.h"
#include "ir/Builder.h"
#include "ir/ModelIO.h"
#include "tests/support/RandomGraph.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>

using namespace adjoint;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

const BufferAssignment &bufferOf(const MemoryPlan &mem, const Value *v) {
  return mem.buffers.at(mem.indexOf.at(v));
}

/// Plans `g` unfused and checks the plan.
MemoryPlan planChecked(const Graph &g, const FusionPlan &plan,
                       const std::vector<const Value *> &pinned = {}) {
  MemoryPlan mem = planMemory(g, plan, pinned);
  EXPECT_NO_THROW(checkMemoryPlan(g, plan, mem)) << printMemoryPlan(mem);
  return mem;
}

TEST(MemoryPlan, ChainNeedsTwoBuffers) {
  // a -> b -> c -> d by transposes (no in-place candidates): each value dies
  // when the next is written, so two buffers alternate.
  Graph g("chain");
  Builder b(g);
  Value *x = b.input("x", f32({16, 16}));
  Value *a = b.transpose(x);
  Value *bb = b.transpose(a);
  Value *c = b.transpose(bb);
  Value *d = b.transpose(c);
  b.output("d", d);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan);
  ASSERT_EQ(mem.buffers.size(), 4u);
  EXPECT_EQ(mem.totalBytes, 4 * 1024);
  EXPECT_EQ(mem.arenaBytes, 2 * 1024) << printMemoryPlan(mem);
  EXPECT_EQ(bufferOf(mem, a).first, 0);
  EXPECT_EQ(bufferOf(mem, a).last, 1);
  EXPECT_EQ(bufferOf(mem, d).first, 3);
  EXPECT_EQ(bufferOf(mem, d).last, 3);
  EXPECT_NE(bufferOf(mem, a).offset, bufferOf(mem, bb).offset);
  EXPECT_NE(bufferOf(mem, c).offset, bufferOf(mem, d).offset);
  for (const BufferAssignment &buf : mem.buffers)
    EXPECT_EQ(buf.reuses, nullptr);
}

TEST(MemoryPlan, ElementwiseChainRunsInPlace) {
  Graph g("inplace");
  Builder b(g);
  Value *x = b.input("x", f32({100}));
  Value *a = b.exp(x);
  Value *bb = b.neg(a);
  Value *c = b.relu(bb);
  b.output("c", c);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan);
  EXPECT_EQ(bufferOf(mem, a).reuses, nullptr); // x is a graph input
  EXPECT_EQ(bufferOf(mem, bb).reuses, a);
  EXPECT_EQ(bufferOf(mem, c).reuses, bb);
  EXPECT_EQ(bufferOf(mem, c).offset, bufferOf(mem, a).offset);
  EXPECT_EQ(mem.arenaBytes, 448); // 400 bytes, aligned
  EXPECT_EQ(mem.totalBytes, 3 * 448);
}

TEST(MemoryPlan, InPlaceOnlyOverAnInputThatDies) {
  Graph g("live");
  Builder b(g);
  Value *x = b.input("x", f32({8, 8}));
  Value *a = b.exp(x);
  Value *bb = b.neg(a);    // a is still read below: no reuse
  Value *c = b.add(a, bb); // a and b both die here
  Value *d = b.reshape(b.transpose(c), {64});
  b.output("d", d);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan);
  EXPECT_EQ(bufferOf(mem, bb).reuses, nullptr);
  const Value *donor = bufferOf(mem, c).reuses;
  EXPECT_TRUE(donor == a || donor == bb);
  EXPECT_EQ(bufferOf(mem, a).last, 2);
  EXPECT_NE(bufferOf(mem, a).offset, bufferOf(mem, bb).offset);
}

TEST(MemoryPlan, GraphOutputsAreNeverReused) {
  Graph g("outputs");
  Builder b(g);
  Value *x = b.input("x", f32({32}));
  Value *a = b.exp(x);
  b.output("a", a);
  Value *bb = b.neg(a);
  Value *c = b.transpose(b.reshape(bb, {4, 8}));
  b.output("c", c);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan);
  int end = (int)plan.groups.size() - 1;
  EXPECT_EQ(bufferOf(mem, a).last, end);
  EXPECT_EQ(bufferOf(mem, c).last, end);
  for (const BufferAssignment &buf : mem.buffers) {
    EXPECT_NE(buf.reuses, a) << "%" << buf.value->name();
    if (buf.value != a)
      EXPECT_NE(buf.offset, bufferOf(mem, a).offset)
          << "%" << buf.value->name() << "\n"
          << printMemoryPlan(mem);
  }
}

TEST(MemoryPlan, PinnedValuesGetNoSpace) {
  // A parameter update written over its input, as a training step does.
  Graph g("pinned");
  Builder b(g);
  Value *w = b.input("w", f32({64}));
  Value *gr = b.input("g", f32({64}));
  Value *step = b.mul(gr, b.scalar(DType::F32, 0.1));
  Value *update = b.sub(w, step);
  b.output("update.w", update);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan, {update});
  EXPECT_EQ(mem.indexOf.count(update), 0u);
  ASSERT_EQ(mem.buffers.size(), 1u);
  EXPECT_EQ(mem.buffers[0].value, step);
  EXPECT_EQ(mem.arenaBytes, 256);
  // Without the pin, the update needs a buffer and the checker knows it.
  MemoryPlan unpinned = mem;
  unpinned.pinned.clear();
  EXPECT_THROW(checkMemoryPlan(g, plan, unpinned), std::logic_error);
}

/// A graph whose values all live at once: x -> a, b, c -> sum.
struct Diamond {
  Graph g{"diamond"};
  Value *a, *bb, *c;
  Diamond() {
    Builder b(g);
    Value *x = b.input("x", f32({16}));
    a = b.exp(x);
    bb = b.neg(x);
    c = b.relu(x);
    b.output("y", b.add(b.add(a, bb), c));
  }
};

TEST(MemoryPlan, CheckerRejectsOverlap) {
  Diamond d;
  FusionPlan plan = unfusedPlan(d.g);
  MemoryPlan mem = planChecked(d.g, plan);
  MemoryPlan broken = mem;
  broken.buffers[broken.indexOf.at(d.bb)].offset = bufferOf(mem, d.a).offset;
  try {
    checkMemoryPlan(d.g, plan, broken);
    FAIL() << "an overlap passed";
  } catch (const std::logic_error &e) {
    EXPECT_NE(std::string(e.what()).find("share bytes"), std::string::npos)
        << e.what();
  }
}

TEST(MemoryPlan, CheckerRejectsMisalignmentAndOverflow) {
  Diamond d;
  FusionPlan plan = unfusedPlan(d.g);
  MemoryPlan mem = planChecked(d.g, plan);
  MemoryPlan misaligned = mem;
  misaligned.arenaBytes += 64;
  for (BufferAssignment &buf : misaligned.buffers)
    buf.offset += 8;
  EXPECT_THROW(checkMemoryPlan(d.g, plan, misaligned), std::logic_error);
  MemoryPlan small = mem;
  small.arenaBytes -= 64;
  EXPECT_THROW(checkMemoryPlan(d.g, plan, small), std::logic_error);
}

TEST(MemoryPlan, CheckerRejectsMissingBuffersAndWrongLives) {
  Diamond d;
  FusionPlan plan = unfusedPlan(d.g);
  MemoryPlan mem = planChecked(d.g, plan);
  MemoryPlan missing = mem;
  missing.buffers.pop_back();
  missing.indexOf.clear();
  for (size_t i = 0; i < missing.buffers.size(); ++i)
    missing.indexOf[missing.buffers[i].value] = (int)i;
  EXPECT_THROW(checkMemoryPlan(d.g, plan, missing), std::logic_error);
  MemoryPlan shortLived = mem;
  shortLived.buffers[shortLived.indexOf.at(d.a)].last -= 1;
  EXPECT_THROW(checkMemoryPlan(d.g, plan, shortLived), std::logic_error);
}

TEST(MemoryPlan, CheckerRejectsReuseThatIsNoCandidate) {
  // c = transpose(b) may not take b's buffer: it reads b out of order.
  Graph g("transpose");
  Builder b(g);
  Value *x = b.input("x", f32({16, 16}));
  Value *a = b.exp(x);
  Value *c = b.transpose(a);
  b.output("c", c);
  FusionPlan plan = unfusedPlan(g);
  MemoryPlan mem = planChecked(g, plan);
  EXPECT_EQ(bufferOf(mem, c).reuses, nullptr);
  MemoryPlan broken = mem;
  BufferAssignment &bc = broken.buffers[broken.indexOf.at(c)];
  bc.offset = bufferOf(mem, a).offset;
  bc.reuses = a;
  EXPECT_THROW(checkMemoryPlan(g, plan, broken), std::logic_error);
}

TEST(MemoryPlan, PrintsATable) {
  Diamond d;
  FusionPlan plan = unfusedPlan(d.g);
  MemoryPlan mem = planChecked(d.g, plan);
  std::string text = printMemoryPlan(mem);
  EXPECT_EQ(text.rfind("value", 0), 0u) << text;
  EXPECT_NE(text.find("%" + d.a->name() + " "), std::string::npos) << text;
  EXPECT_NE(text.find("f32[16]"), std::string::npos) << text;
  EXPECT_NE(text.find("arena " + std::to_string(mem.arenaBytes) +
                      " bytes for " + std::to_string(mem.totalBytes)),
            std::string::npos)
      << text;
}

/// Groups consecutive nodes of `g` at random (graph order keeps every
/// dependence), as a fusion pass might, and lists an in-place candidate for
/// every same-sized (output, input) pair of a group.
FusionPlan randomGroups(const Graph &g, std::mt19937_64 &rng) {
  FusionPlan plan;
  for (const auto &node : g.nodes()) {
    if (plan.groups.empty() || rng() % 3 == 0)
      plan.groups.emplace_back();
    plan.groups.back().nodes.push_back(node.get());
  }
  completePlan(g, plan);
  for (FusionGroup &group : plan.groups)
    for (const Value *out : group.outputs)
      for (const Value *in : group.inputs)
        if (out->type().byteSize() == in->type().byteSize() && rng() % 2)
          group.inPlaceCandidates.push_back({out, in});
  return plan;
}

TEST(MemoryPlan, RandomModelsAndGroupingsPassTheChecker) {
  int reused = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = adjoint::testing::randomModel(seed);
    std::mt19937_64 rng(seed);
    for (const FusionPlan &plan :
         {unfusedPlan(m.graph), randomGroups(m.graph, rng)}) {
      checkPlan(m.graph, plan);
      MemoryPlan mem = planChecked(m.graph, plan);
      EXPECT_LE(mem.arenaBytes, mem.totalBytes);
      for (const BufferAssignment &buf : mem.buffers)
        reused += buf.reuses != nullptr;
    }
  }
  EXPECT_GT(reused, 50); // the in-place path ran
}

TEST(MemoryPlan, FusedGroupsPlanOnlyWhatCrossesThem) {
  // Two kernels: {exp, neg} and {transpose, relu}. Only neg's result
  // crosses a group boundary; exp's lives in registers.
  Graph g("fused");
  Builder b(g);
  Value *x = b.input("x", f32({8, 8}));
  Value *e = b.exp(x);
  Value *n = b.neg(e);
  b.output("y", b.relu(b.transpose(n)));
  FusionPlan plan;
  plan.groups.resize(2);
  plan.groups[0].nodes = {g.nodes()[0].get(), g.nodes()[1].get()};
  plan.groups[1].nodes = {g.nodes()[2].get(), g.nodes()[3].get()};
  completePlan(g, plan);
  MemoryPlan mem = planChecked(g, plan);
  ASSERT_EQ(mem.buffers.size(), 2u);
  EXPECT_EQ(mem.indexOf.count(e), 0u);
  EXPECT_EQ(bufferOf(mem, n).first, 0);
  EXPECT_EQ(bufferOf(mem, n).last, 1);
  // A value a group writes and only reads itself lives in that group.
  plan.groups[0].outputs.insert(plan.groups[0].outputs.begin(), e);
  MemoryPlan withE = planChecked(g, plan);
  EXPECT_EQ(bufferOf(withE, e).first, 0);
  EXPECT_EQ(bufferOf(withE, e).last, 0);
  EXPECT_NE(bufferOf(withE, e).offset, bufferOf(withE, n).offset);
}

/// The most bytes live at one group: no placement does better (a value
/// written over its operand counts from the group after).
int64_t peakLiveBytes(const MemoryPlan &mem) {
  std::map<int, int64_t> live;
  for (const BufferAssignment &buf : mem.buffers)
    for (int t = buf.first + (buf.reuses ? 1 : 0); t <= buf.last; ++t)
      live[t] += (buf.size + kBufferAlignment - 1) / kBufferAlignment *
                 kBufferAlignment;
  int64_t peak = 0;
  for (const auto &[t, bytes] : live)
    peak = std::max(peak, bytes);
  return peak;
}

/// The arena against the sum of the intermediates, for the report.
double report(const std::string &what, const MemoryPlan &mem) {
  double ratio = mem.totalBytes ? (double)mem.arenaBytes / mem.totalBytes : 0;
  int64_t peak = peakLiveBytes(mem);
  std::printf("%-30s arena %10lld  intermediates %10lld  ratio %.3f  "
              "peak live %10lld\n",
              what.c_str(), (long long)mem.arenaBytes,
              (long long)mem.totalBytes, ratio, (long long)peak);
  EXPECT_GE(mem.arenaBytes, peak) << what;
  return ratio;
}

class ExampleMemoryPlan : public ::testing::TestWithParam<const char *> {};

TEST_P(ExampleMemoryPlan, InferenceAndTrainingStepPassTheChecker) {
  std::string name = GetParam();
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      std::string(ADJOINT_SOURCE_DIR "/examples/") + name + ".pbtxt");
  FusionPlan plan = unfusedPlan(m.graph);
  MemoryPlan mem = planChecked(m.graph, plan);
  EXPECT_LT(mem.arenaBytes, mem.totalBytes);
  report(name + " inference", mem);

  Trainer trainer(m);
  const Graph &step = trainer.stepGraph();
  std::vector<const Value *> pinned;
  for (const Output &o : step.outputs())
    if (o.name.rfind("update.", 0) == 0)
      pinned.push_back(o.value);
  ASSERT_FALSE(pinned.empty());
  FusionPlan stepPlan = unfusedPlan(step);
  MemoryPlan stepMem = planChecked(step, stepPlan, pinned);
  for (const Value *v : pinned)
    EXPECT_EQ(stepMem.indexOf.count(v), 0u);
  double ratio = report(name + " training step", stepMem);
  EXPECT_LT(ratio, 1.0);
  if (name == "fashion_cnn")
    EXPECT_LE(ratio, 0.5) << printMemoryPlan(stepMem);
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleMemoryPlan,
                         ::testing::Values("fashion_mlp", "fashion_mlp_wide",
                                           "fashion_cnn", "keras_mlp"));

} // namespace
