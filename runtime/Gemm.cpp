//===- Gemm.cpp - Row-major GEMM on Eigen, split across the pool ----------===//
//
// C is cut into a grid of blocks whose sizes depend only on (m, n, k), never
// on the thread count; each block is one single-threaded Eigen GEMM over the
// operands in place (their strides and storage orders passed through). Which
// thread computes a block varies, but every element of C is always computed
// by the same Eigen call on the same block shape, so the result is bitwise
// the same for any number of threads.
//
// `dst.noalias() = lhs * rhs` would allocate Eigen's packed panels on the
// heap for every product over 128 KiB of them; calling the routine it runs,
// general_matrix_matrix_product, with a blocking object of our own lets the
// panels live in a per-thread scratch buffer instead, so repeated calls
// allocate nothing. Products with one row or one column go through Eigen's
// GEMV (maps and noalias()), which packs nothing.
//
//===----------------------------------------------------------------------===//
#include "runtime/EigenCore.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>

using adjoint::rt::globalPool;

namespace {

/// Products below this many multiply-adds run as one block: splitting them
/// costs more in dispatch than it gains.
constexpr int64_t SmallWork = 64 * 64 * 64;
/// A block side is not cut below this many rows or columns. Eigen packs the
/// whole k-extent of both operands of every block, so a grid of p x q blocks
/// packs A q times and B p times: measured on 1024^3, 16 blocks of 256^2
/// run 7% slower on one thread than 4 blocks of 512^2, which run within
/// noise of a single block.
constexpr int64_t MinSide = 384;
/// Each block does at least this many multiply-adds (some tens of
/// microseconds), so dispatch stays negligible.
constexpr int64_t MinBlockWork = int64_t(1) << 22;
/// At most this many blocks in all.
constexpr int64_t MaxBlocks = 64;

template <typename T> struct Gemm {
  int64_t m, n, k;
  const T *a;
  int64_t lda;
  bool transA;
  const T *b;
  int64_t ldb;
  bool transB;
  T *c;
  int64_t ldc;
  int64_t blockRows, blockCols, gridCols;
};

namespace ei = Eigen::internal;
using Eigen::Index;

/// The thread's buffer for Eigen's packed panels.
thread_local adjoint::rt::Scratch tPacking;

/// Eigen's blocking (cache block sizes, from the shape and the cache sizes
/// alone) with its packed-panel buffers taken from the thread's scratch.
template <typename T> class ScratchBlocking : public ei::level3_blocking<T, T> {
public:
  ScratchBlocking(Index rows, Index cols, Index depth) {
    this->m_mc = rows;
    this->m_nc = cols;
    this->m_kc = depth;
    ei::computeProductBlockingSizes<T, T, 1>(this->m_kc, this->m_mc, this->m_nc,
                                             Index(1));
    // Both panels in one buffer, the second starting on a cache line.
    Index sizeA = (this->m_mc * this->m_kc + 15) / 16 * 16;
    Index sizeB = this->m_kc * this->m_nc;
    // On failure both stay null and Eigen allocates them itself.
    if (T *p = static_cast<T *>(tPacking.get((sizeA + sizeB) * sizeof(T)))) {
      this->m_blockA = p;
      this->m_blockB = p + sizeA;
    }
  }
};

/// res [rows, cols] (column-major, stride resStride) = lhs [rows, depth] @
/// rhs [depth, cols], with the operands' storage orders as given: the
/// routine Eigen's `dst.noalias() = lhs * rhs` runs for large products,
/// called directly so that it packs into our buffers instead of allocating.
template <typename T, int LhsOrder, int RhsOrder>
void eigenGemm(Index rows, Index cols, Index depth, const T *lhs,
               Index lhsStride, const T *rhs, Index rhsStride, T *res,
               Index resStride) {
  for (Index j = 0; j < cols; ++j)
    std::fill(res + j * resStride, res + j * resStride + rows, T(0));
  ScratchBlocking<T> blocking(rows, cols, depth);
  ei::general_matrix_matrix_product<Index, T, LhsOrder, false, T, RhsOrder,
                                    false, Eigen::ColMajor, 1>::run(rows, cols,
                                                                    depth, lhs,
                                                                    lhsStride,
                                                                    rhs,
                                                                    rhsStride,
                                                                    res, 1,
                                                                    resStride,
                                                                    T(1),
                                                                    blocking);
}

template <typename T>
using RowMatrix =
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap =
    Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using MutMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

/// A block with one row or one column: Eigen's GEMV through strided maps
/// (no packing, which would only add memory traffic to a memory-bound
/// product).
template <typename T>
void gemvBlock(const Gemm<T> &g, int64_t r0, int64_t rows, int64_t c0,
               int64_t cols) {
  MutMap<T> dst(g.c + r0 * g.ldc + c0, rows, cols, Eigen::OuterStride<>(g.ldc));
  auto times = [&](const auto &lhs) {
    if (!g.transB)
      dst.noalias() =
          lhs * ConstMap<T>(g.b + c0, g.k, cols, Eigen::OuterStride<>(g.ldb));
    else
      dst.noalias() = lhs * ConstMap<T>(g.b + c0 * g.ldb, cols, g.k,
                                        Eigen::OuterStride<>(g.ldb))
                                .transpose();
  };
  if (!g.transA)
    times(
        ConstMap<T>(g.a + r0 * g.lda, rows, g.k, Eigen::OuterStride<>(g.lda)));
  else
    times(ConstMap<T>(g.a + r0, g.k, rows, Eigen::OuterStride<>(g.lda))
              .transpose());
}

/// C[r0:r0+rows, c0:c0+cols] = op(A)[r0:r0+rows, :] @ op(B)[:, c0:c0+cols].
/// Eigen works column-major, so it computes the transposed block
/// C^T = op(B)^T @ op(A)^T, whose operands are the stored arrays read in
/// column- or row-major order.
template <typename T>
void gemmBlock(const Gemm<T> &g, int64_t r0, int64_t rows, int64_t c0,
               int64_t cols) {
  if (rows == 1 || cols == 1)
    return gemvBlock(g, r0, rows, c0, cols);
  constexpr int Col = Eigen::ColMajor, Row = Eigen::RowMajor;
  T *res = g.c + r0 * g.ldc + c0;
  const T *lhs = g.transB ? g.b + c0 * g.ldb : g.b + c0;
  const T *rhs = g.transA ? g.a + r0 : g.a + r0 * g.lda;
  if (!g.transB && !g.transA)
    eigenGemm<T, Col, Col>(cols, rows, g.k, lhs, g.ldb, rhs, g.lda, res, g.ldc);
  else if (!g.transB)
    eigenGemm<T, Col, Row>(cols, rows, g.k, lhs, g.ldb, rhs, g.lda, res, g.ldc);
  else if (!g.transA)
    eigenGemm<T, Row, Col>(cols, rows, g.k, lhs, g.ldb, rhs, g.lda, res, g.ldc);
  else
    eigenGemm<T, Row, Row>(cols, rows, g.k, lhs, g.ldb, rhs, g.lda, res, g.ldc);
}

template <typename T> void gemmTask(int64_t task, void *ctx) {
  const Gemm<T> &g = *static_cast<const Gemm<T> *>(ctx);
  int64_t r0 = task / g.gridCols * g.blockRows;
  int64_t c0 = task % g.gridCols * g.blockCols;
  gemmBlock(g, r0, std::min(g.blockRows, g.m - r0), c0,
            std::min(g.blockCols, g.n - c0));
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Chooses the block grid from the shape alone (never from the thread
/// count, which is what makes results independent of it): halves the longer
/// side of the block while the halves stay at least MinSide wide, do at
/// least MinBlockWork each, and number at most MaxBlocks. Counts are powers
/// of two, so blocks share evenly among 1, 2, 4, ... threads.
void chooseBlocks(int64_t m, int64_t n, int64_t k, int64_t &blockRows,
                  int64_t &blockCols) {
  blockRows = m;
  blockCols = n;
  // Compare in double: m*n*k can exceed int64_t.
  double work = static_cast<double>(m) * n * k;
  if (work < static_cast<double>(SmallWork))
    return;
  for (int64_t blocks = 1; blocks * 2 <= MaxBlocks; blocks *= 2) {
    if (work / (blocks * 2) < static_cast<double>(MinBlockWork))
      return;
    int64_t &side = blockCols >= blockRows ? blockCols : blockRows;
    // Round to whole AVX-512 vectors so every block but the last is made of
    // full vectors along the side Eigen vectorizes.
    int64_t half = ceilDiv(ceilDiv(side, 2), 16) * 16;
    if (half < MinSide || half >= side)
      return;
    side = half;
  }
}

template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda,
          int32_t transA, const T *b, int64_t ldb, int32_t transB, T *c,
          int64_t ldc) {
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill(c + i * ldc, c + i * ldc + n, T(0));
    return;
  }
  Gemm<T> g{m, n, k, a, lda, transA != 0, b, ldb, transB != 0, c, ldc, 0, 0, 0};
  chooseBlocks(m, n, k, g.blockRows, g.blockCols);
  g.gridCols = ceilDiv(n, g.blockCols);
  int64_t tasks = ceilDiv(m, g.blockRows) * g.gridCols;
  globalPool().run(tasks, gemmTask<T>, &g);
}

} // namespace

extern "C" void adjoint_rt_gemm_f32(int64_t m, int64_t n, int64_t k,
                                    const float *a, int64_t lda,
                                    int32_t trans_a, const float *b,
                                    int64_t ldb, int32_t trans_b, float *c,
                                    int64_t ldc) {
  gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc);
}

extern "C" void adjoint_rt_gemm_f64(int64_t m, int64_t n, int64_t k,
                                    const double *a, int64_t lda,
                                    int32_t trans_a, const double *b,
                                    int64_t ldb, int32_t trans_b, double *c,
                                    int64_t ldc) {
  gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc);
}
