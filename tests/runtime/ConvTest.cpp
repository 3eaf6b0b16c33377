//===- ConvTest.cpp - adjoint_rt_conv2d against a direct convolution ------===//
#include "runtime/DirectConv.h"
#include "runtime/Runtime.h"
#include "runtime/WinogradConv.h"
#include "tests/runtime/ForEachIsa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <thread>
#include <vector>

namespace {

/// True when the two arrays hold the same bits (NaNs included).
template <typename T>
bool sameBits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() &&
         (a.empty() ||
          std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

struct ConvShape {
  int64_t n, c, h, w, o, kh, kw;
  int64_t sh = 1, sw = 1, top = 0, left = 0, bottom = 0, right = 0;
  int64_t dh = 1, dw = 1, groups = 1;

  int64_t outH() const {
    return (h + top + bottom - dh * (kh - 1) - 1) / sh + 1;
  }
  int64_t outW() const {
    return (w + left + right - dw * (kw - 1) - 1) / sw + 1;
  }
};

ConvShape shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                int64_t kh, int64_t kw) {
  ConvShape s;
  s.n = n, s.c = c, s.h = h, s.w = w, s.o = o, s.kh = kh, s.kw = kw;
  return s;
}

ConvShape strided(ConvShape s, int64_t sh, int64_t sw) {
  s.sh = sh, s.sw = sw;
  return s;
}
ConvShape padded(ConvShape s, int64_t t, int64_t l, int64_t b, int64_t r) {
  s.top = t, s.left = l, s.bottom = b, s.right = r;
  return s;
}
ConvShape dilated(ConvShape s, int64_t dh, int64_t dw) {
  s.dh = dh, s.dw = dw;
  return s;
}
ConvShape grouped(ConvShape s, int64_t g) {
  s.groups = g;
  return s;
}

/// Plain, strided, padded (asymmetric), dilated, grouped, depthwise, 1x1
/// (in place and not), batched, wide enough to be cut into tiles, and large
/// enough for its one GEMM to be cut into blocks.
std::vector<ConvShape> shapes() {
  return {
      shape(1, 1, 5, 5, 1, 3, 3),
      shape(2, 3, 8, 7, 4, 3, 3),
      strided(shape(1, 2, 9, 10, 3, 3, 2), 2, 3),
      padded(shape(1, 3, 6, 6, 2, 3, 3), 1, 1, 1, 1),
      padded(shape(2, 2, 7, 5, 3, 3, 3), 2, 0, 1, 3),
      strided(padded(shape(1, 3, 11, 9, 5, 5, 3), 0, 2, 3, 1), 2, 2),
      dilated(shape(1, 2, 12, 12, 3, 3, 3), 2, 3),
      dilated(padded(shape(2, 4, 10, 9, 2, 2, 3), 1, 2, 2, 1), 3, 2),
      grouped(shape(2, 4, 6, 6, 6, 3, 3), 2),
      grouped(padded(shape(1, 6, 8, 8, 6, 3, 3), 1, 1, 1, 1), 6),
      grouped(strided(padded(shape(3, 8, 9, 9, 16, 3, 3), 1, 0, 1, 0), 2, 1),
              8),
      shape(2, 16, 7, 7, 8, 1, 1),
      grouped(shape(1, 8, 5, 6, 4, 1, 1), 2),
      strided(shape(1, 4, 7, 7, 3, 1, 1), 2, 2),
      padded(shape(1, 4, 3, 3, 2, 1, 1), 1, 0, 0, 1),
      shape(4, 1, 28, 28, 8, 5, 5),
      padded(shape(1, 16, 100, 100, 8, 3, 3), 1, 1, 1, 1),
      padded(shape(1, 64, 32, 32, 64, 3, 3), 1, 1, 1, 1), // GEMM in blocks
      // Output rows computed as whole vectors (ConvPlanes.h): 14 and 29
      // columns wide, dilated, grouped, batch 1.
      padded(shape(2, 3, 14, 14, 5, 5, 5), 2, 2, 2, 2),
      padded(shape(1, 2, 9, 29, 3, 5, 5), 2, 2, 2, 2),
      dilated(padded(shape(1, 4, 10, 14, 6, 3, 3), 2, 2, 2, 2), 2, 2),
      grouped(padded(shape(3, 4, 14, 14, 8, 5, 5), 2, 2, 2, 2), 2),
      shape(1, 2, 2, 2, 3, 3, 3), // window larger than the image: no output
      shape(1, 3, 5, 5, 2, 5, 5), // one output pixel
      // The direct convolution (DirectConv.cpp) on every kernel set: blocks
      // of output channels with every kind of tail (33 = 32 + 1, 17, 24
      // per group), strided, dilated, asymmetric pads, and 5 images on 2
      // threads (shared among bands of rows).
      padded(shape(3, 16, 9, 13, 33, 3, 3), 1, 2, 0, 1),
      strided(padded(shape(1, 16, 17, 23, 17, 3, 3), 1, 1, 1, 1), 2, 2),
      dilated(padded(shape(2, 16, 12, 27, 20, 3, 3), 2, 2, 2, 2), 2, 2),
      grouped(padded(shape(1, 32, 8, 19, 48, 3, 3), 1, 1, 1, 1), 2),
      padded(shape(5, 6, 12, 12, 16, 5, 5), 2, 2, 2, 2),
      padded(shape(2, 32, 14, 14, 64, 5, 5), 2, 2, 2, 2),
      // Winograd's minimal filtering (WinogradConv.cpp) on every kernel
      // set: 3 x 3 and 5 x 5 kernels and the two mixed, outputs that are
      // no whole number of tiles (1 to 13 pixels), asymmetric pads, channels
      // with every kind of tail (17 in, 33 and 47 out), groups, and batches
      // of 1 and 3 on 2 threads (shared among bands of tile rows).
      padded(shape(1, 16, 13, 11, 16, 3, 3), 1, 1, 1, 1),
      padded(shape(3, 17, 9, 10, 33, 3, 3), 0, 2, 1, 0),
      padded(shape(2, 16, 7, 7, 47, 5, 5), 2, 2, 2, 2),
      padded(shape(1, 24, 6, 9, 20, 5, 3), 2, 1, 1, 1),
      padded(shape(1, 16, 12, 5, 16, 3, 5), 0, 2, 0, 2),
      grouped(padded(shape(2, 32, 10, 10, 64, 3, 3), 1, 1, 1, 1), 2),
      padded(shape(1, 16, 4, 4, 16, 3, 3), 1, 1, 1, 1),
      padded(shape(1, 64, 40, 36, 64, 3, 3), 1, 1, 1, 1),
      // Depthwise convolutions (DepthwiseConv.cpp): rows of 70 outputs (a
      // run of four vectors, one more and a masked tail), dilated with two
      // outputs per group, strided, and batch 1 on 2 threads (ranges of
      // groups).
      grouped(padded(shape(1, 16, 5, 70, 16, 3, 3), 1, 1, 1, 1), 16),
      grouped(dilated(padded(shape(3, 4, 9, 11, 8, 3, 3), 2, 2, 2, 2), 2, 2),
              4),
      grouped(strided(padded(shape(2, 8, 13, 13, 8, 3, 3), 1, 1, 1, 1), 2, 2),
              8),
      grouped(padded(shape(1, 32, 12, 12, 32, 5, 5), 2, 2, 2, 2), 32),
  };
}

/// Rows of every width from 4 to 29 outputs: every count of positions a
/// direct-convolution kernel is called with, on every kernel set.
std::vector<ConvShape> rowWidths() {
  std::vector<ConvShape> out;
  for (int64_t ow = 4; ow <= 29; ++ow)
    out.push_back(shape(1, 16, 3, ow + 2, 16, 3, 3));
  return out;
}

template <typename T> struct ConvProblem {
  ConvShape s;
  std::vector<T> x, w;

  ConvProblem(const ConvShape &shape, unsigned seed) : s(shape) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(-1, 1);
    x.resize(s.n * s.c * s.h * s.w);
    w.resize(s.o * (s.c / s.groups) * s.kh * s.kw);
    for (T &v : x)
      v = static_cast<T>(dist(rng));
    for (T &v : w)
      v = static_cast<T>(dist(rng));
  }

