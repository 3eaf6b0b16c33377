//===- MemoryPlan.h - One arena for every intermediate of a graph ---------===//
//
// Memory planning: every value a fusion plan materializes, other than graph
// inputs, parameters and constants, gets an offset in one arena. Offsets come
// from live ranges over the group order, so buffers whose lives do not
// overlap share bytes, and a group's output may take the buffer of an input
// that dies in that group when the fusion plan lists the pair as an in-place
// candidate.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/passes/FusionPlan.h"

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace adjoint {

/// Where one materialized value lives.
struct BufferAssignment {
  const Value *value = nullptr;
  int64_t offset = 0; ///< bytes from the arena's start (64-byte aligned)
  int64_t size = 0;   ///< bytes
  /// Live range in group indices: written by group `first`, last read by
  /// group `last` (graph outputs live to the end).
  int first = 0, last = 0;
  /// The value whose buffer this one overwrites in place, if any.
  const Value *reuses = nullptr;
};

struct MemoryPlan {
  std::vector<BufferAssignment> buffers;          ///< in definition order
  std::unordered_map<const Value *, int> indexOf; ///< into `buffers`
  int64_t arenaBytes = 0;
  /// Sum of the sizes of all buffers, each rounded up to the alignment: the
  /// arena without any reuse.
  int64_t totalBytes = 0;
  /// Sum of the sizes of every node result of the graph that is neither a
  /// constant nor a graph output, materialized or not, each rounded up to
  /// the alignment: what running the graph one op at a time, each result
  /// in its own buffer, would allocate.
  int64_t graphIntermediateBytes = 0;
  /// The values planMemory was told not to place (they live elsewhere).
  std::vector<const Value *> pinned;
};

/// The alignment of every buffer in the arena, in bytes.
inline constexpr int64_t kBufferAlignment = 64;

/// Plans the arena of `g` under `plan`. Values named in `pinned` (graph
/// outputs written over a graph input, as a training step updates
/// parameters in place, or straight into the caller's output tensors) are
/// not given arena space.
MemoryPlan planMemory(const Graph &g, const FusionPlan &plan,
                      const std::vector<const Value *> &pinned = {});

/// planMemory with the bytes of each value given by `sizeOf` rather than
/// its type, as a plan per example of a graph compiled for every batch has
/// (compiler/BatchLowering.h); checkMemoryPlan does not apply to it.
MemoryPlan planMemory(const Graph &g, const FusionPlan &plan,
                      const std::vector<const Value *> &pinned,
                      const std::function<int64_t(const Value *)> &sizeOf);

/// Throws an internal error if two buffers whose live ranges overlap share
/// bytes (other than an in-place pair at the group where one ends and the
/// other starts), or a buffer is misaligned or outside the arena, or a
/// materialized intermediate has no buffer or a wrong size or live range.
void checkMemoryPlan(const Graph &g, const FusionPlan &plan,
                     const MemoryPlan &mem);

/// A readable table: each buffer's offset, size, live range and reuse, then
/// arena bytes against the sum of all intermediates.
std::string printMemoryPlan(const MemoryPlan &mem);

} // namespace adjoint
