//===- Error.h - Errors reported to users ---------------------------------===//
//
// A malformed model, a wrong shape or a bad file is a user error: it is thrown
// as `adjoint::Error` and reported with a clear message (lowercase, no final
// period, naming the file, node, op and shapes). Bugs in Adjoint itself are
// assertions instead.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace adjoint {

/// What went wrong, which decides the command-line exit status.
enum class ErrorKind {
  BadInput, ///< a bad model, file, option or call: exit status 2
  Failed,   ///< a valid request that could not be carried out: exit status 1
};

/// A user-facing error.
class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string &message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

private:
  ErrorKind kind_;
};

/// Concatenates the textual forms of all arguments.
template <typename... Args> std::string strCat(const Args &...args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

/// Throws a BadInput error whose message is the concatenation of `args`.
template <typename... Args> [[noreturn]] void badInput(const Args &...args) {
  throw Error(ErrorKind::BadInput, strCat(args...));
}

/// Throws a Failed error whose message is the concatenation of `args`.
template <typename... Args> [[noreturn]] void failed(const Args &...args) {
  throw Error(ErrorKind::Failed, strCat(args...));
}

/// Throws std::logic_error for a broken invariant of Adjoint itself (a bug,
/// not a bad input), found by a checker that also runs in release builds.
template <typename... Args>
[[noreturn]] void internalError(const Args &...args) {
  throw std::logic_error("internal error: " + strCat(args...));
}

/// Runs `fn`; an Error it throws is rethrown with `context + ": "` in front.
template <typename Fn>
auto withContext(const std::string &context, Fn &&fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error &e) {
    throw Error(e.kind(), context + ": " + e.what());
  }
}

} // namespace adjoint