  int64_t outSize() const {
    return s.outH() > 0 && s.outW() > 0 ? s.n * s.o * s.outH() * s.outW() : 0;
  }

  /// y, with x, w and y placed `offset` elements into their buffers.
  std::vector<T> run(int64_t offset = 0) const {
    std::vector<T> x2(offset + x.size()), w2(offset + w.size());
    std::copy(x.begin(), x.end(), x2.begin() + offset);
    std::copy(w.begin(), w.end(), w2.begin() + offset);
    std::vector<T> y(offset + outSize(), std::numeric_limits<T>::quiet_NaN());
    const T *xp = x2.data() + offset, *wp = w2.data() + offset;
    T *yp = y.data() + offset;
    if constexpr (sizeof(T) == 4)
      adjoint_rt_conv2d_f32(xp, wp, yp, s.n, s.c, s.h, s.w, s.o, s.kh, s.kw,
                            s.sh, s.sw, s.top, s.left, s.bottom, s.right, s.dh,
                            s.dw, s.groups, s.outH(), s.outW());
    else
      adjoint_rt_conv2d_f64(xp, wp, yp, s.n, s.c, s.h, s.w, s.o, s.kh, s.kw,
                            s.sh, s.sw, s.top, s.left, s.bottom, s.right, s.dh,
                            s.dw, s.groups, s.outH(), s.outW());
    return std::vector<T>(y.begin() + offset, y.end());
  }

