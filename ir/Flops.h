//===- Flops.h - Floating-point operation counts of graphs ----*- C++ -*-===//
//
// How much arithmetic one run of a graph does, for `adjoint check` and for
// comparing models. The convention (docs/cli.md repeats it):
//
//  - a multiply-add counts as 2 FLOPs: matmul is 2*M*N*K per batch element,
//    conv2d is 2*N*O*outH*outW*(C/groups)*kH*kW, and so are its gradients
//    conv2d_input_grad and conv2d_weight_grad;
//  - every elementwise op (arithmetic, comparisons, logic, select, cast, and
//    the transcendentals exp, log, sqrt, tanh, erf, sigmoid) counts 1 per
//    output element;
//  - reductions (reduce_sum, reduce_max, reduce_min, argmax) count 1 per
//    input element; reduce_mean counts 1 per input element plus 1 per
//    output element (its division), as reduce_sum followed by div would;
//  - max_pool2d and avg_pool2d count 1 per window element of every output
//    element (N*C*outH*outW*kH*kW), and so do max_pool2d_grad and
//    avg_pool2d_grad;
//  - scatter_add counts 1 per update element;
//  - sources (constant, iota), shape-only ops (reshape, transpose,
//    broadcast_to, slice, concat, pad), gather and stop_gradient count 0.
//
// Integer operations are counted the same way. Counts saturate at INT64_MAX.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace adjoint {

class Graph;
class Node;

/// The FLOPs of one evaluation of `node`, whose types must be verified.
int64_t nodeFlops(const Node &node);

/// The FLOPs of one run of the verified graph `g`: the sum over its nodes.
int64_t graphFlops(const Graph &g);

} // namespace adjoint
