//===- CompileCommand.cpp - `adjoint compile`: ahead-of-time compilation --===//
#include "compiler/cli/CliCommon.h"

#include "compiler/aot/AotCompiler.h"
#include "compiler/aot/HeaderWriter.h"
#include "compiler/training/Rebatch.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/Layers.h"
#include "ir/ModelIO.h"

#include <CLI/CLI.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

extern char **environ;

namespace adjoint::cli {

namespace {

namespace fs = std::filesystem;

struct CompileCommandOptions {
  std::string model, out, header, name, triple, cpu, weights;
  bool train = false;
  int threads = 0;
  int64_t batch = 0;
};

/// What -o asks for.
enum class OutputKind { Object, Archive, Shared };

OutputKind outputKindOf(const std::string &path) {
  std::string ext = fs::path(path).extension().string();
  if (ext == ".o")
    return OutputKind::Object;
  if (ext == ".a")
    return OutputKind::Archive;
  if (ext == ".so")
    return OutputKind::Shared;
  badInput("-o ", path,
           ": the extension must be .o (an object), .a (an archive) or .so "
           "(a shared library)");
}

/// The runtime library a shared library embeds: $ADJOINT_RUNTIME_LIBRARY,
/// else next to this program in an installation (../lib) or a build tree
/// (../runtime).
std::string runtimeLibrary() {
  if (const char *env = std::getenv("ADJOINT_RUNTIME_LIBRARY"))
    return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (const char *dir : {"../lib", "../runtime"}) {
      fs::path lib = exe.parent_path() / dir / "libadjoint_runtime.a";
      if (fs::exists(lib))
        return fs::weakly_canonical(lib).string();
    }
  failed("cannot find libadjoint_runtime.a to link the shared library with; "
         "set ADJOINT_RUNTIME_LIBRARY to its path");
}

/// Runs `args` (found on PATH) and waits; Failed unless it exits with 0.
void runTool(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ))
    failed("cannot run ", args[0], " to link the shared library (set CXX)");
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    failed(args[0], " failed to link the shared library");
}

/// Links `object` with the runtime into the shared library `out`, which
/// then needs only libc, libm and pthread.
void linkShared(const std::string &object, const std::string &out) {
  fs::path dir = fs::temp_directory_path() /
                 ("adjoint-compile-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::path obj = dir / "model.o";
  writeFileAtomically(obj.string(), object);
  const char *cxx = std::getenv("CXX");
  std::string linker = cxx && *cxx ? cxx : "c++";
  try {
    runTool({linker, "-shared", "-o", out, obj.string(), runtimeLibrary(),
             "-static-libstdc++", "-static-libgcc", "-lm", "-lpthread"});
  } catch (...) {
    fs::remove_all(dir);
    throw;
  }
  fs::remove_all(dir);
}

void runCompile(const CompileCommandOptions &opts) {
  OutputKind kind = outputKindOf(opts.out);
  aot::AotOptions aopts;
  aopts.name =
      opts.name.empty() ? aot::defaultModelName(opts.model) : opts.name;
  aot::checkModelName(aopts.name);
  aopts.train = opts.train;
  aopts.triple = opts.triple;
  aopts.cpu = opts.cpu;
  aopts.threads = opts.threads;
  aopts.externalWeights = !opts.weights.empty();
  if (kind == OutputKind::Shared && !opts.triple.empty())
    badInput("-o ", opts.out,
             ": a shared library is linked for this machine only; write a "
             ".o or .a for --target ",
             opts.triple);
  aot::checkTarget(aopts);
  checkWritableFile(opts.out, "-o");
  checkWritableFile(opts.header, "--header");
  if (!opts.weights.empty())
    checkWritableFile(opts.weights, "--weights");
  Model m = loadModel(opts.model);
  if (!opts.train)
    m.graph = forInference(m.graph); // dropout the identity, batch norm moving
  // A symbolic batch stays symbolic (NAME_run_batch serves every batch)
  // unless --batch binds it; a training step binds the spec's.
  if (opts.batch > 0)
    m = withContext(opts.model, [&] { return rebatch(m, opts.batch); });
  else if (opts.train)
    m = atSpecBatch(std::move(m), opts.model);
  aot::AotResult r =
      withContext(opts.model, [&] { return aot::compileModel(m, aopts); });
  r.interface.modelPath = fs::path(opts.model).filename().string();
  switch (kind) {
  case OutputKind::Object:
    writeFileAtomically(opts.out, r.object);
    break;
  case OutputKind::Archive:
    writeFileAtomically(opts.out, aot::archiveOf(r.object, aopts.name + ".o"));
    break;
  case OutputKind::Shared:
    linkShared(r.object, opts.out);
    break;
  }
  writeFileAtomically(opts.header, aot::writeHeader(r.interface));
  if (!opts.weights.empty())
    writeFileAtomically(opts.weights, r.weights);
}

} // namespace

Action addCompileCommand(CLI::App &app) {
  auto opts = std::make_shared<CompileCommandOptions>();
  app.add_option("MODEL", opts->model,
                 "Model file (.pb, .pbtxt, .adj or .onnx)")
      ->required();
  app.add_option("-o,--output", opts->out,
                 "What to write: OUT.o (an object), OUT.a (an archive) or "
                 "OUT.so (a shared library holding the runtime)")
      ->type_name("FILE")
      ->required();
  app.add_option("--header", opts->header,
                 "The C/C++ header declaring the entry points")
      ->type_name("FILE.h")
      ->required();
  app.add_option("--name", opts->name,
                 "Prefix of every symbol and the C++ class name (default: "
                 "the model file's stem)")
      ->type_name("NAME");
  app.add_flag("--train", opts->train,
               "Also compile the training step NAME_step; parameters and "
               "optimizer state are updated in place");
  app.add_option("--target", opts->triple,
                 "LLVM target triple (default: this machine's)")
      ->type_name("TRIPLE");
  app.add_option("--cpu", opts->cpu,
                 "native (this machine's CPU), generic, x86-64, x86-64-v2, "
                 "x86-64-v3, x86-64-v4 or any LLVM CPU name of the target "
                 "(default: native, or generic for another --target)")
      ->type_name("CPU");
  app.add_option("--threads", opts->threads,
                 "Default thread count of the compiled code (0: every "
                 "core); ADJOINT_NUM_THREADS overrides it at run time")
      ->check(CLI::Range(0, 1024))
      ->type_name("N");
  app.add_option("--weights", opts->weights,
                 "Write the parameters to FILE instead of the object; "
                 "NAME_load_weights reads it")
      ->type_name("FILE");
  app.add_option("--batch", opts->batch,
                 "Compile for this batch size instead of the model's")
      ->check(positiveNumber())
      ->type_name("B");
  app.footer("Examples:\n"
             "  adjoint compile cnn.pbtxt -o cnn.o --header cnn.h\n"
             "  adjoint compile cnn.pbtxt -o libcnn.a --header cnn.h --train\n"
             "  adjoint compile cnn.pbtxt -o cnn.o --header cnn.h "
             "--target aarch64-linux-gnu");
  return [opts] { runCompile(*opts); };
}

} // namespace adjoint::cli
