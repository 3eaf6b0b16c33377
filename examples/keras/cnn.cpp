//===- cnn.cpp - TensorFlow's classic CNN written with Keras layers -------===//
//
// Two 5x5 convolutions (32 and 64 filters, same padding, relu) each with a
// 2x2 max-pool, a dense layer of 1024 with dropout 0.4, and a softmax over
// the 10 classes: 3,274,634 parameters. Trained on Fashion-MNIST for five
// epochs, it reaches about 91-92% on the test set. The trained model is
// saved to the path given as the first argument (default cnn.pb), which
// transfer.cpp starts from.
//
//===----------------------------------------------------------------------===//
#include <adjoint/keras.h>

#include <cstdio>
#include <string>

namespace K = adjoint::keras;

int main(int argc, char **argv) {
  std::string out = argc > 1 ? argv[1] : "cnn.pb";
  int epochs = argc > 2 ? std::stoi(argv[2]) : 5;
  auto [train, test] = K::datasets::fashionMnist();

  K::Sequential model("cnn");
  model.add(K::Reshape({.targetShape = {28, 28, 1}, .inputShape = {28, 28}}));
  model.add(K::Conv2D({.filters = 32,
                       .kernelSize = {5, 5},
                       .padding = "same",
                       .activation = "relu",
                       .name = "conv1"}));
  model.add(K::MaxPooling2D({.poolSize = {2, 2}, .name = "pool1"}));
  model.add(K::Conv2D({.filters = 64,
                       .kernelSize = {5, 5},
                       .padding = "same",
                       .activation = "relu",
                       .name = "conv2"}));
  model.add(K::MaxPooling2D({.poolSize = {2, 2}, .name = "pool2"}));
  model.add(K::Flatten({.name = "flatten"}));
  model.add(K::Dense({.units = 1024, .activation = "relu", .name = "fc1"}));
  model.add(K::Dropout({.rate = 0.4, .name = "dropout"}));
  model.add(K::Dense({.units = 10, .activation = "softmax", .name = "fc2"}));
  model.summary();

  model.compile({.loss = "sparse_categorical_crossentropy",
                 .optimizer = "adam",
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.epochs = epochs, .batchSize = 64});
  auto [loss, accuracy] = model.evaluate(test.x, test.y);
  std::printf("test loss: %.4f, test accuracy: %.4f\n", loss, accuracy);
  model.save(out);
  std::printf("saved to %s\n", out.c_str());
}
