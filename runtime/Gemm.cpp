//===- Gemm.cpp - Packed, cache-blocked GEMM split across the pool --------===//
//
// BLIS's loops around a register-blocked micro-kernel (GemmKernels.h), for
// row-major C = op(A) @ op(B):
//
//   tile of C (mb <= mc rows x nb columns)       one pool task each
//     kc-deep slice of the k dimension           packed A block: L2
//       nr-wide panel of B                       read in place, or packed
//         mr-tall block of rows                  micro-kernel, C in registers
//
// A is packed (transposed or not: packing reads either layout) into [kc][mr]
// columns once per tile and slice and reused by every panel of B; a block
// small enough to stay in L1 (or read by one panel) is read in place. B stored
// [k, n] is read in place: each kc x nr panel is streamed once per tile into
// L1 and reused by every block of rows. B stored [n, k] is packed panel by
// panel, each right before its use, so no transpose of B goes to memory,
// unless several rows of tiles would each pack it: then it is packed once.
// Products of a few rows with a transposed B (a batch-1 dense layer) skip
// packing altogether: dot products along k (DotKernel).
//
// Every element of C is one sum over k in fixed order: kc slices chosen
// from k alone, one FMA per step inside a slice, slices added in order.
// Tiles only decide who computes what, so they may depend on the thread
// count and C still does not. An epilogue runs on each tile as soon as it
// is finished, from the thread that computed it.
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"

#include "runtime/GemmKernels.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace adjoint::rt {

template <typename T>
void prepackBPanels(const GemmProblem<T> &p, T *dst, int64_t first,
                    int64_t last);

namespace {

/// A tile does at least this many multiply-adds before the product is cut
/// into more tiles to keep every thread busy (a few microseconds of work,
/// against about one of dispatch).
constexpr double MinTileWork = double(1 << 19);
/// Columns of a tile at most (a multiple of nr below it). Long rows let an
/// epilogue stream the other arrays it reads and writes (an optimizer's
/// parameters and moments, megabytes that come from memory) in long runs
/// that the hardware prefetcher follows: on the example CNN's dense layer,
/// 4096 instead of 1024 took its weight gradient with Adam from 3.8-4.1 to
/// 3.0 ms on one Zen 5 core, and no GEMM of the benchmarks got slower.
constexpr int64_t MaxTileCols = 4096;
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// The thread's packed A block and packed B panel.
thread_local Scratch tPacked;
/// The calling thread's A packed once for every tile of a product, up to
/// this many elements.
thread_local Scratch tSharedA;
constexpr int64_t kMaxSharedA = int64_t(1) << 22;
/// The calling thread's B packed once for every row of tiles, up to this
/// many elements.
thread_local Scratch tSharedB;
constexpr int64_t kMaxSharedB = int64_t(1) << 22;

std::atomic<int> gIsa{-1};

bool cpuRuns(Isa isa) {
#if defined(__x86_64__)
  switch (isa) {
  case Isa::Avx512:
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw");
  case Isa::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case Isa::Generic:
    return true;
  }
  return false;
#else
  return isa == Isa::Generic;
#endif
}

/// The depth of the k slices: at most ks.kc, as even as possible, from k
/// alone (never from the tile), which keeps every sum's order fixed.
template <typename T> int64_t sliceDepth(const KernelSet<T> &ks, int64_t k) {
  return ceilDiv(k, ceilDiv(k, ks.kc));
}

/// Packs rows [i0, i0 + rows) of an op(A) = A^T (A stored [k, m]) over
/// depth [p0, p0 + kc) as the blocks of mr rows that packA writes, one
/// after the other ([kc][mr] each, the last [kc][rows % mr]). Rows of the
/// stored A (and blocks) are often a power of two of bytes apart, so they
/// share a few cache sets: reading a block's mr elements from every row in
/// turn (2 KiB apart for X^T of a 512-wide layer) missed L1 on most reads
/// and took a fifth of a weight gradient's time, and writing all blocks
/// per row (8 KiB apart) was no better. Runs of 16 rows go block by block:
/// 16 rows' lines stay in L1, every line read serves two blocks, and each
/// block is written contiguously.
template <typename T, int Mr>
void packTransposedBlocks(const T *a, int64_t lda, int64_t rows, int64_t kc,
                          T *dst) {
  constexpr int64_t Run = 16;
  int64_t full = rows / Mr * Mr, tail = rows - full;
  for (int64_t p0 = 0; p0 < kc; p0 += Run) {
    int64_t p1 = std::min(kc, p0 + Run);
    for (int64_t i = 0; i < full; i += Mr)
      for (int64_t p = p0; p < p1; ++p)
        std::memcpy(dst + i * kc + p * Mr, a + p * lda + i, Mr * sizeof(T));
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t r = 0; r < tail; ++r)
        dst[full * kc + p * tail + r] = a[p * lda + full + r];
  }
}

