//===- OnnxImporterTest.cpp - Tests of the ONNX importer ------------------===//
#include "compiler/onnx/OnnxImporter.h"

#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/Specialize.h"
#include "tests/cli/CliTestSupport.h"
#include "tests/onnx/OnnxTestModels.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;
using adjoint::test::runProgram;
using adjoint::test::TempDir;

namespace {

constexpr int32_t kF32 = onnx::TensorProto::FLOAT;
constexpr int32_t kI64 = onnx::TensorProto::INT64;

/// The message of the BadInput error that importing `m` throws.
std::string importError(const onnx::ModelProto &m,
                        const OnnxImportOptions &options = {}) {
  try {
    importOnnx(m, "m.onnx", options);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  ADD_FAILURE() << "the import succeeded";
  return "";
}

Tensor f32Tensor(Shape shape, std::vector<double> values) {
  return Tensor::fromDoubles(DType::F32, std::move(shape), values);
}

Tensor i64Tensor(std::vector<double> values) {
  return Tensor::fromDoubles(DType::I64, {(int64_t)values.size()}, values);
}

/// y = Gemm(x [N, 2], w [2, 3], b [3]) reshaped to [N, 3, 1] by an
/// initializer shape.
onnx::ModelProto denseModel() {
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "x", kF32, {-1, 2});
  addOnnxInitializer(m, "w", f32Tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
  addOnnxInitializer(m, "b", f32Tensor({3}, {0.5, 0.25, 0}));
  addOnnxInitializer(m, "shape", i64Tensor({-1, 3, 1}));
  addOnnxNode(m, "Gemm", {"x", "w", "b"}, {"h"}, "dense");
  addOnnxNode(m, "Reshape", {"h", "shape"}, {"y"}, "reshape");
  addOnnxOutput(m, "y", kF32, {-1, 3, 1});
  return m;
}

TEST(OnnxImporterTest, InitializersBecomeParametersAndConstantsFold) {
  Model m = importOnnx(denseModel(), "m.onnx");
  ASSERT_EQ(m.graph.inputs().size(), 1u);
  // The input's symbolic batch stays symbolic.
  int64_t n = symbolicDim(internSymbol("N"));
  EXPECT_EQ(m.graph.inputs()[0]->type(), (TensorType{DType::F32, {n, 2}}));
  EXPECT_EQ(m.graph.outputs()[0].value->type(),
            (TensorType{DType::F32, {n, 3, 1}}));
  ASSERT_EQ(m.graph.params().size(), 2u);
  EXPECT_EQ(m.graph.params()[0].value->name(), "w");
  EXPECT_EQ(m.graph.params()[1].value->name(), "b");
  // The integer shape is a constant folded into reshape, not a parameter.
  for (const auto &n : m.graph.nodes())
    EXPECT_NE(n->op(), OpKind::Constant) << n->describe();
  auto out = interpret(m.graph, {{"x", f32Tensor({1, 2}, {1, -1})}});
  Tensor y = out.at("y");
  EXPECT_EQ(y.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(y.elementAsDouble(0), -2.5);
  EXPECT_EQ(y.elementAsDouble(1), -2.75);
  EXPECT_EQ(y.elementAsDouble(2), -3);
}

TEST(OnnxImporterTest, InputShapesFixSymbolicDimensions) {
  OnnxImportOptions options;
  options.inputShapes["x"] = {8, 2};
  Model m = importOnnx(denseModel(), "m.onnx", options);
  EXPECT_EQ(m.graph.inputs()[0]->type().shape, (Shape{8, 2}));
  EXPECT_EQ(m.graph.outputs()[0].value->type().shape, (Shape{8, 3, 1}));
}

/// y = x * (the batch of x, as a float): a graph that computes with its
/// symbolic dimension, which the import cannot keep symbolic.
onnx::ModelProto batchScaledModel() {
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "x", kF32, {-1, 2});
  addOnnxInitializer(m, "zero", i64Tensor({0}));
  addOnnxNode(m, "Shape", {"x"}, {"s"});
  addOnnxNode(m, "Gather", {"s", "zero"}, {"n"});
  setIntAttr(addOnnxNode(m, "Cast", {"n"}, {"nf"}), "to",
             onnx::TensorProto::FLOAT);
  addOnnxNode(m, "Mul", {"x", "nf"}, {"y"});
  addOnnxOutput(m, "y", kF32, {-1, 2});
  return m;
}

TEST(OnnxImporterTest, SymbolicDimensionsStaySymbolicOrAreFixedWithANote) {
  std::vector<std::string> notes;
  OnnxImportOptions options;
  options.onNote = [&](const std::string &n) { notes.push_back(n); };
  Model dense = importOnnx(denseModel(), "m.onnx", options);
  EXPECT_TRUE(notes.empty());
  EXPECT_TRUE(hasSymbols(dense.graph));
  // One that computes with the batch: fixed to 1, with a note saying why,
  // and right at 1.
  Model scaled = importOnnx(batchScaledModel(), "s.onnx", options);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "s.onnx: input 'x' has the symbolic dimension 'N' "
                      "(axis 0), fixed to 1 because the graph computes with "
                      "it: f32[1,2] (give another shape with --input-shape "
                      "x=DxDx...)");
  auto out = interpret(scaled.graph, {{"x", f32Tensor({1, 2}, {3, -4})}});
  EXPECT_EQ(out.at("y").elementAsDouble(1), -4);
  // A shape given for it: nothing to say.
  notes.clear();
  options.inputShapes["x"] = {8, 2};
  Model eight = importOnnx(batchScaledModel(), "s.onnx", options);
  EXPECT_TRUE(notes.empty());
  auto out8 = interpret(
      eight.graph, {{"x", Tensor::fromDoubles(DType::F32, {8, 2},
                                              std::vector<double>(16, 1))}});
  EXPECT_EQ(out8.at("y").elementAsDouble(0), 8);
}

TEST(OnnxImporterTest, EveryAxisSymbolicStaysSymbolic) {
  // Four symbols: their encodings multiplied together overflowed int64
  // when the importer counted the elements of a result to fold it.
  onnx::ModelProto m = makeOnnxModel();
  auto *x = m.mutable_graph()->add_input();
  declareValue(x, "x", kF32, {1, 1, 1, 1});
  const char *names[] = {"N", "C", "H", "W"};
  for (int i = 0; i < 4; ++i)
    x->mutable_type()
        ->mutable_tensor_type()
        ->mutable_shape()
        ->mutable_dim(i)
        ->set_dim_param(names[i]);
  addOnnxNode(m, "Relu", {"x"}, {"y"});
  addOnnxOutput(m, "y", kF32, {});
  Model model = importOnnx(m, "m.onnx");
  EXPECT_EQ(shapeStr(model.graph.outputs()[0].value->type().shape),
            "[N,C,H,W]");
}

TEST(OnnxImporterTest, NegativeDimensionsAreRefused) {
  // -1048577 is how a symbol is held in memory; a file cannot forge one.
  onnx::ModelProto input = makeOnnxModel();
  addOnnxInput(input, "x", kF32, {2});
  input.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_value(-1048577);
  addOnnxNode(input, "Relu", {"x"}, {"y"});
  addOnnxOutput(input, "y", kF32, {2});
  EXPECT_NE(importError(input).find("input x1 ('x'): the negative dimension "
                                    "-1048577 (axis 0)"),
            std::string::npos)
      << importError(input);

  onnx::ModelProto init = makeOnnxModel();
  auto *w = init.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(kF32);
  for (int i = 0; i < 4; ++i)
    w->add_dims(-1048577);
  addOnnxNode(init, "Relu", {"w"}, {"y"});
  addOnnxOutput(init, "y", kF32, {});
  EXPECT_NE(importError(init).find("initializer 'w': the negative dimension "
                                   "-1048577 (axis 0)"),
            std::string::npos)
      << importError(init);
}

TEST(OnnxImporterTest, ScanWithFewerOutputsThanStatesIsUnsupported) {
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "s0", kF32, {2});
  addOnnxInput(m, "s1", kF32, {2});
  addOnnxInput(m, "xs", kF32, {3, 2});
  auto *scan = addOnnxNode(m, "Scan", {"s0", "s1", "xs"}, {"y"});
  setIntAttr(scan, "num_scan_inputs", 1);
  auto *body = scan->add_attribute();
  body->set_name("body");
  body->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto *g = body->mutable_g();
  g->set_name("body");
  declareValue(g->add_input(), "a", kF32, {2});
  declareValue(g->add_input(), "b", kF32, {2});
  declareValue(g->add_input(), "x", kF32, {2});
  auto *id = g->add_node();
  id->set_op_type("Identity");
  id->add_input("a");
  id->add_output("o");
  declareValue(g->add_output(), "o", kF32, {2});
  addOnnxOutput(m, "y", kF32, {2});
  EXPECT_NE(importError(m).find("Scan x1 ('y'): 1 outputs for 2 states"),
            std::string::npos)
      << importError(m);
}

