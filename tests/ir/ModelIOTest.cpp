//===- ModelIOTest.cpp - Model files: round trips and file errors ---------===//
#include "ir/ModelIO.h"

#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/TextFormat.h"
#include "proto/adjoint.pb.h"
#include "tests/support/TempDir.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace adjoint;
using adjoint::testing::slurp;
using adjoint::testing::TempDir;

namespace {

TensorType ty(DType d, Shape s) { return {d, std::move(s)}; }

Tensor tensorOf(DType d, Shape s, std::vector<double> values) {
  return Tensor::fromDoubles(d, std::move(s), values);
}

/// A model that uses every dtype, every attribute kind an op takes, literal
/// and recipe parameters of every initializer kind, and a training spec.
Model richModel() {
  Model m;
  m.graph.setName("everything");
  Builder b(m.graph);
  Value *x = b.input("x", ty(DType::F32, {2, 3}));
  b.input("xd", ty(DType::F64, {3}));
  Value *xi = b.input("xi", ty(DType::I32, {2}));
  b.input("xl", ty(DType::I64, {}));
  Value *xb = b.input("xb", ty(DType::Bool, {2, 3}));
  b.input("xu", ty(DType::U8, {4}));

  Value *w = b.param(
      "w", tensorOf(DType::F32, {3, 4},
                    {1, -2, 3.5, 0, 1e-30, 7, 8, 9, 10, 11, -12, 0.25}));
  b.param("p64", tensorOf(DType::F64, {2}, {1e-300, -0.0}));
  b.param("pi32", tensorOf(DType::I32, {3}, {-1, 0, 2147483647}));
  b.param("pi64", tensorOf(DType::I64, {2}, {-9e15, 42}));
  b.param("pbool", tensorOf(DType::Bool, {2, 2}, {1, 0, 0, 1}));
  b.param("pu8", tensorOf(DType::U8, {3}, {0, 128, 255}));
  b.param("pempty", Tensor(ty(DType::F32, {0, 5})));

  using K = InitSpec::Kind;
  b.param("glorot", ty(DType::F32, {3, 4}), glorotUniform(7));
  b.param("glorotn", ty(DType::F32, {3, 4}), InitSpec{K::GlorotNormal, 8});
  b.param("hen", ty(DType::F64, {4, 2}), heNormal(9));
  b.param("heu", ty(DType::F32, {2, 2, 3, 3}), heUniform(10));
  b.param("uni", ty(DType::F32, {5}),
          InitSpec{K::Uniform, 11, 0, -2.0, 3.0, 0, 1});
  b.param("nrm", ty(DType::F64, {5}), InitSpec{K::Normal, 12, 0, 0, 1, 1, 0.5});
  b.param("cst", ty(DType::I32, {2}), InitSpec{K::Constant, 0, 2.5});
  b.param("one", ty(DType::U8, {2}), InitSpec{K::Ones});
  b.param("zero", ty(DType::Bool, {2}), zerosInit());

  Value *mm = b.matmul(x, w);                                  // no attributes
  Value *sum = b.reduceSum(mm, std::vector<int64_t>{1}, true); // ints, bool
  Value *casted = b.cast(xi, DType::F32);                      // dtype
  Value *io = b.iota(DType::I64, {2, 3}, 1);   // dtype, ints, int
  Value *padded = b.pad(x, {0, 1, 0, 1}, 1.5); // ints, float
  Value *k = b.constant(tensorOf(DType::F32, {3}, {1, 2, 3})); // tensor
  Value *cat = b.concat({x, x}, 0);                            // int
  Value *sel = b.select(xb, x, b.add(x, k));
  Value *loss = b.reduceSum(mm, std::nullopt);
  b.output("y", mm);
  b.output("sum", sum);
  b.output("casted", casted);
  b.output("iota", io);
  b.output("padded", padded);
  b.output("cat", cat);
  b.output("sel", sel);
  b.output("loss", loss);
  m.training = TrainingSpec("loss");
  OptimizerConfig adamw;
  adamw.kind = OptimizerKind::AdamW;
  adamw.lr = 3e-4;
  adamw.beta2 = 0.98;
  adamw.weightDecay = 0;
  m.training->optimizer = adamw;
  m.training->batchSize = 2;
  m.training->epochs = 7;
  m.training->features = "x";
  m.training->labels = "xb";
  m.training->predictions = "y";
  return m;
}

/// The canonical bytes of a model, for comparing two models.
std::string canonical(const Model &m) {
  std::string out;
  EXPECT_TRUE(toProto(m).SerializeToString(&out));
  return out;
}

void expectSameModel(const Model &a, const Model &b) {
  EXPECT_EQ(canonical(a), canonical(b));
  ASSERT_EQ(a.graph.params().size(), b.graph.params().size());
  for (size_t i = 0; i < a.graph.params().size(); ++i) {
    const Param &pa = a.graph.params()[i], &pb = b.graph.params()[i];
    EXPECT_TRUE(pa.data.identical(pb.data)) << pa.value->name();
    EXPECT_EQ(pa.init, pb.init) << pa.value->name();
  }
  ASSERT_EQ(a.graph.nodes().size(), b.graph.nodes().size());
  for (size_t i = 0; i < a.graph.nodes().size(); ++i)
    EXPECT_TRUE(a.graph.nodes()[i]->attrs() == b.graph.nodes()[i]->attrs());
  EXPECT_EQ(a.training, b.training);
}

/// The message of the BadInput error `fn` throws ("" and a failure if none).
template <typename Fn> std::string errorOf(Fn &&fn, ErrorKind kind) {
  try {
    fn();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

std::string loadError(const std::string &path) {
  return errorOf([&] { loadModel(path); }, ErrorKind::BadInput);
}

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "message: " << (haystack) << "\nmissing: " << (needle)

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(ModelIO, BinaryRoundTripKeepsEverything) {
  TempDir dir;
  Model m = richModel();
  saveModel(m, dir.file("m.pb"));
  expectSameModel(m, loadModel(dir.file("m.pb")));
}

TEST(ModelIO, ProtoTextRoundTripKeepsEverything) {
  TempDir dir;
  Model m = richModel();
  saveModel(m, dir.file("m.pbtxt"));
  expectSameModel(m, loadModel(dir.file("m.pbtxt")));
}

TEST(ModelIO, BinaryToTextToBinaryIsByteIdentical) {
  TempDir dir;
  saveModel(richModel(), dir.file("a.pb"));
  saveModel(loadModel(dir.file("a.pb")), dir.file("b.pbtxt"));
  saveModel(loadModel(dir.file("b.pbtxt")), dir.file("c.pb"));
  saveModel(loadModel(dir.file("c.pb")), dir.file("d.pbtxt"));
  EXPECT_EQ(slurp(dir.file("a.pb")), slurp(dir.file("c.pb")));
  EXPECT_EQ(slurp(dir.file("b.pbtxt")), slurp(dir.file("d.pbtxt")));
  EXPECT_FALSE(slurp(dir.file("a.pb")).empty());
}

TEST(ModelIO, RawDataIsLittleEndianAndBitExact) {
  // 1.0f, -0.0f, a NaN with a payload, the smallest denormal.
  const uint32_t bits[] = {0x3f800000u, 0x80000000u, 0x7fc00001u, 1u};
  Tensor t(ty(DType::F32, {4}));
  std::memcpy(t.bytes(), bits, sizeof bits);
  Model m;
  Builder b(m.graph);
  b.output("w", b.param("w", t));

  const std::string expected("\x00\x00\x80\x3f\x00\x00\x00\x80"
                             "\x01\x00\xc0\x7f\x01\x00\x00\x00",
                             16);
  EXPECT_EQ(toProto(m).graph().params(0).raw_data(), expected);

  TempDir dir;
  saveModel(m, dir.file("m.pb"));
  EXPECT_NE(slurp(dir.file("m.pb")).find(expected), std::string::npos);
  for (const char *name : {"m.pb", "m.pbtxt"}) {
    saveModel(m, dir.file(name));
    Model back = loadModel(dir.file(name));
    EXPECT_EQ(
        std::memcmp(back.graph.params()[0].data.bytes(), bits, sizeof bits), 0)
        << name;
  }
}

TEST(ModelIO, RecipeParametersStayRecipes) {
  TempDir dir;
  Model m = richModel();
  saveModel(m, dir.file("m.pb"));
  proto::Model p = toProto(m);
  Model back = loadModel(dir.file("m.pb"));
  int recipes = 0;
  for (int i = 0; i < p.graph().params_size(); ++i) {
    const Param &param = back.graph.params()[(size_t)i];
    EXPECT_EQ(p.graph().params(i).has_initializer(), param.init.has_value());
    if (!param.init)
      continue;
    ++recipes;
    EXPECT_TRUE(
        param.data.identical(materialize(*param.init, param.value->type())));
  }
  EXPECT_EQ(recipes, 9);
}

TEST(ModelIO, TextIRRoundTrip) {
  TempDir dir;
  Model m = richModel();
  try {
    saveModel(m, dir.file("m.adj"));
  } catch (const Error &e) {
    if (std::string(e.what()).find("not available in this build") !=
        std::string::npos)
      GTEST_SKIP() << e.what();
    throw;
  }
  expectSameModel(m, loadModel(dir.file("m.adj")));
}

TEST(ModelIO, FormatByExtension) {
  EXPECT_EQ(modelFormatOf("a/b.pb"), ModelFormat::Binary);
  EXPECT_EQ(modelFormatOf("b.pbtxt"), ModelFormat::ProtoText);
  EXPECT_EQ(modelFormatOf("dir.x/b.adj"), ModelFormat::TextIR);
  std::string msg =
      errorOf([] { modelFormatOf("model.onnx"); }, ErrorKind::BadInput);
  EXPECT_CONTAINS(msg, "model.onnx: unknown file extension '.onnx'");
  EXPECT_CONTAINS(msg, ".pb, .pbtxt or .adj");
  EXPECT_CONTAINS(errorOf([] { modelFormatOf("model"); }, ErrorKind::BadInput),
                  "model: no file extension");
}

//===----------------------------------------------------------------------===//
// Files that cannot be read as models
//===----------------------------------------------------------------------===//

TEST(ModelIOErrors, UnknownExtension) {
  TempDir dir;
  std::string path = dir.write("m.json", "{}");
  EXPECT_CONTAINS(loadError(path), path + ": unknown file extension '.json'");
  std::string msg = errorOf([&] { saveModel(richModel(), dir.file("m.txt")); },
                            ErrorKind::BadInput);
  EXPECT_CONTAINS(msg, "m.txt: unknown file extension '.txt'");
}

TEST(ModelIOErrors, MissingFile) {
  TempDir dir;
  EXPECT_CONTAINS(loadError(dir.file("nope.pb")), "nope.pb: no such file");
}

TEST(ModelIOErrors, DirectoryInsteadOfFile) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("d.pbtxt"));
  EXPECT_CONTAINS(loadError(dir.file("d.pbtxt")), "d.pbtxt: is a directory");
}

TEST(ModelIOErrors, FifoIsRejectedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("f.pb").c_str(), 0600), 0);
  EXPECT_CONTAINS(loadError(dir.file("f.pb")), "f.pb: not a regular file");
}

