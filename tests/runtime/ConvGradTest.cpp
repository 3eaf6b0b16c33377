//===- ConvGradTest.cpp - conv2d's gradient kernels against direct loops
//---===//
#include "runtime/Runtime.h"
#include "tests/runtime/ForEachIsa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

template <typename T>
bool sameBits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() &&
         (a.empty() ||
          std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

struct Shape {
  int64_t n, c, h, w, o, kh, kw;
  int64_t sh = 1, sw = 1, top = 0, left = 0, bottom = 0, right = 0;
  int64_t dh = 1, dw = 1, groups = 1;

  int64_t outH() const {
    return (h + top + bottom - dh * (kh - 1) - 1) / sh + 1;
  }
  int64_t outW() const {
    return (w + left + right - dw * (kw - 1) - 1) / sw + 1;
  }
  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
};

Shape make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t kh,
           int64_t kw, std::vector<int64_t> strides = {1, 1},
           std::vector<int64_t> pads = {0, 0, 0, 0},
           std::vector<int64_t> dilations = {1, 1}, int64_t groups = 1) {
  Shape s{n, c, h, w, o, kh, kw};
  s.sh = strides[0], s.sw = strides[1];
  s.top = pads[0], s.left = pads[1], s.bottom = pads[2], s.right = pads[3];
  s.dh = dilations[0], s.dw = dilations[1];
  s.groups = groups;
  return s;
}

