//===- Ceilings.h - The machine's FMA peak and copy bandwidth ---*- C++ -*-===//
//
// The two ceilings every benchmark program reports against, measured in the
// same process as the figures they judge: one core's f32 FMA peak (for
// compute-bound work: GEMM, convolution) and the bandwidth of a plain copy
// of 64 MiB buffers (for memory-bound work: elementwise kernels).
//
//   state.counters["of_peak"] = ...;   // via reportFlops(state, flops, T)
//   state.counters["of_copy"] = ...;   // via reportBytes(state, bytes, T)
//
// Counters are rates, so Google Benchmark divides by the (real) time.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace adjoint::bench {

/// Runs `iterations` steps of 16 independent vector FMA chains (two pipes
/// times a latency of four, twice over) and returns the floating-point
/// operations done (2 per lane and FMA).
double fmaKernel(int64_t iterations);

/// One core's f32 FMA peak in GFLOP/s: the best of 400 short timed runs of
/// fmaKernel (0.1 s in all), measured on the first call and remembered.
double fmaPeakGflops();

/// Bytes of each buffer of the copy (and of the elementwise benchmarks that
/// compare with it): 64 MiB, far beyond the caches.
constexpr int64_t kCopyBytes = int64_t(64) << 20;

/// Two kCopyBytes buffers, 64-byte aligned and touched once so that page
/// faults stay out of any timing.
struct CopyBuffers {
  CopyBuffers();
  ~CopyBuffers();
  CopyBuffers(const CopyBuffers &) = delete;
  CopyBuffers &operator=(const CopyBuffers &) = delete;
  float *src;
  float *dst;
};

/// Copies `buf.src` to `buf.dst` with a plain loop (vectorized as a
/// generated kernel would be) split over the runtime's pool in its current
/// size.
void copyLoop(CopyBuffers &buf);

/// The copy bandwidth in GB/s (10^9 bytes, read plus written, as STREAM's
/// Copy counts) of copyLoop on `threads` threads, measured at each call: the
/// best of 12 copies (about 40 ms). Not remembered, because it changes
/// during a run on a virtual machine: two threads were seen to copy at
/// 55 GB/s at one moment and at 100 GB/s a minute later, as the host moved
/// the virtual CPUs. Leaves the pool with `threads` threads.
double copyBandwidthGBs(int threads);

/// Reports `flops` per iteration as the counter `GFLOP/s`, and as `of_peak`,
/// the fraction of the peak of `threads` cores (threads x fmaPeakGflops()).
void reportFlops(benchmark::State &state, double flops, int threads);

/// Reports `bytes` (read plus written) per iteration as the counter `GB/s`,
/// and as `of_copy`, the fraction of copyBandwidthGBs(threads) measured
/// right after the benchmark's timed loop.
void reportBytes(benchmark::State &state, double bytes, int threads);

} // namespace adjoint::bench