TEST(ModelIOErrors, UnreadableFile) {
  // /proc/self/mem is a regular file whose first page cannot be read, which
  // fails even for root (who may read any file whatever its mode).
  if (::access("/proc/self/mem", F_OK) != 0)
    GTEST_SKIP() << "no /proc/self/mem";
  TempDir dir;
  std::filesystem::create_symlink("/proc/self/mem", dir.file("mem.pb"));
  std::string msg = loadError(dir.file("mem.pb"));
  EXPECT_CONTAINS(msg, "mem.pb: cannot read");
}

TEST(ModelIOErrors, EmptyFile) {
  TempDir dir;
  EXPECT_CONTAINS(loadError(dir.write("e.pb", "")), "e.pb: the file is empty");
  EXPECT_CONTAINS(loadError(dir.write("e.pbtxt", "\n  \n")),
                  "e.pbtxt: the file is empty");
}

TEST(ModelIOErrors, NotAProtobuf) {
  TempDir dir;
  std::string msg = loadError(dir.write("junk.pb", "graph { name: \"g\" }"));
  EXPECT_CONTAINS(msg, "junk.pb: not a valid binary protobuf model");
}

TEST(ModelIOErrors, TruncatedBinary) {
  TempDir dir;
  saveModel(richModel(), dir.file("full.pb"));
  std::string bytes = slurp(dir.file("full.pb"));
  // Cut inside the data of the first parameter, and at a few other places.
  for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    std::string path = dir.write("cut.pb", bytes.substr(0, cut));
    std::string msg = loadError(path);
    EXPECT_CONTAINS(msg, "cut.pb");
  }
  std::string msg = loadError(dir.write("cut.pb", bytes.substr(0, 100)));
  EXPECT_CONTAINS(msg, "cut.pb: not a valid binary protobuf model");
}