template <typename T, int... Mr>
void packTransposedBlocks(std::integer_sequence<int, Mr...>, int mr, const T *a,
                          int64_t lda, int64_t rows, int64_t kc, T *dst) {
  ((mr == Mr + 1 ? packTransposedBlocks<T, Mr + 1>(a, lda, rows, kc, dst)
                 : void()),
   ...);
}

/// Packs rows [i0, i0+rows) x depth [p0, p0+kc) of op(A) as [kc][mr]
/// blocks of mr rows, one after the other (rows > mr only for A^T).
template <typename T>
void packA(const KernelSet<T> &ks, const GemmProblem<T> &g, int64_t i0,
           int64_t rows, int64_t p0, int64_t kc, T *dst) {
  if (g.transA)
    return packTransposedBlocks(std::make_integer_sequence<int, MaxMr>(), ks.mr,
                                g.a + p0 * g.lda + i0, g.lda, rows, kc, dst);
  // Rows stored along k: each block of mr rows transposed into [kc][mr].
  for (int64_t i = 0; i < rows; i += ks.mr)
    ks.transpose(g.a + (i0 + i) * g.lda + p0, g.lda,
                 std::min<int64_t>(ks.mr, rows - i), kc, dst + i * kc,
                 std::min<int64_t>(ks.mr, rows - i));
}

/// Where packed block (p0, i) of an m-row op(A) starts in prepackA's
/// layout: k slices one after the other, each with its row blocks in turn.
int64_t packedOffset(int64_t m, int64_t p0, int64_t kc, int64_t i) {
  return p0 * m + i * kc;
}

/// Where column p of an indirect op(A)'s rows is, from the row's start.
template <typename T>
int64_t segmentedColumn(const GemmProblem<T> &g, int64_t p) {
  return g.aSegment ? p / g.aSegment * g.aSegmentStride + p % g.aSegment : p;
}

/// Element (i, p) of op(A) in any of its forms.
template <typename T> T opA(const GemmProblem<T> &g, int64_t i, int64_t p) {
  if (g.aRows)
    return g.a[g.aRows[i] + segmentedColumn(g, p)];
  if (g.aPacked) {
    int64_t depth = sliceDepth(kernels<T>(), g.k), mr = kernels<T>().mr;
    int64_t p0 = p / depth * depth, kc = std::min(depth, g.k - p0);
    int64_t i0 = i / mr * mr, h = std::min<int64_t>(mr, g.m - i0);
    return g.aPacked[packedOffset(g.m, p0, kc, i0) + (p - p0) * h + (i - i0)];
  }
  return g.transA ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
}

/// Element (p, j) of op(B) in any of its forms.
/// Where logical column j of op(B) and C is stored.
template <typename T>
int64_t physicalColumn(const GemmProblem<T> &g, int64_t j) {
  return g.groupCols ? j / g.groupCols * g.groupStride + j % g.groupCols : j;
}

/// Where block (p0, panel of column j) of a k x n op(B) starts in
/// prepackB's layout: k slices one after the other, each with its panels
/// (nr columns, the last padded) in turn.
int64_t packedBOffset(int64_t n, int64_t nr, int64_t p0, int64_t kc,
                      int64_t j) {
  return p0 * roundUp(n, nr) + j / nr * kc * nr;
}

template <typename T> T opB(const GemmProblem<T> &g, int64_t p, int64_t j) {
  if (g.bPacked) {
    const KernelSet<T> &ks = kernels<T>();
    int64_t depth = sliceDepth(ks, g.k);
    int64_t p0 = p / depth * depth, kc = std::min(depth, g.k - p0);
    return g.bPacked[packedBOffset(g.n, ks.nr, p0, kc, j) + (p - p0) * ks.nr +
                     j % ks.nr];
  }
  j = physicalColumn(g, j);
  if (g.bRows)
    return g.b[g.bRows[p] + j];
  return g.transB ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
}

/// Element (i, j) of the product summed term by term, for the ways out
/// below (the same sums as the kernels, not the same roundings).
template <typename T>
T naiveElement(const GemmProblem<T> &g, int64_t i, int64_t j) {
  T sum = 0;
  for (int64_t p = 0; p < g.k; ++p)
    sum += opA(g, i, p) * opB(g, p, j);
  return sum;
}

/// The tile computed without packing: the way out when the packing buffer
/// cannot be allocated.
template <typename T>
void naiveTile(const GemmProblem<T> &g, int64_t r0, int64_t r1, int64_t c0,
               int64_t c1) {
  for (int64_t i = r0; i < r1; ++i)
    for (int64_t j = c0; j < c1; ++j) {
      T sum = naiveElement(g, i, j);
      T &dst = g.c[i * g.ldc + physicalColumn(g, j)];
      dst = g.accumulate ? dst + sum : sum;
    }
}

