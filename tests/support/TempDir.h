//===- TempDir.h - A scratch directory for file tests ---------------------===//
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace adjoint::testing {

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when the object goes away.
class TempDir {
public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "adjoint-test-XXXXXX")
            .string();
    if (!::mkdtemp(pattern.data()))
      std::abort();
    path_ = pattern;
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  /// The path of `name` inside the directory.
  std::string file(std::string_view name) const {
    return (path_ / name).string();
  }
  /// Writes `contents` to `name` and returns its path.
  std::string write(std::string_view name, std::string_view contents) const {
    std::string p = file(name);
    std::ofstream(p, std::ios::binary)
        .write(contents.data(), (std::streamsize)contents.size());
    return p;
  }
  const std::filesystem::path &path() const { return path_; }
  /// The path of `name` inside the directory, as file() gives it.
  std::string operator/(const std::string &name) const { return file(name); }

private:
  std::filesystem::path path_;
};

/// The whole contents of `path` ("" if it cannot be read).
inline std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace adjoint::testing
