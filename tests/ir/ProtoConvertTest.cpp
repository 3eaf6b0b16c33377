//===- ProtoConvertTest.cpp - Wire format <-> IR, and every bad model -----===//
#include "ir/ProtoConvert.h"

#include "ir/Error.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"
#include "proto/adjoint.pb.h"
#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

using namespace adjoint;
using adjoint::testing::TempDir;

namespace {

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "message: " << (haystack) << "\nmissing: " << (needle)

const std::string kInputX =
    "  inputs { name: \"x\" type { dtype: F32 dims: 2 dims: 3 } }\n";
const std::string kOutputY = "  outputs { name: \"out\" value: \"y\" }\n";

/// A model file whose graph "g" holds `body`.
std::string modelText(const std::string &body) {
  return "format_version: 1\ngraph {\n  name: \"g\"\n" + body + "}\n";
}

/// The error loading `text` from "bad.pbtxt" gives, with the directory taken
/// off the file name; a test failure if it loads or the error is no BadInput.
std::string loadError(const std::string &text) {
  TempDir dir;
  std::string path = dir.write("bad.pbtxt", text);
  try {
    loadModel(path);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    std::string msg = e.what();
    std::string dirPrefix = dir.path().string() + "/";
    for (size_t at; (at = msg.find(dirPrefix)) != std::string::npos;)
      msg.erase(at, dirPrefix.size());
    return msg;
  }
  ADD_FAILURE() << "the model loaded:\n" << text;
  return "";
}

std::string graphError(const std::string &body) {
  return loadError(modelText(body));
}

/// A node `op`(operands...) defining `result`, with extra text inside.
std::string node(const std::string &op, std::vector<std::string> operands,
                 const std::string &result, const std::string &extra = "") {
  std::string out = "  nodes { op: \"" + op + "\"";
  for (const std::string &o : operands)
    out += " operands: \"" + o + "\"";
  return out + " result: \"" + result + "\" " + extra + " }\n";
}

//===----------------------------------------------------------------------===//
// Tensors and attributes
//===----------------------------------------------------------------------===//

TEST(ProtoConvert, EveryAttributeKindRoundTrips) {
  std::vector<std::pair<AttrValue, AttrKind>> values = {
      {int64_t{-7}, AttrKind::Int},
      {3.25, AttrKind::Float},
      {true, AttrKind::Bool},
      {std::string("same"), AttrKind::String},
      {DType::U8, AttrKind::DType},
      {std::vector<int64_t>{1, -2, 3}, AttrKind::Ints},
      {std::vector<double>{0.5, -1e300}, AttrKind::Floats},
      {Tensor::fromDoubles(DType::I64, {2}, std::vector<double>{5, -6}),
       AttrKind::Tensor}};
  for (auto &[value, kind] : values) {
    proto::Attribute p;
    toProtoAttr("a", value, &p);
    EXPECT_EQ(p.name(), "a");
    AttrValue back = fromProtoAttr(p, kind, "attr");
    EXPECT_TRUE(attrValuesEqual(value, back)) << attrKindName(kind);
  }
}

TEST(ProtoConvert, IntsWidenToFloats) {
  proto::Attribute p;
  p.set_i(3);
  EXPECT_TRUE(attrValuesEqual(fromProtoAttr(p, AttrKind::Float, "a"), 3.0));
  p.mutable_ints()->add_values(2);
  EXPECT_TRUE(attrValuesEqual(fromProtoAttr(p, AttrKind::Floats, "a"),
                              std::vector<double>{2.0}));
  p.set_f(1.5);
  try {
    fromProtoAttr(p, AttrKind::Int, "node %n (iota): attribute 'axis'");
    ADD_FAILURE() << "a float was accepted as an int";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(),
                 "node %n (iota): attribute 'axis' must be int, not float");
  }
}

TEST(ProtoConvert, EveryDTypeRoundTripsAsATensor) {
  for (DType d : kAllDTypes) {
    Tensor t = Tensor::fromDoubles(d, {2, 2}, std::vector<double>{0, 1, 1, 0});
    proto::Tensor p;
    toProtoTensor(t, &p);
    EXPECT_EQ(p.raw_data().size(), 4 * dtypeSize(d));
    EXPECT_TRUE(fromProtoTensor(p, "t").identical(t)) << dtypeName(d);
  }
}