/// The tiles of a product that is not stored, computed element by element
/// into a buffer on the stack and handed over a part of a row at a time:
/// the way out when a tile's buffer cannot be allocated.
template <typename T>
void naiveProductTile(const GemmProblem<T> &g, int64_t r0, int64_t r1,
                      int64_t c0, int64_t c1, adjoint_rt_product_fn product,
                      void *ctx) {
  constexpr int64_t Part = 256;
  T part[Part];
  for (int64_t i = r0; i < r1; ++i)
    for (int64_t j0 = c0; j0 < c1; j0 += Part) {
      int64_t j1 = std::min(c1, j0 + Part);
      for (int64_t j = j0; j < j1; ++j)
        part[j - j0] = naiveElement(g, i, j);
      product(i, i + 1, j0, j1, part, ctx);
    }
}

/// Whether computeTile reads rows [r0, r1) of op(A) in place instead of
/// packing them: a block of at most the kernel set's inPlaceA elements per
/// slice, or one that a single panel of B reads. An
/// A stored [k, m] is a packed panel with a longer step; rows stored along
/// k are row pointers, which the kernels cannot combine with indirect or
/// grouped columns of B.
template <typename T>
bool readsAInPlace(const KernelSet<T> &ks, const GemmProblem<T> &g,
                   int64_t rows, int64_t cols) {
  return !g.aPacked && !g.aRows && (g.transA || (!g.bRows && !g.groupCols)) &&
         (rows * sliceDepth(ks, g.k) <= ks.inPlaceA || cols <= ks.nr);
}

/// Dot products need both operands contiguous along k.
template <typename T> bool useDot(const GemmProblem<T> &g) {
  return g.transB && !g.transA && g.m <= kDotRows && !g.aPacked && !g.aRows &&
         !g.bPacked;
}

/// C[r0:r1, c0:c1] (+)= op(A)[r0:r1, :] @ op(B)[:, c0:c1]; r1 - r0 <= ks.mc.
template <typename T>
void computeTile(const KernelSet<T> &ks, const GemmProblem<T> &g, int64_t r0,
                 int64_t r1, int64_t c0, int64_t c1) {
  if (g.k <= 0) {
    if (!g.accumulate)
      for (int64_t i = r0; i < r1; ++i)
        for (int64_t j = c0; j < c1; ++j)
          g.c[i * g.ldc + physicalColumn(g, j)] = T(0);
    return;
  }
  if (useDot(g)) {
    ks.dot(r1 - r0, c1 - c0, g.k, g.a + r0 * g.lda, g.lda, g.b + c0 * g.ldb,
           g.ldb, g.c + r0 * g.ldc + c0, g.ldc, g.accumulate);
    return;
  }
  int64_t depth = sliceDepth(ks, g.k);
  bool inPlace = readsAInPlace(ks, g, r1 - r0, c1 - c0);
  bool packHere = !g.aPacked && !g.aRows && !inPlace;
  int64_t aSize = packHere ? roundUp((r1 - r0) * depth, 16) : 0;
  int64_t bSize = g.transB && !g.bPacked ? depth * ks.nr : 0;
  T *packedA = static_cast<T *>(tPacked.get((aSize + bSize + 16) * sizeof(T)));
  if (!packedA)
    return naiveTile(g, r0, r1, c0, c1);
  T *packedB = packedA + aSize;
  const T *rows[MaxMr];
  MicroArgs<T> args{};
  args.c = nullptr;
  for (int64_t p0 = 0; p0 < g.k; p0 += depth) {
    args.kc = std::min(depth, g.k - p0);
    args.accumulate = g.accumulate || p0 > 0;
    if (packHere)
      packA(ks, g, r0, r1 - r0, p0, args.kc, packedA);
    int64_t spread[MaxNv];
    for (int64_t j = c0; j < c1; j += ks.nr) {
      args.nr = std::min<int64_t>(ks.nr, c1 - j);
      // The physical column of logical column j, and of each vector of the
      // panel relative to it, when columns come in groups.
      int64_t base = j;
      args.vecOffsets = nullptr;
      if (g.groupCols) {
        auto physical = [&](int64_t col) {
          return col / g.groupCols * g.groupStride + col % g.groupCols;
        };
        base = physical(j);
        for (int64_t v = 0; v * ks.lanes < args.nr; ++v)
          spread[v] = physical(j + v * ks.lanes) - base;
        args.vecOffsets = spread;
      }
      args.b = g.b + p0 * g.ldb + base;
      args.ldb = g.ldb;
      args.bRows = nullptr;
      if (g.bPacked) {
        args.b = g.bPacked + packedBOffset(g.n, ks.nr, p0, args.kc, j);
        args.ldb = ks.nr;
      } else if (g.transB) {
        // op(B) = B^T, B stored [n, k]: columns j.. of op(B) are rows of B.
        ks.transpose(g.b + j * g.ldb + p0, g.ldb, args.nr, args.kc, packedB,
                     ks.nr);
        args.b = packedB;
        args.ldb = ks.nr;
        // The next panel's rows, fetched while this one is multiplied: nr
        // short runs far apart, more streams than the hardware follows.
        for (int64_t r = j + ks.nr; r < std::min(c1, j + 2 * ks.nr); ++r)
          for (int64_t p = 0; p < args.kc; p += 64 / int64_t(sizeof(T)))
            __builtin_prefetch(g.b + r * g.ldb + p0 + p, 0, 2);
      } else if (g.bRows) {
        args.b = g.b + base;
        args.bRows = g.bRows + p0;
      }
      for (int64_t i = r0; i < r1; i += ks.mr) {
        int64_t h = std::min<int64_t>(ks.mr, r1 - i);
        args.a = g.aPacked  ? g.aPacked + packedOffset(g.m, p0, args.kc, i)
                 : packHere ? packedA + (i - r0) * args.kc
                            : nullptr;
        args.aStep = 0;
        args.aRows = nullptr;
        if (inPlace && g.transA) {
          // Column p of the block is row p of the stored A.
          args.a = g.a + p0 * g.lda + i;
          args.aStep = g.lda;
        } else if (inPlace) {
          for (int64_t r = 0; r < h; ++r)
            rows[r] = g.a + (i + r) * g.lda + p0;
          args.aRows = rows;
        } else if (g.aRows) {
          for (int64_t r = 0; r < h; ++r)
            rows[r] = g.a + g.aRows[i + r] + segmentedColumn(g, p0);
          args.aRows = rows;
          args.segLen = g.aSegment;
          args.segStride = g.aSegmentStride;
          args.segStart = g.aSegment ? p0 % g.aSegment : 0;
        }
        args.c = g.c + i * g.ldc + base;
        args.ldc = g.ldc;
        (args.segLen ? ks.segmented
                     : ks.micro)[h][ceilDiv(args.nr, ks.lanes)](args);
      }
    }
  }
}

