//===- Conv.h - The runtime's conv2d, for its gradients ---------*- C++ -*-===//
//
// The C++ side of adjoint_rt_conv2d_*: the input gradient of a stride-1
// convolution is itself a convolution (of the output gradient with the
// flipped kernel), run by the same code.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/ConvGeometry.h"
#include "runtime/Runtime.h"

namespace adjoint::rt {

/// y = conv2d(x, w) with the sizes of g; calls epilogue(b, b+1, 0,
/// O*outH*outW, ctx) on each image b of y as soon as it is final (from the
/// thread that computed it), when epilogue is not null. Bitwise the same
/// for every thread count.
template <typename T>
void conv2d(const ConvGeometry &g, const T *x, const T *w, T *y,
            adjoint_rt_tile_fn epilogue, void *ctx);

} // namespace adjoint::rt