  /// The formula of Runtime.h in double, each output within rtol of the
  /// sum of the magnitudes of its terms.
  void check(const std::vector<T> &y, double rtol) const {
    int64_t oh = s.outH(), ow = s.outW(), cg = s.c / s.groups;
    int64_t og = s.o / s.groups;
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t oc = 0; oc < s.o; ++oc)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            double sum = 0, mag = 0;
            int64_t g = oc / og;
            for (int64_t ic = 0; ic < cg; ++ic)
              for (int64_t i = 0; i < s.kh; ++i)
                for (int64_t j = 0; j < s.kw; ++j) {
                  int64_t iy = oy * s.sh - s.top + i * s.dh;
                  int64_t ix = ox * s.sw - s.left + j * s.dw;
                  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                    continue;
                  double term =
                      static_cast<double>(
                          x[((b * s.c + g * cg + ic) * s.h + iy) * s.w + ix]) *
                      w[((oc * cg + ic) * s.kh + i) * s.kw + j];
                  sum += term;
                  mag += std::fabs(term);
                }
            T got = y[((b * s.o + oc) * oh + oy) * ow + ox];
            ASSERT_NEAR(got, sum, rtol * mag + 1e-300)
                << "at (" << b << ", " << oc << ", " << oy << ", " << ox << ")";
          }
  }
};

template <typename T> void checkAllShapes(double rtol) {
  unsigned seed = 1;
  std::vector<ConvShape> all = shapes(), widths = rowWidths();
  all.insert(all.end(), widths.begin(), widths.end());
  for (int threads : {1, 2}) {
    adjoint_rt_set_num_threads(threads);
    for (const ConvShape &s : all) {
      SCOPED_TRACE(testing::Message()
                   << "x [" << s.n << "," << s.c << "," << s.h << "," << s.w
                   << "] w [" << s.o << "," << s.c / s.groups << "," << s.kh
                   << "," << s.kw << "] strides " << s.sh << "," << s.sw
                   << " pads " << s.top << "," << s.left << "," << s.bottom
                   << "," << s.right << " dilations " << s.dh << "," << s.dw
                   << " groups " << s.groups << " threads " << threads);
      ConvProblem<T> p(s, seed++);
      p.check(p.run(), rtol);
    }
  }
  adjoint_rt_set_num_threads(0);
}

TEST(Conv2d, F32MatchesDirectConvolution) { checkAllShapes<float>(1e-5); }

TEST(Conv2d, F64MatchesDirectConvolution) { checkAllShapes<double>(1e-12); }

TEST(Conv2d, EveryKernelSetMatchesDirectConvolution) {
  adjoint::rt::testing::forEachIsa(
      [](adjoint::rt::Isa) { checkAllShapes<float>(1e-5); });
}

