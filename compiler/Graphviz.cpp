//===- Graphviz.cpp - Draw DOT text with graphviz's `dot` program ---------===//
#include "compiler/Graphviz.h"

#include "ir/Error.h"
#include "ir/FileIO.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace adjoint {

namespace {

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

} // namespace

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

} // namespace adjoint