TEST(ModelIOErrors, InvalidUtf8IsAnErrorNotALog) {
  TempDir dir;
  // Model.graph (field 3) = Graph{name (field 1) = "\xff"}.
  std::string path = dir.write("utf.pb", std::string("\x1a\x03\x0a\x01\xff"));
  ::testing::internal::CaptureStderr();
  std::string msg = loadError(path);
  std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_CONTAINS(msg, "utf.pb: not a valid binary protobuf model");
  EXPECT_CONTAINS(msg, "UTF-8");
  EXPECT_EQ(logged, "");
}

TEST(ModelIOErrors, BinaryOverTwoGiB) {
  TempDir dir;
  std::string path = dir.file("huge.pb");
  { std::ofstream(path).put('\0'); }
  // A sparse file: no disk space used, and never read.
  ASSERT_EQ(::truncate(path.c_str(), (off_t)3 << 30), 0);
  EXPECT_CONTAINS(loadError(path),
                  "huge.pb: the file is 3221225472 bytes, over the 2 GiB "
                  "limit of binary protobuf");
}

TEST(ModelIOErrors, TextSyntaxErrorNamesLineAndColumn) {
  TempDir dir;
  std::string path = dir.write("syn.pbtxt", "format_version: 1\n"
                                            "graph {\n"
                                            "  name: \"g\"\n"
                                            "  nodez { op: \"relu\" }\n"
                                            "}\n");
  std::string msg = loadError(path);
  EXPECT_CONTAINS(msg, path + ":4:");
  EXPECT_CONTAINS(msg, "has no field named \"nodez\"");
  std::string unterminated =
      dir.write("syn2.pbtxt", "graph {\n  name: \"g\n}\n");
  EXPECT_CONTAINS(loadError(unterminated), unterminated + ":2:");
  std::string unclosed = dir.write("syn3.pbtxt", "graph {\n  name: \"g\"\n");
  EXPECT_CONTAINS(loadError(unclosed), unclosed + ":3:");
}

