//===- HeaderWriter.h - The C/C++ header of a compiled model --------------===//
//
// The header `adjoint compile --header` writes: the C API of the object
// (NAME_run, NAME_step, the parameter accessors, NAME_load_weights), macros
// for the sizes, dtypes and shapes of every input and output, a comment
// giving the memory a model needs, and for C++ a class that owns its
// buffers and names every input and output. It compiles as C11 and C++17
// with -Wall -Wextra -Werror -pedantic.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/aot/AotCompiler.h"

#include <string>

namespace adjoint::aot {

/// The text of the header for `api`.
std::string writeHeader(const AotInterface &api);

/// The identifier that stands for tensor `name` in the header: every
/// character that cannot appear in a C identifier replaced by '_', with a
/// leading '_' before a digit.
std::string tensorIdentifier(const std::string &name);

} // namespace adjoint::aot
