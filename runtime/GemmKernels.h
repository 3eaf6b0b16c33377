//===- GemmKernels.h - Register-blocked GEMM micro-kernels per ISA -*- C++ -*-//
//
// The innermost piece of the runtime's GEMM (Gemm.cpp), built once per
// instruction set from one template (MicroKernel.h): AVX-512 (GemmAvx512.cpp),
// AVX2 with FMA3 (GemmAvx2.cpp) and portable C++ (GemmGeneric.cpp). Each file
// is compiled for its own instruction set whatever the host, and the GEMM
// picks the widest set the CPU runs (or the one ADJOINT_ISA names), so one
// library is fast on an AVX2-only CPU and on an AVX-512 one, and the AVX2
// kernels can be tested on an AVX-512 host.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <algorithm>
#include <cstdint>

namespace adjoint::rt {

/// The instruction sets the GEMM has kernels for, narrowest first.
enum class Isa { Generic, Avx2, Avx512 };

/// The largest register block height of any kernel set, and width in
/// vectors.
constexpr int MaxMr = 16;
constexpr int MaxNv = 4;

/// The operands of one micro-kernel call: C[0:mr, 0:nr] (+)= A @ B over kc
/// steps. A is a packed panel [kc][mr] (column k of the block's mr rows
/// contiguous, columns aStep apart when it is set) or, when aRows is set, mr
/// row pointers each contiguous along k (rows picked out of a larger array: a
/// convolution's taps). Row k of B holds NR elements at b + k*ldb (the caller's
/// matrix read in place, or a packed panel with ldb == NR) or, when bRows is
/// set, at b + bRows[k]. Only the first nr <= NR columns of B are read and of C
/// written; `accumulate` adds to C instead of overwriting it. aRows and bRows
/// are not both set. With aRows and segLen > 0, a row is read in segments of
/// segLen elements segStride apart, starting segStart elements into a segment
/// (a convolution's output rows in the rows of its planes). When vecOffsets is
/// set, the NV vectors of a row of B and of C are not side by side but at those
/// offsets from b's row and c's (whole vectors: nr is NV lanes' worth), and
/// aRows is not set.
template <typename T> struct MicroArgs {
  int64_t kc;
  const T *a;
  /// Elements from one column of a packed A to the next: 0 for the packed
  /// panel's mr, or the row stride of an A stored [k, m] read in place.
  int64_t aStep;
  const T *const *aRows;
  int64_t segLen, segStride, segStart; ///< aRows' segments, when segLen > 0
  const T *b;
  int64_t ldb;
  const int64_t *bRows;
  T *c;
  int64_t ldc;
  int64_t nr;
  bool accumulate;
  const int64_t *vecOffsets;
};

/// A register-blocked micro-kernel. The sum over k runs in order with one
/// fused multiply-add per step, so an element's value does not depend on
/// which block computed it, nor on how its operands were laid out.
template <typename T> using MicroKernel = void (*)(const MicroArgs<T> &);

/// C[m, n] (+)= A[m, k] @ B[n, k]^T for a few rows m, both operands read in
/// place along k (no packing): the path for skinny products whose B is
/// stored transposed, where packing B would cost as much as the product.
template <typename T>
using DotKernel = void (*)(int64_t m, int64_t n, int64_t k, const T *a,
                           int64_t lda, const T *b, int64_t ldb, T *c,
                           int64_t ldc, bool accumulate);

/// dst[p*ldd + j] = src[j*lds + p] for j < rows, p < cols: a block of a
/// matrix stored transposed (B stored [n, k]) packed into a panel.
template <typename T>
using TransposeFn = void (*)(const T *src, int64_t lds, int64_t rows,
                             int64_t cols, T *dst, int64_t ldd);

/// The portable TransposeFn.
template <typename T>
void transposeScalar(const T *src, int64_t lds, int64_t rows, int64_t cols,
                     T *dst, int64_t ldd) {
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t p = 0; p < cols; ++p)
      dst[p * ldd + j] = src[j * lds + p];
}