/// Plain, strided (rows no window reads), padded, dilated, grouped,
/// depthwise, 1x1 in place and not, batched, wide enough to be cut into
/// tiles, large enough to be cut into several parts and GEMM blocks.
std::vector<Shape> shapes() {
  return {
      make(1, 1, 5, 5, 1, 3, 3),
      make(2, 3, 8, 7, 4, 3, 3),
      make(1, 2, 9, 10, 3, 3, 2, {2, 3}),
      make(1, 2, 5, 5, 2, 2, 2, {2, 2}), // the last row and column unread
      make(1, 3, 6, 6, 2, 3, 3, {1, 1}, {1, 1, 1, 1}),
      make(2, 2, 7, 5, 3, 3, 3, {1, 1}, {2, 0, 1, 3}),
      make(1, 3, 11, 9, 5, 5, 3, {2, 2}, {0, 2, 3, 1}),
      make(1, 2, 12, 12, 3, 3, 3, {1, 1}, {0, 0, 0, 0}, {2, 3}),
      make(2, 4, 10, 9, 2, 2, 3, {1, 1}, {1, 2, 2, 1}, {3, 2}),
      make(2, 4, 6, 6, 6, 3, 3, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2),
      make(1, 6, 8, 8, 6, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}, 6),
      make(3, 8, 9, 9, 16, 3, 3, {2, 1}, {1, 0, 1, 0}, {1, 1}, 8),
      make(2, 16, 7, 7, 8, 1, 1),
      make(1, 8, 5, 6, 4, 1, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2),
      make(1, 4, 7, 7, 3, 1, 1, {2, 2}),
      make(1, 4, 3, 3, 2, 1, 1, {1, 1}, {1, 0, 0, 1}),
      make(4, 1, 28, 28, 8, 5, 5),
      make(1, 16, 100, 100, 8, 3, 3, {1, 1}, {1, 1, 1, 1}), // tiles
      make(16, 32, 14, 14, 64, 3, 3, {1, 1}, {1, 1, 1, 1}), // parts
      make(1, 64, 32, 32, 64, 3, 3, {1, 1}, {1, 1, 1, 1}),
      // Rows computed as whole vectors, in conv2d and in the stride-1
      // input gradient (a conv2d of dy).
      make(2, 3, 14, 14, 5, 5, 5, {1, 1}, {2, 2, 2, 2}),
      make(1, 2, 9, 29, 3, 5, 5, {1, 1}, {2, 2, 2, 2}),
      make(3, 4, 14, 14, 8, 5, 5, {1, 1}, {2, 2, 2, 2}, {1, 1}, 2),
      make(1, 3, 5, 5, 2, 5, 5), // one output pixel
      // The direct weight gradient (DirectConv.cpp) on every kernel set:
      // input channels that leave a tail of a vector (17, 9), blocks of
      // output channels with a tail (13 = 7 + 6, 20), strided, dilated,
      // grouped, asymmetric pads; and the direct convolution of dy for
      // the stride-1 input gradients among them.
      make(3, 17, 9, 11, 13, 3, 3, {1, 1}, {1, 2, 0, 1}),
      make(2, 16, 13, 13, 20, 3, 3, {2, 2}, {1, 1, 1, 1}),
      make(1, 32, 12, 12, 24, 3, 3, {1, 1}, {2, 2, 2, 2}, {2, 2}, 2),
      make(2, 9, 8, 17, 5, 5, 5, {1, 1}, {2, 2, 2, 2}),
      make(2, 32, 14, 14, 64, 5, 5, {1, 1}, {2, 2, 2, 2}),
      // The row weight gradient (few input channels, vectors along output
      // rows): a first layer with rows of whole vectors and a tail, three
      // channels with a 7-wide kernel (two groups of taps) strided down,
      // grouped and dilated with rows of one masked vector.
      make(3, 1, 20, 28, 8, 5, 5, {1, 1}, {2, 2, 2, 2}),
      make(2, 3, 11, 13, 6, 3, 7, {2, 1}, {1, 3, 0, 2}),
      make(1, 4, 9, 17, 10, 3, 3, {1, 1}, {1, 1, 1, 1}, {2, 2}, 2),
      // Winograd's transforms (WinogradConv.cpp), the weight gradient's and
      // conv2d's for the input gradient, on every kernel set: channels with
      // tails (17 in, 33 out), the mixed kernels, groups, 10 images in 8
      // chunks, and one tall image in several bands.
      make(1, 17, 13, 11, 33, 3, 3, {1, 1}, {1, 0, 2, 1}),
      make(10, 16, 6, 7, 16, 3, 5, {1, 1}, {1, 2, 1, 2}),
      make(2, 32, 9, 9, 48, 5, 3, {1, 1}, {2, 1, 2, 1}, {1, 1}, 2),
      make(1, 16, 40, 12, 16, 5, 5, {1, 1}, {2, 2, 2, 2}),
      // Depthwise layers (DepthwiseConv.cpp): strided and dilated, two
      // outputs per group with pads past the kernel (no flipped
      // convolution for the input gradient), many images.
      make(2, 8, 13, 13, 8, 3, 3, {2, 2}, {1, 1, 1, 1}, {2, 1}, 8),
      make(1, 4, 7, 30, 8, 3, 5, {1, 1}, {3, 1, 0, 5}, {1, 1}, 4),
      make(9, 6, 10, 9, 6, 5, 3, {3, 2}, {2, 1, 2, 1}, {1, 1}, 6),
      // Strided input gradients as one stride-1 convolution per phase of
      // dx: a residual network's downsampling 3 x 3 and 1 x 1 (a kernel
      // narrower than its stride: col2im), a 7 x 7 stem with pads of 3, stride
      // 3 by 2 with a 5 x 4 kernel and asymmetric pads, a last row no window
      // reads, grouped, batch 1 on 2 threads, and a pad past the kernel (the
      // col2im way).
      make(3, 16, 12, 12, 32, 3, 3, {2, 2}, {1, 1, 1, 1}),
      make(2, 16, 9, 11, 32, 1, 1, {2, 2}),
      make(2, 3, 15, 16, 16, 7, 7, {2, 2}, {3, 3, 3, 3}),
      make(2, 5, 14, 11, 7, 5, 4, {3, 2}, {1, 2, 2, 0}),
      make(1, 17, 10, 10, 20, 3, 3, {2, 2}),
      make(2, 8, 9, 10, 12, 3, 3, {2, 2}, {1, 1, 1, 1}, {1, 1}, 2),
      make(1, 32, 16, 16, 16, 3, 3, {2, 2}, {0, 1, 1, 0}),
      make(1, 2, 6, 6, 3, 2, 2, {2, 2}, {3, 2, 3, 2}),
  };
}

