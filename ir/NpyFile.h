//===- NpyFile.h - NumPy .npy files ---------------------------------------===//
//
// Reads and writes NumPy's .npy format (versions 1.0 to 3.0) for f32, f64,
// i32, i64, bool and u8 in C order, little-endian. Anything else (Fortran
// order, object arrays, big-endian data, other dtypes) is a BadInput error
// naming the file.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Tensor.h"

#include <string>

namespace adjoint {

/// Reads the array in `path`.
Tensor readNpy(const std::string &path);

/// Writes `t` to `path` (format version 1.0).
void writeNpy(const std::string &path, const Tensor &t);

} // namespace adjoint
