//===- layers_model.cpp - A model of the layers the examples do not use ---===//
//
// Writes the model torch_training_check.py compares with PyTorch's
// nn.TransformerEncoderLayer(norm_first=True, activation="relu") under a
// causal mask: x [8, 6, 16] through one encoder layer (2 heads,
// feed-forward 24, layer norm before each block, ReLU, causal attention),
// the mean over time and dense 10, with a sparse softmax cross-entropy and
// a training spec.
//
//   layers_model OUT.pbtxt
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"

#include <cstdio>

using namespace adjoint;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: layers_model OUT.pbtxt\n");
    return 2;
  }
  try {
    TrainingSpec spec("loss");
    spec.features = "x";
    spec.labels = "y";
    spec.batchSize = 8;
    Model m{Graph("layers_causal_prenorm"), spec};
    Builder b(m.graph);
    Value *x = b.input("x", {DType::F32, {8, 6, 16}});
    Value *y = b.input("y", {DType::I64, {8}});
    TransformerOptions o;
    o.heads = 2;
    o.feedForward = 24;
    o.normFirst = true;
    o.gelu = false;
    o.causal = true;
    o.seed = 5;
    Value *h = transformerEncoderLayer(b, x, "enc", o);
    Value *w = b.param("head_w", {DType::F32, {16, 10}}, glorotUniform(9));
    Value *bias = b.param("head_b", {DType::F32, {10}}, zerosInit());
    Value *logits = b.dense(b.reduceMean(h, std::vector<int64_t>{1}), w, bias);
    b.output("logits", logits);
    b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
    saveModel(m, argv[1]);
  } catch (const Error &e) {
    std::fprintf(stderr, "layers_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
