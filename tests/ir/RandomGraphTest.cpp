//===- RandomGraphTest.cpp - The random model generator keeps its promises ===//
#include "tests/support/RandomGraph.h"

#include "tests/support/RandomTensor.h"

#include "ir/TextFormat.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace adjoint;

namespace {

constexpr uint64_t kSeeds = 300;

TEST(RandomGraph, IsAPureFunctionOfTheSeed) {
  for (uint64_t seed : {0ull, 1ull, 77ull, 1234567ull})
    EXPECT_EQ(printModel(adjoint::testing::randomModel(seed)),
              printModel(adjoint::testing::randomModel(seed)));
  EXPECT_NE(printModel(adjoint::testing::randomModel(1)),
            printModel(adjoint::testing::randomModel(2)));
}

TEST(RandomGraph, ModelsVerifyAndStaySmall) {
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    Model m = adjoint::testing::randomModel(seed);
    EXPECT_NO_THROW(verify(m.graph)) << "seed " << seed;
    for (const auto &node : m.graph.nodes())
      EXPECT_LE(node->result()->type().numElements(), 8192)
          << "seed " << seed << ": " << node->describe();
  }
}

TEST(RandomGraph, FirstSeedsCoverEveryOp) {
  for (uint64_t seed = 0; seed < allOps().size(); ++seed) {
    Model m = adjoint::testing::randomModel(seed);
    bool found = false;
    for (const auto &node : m.graph.nodes())
      found |= node->op() == allOps()[seed];
    EXPECT_TRUE(found) << "seed " << seed << " lacks "
                       << opName(allOps()[seed]);
  }
}

TEST(RandomGraph, CoversDTypesInitializersAndEdgeCases) {
  std::set<DType> dtypes;
  std::set<InitSpec::Kind> inits;
  int training = 0, quoted = 0, empty = 0, highRank = 0, literalNaN = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    Model m = adjoint::testing::randomModel(seed);
    training += m.training.has_value();
    auto note = [&](const Value *v) {
      dtypes.insert(v->type().dtype);
      quoted += v->name().find(' ') != std::string::npos;
      empty += v->type().numElements() == 0;
      highRank += v->type().rank() > 4;
    };
    for (const Value *v : m.graph.inputs())
      note(v);
    auto countNaN = [&](const Tensor &t) {
      if (isFloat(t.dtype()))
        for (int64_t i = 0; i < t.numElements(); ++i)
          literalNaN += std::isnan(t.elementAsDouble(i));
    };
    for (const Param &p : m.graph.params()) {
      note(p.value);
      if (p.init)
        inits.insert(p.init->kind);
      else
        countNaN(p.data);
    }
    for (const auto &node : m.graph.nodes()) {
      note(node->result());
      if (node->op() == OpKind::Constant)
        countNaN(node->attr().getTensor("value"));
    }
  }
  EXPECT_EQ(dtypes.size(), std::size(kAllDTypes));
  EXPECT_EQ(inits.size(), 9u);
  EXPECT_GT(training, 30);
  EXPECT_GT(quoted, 10);
  EXPECT_GT(empty, 10);
  EXPECT_GT(highRank, 5);
  EXPECT_GT(literalNaN, 10);
}

TEST(RandomGraph, IndicesAreDataInRange) {
  int gathers = 0, scatters = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    Model m = adjoint::testing::randomModel(seed);
    for (const auto &node : m.graph.nodes()) {
      // gather's indices index its data; scatter_add's index its result.
      bool gather = node->op() == OpKind::Gather;
      if (!gather && node->op() != OpKind::ScatterAdd)
        continue;
      ++(gather ? gathers : scatters);
      const Value *indices = node->operand(gather ? 1 : 0);
      const Tensor *data = nullptr;
      if (const Param *p = m.graph.findParam(indices))
        data = &p->data;
      else if (const Node *def = indices->definingNode();
               def && def->op() == OpKind::Constant)
        data = &def->attr().getTensor("value");
      ASSERT_NE(data, nullptr) << "seed " << seed << ": indices of "
                               << node->describe() << " are not data";
      const Shape &shape = gather ? node->operand(0)->type().shape
                                  : node->result()->type().shape;
      int64_t axis = node->attr().getInt("axis");
      int64_t extent = shape[axis < 0 ? axis + shape.size() : axis];
      for (int64_t i = 0; i < data->numElements(); ++i) {
        double index = data->elementAsDouble(i);
        EXPECT_TRUE(index >= -extent && index < extent)
            << "seed " << seed << ": " << node->describe();
      }
    }
  }
  EXPECT_GT(gathers, 10);
  EXPECT_GT(scatters, 10);
}

TEST(RandomGraph, InputsFitTheGraphAndSpecialsAreOptional) {
  Model m = adjoint::testing::randomModel(11);
  std::map<std::string, Tensor> a = adjoint::testing::randomInputs(m.graph, 5);
  std::map<std::string, Tensor> b = adjoint::testing::randomInputs(m.graph, 5);
  ASSERT_FALSE(m.graph.inputs().empty());
  ASSERT_EQ(a.size(), m.graph.inputs().size());
  for (const Value *v : m.graph.inputs()) {
    ASSERT_TRUE(a.count(v->name()));
    EXPECT_EQ(a[v->name()].type(), v->type());
    EXPECT_TRUE(a[v->name()].identical(b[v->name()]));
  }
  adjoint::testing::Rng rng(3);
  Tensor plain =
      adjoint::testing::randomTensor(rng, {DType::F64, {4096}}, false);
  Tensor special =
      adjoint::testing::randomTensor(rng, {DType::F64, {4096}}, true);
  int plainOdd = 0, specialOdd = 0;
  for (int64_t i = 0; i < 4096; ++i) {
    plainOdd += !std::isfinite(plain.data<double>()[i]);
    specialOdd += !std::isfinite(special.data<double>()[i]);
  }
  EXPECT_EQ(plainOdd, 0);
  EXPECT_GT(specialOdd, 0);
}

} // namespace