template <typename T> struct Tiling {
  const KernelSet<T> *ks;
  const GemmProblem<T> *g;
  int64_t unitRows;           // rows of a register block (1 for dots)
  int64_t rowTiles, colTiles; // the grid of tiles
  adjoint_rt_tile_fn epilogue;
  void *ctx;
  adjoint_rt_product_fn product = nullptr; // tiles in per-thread buffers
};

/// The thread's buffer for a tile of a product that is not stored.
thread_local Scratch tTile;

/// Cuts C into a grid of tiles of whole register blocks, near-equal in
/// size: rows in tiles of at most mc, columns of at most MaxTileCols, then
/// cut further (columns first) until every thread has a few tiles or tiles
/// would get too small.
template <typename T> void chooseTiles(Tiling<T> &t, int threads) {
  const KernelSet<T> &ks = *t.ks;
  const GemmProblem<T> &g = *t.g;
  t.unitRows = useDot(g) ? 1 : ks.mr;
  int64_t rowUnits = ceilDiv(g.m, t.unitRows), colUnits = ceilDiv(g.n, ks.nr);
  t.rowTiles = ceilDiv(rowUnits, std::max<int64_t>(1, ks.mc / t.unitRows));
  t.colTiles = ceilDiv(colUnits, std::max<int64_t>(1, MaxTileCols / ks.nr));
  int64_t wanted = threads > 1 ? 4 * threads : 1;
  double work = double(g.m) * double(g.n) * double(g.k);
  while (t.rowTiles * t.colTiles < wanted &&
         work / double(2 * t.rowTiles * t.colTiles) >= MinTileWork) {
    bool colsLeft = t.colTiles * 2 <= colUnits,
         rowsLeft = t.rowTiles * 2 <= rowUnits;
    // Every tile reads its rows of A and its columns of B: another cut of
    // the columns reads A once more (colTiles * m * k in all), another cut
    // of the rows reads B once more (rowTiles * k * n). When B is the
    // larger by far, columns are cut as long as each tile keeps two
    // register blocks of them (so tiles stay near-equal). On two threads,
    // the CNN's 64 x 3136 x 1024 dense layer cut into 2 x 4 tiles read its
    // 12.8 MB of weights twice and ran slower than on one thread.
    bool fewerReads = double(t.colTiles) * double(g.m) * 4 <=
                          double(t.rowTiles) * double(g.n) &&
                      colUnits >= 4 * t.colTiles;
    if (colsLeft && (!rowsLeft || fewerReads ||
                     colUnits / t.colTiles >= rowUnits / t.rowTiles))
      t.colTiles *= 2;
    else if (rowsLeft)
      t.rowTiles *= 2;
    else
      break;
  }
}

/// The first unit of tile i when `units` are cut into `tiles` tiles whose
/// sizes differ by at most one, the larger ones spread evenly: the pool
/// gives each thread a run of consecutive tiles, and any run of tiles/T of
/// them then holds its share of units to within one. With the larger tiles
/// first (chunkBegin), the CNN's 22 column panels in 8 tiles went 12 and 10
/// to the two threads of the pool.
int64_t tileBegin(int64_t units, int64_t tiles, int64_t i) {
  return i * units / tiles;
}