TEST(ProtoConvert, TensorDataSizeIsCheckedBeforeAllocating) {
  proto::Tensor p;
  p.set_dtype(proto::F64);
  // 2^40 elements: 8 TiB if it were allocated from the declared shape.
  p.add_dims(int64_t{1} << 20);
  p.add_dims(int64_t{1} << 20);
  p.set_raw_data("12345678");
  try {
    fromProtoTensor(p, "t");
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "t: f64[1048576,1048576] needs 8796093022208 "
                           "bytes of data, got 8");
  }
}

//===----------------------------------------------------------------------===//
// Every kind of bad model names the file, and the node, op and shapes
//===----------------------------------------------------------------------===//

TEST(BadModel, UnknownOpsAreListedAtOnce) {
  std::string body = kInputX + node("relu", {"x"}, "1") +
                     node("relu", {"1"}, "2") + node("foo", {"2"}, "3") +
                     node("relu", {"3"}, "4") + node("bar", {"4"}, "5a") +
                     node("foo", {"5a"}, "7") + node("baz_", {}, "9") +
                     kOutputY;
  // "bar" appears once, "foo" twice; all are reported in order of appearance.
  EXPECT_EQ(graphError(body), "bad.pbtxt: unknown ops: foo (nodes %3, %7), "
                              "bar (node %5a), baz_ (node %9)");
  EXPECT_EQ(graphError(kInputX + node("foo", {"x"}, "y") + kOutputY),
            "bad.pbtxt: unknown op: foo (node %y)");
}

TEST(BadModel, WrongOperandCount) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"x", "x"}, "y") + kOutputY),
            "bad.pbtxt: node %y (relu): relu takes 1 operand, got 2");
  EXPECT_CONTAINS(graphError(kInputX + node("concat", {}, "y") + kOutputY),
                  "bad.pbtxt: node %y (concat): concat takes one or more "
                  "operands, got 0");
}

TEST(BadModel, MissingAttribute) {
  EXPECT_EQ(graphError(kInputX + node("cast", {"x"}, "y") + kOutputY),
            "bad.pbtxt: node %y (cast): op cast requires attribute 'to' "
            "(dtype)");
}

TEST(BadModel, AttributeOfTheWrongType) {
  EXPECT_EQ(graphError(kInputX +
                       node("cast", {"x"}, "y", "attrs { name: \"to\" i: 3 }") +
                       kOutputY),
            "bad.pbtxt: node %y (cast): attribute 'to' of op cast must be "
            "dtype, not int");
  EXPECT_EQ(graphError(kInputX +
                       node("reshape", {"x"}, "y",
                            "attrs { name: \"shape\" floats { values: 6 } }") +
                       kOutputY),
            "bad.pbtxt: node %y (reshape): attribute 'shape' of op reshape "
            "must be ints, not floats");
  EXPECT_CONTAINS(graphError(kInputX +
                             node("cast", {"x"}, "y",
                                  "attrs { name: \"to\" dtype: "
                                  "DTYPE_UNSPECIFIED }") +
                             kOutputY),
                  "bad.pbtxt: node %y (cast): attribute 'to' of op cast: "
                  "dtype is unspecified");
}

TEST(BadModel, IntAcceptedForAFloatAttribute) {
  TempDir dir;
  std::string path = dir.write(
      "ok.pbtxt", modelText(kInputX +
                            node("pad", {"x"}, "y",
                                 "attrs { name: \"pads\" ints { values: 0 "
                                 "values: 1 values: 0 values: 1 } } "
                                 "attrs { name: \"value\" i: 2 }") +
                            kOutputY));
  Model m = loadModel(path);
  EXPECT_EQ(m.graph.nodes()[0]->attr().getFloat("value"), 2.0);
}

TEST(BadModel, UnknownOrRepeatedOrEmptyAttribute) {
  EXPECT_EQ(
      graphError(kInputX +
                 node("relu", {"x"}, "y", "attrs { name: \"alpha\" f: 0.1 }") +
                 kOutputY),
      "bad.pbtxt: node %y (relu): unknown attribute 'alpha' for op "
      "relu");
  EXPECT_EQ(graphError(kInputX +
                       node("cast", {"x"}, "y",
                            "attrs { name: \"to\" dtype: F64 } "
                            "attrs { name: \"to\" dtype: I32 }") +
                       kOutputY),
            "bad.pbtxt: node %y (cast): attribute 'to' is given twice");
  EXPECT_EQ(graphError(kInputX +
                       node("cast", {"x"}, "y", "attrs { dtype: F64 }") +
                       kOutputY),
            "bad.pbtxt: node %y (cast): an attribute has no name");
  EXPECT_EQ(graphError(kInputX +
                       node("cast", {"x"}, "y", "attrs { name: \"to\" }") +
                       kOutputY),
            "bad.pbtxt: node %y (cast): attribute 'to' of op cast has no "
            "value");
}

