//===- make_examples.cpp - Builds the example models with the C++ API -----===//
//
// Writes keras_mlp.pbtxt, fashion_mlp.pbtxt, fashion_mlp_wide.pbtxt,
// fashion_cnn.pbtxt, tf_cnn.pbtxt, fashion_transformer.pbtxt and
// fashion_gru.pbtxt into the directory given as its argument.
// Weights are initializer recipes with fixed seeds, so the files are small and
// the same on every machine; a test checks that the committed files equal what
// this program writes. Each model has a label input y, a loss output and a
// training spec (Keras-like: Adam with lr 1e-3).
//
//   make_examples examples/
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Layers.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/Recurrent.h"
#include "ir/SymbolicDim.h"

#include <cmath>
#include <filesystem>
#include <iostream>

using namespace adjoint;

namespace {

TensorType f32(Shape shape) { return {DType::F32, std::move(shape)}; }

/// A dense layer x @ w + b: w [in, out] Glorot-uniform from `seed`, b zeros.
Value *dense(Builder &b, Value *x, const std::string &prefix, int64_t out,
             uint64_t seed) {
  int64_t in = x->type().shape.back();
  Value *w = b.param(prefix + "_w", f32({in, out}), glorotUniform(seed));
  Value *bias = b.param(prefix + "_b", f32({out}), zerosInit());
  return b.dense(x, w, bias);
}

/// A SAME 5x5 convolution with `out` channels plus bias and relu: w is
/// He-normal from `seed`, the bias [out, 1, 1] zeros (it broadcasts over
/// the image).
Value *convRelu(Builder &b, Value *x, const std::string &prefix, int64_t out,
                uint64_t seed) {
  int64_t in = x->type().shape[1];
  Value *w = b.param(prefix + "_w", f32({out, in, 5, 5}), heNormal(seed));
  Value *bias = b.param(prefix + "_b", f32({out, 1, 1}), zerosInit());
  Conv2DOptions same;
  same.pads = {2, 2, 2, 2};
  return b.relu(b.add(b.conv2d(x, w, same), bias));
}

Value *maxPool2x2(Builder &b, Value *x) {
  Pool2DOptions opts;
  opts.kernel = {2, 2};
  opts.strides = {2, 2};
  return b.maxPool2d(x, opts);
}

/// The batch of the examples: a symbol, so that one compiled model runs any
/// number of examples; the training spec gives the batch training uses.
int64_t batchN() { return symbolicDim(internSymbol("N")); }

/// The training spec shared by the examples: the loss output "loss", Adam
/// with lr 1e-3, five epochs, x and y as data and the logits as predictions.
TrainingSpec adamSpec(int64_t batch) {
  TrainingSpec spec("loss");
  OptimizerConfig adam;
  adam.kind = OptimizerKind::Adam;
  adam.lr = 1e-3;
  spec.optimizer = adam;
  spec.batchSize = batch;
  spec.epochs = 5;
  spec.features = "x";
  spec.labels = "y";
  spec.predictions = "logits";
  return spec;
}

/// Outputs the probabilities, the logits and the loss, sparse (integer
/// labels) or dense (one-hot targets) softmax cross-entropy.
void classifierOutputs(Builder &b, Value *logits, Value *y) {
  b.output("probs", b.softmax(logits));
  b.output("logits", logits);
  b.output("loss", y->type().rank() == 1
                       ? sparseSoftmaxCrossEntropy(b, logits, y)
                       : softmaxCrossEntropy(b, logits, y));
}

/// A Keras-style MLP: x [N, 100] -> dense 64 relu -> dense 10, trained
/// with one-hot targets y [N, 10] (categorical cross-entropy on logits) in
/// batches of 32.
Model kerasMlp() {
  Model m{Graph("keras_mlp"), adamSpec(32)};
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 100}));
  Value *y = b.input("y", f32({batchN(), 10}));
  Value *h = b.relu(dense(b, x, "fc1", 64, 1));
  classifierOutputs(b, dense(b, h, "fc2", 10, 2), y);
  return m;
}