std::string describe(const Shape &s) {
  return "x [" + std::to_string(s.n) + "," + std::to_string(s.c) + "," +
         std::to_string(s.h) + "," + std::to_string(s.w) + "] w [" +
         std::to_string(s.o) + "," + std::to_string(s.cg()) + "," +
         std::to_string(s.kh) + "," + std::to_string(s.kw) + "] strides " +
         std::to_string(s.sh) + "," + std::to_string(s.sw) + " pads " +
         std::to_string(s.top) + "," + std::to_string(s.left) + "," +
         std::to_string(s.bottom) + "," + std::to_string(s.right) +
         " dilations " + std::to_string(s.dh) + "," + std::to_string(s.dw) +
         " groups " + std::to_string(s.groups);
}

template <typename T> struct Problem {
  Shape s;
  std::vector<T> x, w, dy;

  Problem(const Shape &shape, unsigned seed) : s(shape) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(-1, 1);
    x.resize(s.n * s.c * s.h * s.w);
    w.resize(s.o * s.cg() * s.kh * s.kw);
    dy.resize(s.n * s.o * s.outH() * s.outW());
    for (auto *v : {&x, &w, &dy})
      for (T &e : *v)
        e = static_cast<T>(dist(rng));
  }

  std::vector<T> inputGrad() const {
    std::vector<T> dx(x.size(), std::numeric_limits<T>::quiet_NaN());
    if constexpr (sizeof(T) == 4)
      adjoint_rt_conv2d_input_grad_f32(dy.data(), w.data(), dx.data(), s.n, s.c,
                                       s.h, s.w, s.o, s.kh, s.kw, s.sh, s.sw,
                                       s.top, s.left, s.bottom, s.right, s.dh,
                                       s.dw, s.groups, s.outH(), s.outW());
    else
      adjoint_rt_conv2d_input_grad_f64(dy.data(), w.data(), dx.data(), s.n, s.c,
                                       s.h, s.w, s.o, s.kh, s.kw, s.sh, s.sw,
                                       s.top, s.left, s.bottom, s.right, s.dh,
                                       s.dw, s.groups, s.outH(), s.outW());
    return dx;
  }

  std::vector<T> weightGrad() const {
    std::vector<T> dw(w.size(), std::numeric_limits<T>::quiet_NaN());
    if constexpr (sizeof(T) == 4)
      adjoint_rt_conv2d_weight_grad_f32(
          x.data(), dy.data(), dw.data(), s.n, s.c, s.h, s.w, s.o, s.kh, s.kw,
          s.sh, s.sw, s.top, s.left, s.bottom, s.right, s.dh, s.dw, s.groups,
          s.outH(), s.outW());
    else
      adjoint_rt_conv2d_weight_grad_f64(
          x.data(), dy.data(), dw.data(), s.n, s.c, s.h, s.w, s.o, s.kh, s.kw,
          s.sh, s.sw, s.top, s.left, s.bottom, s.right, s.dh, s.dw, s.groups,
          s.outH(), s.outW());
    return dw;
  }

  /// Calls fn(xIndex, wIndex, dyIndex) for every term of the convolution.
  template <typename Fn> void forEachTerm(Fn fn) const {
    int64_t oh = s.outH(), ow = s.outW(), cg = s.cg(), og = s.og();
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t oc = 0; oc < s.o; ++oc)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox)
            for (int64_t ic = 0; ic < cg; ++ic)
              for (int64_t i = 0; i < s.kh; ++i)
                for (int64_t j = 0; j < s.kw; ++j) {
                  int64_t iy = oy * s.sh - s.top + i * s.dh;
                  int64_t ix = ox * s.sw - s.left + j * s.dw;
                  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                    continue;
                  fn(((b * s.c + oc / og * cg + ic) * s.h + iy) * s.w + ix,
                     ((oc * cg + ic) * s.kh + i) * s.kw + j,
                     ((b * s.o + oc) * oh + oy) * ow + ox);
                }
  }

  /// Each element of `got` within rtol of the sum of the magnitudes of its
  /// terms, computed in double by the direct loops.
  void check(const std::vector<T> &got, bool input, double rtol) const {
    std::vector<double> sum(got.size()), mag(got.size());
    forEachTerm([&](int64_t xi, int64_t wi, int64_t di) {
      double term = static_cast<double>(dy[di]) * (input ? w[wi] : x[xi]);
      int64_t at = input ? xi : wi;
      sum[at] += term;
      mag[at] += std::fabs(term);
    });
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], sum[i], rtol * mag[i] + 1e-300)
          << (input ? "dx" : "dw") << " element " << i;
  }
};

