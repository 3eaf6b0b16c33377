//===- CliTestSupport.h - Running the built `adjoint` command in tests ----===//
//
// The CLI tests run the real binary (ADJOINT_CLI) in a child process and look
// at its exit status, its output streams and the files it writes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace adjoint::test {

/// What a child process did.
struct ProcessResult {
  int status = -1; ///< exit status, or -1 if it did not exit normally
  std::string out, err;
};

inline std::string readFile(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::filesystem::path &path,
                      const std::string &data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

/// A fresh directory under the temporary directory, removed afterwards.
using TempDir = adjoint::testing::TempDir;

/// Runs `program` with `args`; stdout and stderr go through files so that
/// neither can fill a pipe. `env`, if not empty, replaces the environment.
/// With `interruptOn` set, sends SIGINT once standard output holds that text
/// (as Ctrl-C would).
inline ProcessResult runProgram(const std::string &program,
                                const std::vector<std::string> &args,
                                const std::vector<std::string> &env = {},
                                const std::string &interruptOn = "") {
  TempDir scratch;
  std::string outPath = scratch / "stdout", errPath = scratch / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argStore = {program};
  argStore.insert(argStore.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &a : argStore)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStore = env;
  std::vector<char *> envp;
  for (std::string &e : envStore)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  ProcessResult r;
  pid_t pid;
  int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(),
                       env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(rc);
    return r;
  }
  int status = 0;
  bool reaped = false;
  if (!interruptOn.empty()) {
    for (;;) {
      reaped = ::waitpid(pid, &status, WNOHANG) == pid;
      if (reaped)
        break;
      if (readFile(outPath).find(interruptOn) != std::string::npos) {
        ::kill(pid, SIGINT);
        break;
      }
      ::usleep(10000);
    }
  }
  while (!reaped && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(outPath);
  r.err = readFile(errPath);
  return r;
}

/// Runs the `adjoint` command.
inline ProcessResult runCli(const std::vector<std::string> &args,
                            const std::vector<std::string> &env = {}) {
  return runProgram(ADJOINT_CLI, args, env);
}

/// Runs the `adjoint` command and interrupts it (SIGINT) once its standard
/// output holds `text`.
inline ProcessResult runCliInterrupted(const std::vector<std::string> &args,
                                       const std::string &text) {
  return runProgram(ADJOINT_CLI, args, {}, text);
}

/// The path of a file of the source tree.
inline std::string sourcePath(const std::string &relative) {
  return (std::filesystem::path(ADJOINT_SOURCE_DIR) / relative).string();
}

/// The example models, by file name in examples/.
inline const std::vector<std::string> &exampleNames() {
  static const std::vector<std::string> names = {
      "keras_mlp.pbtxt", "fashion_mlp.pbtxt", "fashion_mlp_wide.pbtxt",
      "fashion_cnn.pbtxt", "tf_cnn.pbtxt"};
  return names;
}

/// Checks that the command failed with `status` and printed exactly one line
/// `adjoint: error: ...` on stderr that contains every string of `parts`.
inline void expectError(const ProcessResult &r, int status,
                        const std::vector<std::string> &parts) {
  EXPECT_EQ(r.status, status) << "stderr: " << r.err;
  EXPECT_EQ(r.err.rfind("adjoint: error: ", 0), 0u) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  for (const std::string &p : parts)
    EXPECT_NE(r.err.find(p), std::string::npos)
        << "'" << p << "' missing from: " << r.err;
}

} // namespace adjoint::test