TEST(ModelIOErrors, NewerFormatVersion) {
  TempDir dir;
  std::string path = dir.write("v.pbtxt", "format_version: 7\n"
                                          "graph { name: \"g\" }\n");
  EXPECT_EQ(loadError(path),
            path + ": model format version 7 is newer than this adjoint "
                   "supports (1)");
}

TEST(ModelIO, MissingFormatVersionMeansVersionOne) {
  TempDir dir;
  std::string path = dir.write(
      "v0.pbtxt", "graph {\n"
                  "  name: \"g\"\n"
                  "  inputs { name: \"x\" type { dtype: F32 dims: 2 } }\n"
                  "  nodes { op: \"relu\" operands: \"x\" result: \"y\" }\n"
                  "  outputs { name: \"out\" value: \"y\" }\n"
                  "}\n");
  Model m = loadModel(path);
  // Node types are optional: the result type was inferred.
  EXPECT_EQ(m.graph.nodes()[0]->result()->type(), ty(DType::F32, {2}));
  EXPECT_FALSE(m.training.has_value());
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

TEST(ModelIOSave, MissingDirectoryIsAnErrorNamingThePath) {
  TempDir dir;
  std::string path = dir.file("no/such/dir/m.pb");
  std::string msg =
      errorOf([&] { saveModel(richModel(), path); }, ErrorKind::Failed);
  EXPECT_CONTAINS(msg, path + ": cannot write");
}

TEST(ModelIOSave, InvalidModelLeavesTheOldFile) {
  TempDir dir;
  std::string path = dir.file("m.pb");
  saveModel(richModel(), path);
  std::string before = slurp(path);
  Model bad;
  Builder b(bad.graph);
  b.relu(b.input("x", ty(DType::F32, {2}))); // no outputs
  for (const char *name : {"m.pb", "m.pbtxt"}) {
    std::string msg =
        errorOf([&] { saveModel(bad, dir.file(name)); }, ErrorKind::BadInput);
    EXPECT_CONTAINS(msg, std::string(name) +
                             ": cannot save an invalid model: graph main has "
                             "no outputs");
  }
  EXPECT_EQ(slurp(path), before);
  // Nothing else, such as a temporary file, was left behind.
  size_t files = 0;
  for (auto &entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(ModelIOSave, LossMustBeAScalarOutput) {
  TempDir dir;
  Model m = richModel();
  m.training = TrainingSpec{"y"};
  EXPECT_CONTAINS(
      errorOf([&] { saveModel(m, dir.file("m.pb")); }, ErrorKind::BadInput),
      "training: the loss 'y' must be a float scalar, not "
      "f32[2,4]");
  m.training = TrainingSpec{"nothing"};
  EXPECT_CONTAINS(
      errorOf([&] { saveModel(m, dir.file("m.pb")); }, ErrorKind::BadInput),
      "the loss 'nothing' is not an output of the graph");
}

TEST(ModelIOSave, NamesThatAreNotUtf8CannotBeWrittenAsBinary) {
  TempDir dir;
  Model m;
  Builder b(m.graph);
  b.output("out", b.relu(b.input("x\xff", ty(DType::F32, {2}))));
  ::testing::internal::CaptureStderr();
  std::string msg =
      errorOf([&] { saveModel(m, dir.file("m.pb")); }, ErrorKind::Failed);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_CONTAINS(msg, "m.pb: cannot serialize the model (");
  EXPECT_CONTAINS(msg, "invalid UTF-8");
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.pb")));
}

TEST(ModelIOSave, ReplacesAFileAndFollowsSymlinks) {
  TempDir dir;
  std::string real = dir.file("real.pbtxt"), link = dir.file("link.pbtxt");
  dir.write("real.pbtxt", "old contents");
  std::filesystem::create_symlink(real, link);
  saveModel(richModel(), link);
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  expectSameModel(richModel(), loadModel(real));
  struct stat st;
  ASSERT_EQ(::stat(real.c_str(), &st), 0);
  // The file gets the usual mode for new files, not a private temporary's.
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

} // namespace