/// Transposes rows [r0, r1) of src into dst (TransposeFn's layout) with
/// `block(src, lds, dst, ldd, rows, cols)`, a transpose in registers of
/// `rows` <= B by `cols` <= B elements, in bands of B rows (the last as
/// many as are left) cut into blocks of B columns (the last likewise).
template <int B, typename T, class Block>
void transposeBands(const T *src, int64_t lds, int64_t r0, int64_t r1,
                    int64_t cols, T *dst, int64_t ldd, Block block) {
  for (int64_t j = r0; j < r1; j += B)
    for (int64_t p = 0; p < cols; p += B)
      block(src + j * lds + p, lds, dst + p * ldd + j, ldd,
            int(std::min<int64_t>(B, r1 - j)),
            int(std::min<int64_t>(B, cols - p)));
}

/// The largest number of output positions a direct-convolution kernel
/// computes at once.
constexpr int MaxDirectR = 14;

/// The operands of one direct-convolution kernel call (DirectConvKernel.h):
/// out[r][v] = sum over taps t < taps, channels c < channels of
/// x[tapOffsets[t] + r*pixelStride + c] * w[(t*channels + c)*NV*L + v*L ..],
/// for r < R output positions and NV vectors of output channels; out is
/// [R][NV*L], written whole.
template <typename T> struct DirectConvArgs {
  const T *x;
  int64_t pixelStride;
  const int64_t *tapOffsets;
  int64_t taps, channels;
  const T *w;
  T *out;
};

template <typename T>
using DirectConvKernel = void (*)(const DirectConvArgs<T> &);

/// The operands of one direct weight-gradient kernel call: for r < R rows
/// of output channels and NV vectors of input channels,
/// out[r*ldo + v*L ..] (+)= sum over oy < rows, ox < cols of
///   dy[r*dyStride + oy*dyRowStep + ox] * x[oy*xRowStep + ox*xColStep + v*L ..]
/// (`accumulate` adds to out instead of overwriting it).
template <typename T> struct DirectGradArgs {
  const T *dy;
  int64_t dyStride, dyRowStep;
  const T *x;
  int64_t xRowStep, xColStep;
  int64_t rows, cols;
  T *out;
  int64_t ldo;
  bool accumulate;
};

template <typename T>
using DirectGradKernel = void (*)(const DirectGradArgs<T> &);

/// The largest blocks of the row weight-gradient kernels: output channels
/// by taps along a row.
constexpr int MaxRowGradR = 4;
constexpr int MaxRowGradT = 6;

/// The operands of one row weight-gradient kernel call (for layers of few
/// input channels): for r < R output channels and t < T taps along a row,
/// with vectors along the output columns,
/// out[(r*T + t)*L ..] (+)= the lanes of the sums over oy < rows, ox < cols
///   of dy[r*dyStride + oy*dyRowStep + ox] * x[oy*xRowStep + ox + t*tapStep]
/// (L lanes of partial sums per (r, t), added across lanes by the caller;
/// the columns past the last whole vector are masked).
template <typename T> struct RowGradArgs {
  const T *dy;
  int64_t dyStride, dyRowStep;
  const T *x;
  int64_t xRowStep, tapStep;
  int64_t rows, cols;
  T *out;
  bool accumulate;
};

template <typename T> using RowGradKernel = void (*)(const RowGradArgs<T> &);

/// One input tile of the Winograd convolution (WinogradKernel.h): for each
/// of `vectors` vectors of channels, the 6 x 6 pixels at x (rows rowStride
/// elements apart, pixels pixelStride apart) transformed into
/// v[(xi*6 + nu)*planeStride ..].
template <typename T>
using WinogradInputFn = void (*)(const T *x, int64_t rowStride,
                                 int64_t pixelStride, int64_t vectors, T *v,
                                 int64_t planeStride);

/// One output tile of the Winograd convolution: the 36 products at
/// m[(xi*6 + nu)*planeStride ..] transformed into the tile's pixels
/// y[a*rowStride + b*pixelStride ..], for each of `vectors` vectors.
template <typename T>
using WinogradOutputFn = void (*)(const T *m, int64_t planeStride,
                                  int64_t vectors, T *y, int64_t rowStride,
                                  int64_t pixelStride);

/// A transform of the Winograd convolution's kernels: for each of `vectors`
/// vectors of output channels, src[i*srcStride ..] into dst[j*dstStride ..].
template <typename T>
using WinogradWeightFn = void (*)(const T *src, int64_t srcStride,
                                  int64_t vectors, T *dst, int64_t dstStride);

