//===- layers_model.cpp - Models of the layers the examples do not use ----===//
//
// Writes a model torch_training_check.py compares with PyTorch, each with a
// sparse softmax cross-entropy and a training spec:
//
//   layers_causal_prenorm  x [8, 6, 16] through one Transformer encoder
//       layer (2 heads, feed-forward 24, layer norm before each block, ReLU,
//       causal attention), the mean over time and dense 10: against
//       nn.TransformerEncoderLayer(norm_first=True, activation="relu") with
//       a causal src_mask;
//   layers_recurrent  x [4, 7, 5] through a bidirectional LSTM (6 units,
//       the whole sequence), a bidirectional GRU (5 units, the whole
//       sequence) and a bidirectional simple RNN (4 units, the last states),
//       then dense 10: against nn.LSTM, nn.GRU and nn.RNN;
//   layers_lstm_long  x [2, 1024, 3] through an LSTM of 8 units over 1024
//       steps, its last state into dense 10: against nn.LSTM.
//
//   layers_model NAME OUT.pbtxt
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Recurrent.h"

#include <cstdio>
#include <cstring>

using namespace adjoint;

namespace {

/// A model named `name` whose features x have shape `x`: `body` builds the
/// network up to its last features, which dense 10 turns into logits.
template <typename Body>
Model classifier(const char *name, Shape x, int64_t batch, Body body) {
  TrainingSpec spec("loss");
  spec.features = "x";
  spec.labels = "y";
  spec.batchSize = batch;
  Model m{Graph(name), spec};
  Builder b(m.graph);
  Value *in = b.input("x", {DType::F32, x});
  Value *y = b.input("y", {DType::I64, {batch}});
  Value *h = body(b, in);
  int64_t features = h->type().shape.back();
  Value *w = b.param("head_w", {DType::F32, {features, 10}}, glorotUniform(9));
  Value *bias = b.param("head_b", {DType::F32, {10}}, zerosInit());
  Value *logits = b.dense(h, w, bias);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  return m;
}

Model causalPrenorm() {
  return classifier("layers_causal_prenorm", {8, 6, 16}, 8,
                    [](Builder &b, Value *x) {
                      TransformerOptions o;
                      o.heads = 2;
                      o.feedForward = 24;
                      o.normFirst = true;
                      o.gelu = false;
                      o.causal = true;
                      o.seed = 5;
                      Value *h = transformerEncoderLayer(b, x, "enc", o);
                      return b.reduceMean(h, std::vector<int64_t>{1});
                    });
}

Model recurrent() {
  return classifier("layers_recurrent", {4, 7, 5}, 4, [](Builder &b, Value *x) {
    RecurrentOptions o;
    o.bidirectional = true;
    o.returnSequences = true;
    o.units = 6;
    o.seed = 11;
    Value *h = lstm(b, x, "lstm", o);
    o.units = 5;
    o.seed = 21;
    h = gru(b, h, "gru", o);
    o.units = 4;
    o.seed = 31;
    o.returnSequences = false;
    return simpleRnn(b, h, "rnn", o);
  });
}

Model lstmLong() {
  return classifier("layers_lstm_long", {2, 1024, 3}, 2,
                    [](Builder &b, Value *x) {
                      RecurrentOptions o;
                      o.units = 8;
                      o.seed = 41;
                      return lstm(b, x, "lstm", o);
                    });
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: layers_model NAME OUT.pbtxt\n");
    return 2;
  }
  try {
    const char *name = argv[1];
    if (!std::strcmp(name, "layers_causal_prenorm"))
      saveModel(causalPrenorm(), argv[2]);
    else if (!std::strcmp(name, "layers_recurrent"))
      saveModel(recurrent(), argv[2]);
    else if (!std::strcmp(name, "layers_lstm_long"))
      saveModel(lstmLong(), argv[2]);
    else
      badInput("unknown model ", name);
  } catch (const Error &e) {
    std::fprintf(stderr, "layers_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