template <typename T> void tileTask(int64_t task, void *ctx) {
  const Tiling<T> &t = *static_cast<const Tiling<T> *>(ctx);
  const GemmProblem<T> &g = *t.g;
  int64_t nr = t.ks->nr;
  int64_t rowUnits = ceilDiv(g.m, t.unitRows), colUnits = ceilDiv(g.n, nr);
  int64_t rt = task / t.colTiles, ct = task % t.colTiles;
  int64_t r0 = tileBegin(rowUnits, t.rowTiles, rt) * t.unitRows;
  int64_t r1 =
      std::min(g.m, tileBegin(rowUnits, t.rowTiles, rt + 1) * t.unitRows);
  int64_t c0 = tileBegin(colUnits, t.colTiles, ct) * nr;
  int64_t c1 = std::min(g.n, tileBegin(colUnits, t.colTiles, ct + 1) * nr);
  if (t.product) {
    // The tile alone, rows g.n apart as the callback expects, in a buffer
    // of this thread's; the problem's C is pointed so that element (i, j)
    // of the tile lands at tile[(i - r0)*n + (j - c0)].
    T *tile = static_cast<T *>(tTile.get((r1 - r0) * g.n * sizeof(T)));
    if (!tile)
      return naiveProductTile(g, r0, r1, c0, c1, t.product, t.ctx);
    GemmProblem<T> local = g;
    local.c = reinterpret_cast<T *>(reinterpret_cast<uintptr_t>(tile) -
                                    uintptr_t(r0 * g.n + c0) * sizeof(T));
    local.ldc = g.n;
    local.accumulate = false;
    computeTile(*t.ks, local, r0, r1, c0, c1);
    t.product(r0, r1, c0, c1, tile, t.ctx);
    return;
  }
  computeTile(*t.ks, g, r0, r1, c0, c1);
  if (t.epilogue)
    t.epilogue(r0, r1, c0, c1, t.ctx);
}

/// The thread's C^T of a product computed transposed.
thread_local Scratch tTransposedC;

/// Whether C = A^T @ B (A stored [k, m], B stored [k, n]) is better computed
/// as C^T = B^T @ A, then transposed once. Either way the first operand is
/// packed by copies (it is stored along its rows) and the second read in
/// place, so the transposed product packs n*k elements where the plain one
/// packs m*k (or reads A's rows lda apart when it has a single panel), at
/// the price of moving the m x n result once. Weight gradients summed over
/// a sequence have this form: a GRU's recurrent weights (384 x 1792 x 128,
/// dg^T @ h) and input weights (384 x 1792 x 28). Each element of C is the
/// same chain of multiply-adds in the same order, so the bits are the same.
template <typename T> bool betterTransposed(const GemmProblem<T> &g) {
  if (!g.transA || g.transB || g.accumulate || g.aPacked || g.bPacked ||
      g.aRows || g.bRows || g.groupCols || g.aSegment || g.n >= g.m)
    return false;
  double packedLess = double(g.k) * double(g.m - g.n);
  double moved = 2.0 * double(g.m) * double(g.n);
  return packedLess > moved;
}

template <typename T>
void run(const GemmProblem<T> &g, adjoint_rt_tile_fn epilogue, void *ctx,
         int threads, adjoint_rt_product_fn product = nullptr) {
  if (g.m <= 0 || g.n <= 0)
    return;
  if (!epilogue && !product && betterTransposed(g))
    if (T *ct = static_cast<T *>(tTransposedC.get(g.m * g.n * sizeof(T)))) {
      GemmProblem<T> flipped{g.n, g.m,   g.k,   g.b, g.ldb, true,
                             g.a, g.lda, false, ct,  g.m,   false};
      run(flipped, nullptr, nullptr, threads);
      kernels<T>().transpose(ct, g.m, g.n, g.m, g.c, g.ldc);
      return;
    }
  Tiling<T> t{&kernels<T>(), &g, 0, 0, 0, epilogue, ctx, product};
  chooseTiles(t, threads);
  int64_t tiles = t.rowTiles * t.colTiles;
  // Tiles side by side would each pack the same rows of A: with one row of
  // several tiles, A is packed once, by the calling thread, for all of
  // them (the same panels, so the same sums). Measured: the CNN's dense
  // layer, 64 x 3136 x 1024 cut into 8 tiles on 2 threads, packed its A
  // 8 times.
  GemmProblem<T> shared = g;
  if (t.rowTiles == 1 && t.colTiles > 1 && !g.aPacked && !g.aRows &&
      !useDot(g) && g.k > 0 && g.m * g.k <= kMaxSharedA &&
      !readsAInPlace(*t.ks, g, g.m, g.n))
    if (T *packed =
            static_cast<T *>(tSharedA.get(packedASize(g.m, g.k) * sizeof(T)))) {
      prepackA(g, packed);
      shared.aPacked = packed;
      t.g = &shared;
    }
  // Likewise a B stored [n, k] (a layer's weights as PyTorch keeps them):
  // with several rows of tiles, each would transpose every panel of B again
  // before its use; the calling thread packs them all once instead. On one
  // Zen 5 core, the Transformer block's 1024 x 512 x 128 product with its
  // weights stored [out, in] took 0.82 ms against 0.69 with them [in, out].
  if (t.rowTiles > 1 && g.transB && !g.bPacked && !g.bRows && !g.groupCols &&
      !useDot(g) && g.k > 0 && packedBSize<T>(g.k, g.n) <= kMaxSharedB)
    if (T *packed = static_cast<T *>(
            tSharedB.get(packedBSize<T>(g.k, g.n) * sizeof(T)))) {
      // Every thread packs a share of the panels: on two threads, the CNN's
      // 12.8 MB of dense weights packed by the calling thread alone made
      // the product slower than on one.
      if (threads > 1)
        forRanges(ceilDiv(g.n, t.ks->nr), [&](int64_t first, int64_t last) {
          prepackBPanels(shared, packed, first, last);
        });
      else
        prepackB(shared, packed);
      shared.bPacked = packed;
      t.g = &shared;
    }
  if (threads <= 1) {
    for (int64_t task = 0; task < tiles; ++task)
      tileTask<T>(task, &t);
    return;
  }
  globalPool().run(tiles, tileTask<T>, &t);
}

} // namespace