/// An MLP for Fashion-MNIST: x [N, 784] -> dense 64 relu -> dense 10,
/// trained with class labels y [N] in batches of 32.
Model fashionMlp() {
  Model m{Graph("fashion_mlp"), adamSpec(32)};
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 784}));
  Value *y = b.input("y", {DType::I64, {batchN()}});
  Value *h = b.relu(dense(b, x, "fc1", 64, 11));
  classifierOutputs(b, dense(b, h, "fc2", 10, 12), y);
  return m;
}

/// A wider MLP for Fashion-MNIST: x [N, 784] -> dense 256 relu -> dense 128
/// relu -> dense 10, trained with class labels y [N] in batches of 64 for
/// ten epochs (at batch 32 or five epochs its test accuracy wanders around
/// 87.5-88%).
Model fashionMlpWide() {
  Model m{Graph("fashion_mlp_wide"), adamSpec(64)};
  m.training->epochs = 10;
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 784}));
  Value *y = b.input("y", {DType::I64, {batchN()}});
  Value *h = b.relu(dense(b, x, "fc1", 256, 31));
  h = b.relu(dense(b, h, "fc2", 128, 32));
  classifierOutputs(b, dense(b, h, "fc3", 10, 33), y);
  return m;
}

/// TensorFlow's classic MNIST CNN on NCHW images [N, 1, 28, 28]: two SAME
/// 5x5 convolutions (32, 64 channels) with relu and 2x2 max-pooling, then
/// dense 3136 -> 1024 relu and dense 1024 -> 10, trained with class labels
/// y [N] in batches of 64.
Model fashionCnn() {
  Model m{Graph("fashion_cnn"), adamSpec(64)};
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 1, 28, 28}));
  Value *y = b.input("y", {DType::I64, {batchN()}});
  Value *h = maxPool2x2(b, convRelu(b, x, "conv1", 32, 21));
  h = maxPool2x2(b, convRelu(b, h, "conv2", 64, 22));
  h = b.relu(dense(b, b.flatten(h), "fc1", 1024, 23));
  classifierOutputs(b, dense(b, h, "fc2", 10, 24), y);
  return m;
}

/// The seed's TensorFlow CNN as TensorFlow writes it: channels-last images
/// x [?, 28, 28, 1] (any batch), HWIO weights [5, 5, 1, 32] and
/// [5, 5, 32, 64], SAME 5x5 convolutions and SAME 2x2 max-pools,
/// reshape(h_pool2, [-1, 7*7*64]), dense 1024 relu and dense 10; the
/// outputs of the other examples (the mean sparse softmax cross-entropy as
/// "loss"), and reduce_mean(cast(equal(argmax(y_conv, 1), y_))) as
/// "accuracy". Weights are He-normal, N(0, 2/fan_in) with the
/// fan-in of the HWIO layout (the he_normal recipe reads OIHW), biases 0.
Model tfCnn() {
  Model m{Graph("tf_cnn"), adamSpec(50)};
  Builder b(m.graph);
  int64_t batch = symbolicDim(internSymbol("?"));
  Value *x = b.input("x", f32({batch, 28, 28, 1}));
  Value *y = b.input("y", {DType::I64, {batch}});
  auto heNormalFanIn = [](int64_t fanIn, uint64_t seed) {
    InitSpec w{InitSpec::Kind::Normal, seed};
    w.stddev = std::sqrt(2.0 / (double)fanIn);
    return w;
  };
  auto conv = [&](Value *in, const std::string &prefix, int64_t out,
                  uint64_t seed) {
    int64_t channels = in->type().shape[3];
    Value *w = b.param(prefix + "_w", f32({5, 5, channels, out}),
                       heNormalFanIn(5 * 5 * channels, seed));
    Value *bias = b.param(prefix + "_b", f32({out}), zerosInit());
    Conv2DOptions same;
    same.pads = {2, 2, 2, 2};
    same.dataFormat = "NHWC";
    Value *h = b.relu(b.add(b.conv2d(in, w, same), bias));
    Pool2DOptions pool;
    pool.kernel = {2, 2};
    pool.strides = {2, 2};
    pool.dataFormat = "NHWC";
    return b.maxPool2d(h, pool);
  };
  auto fc = [&](Value *in, const std::string &prefix, int64_t out,
                uint64_t seed) {
    int64_t fanIn = in->type().shape[1];
    Value *w =
        b.param(prefix + "_w", f32({fanIn, out}), heNormalFanIn(fanIn, seed));
    Value *bias = b.param(prefix + "_b", f32({out}), zerosInit());
    return b.dense(in, w, bias);
  };
  Value *h = conv(conv(x, "conv1", 32, 41), "conv2", 64, 42);
  h = b.relu(fc(b.reshape(h, {-1, 7 * 7 * 64}), "fc1", 1024, 43));
  Value *logits = fc(h, "fc2", 10, 44);
  classifierOutputs(b, logits, y);
  Value *correct = b.equal(b.argmax(logits, 1), y);
  b.output("accuracy", b.reduceMean(b.cast(correct, DType::F32), std::nullopt));
  return m;
}

} // namespace

