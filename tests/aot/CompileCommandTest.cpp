//===- CompileCommandTest.cpp - `adjoint compile`: outputs and errors -----===//
#include "tests/aot/AotTestSupport.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace adjoint::test {
namespace {

std::string example(const std::string &name) {
  return sourcePath("examples/" + name);
}

/// Symbols `nm -u` lists for `object`.
std::vector<std::string> undefinedSymbols(const std::string &object) {
  ProcessResult r = runProgram("/usr/bin/nm", {"-u", "-j", object});
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::string> names;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      names.push_back(line);
  return names;
}

TEST(CompileCommand, ObjectNeedsOnlyTheRuntimeAndTheCLibrary) {
  // C library and libm functions generated code may call.
  const std::set<std::string> libc = {
      "memcpy", "memmove", "memset", "getenv", "fopen",      "fread",
      "fgetc",  "fclose",  "powf",   "pow",    "expf",       "exp",
      "logf",   "log",     "tanhf",  "tanh",   "fmodf",      "fmod",
      "sqrtf",  "sqrt",    "erff",   "erf",    "floorf",     "floor",
      "ceilf",  "ceil",    "roundf", "round",  "nearbyintf", "nearbyint"};
  TempDir dir;
  ProcessResult r =
      runCli({"compile", example("fashion_cnn.pbtxt"), "-o", dir / "m.o",
              "--header", dir / "m.h", "--train", "--threads", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> symbols = undefinedSymbols(dir / "m.o");
  EXPECT_FALSE(symbols.empty());
  bool runtime = false;
  for (const std::string &s : symbols) {
    bool ours = s.rfind("adjoint_rt_", 0) == 0;
    runtime |= ours;
    EXPECT_TRUE(ours || libc.count(s)) << "unexpected symbol " << s;
  }
  EXPECT_TRUE(runtime);
}

TEST(CompileCommand, ReadOnlyWeightsArePackedOnce) {
  // A library whose parameters are read-only data calls the GEMM that
  // packs a weight once (its results equal the JIT's: AotCompilerTest);
  // one whose weights come from a file (they can be set), or a training
  // step, which updates them, packs them on every run.
  TempDir dir;
  auto packs = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = {"compile",  example("fashion_mlp.pbtxt"),
                                     "-o",       dir / "m.o",
                                     "--header", dir / "m.h"};
    args.insert(args.end(), flags.begin(), flags.end());
    ProcessResult r = runCli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<std::string> symbols = undefinedSymbols(dir / "m.o");
    return std::find(symbols.begin(), symbols.end(),
                     "adjoint_rt_gemm_fixed_b_f32") != symbols.end();
  };
  EXPECT_TRUE(packs({}));
  EXPECT_FALSE(packs({"--weights", dir / "m.weights"}));
  EXPECT_FALSE(packs({"--train"}));
}

TEST(CompileCommand, ProgramLinksNoLlvmOrProtobuf) {
  TempDir dir;
  ProcessResult r =
      runCli({"compile", example("fashion_mlp.pbtxt"), "-o", dir / "m.a",
              "--header", dir / "m.h", "--name", "m", "--batch", "32"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(readFile(dir / "m.a").rfind("!<arch>\n", 0), 0u);
  writeFile(dir / "main.c", "#include \"m.h\"\n"
                            "#include <stdio.h>\n"
                            "int main(void) {\n"
                            "  static float x[m_X_BYTES / 4];\n"
                            "  static int64_t y[m_Y_BYTES / 8];\n"
                            "  static float p[m_PROBS_BYTES / 4], "
                            "l[m_LOGITS_BYTES / 4], loss;\n"
                            "  const void *in[] = {x, y};\n"
                            "  void *out[] = {p, l, &loss};\n"
                            "  int rc = m_run(in, out, NULL);\n"
                            "  printf(\"%d %.3f\\n\", rc, p[0] * 10);\n"
                            "  return rc;\n}\n");
  ProcessResult b = buildProgram(dir / "main.c", dir / "main", {dir / "m.a"},
                                 dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;
  ProcessResult run = runProgram(dir / "main", {});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "0 1.000\n"); // zero inputs: uniform probabilities
  ProcessResult ldd = runProgram("/usr/bin/ldd", {dir / "main"});
  ASSERT_EQ(ldd.status, 0) << ldd.err;
  std::istringstream in(ldd.out);
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(line.find("LLVM"), std::string::npos) << line;
    EXPECT_EQ(line.find("protobuf"), std::string::npos) << line;
    bool known = false;
    for (const char *lib : {"linux-vdso", "libc.so", "libm.so", "libstdc++",
                            "libgcc_s", "ld-linux", "libpthread"})
      known |= line.find(lib) != std::string::npos;
#ifdef ADJOINT_SANITIZE
    known |= line.find("libresolv") != std::string::npos; // ASan's run-time
#endif
    EXPECT_TRUE(known) << "unexpected dependency: " << line;
  }
}

TEST(CompileCommand, SharedLibraryStandsAlone) {
  TempDir dir;
  ProcessResult r =
      runCli({"compile", example("fashion_mlp.pbtxt"), "-o", dir / "libm1.so",
              "--header", dir / "m1.h", "--name", "m1"});
  ASSERT_EQ(r.status, 0) << r.err;
  ProcessResult ldd = runProgram("/usr/bin/ldd", {dir / "libm1.so"});
  ASSERT_EQ(ldd.status, 0) << ldd.err;
  EXPECT_EQ(ldd.out.find("libstdc++"), std::string::npos) << ldd.out;
  EXPECT_EQ(ldd.out.find("LLVM"), std::string::npos) << ldd.out;
  std::vector<std::string> symbols = undefinedSymbols(dir / "libm1.so");
  for (const std::string &s : symbols)
    EXPECT_NE(s.rfind("adjoint_rt_", 0), 0u) << s << " is not linked in";
}

TEST(CompileCommand, Aarch64ObjectsForGenericAndNamedCpus) {
  for (const char *cpu : {"generic", "cortex-a72", "neoverse-v1"}) {
    TempDir dir;
    ProcessResult r = runCli({"compile", example("fashion_cnn.pbtxt"), "-o",
                              dir / "m.o", "--header", dir / "m.h", "--train",
                              "--target", "aarch64-linux-gnu", "--cpu", cpu});
    ASSERT_EQ(r.status, 0) << cpu << ": " << r.err;
    ProcessResult elf = runProgram("/usr/bin/readelf", {"-h", dir / "m.o"});
    EXPECT_NE(elf.out.find("AArch64"), std::string::npos) << elf.out;
    EXPECT_NE(elf.out.find("REL (Relocatable file)"), std::string::npos);
  }
}

TEST(CompileCommand, AnotherTargetDefaultsToItsGenericCpu) {
  // As clang does: --target alone needs no --cpu.
  TempDir dir;
  ProcessResult r =
      runCli({"compile", example("fashion_mlp.pbtxt"), "-o", dir / "m.o",
              "--header", dir / "m.h", "--target", "aarch64-linux-gnu"});
  ASSERT_EQ(r.status, 0) << r.err;
  ProcessResult elf = runProgram("/usr/bin/readelf", {"-h", dir / "m.o"});
  EXPECT_NE(elf.out.find("AArch64"), std::string::npos) << elf.out;
  EXPECT_NE(readFile(dir / "m.h").find("CPU generic"), std::string::npos);
}

TEST(CompileCommand, X86CpuLevels) {
  for (const char *cpu : {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"}) {
    TempDir dir;
    ProcessResult r = runCli({"compile", example("fashion_mlp.pbtxt"), "-o",
                              dir / "m.o", "--header", dir / "m.h", "--cpu",
                              cpu, "--target", "x86_64-linux-gnu"});
    ASSERT_EQ(r.status, 0) << cpu << ": " << r.err;
    ProcessResult elf = runProgram("/usr/bin/readelf", {"-h", dir / "m.o"});
    EXPECT_NE(elf.out.find("X86-64"), std::string::npos) << elf.out;
  }
}

TEST(CompileCommand, BadOptionsAreClearErrors) {
  TempDir dir;
  std::string m = example("fashion_mlp.pbtxt");
  std::vector<std::string> out = {"-o", dir / "m.o", "--header", dir / "m.h"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"compile", m};
    args.insert(args.end(), out.begin(), out.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return runCli(args);
  };
  expectError(with({"--target", "foo-unknown-none"}), 2,
              {"unsupported target 'foo-unknown-none'", "aarch64", "x86-64"});
  expectError(with({"--target", "aarch64-linux-gnu", "--cpu", "native"}), 2,
              {"--cpu native", "aarch64", "'generic'"});
  expectError(
      runCli({"compile", m, "-o", "/nonexistent/m.o", "--header", dir / "m.h"}),
      2, {"-o /nonexistent/m.o", "does not exist"});
  expectError(with({"--cpu", "pentium9"}), 2, {"unknown CPU 'pentium9'"});
  expectError(with({"--target", "aarch64-linux-gnu", "--cpu", "x86-64-v3"}), 2,
              {"unknown CPU 'x86-64-v3'", "aarch64"});
  expectError(with({"--name", "3d-model"}), 2,
              {"--name '3d-model' is not a C identifier"});
  expectError(with({"--threads", "-1"}), 2, {"--threads"});
  expectError(with({"--batch", "0"}), 2, {"--batch"});
  expectError(
      runCli({"compile", m, "-o", dir / "m.obj", "--header", dir / "m.h"}), 2,
      {"m.obj", ".o", ".a", ".so"});
  expectError(runCli({"compile", m, "-o", dir / "m.o"}), 2, {"--header"});
  expectError(runCli({"compile", m, "-o", dir / "m.so", "--header", dir / "m.h",
                      "--target", "aarch64-linux-gnu", "--cpu", "generic"}),
              2, {"shared library", "--target"});
  expectError(runCli({"compile", dir / "missing.pbtxt", "-o", dir / "m.o",
                      "--header", dir / "m.h"}),
              2, {"missing.pbtxt"});
  EXPECT_FALSE(std::filesystem::exists(dir / "m.o"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.h"));
}

TEST(CompileCommand, DefaultNameIsTheModelStem) {
  TempDir dir;
  std::filesystem::copy_file(example("fashion_mlp.pbtxt"),
                             dir / "my-model.v2.pbtxt");
  ProcessResult r = runCli({"compile", dir / "my-model.v2.pbtxt", "-o",
                            dir / "m.o", "--header", dir / "m.h"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string header = readFile(dir / "m.h");
  // The example's batch is symbolic: one entry for every batch.
  EXPECT_NE(header.find("int my_model_v2_run_batch("), std::string::npos);
  EXPECT_NE(header.find("class my_model_v2 {"), std::string::npos);
}

TEST(CompileCommand, BatchOption) {
  TempDir dir;
  ProcessResult r =
      runCli({"compile", example("fashion_cnn.pbtxt"), "-o", dir / "m.o",
              "--header", dir / "m.h", "--name", "cnn", "--batch", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string header = readFile(dir / "m.h");
  EXPECT_NE(header.find("cnn_x_shape[4] = {1, 1, 28, 28};"), std::string::npos)
      << header;
  EXPECT_NE(header.find("#define cnn_X_BYTES 3136"), std::string::npos);
}

} // namespace
} // namespace adjoint::test

namespace adjoint::test {
namespace {

// Outputs that are constants, graph inputs or the same value twice are
// copied after the kernels; a gather index out of range makes NAME_run
// return the failing node's index + 1.
TEST(CompileCommand, CopiedOutputsAndRuntimeErrors) {
  TempDir dir;
  writeFile(dir / "edge.adj", "graph edge(%x: f32[4], %i: i64[2]) {\n"
                              "  %c = constant() {value = f32[] [2]} : f32[]\n"
                              "  %g = gather(%x, %i) : f32[2]\n"
                              "  %n = neg(%x) : f32[4]\n"
                              "  return g = %g, c = %c, x2 = %x, n = %n, "
                              "n2 = %n\n}\n");
  ProcessResult r = runCli({"compile", dir / "edge.adj", "-o", dir / "e.o",
                            "--header", dir / "edge.h"});
  ASSERT_EQ(r.status, 0) << r.err;
  writeFile(dir / "main.c",
            "#include \"edge.h\"\n#include <stdio.h>\n"
            "int main(void) {\n"
            "  float x[4] = {1, 2, 3, 4}, g[2], c, x2[4], n[4], n2[4];\n"
            "  int64_t i[2] = {3, 0};\n"
            "  const void *in[] = {x, i};\n"
            "  void *out[] = {g, &c, x2, n, n2};\n"
            "  int ok = edge_run(in, out, NULL);\n"
            "  printf(\"%d %g %g %g %g %g %g\\n\", ok, g[0], g[1], c, x2[3], "
            "n[1], n2[2]);\n"
            "  i[1] = 4;\n"
            "  printf(\"%d\\n\", edge_run(in, out, NULL));\n"
            "  return edge_NUM_PARAMS;\n}\n");
  ProcessResult b = buildProgram(dir / "main.c", dir / "main", {dir / "e.o"},
                                 dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;
  ProcessResult run = runProgram(dir / "main", {});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "0 4 1 2 4 -2 -3\n2\n"); // gather is node 2 (index 1)
}

TEST(CompileCommand, TrainNeedsATrainingSpec) {
  TempDir dir;
  writeFile(dir / "plain.adj", "graph plain(%x: f32[4]) {\n"
                               "  %n = neg(%x) : f32[4]\n"
                               "  return n = %n\n}\n");
  expectError(runCli({"compile", dir / "plain.adj", "-o", dir / "p.o",
                      "--header", dir / "p.h", "--train"}),
              2, {"plain.adj", "training spec"});
}

} // namespace
} // namespace adjoint::test