Isa hostIsa() {
  static const Isa host = [] {
    Isa widest = cpuRuns(Isa::Avx512) ? Isa::Avx512
                 : cpuRuns(Isa::Avx2) ? Isa::Avx2
                                      : Isa::Generic;
    const char *env = std::getenv("ADJOINT_ISA");
    if (!env)
      return widest;
    Isa asked = std::strcmp(env, "generic") == 0 ? Isa::Generic
                : std::strcmp(env, "avx2") == 0  ? Isa::Avx2
                                                 : Isa::Avx512;
    return cpuRuns(asked) && asked < widest ? asked : widest;
  }();
  return host;
}

bool setKernelIsa(Isa isa) {
  if (!cpuRuns(isa))
    return false;
  gIsa.store(static_cast<int>(isa));
  return true;
}

Isa kernelIsa() {
  int isa = gIsa.load(std::memory_order_relaxed);
  return isa < 0 ? hostIsa() : static_cast<Isa>(isa);
}

template <typename T> const KernelSet<T> &kernels() {
  switch (kernelIsa()) {
#if defined(__x86_64__)
  case Isa::Avx512:
    return avx512Kernels<T>();
  case Isa::Avx2:
    return avx2Kernels<T>();
#else
  case Isa::Avx512:
  case Isa::Avx2:
#endif
  case Isa::Generic:
    break;
  }
  return genericKernels<T>();
}

template <typename T> void prepackA(const GemmProblem<T> &p, T *dst) {
  const KernelSet<T> &ks = kernels<T>();
  if (p.k <= 0)
    return;
  int64_t depth = sliceDepth(ks, p.k);
  for (int64_t p0 = 0; p0 < p.k; p0 += depth) {
    int64_t kc = std::min(depth, p.k - p0);
    packA(ks, p, 0, p.m, p0, kc, dst + packedOffset(p.m, p0, kc, 0));
  }
}

template <typename T> void gemmSerial(const GemmProblem<T> &p) {
  run(p, nullptr, nullptr, 1);
}

template <typename T>
void gemmParallel(const GemmProblem<T> &p, adjoint_rt_tile_fn epilogue,
                  void *ctx) {
  int threads = ThreadPool::insideTask() ? 1 : globalPool().threads();
  run(p, epilogue, ctx, threads);
}

template <typename T> int64_t packedBSize(int64_t k, int64_t n) {
  return k * roundUp(n, kernels<T>().nr);
}

/// packedBSize for the widest panels any kernel set may have (MaxNv vectors
/// of 64 bytes), whichever set the code that asks will run.
template <typename T> int64_t anyPackedBSize(int64_t k, int64_t n) {
  return k * roundUp(n, MaxNv * int64_t(64 / sizeof(T)));
}

