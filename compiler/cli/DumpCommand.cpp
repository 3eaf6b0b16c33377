//===- DumpCommand.cpp - `adjoint dump`: print a model as text or picture -===//
#include "compiler/cli/CliCommon.h"

#include "compiler/CodeDump.h"
#include "ir/DotPrinter.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace adjoint::cli {

namespace {

constexpr const char *kFormats[] = {"text", "dot",         "svg",
                                    "llvm", "llvm-before", "asm"};

struct DumpOptions {
  std::string model;
  std::string format = kFormats[0];
  std::string out;
};

/// A file in the temporary directory, removed when this goes out of scope.
class ScratchFile {
public:
  explicit ScratchFile(const std::string &suffix) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec)
      dir = "/tmp";
    path_ = (dir / ("adjoint-XXXXXX" + suffix)).string();
    int fd = ::mkstemps(path_.data(), (int)suffix.size());
    if (fd < 0)
      failed("cannot create a temporary file in ", dir.string(), ": ",
             std::strerror(errno));
    ::close(fd);
  }
  ScratchFile(const ScratchFile &) = delete;
  ScratchFile &operator=(const ScratchFile &) = delete;
  ~ScratchFile() { ::unlink(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

void writeWholeFile(const std::string &path, const std::string &data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out)
    failed("cannot write the temporary file ", path);
}

/// Runs Graphviz's `dot -Tsvg` on `dotText`. The program is started with an
/// argument vector (no shell), reading and writing temporary files.
std::string renderSvg(const std::string &dotText) {
  ScratchFile dotFile(".dot"), svgFile(".svg"), errFile(".txt");
  writeWholeFile(dotFile.path(), dotText);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, STDOUT_FILENO, svgFile.path().c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(
      &actions, STDERR_FILENO, errFile.path().c_str(), O_WRONLY | O_TRUNC, 0);
  std::string program = "dot", format = "-Tsvg";
  std::string input = dotFile.path();
  char *argv[] = {program.data(), format.data(), input.data(), nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT)
    failed("graphviz's 'dot' program was not found on PATH; install graphviz "
           "(for instance 'apt-get install graphviz') to write svg, or use "
           "--format dot");
  if (rc != 0)
    failed("cannot run graphviz's 'dot': ", std::strerror(rc));

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      failed("cannot wait for graphviz's 'dot': ", std::strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string err = readFile(errFile.path());
    err = err.substr(0, err.find('\n'));
    if (WIFEXITED(status))
      failed("graphviz's 'dot' failed with exit status ", WEXITSTATUS(status),
             err.empty() ? "" : ": ", err);
    failed("graphviz's 'dot' was killed by signal ", WTERMSIG(status));
  }
  return readFile(svgFile.path());
}

void checkFormat(const std::string &format) {
  std::string accepted;
  for (const char *f : kFormats) {
    if (format == f)
      return;
    accepted += (accepted.empty() ? "" : ", ") + std::string(f);
  }
  badInput("unknown format '", format, "' (accepted: ", accepted, ")");
}

void runDump(const DumpOptions &opts) {
  checkFormat(opts.format);
  Model m = loadModel(opts.model);
  std::string text;
  if (opts.format == "text")
    text = printModel(m);
  else if (opts.format == "dot")
    text = printDot(m.graph);
  else if (opts.format == "svg")
    text = renderSvg(printDot(m.graph));
  else if (opts.format == "llvm")
    text = dumpCode(m.graph).llvmAfter;
  else if (opts.format == "llvm-before")
    text = dumpCode(m.graph).llvmBefore;
  else
    text = dumpCode(m.graph).assembly;

  if (opts.out.empty() || opts.out == "-") {
    std::cout << text;
    return;
  }
  writeFileAtomically(opts.out, text);
}

} // namespace

Action addDumpCommand(CLI::App &app) {
  auto opts = std::make_shared<DumpOptions>();
  app.add_option("MODEL", opts->model, "Model file (.pb, .pbtxt or .adj)")
      ->required();
  app.add_option("-f,--format", opts->format,
                 "What to print: text (the text IR), dot (Graphviz DOT), "
                 "svg (the DOT drawn by graphviz's 'dot'), llvm (the JIT's "
                 "LLVM IR after optimization), llvm-before (before it) or "
                 "asm (the host assembly)")
      ->type_name("FORMAT")
      ->capture_default_str();
  app.add_option("-o,--output", opts->out,
                 "File to write (replaced atomically); standard output "
                 "without it")
      ->type_name("FILE");
  app.footer("Examples:\n"
             "  adjoint dump model.pbtxt                      # text IR\n"
             "  adjoint dump model.pbtxt --format svg -o model.svg");
  return [opts] { runDump(*opts); };
}

} // namespace adjoint::cli
