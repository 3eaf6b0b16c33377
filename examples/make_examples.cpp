//===- make_examples.cpp - Builds the example models with the C++ API -----===//
//
// Writes keras_mlp.pbtxt, fashion_mlp.pbtxt and fashion_cnn.pbtxt into the
// directory given as its argument. Weights are initializer recipes with fixed
// seeds, so the files are small and the same on every machine; a test checks
// that the committed files equal what this program writes.
//
//   make_examples examples/
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/ModelIO.h"

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

/// A Keras-style MLP: x [32, 100] -> dense 64 relu -> dense 10 softmax.
Model kerasMlp() {
  Model m{Graph("keras_mlp"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", f32({32, 100}));
  Value *h = b.relu(dense(b, x, "fc1", 64, 1));
  b.output("probs", b.softmax(dense(b, h, "fc2", 10, 2)));
  return m;
}

/// An MLP for Fashion-MNIST: x [64, 784] -> dense 64 relu -> dense 10 ->
/// softmax; outputs the probabilities and the logits.
Model fashionMlp() {
  Model m{Graph("fashion_mlp"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", f32({64, 784}));
  Value *h = b.relu(dense(b, x, "fc1", 64, 11));
  Value *logits = dense(b, h, "fc2", 10, 12);
  b.output("probs", b.softmax(logits));
  b.output("logits", logits);
  return m;
}

/// TensorFlow's classic MNIST CNN on NCHW images [64, 1, 28, 28]: two SAME
/// 5x5 convolutions (32, 64 channels) with relu and 2x2 max-pooling, then
/// dense 3136 -> 1024 relu, dense 1024 -> 10 and softmax.
Model fashionCnn() {
  Model m{Graph("fashion_cnn"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", f32({64, 1, 28, 28}));
  Value *h = maxPool2x2(b, convRelu(b, x, "conv1", 32, 21));
  h = maxPool2x2(b, convRelu(b, h, "conv2", 64, 22));
  h = b.relu(dense(b, b.flatten(h), "fc1", 1024, 23));
  Value *logits = dense(b, h, "fc2", 10, 24);
  b.output("probs", b.softmax(logits));
  b.output("logits", logits);
  return m;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: make_examples DIR\n";
    return 2;
  }
  std::filesystem::path dir = argv[1];
  try {
    saveModel(kerasMlp(), (dir / "keras_mlp.pbtxt").string());
    saveModel(fashionMlp(), (dir / "fashion_mlp.pbtxt").string());
    saveModel(fashionCnn(), (dir / "fashion_cnn.pbtxt").string());
  } catch (const Error &e) {
    std::cerr << "make_examples: error: " << e.what() << "\n";
    return e.kind() == ErrorKind::BadInput ? 2 : 1;
  }
  return 0;
}