/// adjoint_rt_conv2d_ex_f32 calls its epilogue once per image, after the
/// image is final.
struct ImageLog {
  int64_t perImage;
  const float *y;
  std::vector<float> want;
  std::vector<int> calls;
  std::atomic<bool> early{false};
};

void logImage(int64_t b0, int64_t b1, int64_t c0, int64_t c1, void *ctx) {
  auto &log = *static_cast<ImageLog *>(ctx);
  EXPECT_EQ(c0, 0);
  EXPECT_EQ(c1, log.perImage);
  for (int64_t b = b0; b < b1; ++b) {
    ++log.calls[b];
    for (int64_t i = b * log.perImage; i < (b + 1) * log.perImage; ++i)
      if (std::memcmp(&log.y[i], &log.want[i], sizeof(float)) != 0)
        log.early = true;
  }
}

TEST(Conv2d, EpilogueRunsOnceOnEveryFinishedImage) {
  // 6 output channels take the GEMM over phase planes, 40 the direct
  // convolution.
  for (int threads : {1, 2})
    for (int64_t n : {1, 3, 8})
      for (int64_t o : {6, 40}) {
        adjoint_rt_set_num_threads(threads);
        ConvShape s = padded(shape(n, 16, 9, 9, o, 3, 3), 1, 1, 1, 1);
        adjoint::rt::ConvGeometry g(s.n, s.c, s.h, s.w, s.o, s.kh, s.kw, 1, 1,
                                    1, 1, 1, 1, 1, s.outH(), s.outW());
        EXPECT_EQ(adjoint::rt::directConvFits(g, adjoint::rt::kernels<float>()),
                  o == 40);
        ConvProblem<float> p(s, 3);
        std::vector<float> want = p.run();
        std::vector<float> y(want.size(), NAN);
        int64_t perImage = s.o * s.outH() * s.outW();
        ImageLog log{perImage, y.data(), want, std::vector<int>(n)};
        adjoint_rt_conv2d_ex_f32(p.x.data(), p.w.data(), y.data(), s.n, s.c,
                                 s.h, s.w, s.o, s.kh, s.kw, s.sh, s.sw, s.top,
                                 s.left, s.bottom, s.right, s.dh, s.dw,
                                 s.groups, s.outH(), s.outW(), logImage, &log);
        EXPECT_FALSE(log.early) << "an epilogue saw an unfinished image";
        for (int64_t b = 0; b < n; ++b)
          EXPECT_EQ(log.calls[b], 1) << "image " << b << " threads " << threads;
        EXPECT_TRUE(sameBits(y, want));
      }
  adjoint_rt_set_num_threads(0);
}

TEST(Conv2d, TheDirectConvolutionTakesTheWideLayers) {
  using adjoint::rt::ConvGeometry;
  // The example CNN's second layer (and its input gradient: 32 outputs of
  // 64 channels) fit the direct convolution on every kernel set (they take
  // it where Winograd's does not fit); a depthwise layer and a 1x1
  // unit-stride one (a GEMM on the input in place) do not.
  ConvGeometry second(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2, 1, 1, 1, 14, 14);
  ConvGeometry grad(64, 64, 14, 14, 32, 5, 5, 1, 1, 2, 2, 1, 1, 1, 14, 14);
  ConvGeometry depthwise(1, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32, 14, 14);
  ConvGeometry pointwise(1, 32, 14, 14, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1, 14, 14);
  adjoint::rt::testing::forEachIsa([&](adjoint::rt::Isa) {
    const auto &ks = adjoint::rt::kernels<float>();
    EXPECT_TRUE(adjoint::rt::directConvFits(second, ks));
    EXPECT_TRUE(adjoint::rt::directConvFits(grad, ks));
    EXPECT_FALSE(adjoint::rt::directConvFits(pointwise, ks));
    // The CNN's first layer: its weight gradient along output rows wherever
    // a vector holds more than its one input channel.
    ConvGeometry first(64, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2, 1, 1, 1, 28, 28);
    EXPECT_EQ(adjoint::rt::rowWeightGradFits(first, ks), ks.lanes > 1);
    EXPECT_FALSE(adjoint::rt::directWeightGradFits(first, ks) && ks.lanes > 1);
    if (ks.lanes > 1)
      EXPECT_FALSE(adjoint::rt::directConvFits(depthwise, ks));
    // The row widths that the tests run: every one goes direct except 16,
    // whose GEMM over phase planes keeps every column it computes.
    for (const ConvShape &s : rowWidths()) {
      ConvGeometry rows(s.n, s.c, s.h, s.w, s.o, s.kh, s.kw, 1, 1, 0, 0, 1, 1,
                        1, s.outH(), s.outW());
      EXPECT_EQ(adjoint::rt::directConvFits(rows, ks), s.outW() != 16)
          << "row width " << s.outW();
    }
  });
}

