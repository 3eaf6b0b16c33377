//===- EveryBatchAotTest.cpp - NAME_run_batch against the JIT, bit for bit
//-===//
//
// A model with a symbolic batch compiles ahead of time into one object whose
// NAME_run_batch runs any batch; a C program runs it at two batches (with a
// heap arena and with its own) and must write exactly what the JIT computes.
//
//===----------------------------------------------------------------------===//
#include "tests/aot/AotTestSupport.h"

#include "compiler/Executable.h"
#include "ir/Specialize.h"
#include "ir/TextFormat.h"

#include <random>

namespace adjoint::test {
namespace {

const char *kModel = R"(
graph mlp(%x: f32[N,20], %y: i64[N]) params(%w1: f32[20,16] = glorot_uniform(seed=1), %b1: f32[16] = normal(stddev=0.1, seed=2), %w2: f32[16,10] = glorot_uniform(seed=3)) {
  %0 = matmul(%x, %w1) : f32[N,16]
  %1 = add(%0, %b1) : f32[N,16]
  %2 = tanh(%1) : f32[N,16]
  %3 = matmul(%2, %w2) : f32[N,10]
  %4 = reduce_max(%3) {axes = [-1], keepdims = true} : f32[N,1]
  %5 = sub(%3, %4) : f32[N,10]
  %6 = exp(%5) : f32[N,10]
  %7 = reduce_sum(%6) {axes = [-1], keepdims = true} : f32[N,1]
  %8 = div(%6, %7) : f32[N,10]
  %9 = one_hot(%y) {depth = 10} : f32[N,10]
  %10 = mul(%9, %8) : f32[N,10]
  %11 = reduce_mean(%10) : f32[]
  return probs = %8, score = %11
}
)";

/// Reads x and y for batch argv[3] from argv[1], runs m_run_batch with a
/// heap arena (argv[4] = 0) or its own, and writes probs and score to
/// argv[2]; checks the calls a batch below 1 makes.
const char *kDriver = R"(#include "m.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  if (argc != 5) return 10;
  int64_t n = atoll(argv[3]);
  if (m_arena_bytes(0) != 0 || m_run_batch(0, NULL, NULL, NULL) != -1)
    return 11;
  size_t xb = m_X_BYTES(n), yb = m_Y_BYTES(n), pb = m_PROBS_BYTES(n);
  void *x = malloc(xb), *y = malloc(yb), *p = malloc(pb);
  float score = 0;
  FILE *in = fopen(argv[1], "rb");
  if (!in || fread(x, 1, xb, in) != xb || fread(y, 1, yb, in) != yb)
    return 12;
  fclose(in);
  void *arena = NULL;
  if (atoi(argv[4]))
    arena = aligned_alloc(64, (m_arena_bytes(n) + 63) / 64 * 64 + 64);
  const void *inputs[] = {x, y};
  void *outputs[] = {p, &score};
  if (m_run_batch(n, inputs, outputs, arena) != 0) return 13;
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(p, 1, pb, out) != pb ||
      fwrite(&score, 1, sizeof score, out) != sizeof score)
    return 14;
  fclose(out);
  free(arena);
  free(x);
  free(y);
  free(p);
  return 0;
}
)";

TEST(EveryBatchAot, RunBatchMatchesTheJitAtEveryBatch) {
  TempDir dir;
  writeFile(dir / "m.adj", kModel);
  ProcessResult c = runCli({"compile", dir / "m.adj", "-o", dir / "m.o",
                            "--header", dir / "m.h", "--name", "m"});
  ASSERT_EQ(c.status, 0) << c.err;
  std::string header = readFile(dir / "m.h");
  EXPECT_NE(header.find("int m_run_batch(int64_t batch"), std::string::npos);
  EXPECT_NE(header.find("size_t m_arena_bytes(int64_t batch);"),
            std::string::npos);
  EXPECT_NE(header.find("m_x_shape[2] = {-1, 20};"), std::string::npos);
  EXPECT_EQ(header.find("int m_run("), std::string::npos);
  writeFile(dir / "driver.c", kDriver);
  ProcessResult b = buildProgram(dir / "driver.c", dir / "driver",
                                 {dir / "m.o"}, dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;

  Graph g = parseModel(kModel).graph;
  auto jit = compile(g);
  std::mt19937_64 rng(7);
  for (int64_t n : {1, 2, 3, 7, 64, 1000}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    Tensor x(TensorType{DType::F32, {n, 20}});
    Tensor y(TensorType{DType::I64, {n}});
    std::uniform_real_distribution<float> u(-1, 1);
    for (int64_t i = 0; i < n * 20; ++i)
      x.data<float>()[i] = u(rng);
    for (int64_t i = 0; i < n; ++i)
      y.data<int64_t>()[i] = (int64_t)(rng() % 10);
    auto want = jit->run({{"x", x}, {"y", y}});
    writeFile(dir / "in.bin", bytesOf({x, y}));
    for (const char *ownArena : {"0", "1"}) {
      ProcessResult r =
          runProgram(dir / "driver", {dir / "in.bin", dir / "out.bin",
                                      std::to_string(n), ownArena});
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(readFile(dir / "out.bin"),
                bytesOf({want.at("probs"), want.at("score")}))
          << "own arena " << ownArena;
    }
  }
}

TEST(EveryBatchAot, CxxClassTakesTheBatch) {
  TempDir dir;
  writeFile(dir / "m.adj", kModel);
  ProcessResult c = runCli({"compile", dir / "m.adj", "-o", dir / "m.o",
                            "--header", dir / "m.h", "--name", "mlp"});
  ASSERT_EQ(c.status, 0) << c.err;
  writeFile(dir / "main.cpp", R"(#include "m.h"
#include <cstdio>
int main() {
  const int64_t batches[] = {1, 9};
  for (int64_t n : batches) {
    adjoint_model::mlp model(n);
    if (model.batch() != n) return 1;
    for (int64_t i = 0; i < n * 20; ++i) model.x()[i] = float(i % 7) / 7.0f;
    for (int64_t i = 0; i < n; ++i) model.y()[i] = i % 10;
    if (model.run() != 0) return 2;
    float sum = 0;
    for (int i = 0; i < 10; ++i) sum += model.probs()[(n - 1) * 10 + i];
    if (sum < 0.999f || sum > 1.001f) return 3;
  }
  std::printf("ok\n");
  return 0;
}
)");
  for (const char *cc : {"/usr/bin/clang-19", "/usr/bin/gcc"}) {
    writeFile(dir / "use.c",
              "#include \"m.h\"\nint main(void) { return 0; }\n");
    ProcessResult h = runProgram(cc, {"-std=c11", "-Wall", "-Wextra", "-Werror",
                                      "-pedantic", "-fsyntax-only", "-I",
                                      dir.path().string(), dir / "use.c"});
    EXPECT_EQ(h.status, 0) << cc << ": " << h.err;
  }
  ProcessResult b = buildCxxProgram(dir / "main.cpp", dir / "main",
                                    {dir / "m.o"}, dir.path().string());
  ASSERT_EQ(b.status, 0) << b.err;
  ProcessResult run = runProgram(dir / "main", {});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "ok\n");
}

} // namespace
} // namespace adjoint::test
