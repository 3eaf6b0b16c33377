//===- DepthwiseConv.h - conv2d of one input channel per group -*- C++ -*-===//
#pragma once

#include "runtime/ConvGeometry.h"
#include "runtime/Runtime.h"

namespace adjoint::rt {

/// Whether `g` is a depthwise convolution (one input channel per group, any
/// number of outputs per group, strides, padding and dilation), which
/// depthwiseConv2d computes.
bool depthwiseConvFits(const ConvGeometry &g);

/// conv2d (Conv.h) of a depthwise convolution, an output row at a time
/// from each input channel's phase planes: returns false, having done
/// nothing, when it does not fit or its buffers cannot be allocated.
template <typename T>
bool depthwiseConv2d(const ConvGeometry &g, const T *x, const T *w, T *y,
                     adjoint_rt_tile_fn epilogue, void *ctx);

/// conv2d's input gradient (adjoint_rt_conv2d_input_grad_*) of a
/// depthwise convolution, any stride: false, having done nothing, when it
/// does not fit or its buffer cannot be allocated.
template <typename T>
bool depthwiseInputGrad(const ConvGeometry &g, const T *dy, const T *w, T *dx);

/// conv2d's weight gradient of a depthwise convolution: false, having done
/// nothing, when it does not fit or its buffers cannot be allocated.
template <typename T>
bool depthwiseWeightGrad(const ConvGeometry &g, const T *x, const T *dy, T *dw);

} // namespace adjoint::rt