TEST(BadModel, ShapeMismatch) {
  std::string body = kInputX +
                     "  inputs { name: \"v\" type { dtype: F32 dims: 4 } }\n" +
                     node("add", {"x", "v"}, "y") + kOutputY;
  EXPECT_EQ(graphError(body), "bad.pbtxt: node %y (add): add: operand shapes "
                              "do not broadcast (f32[2,3], f32[4])");
}

TEST(BadModel, DeclaredTypeDiffersFromInferred) {
  EXPECT_EQ(graphError(kInputX +
                       node("relu", {"x"}, "y",
                            "type { dtype: F32 dims: 3 dims: 2 }") +
                       kOutputY),
            "bad.pbtxt: node %y (relu): declared type f32[3,2] but the "
            "operands give f32[2,3]");
  EXPECT_EQ(graphError(kInputX +
                       node("relu", {"x"}, "y", "type { dims: 2 dims: 3 }") +
                       kOutputY),
            "bad.pbtxt: node %y (relu): declared type: dtype is unspecified");
}

TEST(BadModel, OperandNamesNoValue) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"nope"}, "y") + kOutputY),
            "bad.pbtxt: node %y (relu): operand %nope names no value");
}

TEST(BadModel, ValueDefinedTwice) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y") +
                       node("neg", {"x"}, "y") + kOutputY),
            "bad.pbtxt: node %y (neg): value %y is defined twice");
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "x") +
                       "  outputs { name: \"o\" value: \"x\" }\n"),
            "bad.pbtxt: node %x (relu): value %x is defined twice");
  EXPECT_EQ(graphError(kInputX + kInputX + node("relu", {"x"}, "y") + kOutputY),
            "bad.pbtxt: value %x is defined twice");
}

TEST(BadModel, Cycles) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"y"}, "y") + kOutputY),
            "bad.pbtxt: node %y (relu): operand %y is the node's own result "
            "(a cycle)");
  std::string msg = graphError(kInputX + node("add", {"x", "z"}, "y") +
                               node("neg", {"y"}, "z") + kOutputY);
  EXPECT_EQ(msg, "bad.pbtxt: node %y (add): operand %z is used before it is "
                 "defined (by node %z (neg) later on): the graph has a cycle "
                 "or its nodes are not in topological order");
}

TEST(BadModel, OutputNamesNoValue) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y") +
                       "  outputs { name: \"out\" value: \"q\" }\n"),
            "bad.pbtxt: output 'out' names no value %q");
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y") +
                       "  outputs { name: \"out\" }\n"),
            "bad.pbtxt: output 'out' names no value");
  EXPECT_EQ(
      graphError(kInputX + node("relu", {"x"}, "y") + kOutputY + kOutputY),
      "bad.pbtxt: output 'out' is declared twice");
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y")),
            "bad.pbtxt: graph g has no outputs");
}

TEST(BadModel, ParameterDataSize) {
  std::string param = "  params { name: \"w\" type { dtype: F32 dims: 3 } "
                      "raw_data: \"\\000\\000\\200?\\000\\000\\000@\" }\n";
  EXPECT_EQ(
      graphError(kInputX + param + node("add", {"x", "w"}, "y") + kOutputY),
      "bad.pbtxt: parameter %w: f32[3] needs 12 bytes of data, got 8");
  std::string noInit = "  params { name: \"w\" type { dtype: F32 dims: 3 } }\n";
  EXPECT_EQ(
      graphError(kInputX + noInit + node("add", {"x", "w"}, "y") + kOutputY),
      "bad.pbtxt: parameter %w has neither raw_data nor an initializer");
  std::string badBool = "  params { name: \"w\" type { dtype: BOOL dims: 2 } "
                        "raw_data: \"\\001\\002\" }\n";
  EXPECT_EQ(graphError(kInputX + badBool + node("logical_not", {"w"}, "y") +
                       kOutputY),
            "bad.pbtxt: parameter %w: bool element 1 is byte 2, not 0 or 1");
}

TEST(BadModel, ConstantTensorDataSize) {
  EXPECT_EQ(graphError(node("constant", {}, "y",
                            "attrs { name: \"value\" tensor { dtype: I32 "
                            "dims: 2 raw_data: \"\\001\\000\\000\\000\" } }") +
                       kOutputY),
            "bad.pbtxt: node %y (constant): attribute 'value' of op "
            "constant: i32[2] needs 8 bytes of data, got 4");
}

