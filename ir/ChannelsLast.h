//===- ChannelsLast.h - conv2d and pools in NHWC, as NCHW ops ---*- C++ -*-===//
//
// conv2d, max_pool2d and avg_pool2d take data_format "NHWC" (TensorFlow's
// and Keras' layout, with HWIO weights) as well as "NCHW". The type rules,
// FLOP counts and gradient rules (the NCHW rules between transposes) read
// it; the interpreter, the trainer and the optimizing pipeline work on the
// graph this lowering gives, where
// every such op is the NCHW op between transposes. The simplifications
// then sink the transposes through elementwise ops until they cancel, and
// the compiler picks its own layout inside, as for any NCHW model.
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
/// every value of `g` keeps its name and type (a copy of `g` when it has
/// no such op).
Graph lowerChannelsLast(const Graph &g);

} // namespace adjoint