TEST(Conv2d, WinogradTakesTheUnitStrideLayersOf3And5Taps) {
  using adjoint::rt::ConvGeometry;
  // The example CNN's second layer and its input gradient; a VGG-style 3x3
  // layer; the last 7x7 layer of a ResNet. Not: strides, dilations, 1x1
  // and 7x7 kernels, a first layer of 3 channels, a depthwise layer, an
  // output too small for a tile to pay.
  ConvGeometry second(64, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2, 1, 1, 1, 14, 14);
  ConvGeometry grad(64, 64, 14, 14, 32, 5, 5, 1, 1, 2, 2, 1, 1, 1, 14, 14);
  ConvGeometry vgg(8, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 32, 32);
  ConvGeometry late(1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 7);
  ConvGeometry strided(8, 64, 32, 32, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 16, 16);
  ConvGeometry dilated(8, 64, 32, 32, 64, 3, 3, 1, 1, 2, 2, 2, 2, 1, 32, 32);
  ConvGeometry pointwise(1, 64, 14, 14, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1, 14, 14);
  ConvGeometry wide(1, 64, 14, 14, 64, 7, 7, 1, 1, 3, 3, 1, 1, 1, 14, 14);
  ConvGeometry rgb(1, 3, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 32, 32);
  ConvGeometry depthwise(1, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32, 14, 14);
  ConvGeometry tiny(1, 64, 4, 4, 64, 3, 3, 1, 1, 0, 0, 1, 1, 1, 2, 2);
  adjoint::rt::testing::forEachIsa([&](adjoint::rt::Isa) {
    const auto &ks = adjoint::rt::kernels<float>();
    for (const ConvGeometry *g : {&second, &grad, &vgg, &late})
      EXPECT_TRUE(adjoint::rt::winogradConvFits(*g, ks))
          << g->c << " -> " << g->o << " " << g->kh << "x" << g->kw;
    for (const ConvGeometry *g :
         {&strided, &dilated, &pointwise, &wide, &rgb, &depthwise, &tiny})
      EXPECT_FALSE(adjoint::rt::winogradConvFits(*g, ks))
          << g->c << " -> " << g->o << " " << g->kh << "x" << g->kw;
  });
}

TEST(Conv2d, NonFiniteInputsReachOnlyTheOutputsThatReadThem) {
  // Winograd's transforms mix a tile's pixels: an image that holds an
  // infinity or a NaN must not spread it to outputs whose windows miss it.
  for (int64_t n : {1, 3}) {
    ConvShape s = padded(shape(n, 16, 12, 12, 16, 3, 3), 1, 1, 1, 1);
    ConvProblem<float> p(s, 7);
    p.x[5] = INFINITY;                     // row 0 of image 0
    p.x[(s.n * s.c - 1) * 144 + 70] = NAN; // the last channel of the last
    for (int threads : {1, 2}) {
      adjoint_rt_set_num_threads(threads);
      std::vector<float> y = p.run();
      int64_t oh = s.outH(), ow = s.outW();
      for (int64_t b = 0; b < s.n; ++b)
        for (int64_t oc = 0; oc < s.o; ++oc)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
              double want = 0;
              for (int64_t c = 0; c < s.c; ++c)
                for (int64_t i = 0; i < 3; ++i)
                  for (int64_t j = 0; j < 3; ++j) {
                    int64_t iy = oy - 1 + i, ix = ox - 1 + j;
                    if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
                      want +=
                          double(p.x[((b * s.c + c) * s.h + iy) * s.w + ix]) *
                          p.w[((oc * s.c + c) * 3 + i) * 3 + j];
                  }
              float got = y[((b * s.o + oc) * oh + oy) * ow + ox];
              if (std::isnan(want))
                EXPECT_TRUE(std::isnan(got));
              else if (std::isinf(want))
                EXPECT_EQ(got, want);
              else
                ASSERT_NEAR(got, want, 1e-3)
                    << "at (" << b << ", " << oc << ", " << oy << ", " << ox
                    << ") threads " << threads;
            }
    }
  }
  adjoint_rt_set_num_threads(0);
}