TEST(BadModel, Initializers) {
  std::string unspecified = "  params { name: \"w\" type { dtype: F32 dims: "
                            "3 } initializer { seed: 1 } }\n";
  EXPECT_EQ(graphError(kInputX + unspecified + node("add", {"x", "w"}, "y") +
                       kOutputY),
            "bad.pbtxt: parameter %w: initializer kind is unspecified");
  std::string intGlorot = "  params { name: \"w\" type { dtype: I32 dims: 3 "
                          "dims: 3 } initializer { kind: GLOROT_UNIFORM } }\n";
  EXPECT_EQ(graphError(intGlorot + node("neg", {"w"}, "y") + kOutputY),
            "bad.pbtxt: parameter %w: initializer glorot_uniform needs a "
            "float type, not i32[3,3]");
}

TEST(BadModel, HugeRecipeParameterIsRefusedNotAllocated) {
  // 2^50 f32 elements = 4 PiB: more than any machine's memory.
  std::string huge = "  params { name: \"w\" type { dtype: F32 dims: "
                     "1125899906842624 } initializer { kind: ZEROS } }\n";
  std::string msg = graphError(huge + node("neg", {"w"}, "y") + kOutputY);
  EXPECT_CONTAINS(msg, "bad.pbtxt: parameter %w: initializing "
                       "f32[1125899906842624] (4503599627370496 bytes) would "
                       "exceed this machine's ");
}

TEST(BadModel, BadShapes) {
  auto input = [](const std::string &type) {
    return "  inputs { name: \"x\" type { " + type + " } }\n" +
           node("neg", {"x"}, "y") + kOutputY;
  };
  EXPECT_EQ(graphError(input("dtype: F32 dims: 2 dims: -1")),
            "bad.pbtxt: input %x: negative dimension in shape [2,-1]");
  // Even beside a 0 extent: strides multiply the others (fuzz_ReadNpy).
  EXPECT_EQ(graphError(input("dtype: F32 dims: 4294967296 dims: 4294967296 "
                             "dims: 0")),
            "bad.pbtxt: input %x: shape [4294967296,4294967296,0] has more "
            "elements or bytes than fit in 64 bits");
  EXPECT_EQ(graphError(input("dtype: F32 dims: 4294967296 dims: 4294967296")),
            "bad.pbtxt: input %x: shape [4294967296,4294967296] has more "
            "elements or bytes than fit in 64 bits");
  // 2^61 elements fit in 64 bits; their 2^64 bytes do not.
  EXPECT_EQ(graphError(input("dtype: F64 dims: 2305843009213693952")),
            "bad.pbtxt: input %x: shape [2305843009213693952] has more "
            "elements or bytes than fit in 64 bits");
  EXPECT_EQ(graphError(input("dtype: F32 dims: 1 dims: 1 dims: 1 dims: 1 "
                             "dims: 1 dims: 1 dims: 1 dims: 1 dims: 1")),
            "bad.pbtxt: input %x: rank 9 exceeds the maximum rank 8");
  EXPECT_EQ(graphError(input("dims: 2")),
            "bad.pbtxt: input %x: dtype is unspecified");
  EXPECT_EQ(graphError(input("dtype: 42 dims: 2")),
            "bad.pbtxt: input %x: unknown dtype 42");
  EXPECT_EQ(graphError("  inputs { name: \"x\" }\n" + node("neg", {"x"}, "y") +
                       kOutputY),
            "bad.pbtxt: input %x has no type");
}

TEST(BadModel, AxisOrPermutationOutOfRange) {
  EXPECT_EQ(graphError(kInputX +
                       node("reduce_sum", {"x"}, "y",
                            "attrs { name: \"axes\" ints { values: 5 } }") +
                       kOutputY),
            "bad.pbtxt: node %y (reduce_sum): attribute 'axes': axis 5 is "
            "out of range for rank 2");
  std::string msg =
      graphError(kInputX +
                 node("transpose", {"x"}, "y",
                      "attrs { name: \"perm\" ints { values: 0 values: 2 } }") +
                 kOutputY);
  EXPECT_CONTAINS(msg, "bad.pbtxt: node %y (transpose): transpose: 'perm'");
  EXPECT_CONTAINS(msg, "axis 2 is out of range for rank 2");
}

