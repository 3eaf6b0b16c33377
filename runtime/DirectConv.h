//===- DirectConv.h - conv2d as a direct convolution, channels last -*- C++
//-*-//
#pragma once

#include "runtime/ConvGeometry.h"
#include "runtime/GemmKernels.h"
#include "runtime/Runtime.h"

namespace adjoint::rt {

/// Whether the direct convolution (DirectConv.cpp) is the better way for
/// `g` with the kernel set `ks`.
template <typename T>
bool directConvFits(const ConvGeometry &g, const KernelSet<T> &ks);

/// conv2d (Conv.h) as a direct convolution: returns false, having done
/// nothing, when it does not fit (directConvFits) or its buffers cannot be
/// allocated, for the caller to take another way.
template <typename T>
bool directConv2d(const ConvGeometry &g, const T *x, const T *w, T *y,
                  adjoint_rt_tile_fn epilogue, void *ctx);

/// Whether the direct weight gradient is the better way for `g`.
template <typename T>
bool directWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks);

/// conv2d's weight gradient (adjoint_rt_conv2d_weight_grad_*) over
/// channels-last copies of the images: false, having done nothing, when it
/// does not fit or its buffer cannot be allocated.
template <typename T>
bool directWeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *dw);

/// Whether the row weight gradient (few input channels, vectors along the
/// output rows) is the better way for `g`.
template <typename T>
bool rowWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks);

/// conv2d's weight gradient over zero-padded planes with vectors along the
/// output rows: false, having done nothing, when it does not fit or its
/// buffer cannot be allocated.
template <typename T>
bool rowWeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *dw);

} // namespace adjoint::rt
