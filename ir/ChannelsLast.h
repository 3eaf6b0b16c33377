//===- ChannelsLast.h - conv2d and pools in NHWC, as NCHW ops ---*- C++ -*-===//
//
// conv2d, max_pool2d and avg_pool2d take data_format "NHWC" (TensorFlow's
// and Keras' layout, with HWIO weights) as well as "NCHW". Only the type
// rules read it: the interpreter, differentiation and the optimizing
// pipeline work on the graph this lowering gives, where every such op is
// the NCHW op between transposes. The simplifications then cancel the
// transposes that meet (transpose of transpose) and the compiler picks its
// own layout inside, as for any NCHW model.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace adjoint {

/// Whether `node` is a conv2d or pool with data_format "NHWC".
bool isChannelsLastNode(const Node &node);
/// Whether a node of `g` is.
bool hasChannelsLast(const Graph &g);

/// `g` with each NHWC conv2d, max_pool2d and avg_pool2d replaced by
/// transposes to NCHW (the input, and conv2d's weight from HWIO to OIHW),
/// the NCHW op, and a transpose back, which takes the old node's name:
/// every value of `g` keeps its name and type. `g` itself when it has none.
Graph lowerChannelsLast(const Graph &g);

} // namespace adjoint