/// prepackB for the panels [first, last) of op(B), in every k slice.
template <typename T>
void prepackBPanels(const GemmProblem<T> &p, T *dst, int64_t first,
                    int64_t last) {
  const KernelSet<T> &ks = kernels<T>();
  if (p.k <= 0 || p.n <= 0)
    return;
  int64_t depth = sliceDepth(ks, p.k);
  for (int64_t p0 = 0; p0 < p.k; p0 += depth) {
    int64_t kc = std::min(depth, p.k - p0);
    for (int64_t j = first * ks.nr; j < std::min(p.n, last * ks.nr);
         j += ks.nr) {
      T *block = dst + packedBOffset(p.n, ks.nr, p0, kc, j);
      int64_t cols = std::min<int64_t>(ks.nr, p.n - j);
      if (p.transB)
        ks.transpose(p.b + j * p.ldb + p0, p.ldb, cols, kc, block, ks.nr);
      else
        for (int64_t q = 0; q < kc; ++q)
          std::memcpy(block + q * ks.nr, p.b + (p0 + q) * p.ldb + j,
                      cols * sizeof(T));
      for (int64_t q = 0; q < kc; ++q)
        std::fill(block + q * ks.nr + cols, block + (q + 1) * ks.nr, T(0));
    }
  }
}

template <typename T> void prepackB(const GemmProblem<T> &p, T *dst) {
  prepackBPanels(p, dst, 0, ceilDiv(p.n, kernels<T>().nr));
}

/// The header of a fixed B's buffer (ADJOINT_RT_FIXED_B_HEADER bytes), zero
/// until the first call: whether the panels are there, and which B and
/// kernel set they were packed for (tests switch sets, whose panels differ
/// in width). Calls may overlap (an ahead-of-time library's runs on caller
/// arenas): one packs, and the panels never change once they are there.
struct FixedBHeader {
  enum : int64_t { Empty = 0, Packing = 1, Packed = 2 };
  std::atomic<int64_t> state;
  const void *source; // written before state becomes Packed
  int64_t isa;        // the kernel set's Isa
};
static_assert(sizeof(FixedBHeader) <= ADJOINT_RT_FIXED_B_HEADER);

/// adjoint_rt_gemm_fixed_b_*: `g` with op(B) read from `packed`, packed
/// there by the first call; a call that finds another B or kernel set
/// there, or a packing under way, computes the plain product.
template <typename T>
void gemmFixedB(GemmProblem<T> g, adjoint_rt_tile_fn epilogue, void *ctx,
                void *packed, int64_t capacity) {
  // A product of a few rows of A reads B once whatever its form, and with
  // B stored [n, k] takes dot products, reading it in place.
  bool worth = packed && g.m > kDotRows && g.k > 0 && g.n > 0 && !g.bRows &&
               !g.groupCols && packedBSize<T>(g.k, g.n) <= capacity;
  if (worth) {
    auto *header = static_cast<FixedBHeader *>(packed);
    T *data = reinterpret_cast<T *>(static_cast<char *>(packed) +
                                    ADJOINT_RT_FIXED_B_HEADER);
    int64_t isa = static_cast<int64_t>(kernelIsa());
    int64_t state = header->state.load(std::memory_order_acquire);
    if (state == FixedBHeader::Empty &&
        header->state.compare_exchange_strong(state, FixedBHeader::Packing,
                                              std::memory_order_acquire)) {
      if (!ThreadPool::insideTask() && globalPool().threads() > 1)
        forRanges(ceilDiv(g.n, kernels<T>().nr),
                  [&](int64_t first, int64_t last) {
                    prepackBPanels(g, data, first, last);
                  });
      else
        prepackB(g, data);
      header->source = g.b;
      header->isa = isa;
      state = FixedBHeader::Packed;
      header->state.store(state, std::memory_order_release);
    }
    if (state == FixedBHeader::Packed && header->source == g.b &&
        header->isa == isa)
      g.bPacked = data;
  }
  gemmParallel(g, epilogue, ctx);
}

template void prepackA<float>(const GemmProblem<float> &, float *);
template int64_t packedBSize<float>(int64_t, int64_t);
template int64_t packedBSize<double>(int64_t, int64_t);
template void prepackB<float>(const GemmProblem<float> &, float *);
template void prepackB<double>(const GemmProblem<double> &, double *);
template void prepackA<double>(const GemmProblem<double> &, double *);
template <typename T>
void gemmTiles(const GemmProblem<T> &p, adjoint_rt_product_fn epilogue,
               void *ctx) {
  int threads = ThreadPool::insideTask() ? 1 : globalPool().threads();
  run(p, nullptr, ctx, threads, epilogue);
}

template void gemmTiles<float>(const GemmProblem<float> &,
                               adjoint_rt_product_fn, void *);
template void gemmTiles<double>(const GemmProblem<double> &,
                                adjoint_rt_product_fn, void *);
template const KernelSet<float> &kernels<float>();
template const KernelSet<double> &kernels<double>();
template void gemmSerial<float>(const GemmProblem<float> &);
template void gemmSerial<double>(const GemmProblem<double> &);
template void gemmParallel<float>(const GemmProblem<float> &,
                                  adjoint_rt_tile_fn, void *);
template void gemmParallel<double>(const GemmProblem<double> &,
                                   adjoint_rt_tile_fn, void *);

} // namespace adjoint::rt

using adjoint::rt::GemmProblem;

