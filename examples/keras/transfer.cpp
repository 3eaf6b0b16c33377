//===- transfer.cpp - Fine-tune a new head on a trained CNN's features ----===//
//
// Transfer learning: the convolutions of cnn.cpp's trained model (the path
// given as the first argument) become a frozen feature extractor for a new
// task, telling footwear (sandals, sneakers, ankle boots) from clothes and
// bags, and only the new dense head is trained. The frozen weights are
// checked to be bit-identical after training.
//
//===----------------------------------------------------------------------===//
#include <adjoint/keras.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace K = adjoint::keras;

/// 1 for footwear (classes 5, 7 and 9), 0 for the rest.
static K::Tensor footwear(const K::Tensor &labels) {
  std::vector<int64_t> v((size_t)labels.shape()[0]);
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t c = labels.data<int64_t>()[i];
    v[i] = c == 5 || c == 7 || c == 9;
  }
  return K::Tensor::int64({labels.shape()[0]}, v);
}

int main(int argc, char **argv) {
  std::string trained = argc > 1 ? argv[1] : "cnn.pb";
  auto [train, test] = K::datasets::fashionMnist();
  K::Model base = K::loadModel(trained);

  // The same body, named as in cnn.cpp so that its weights carry over.
  K::KerasTensor in = K::Input({.shape = {28, 28}});
  K::KerasTensor h = K::Reshape({.targetShape = {28, 28, 1}})(in);
  h = K::Conv2D({.filters = 32,
                 .kernelSize = {5, 5},
                 .padding = "same",
                 .activation = "relu",
                 .name = "conv1"})(h);
  h = K::MaxPooling2D()(h);
  h = K::Conv2D({.filters = 64,
                 .kernelSize = {5, 5},
                 .padding = "same",
                 .activation = "relu",
                 .name = "conv2"})(h);
  h = K::MaxPooling2D()(h);
  h = K::Flatten()(h);
  // The new head.
  h = K::Dense({.units = 64, .activation = "relu", .name = "head1"})(h);
  K::KerasTensor out =
      K::Dense({.units = 2, .activation = "softmax", .name = "head2"})(h);
  K::Model model(in, out, "footwear");
  for (const char *name : {"conv1", "conv2"}) {
    model.getLayer(name).setWeights(base.getLayer(name).getWeights());
    model.getLayer(name).trainable = false;
  }
  model.summary();
  std::vector<K::Tensor> frozen = model.getLayer("conv2").getWeights();

  model.compile({.loss = "sparse_categorical_crossentropy",
                 .optimizer = "adam",
                 .metrics = {"accuracy"}});
  model.fit(train.x, footwear(train.y), {.epochs = 1, .batchSize = 64});
  auto [loss, accuracy] = model.evaluate(test.x, footwear(test.y));
  std::printf("footwear or not: test loss %.4f, test accuracy: %.4f\n", loss,
              accuracy);

  std::vector<K::Tensor> after = model.getLayer("conv2").getWeights();
  for (size_t i = 0; i < frozen.size(); ++i)
    if (std::memcmp(frozen[i].bytes(), after[i].bytes(),
                    frozen[i].byteSize()) != 0) {
      std::fprintf(stderr, "the frozen weights changed\n");
      return 1;
    }
  std::printf("the frozen convolutions are bit-identical\n");
}
