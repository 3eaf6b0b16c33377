//===- FileIO.cpp - Reading and safely replacing whole files --------------===//
#include "ir/FileIO.h"

#include "ir/Error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace adjoint {

namespace {

std::string errnoText(int err) { return std::strerror(err); }

/// Closes a file descriptor on scope exit.
class FdGuard {
public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard &) = delete;
  FdGuard &operator=(const FdGuard &) = delete;
  ~FdGuard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now, returning the errno of a failed close or 0.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

private:
  int fd_;
};

/// The file that `path` names, following symbolic links to the end, so that
/// a link is kept and its target replaced.
std::filesystem::path resolveTarget(const std::string &path) {
  std::filesystem::path p(path);
  std::error_code ec;
  for (int depth = 0; depth < 40; ++depth) {
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(p, ec)))
      return p;
    std::filesystem::path link = std::filesystem::read_symlink(p, ec);
    if (ec)
      return p;
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  return p;
}

std::atomic<uint64_t> tempCounter{0};

} // namespace

std::string readFile(const std::string &path, const FileSizeLimit &limit) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT)
      badInput(path, ": no such file");
    badInput(path, ": cannot open: ", errnoText(err));
  }
  if (S_ISDIR(st.st_mode))
    badInput(path, ": is a directory, not a file");
  if (!S_ISREG(st.st_mode))
    badInput(path, ": not a regular file");
  if ((uint64_t)st.st_size > limit.maxBytes)
    badInput(path, ": the file is ", (uint64_t)st.st_size, " bytes, over ",
             limit.what);

  FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0)
    badInput(path, ": cannot open: ", errnoText(errno));
  std::string contents;
  contents.reserve((size_t)st.st_size);
  // Read to the end rather than trusting st_size: files in /proc report 0,
  // and a file may change size while it is read.
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      badInput(path, ": cannot read: ", errnoText(errno));
    }
    if (n == 0)
      break;
    if (contents.size() + (size_t)n > limit.maxBytes)
      badInput(path, ": the file is more than ", limit.maxBytes,
               " bytes, over ", limit.what);
    contents.append(buffer, (size_t)n);
  }
  return contents;
}

namespace {

/// The directory that holds `path` ("." for a bare file name).
std::filesystem::path parentOf(const std::string &path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

void checkWritableParent(const std::string &path, const std::string &what) {
  std::filesystem::path dir = parentOf(path);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec))
    badInput(what, " ", path, ": directory ", dir.string(), " does not exist");
  if (!std::filesystem::is_directory(dir, ec))
    badInput(what, " ", path, ": ", dir.string(), " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    badInput(what, " ", path, ": directory ", dir.string(),
             " is not writable (", std::strerror(errno), ")");
}

} // namespace

void checkWritableFile(const std::string &path, const std::string &what) {
  if (path.empty())
    badInput(what, ": empty file name");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    badInput(what, " ", path, ": is a directory, not a file");
  checkWritableParent(path, what);
  if (std::filesystem::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
    badInput(what, " ", path, ": not writable (", std::strerror(errno), ")");
}

void checkWritableDirectory(const std::string &dir, const std::string &what) {
  if (dir.empty())
    badInput(what, ": empty directory name");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec))
      badInput(what, " ", dir, ": exists and is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      badInput(what, " ", dir, ": directory is not writable (",
               std::strerror(errno), ")");
    return;
  }
  // It will be created with its missing parents: the nearest ancestor that
  // exists must be a writable directory.
  std::filesystem::path at = std::filesystem::absolute(dir, ec);
  while (at.has_relative_path() && !std::filesystem::exists(at, ec))
    at = at.parent_path();
  if (!std::filesystem::is_directory(at, ec))
    badInput(what, " ", dir, ": ", at.string(), " is not a directory");
  if (::access(at.c_str(), W_OK | X_OK) != 0)
    badInput(what, " ", dir, ": directory ", at.string(), " is not writable (",
             std::strerror(errno), ")");
}

void writeFileAtomically(const std::string &path, std::string_view contents) {
  if (path.empty())
    failed("cannot write a file with an empty name");
  std::filesystem::path target = resolveTarget(path);
  struct stat st;
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    failed(path, ": cannot write: not a regular file");

  std::filesystem::path dir = target.parent_path();
  std::string base = target.filename().string();
  if (base.empty() || base == "." || base == "..")
    failed(path, ": cannot write: not a file name");
  std::filesystem::path temp;
  int rawFd = -1;
  for (int attempt = 0; attempt < 100 && rawFd < 0; ++attempt) {
    temp = dir / strCat(".", base, ".tmp-", ::getpid(), "-", tempCounter++);
    // Mode 0666 lets the umask decide, as for any newly created file.
    rawFd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (rawFd < 0 && errno != EEXIST)
      failed(path, ": cannot write: ", errnoText(errno));
  }
  if (rawFd < 0)
    failed(path, ": cannot write: no free temporary file name");
  FdGuard fd(rawFd);

  auto fail = [&](int err) {
    fd.close();
    ::unlink(temp.c_str());
    failed(path, ": cannot write: ", errnoText(err));
  };
  const char *p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail(errno);
    }
    p += n;
    left -= (size_t)n;
  }
  if (::fsync(fd.get()) != 0)
    fail(errno);
  if (int err = fd.close()) {
    ::unlink(temp.c_str());
    failed(path, ": cannot write: ", errnoText(err));
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    failed(path, ": cannot write: ", errnoText(err));
  }
}

} // namespace adjoint
