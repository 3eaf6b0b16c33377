//===- AotTestSupport.cpp - Building programs around compiled models ------===//
#include "tests/aot/AotTestSupport.h"

#include <random>
#include <sstream>

namespace adjoint::test {

std::map<std::string, Tensor> exampleBatch(const Graph &g, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<std::string, Tensor> batch;
  for (const Value *v : g.inputs()) {
    Tensor t(v->type());
    bool oneHot = v->name() != "x" && v->type().dtype == DType::F32 &&
                  v->type().shape.size() == 2;
    for (int64_t i = 0; i < t.numElements(); ++i) {
      double value;
      if (v->type().dtype == DType::I64)
        value = (double)(rng() % 10);
      else if (oneHot)
        value = (i % v->type().shape[1]) ==
                        (int64_t)((i / v->type().shape[1]) * 7 % 10)
                    ? 1.0
                    : 0.0;
      else
        value = std::uniform_real_distribution<double>(-1, 1)(rng);
      t.setElementFromDouble(i, value);
    }
    batch[v->name()] = t;
  }
  return batch;
}

namespace {

std::string sizeArray(const char *name, const std::vector<int64_t> &sizes) {
  std::ostringstream os;
  os << "static const size_t " << name << "[] = {";
  for (int64_t s : sizes)
    os << s << ", ";
  os << "0};\nstatic const int " << name << "_n = " << sizes.size() << ";\n";
  return os.str();
}

} // namespace

std::string driverSource(const std::string &name,
                         const std::vector<int64_t> &runIn,
                         const std::vector<int64_t> &runOut,
                         const std::vector<int64_t> &stepIn,
                         const std::vector<int64_t> &stepOut, int steps,
                         bool weights) {
  std::ostringstream os;
  os << "#include \"" << name << ".h\"\n#include <stdio.h>\n"
     << "#include <stdlib.h>\n#include <string.h>\n"
     << sizeArray("run_in", runIn) << sizeArray("run_out", runOut)
     << sizeArray("step_in", stepIn) << sizeArray("step_out", stepOut) << R"(
static void *buffers[64];
static void fill(FILE *in, const size_t *sizes, int n) {
  for (int i = 0; i < n; ++i) {
    buffers[i] = malloc(sizes[i] + 1);
    if (fread(buffers[i], 1, sizes[i], in) != sizes[i]) exit(3);
  }
}
static void *outs[64];
static void make(const size_t *sizes, int n) {
  for (int i = 0; i < n; ++i) outs[i] = calloc(1, sizes[i] + 1);
}
static void dump(FILE *out, const size_t *sizes, int n) {
  for (int i = 0; i < n; ++i) { fwrite(outs[i], 1, sizes[i], out); free(outs[i]); }
}
static void release(int n) { for (int i = 0; i < n; ++i) free(buffers[i]); }
int main(int argc, char **argv) {
  if (argc < 3) return 4;
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  if (!in || !out) return 5;
)";
  if (weights)
    os << "  if (argc < 4 || " << name
       << "_load_weights(argv[3]) != 0) return 6;\n";
  os << "  void *arena = aligned_alloc(64, " << name << "_ARENA_BYTES + 64);\n";
  if (steps > 0)
    os << "  void *step_arena = aligned_alloc(64, " << name
       << "_STEP_ARENA_BYTES + 64);\n"
       << "  for (int s = 0; s < " << steps << "; ++s) {\n"
       << "    fill(in, step_in, step_in_n); make(step_out, step_out_n);\n"
       << "    if (" << name
       << "_step((const void *const *)buffers, outs, s % 2 ? step_arena : "
          "NULL) != 0) return 7;\n"
       << "    dump(out, step_out, step_out_n); release(step_in_n);\n  }\n"
       << "  for (int i = 0; i < " << name << "_NUM_PARAMS; ++i) {\n"
       << "    size_t n = " << name << "_param_bytes(i);\n"
       << "    void *p = malloc(n + 1);\n"
       << "    if (" << name << "_get_param(i, p) != 0) return 8;\n"
       << "    fwrite(p, 1, n, out); free(p);\n  }\n"
       << "  free(step_arena);\n";
  os << "  fill(in, run_in, run_in_n); make(run_out, run_out_n);\n"
     << "  if (" << name
     << "_run((const void *const *)buffers, outs, arena) != 0) return 9;\n"
     << "  dump(out, run_out, run_out_n); release(run_in_n);\n"
     << "  free(arena);\n"
     << "  fclose(out); fclose(in);\n  return 0;\n}\n";
  return os.str();
}

ProcessResult buildProgram(const std::string &source, const std::string &out,
                           const std::vector<std::string> &objects,
                           const std::string &includeDir) {
  std::vector<std::string> args = {
      "-std=c11", "-O1", "-Wall",    "-Wno-unused-const-variable",
      "-Werror",  "-I",  includeDir, source,
      "-o",       out};
  args.insert(args.end(), objects.begin(), objects.end());
  for (const std::string &lib : runtimeLinkArgs())
    args.push_back(lib);
  for (const char *lib : {"-lstdc++", "-lm", "-lpthread"})
    args.push_back(lib);
  return runProgram(cCompiler(), args);
}

ProcessResult buildCxxProgram(const std::string &source, const std::string &out,
                              const std::vector<std::string> &objects,
                              const std::string &includeDir) {
  std::vector<std::string> args = {
      "-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", includeDir, source};
  args.insert(args.end(), objects.begin(), objects.end());
  for (const std::string &lib : runtimeLinkArgs())
    args.push_back(lib);
  for (const char *lib : {"-lm", "-lpthread", "-o"})
    args.push_back(lib);
  args.push_back(out);
  return runProgram("/usr/bin/clang++-19", args);
}

} // namespace adjoint::test
