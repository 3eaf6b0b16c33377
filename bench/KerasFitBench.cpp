//===- KerasFitBench.cpp - Keras's fit against the Trainer's own loop -----===//
//
// What the Keras API adds per step: one model (Fashion-MNIST's MLP, Dense
// 64 relu and Dense 10 softmax, Adam, batches of 32) trained by
// Model::fit, and the same model, saved and loaded, trained by the loop
// `adjoint train` runs (shuffled rows copied into one batch, Trainer::step).
// Rounds alternate the two (A B B A); each figure is the median over rounds of
// the time per step of one epoch. Prints the ratio fit / loop (1.00: no cost).
//
//   build/bench/adjoint_keras_fit_bench [ROUNDS]
//
//===----------------------------------------------------------------------===//
#include <adjoint/jit.h>
#include <adjoint/keras.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

namespace K = adjoint::keras;

namespace {

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  auto [train, test] = K::datasets::fashionMnist();
  const int64_t batch = 32, steps = train.x.shape()[0] / batch;

  K::Sequential model;
  model.add(K::Flatten({.inputShape = {28, 28}}));
  model.add(K::Dense({.units = 64, .activation = "relu"}));
  model.add(K::Dense({.units = 10, .activation = "softmax"}));
  model.compile({.loss = "sparse_categorical_crossentropy",
                 .optimizer = "adam",
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.epochs = 1, .batchSize = batch, .verbose = 0});
  std::string path =
      (std::filesystem::temp_directory_path() / "adjoint_keras_fit_bench.pb")
          .string();
  model.save(path);
  adjoint::Model saved = adjoint::loadModel(path);
  std::filesystem::remove(path);
  adjoint::Trainer trainer(saved);
  const adjoint::TrainingSpec &spec = trainer.spec();

  // The loop of `adjoint train`: a shuffled order, rows copied into one
  // batch per input, a step.
  adjoint::Tensor bx(adjoint::TensorType{adjoint::DType::F32, {batch, 28, 28}});
  adjoint::Tensor by(adjoint::TensorType{adjoint::DType::I64, {batch}});
  std::vector<int64_t> order(train.x.shape()[0]);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(0);
  auto loopEpoch = [&] {
    std::shuffle(order.begin(), order.end(), rng);
    auto start = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) {
      for (int64_t i = 0; i < batch; ++i) {
        int64_t at = order[s * batch + i];
        std::memcpy(bx.data<float>() + i * 784,
                    train.x.data<float>() + at * 784, 784 * sizeof(float));
        by.data<int64_t>()[i] = train.y.data<int64_t>()[at];
      }
      trainer.step({{spec.features, bx}, {spec.labels, by}});
    }
    return seconds(start) / (double)steps;
  };
  auto fitEpoch = [&] {
    auto start = std::chrono::steady_clock::now();
    model.fit(train.x, train.y,
              {.epochs = 1, .batchSize = batch, .verbose = 0});
    return seconds(start) / (double)steps;
  };
  std::vector<double> fit, loop;
  // A B B A: neither always runs first.
  for (int r = 0; r < rounds; ++r) {
    if (r % 2 == 0) {
      fit.push_back(fitEpoch());
      loop.push_back(loopEpoch());
    } else {
      loop.push_back(loopEpoch());
      fit.push_back(fitEpoch());
    }
  }
  double f = median(fit), l = median(loop);
  std::printf("Keras fit: %.1f us/step, Trainer loop: %.1f us/step, "
              "fit / loop: %.3f (median of %d epochs each, batch %lld)\n",
              f * 1e6, l * 1e6, f / l, rounds, (long long)batch);
}
