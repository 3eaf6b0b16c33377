//===- Layers.h - Transformer layers as builder composites ----------------===//
//
// Layers are not ops: as the losses of ir/Losses.h, each is built from
// primitives with a Builder, so that autodiff, fusion and the compiler see
// ordinary graphs. A layer creates its parameters under a name prefix
// ("enc1" gives enc1_attn_wq, enc1_ln1_gamma, ...), initialized from a seed.
// Sequences are [batch, time, features], batch first (Keras, and PyTorch's
// batch_first=True); the batch may be symbolic.
//
//   Value *h = b.dense(x, w, bias);                      // [N, 28, 64]
//   h = addLearnedPositions(b, h, "pos", 3);
//   TransformerOptions enc;                              // 4 heads, GELU
//   h = transformerEncoderLayer(b, h, "enc1", enc);
//   h = transformerEncoderLayer(b, h, "enc2", enc);
//
// Shapes are checked when a layer is built: a mismatch throws BadInput
// naming the layer and the types.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"
#include "ir/TrainingSpec.h"

#include <string>

namespace adjoint {

/// GELU, the exact form: 0.5 x (1 + erf(x / sqrt(2))) (PyTorch's default,
/// Keras's approximate=False).
Value *gelu(Builder &b, Value *x);

/// Layer normalization over the last axis (PyTorch's LayerNorm(D), Keras's
/// LayerNormalization(axis=-1)): (x - mean) / sqrt(var + epsilon) * gamma
/// + beta, var the biased variance; gamma [D] (ones) and beta [D] (zeros)
/// are PREFIX_gamma and PREFIX_beta.
Value *layerNorm(Builder &b, Value *x, const std::string &prefix,
                 double epsilon = 1e-5);

/// The rows of a table [vocabulary, dim] (PREFIX_table, uniform in
/// [-0.05, 0.05] as Keras's Embedding) at integer `ids` of any shape: the
/// result has shape ids.shape + [dim]. An id outside [0, vocabulary) is an
/// error when the graph runs.
Value *embedding(Builder &b, Value *ids, int64_t vocabulary, int64_t dim,
                 const std::string &prefix, uint64_t seed);

/// x [N, T, D] plus a learned position table [T, D] (PREFIX_table, uniform
/// in [-0.05, 0.05]).
Value *addLearnedPositions(Builder &b, Value *x, const std::string &prefix,
                           uint64_t seed);

/// x [N, T, D] plus the sinusoidal positions of "Attention Is All You
/// Need": sin(t / 10000^(2i/D)) in even features 2i, cos in odd ones (a
/// constant, no parameter).
Value *addSinusoidalPositions(Builder &b, Value *x);

/// Multi-head self-attention of x [N, T, D] (PyTorch's MultiheadAttention
/// with batch_first=True and query = key = value = x): projections
/// PREFIX_wq, _wk, _wv, _wo [D, D] (Glorot-uniform, x @ W) with biases
/// PREFIX_bq, _bk, _bv, _bo [D] (zeros); `heads` must divide D. Each head
/// attends with softmax(q k^T / sqrt(D / heads)); with `causal`, position t
/// attends to positions <= t only. Result [N, T, D].
Value *multiHeadAttention(Builder &b, Value *x, int64_t heads,
                          const std::string &prefix, uint64_t seed,
                          bool causal = false);

/// The name of the graph input that carries the training step: dropout
/// draws its masks from it, and the Trainer binds it to the number of steps
/// taken so far.
inline constexpr const char *kStepInput = "step";

/// The graph's step input (i64[], named kStepInput), added when missing.
/// Throws BadInput if a value of another kind or type has that name.
Value *trainingStep(Builder &b);

/// Dropout of x at `rate` during training (the `dropout` op over the
/// graph's step input, ops.md): a mask of (seed, step), the same for the
/// gradient. withoutDropout() makes it the identity for inference.
Value *dropout(Builder &b, Value *x, double rate, uint64_t seed);

/// `g` for inference: every dropout node is the identity (its x), and the
/// step input, when nothing else reads it, is dropped.
Graph withoutDropout(const Graph &g);

/// The name of the graph input that says whether the graph runs a training
/// step (true) or an evaluation or inference (false): batch normalization
/// reads it. The Trainer binds it (withTrainingFlag); so does forInference.
inline constexpr const char *kTrainingInput = "training";

/// The graph's training input (bool[], named kTrainingInput), added when
/// missing. Throws BadInput if a value of another kind or type has that
/// name.
Value *trainingFlag(Builder &b);

/// `g` with its training input, if any, replaced by the constant
/// `training` (so that the simplifications fold what depends on it).
Graph withTrainingFlag(const Graph &g, bool training);

/// `g` for inference: withoutDropout, and the training input false.
Graph forInference(const Graph &g);

/// Batch normalization of x [..., C] over every axis but the last (Keras's
/// BatchNormalization(axis=-1)): in a training step, with the batch's mean
/// and (biased) variance; otherwise with the moving ones. Parameters
/// PREFIX_gamma (ones) and PREFIX_beta (zeros) train; PREFIX_moving_mean
/// (zeros) and PREFIX_moving_variance (ones) are state, whose next values,
/// momentum * moving + (1 - momentum) * batch, are the outputs
/// PREFIX_moving_mean_next and PREFIX_moving_variance_next; the caller
/// names them in the training spec's state updates (see
/// batchNormStateUpdates). `frozen` (Keras's trainable = false) normalizes
/// with the moving statistics in training too, and moves none: no outputs.
Value *batchNorm(Builder &b, Value *x, const std::string &prefix,
                 double momentum = 0.99, double epsilon = 1e-3,
                 bool frozen = false);

/// The state updates a batchNorm of `prefix` needs in the training spec.
std::vector<StateUpdate> batchNormStateUpdates(const std::string &prefix);

/// A Transformer encoder layer's choices; the defaults are PyTorch's
/// TransformerEncoderLayer's but for GELU.
struct TransformerOptions {
  int64_t heads = 4;
  int64_t feedForward = 128; ///< width of the feed-forward block
  bool gelu = true;          ///< GELU, or ReLU
  /// Layer norm before each block (x + f(LN(x))), or after it (LN(x +
  /// f(x)), PyTorch's norm_first=False).
  bool normFirst = false;
  bool causal = false;
  double epsilon = 1e-5;
  uint64_t seed = 1;
};

/// One encoder layer of x [N, T, D]: self-attention (PREFIX_attn_*) and a
/// feed-forward block D -> feedForward -> D (PREFIX_ff1_w/_b, PREFIX_ff2_w/_b)
/// each with a residual connection and a layer norm (PREFIX_ln1_*,
/// PREFIX_ln2_*). No dropout.
Value *transformerEncoderLayer(Builder &b, Value *x, const std::string &prefix,
                               const TransformerOptions &options = {});

} // namespace adjoint