/// One output row of a depthwise convolution (DepthwiseConv.cpp):
/// out[0:n] = sum over taps t < taps, in order, of w[t] * x[offsets[t] + 0:n],
/// one FMA per tap; the columns past the last whole vector masked.
template <typename T>
using DepthwiseRowFn = void (*)(const T *x, const int64_t *offsets, const T *w,
                                int64_t taps, int64_t n, T *out);

/// row[j] = exp(row[j] - shift) for j < n; returns their sum: the
/// exponentials of a softmax row, vectorized for the kernel set's
/// instruction set (runtime/Attention.cpp).
template <typename T> using ExpRowFn = T (*)(T *row, T shift, int64_t n);

/// The kernels and block sizes of one instruction set for element type T.
template <typename T> struct KernelSet {
  Isa isa;
  const char *name;
  int mr;     ///< rows of a register block
  int nr;     ///< columns of a register block
  int lanes;  ///< elements of a vector; nr is a multiple
  int64_t kc; ///< depth of a packed panel (L1)
  int64_t mc; ///< rows of a packed A block (L2)
  /// A tile's block of op(A) of at most this many elements per slice of k
  /// is read where it is stored instead of packed (runtime/Gemm.cpp).
  int64_t inPlaceA;
  /// micro[h][v]: a block of h <= mr rows and v <= nr/lanes vectors, so
  /// that the last, narrower panel of a product does no work for nothing.
  MicroKernel<T> micro[MaxMr + 1][MaxNv + 1];
  /// The same for rows of A read in segments (MicroArgs::segLen > 0).
  MicroKernel<T> segmented[MaxMr + 1][MaxNv + 1];
  DotKernel<T> dot;
  TransposeFn<T> transpose;
  /// direct[r][v]: r <= directR output positions by v <= directNv vectors
  /// of output channels (null where a set has none).
  DirectConvKernel<T> direct[MaxDirectR + 1][MaxNv + 1];
  /// directGrad[r][v]: the weight gradient's, with the same block sizes.
  DirectGradKernel<T> directGrad[MaxDirectR + 1][MaxNv + 1];
  int directR, directNv;
  /// rowGrad[r][t]: r <= rowGradR output channels by t <= MaxRowGradT taps.
  RowGradKernel<T> rowGrad[MaxRowGradR + 1][MaxRowGradT + 1];
  int rowGradR;
  /// The Winograd transforms; winogradOutput[kh == 5][kw == 5] for kernels
  /// of 3 or 5 taps a side (tiles of 4 or 2 pixels).
  WinogradInputFn<T> winogradInput;
  WinogradOutputFn<T> winogradOutput[2][2];
  /// The weight gradient's transform of an output tile's gradient (the
  /// adjoint of winogradOutput), into 36 planes as winogradInput writes.
  WinogradInputFn<T> winogradOutputGrad[2][2];
  /// U = G w G'^T: taps k[(i*kW + j)*tapStride ..] into 36 planes
  /// u[p*planeStride ..], for `vectors` vectors of output channels; and
  /// its adjoint, planes into taps (same arguments, the roles swapped).
  WinogradWeightFn<T> winogradWeight[2][2];
  WinogradWeightFn<T> winogradWeightGrad[2][2];
  DepthwiseRowFn<T> depthwiseRow;
  ExpRowFn<T> expRow;
};

template <typename T> const KernelSet<T> &genericKernels();
#if defined(__x86_64__)
template <typename T> const KernelSet<T> &avx2Kernels();
template <typename T> const KernelSet<T> &avx512Kernels();
#endif

/// The widest instruction set this CPU runs that the runtime has kernels
/// for, unless the environment variable ADJOINT_ISA (generic, avx2 or
/// avx512) asks for a narrower one. Read once.
Isa hostIsa();

/// The instruction set the GEMM and convolutions use from now on, for
/// tests that compare the kernel sets; ignored (returns false) when the
/// CPU cannot run it. Must not be called while a kernel runs.
bool setKernelIsa(Isa isa);

/// The instruction set in use.
Isa kernelIsa();

/// The kernel set in use for T.
template <typename T> const KernelSet<T> &kernels();

} // namespace adjoint::rt