template <typename T> void checkAgainstLoops(double rtol) {
  unsigned seed = 1;
  for (int threads : {1, 2}) {
    adjoint_rt_set_num_threads(threads);
    for (const Shape &s : shapes()) {
      SCOPED_TRACE(describe(s) + " threads " + std::to_string(threads));
      Problem<T> p(s, seed++);
      p.check(p.inputGrad(), true, rtol);
      p.check(p.weightGrad(), false, rtol);
    }
  }
  adjoint_rt_set_num_threads(0);
}

TEST(Conv2dGrad, F32MatchesDirectLoops) { checkAgainstLoops<float>(1e-5); }

TEST(Conv2dGrad, EveryKernelSetMatchesDirectLoops) {
  adjoint::rt::testing::forEachIsa(
      [](adjoint::rt::Isa) { checkAgainstLoops<float>(1e-5); });
}

/// A weight gradient reads the input through phase planes whose rows are
/// longer than the output's; the columns past it meet zeros of dy, which
/// must not turn an infinite or NaN input into NaN where no window reads
/// it: dw matches the direct loops, infinities and NaNs included.
TEST(Conv2dGrad, NonFiniteInputsReachOnlyTheWeightsThatReadThem) {
  for (const Shape &s : {make(2, 3, 9, 9, 4, 3, 3, {1, 1}, {1, 1, 1, 1}),
                         make(2, 16, 9, 9, 4, 3, 3, {1, 1}, {1, 1, 1, 1}),
                         make(1, 2, 8, 7, 3, 5, 5, {1, 1}, {2, 2, 2, 2}),
                         make(2, 2, 9, 9, 2, 3, 3, {2, 2}, {0, 1, 1, 0}),
                         make(2, 16, 9, 9, 16, 3, 3, {1, 1}, {1, 1, 1, 1})}) {
    SCOPED_TRACE(describe(s));
    Problem<float> p(s, 5);
    // An infinity in the last column of a row, a NaN on the first column
    // of the next: both sit right where the extra columns read.
    p.x[s.w - 1] = INFINITY;
    p.x[s.w * 3] = NAN;
    p.x[s.c * s.h * s.w - 1] = -INFINITY;
    std::vector<float> dw = p.weightGrad();
    std::vector<double> want(dw.size());
    p.forEachTerm([&](int64_t xi, int64_t wi, int64_t di) {
      want[wi] += double(p.dy[di]) * double(p.x[xi]);
    });
    for (size_t i = 0; i < dw.size(); ++i) {
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(dw[i])) << "dw element " << i;
        continue;
      }
      if (std::isinf(want[i])) {
        EXPECT_EQ(dw[i], want[i]) << "dw element " << i;
        continue;
      }
      EXPECT_NEAR(dw[i], want[i], 1e-4) << "dw element " << i;
    }
  }
}

