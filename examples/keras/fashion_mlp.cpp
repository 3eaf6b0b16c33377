//===- fashion_mlp.cpp - Keras's first example, in C++ --------------------===//
//
// Fashion-MNIST with a Sequential model of two Dense layers, as the Keras
// tutorials write it. Built against the installed package, this file is
// the one docs/keras.md shows.
//
//===----------------------------------------------------------------------===//
#include <adjoint/keras.h>
#include <cstdio>
namespace K = adjoint::keras;

int main() {
  auto [train, test] =
      K::datasets::fashionMnist(); // Debian's dataset-fashion-mnist
  K::Sequential model;
  model.add(K::Flatten({.inputShape = {28, 28}}));
  model.add(K::Dense({.units = 64, .activation = "relu"}));
  model.add(K::Dense({.units = 10, .activation = "softmax"}));
  model.compile({.loss = "sparse_categorical_crossentropy",
                 .optimizer = "adam",
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.epochs = 10, .batchSize = 32});
  auto [loss, accuracy] = model.evaluate(test.x, test.y);
  std::printf("Test loss: %g\nTest accuracy: %g\n", loss, accuracy);
}
