//===- CliCommon.cpp - Shared pieces of the `adjoint` subcommands ---------===//
#include "compiler/cli/CliCommon.h"

#include "ir/Error.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace adjoint::cli {

namespace {

/// Closes a descriptor and removes a temporary file unless released.
class TempFile {
public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  ~TempFile() {
    if (fd_ >= 0)
      ::close(fd_);
    if (!path_.empty())
      ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string &path() const { return path_; }
  /// Closes the descriptor; returns false (errno set) if that fails.
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  /// Keeps the file: it has been renamed into place.
  void release() { path_.clear(); }

private:
  int fd_;
  std::string path_;
};

/// Formats `value` to three significant digits ("24.7", "512", "1.20").
std::string threeDigits(double value) {
  char buf[32];
  int decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  // Trailing zeros after the point say nothing: "1.20" -> "1.2", "3.00" -> "3".
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  return s;
}

} // namespace

void writeFileAtomically(const std::string &path, std::string_view data) {
  std::string pattern = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    failed("cannot write '", path, "': ", std::strerror(errno));
  TempFile tmp(fd, pattern);
  // mkstemp creates the file with mode 0600; give it the usual 0666 & ~umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  const char *p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      failed("cannot write '", path, "': ", std::strerror(errno));
    p += n;
    left -= (size_t)n;
  }
  if (!tmp.close())
    failed("cannot write '", path, "': ", std::strerror(errno));
  if (::rename(tmp.path().c_str(), path.c_str()) != 0)
    failed("cannot write '", path, "': ", std::strerror(errno));
  tmp.release();
}

std::string groupDigits(int64_t n) {
  uint64_t magnitude = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string metricCount(int64_t n) {
  static const char *const kSuffixes[] = {"K", "M", "G", "T", "P", "E"};
  double v = std::fabs((double)n);
  if (v < 1000)
    return std::to_string(n);
  int unit = -1;
  // Round first so that 999,950 reads "1 M", not "1000 K".
  while (unit < 5 && std::stod(threeDigits(v)) >= 1000) {
    v /= 1000;
    ++unit;
  }
  return (n < 0 ? "-" : "") + threeDigits(v) + " " + kSuffixes[unit];
}

std::string binarySize(int64_t bytes) {
  static const char *const kUnits[] = {"KiB", "MiB", "GiB",
                                       "TiB", "PiB", "EiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  double v = (double)bytes;
  int unit = -1;
  while (unit < 5 && std::stod(threeDigits(v)) >= 1024) {
    v /= 1024;
    ++unit;
  }
  return threeDigits(v) + " " + kUnits[unit];
}

} // namespace adjoint::cli
