//===- ByteOrder.h - Little-endian tensor bytes in files ------------------===//
//
// Model files and .npy files store tensor elements little-endian. These copy
// between a tensor's host bytes and that order; on a little-endian host they
// are plain copies, on a big-endian host they swap each element.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

namespace adjoint {

/// True when host byte order is little-endian (every machine Adjoint targets
/// today); the swapping path keeps file data portable regardless.
inline constexpr bool kHostIsLittleEndian =
    std::endian::native == std::endian::little;
static_assert(std::endian::native == std::endian::little ||
                  std::endian::native == std::endian::big,
              "mixed-endian hosts are not supported");

/// Copies `count` elements of `elemSize` bytes from `src` to `dst`,
/// converting between host order and little-endian (the conversion is its
/// own inverse, so this serves both directions).
inline void copyLittleEndian(std::byte *dst, const std::byte *src, size_t count,
                             size_t elemSize) {
  if (count == 0)
    return;
  std::memcpy(dst, src, count * elemSize);
  if constexpr (!kHostIsLittleEndian) {
    if (elemSize > 1)
      for (size_t i = 0; i < count; ++i)
        std::reverse(dst + i * elemSize, dst + (i + 1) * elemSize);
  }
}

} // namespace adjoint
