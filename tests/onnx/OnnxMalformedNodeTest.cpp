//===- OnnxMalformedNodeTest.cpp - Malformed ONNX nodes get clear errors --===//
//
// Each case is a node whose operands or attributes are out of what the op
// allows, of the kinds that once read past a shape, overflowed, divided by
// zero or built a tensor of terabytes at import. Each must be refused by
// name, with the reason, and nothing else.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxImporter.h"

#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "tests/onnx/OnnxTestModels.h"

#include <gtest/gtest.h>

#include <limits>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

constexpr int32_t kF32 = onnx::TensorProto::FLOAT;
constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();

/// The message of the error that importing `m` throws (empty if none).
std::string importError(const onnx::ModelProto &m) {
  try {
    importOnnx(m, "m.onnx");
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  return "";
}

Tensor i64(Shape shape, std::vector<int64_t> values) {
  Tensor t(TensorType{DType::I64, std::move(shape)});
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

Tensor f32(Shape shape, std::vector<double> values) {
  return Tensor::fromDoubles(DType::F32, std::move(shape), values);
}

/// A model of one node `op` named "n" on inputs `x` [xShape] and the given
/// initializers, with output y.
struct OneNode {
  onnx::ModelProto m = makeOnnxModel();
  onnx::NodeProto *node;
  OneNode(const std::string &op, Shape xShape,
          std::vector<std::pair<std::string, Tensor>> inits = {},
          std::vector<std::string> extraInputs = {}) {
    addOnnxInput(m, "x", kF32, xShape);
    std::vector<std::string> ins = {"x"};
    for (auto &[name, t] : inits) {
      addOnnxInitializer(m, name, t);
      ins.push_back(name);
    }
    ins.insert(ins.end(), extraInputs.begin(), extraInputs.end());
    node = addOnnxNode(m, op, ins, {"y"}, "n");
    addOnnxOutput(m, "y", kF32, {});
  }
};

void expectRefused(const onnx::ModelProto &m, const std::string &reason) {
  std::string msg = importError(m);
  EXPECT_NE(msg.find(reason), std::string::npos)
      << "message: " << msg << "\nexpected: " << reason;
}

TEST(OnnxMalformedNode, UnsqueezeWithARepeatedAxis) {
  OneNode n("Unsqueeze", {3}, {{"axes", i64({2}, {0, 0})}});
  expectRefused(n.m, "Unsqueeze x1 ('n'): axis 0 repeated in [0,0]");
}

TEST(OnnxMalformedNode, NormalizationsNeedAChannelAxis) {
  OneNode bn("BatchNormalization", {4},
             {{"s", f32({4}, {1, 1, 1, 1})},
              {"b", f32({4}, {0, 0, 0, 0})},
              {"mean", f32({4}, {0, 0, 0, 0})},
              {"var", f32({4}, {1, 1, 1, 1})}});
  expectRefused(bn.m, "an input of rank 1 (it is [N, C, ...])");
  OneNode lrn("LRN", {4});
  setIntAttr(lrn.node, "size", 3);
  expectRefused(lrn.m, "an input of rank 1 (it is [N, C, ...])");
}

TEST(OnnxMalformedNode, ConvolutionsNeedSpatialAxes) {
  OneNode conv("Conv", {4}, {{"w", f32({4}, {1, 1, 1, 1})}});
  expectRefused(conv.m, "Conv x1 ('n'): an input of rank 1");
  OneNode tconv("ConvTranspose", {4}, {{"w", f32({4}, {1, 1, 1, 1})}});
  expectRefused(tconv.m, "ConvTranspose x1 ('n'): an input of rank 1");
}

TEST(OnnxMalformedNode, WindowAttributesAreBounded) {
  OneNode pool("MaxPool", {1, 1, 4, 4});
  setIntsAttr(pool.node, "kernel_shape", {3, 3});
  setIntsAttr(pool.node, "dilations", {int64_t(1) << 62, 1});
  expectRefused(pool.m, "kernel_shape, strides and dilations must be from 1");
  OneNode pads("AveragePool", {1, 1, 4, 4});
  setIntsAttr(pads.node, "kernel_shape", {2, 2});
  setIntsAttr(pads.node, "pads", {kHuge, 0, 0, 0});
  setIntAttr(pads.node, "ceil_mode", 1);
  expectRefused(pads.m, "pads [");
  OneNode deep("AveragePool", {1, 1, 200, 1, 1});
  setIntsAttr(deep.node, "kernel_shape", {100, 1, 1});
  expectRefused(deep.m, "a depth kernel of 100 taps (at most 64)");
  OneNode group("ConvTranspose", {1, 2, 3, 3},
                {{"w", f32({2, 1, 1, 1}, {1, 1})}});
  setIntAttr(group.node, "group", int64_t(1) << 40);
  expectRefused(group.m, "group 1099511627776");
}

TEST(OnnxMalformedNode, ScalarInputsMustHoldOneElement) {
  OneNode topk("TopK", {5}, {{"k", i64({0}, {})}});
  expectRefused(topk.m, "input 'K' holds 0 elements instead of one");
  onnx::ModelProto range = makeOnnxModel();
  addOnnxInitializer(range, "s", f32({}, {0}));
  addOnnxInitializer(range, "l", f32({}, {10}));
  addOnnxInitializer(range, "d", f32({2}, {1, 1}));
  addOnnxNode(range, "Range", {"s", "l", "d"}, {"y"}, "n");
  addOnnxOutput(range, "y", kF32, {});
  expectRefused(range, "input 'delta' holds 2 elements instead of one");
}

TEST(OnnxMalformedNode, RangeOfAnInfiniteLengthIsRefused) {
  for (double limit : {-std::numeric_limits<double>::infinity(), 1e300}) {
    onnx::ModelProto m = makeOnnxModel();
    addOnnxInitializer(m, "s", f32({}, {0}));
    addOnnxInitializer(m, "l", f32({}, {limit}));
    addOnnxInitializer(m, "d", f32({}, {limit < 0 ? 1 : 1e-30}));
    addOnnxNode(m, "Range", {"s", "l", "d"}, {"y"}, "n");
    addOnnxOutput(m, "y", kF32, {});
    std::string msg = importError(m);
    if (limit < 0) {
      // An empty range (counted as a double, never cast from -inf).
      EXPECT_EQ(msg, "");
    } else {
      EXPECT_NE(msg.find("a range of"), std::string::npos) << msg;
    }
  }
}

TEST(OnnxMalformedNode, SplitSizesMustAddUpToTheExtent) {
  OneNode split("Split", {6}, {{"split", i64({2}, {kHuge, kHuge})}});
  split.node->add_output("z");
  expectRefused(split.m, "are not extents");
  OneNode shortSplit("Split", {6}, {{"split", i64({2}, {2, 3})}});
  shortSplit.node->add_output("z");
  expectRefused(shortSplit.m, "add up to 5, not to the extent 6");
}

TEST(OnnxMalformedNode, ShapeArithmeticThatOverflowsIsRefused) {
  OneNode tile("Tile", {2}, {{"r", i64({1}, {kHuge})}});
  expectRefused(tile.m, "repeats [");
  OneNode d2s("DepthToSpace", {1, 4, 2, 2});
  setIntAttr(d2s.node, "blocksize", int64_t(1) << 32);
  expectRefused(d2s.m, "blocksize 4294967296");
  OneNode pad("Pad", {2},
              {{"p", i64({2}, {std::numeric_limits<int64_t>::min(), 0})}});
  expectRefused(pad.m, "are too large");
  OneNode reshape("Reshape", {4},
                  {{"s", i64({3}, {-1, int64_t(1) << 32, int64_t(1) << 32})}});
  expectRefused(reshape.m, "cannot infer -1");
}

TEST(OnnxMalformedNode, InitializersAreCheckedBeforeTheyAreAllocated) {
  onnx::ModelProto m = makeOnnxModel();
  onnx::TensorProto *t = m.mutable_graph()->add_initializer();
  t->set_name("big");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(int64_t(1) << 40); // 4 TB declared, no data
  addOnnxNode(m, "Relu", {"big"}, {"y"}, "n");
  addOnnxOutput(m, "y", kF32, {});
  expectRefused(m, "holds 0 elements, but its dims [1099511627776] need");

  onnx::ModelProto b = makeOnnxModel();
  onnx::TensorProto *flags = b.mutable_graph()->add_initializer();
  flags->set_name("flags");
  flags->set_data_type(onnx::TensorProto::BOOL);
  flags->add_dims(2);
  flags->set_raw_data(std::string("\x01\x02", 2));
  addOnnxNode(b, "Not", {"flags"}, {"y"}, "n");
  addOnnxOutput(b, "y", onnx::TensorProto::BOOL, {});
  expectRefused(b, "bool element 1 holds byte 2 (only 0 or 1)");
}

TEST(OnnxMalformedNode, EinsumLettersNameOneExtent) {
  auto einsum = [](const std::string &equation, std::vector<int64_t> bShape) {
    onnx::ModelProto m = makeOnnxModel(13);
    addOnnxInput(m, "a", kF32, {2, 3});
    addOnnxInput(m, "b", kF32, bShape);
    auto *n = addOnnxNode(m, "Einsum", {"a", "b"}, {"y"}, "n");
    auto *eq = n->add_attribute();
    eq->set_name("equation");
    eq->set_type(onnx::AttributeProto::STRING);
    eq->set_s(equation);
    addOnnxOutput(m, "y", kF32, {});
    return m;
  };
  expectRefused(einsum("ij,jk->ik", {4, 5}), "letter 'j' has extents 3 and 4");
  expectRefused(einsum("ij,jk->iz", {3, 5}),
                "output letter 'z' is repeated or in no operand");
}

TEST(OnnxMalformedNode, MasksBuiltFromIotasKeepTheirValues) {
  // Trilu, EyeLike and CumSum build their masks lazily now; the values are
  // those of the ONNX reference on a hand-computed case.
  OneNode trilu("Trilu", {2, 3}, {{"k", i64({}, {1})}});
  setIntAttr(trilu.node, "upper", 0);
  Model t = importOnnx(trilu.m, "m.onnx");
  Tensor y =
      interpret(t.graph, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})}}).at("y");
  EXPECT_TRUE(y.identical(f32({2, 3}, {1, 2, 0, 4, 5, 6})));

  OneNode eye("EyeLike", {2, 3});
  setIntAttr(eye.node, "k", -1);
  Model e = importOnnx(eye.m, "m.onnx");
  y = interpret(e.graph, {{"x", f32({2, 3}, {0, 0, 0, 0, 0, 0})}}).at("y");
  EXPECT_TRUE(y.identical(f32({2, 3}, {0, 0, 0, 1, 0, 0})));

  OneNode cumsum("CumSum", {4}, {{"axis", i64({}, {0})}});
  setIntAttr(cumsum.node, "exclusive", 1);
  setIntAttr(cumsum.node, "reverse", 1);
  Model c = importOnnx(cumsum.m, "m.onnx");
  y = interpret(c.graph, {{"x", f32({4}, {1, 2, 3, 4})}}).at("y");
  EXPECT_TRUE(y.identical(f32({4}, {9, 7, 4, 0})));
}

} // namespace
