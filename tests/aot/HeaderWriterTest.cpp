//===- HeaderWriterTest.cpp - The generated header, in C and C++ ----------===//
#include "tests/aot/AotTestSupport.h"

#include "compiler/aot/HeaderWriter.h"

namespace adjoint::test {
namespace {

/// Compiles a header for every example, with and without training and
/// external weights, as C11 and C++17 with both compilers, warnings as
/// errors.
TEST(HeaderWriter, CompilesAsC11AndCxx17) {
  struct Variant {
    std::vector<std::string> flags;
  };
  for (const std::string &model : exampleNames())
    for (const Variant &v :
         {Variant{{}}, Variant{{"--train"}},
          Variant{{"--train", "--weights", "w.bin", "--threads", "2"}}}) {
      TempDir dir;
      std::vector<std::string> args = {
          "compile",  sourcePath("examples/" + model),
          "-o",       dir / "m.o",
          "--header", dir / "m.h"};
      for (const std::string &f : v.flags)
        args.push_back(f == "w.bin" ? dir / "w.bin" : f);
      ProcessResult r = runCli(args);
      ASSERT_EQ(r.status, 0) << r.err;
      writeFile(dir / "use.c",
                "#include \"m.h\"\nint main(void) { return 0; }\n");
      writeFile(dir / "use.cpp",
                "#include \"m.h\"\nint main() { return 0; }\n");
      for (const char *cc : {"/usr/bin/clang-19", "/usr/bin/gcc"}) {
        ProcessResult c =
            runProgram(cc, {"-std=c11", "-Wall", "-Wextra", "-Werror",
                            "-pedantic", "-fsyntax-only", dir / "use.c"});
        EXPECT_EQ(c.status, 0) << model << " C11 " << cc << ": " << c.err;
      }
      for (const char *cxx : {"/usr/bin/clang++-19", "/usr/bin/g++"}) {
        ProcessResult c =
            runProgram(cxx, {"-std=c++17", "-Wall", "-Wextra", "-Werror",
                             "-pedantic", "-fsyntax-only", dir / "use.cpp"});
        EXPECT_EQ(c.status, 0) << model << " C++17 " << cxx << ": " << c.err;
      }
    }
}

TEST(HeaderWriter, CxxClassRunsAndSteps) {
  TempDir dir;
  ProcessResult r = runCli({"compile", sourcePath("examples/fashion_mlp.pbtxt"),
                            "-o", dir / "m.o", "--header", dir / "m.h",
                            "--name", "mlp", "--train"});
  ASSERT_EQ(r.status, 0) << r.err;
  writeFile(dir / "main.cpp", R"(#include "m.h"
#include <cmath>
#include <cstdio>
#include <vector>
int main() {
  adjoint_model::mlp model;
  static_assert(adjoint_model::mlp::kArenaBytes == mlp_ARENA_BYTES, "");
  for (size_t i = 0; i < mlp_X_BYTES / sizeof(float); ++i)
    model.x()[i] = float(i % 7) / 7.0f;
  for (size_t i = 0; i < mlp_Y_BYTES / sizeof(int64_t); ++i)
    model.y()[i] = int64_t(i % 10);
  if (model.run() != 0) return 1;
  float before = *model.loss();
  for (int s = 0; s < 20; ++s)
    if (model.step() != 0 || !std::isfinite(*model.step_loss())) return 2;
  if (model.run() != 0) return 3;
  // Training on one batch lowers its loss; the parameters changed in place.
  if (!(*model.loss() < before)) return 4;
  std::vector<unsigned char> w(mlp_param_bytes(0));
  if (mlp_get_param(0, w.data()) != 0 || mlp_set_param(0, w.data()) != 0)
    return 5;
  if (mlp_get_param(mlp_NUM_PARAMS, w.data()) != -1 ||
      mlp_param_name(mlp_NUM_PARAMS) != nullptr || mlp_param_bytes(-1) != 0)
    return 6;
  std::printf("%s %d\n", mlp_param_name(0), mlp_NUM_PARAMS);
  return 0;
}
)");
  ProcessResult b = buildCxxProgram(dir / "main.cpp", dir / "main",
                                    {dir / "m.o"}, dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;
  ProcessResult run = runProgram(dir / "main", {});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "fc1_w 4\n");
}

TEST(HeaderWriter, ReadOnlyParametersAndWeightsErrors) {
  TempDir dir;
  ProcessResult r = runCli({"compile", sourcePath("examples/fashion_mlp.pbtxt"),
                            "-o", dir / "m.o", "--header", dir / "m.h",
                            "--name", "mlp", "--weights", dir / "w.bin"});
  ASSERT_EQ(r.status, 0) << r.err;
  ProcessResult c =
      runCli({"compile", sourcePath("examples/fashion_mlp.pbtxt"), "-o",
              dir / "c.o", "--header", dir / "c.h", "--name", "constant"});
  ASSERT_EQ(c.status, 0) << c.err;
  writeFile(dir / "main.c", R"(#include "m.h"
#include "c.h"
#include <stdio.h>
int main(int argc, char **argv) {
  static unsigned char buf[1 << 20];
  if (argc < 3) return 9;
  if (mlp_load_weights(argv[2]) != -1) return 1;  /* wrong size */
  if (mlp_load_weights("/nonexistent/w.bin") != -1) return 2;
  if (mlp_load_weights(argv[1]) != 0) return 3;
  if (mlp_get_param(0, buf) != 0 || mlp_set_param(0, buf) != 0) return 4;
  if (constant_set_param(0, buf) != -1) return 5;  /* read-only data */
  if (constant_get_param(0, buf) != 0) return 6;
  return 0;
}
)");
  writeFile(dir / "short.bin", "abc");
  ProcessResult b =
      buildProgram(dir / "main.c", dir / "main", {dir / "m.o", dir / "c.o"},
                   dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;
  ProcessResult run =
      runProgram(dir / "main", {dir / "w.bin", dir / "short.bin"});
  EXPECT_EQ(run.status, 0) << run.err;
}

TEST(HeaderWriter, TensorIdentifiers) {
  EXPECT_EQ(aot::tensorIdentifier("fc1.weight"), "fc1_weight");
  EXPECT_EQ(aot::tensorIdentifier("0out"), "_0out");
  EXPECT_EQ(aot::tensorIdentifier("a-b c"), "a_b_c");
}

} // namespace
} // namespace adjoint::test