TEST(OnnxImporterTest, AShapeOrValueForNoInputIsAnError) {
  OnnxImportOptions shapes;
  shapes.inputShapes["q"] = {3, 4, 5};
  try {
    importOnnx(denseModel(), "m.onnx", shapes);
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "m.onnx: a shape is given for 'q', which is not "
                           "an input of the graph (its inputs: x)");
  }
  OnnxImportOptions values;
  values.inputValues["w"] = f32Tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_THROW(importOnnx(denseModel(), "m.onnx", values), Error);
}

TEST(OnnxImporterTest, AnInitializedInputIsAParameterWithItsDefault) {
  onnx::ModelProto m = denseModel();
  declareValue(m.mutable_graph()->add_input(), "w", kF32, {2, 3});
  Model imported = importOnnx(m, "m.onnx");
  EXPECT_EQ(imported.graph.inputs().size(), 1u);
  const Value *w = imported.graph.findValue("w");
  ASSERT_NE(w, nullptr);
  ASSERT_NE(imported.graph.findParam(w), nullptr);
  EXPECT_EQ(imported.graph.findParam(w)->data.elementAsDouble(5), 6);
}

TEST(OnnxImporterTest, UnsupportedNodesAreReportedAllAtOnce) {
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "x", kF32, {2, 3});
  addOnnxNode(m, "Relu", {"x"}, {"a"}, "ok");
  addOnnxNode(m, "Frobnicate", {"a"}, {"b"}, "f1");
  addOnnxNode(m, "Frobnicate", {"b"}, {"c"}, "f2");
  setIntAttr(addOnnxNode(m, "Relu", {"x"}, {"d"}, "odd"), "bogus", 1);
  addOnnxNode(m, "Add", {"c", "d"}, {"y"}, "sum");
  addOnnxOutput(m, "y", kF32, {2, 3});
  std::string msg = importError(m);
  EXPECT_NE(msg.find("m.onnx: unsupported: 3 of 5 nodes"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Frobnicate x2 ('f1', 'f2'): op not supported"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Relu x1 ('odd'): attribute 'bogus'"), std::string::npos)
      << msg;
}

