//===- Attention.cpp - Attention by blocks of queries and keys ------------===//
//
// out = softmax(scale * q @ k^T) @ v for each batch entry, computed as flash
// attention does: a task takes a block of queries and walks the keys in
// blocks, keeping for each query the largest score so far (m), the sum of
// exponentials below it (l) and the output accumulated with them; a new
// block with a larger score rescales both by exp(m_old - m_new). Only one
// block of scores, [queries x keys] of a block, exists at a time, in the
// thread's cache; the [Sq, Sk] matrix is never stored.
//
// The products are the runtime's GEMM on one thread (the tasks are split
// between threads), the exponentials the kernel set's vectorized expRow.
// The blocks are fixed sizes, so each element is the same sums in the same
// order on any number of threads. With `causal`, query i sees keys j <= i:
// key blocks past a query block's last row are skipped.
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"
#include "runtime/GemmKernels.h"
#include "runtime/Runtime.h"
#include "runtime/Scratch.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace adjoint::rt {
namespace {

/// Queries of a task, and keys of a block of scores.
constexpr int64_t kQueryBlock = 32;
constexpr int64_t kKeyBlock = 128;

thread_local Scratch tAttention;

template <typename T> struct AttentionJob {
  int64_t entries, sq, sk, d, dv;
  const T *q, *k, *v;
  T *out;
  T scale;
  bool causal;
  int64_t queryBlocks;
};

/// The largest of row[0, n), in 16 running maxima that vectorize.
template <typename T> T rowMax(const T *row, int64_t n) {
  constexpr int W = 16;
  T part[W];
  for (int l = 0; l < W; ++l)
    part[l] = -std::numeric_limits<T>::infinity();
  int64_t j = 0;
  for (; j + W <= n; j += W)
    for (int l = 0; l < W; ++l)
      part[l] = part[l] > row[j + l] ? part[l] : row[j + l];
  T best = -std::numeric_limits<T>::infinity();
  for (; j < n; ++j)
    best = best > row[j] ? best : row[j];
  for (int l = 0; l < W; ++l)
    best = best > part[l] ? best : part[l];
  return best;
}

/// One block of queries of one entry: the scores a key block at a time.
template <typename T> void attentionTask(int64_t task, void *ctx) {
  const AttentionJob<T> &job = *static_cast<const AttentionJob<T> *>(ctx);
  const KernelSet<T> &ks = kernels<T>();
  int64_t e = task / job.queryBlocks;
  int64_t i0 = task % job.queryBlocks * kQueryBlock;
  int64_t rows = std::min(kQueryBlock, job.sq - i0);
  const T *q = job.q + (e * job.sq + i0) * job.d;
  const T *k = job.k + e * job.sk * job.d;
  const T *v = job.v + e * job.sk * job.dv;
  T *out = job.out + (e * job.sq + i0) * job.dv;

  int64_t dv = job.dv;
  T *buffer = static_cast<T *>(tAttention.get(
      (kQueryBlock * kKeyBlock + kQueryBlock * (dv + 2)) * sizeof(T)));
  if (!buffer) {
    for (int64_t i = 0; i < rows * dv; ++i)
      out[i] = std::numeric_limits<T>::quiet_NaN();
    return;
  }
  T *scores = buffer, *acc = scores + kQueryBlock * kKeyBlock;
  T *most = acc + kQueryBlock * dv, *sum = most + kQueryBlock;
  std::fill(acc, acc + rows * dv, T(0));
  std::fill(most, most + rows, -std::numeric_limits<T>::infinity());
  std::fill(sum, sum + rows, T(0));

  const T scale = job.scale;
  int64_t keys = job.causal ? std::min(job.sk, i0 + rows) : job.sk;
  for (int64_t j0 = 0; j0 < keys; j0 += kKeyBlock) {
    int64_t cols = std::min(kKeyBlock, keys - j0);
    gemmSerial(GemmProblem<T>{rows, cols, job.d, q, job.d, false,
                              k + j0 * job.d, job.d, true, scores, kKeyBlock,
                              false});
    for (int64_t r = 0; r < rows; ++r) {
      T *row = scores + r * kKeyBlock;
      int64_t visible =
          job.causal ? std::clamp<int64_t>(i0 + r + 1 - j0, 0, cols) : cols;
      for (int64_t j = 0; j < visible; ++j)
        row[j] *= scale;
      T best = std::max(most[r], rowMax(row, visible));
      std::fill(row + visible, row + cols, T(0));
      if (visible == 0)
        continue;
      // The block's probabilities against the new largest score, and the
      // earlier ones brought to it.
      T rescale = most[r] == best ? T(1) : std::exp(most[r] - best);
      T blockSum = ks.expRow(row, best, visible);
      sum[r] = sum[r] * rescale + blockSum;
      most[r] = best;
      if (rescale != T(1))
        for (int64_t c = 0; c < dv; ++c)
          acc[r * dv + c] *= rescale;
    }
    gemmSerial(GemmProblem<T>{rows, dv, cols, scores, kKeyBlock, false,
                              v + j0 * dv, dv, false, acc, dv, true});
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < dv; ++c)
      out[r * dv + c] = acc[r * dv + c] / sum[r];
}

template <typename T>
void attention(int64_t entries, int64_t sq, int64_t sk, int64_t d, int64_t dv,
               const T *q, const T *k, const T *v, T *out, double scale,
               bool causal) {
  if (entries <= 0 || sq <= 0 || dv <= 0)
    return;
  AttentionJob<T> job{
      entries, sq, sk,  d,        dv,     q,
      k,       v,  out, T(scale), causal, (sq + kQueryBlock - 1) / kQueryBlock};
  globalPool().run(entries * job.queryBlocks, attentionTask<T>, &job);
}

} // namespace
} // namespace adjoint::rt

extern "C" void adjoint_rt_attention_f32(int64_t entries, int64_t sq,
                                         int64_t sk, int64_t d, int64_t dv,
                                         const float *q, const float *k,
                                         const float *v, float *out,
                                         double scale, int32_t causal) {
  adjoint::rt::attention(entries, sq, sk, d, dv, q, k, v, out, scale,
                         causal != 0);
}

extern "C" void adjoint_rt_attention_f64(int64_t entries, int64_t sq,
                                         int64_t sk, int64_t d, int64_t dv,
                                         const double *q, const double *k,
                                         const double *v, double *out,
                                         double scale, int32_t causal) {
  adjoint::rt::attention(entries, sq, sk, d, dv, q, k, v, out, scale,
                         causal != 0);
}
