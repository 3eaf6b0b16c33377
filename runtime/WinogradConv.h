//===- WinogradConv.h - conv2d by Winograd's minimal filtering -*- C++ -*-===//
#pragma once

#include "runtime/ConvGeometry.h"
#include "runtime/GemmKernels.h"
#include "runtime/Runtime.h"

namespace adjoint::rt {

/// Whether the Winograd convolution (WinogradConv.cpp) is the better way
/// for `g` with the kernel set `ks`: unit strides and dilations, kernels of
/// 3 or 5 taps a side, a vector's worth of channels in and out, and outputs
/// large enough for the transforms to pay.
template <typename T>
bool winogradConvFits(const ConvGeometry &g, const KernelSet<T> &ks);

/// conv2d (Conv.h) by Winograd's minimal filtering: returns false, having
/// done nothing, when it does not fit (winogradConvFits) or its buffers
/// cannot be allocated, for the caller to take another way.
template <typename T>
bool winogradConv2d(const ConvGeometry &g, const T *x, const T *w, T *y,
                    adjoint_rt_tile_fn epilogue, void *ctx);

/// Whether the Winograd weight gradient is the better way for `g`: as
/// winogradConvFits, with the transformed gradient of the weights small
/// enough to stay in cache.
template <typename T>
bool winogradWeightGradFits(const ConvGeometry &g, const KernelSet<T> &ks);

/// conv2d's weight gradient (adjoint_rt_conv2d_weight_grad_*) by the same
/// transforms: false, having done nothing, when it does not fit or its
/// buffers cannot be allocated.
template <typename T>
bool winogradWeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *dw);

} // namespace adjoint::rt