TEST(Conv2dGrad, F64MatchesDirectLoops) { checkAgainstLoops<double>(1e-12); }

template <typename T> void checkThreadInvariance() {
  unsigned seed = 50;
  for (const Shape &s : shapes()) {
    Problem<T> p(s, seed++);
    adjoint_rt_set_num_threads(1);
    std::vector<T> dx = p.inputGrad(), dw = p.weightGrad();
    for (int threads : {2, 3}) {
      adjoint_rt_set_num_threads(threads);
      EXPECT_TRUE(sameBits(dx, p.inputGrad()))
          << "dx of " << describe(s) << " threads " << threads;
      EXPECT_TRUE(sameBits(dw, p.weightGrad()))
          << "dw of " << describe(s) << " threads " << threads;
    }
  }
  adjoint_rt_set_num_threads(0);
}

TEST(Conv2dGrad, F32IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<float>();
}

TEST(Conv2dGrad, F64IsBitwiseTheSameOnAnyThreadCount) {
  checkThreadInvariance<double>();
}

TEST(Conv2dGrad, IsTheAdjointOfConv2d) {
  // <dy, conv2d(x, w)> = <conv2d_input_grad(dy, w), x>
  //                    = <conv2d_weight_grad(x, dy), w>.
  unsigned seed = 90;
  for (const Shape &s : shapes()) {
    Problem<double> p(s, seed++);
    std::vector<double> y(p.dy.size());
    adjoint_rt_conv2d_f64(p.x.data(), p.w.data(), y.data(), s.n, s.c, s.h, s.w,
                          s.o, s.kh, s.kw, s.sh, s.sw, s.top, s.left, s.bottom,
                          s.right, s.dh, s.dw, s.groups, s.outH(), s.outW());
    auto dot = [](const std::vector<double> &a, const std::vector<double> &b) {
      double sum = 0, mag = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        sum += a[i] * b[i];
        mag += std::fabs(a[i] * b[i]);
      }
      return std::pair{sum, mag};
    };
    auto [forward, mag] = dot(p.dy, y);
    EXPECT_NEAR(dot(p.inputGrad(), p.x).first, forward, 1e-12 * mag)
        << describe(s);
    EXPECT_NEAR(dot(p.weightGrad(), p.w).first, forward, 1e-12 * mag)
        << describe(s);
  }
}

TEST(Conv2dGrad, RepeatedCallsGiveTheSameResult) {
  Problem<float> p(make(8, 8, 20, 20, 16, 3, 3, {1, 1}, {1, 1, 1, 1}), 7);
  std::vector<float> dx = p.inputGrad(), dw = p.weightGrad();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(sameBits(dx, p.inputGrad()));
    EXPECT_TRUE(sameBits(dw, p.weightGrad()));
  }
}

TEST(Conv2dGrad, EmptySizesGiveZerosOrNothing) {
  // No images: dx is empty and dw is an empty sum.
  Problem<float> none(make(0, 3, 5, 5, 2, 3, 3), 1);
  EXPECT_TRUE(none.inputGrad().empty());
  for (float v : none.weightGrad())
    EXPECT_EQ(v, 0.0f);
  // No output channels: nothing flows back to the input.
  Problem<float> noOut(make(2, 3, 4, 4, 0, 3, 3), 1);
  std::vector<float> dx = noOut.inputGrad();
  ASSERT_EQ(dx.size(), 2u * 3 * 4 * 4);
  for (float v : dx)
    EXPECT_EQ(v, 0.0f);
  // No input channels: both results are empty.
  Problem<float> noIn(make(2, 0, 4, 4, 3, 3, 3), 1);
  EXPECT_TRUE(noIn.inputGrad().empty());
  EXPECT_TRUE(noIn.weightGrad().empty());
}

} // namespace