TEST(OnnxImporterTest, ANonStaticShapeIsUnsupportedWithTheReason) {
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "x", kF32, {2, 3});
  addOnnxInput(m, "shape", kI64, {2});
  addOnnxNode(m, "Reshape", {"x", "shape"}, {"y"}, "r");
  addOnnxOutput(m, "y", kF32, {3, 2});
  std::string msg = importError(m);
  EXPECT_NE(msg.find("Reshape x1 ('r'): input 'shape' is not a constant or "
                     "initializer"),
            std::string::npos)
      << msg;
  // Given as a value, the input folds and leaves the graph.
  OnnxImportOptions options;
  options.inputValues["shape"] = i64Tensor({3, 2});
  Model imported = importOnnx(m, "m.onnx", options);
  EXPECT_EQ(imported.graph.inputs().size(), 1u);
  EXPECT_EQ(imported.graph.outputs()[0].value->type().shape, (Shape{3, 2}));
}

TEST(OnnxImporterTest, OpsetsOutsideTheRangeAreUnsupported) {
  onnx::ModelProto m = denseModel();
  m.mutable_opset_import(0)->set_version(18);
  EXPECT_NE(importError(m).find("unsupported: opset 18 (supported: 1 to 17)"),
            std::string::npos);
}

TEST(OnnxImporterTest, SoftmaxFlattensBeforeOpset13) {
  for (int64_t opset : {11, 13}) {
    onnx::ModelProto m = makeOnnxModel(opset);
    addOnnxInput(m, "x", kF32, {1, 2, 2});
    addOnnxNode(m, "Softmax", {"x"}, {"y"}, "s");
    addOnnxOutput(m, "y", kF32, {1, 2, 2});
    Model imported = importOnnx(m, "m.onnx");
    auto out =
        interpret(imported.graph, {{"x", f32Tensor({1, 2, 2}, {0, 0, 0, 0})}});
    // Opset 11 normalizes over the 4 elements after axis 1, opset 13 over
    // the 2 of the last axis.
    EXPECT_EQ(out.at("y").elementAsDouble(0), opset < 13 ? 0.25 : 0.5);
  }
}