template <typename T> void checkThreadInvariance() {
  unsigned seed = 50;
  for (const ConvShape &s : shapes()) {
    ConvProblem<T> p(s, seed++);
    adjoint_rt_set_num_threads(1);
    std::vector<T> one = p.run();
    for (int threads : {2, 3}) {
      adjoint_rt_set_num_threads(threads);
      std::vector<T> many = p.run();
      EXPECT_TRUE(sameBits(one, many))
          << "x [" << s.n << "," << s.c << "," << s.h << "," << s.w
          << "] groups " << s.groups << " threads " << threads;
    }
  }
  adjoint_rt_set_num_threads(0);
}

TEST(Conv2d, DoesNotDependOnAddresses) {
  unsigned seed = 80;
  for (const ConvShape &s : shapes()) {
    ConvProblem<float> p(s, seed++);
    ConvProblem<double> q(s, seed++);
    std::vector<float> base = p.run();
    std::vector<double> baseD = q.run();
    for (int64_t offset : {1, 3, 6}) {
      std::vector<float> moved = p.run(offset);
      std::vector<double> movedD = q.run(offset);
      EXPECT_TRUE(sameBits(base, moved))
          << "x [" << s.n << "," << s.c << "," << s.h << "," << s.w
          << "] offset " << offset;
      EXPECT_TRUE(sameBits(baseD, movedD))
          << "x [" << s.n << "," << s.c << "," << s.h << "," << s.w
          << "] offset " << offset << " (f64)";
    }
  }
}

TEST(Conv2d, F32IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<float>();
}

TEST(Conv2d, F64IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<double>();
}

/// A 1 x 1 unit-stride convolution reads its input in place and needs no
/// buffer of its own: on a thread that has never run a convolution it
/// still takes the GEMM, not the way out for a failed allocation (which
/// sums in another order, with 600 channels deeper than the GEMM's slices,
/// and is many times slower).
TEST(Conv2d, AFreshThreadGivesTheBitsOfAWarmOne) {
  adjoint_rt_set_num_threads(1);
  // A convolution over phase planes grows this thread's buffers.
  ConvProblem<float>(shape(1, 2, 8, 8, 3, 3, 3), 1).run();
  ConvProblem<float> p(shape(2, 600, 6, 7, 24, 1, 1), 11);
  std::vector<float> warm = p.run(), fresh;
  std::thread([&] { fresh = p.run(); }).join();
  adjoint_rt_set_num_threads(0);
  ASSERT_EQ(warm.size(), fresh.size());
  EXPECT_EQ(
      0, std::memcmp(warm.data(), fresh.data(), warm.size() * sizeof(float)));
}

TEST(Conv2d, RepeatedCallsGiveTheSameResult) {
  ConvProblem<float> p(padded(shape(2, 8, 20, 20, 16, 3, 3), 1, 1, 1, 1), 7);
  std::vector<float> first = p.run();
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(sameBits(first, p.run()));
}

TEST(Conv2d, EmptyInputsAndChannelsWork) {
  // No images: nothing to write.
  ConvProblem<float> none(shape(0, 3, 5, 5, 2, 3, 3), 1);
  EXPECT_TRUE(none.run().empty());
  // No input channels: every output is an empty sum.
  ConvProblem<float> zero(shape(2, 0, 5, 5, 3, 3, 3), 1);
  std::vector<float> y = zero.run();
  ASSERT_EQ(y.size(), 2u * 3 * 3 * 3);
  for (float v : y)
    EXPECT_EQ(v, 0.0f);
}

} // namespace
