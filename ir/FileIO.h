//===- FileIO.h - Reading and safely replacing whole files ----------------===//
//
// Model and array files are read whole and written through a temporary file
// in the same directory that is renamed over the target, so a failure never
// leaves a half-written file where a good one was.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace adjoint {

/// A limit on the size of a file that readFile accepts.
struct FileSizeLimit {
  uint64_t maxBytes = UINT64_MAX;
  /// Says what imposes the limit ("the 2 GiB limit of binary protobuf").
  std::string what;
};

/// The contents of `path`. Throws BadInput naming the path if it does not
/// exist, is a directory or another non-regular file (never blocking on a
/// FIFO or reading a device forever), cannot be read, or exceeds `limit`.
std::string readFile(const std::string &path, const FileSizeLimit &limit = {});

/// Replaces `path` (following a symbolic link) with `contents`: writes a
/// temporary file in the same directory, syncs it and renames it over
/// `path`. Throws Failed naming the path on any error, leaving an existing
/// file unchanged and no temporary file behind.
void writeFileAtomically(const std::string &path, std::string_view contents);

/// Checks, before any long work, that `path` can be written later by
/// writeFileAtomically: it is not a directory, and the directory that will
/// hold it exists and is writable. `what` names the option or the file's
/// role in the message ("-o", "--plot"). Throws BadInput.
void checkWritableFile(const std::string &path, const std::string &what);

/// Checks that `dir` is a writable directory or can be created as one with
/// its missing parents (the nearest existing ancestor is a writable
/// directory). Throws BadInput naming `what`.
void checkWritableDirectory(const std::string &dir, const std::string &what);

} // namespace adjoint