extern "C" void adjoint_rt_gemm_f32(int64_t m, int64_t n, int64_t k,
                                    const float *a, int64_t lda,
                                    int32_t trans_a, const float *b,
                                    int64_t ldb, int32_t trans_b, float *c,
                                    int64_t ldc) {
  adjoint::rt::gemmParallel(GemmProblem<float>{m, n, k, a, lda, trans_a != 0, b,
                                               ldb, trans_b != 0, c, ldc,
                                               false},
                            nullptr, nullptr);
}

extern "C" void adjoint_rt_gemm_f64(int64_t m, int64_t n, int64_t k,
                                    const double *a, int64_t lda,
                                    int32_t trans_a, const double *b,
                                    int64_t ldb, int32_t trans_b, double *c,
                                    int64_t ldc) {
  adjoint::rt::gemmParallel(GemmProblem<double>{m, n, k, a, lda, trans_a != 0,
                                                b, ldb, trans_b != 0, c, ldc,
                                                false},
                            nullptr, nullptr);
}

extern "C" void adjoint_rt_gemm_ex_f32(int64_t m, int64_t n, int64_t k,
                                       const float *a, int64_t lda,
                                       int32_t trans_a, const float *b,
                                       int64_t ldb, int32_t trans_b, float *c,
                                       int64_t ldc, int32_t accumulate,
                                       adjoint_rt_tile_fn epilogue, void *ctx) {
  adjoint::rt::gemmParallel(GemmProblem<float>{m, n, k, a, lda, trans_a != 0, b,
                                               ldb, trans_b != 0, c, ldc,
                                               accumulate != 0},
                            epilogue, ctx);
}

extern "C" void adjoint_rt_gemm_ex_f64(int64_t m, int64_t n, int64_t k,
                                       const double *a, int64_t lda,
                                       int32_t trans_a, const double *b,
                                       int64_t ldb, int32_t trans_b, double *c,
                                       int64_t ldc, int32_t accumulate,
                                       adjoint_rt_tile_fn epilogue, void *ctx) {
  adjoint::rt::gemmParallel(GemmProblem<double>{m, n, k, a, lda, trans_a != 0,
                                                b, ldb, trans_b != 0, c, ldc,
                                                accumulate != 0},
                            epilogue, ctx);
}

extern "C" void
adjoint_rt_gemm_fixed_b_f32(int64_t m, int64_t n, int64_t k, const float *a,
                            int64_t lda, int32_t trans_a, const float *b,
                            int64_t ldb, int32_t trans_b, float *c, int64_t ldc,
                            int32_t accumulate, adjoint_rt_tile_fn epilogue,
                            void *ctx, void *packed, int64_t capacity) {
  adjoint::rt::gemmFixedB(GemmProblem<float>{m, n, k, a, lda, trans_a != 0, b,
                                             ldb, trans_b != 0, c, ldc,
                                             accumulate != 0},
                          epilogue, ctx, packed, capacity);
}

extern "C" void adjoint_rt_gemm_fixed_b_f64(
    int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
    int32_t trans_a, const double *b, int64_t ldb, int32_t trans_b, double *c,
    int64_t ldc, int32_t accumulate, adjoint_rt_tile_fn epilogue, void *ctx,
    void *packed, int64_t capacity) {
  adjoint::rt::gemmFixedB(GemmProblem<double>{m, n, k, a, lda, trans_a != 0, b,
                                              ldb, trans_b != 0, c, ldc,
                                              accumulate != 0},
                          epilogue, ctx, packed, capacity);
}

extern "C" int64_t adjoint_rt_packed_b_elements_f32(int64_t k, int64_t n) {
  return adjoint::rt::anyPackedBSize<float>(k, n);
}

extern "C" int64_t adjoint_rt_packed_b_elements_f64(int64_t k, int64_t n) {
  return adjoint::rt::anyPackedBSize<double>(k, n);
}

extern "C" void adjoint_rt_gemm_tiles_f32(int64_t m, int64_t n, int64_t k,
                                          const float *a, int64_t lda,
                                          int32_t trans_a, const float *b,
                                          int64_t ldb, int32_t trans_b,
                                          adjoint_rt_product_fn epilogue,
                                          void *ctx) {
  adjoint::rt::gemmTiles(GemmProblem<float>{m, n, k, a, lda, trans_a != 0, b,
                                            ldb, trans_b != 0, nullptr, n,
                                            false},
                         epilogue, ctx);
}

extern "C" void adjoint_rt_gemm_tiles_f64(int64_t m, int64_t n, int64_t k,
                                          const double *a, int64_t lda,
                                          int32_t trans_a, const double *b,
                                          int64_t ldb, int32_t trans_b,
                                          adjoint_rt_product_fn epilogue,
                                          void *ctx) {
  adjoint::rt::gemmTiles(GemmProblem<double>{m, n, k, a, lda, trans_a != 0, b,
                                             ldb, trans_b != 0, nullptr, n,
                                             false},
                         epilogue, ctx);
}