TEST(BadModel, EmptyNames) {
  EXPECT_EQ(loadError("graph { }"), "bad.pbtxt: the graph has no name");
  EXPECT_EQ(loadError("format_version: 1"),
            "bad.pbtxt: the model has no graph");
  EXPECT_EQ(graphError("  inputs { type { dtype: F32 } }\n"),
            "bad.pbtxt: input #0 has no name");
  EXPECT_EQ(graphError(kInputX + "  params { raw_data: \"\" }\n"),
            "bad.pbtxt: parameter #0 has no name");
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "") + kOutputY),
            "bad.pbtxt: node #0 (relu): the result has no name");
  EXPECT_EQ(graphError(kInputX + node("relu", {""}, "y") + kOutputY),
            "bad.pbtxt: node %y (relu): operand 0 has an empty name");
  EXPECT_EQ(graphError(kInputX + "  nodes { operands: \"x\" result: \"y\" }\n" +
                       kOutputY),
            "bad.pbtxt: node %y has no op");
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y") +
                       "  outputs { value: \"y\" }\n"),
            "bad.pbtxt: output #0 has no name");
}

TEST(BadModel, InvalidUtf8InText) {
  EXPECT_EQ(graphError(kInputX + node("relu", {"x"}, "y\xff") + kOutputY),
            "bad.pbtxt: string field graph.nodes[0].result is not valid UTF-8");
  EXPECT_EQ(loadError("graph { name: \"\xc0\xaf\" }"),
            "bad.pbtxt: string field graph.name is not valid UTF-8");
  // Multi-byte names are fine.
  TempDir dir;
  std::string path = dir.write(
      "ok.pbtxt", modelText(kInputX + node("relu", {"x"}, "\xce\xbb") +
                            "  outputs { name: \"\xf0\x9f\x99\x82\" "
                            "value: \"\xce\xbb\" }\n"));
  EXPECT_EQ(loadModel(path).graph.outputs()[0].name, "\xf0\x9f\x99\x82");
}

TEST(BadModel, TrainingSpec) {
  std::string graph = modelText(kInputX + node("relu", {"x"}, "y") + kOutputY);
  EXPECT_EQ(loadError(graph + "training { loss: \"nope\" }\n"),
            "bad.pbtxt: training: the loss 'nope' is not an output of the "
            "graph");
  EXPECT_EQ(loadError(graph + "training { loss: \"out\" }\n"),
            "bad.pbtxt: training: the loss 'out' must be a float scalar, not "
            "f32[2,3]");
  EXPECT_EQ(loadError(graph + "training { }\n"),
            "bad.pbtxt: training: the loss names no output");
}

