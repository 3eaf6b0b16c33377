//===- Recurrent.h - RNN, LSTM and GRU layers as scans ----------*- C++ -*-===//
//
// Recurrent layers built with a Builder, as the layers of ir/Layers.h: each
// is one `scan` (ir/Scan.h) per direction whose body is one step, so the
// graph has a handful of nodes whatever the sequence length. The input
// projection of every step is one matmul before the scan, [T*N, D] x
// [D, G*U]; each step then multiplies the state by the recurrent weight and
// applies the gates.
//
//   Value *h = lstm(b, x, "lstm", {.units = 128});      // x [N, 28, 28]
//   Value *logits = b.dense(h, w, bias);                 // h [N, 128]
//
// Sequences are [batch, time, features], batch first. Each direction has
// four parameters, named PREFIX_w, _u, _bx, _bh (PREFIX_reverse_* for the
// backward direction), all uniform in [-1/sqrt(U), 1/sqrt(U)] as PyTorch
// initializes them:
//
//   w  [D, G*U]  input weight, x @ w        (PyTorch weight_ih_l0 transposed)
//   u  [U, G*U]  recurrent weight, h @ u    (PyTorch weight_hh_l0 transposed)
//   bx [G*U]     input bias                 (PyTorch bias_ih_l0)
//   bh [G*U]     recurrent bias             (PyTorch bias_hh_l0)
//
// The G gates are side by side along the last axis, in PyTorch's order:
//
//   lstm  i, f, g, o   c' = f*c + i*g, h' = o*tanh(c')  (G = 4)
//   gru   r, z, n      n = tanh(x_n + r*(h@u_n + bh_n)), h' = (1-z)*n + z*h
//   rnn   one          h' = tanh(x@w + bx + h@u + bh)   (or relu)
//
// Keras's LSTM kernel has the same order (i, f, c, o) with one bias (bx,
// bh = 0). Keras's GRU (reset_after=True) orders z, r, h and ONNX's GRU z,
// r, h: move the first block of U columns after the second. ONNX's LSTM
// orders i, o, f, c: its W is [4U, D], transposed and reordered. The ONNX
// importer does these permutations (compiler/onnx/OnnxRnnOps.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"

#include <string>

namespace adjoint {

/// The choices of a recurrent layer.
struct RecurrentOptions {
  int64_t units = 64;
  /// Also run over the sequence backwards, with its own parameters; the two
  /// directions' outputs are concatenated along the features (2 * units).
  bool bidirectional = false;
  /// The hidden state after every step, [N, T, units], or only the one
  /// after the last step, [N, units] (for the backward direction, the one
  /// after the step at t = 0).
  bool returnSequences = false;
  /// The initial hidden state [N, units] ([2, N, units] when bidirectional,
  /// the forward direction's first); zeros when null.
  Value *initialH = nullptr;
  /// The LSTM's initial cell state, as initialH.
  Value *initialC = nullptr;
  /// simpleRnn's activation: relu instead of tanh.
  bool relu = false;
  /// The gradient recomputes each step's gates from the saved states
  /// instead of keeping them from the forward pass (the scan's
  /// `recompute`): less memory for long sequences, one more forward step
  /// per step.
  bool recompute = false;
  uint64_t seed = 1;
};

/// An Elman RNN over x [N, T, D].
Value *simpleRnn(Builder &b, Value *x, const std::string &prefix,
                 const RecurrentOptions &options = {});

/// An LSTM over x [N, T, D]; its scan carries h and c side by side,
/// [N, 2 * units].
Value *lstm(Builder &b, Value *x, const std::string &prefix,
            const RecurrentOptions &options = {});

/// A GRU over x [N, T, D] (PyTorch's, and Keras's reset_after=True).
Value *gru(Builder &b, Value *x, const std::string &prefix,
           const RecurrentOptions &options = {});

} // namespace adjoint
