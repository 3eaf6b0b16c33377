//===- mlp.cpp - The first Keras example, line for line -------------------===//
//
// Keras's introductory Sequential example: random inputs of 100 features,
// random one-hot targets of 10 classes, a Dense 64 relu and a Dense 10
// softmax trained with categorical cross-entropy and SGD. There is nothing
// to learn in random labels: the example shows the calls, and the loss
// settling near log(10) = 2.30. With --fashion, the same model on
// Fashion-MNIST (its 28x28 images flattened to 784 features).
//
//===----------------------------------------------------------------------===//
#include <adjoint/keras.h>

#include <cstdio>
#include <cstring>
#include <random>

namespace K = adjoint::keras;

/// numpy's np.random.random(shape): uniform in [0, 1).
static K::Tensor random(const K::Shape &shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> v((size_t)n);
  for (float &x : v)
    x = u(rng);
  return K::Tensor(shape, v);
}

/// np.random.randint(10, size=(n, 1)) as labels [n].
static K::Tensor randomLabels(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> u(0, 9);
  std::vector<int64_t> v((size_t)n);
  for (int64_t &y : v)
    y = u(rng);
  return K::Tensor::int64({n}, v);
}

int main(int argc, char **argv) {
  bool fashion = argc > 1 && std::strcmp(argv[1], "--fashion") == 0;
  K::Tensor xTrain, yTrain, xTest, yTest;
  if (fashion) {
    auto [train, test] = K::datasets::fashionMnist();
    xTrain = train.x.reshaped({train.x.shape()[0], 784});
    xTest = test.x.reshaped({test.x.shape()[0], 784});
    yTrain = K::utils::toCategorical(train.y, 10);
    yTest = K::utils::toCategorical(test.y, 10);
  } else {
    xTrain = random({1000, 100}, 1);
    yTrain = K::utils::toCategorical(randomLabels(1000, 2), 10);
    xTest = random({100, 100}, 3);
    yTest = K::utils::toCategorical(randomLabels(100, 4), 10);
  }

  K::Sequential model;
  model.add(K::Dense(
      {.units = 64, .activation = "relu", .inputDim = fashion ? 784 : 100}));
  model.add(K::Dense({.units = 10, .activation = "softmax"}));
  model.compile({.loss = "categorical_crossentropy",
                 .optimizer = "sgd",
                 .metrics = {"accuracy"}});
  model.fit(xTrain, yTrain, {.epochs = 5, .batchSize = 32});
  auto [loss, accuracy] = model.evaluate(xTest, yTest, 128);
  K::Tensor classes = model.predict(xTest, 128);
  std::printf("test loss: %.4f, test accuracy: %.4f; predicted %lld rows of "
              "%lld probabilities\n",
              loss, accuracy, (long long)classes.shape()[0],
              (long long)classes.shape()[1]);
}
