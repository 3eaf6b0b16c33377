//===- LoopNest.h - Loops and affine element accesses in LLVM IR ----------===//
#pragma once

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/IR/IRBuilder.h>

#include <cstdint>
#include <vector>

namespace adjoint::codegen {

/// Emits `for (iv = lo; iv < hi; ++iv) body(iv)` at the insertion point and
/// leaves the builder after the loop. `lo` and `hi` are i64.
/// With `vectorize`, the loop asks LLVM to vectorize it whatever its cost
/// model says (llvm.loop.vectorize.enable); with `foldTail` as well, the
/// last partial vector is a masked iteration rather than a scalar loop, and
/// the loop is not unrolled first (a short loop of constant trip count
/// would otherwise be fully unrolled into scalar code).
void emitLoop(llvm::IRBuilder<> &b, llvm::Value *lo, llvm::Value *hi,
              llvm::function_ref<void(llvm::Value *iv)> body,
              const llvm::Twine &name = "i", bool vectorize = false,
              bool foldTail = false);

/// Element strides of one buffer over the dimensions of an iteration space:
/// the element visited at point (i0, ..., in) is base + offset + sum(ik *
/// strides[k]). A stride of 0 broadcasts.
struct Access {
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

/// Emits a loop nest over `dims`, whose outermost dimension runs over
/// [begin, end) (the rows a kernel call covers), and calls `body` at each
/// point with the element offset of every access and the induction
/// variables. A rank-0 space is one point. `vectorize` asks LLVM to
/// vectorize the innermost loop whatever its cost model says, and
/// `foldTail` masks its tail (see emitLoop).
void emitNest(llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end,
              llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses,
              llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                                      llvm::ArrayRef<llvm::Value *> ivs)>
                  body,
              bool vectorize = false, bool foldTail = false);

/// The dimension of `dims` that the most accesses walk contiguously (stride
/// 1; the first `writes` accesses are stores, which count half as much as
/// loads), where that is more than the innermost one's and the stores
/// along it (of `storeBytes` elements) are not a multiple of 1 KiB apart:
/// the loop a nest should run innermost. dims.size() - 1 when the order is
/// already the best (or the space has fewer than two dimensions).
size_t contiguousDim(llvm::ArrayRef<int64_t> dims,
                     llvm::ArrayRef<Access> accesses, size_t writes,
                     int64_t storeBytes);

/// emitNest with dimension `inner` as the innermost loop and the others in
/// order around it. Rows [begin, end) of dimension 0 are still what the
/// call covers: when inner is 0, they are walked in blocks of `block` rows,
/// each block's rows innermost, so that accesses contiguous along rows
/// stream and those contiguous along the other dimensions stay in cache.
/// The innermost loop is vectorized whatever LLVM's cost model says.
void emitNestInner(
    llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end,
    llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses, size_t inner,
    int64_t block,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets)> body);

/// emitTileNest over a space of rank >= 2 whose leading dimensions (all but
/// the last) are the tile's rows, flattened: row r is the point whose
/// leading indices are r in their mixed radix (the rows of a batch of
/// products computed as one GEMM). Where every access walks the leading
/// dimensions as one run, they merge into one; otherwise each row's
/// offsets are computed from its index.
void emitFlatRowsTileNest(
    llvm::IRBuilder<> &b, llvm::Value *rowBegin, llvm::Value *rowEnd,
    llvm::Value *colBegin, llvm::Value *colEnd, llvm::ArrayRef<int64_t> dims,
    llvm::ArrayRef<Access> accesses,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                            llvm::ArrayRef<llvm::Value *> ivs)>
        body);

/// emitNest over a two-dimensional space restricted to the tile of rows
/// [rowBegin, rowEnd) and columns [colBegin, colEnd); a space of one
/// dimension is a column (colBegin and colEnd are then 0 and 1). When every
/// access is contiguous across rows, a tile of whole rows runs as one loop
/// over its elements, and `body` then gets no induction variables.
void emitTileNest(llvm::IRBuilder<> &b, llvm::Value *rowBegin,
                  llvm::Value *rowEnd, llvm::Value *colBegin,
                  llvm::Value *colEnd, llvm::ArrayRef<int64_t> dims,
                  llvm::ArrayRef<Access> accesses,
                  llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                                          llvm::ArrayRef<llvm::Value *> ivs)>
                      body);

/// Merges adjacent dimensions of `dims` that every access walks
/// contiguously (stride[k] == stride[k+1] * dims[k+1]) and drops extents of
/// 1, so that loops are as few and as long as possible. Updates the accesses.
void collapseDims(std::vector<int64_t> &dims, std::vector<Access> &accesses);

/// Row-major strides of `shape` for an operand broadcast to `outShape`:
/// broadcast dimensions get stride 0.
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &outShape);

} // namespace adjoint::codegen