/// A Transformer encoder on Fashion-MNIST images read as sequences of 28
/// rows of 28 pixels: x [N, 784] reshaped to [N, 28, 28], a linear
/// embedding to 64, learned positions, two encoder layers (4 heads,
/// feed-forward 128, GELU, layer norm after each block as PyTorch's
/// default), the mean over the rows and dense 10; batches of 64, eight
/// epochs.
Model fashionTransformer() {
  Model m{Graph("fashion_transformer"), adamSpec(64)};
  m.training->epochs = 8;
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 784}));
  Value *y = b.input("y", {DType::I64, {batchN()}});
  Value *rows = b.reshape(x, {batchN(), 28, 28});
  Value *h = addLearnedPositions(b, dense(b, rows, "embed", 64, 41), "pos", 42);
  TransformerOptions encoder;
  encoder.heads = 4;
  encoder.feedForward = 128;
  encoder.seed = 43;
  h = transformerEncoderLayer(b, h, "enc1", encoder);
  encoder.seed = 53;
  h = transformerEncoderLayer(b, h, "enc2", encoder);
  Value *pooled = b.reduceMean(h, std::vector<int64_t>{1});
  classifierOutputs(b, dense(b, pooled, "head", 10, 61), y);
  return m;
}

/// A GRU on Fashion-MNIST images read as sequences of 28 rows of 28
/// pixels: x [N, 784] reshaped to [N, 28, 28], a GRU of 128 units (one
/// scan over the rows), its last state into dense 10; batches of 64, ten
/// epochs.
Model fashionGru() {
  Model m{Graph("fashion_gru"), adamSpec(64)};
  m.training->epochs = 10;
  Builder b(m.graph);
  Value *x = b.input("x", f32({batchN(), 784}));
  Value *y = b.input("y", {DType::I64, {batchN()}});
  RecurrentOptions rnn;
  rnn.units = 128;
  rnn.seed = 71;
  Value *h = gru(b, b.reshape(x, {batchN(), 28, 28}), "gru", rnn);
  classifierOutputs(b, dense(b, h, "head", 10, 81), y);
  return m;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: make_examples DIR\n";
    return 2;
  }
  std::filesystem::path dir = argv[1];
  try {
    saveModel(kerasMlp(), (dir / "keras_mlp.pbtxt").string());
    saveModel(fashionMlp(), (dir / "fashion_mlp.pbtxt").string());
    saveModel(fashionMlpWide(), (dir / "fashion_mlp_wide.pbtxt").string());
    saveModel(fashionCnn(), (dir / "fashion_cnn.pbtxt").string());
    saveModel(tfCnn(), (dir / "tf_cnn.pbtxt").string());
    saveModel(fashionTransformer(),
              (dir / "fashion_transformer.pbtxt").string());
    saveModel(fashionGru(), (dir / "fashion_gru.pbtxt").string());
  } catch (const Error &e) {
    std::cerr << "make_examples: error: " << e.what() << "\n";
    return e.kind() == ErrorKind::BadInput ? 2 : 1;
  }
  return 0;
}