TEST(BadModel, TrainingFields) {
  std::string graph = modelText(
      kInputX + "  inputs { name: \"z\" type { dtype: I64 dims: 3 } }\n" +
      node("relu", {"x"}, "y") + node("reduce_sum", {"y"}, "l") + kOutputY +
      "  outputs { name: \"loss\" value: \"l\" }\n");
  auto error = [&](const std::string &fields) {
    return loadError(graph + "training { loss: \"loss\" " + fields + " }\n");
  };
  EXPECT_EQ(error("optimizer { lr: 0.1 }"),
            "bad.pbtxt: training: the optimizer's kind is unspecified");
  EXPECT_EQ(error("optimizer { kind: 9 }"),
            "bad.pbtxt: training: unknown optimizer kind 9");
  EXPECT_EQ(error("optimizer { kind: SGD beta1: 0.5 }"),
            "bad.pbtxt: training: optimizer sgd has no field 'beta1'; it "
            "takes lr and weight_decay");
  EXPECT_EQ(error("optimizer { kind: MOMENTUM momentum: 1 }"),
            "bad.pbtxt: training: optimizer momentum: momentum must be in "
            "[0, 1), not 1");
  EXPECT_EQ(error("optimizer { kind: ADAM lr: inf }"),
            "bad.pbtxt: training: optimizer adam: lr must be a finite number "
            "> 0, not inf");
  EXPECT_EQ(error("batch_size: -1"),
            "bad.pbtxt: training: batch_size must be positive, not -1");
  EXPECT_EQ(error("epochs: -2"),
            "bad.pbtxt: training: epochs must be positive, not -2");
  EXPECT_EQ(error("features: \"y\""),
            "bad.pbtxt: training: features 'y' is not an input of the graph");
  EXPECT_EQ(error("labels: \"loss\""),
            "bad.pbtxt: training: labels 'loss' is not an input of the graph");
  EXPECT_EQ(error("features: \"x\" labels: \"z\""),
            "bad.pbtxt: training: labels 'z' i64[3] and features 'x' f32[2,3] "
            "differ in their leading (batch) dimension");
  EXPECT_EQ(error("features: \"x\" batch_size: 3"),
            "bad.pbtxt: training: batch_size 3 differs from the leading "
            "(batch) dimension of features 'x' f32[2,3]");
  EXPECT_EQ(error("predictions: \"x\""),
            "bad.pbtxt: training: predictions 'x' is not an output of the "
            "graph");
  EXPECT_EQ(error("predictions: \"loss\""),
            "bad.pbtxt: training: predictions 'loss' must be a float matrix "
            "[batch, classes], not f32[]");
  // A complete spec loads as written: unset fields stay unset.
  TempDir dir;
  Model m = loadModel(dir.write(
      "ok.pbtxt",
      graph + "training { loss: \"loss\" optimizer { kind: MOMENTUM "
              "nesterov: true } batch_size: 2 epochs: 5 features: \"x\" "
              "predictions: \"out\" }\n"));
  ASSERT_TRUE(m.training && m.training->optimizer);
  const OptimizerConfig &opt = *m.training->optimizer;
  EXPECT_EQ(opt.kind, OptimizerKind::Momentum);
  EXPECT_EQ(opt.nesterov, true);
  EXPECT_FALSE(opt.lr.has_value());
  EXPECT_FALSE(opt.momentum.has_value());
  EXPECT_EQ(opt.valueOrDefault(OptimizerField::Lr), 0.01);
  EXPECT_EQ(opt.valueOrDefault(OptimizerField::Momentum), 0.9);
  EXPECT_EQ(m.training->batchSize, 2);
  EXPECT_EQ(m.training->epochs, 5);
  EXPECT_EQ(m.training->features, "x");
  EXPECT_EQ(m.training->labels, "");
  EXPECT_EQ(m.training->predictions, "out");
}

TEST(BadModel, BinaryFilesGiveTheSameErrors) {
  proto::Model p;
  p.set_format_version(1);
  p.mutable_graph()->set_name("g");
  proto::Node *n = p.mutable_graph()->add_nodes();
  n->set_op("relu");
  n->add_operands("missing");
  n->set_result("y");
  TempDir dir;
  std::string path = dir.write("bad.pb", p.SerializeAsString());
  try {
    loadModel(path);
    ADD_FAILURE() << "loaded";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": node %y (relu): operand %missing names no value");
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Symbolic dimensions
//===----------------------------------------------------------------------===//

namespace {

TEST(ProtoConvert, SymbolicDimensionsRoundTrip) {
  TempDir dir;
  Model m = parseModel("graph g(%x: f32[N,1,28,28], %s: f32[?,4]) {\n"
                       "  %0 = reshape(%x) {shape = [-1, 28]} : f32[N*28,28]\n"
                       "  return %0, %s\n}\n");
  for (const char *file : {"m.pb", "m.pbtxt", "m.adj"}) {
    std::string path = (dir.path() / file).string();
    saveModel(m, path);
    EXPECT_EQ(printModel(loadModel(path)), printModel(m)) << file;
  }
  std::ifstream in(dir.path() / "m.pbtxt");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_CONTAINS(text, "dim_symbols: \"N\"");
  EXPECT_CONTAINS(text, "dim_symbols: \"?\"");
}

TEST(BadModel, MalformedDimensionSymbols) {
  std::string out = "  outputs { name: \"out\" value: \"x\" }\n";
  EXPECT_CONTAINS(graphError("  inputs { name: \"x\" type { dtype: F32 dims: "
                             "1 dims: 3 dim_symbols: \"N-1\" } }\n" +
                             out),
                  "'N-1' is no symbol name");
  EXPECT_CONTAINS(graphError("  inputs { name: \"x\" type { dtype: F32 dims: "
                             "0 dim_symbols: \"N\" } }\n" +
                             out),
                  "needs a multiplier");
  EXPECT_CONTAINS(graphError("  inputs { name: \"x\" type { dtype: F32 dims: "
                             "2 dim_symbols: \"N\" dim_symbols: \"M\" } }\n" +
                             out),
                  "2 dimension symbols for rank 1");
  EXPECT_CONTAINS(graphError("  inputs { name: \"x\" type { dtype: F32 dims: "
                             "-1048577 } }\n" +
                             out),
                  "negative dimension in shape [-1048577]");
}

} // namespace
