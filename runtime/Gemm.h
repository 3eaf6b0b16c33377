//===- Gemm.h - The runtime's GEMM, for the runtime's own kernels -*- C++ -*-//
//
// The C++ side of adjoint_rt_gemm_*: conv2d and its gradients call it on
// their patch buffers, on the calling thread or split across the pool.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/Runtime.h"

#include <cstdint>

namespace adjoint::rt {

/// Products of at most this many rows with a transposed B, A not
/// transposed, take dot products along k instead of packing B.
inline constexpr int64_t kDotRows = 4;

/// C[m, n] (+)= op(A) @ op(B), row-major with row strides lda, ldb, ldc;
/// op(A) is A, or A stored [k, m] when transA; op(B) is B, or B stored
/// [n, k] when transB. `accumulate` adds the product to C. The optional
/// fields read the operands otherwise (aPacked or aRows, not both; aRows
/// not with bRows):
///   aPacked  op(A) as prepackA wrote it (a, lda, transA unused);
///   aRows    row i of op(A) at a + aRows[i], contiguous along k (lda and
///            transA unused): rows picked out of a larger array, such as
///            the taps of a convolution over a padded image;
///   aSegment, aSegmentStride
///            with aRows: element (i, p) of op(A) at a + aRows[i] +
///            (p / aSegment)*aSegmentStride + p % aSegment (the output rows
///            of a convolution in the rows of its planes);
///   bPacked  op(B) as prepackB wrote it (b, ldb, transB unused; not with
///            bRows or groupCols);
///   bRows    row k of op(B) at b + bRows[k] (B not transposed; ldb unused);
///   groupCols, groupStride
///            columns of op(B) (not transposed) and of C in groups of
///            groupCols, a multiple of 16: logical column j at physical
///            column (j / groupCols)*groupStride + j % groupCols, with
///            groupCols <= groupStride (a convolution's output rows, each
///            padded to whole vectors, in rows of its planes). n counts
///            logical columns.
template <typename T> struct GemmProblem {
  int64_t m, n, k;
  const T *a;
  int64_t lda;
  bool transA;
  const T *b;
  int64_t ldb;
  bool transB;
  T *c;
  int64_t ldc;
  bool accumulate;
  const T *aPacked = nullptr;
  const int64_t *aRows = nullptr;
  int64_t aSegment = 0, aSegmentStride = 0;
  const int64_t *bRows = nullptr;
  int64_t groupCols = 0, groupStride = 0;
  const T *bPacked = nullptr;
};

/// The elements prepackA writes for an m x k op(A).
inline int64_t packedASize(int64_t m, int64_t k) { return m * k; }

/// Packs op(A) of `p` (m x k) into dst for GEMMs that share it (a
/// convolution's weights, used by every image): set aPacked to dst.
template <typename T> void prepackA(const GemmProblem<T> &p, T *dst);

/// The elements prepackB writes for a k x n op(B) with the kernel set in
/// use (its panels are as wide as the set's register blocks).
template <typename T> int64_t packedBSize(int64_t k, int64_t n);

/// Packs op(B) of `p` (k x n) into dst, panel by panel as the kernel set in
/// use reads them, for products that share it (a layer's constant weights,
/// read by every run): set bPacked to dst. Each kc x nr block of a panel is
/// contiguous, so a product streams B in one pass that the hardware
/// prefetcher follows, where B read in place is nr-wide runs ldb apart.
template <typename T> void prepackB(const GemmProblem<T> &p, T *dst);

/// Computes the product on the calling thread.
template <typename T> void gemmSerial(const GemmProblem<T> &p);

/// Computes the product in tiles of C shared across the pool, calling
/// epilogue(r0, r1, c0, c1, ctx) on each finished tile (rows [r0, r1),
/// columns [c0, c1)) from the thread that computed it, while the tile is
/// in that core's cache; epilogue may be null. Every element of C is the
/// same sum in the same order whatever the tiling, so C does not depend on
/// the thread count.
template <typename T>
void gemmParallel(const GemmProblem<T> &p, adjoint_rt_tile_fn epilogue,
                  void *ctx);

/// Computes the product of `p` (whose c is ignored) tile by tile into
/// per-thread buffers, handing each tile to epilogue (adjoint_rt_product_fn).
template <typename T>
void gemmTiles(const GemmProblem<T> &p, adjoint_rt_product_fn epilogue,
               void *ctx);

} // namespace adjoint::rt