TEST(OnnxImporterTest, LoadModelReadsOnnxFilesOnceRegistered) {
  TempDir dir;
  writeOnnxModel(denseModel(), dir / "m.onnx");
  registerOnnxLoader();
  Model m = loadModel(dir / "m.onnx");
  EXPECT_EQ(m.graph.params().size(), 2u);
}

TEST(OnnxImporterTest, TensorsNeedADTypeAdjointHas) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::FLOAT16);
  t.add_dims(2);
  try {
    tensorFromOnnx(t, "t");
    FAIL() << "accepted float16";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "t: unsupported: dtype float16");
  }
}

TEST(OnnxImportCommandTest, ImportsWithInputShapesAndRunsOnnxDirectly) {
  TempDir dir;
  writeOnnxModel(denseModel(), dir / "m.onnx");
  auto r = runProgram(ADJOINT_CLI, {"import", dir / "m.onnx", "-o",
                                    dir / "m.pbtxt", "--input-shape", "x=4x2"});
  ASSERT_EQ(r.status, 0) << r.err;
  Model m = loadModel(dir / "m.pbtxt");
  EXPECT_EQ(m.graph.inputs()[0]->type().shape, (Shape{4, 2}));
  r = runProgram(ADJOINT_CLI, {"check", dir / "m.onnx"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = runProgram(ADJOINT_CLI, {"run", dir / "m.onnx"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(OnnxImportCommandTest, SaysWhatIsWrongWithTheRequest) {
  TempDir dir;
  writeOnnxModel(denseModel(), dir / "m.onnx");
  // An input that does not exist.
  auto r = runProgram(ADJOINT_CLI, {"import", dir / "m.onnx", "-o",
                                    dir / "m.pb", "--input-shape", "q=3x4x5"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("a shape is given for 'q', which is not an input of "
                       "the graph (its inputs: x)"),
            std::string::npos)
      << r.err;
  // A symbolic dimension the graph computes with is fixed to 1 with a
  // note; the import succeeds.
  writeOnnxModel(batchScaledModel(), dir / "s.onnx");
  r = runProgram(ADJOINT_CLI, {"import", dir / "s.onnx", "-o", dir / "s.pb"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("adjoint: note: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symbolic dimension 'N' (axis 0), fixed to 1"),
            std::string::npos)
      << r.err;
  // One that only carries it keeps it, silently.
  r = runProgram(ADJOINT_CLI, {"import", dir / "m.onnx", "-o", dir / "m.pb"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // An Adjoint model renamed .onnx, and a text file.
  std::filesystem::copy_file(dir / "m.pb", dir / "renamed.onnx");
  r = runProgram(ADJOINT_CLI, {"check", dir / "renamed.onnx"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("this is an Adjoint model (binary protobuf), not an "
                       "ONNX model: name it .pb"),
            std::string::npos)
      << r.err;
  adjoint::test::writeFile(dir / "text.onnx", "graph { name: \"g\" }\n");
  r = runProgram(ADJOINT_CLI, {"check", dir / "text.onnx"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("a text file, not an ONNX model"), std::string::npos)
      << r.err;
  // ONNX is read, not written.
  r = runProgram(ADJOINT_CLI,
                 {"import", dir / "m.onnx", "-o", dir / "copy.onnx"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does not write them"), std::string::npos) << r.err;
}

TEST(OnnxImportCommandTest, UnsupportedModelsExitWithStatus2) {
  TempDir dir;
  onnx::ModelProto m = makeOnnxModel();
  addOnnxInput(m, "x", kF32, {2});
  addOnnxNode(m, "Frobnicate", {"x"}, {"y"}, "f");
  addOnnxOutput(m, "y", kF32, {2});
  writeOnnxModel(m, dir / "bad.onnx");
  auto r = runProgram(ADJOINT_CLI,
                      {"import", dir / "bad.onnx", "-o", dir / "bad.pb"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unsupported: 1 of 1 nodes"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.pb"));
  r = runProgram(ADJOINT_CLI, {"import", dir / "bad.onnx", "-o", dir / "bad.pb",
                               "--input-shape", "x=2y"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--input-shape 'x=2y'"), std::string::npos) << r.err;
}

} // namespace

namespace {

/// The conformance suite's node tests whose shape or axes come as a graph
/// input: `adjoint run` takes them with -i and folds them, and the outputs
/// match the suite's.
TEST(OnnxImportCommandTest, RunFoldsInputsGivenForStaticData) {
  const std::string suite = "/usr/share/libonnx-testdata/data/node/";
  if (!std::filesystem::exists(suite))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  for (const char *name : {"test_reduce_sum_keepdims_example",
                           "test_reshape_negative_dim", "test_slice"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    std::string model = suite + name + "/model.onnx",
                data = suite + name + "/test_data_set_0/";
    std::vector<std::string> args = {"run", model, "-o", dir / "out"};
    onnx::ModelProto proto = readOnnxModel(model);
    std::vector<std::string> inputs = onnxInputNames(proto);
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::string npy = dir / (inputs[i] + ".npy");
      writeNpy(npy,
               loadOnnxTensor(data + "input_" + std::to_string(i) + ".pb"));
      args.push_back("-i");
      args.push_back(inputs[i] + "=" + npy);
    }
    // Without the static inputs' values the model cannot compile.
    EXPECT_EQ(runProgram(ADJOINT_CLI, {"run", model}).status, 2);
    auto r = runProgram(ADJOINT_CLI, args);
    ASSERT_EQ(r.status, 0) << r.err;
    Tensor want = loadOnnxTensor(data + "output_0.pb");
    Tensor got =
        readNpy(dir / ("out/" + proto.graph().output(0).name() + ".npy"));
    ASSERT_EQ(got.type(), want.type());
    for (int64_t i = 0; i < want.numElements(); ++i)
      EXPECT_NEAR(got.elementAsDouble(i), want.elementAsDouble(i), 1e-6);
  }
}

} // namespace

namespace {

/// Appends the node `op` (inputs `ins`, output `out`) to the graph `body`.
onnx::NodeProto *addBodyNode(onnx::GraphProto *body, const std::string &op,
                             const std::vector<std::string> &ins,
                             const std::string &out) {
  auto *n = body->add_node();
  n->set_op_type(op);
  for (const std::string &in : ins)
    n->add_input(in);
  n->add_output(out);
  return n;
}

/// Scan over x [4, 2] in reverse with two states, s (a running sum of
/// x * w) and p (a running product of x), and one scan output per step
/// (s + p); w is a graph input the body reads from outside.
onnx::ModelProto scanModel() {
  onnx::ModelProto m = makeOnnxModel(11);
  addOnnxInput(m, "s0", kF32, {2});
  addOnnxInput(m, "p0", kF32, {2});
  addOnnxInput(m, "x", kF32, {4, 2});
  addOnnxInput(m, "w", kF32, {2});
  onnx::NodeProto *scan =
      addOnnxNode(m, "Scan", {"s0", "p0", "x"}, {"s", "p", "ys"}, "scan");
  setIntAttr(scan, "num_scan_inputs", 1);
  setIntsAttr(scan, "scan_input_directions", {1});
  setIntsAttr(scan, "scan_output_directions", {1});
  auto *attr = scan->add_attribute();
  attr->set_name("body");
  attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto *body = attr->mutable_g();
  body->set_name("step");
  for (const char *in : {"s_in", "p_in", "x_t"})
    declareValue(body->add_input(), in, kF32, {2});
  auto node = [&](const char *op, std::vector<std::string> ins,
                  std::string out) { return addBodyNode(body, op, ins, out); };
  node("Mul", {"x_t", "w"}, "xw");
  node("Add", {"s_in", "xw"}, "s_out");
  node("Mul", {"p_in", "x_t"}, "p_out");
  node("Add", {"s_out", "p_out"}, "y_t");
  for (const char *out : {"s_out", "p_out", "y_t"})
    declareValue(body->add_output(), out, kF32, {2});
  addOnnxOutput(m, "s", kF32, {2});
  addOnnxOutput(m, "p", kF32, {2});
  addOnnxOutput(m, "ys", kF32, {4, 2});
  return m;
}

TEST(OnnxImporterTest, ScanImportsAsOneScanWithPackedStates) {
  Model m = importOnnx(scanModel(), "m.onnx");
  int scans = 0;
  for (const auto &n : m.graph.nodes())
    scans += n->op() == OpKind::Scan;
  EXPECT_EQ(scans, 1);
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8}, w = {0.5, -1};
  auto out = interpret(m.graph, {{"s0", f32Tensor({2}, {10, 20})},
                                 {"p0", f32Tensor({2}, {1, 2})},
                                 {"x", f32Tensor({4, 2}, x)},
                                 {"w", f32Tensor({2}, w)}});
  // In reverse: rows 3, 2, 1, 0; row t of ys is the step that read x[t].
  std::vector<double> s = {10, 20}, p = {1, 2}, ys(8);
  for (int t = 3; t >= 0; --t)
    for (int j = 0; j < 2; ++j) {
      s[j] += x[t * 2 + j] * w[j];
      p[j] *= x[t * 2 + j];
      ys[t * 2 + j] = s[j] + p[j];
    }
  for (int j = 0; j < 2; ++j) {
    EXPECT_EQ(out.at("s").elementAsDouble(j), s[j]);
    EXPECT_EQ(out.at("p").elementAsDouble(j), p[j]);
  }
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(out.at("ys").elementAsDouble(i), ys[i]) << i;
}

/// A GRU over 3 steps of 2 inputs, batch 2, 3 units, with biases, for
/// both settings of linear_before_reset, against ONNX's formulas computed
/// here: one scan, and every step's h (Y) and the last (Y_h) as specified.
TEST(OnnxImporterTest, GruMatchesTheOnnxFormulasBothWaysOfTheReset) {
  const int64_t steps = 3, batch = 2, in = 2, units = 3;
  auto values = [](int64_t n, double scale, double shift) {
    std::vector<double> v(n);
    for (int64_t i = 0; i < n; ++i)
      v[i] = scale * std::sin(0.7 * double(i) + shift);
    return v;
  };
  std::vector<double> x = values(steps * batch * in, 1.0, 0.1),
                      w = values(3 * units * in, 0.6, 0.4),
                      r = values(3 * units * units, 0.5, 0.9),
                      bias = values(6 * units, 0.3, 1.3);
  for (int64_t beforeReset : {0, 1}) {
    SCOPED_TRACE(beforeReset);
    onnx::ModelProto m = makeOnnxModel();
    addOnnxInput(m, "x", kF32, {steps, batch, in});
    addOnnxInitializer(m, "w", f32Tensor({1, 3 * units, in}, w));
    addOnnxInitializer(m, "r", f32Tensor({1, 3 * units, units}, r));
    addOnnxInitializer(m, "b", f32Tensor({1, 6 * units}, bias));
    auto *gru = addOnnxNode(m, "GRU", {"x", "w", "r", "b"}, {"y", "yh"}, "gru");
    setIntAttr(gru, "hidden_size", units);
    setIntAttr(gru, "linear_before_reset", beforeReset);
    addOnnxOutput(m, "y", kF32, {steps, 1, batch, units});
    addOnnxOutput(m, "yh", kF32, {1, batch, units});
    Model model = importOnnx(m, "m.onnx");
    int scans = 0;
    for (const auto &n : model.graph.nodes())
      scans += n->op() == OpKind::Scan;
    EXPECT_EQ(scans, 1);
    auto out =
        interpret(model.graph, {{"x", f32Tensor({steps, batch, in}, x)}});

    // Gates z, r, h in that order; Wb then Rb in `bias`.
    auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
    std::vector<double> h(batch * units, 0.0);
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<double> next(batch * units);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t u = 0; u < units; ++u) {
          // Input and recurrent parts of gate g for unit v, with biases.
          auto xpart = [&](int64_t g, int64_t v) {
            double s = bias[g * units + v];
            for (int64_t i = 0; i < in; ++i)
              s += x[(t * batch + b) * in + i] * w[(g * units + v) * in + i];
            return s;
          };
          auto hpart = [&](int64_t g, int64_t v) {
            double s = bias[(3 + g) * units + v];
            for (int64_t k = 0; k < units; ++k)
              s += h[b * units + k] * r[(g * units + v) * units + k];
            return s;
          };
          auto reset = [&](int64_t v) {
            return sigmoid(xpart(1, v) + hpart(1, v));
          };
          double z = sigmoid(xpart(0, u) + hpart(0, u));
          double cand;
          if (beforeReset) {
            cand = std::tanh(xpart(2, u) + reset(u) * hpart(2, u));
          } else {
            // (r * H) R_h^T + Rb_h: the reset applied to each unit of h.
            double s = bias[5 * units + u];
            for (int64_t k = 0; k < units; ++k)
              s += reset(k) * h[b * units + k] * r[(2 * units + u) * units + k];
            cand = std::tanh(xpart(2, u) + s);
          }
          next[b * units + u] = (1 - z) * cand + z * h[b * units + u];
        }
      h = next;
      for (int64_t i = 0; i < batch * units; ++i)
        EXPECT_NEAR(out.at("y").elementAsDouble(t * batch * units + i), h[i],
                    1e-5)
            << "step " << t << ", element " << i;
    }
    for (int64_t i = 0; i < batch * units; ++i)
      EXPECT_NEAR(out.at("yh").elementAsDouble(i), h[i], 1e-5) << i;
  }
}

/// A counted Loop of 4 trips: y += iteration number (carried), and one
/// scan output per trip (y * w, w read from outside the body); the body
/// passes its condition through. `condition` replaces that pass-through
/// with a node of the body when given.
onnx::ModelProto loopModel(const std::string &condition = "") {
  onnx::ModelProto m = makeOnnxModel(13);
  addOnnxInput(m, "y0", kF32, {2});
  addOnnxInput(m, "w", kF32, {2});
  addOnnxInitializer(m, "trips", Tensor::scalar(DType::I64, 4));
  onnx::NodeProto *loop =
      addOnnxNode(m, "Loop", {"trips", "", "y0"}, {"y", "ys"}, "loop");
  auto *attr = loop->add_attribute();
  attr->set_name("body");
  attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto *body = attr->mutable_g();
  body->set_name("trip");
  declareValue(body->add_input(), "i", onnx::TensorProto::INT64, {});
  declareValue(body->add_input(), "cond_in", onnx::TensorProto::BOOL, {});
  declareValue(body->add_input(), "y_in", kF32, {2});
  auto node = [&](const char *op, std::vector<std::string> ins,
                  std::string out) { return addBodyNode(body, op, ins, out); };
  setIntAttr(node("Cast", {"i"}, "fi"), "to", kF32);
  node("Add", {"y_in", "fi"}, "y_out");
  node("Mul", {"y_out", "w"}, "ys_t");
  if (condition.empty())
    node("Identity", {"cond_in"}, "cond_out");
  else
    node(condition.c_str(), {"cond_in"}, "cond_out");
  declareValue(body->add_output(), "cond_out", onnx::TensorProto::BOOL, {});
  declareValue(body->add_output(), "y_out", kF32, {2});
  declareValue(body->add_output(), "ys_t", kF32, {2});
  addOnnxOutput(m, "y", kF32, {2});
  addOnnxOutput(m, "ys", kF32, {4, 2});
  return m;
}

TEST(OnnxImporterTest, ACountedLoopImportsAsOneScan) {
  Model m = importOnnx(loopModel(), "m.onnx");
  int scans = 0;
  for (const auto &n : m.graph.nodes())
    scans += n->op() == OpKind::Scan;
  EXPECT_EQ(scans, 1);
  std::vector<double> y = {1, -2}, w = {0.5, 3}, ys;
  auto out =
      interpret(m.graph, {{"y0", f32Tensor({2}, y)}, {"w", f32Tensor({2}, w)}});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j) {
      y[j] += i;
      ys.push_back(y[j] * w[j]);
    }
  for (int j = 0; j < 2; ++j)
    EXPECT_EQ(out.at("y").elementAsDouble(j), y[j]);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(out.at("ys").elementAsDouble(i), ys[i]) << i;
}

TEST(OnnxImporterTest, LoopsThatMayStopEarlyAreUnsupported) {
  // A trip count known only when the model runs.
  onnx::ModelProto dynamic = loopModel();
  dynamic.mutable_graph()->clear_initializer();
  addOnnxInput(dynamic, "trips", onnx::TensorProto::INT64, {});
  EXPECT_NE(importError(dynamic).find("the trip count of a Loop"),
            std::string::npos)
      << importError(dynamic);
  // A condition the body computes.
  onnx::ModelProto computed = loopModel("Not");
  EXPECT_NE(importError(computed).find("computes its condition"),
            std::string::npos)
      << importError(computed);
}

TEST(OnnxImporterTest, ScanDirectionsThatDifferAreUnsupported) {
  onnx::ModelProto m = scanModel();
  auto *scan = m.mutable_graph()->mutable_node(0);
  for (auto &a : *scan->mutable_attribute())
    if (a.name() == "scan_output_directions")
      a.set_ints(0, 0);
  EXPECT_NE(importError(m).find("scan directions that differ"),
            std::string::npos);
}

} // namespace
