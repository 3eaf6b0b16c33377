//===- WinogradKernel.h - Winograd transforms of one tile, per ISA -*- C++ -*-//
//
// The transforms of the Winograd convolution (WinogradConv.cpp), built per
// instruction set from one template like the GEMM's (MicroKernel.h), on
// vectors of channels. With the six points 0, 1, -1, 2, -2 and infinity,
// one input tile d of 6 x 6 pixels becomes
//
//   V = B^T d B                           (winogradInput)
//
// and the products M = sum over input channels of V * U, U = G w G^T the
// transformed kernel of r x r' taps, become an output tile of m x m' pixels,
// m = 7 - r:
//
//   Y = A^T M A'                          (winogradOutput)
//
// The weight gradient takes an output tile's gradient back the same way,
// A dY A'^T (winogradOutputGrad). The kernels' transforms, U = G w G'^T
// (winogradWeight) and its adjoint (winogradWeightGrad), run on vectors of
// output channels.
//
// B^T is the same for every kernel size; A^T holds the points' powers
// (A^T[i][j] = p_j^i, and the point at infinity adds to the last row only).
// The matrices are constants known to the compiler, so their zeros cost
// nothing and each of their entries becomes one fused multiply-add.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/GemmKernels.h"

namespace adjoint::rt {

namespace winograd {

/// B^T: row xi of the input transform.
inline constexpr int kBt[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};

/// The finite points.
inline constexpr int kPoints[5] = {0, 1, -1, 2, -2};

/// A^T[i][j] of an output tile of m pixels.
constexpr int at(int m, int i, int j) {
  if (j == 5)
    return i == m - 1 ? 1 : 0;
  int power = 1;
  for (int k = 0; k < i; ++k)
    power *= kPoints[j];
  return power;
}

/// G[j][k] of a kernel of r taps: the powers of point j over the product of
/// its differences to the other points; the point at infinity keeps the
/// last tap.
constexpr double g(int r, int j, int k) {
  if (k >= r)
    return 0;
  if (j == 5)
    return k == r - 1 ? 1 : 0;
  double power = 1, f = 1;
  for (int i = 0; i < k; ++i)
    power *= kPoints[j];
  for (int l = 0; l < 5; ++l)
    if (l != j)
      f *= kPoints[j] - kPoints[l];
  return power / f;
}

/// Calls f(std::integral_constant<int, i>()) for i = 0..5.
template <class F> inline __attribute__((always_inline)) void forSix(F f) {
  f(std::integral_constant<int, 0>());
  f(std::integral_constant<int, 1>());
  f(std::integral_constant<int, 2>());
  f(std::integral_constant<int, 3>());
  f(std::integral_constant<int, 4>());
  f(std::integral_constant<int, 5>());
}

/// acc = sum over k < 6 of c(k) * x[k], the terms whose constant is zero
/// left out; x(k) loads or returns term k.
template <class V, class Coef, class Load>
inline __attribute__((always_inline)) typename V::Reg combine(Coef c, Load x) {
  using T = typename V::T;
  typename V::Reg acc = V::zero();
  auto term = [&](auto k) {
    constexpr auto coef = c(decltype(k)::value);
    if constexpr (coef != 0) {
      static constexpr T value = T(coef);
      acc = V::fma(V::bcast(&value), x(decltype(k)::value), acc);
    }
  };
  term(std::integral_constant<int, 0>());
  term(std::integral_constant<int, 1>());
  term(std::integral_constant<int, 2>());
  term(std::integral_constant<int, 3>());
  term(std::integral_constant<int, 4>());
  term(std::integral_constant<int, 5>());
  return acc;
}

} // namespace winograd

/// WinogradInputFn: for each of `vectors` vectors of channels, the 6 x 6
/// pixels at x (rows rowStride apart, pixels pixelStride apart) into
/// v[(xi*6 + nu)*planeStride ..], B^T d B.
template <class V>
void winogradInputTile(const typename V::T *x, int64_t rowStride,
                       int64_t pixelStride, int64_t vectors, typename V::T *v,
                       int64_t planeStride) {
  using Reg = typename V::Reg;
  using winograd::kBt;
  for (int64_t c = 0; c < vectors; ++c, x += V::L, v += V::L) {
    auto xiRow = [&](auto xiConst) {
      constexpr int xi = decltype(xiConst)::value;
      // Row xi of B^T d: one vector per column of the tile.
      Reg t[6];
      for (int j = 0; j < 6; ++j)
        t[j] = winograd::combine<V>(
            [](int i) constexpr { return kBt[xi][i]; },
            [&](int i) {
              return V::load(x + i * rowStride + j * pixelStride);
            });
      auto column = [&](auto nuConst) {
        constexpr int nu = decltype(nuConst)::value;
        V::store(v + (xi * 6 + nu) * planeStride,
                 winograd::combine<V>(
                     [](int j) constexpr { return kBt[nu][j]; },
                     [&](int j) { return t[j]; }));
      };
      column(std::integral_constant<int, 0>());
      column(std::integral_constant<int, 1>());
      column(std::integral_constant<int, 2>());
      column(std::integral_constant<int, 3>());
      column(std::integral_constant<int, 4>());
      column(std::integral_constant<int, 5>());
    };
    xiRow(std::integral_constant<int, 0>());
    xiRow(std::integral_constant<int, 1>());
    xiRow(std::integral_constant<int, 2>());
    xiRow(std::integral_constant<int, 3>());
    xiRow(std::integral_constant<int, 4>());
    xiRow(std::integral_constant<int, 5>());
  }
}

/// WinogradOutputFn for tiles of M x N pixels: for each of `vectors`
/// vectors of channels, the 36 products at m[(xi*6 + nu)*planeStride ..]
/// into y[a*rowStride + b*pixelStride ..], A^T M A'.
template <class V, int M, int N>
void winogradOutputTile(const typename V::T *m, int64_t planeStride,
                        int64_t vectors, typename V::T *y, int64_t rowStride,
                        int64_t pixelStride) {
  using Reg = typename V::Reg;
  using winograd::at;
  for (int64_t c = 0; c < vectors; ++c, m += V::L, y += V::L) {
    auto outRow = [&](auto aConst) {
      constexpr int a = decltype(aConst)::value;
      if constexpr (a < M) {
        // Row a of A^T M: one vector per column nu.
        Reg s[6];
        for (int nu = 0; nu < 6; ++nu)
          s[nu] = winograd::combine<V>(
              [](int xi) constexpr { return at(M, a, xi); },
              [&](int xi) { return V::load(m + (xi * 6 + nu) * planeStride); });
        auto pixel = [&](auto bConst) {
          constexpr int b = decltype(bConst)::value;
          if constexpr (b < N)
            V::store(y + a * rowStride + b * pixelStride,
                     winograd::combine<V>(
                         [](int nu) constexpr { return at(N, b, nu); },
                         [&](int nu) { return s[nu]; }));
        };
        pixel(std::integral_constant<int, 0>());
        pixel(std::integral_constant<int, 1>());
        pixel(std::integral_constant<int, 2>());
        pixel(std::integral_constant<int, 3>());
        pixel(std::integral_constant<int, 4>());
      }
    };
    outRow(std::integral_constant<int, 0>());
    outRow(std::integral_constant<int, 1>());
    outRow(std::integral_constant<int, 2>());
    outRow(std::integral_constant<int, 3>());
    outRow(std::integral_constant<int, 4>());
  }
}

/// WinogradInputFn of the weight gradient for output tiles of M x N pixels:
/// the adjoint of winogradOutputTile, A dY A'^T, from the tile's pixels
/// dy[a*rowStride + b*pixelStride ..] into w[(xi*6 + nu)*planeStride ..].
template <class V, int M, int N>
void winogradOutputGradTile(const typename V::T *dy, int64_t rowStride,
                            int64_t pixelStride, int64_t vectors,
                            typename V::T *w, int64_t planeStride) {
  using Reg = typename V::Reg;
  using winograd::at;
  for (int64_t c = 0; c < vectors; ++c, dy += V::L, w += V::L) {
    // Row a of dY A'^T: one vector per column nu.
    Reg u[M][6];
    for (int a = 0; a < M; ++a) {
      auto column = [&](auto nuConst) {
        constexpr int nu = decltype(nuConst)::value;
        u[a][nu] = winograd::combine<V>(
            [](int b) constexpr { return b < N ? at(N, b, nu) : 0; },
            [&](int b) {
              return V::load(dy + a * rowStride + b * pixelStride);
            });
      };
      column(std::integral_constant<int, 0>());
      column(std::integral_constant<int, 1>());
      column(std::integral_constant<int, 2>());
      column(std::integral_constant<int, 3>());
      column(std::integral_constant<int, 4>());
      column(std::integral_constant<int, 5>());
    }
    auto row = [&](auto xiConst) {
      constexpr int xi = decltype(xiConst)::value;
      for (int nu = 0; nu < 6; ++nu)
        V::store(w + (xi * 6 + nu) * planeStride,
                 winograd::combine<V>(
                     [](int a) constexpr { return a < M ? at(M, a, xi) : 0; },
                     [&](int a) { return u[a][nu]; }));
    };
    row(std::integral_constant<int, 0>());
    row(std::integral_constant<int, 1>());
    row(std::integral_constant<int, 2>());
    row(std::integral_constant<int, 3>());
    row(std::integral_constant<int, 4>());
    row(std::integral_constant<int, 5>());
  }
}

/// WinogradWeightFn for kernels of R x S taps: for each of `vectors`
/// vectors of output channels, the taps k[(i*S + j)*tapStride ..] into
/// u[(xi*6 + nu)*planeStride ..], G w G'^T.
template <class V, int R, int S>
void winogradWeightTile(const typename V::T *k, int64_t tapStride,
                        int64_t vectors, typename V::T *u,
                        int64_t planeStride) {
  using Reg = typename V::Reg;
  using winograd::g;
  for (int64_t c = 0; c < vectors; ++c, k += V::L, u += V::L) {
    Reg half[6][S]; // G w
    for (int j = 0; j < S; ++j)
      winograd::forSix([&](auto xiConst) {
        constexpr int xi = decltype(xiConst)::value;
        half[xi][j] = winograd::combine<V>(
            [](int i) constexpr { return g(R, xi, i); },
            [&](int i) { return V::load(k + (i * S + j) * tapStride); });
      });
    for (int xi = 0; xi < 6; ++xi)
      winograd::forSix([&](auto nuConst) {
        constexpr int nu = decltype(nuConst)::value;
        V::store(u + (xi * 6 + nu) * planeStride,
                 winograd::combine<V>(
                     [](int j) constexpr { return g(S, nu, j); },
                     [&](int j) { return half[xi][j]; }));
      });
  }
}

/// WinogradWeightGradFn for kernels of R x S taps: the adjoint of
/// winogradWeightTile, G^T dU G', from du[(xi*6 + nu)*planeStride ..] into
/// the taps k[(i*S + j)*tapStride ..].
template <class V, int R, int S>
void winogradWeightGradTile(const typename V::T *du, int64_t planeStride,
                            int64_t vectors, typename V::T *k,
                            int64_t tapStride) {
  using Reg = typename V::Reg;
  using winograd::g;
  for (int64_t c = 0; c < vectors; ++c, du += V::L, k += V::L) {
    Reg half[6][S]; // dU G'
    for (int xi = 0; xi < 6; ++xi)
      for (int j = 0; j < S; ++j)
        half[xi][j] = V::zero();
    for (int xi = 0; xi < 6; ++xi) {
      auto column = [&](auto jConst) {
        constexpr int j = decltype(jConst)::value;
        if constexpr (j < S)
          half[xi][j] = winograd::combine<V>(
              [](int nu) constexpr { return g(S, nu, j); },
              [&](int nu) {
                return V::load(du + (xi * 6 + nu) * planeStride);
              });
      };
      winograd::forSix(column);
    }
    auto row = [&](auto iConst) {
      constexpr int i = decltype(iConst)::value;
      if constexpr (i < R)
        for (int j = 0; j < S; ++j)
          V::store(k + (i * S + j) * tapStride,
                   winograd::combine<V>(
                       [](int xi) constexpr { return g(R, xi, i); },
                       [&](int xi) { return half[xi][j]; }));
    };
    winograd::forSix(row);
  }
}

/// Fills the Winograd transforms of ks.
template <class V> void fillWinograd(KernelSet<typename V::T> &ks) {
  ks.winogradInput = &winogradInputTile<V>;
  ks.winogradOutput[0][0] = &winogradOutputTile<V, 4, 4>;
  ks.winogradOutput[0][1] = &winogradOutputTile<V, 4, 2>;
  ks.winogradOutput[1][0] = &winogradOutputTile<V, 2, 4>;
  ks.winogradOutput[1][1] = &winogradOutputTile<V, 2, 2>;
  ks.winogradOutputGrad[0][0] = &winogradOutputGradTile<V, 4, 4>;
  ks.winogradOutputGrad[0][1] = &winogradOutputGradTile<V, 4, 2>;
  ks.winogradOutputGrad[1][0] = &winogradOutputGradTile<V, 2, 4>;
  ks.winogradOutputGrad[1][1] = &winogradOutputGradTile<V, 2, 2>;
  ks.winogradWeight[0][0] = &winogradWeightTile<V, 3, 3>;
  ks.winogradWeight[0][1] = &winogradWeightTile<V, 3, 5>;
  ks.winogradWeight[1][0] = &winogradWeightTile<V, 5, 3>;
  ks.winogradWeight[1][1] = &winogradWeightTile<V, 5, 5>;
  ks.winogradWeightGrad[0][0] = &winogradWeightGradTile<V, 3, 3>;
  ks.winogradWeightGrad[0][1] = &winogradWeightGradTile<V, 3, 5>;
  ks.winogradWeightGrad[1][0] = &winogradWeightGradTile<V, 5, 3>;
  ks.winogradWeightGrad[1][1] = &winogradWeightGradTile<V, 5, 5>;
}

} // namespace adjoint::rt
