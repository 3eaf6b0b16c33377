//===- KerasTest.cpp - <adjoint/keras.h> ----------------------------------===//
//
// The Keras API on small random problems: what a layer computes (by hand),
// the summary's counts, training lowering the loss, save and load giving
// the same predictions bit for bit, frozen layers keeping their weights,
// the functional API, callbacks, and the errors of wrong calls.
//
//===----------------------------------------------------------------------===//
#include "adjoint/keras.h"

#include "ir/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

namespace K = adjoint::keras;

namespace {

/// n random rows of `shape` in [-1, 1], and labels: the class of the
/// row's largest feature among the first `classes` (learnable).
std::pair<K::Tensor, K::Tensor> blobs(int64_t n, K::Shape shape,
                                      int64_t classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  int64_t per = 1;
  for (int64_t d : shape)
    per *= d;
  std::vector<float> x((size_t)(n * per));
  std::vector<int64_t> y((size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < per; ++j)
      x[(size_t)(i * per + j)] = u(rng);
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (x[(size_t)(i * per + c)] > x[(size_t)(i * per + best)])
        best = c;
    y[(size_t)i] = best;
  }
  shape.insert(shape.begin(), n);
  return {K::Tensor(shape, x), K::Tensor::int64({n}, y)};
}

bool sameBits(const adjoint::Tensor &a, const adjoint::Tensor &b) {
  return a.type() == b.type() &&
         std::memcmp(a.bytes(), b.bytes(), a.byteSize()) == 0;
}

std::string tempPath(const std::string &name) {
  return (std::filesystem::temp_directory_path() /
          ("adjoint_keras_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

} // namespace

TEST(Keras, DenseComputesXTimesKernelPlusBiasThenItsActivation) {
  K::Sequential model;
  model.add(K::Dense({.units = 2, .activation = "relu", .inputDim = 3}));
  // kernel [3, 2], bias [2], set by hand.
  model.getLayer(model.layers()[0].name())
      .setWeights({K::Tensor({3, 2}, {1, -1, 2, 0, 0, 3}),
                   K::Tensor({2}, {0.5f, -10})});
  K::Tensor x({2, 3}, {1, 2, 3, -1, 0, 1});
  K::Tensor y = model.predict(x);
  ASSERT_EQ(y.shape(), (K::Shape{2, 2}));
  // Row 1: [1+4+0+0.5, -1+0+9-10] = [5.5, -2] -> relu [5.5, 0].
  // Row 2: [-1+0+0+0.5, 1+0+3-10] = [-0.5, -6] -> [0, 0].
  EXPECT_FLOAT_EQ(y.data<float>()[0], 5.5f);
  EXPECT_FLOAT_EQ(y.data<float>()[1], 0);
  EXPECT_FLOAT_EQ(y.data<float>()[2], 0);
  EXPECT_FLOAT_EQ(y.data<float>()[3], 0);
}

TEST(Keras, SummaryOfTheTensorFlowCnnCountsItsParameters) {
  K::Sequential model("tf_cnn");
  model.add(K::Conv2D({.filters = 32,
                       .kernelSize = {5, 5},
                       .padding = "same",
                       .activation = "relu",
                       .inputShape = {28, 28, 1}}));
  model.add(K::MaxPooling2D());
  model.add(K::Conv2D({.filters = 64,
                       .kernelSize = {5, 5},
                       .padding = "same",
                       .activation = "relu"}));
  model.add(K::MaxPooling2D());
  model.add(K::Flatten());
  model.add(K::Dense({.units = 1024, .activation = "relu"}));
  model.add(K::Dense({.units = 10, .activation = "softmax"}));
  std::string table = model.summaryText();
  EXPECT_NE(table.find("Model: \"tf_cnn\""), std::string::npos) << table;
  EXPECT_NE(table.find(" Layer (type)                Output Shape"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("(None, 7, 7, 64)"), std::string::npos) << table;
  EXPECT_NE(table.find("(None, 3136)"), std::string::npos) << table;
  EXPECT_NE(table.find("3212288"), std::string::npos) << table;
  EXPECT_NE(table.find("Total params: 3,274,634\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("Trainable params: 3,274,634\n"), std::string::npos);
  EXPECT_NE(table.find("Non-trainable params: 0\n"), std::string::npos);
  EXPECT_EQ(model.countParams(), 3274634);
}

TEST(Keras, FitLowersTheLossAndEvaluateMatchesItsCounts) {
  auto [x, y] = blobs(512, {8}, 4, 1);
  K::Sequential model;
  model.add(K::Dense({.units = 32, .activation = "tanh", .inputShape = {8}}));
  model.add(K::Dropout({.rate = 0.1}));
  model.add(K::Dense({.units = 4, .activation = "softmax"}));
  model.compile({.loss = "sparse_categorical_crossentropy",
                 .optimizer = K::optimizers::Adam({.learningRate = 1e-2}),
                 .metrics = {"accuracy"}});
  K::Evaluation before = model.evaluate(x, y);
  K::History h = model.fit(x, y, {.epochs = 8, .batchSize = 32, .verbose = 0});
  ASSERT_EQ(h.history["loss"].size(), 8u);
  EXPECT_LT(h.history["loss"].back(), h.history["loss"].front());
  K::Evaluation after = model.evaluate(x, y, 100); // a last batch of 12
  EXPECT_LT(after.loss, before.loss);
  EXPECT_GT(after.accuracy, 0.8);
  EXPECT_LE(after.accuracy, 1.0);
  // predict agrees with evaluate's accuracy.
  K::Tensor p = model.predict(x, 50);
  ASSERT_EQ(p.shape(), (K::Shape{512, 4}));
  int64_t right = 0;
  for (int64_t i = 0; i < 512; ++i) {
    const float *row = p.data<float>() + i * 4;
    right += std::max_element(row, row + 4) - row == y.data<int64_t>()[i];
  }
  EXPECT_NEAR((double)right / 512, after.accuracy, 1e-6); // an f32 mean
}

TEST(Keras, SaveAndLoadGiveTheSamePredictionsBitForBit) {
  auto [x, y] = blobs(256, {6}, 3, 2);
  K::Sequential model;
  model.add(K::Dense({.units = 16, .activation = "relu", .inputDim = 6}));
  model.add(K::Dropout({.rate = 0.2}));
  model.add(K::Dense({.units = 3, .activation = "softmax"}));
  model.compile({.metrics = {"accuracy"}});
  model.fit(x, y, {.epochs = 2, .batchSize = 16, .verbose = 0});
  std::string path = tempPath("saved.pb");
  model.save(path);
  K::Model loaded = K::loadModel(path);
  EXPECT_TRUE(sameBits(model.predict(x), loaded.predict(x)));
  // Its weights are the model's, grouped into its layers.
  ASSERT_EQ(loaded.layers().size(), 2u); // dropout has none
  EXPECT_EQ(loaded.layers()[0].typeName(), "Dense");
  std::vector<K::Tensor> a = model.getWeights(), b = loaded.getWeights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(sameBits(a[i], b[i])) << i;
  // It trains on.
  loaded.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0});
  EXPECT_FALSE(sameBits(loaded.getWeights()[0], a[0]));
  std::filesystem::remove(path);
}

TEST(Keras, FrozenLayersKeepTheirWeightsBitForBit) {
  auto [x, y] = blobs(256, {5}, 3, 3);
  K::Sequential model;
  model.add(K::Dense(
      {.units = 8, .activation = "relu", .inputDim = 5, .name = "body"}));
  model.add(K::Dense({.units = 3, .name = "head"}));
  model.compile(
      {.loss = "sparse_categorical_crossentropy", .optimizer = "sgd"});
  model.getLayer("body").trainable = false;
  std::vector<K::Tensor> body = model.getLayer("body").getWeights();
  std::vector<K::Tensor> head = model.getLayer("head").getWeights();
  model.fit(x, y, {.epochs = 2, .batchSize = 32, .verbose = 0});
  std::vector<K::Tensor> bodyAfter = model.getLayer("body").getWeights();
  for (size_t i = 0; i < body.size(); ++i)
    EXPECT_TRUE(sameBits(body[i], bodyAfter[i]));
  EXPECT_FALSE(sameBits(head[0], model.getLayer("head").getWeights()[0]));
  std::string table = model.summaryText();
  EXPECT_NE(table.find("Trainable params: 27\n"), std::string::npos) << table;
  EXPECT_NE(table.find("Non-trainable params: 48\n"), std::string::npos);
}

TEST(Keras, FunctionalModelWithAResidualConnection) {
  K::KerasTensor in = K::Input({.shape = {4, 4, 2}});
  K::KerasTensor h =
      K::Conv2D({.filters = 2, .padding = "same", .activation = "relu"})(in);
  h = K::Add()({in, h});
  h = K::AveragePooling2D()(h);
  h = K::Flatten()(h);
  K::KerasTensor out = K::Dense({.units = 2, .activation = "softmax"})(h);
  EXPECT_EQ(out.shape(), (K::Shape{2}));
  K::Model model(in, out);
  std::string table = model.summaryText();
  EXPECT_NE(table.find("(InputLayer)"), std::string::npos) << table;
  EXPECT_NE(table.find("(Add)"), std::string::npos) << table;
  auto [x, y] = blobs(128, {4, 4, 2}, 2, 4);
  model.compile({.metrics = {"accuracy"}});
  K::History hist = model.fit(
      x, y,
      {.epochs = 5, .batchSize = 16, .validationSplit = 0.25, .verbose = 0});
  ASSERT_EQ(hist.history.count("val_loss"), 1u);
  EXPECT_LT(hist.history["loss"].back(), hist.history["loss"].front());
}

TEST(Keras, SequentialWithoutAnInputShapeIsBuiltByItsData) {
  K::Sequential model(
      {K::Dense({.units = 3}), K::Activation({.activation = "softmax"})});
  EXPECT_THROW(model.summaryText(), adjoint::Error);
  auto [x, y] = blobs(64, {7}, 3, 5);
  K::Tensor p = model.predict(x);
  EXPECT_EQ(p.shape(), (K::Shape{64, 3}));
  EXPECT_NE(model.summaryText().find("Total params: 24\n"), std::string::npos);
}

TEST(Keras, EarlyStoppingEndsTheFit) {
  auto [x, y] = blobs(128, {4}, 2, 6);
  K::Sequential model;
  model.add(K::Dense({.units = 2, .inputDim = 4}));
  // A learning rate so small that the loss cannot improve by minDelta.
  model.compile({.optimizer = K::optimizers::SGD({.learningRate = 1e-9})});
  K::History h =
      model.fit(x, y,
                {.epochs = 20,
                 .batchSize = 32,
                 .verbose = 0,
                 .callbacks = {K::EarlyStopping(
                     {.monitor = "loss", .patience = 2, .minDelta = 1e-3})}});
  EXPECT_EQ(h.history["loss"].size(), 3u);
}

TEST(Keras, WrongCallsAreErrorsThatSayWhat) {
  auto message = [](auto &&fn) -> std::string {
    try {
      fn();
    } catch (const adjoint::Error &e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([] {
              K::Dense({.units = 4, .activation = "rellu"});
            }).find("unknown activation \"rellu\""),
            std::string::npos);
  EXPECT_NE(message([] { K::Dropout({.rate = 1.5}); }).find("rate is 1.5"),
            std::string::npos);
  // Shapes that do not fit name the layer once.
  EXPECT_EQ(
      message([] {
        K::Conv2D({.filters = 2, .name = "c"})(K::Input({.shape = {5, 5}}));
      }),
      "layer c (Conv2D): needs images [height, width, channels], not "
      "f32[N,5,5] (with the batch)");
  std::string deep = message([] {
    K::Dense({.units = 2, .name = "d"})(
        K::Input({.shape = {3}, .dtype = "int64"}));
  });
  EXPECT_EQ(deep.rfind("layer d (Dense): ", 0), 0u) << deep;
  EXPECT_EQ(deep.find("layer d (Dense): ", 1), std::string::npos) << deep;
  K::Sequential model;
  model.add(K::Dense({.units = 2, .inputDim = 3, .name = "d"}));
  auto [x, y] = blobs(16, {3}, 2, 7);
  EXPECT_NE(message([&] { model.fit(x, y); }).find("call compile() first"),
            std::string::npos);
  EXPECT_NE(message([&] {
              model.compile({.loss = "hinge"});
            }).find("unknown loss \"hinge\""),
            std::string::npos);
  model.compile();
  auto [wide, wideY] = blobs(16, {5}, 2, 8);
  std::string m = message([&] { model.fit(wide, wideY); });
  EXPECT_NE(m.find("input x takes f32[N,3]"), std::string::npos) << m;
  EXPECT_NE(m.find("f32[16,5]"), std::string::npos) << m;
  EXPECT_NE(message([&] { model.getLayer("nope"); }).find("its layers: d"),
            std::string::npos);
  EXPECT_NE(message([&] {
              model.getLayer("d").setWeights({K::Tensor({2}, {1, 2})});
            }).find("has 2 weights"),
            std::string::npos);
  EXPECT_NE(message([] {
              K::Tensor({2, 2}, {1, 2, 3});
            }).find("holds 4 values, not 3"),
            std::string::npos);
  EXPECT_NE(
      message([&] { K::loadModel(tempPath("missing.pb")); }).find("missing.pb"),
      std::string::npos);
}

TEST(Keras, SchedulesAndTheLearningRateScheduler) {
  auto [x, y] = blobs(64, {4}, 2, 9);
  K::Sequential model;
  model.add(K::Dense({.units = 2, .inputDim = 4}));
  model.compile({.optimizer = K::optimizers::SGD(
                     {.learningRate = 0.1,
                      .schedule = K::schedules::ExponentialDecay(
                          {.decaySteps = 1, .decayRate = 0.5})})});
  EXPECT_DOUBLE_EQ(model.learningRate(), 0.1);
  model.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0}); // 4 steps
  EXPECT_DOUBLE_EQ(model.learningRate(), 0.1 * std::pow(0.5, 4));

  K::Sequential other;
  other.add(K::Dense({.units = 2, .inputDim = 4}));
  other.compile({.optimizer = K::optimizers::SGD({.learningRate = 0.1})});
  std::vector<double> seen;
  other.fit(x, y,
            {.epochs = 3,
             .batchSize = 16,
             .verbose = 0,
             .callbacks = {K::LearningRateScheduler([&](int epoch, double lr) {
               seen.push_back(lr);
               return epoch == 0 ? lr : lr / 2;
             })}});
  EXPECT_EQ(seen, (std::vector<double>{0.1, 0.1, 0.05}));
  EXPECT_DOUBLE_EQ(other.learningRate(), 0.025);
  EXPECT_THROW(other.setLearningRate(0), adjoint::Error);
}

TEST(Keras, BatchNormalizationTrainsOnBatchesAndPredictsWithMovingStatistics) {
  // Inference by hand: gamma * (x - mean) / sqrt(var + eps) + beta.
  K::KerasTensor in = K::Input({.shape = {2}});
  K::KerasTensor out = K::BatchNormalization({.name = "bn"})(in);
  K::Model bnOnly(in, out);
  bnOnly.getLayer("bn").setWeights(
      {K::Tensor({2}, {2, 1}), K::Tensor({2}, {0, 1}), K::Tensor({2}, {1, -1}),
       K::Tensor({2}, {4 - 1e-3f, 1 - 1e-3f})});
  K::Tensor p = bnOnly.predict(K::Tensor({1, 2}, {3, 0}));
  EXPECT_NEAR(p.data<float>()[0], 2 * (3 - 1) / 2.0, 1e-6);
  EXPECT_NEAR(p.data<float>()[1], 1 * (0 + 1) / 1.0 + 1, 1e-6);

  auto [x, y] = blobs(128, {6}, 3, 10);
  // Shift the features so that their mean is far from the initial 0.
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<float>()[i] += 5;
  K::Sequential model;
  model.add(K::Dense({.units = 8, .inputDim = 6, .name = "d1"}));
  model.add(K::BatchNormalization({.momentum = 0.5, .name = "norm"}));
  model.add(K::Activation({.activation = "relu"}));
  model.add(K::Dense({.units = 3, .activation = "softmax", .name = "d2"}));
  std::string table = model.summaryText();
  EXPECT_NE(table.find("norm (BatchNormalization)"), std::string::npos);
  EXPECT_NE(table.find("Non-trainable params: 16\n"), std::string::npos)
      << table;
  model.compile({.optimizer = K::optimizers::Adam({.learningRate = 1e-2}),
                 .metrics = {"accuracy"}});
  std::vector<K::Tensor> before = model.getLayer("norm").getWeights();
  model.fit(x, y, {.epochs = 10, .batchSize = 32, .verbose = 0});
  std::vector<K::Tensor> after = model.getLayer("norm").getWeights();
  ASSERT_EQ(after.size(), 4u);
  // The moving mean has moved to the batches' means (momentum 0.5 over 40
  // steps): far from its initial zeros.
  double moved = 0;
  for (int c = 0; c < 8; ++c)
    moved += std::fabs(after[2].data<float>()[c]);
  EXPECT_GT(moved, 0.5);
  EXPECT_FALSE(sameBits(before[3], after[3]));
  EXPECT_GT(model.evaluate(x, y).accuracy, 0.7);

  // Saved and loaded (as text IR and as protobuf: the state updates
  // round-trip), it predicts the same bits, its moving statistics are
  // non-trainable weights, and it trains on moving them.
  for (const char *file : {"bn.adj", "bn.pb"}) {
    std::string path = tempPath(file);
    model.save(path);
    K::Model loaded = K::loadModel(path);
    EXPECT_TRUE(sameBits(model.predict(x), loaded.predict(x))) << file;
    EXPECT_EQ(loaded.getLayer("norm").typeName(), "BatchNormalization");
    EXPECT_NE(loaded.summaryText().find("Non-trainable params: 16\n"),
              std::string::npos)
        << loaded.summaryText();
    loaded.fit(x, y, {.epochs = 1, .batchSize = 32, .verbose = 0});
    EXPECT_FALSE(sameBits(loaded.getLayer("norm").getWeights()[2], after[2]))
        << file;
    std::filesystem::remove(path);
  }
}

TEST(Keras, ModelsThatShareALayerTrainOneSetOfWeights) {
  // Two models on one Dense body. Model a's steps are too small to move a
  // weight (SGD at 1e-30); b's move them. a's fit after b's must start
  // from b's weights, and leave them as they were.
  auto [x, y] = blobs(64, {4}, 2, 11);
  K::KerasTensor in = K::Input({.shape = {4}});
  K::Dense body({.units = 8, .activation = "relu", .name = "shared"});
  K::KerasTensor h = body(in);
  K::Model a(in, K::Dense({.units = 2, .activation = "softmax"})(h), "a");
  K::Model b(in, K::Dense({.units = 2, .activation = "softmax"})(h), "b");
  a.compile({.optimizer = K::optimizers::SGD({.learningRate = 1e-30})});
  b.compile({.optimizer = K::optimizers::Adam({.learningRate = 1e-2})});
  std::vector<K::Tensor> initial = body.getWeights();
  a.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0});
  EXPECT_TRUE(sameBits(body.getWeights()[0], initial[0]));
  b.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0});
  std::vector<K::Tensor> afterB = body.getWeights();
  EXPECT_FALSE(sameBits(afterB[0], initial[0]));
  // a's step sees b's weights: its evaluation is the loss of predict
  // (which reads the layers' weights), not of a's first weights.
  K::Tensor p = a.predict(x);
  double loss = 0;
  for (int64_t i = 0; i < 64; ++i)
    loss -= std::log(p.data<float>()[i * 2 + y.data<int64_t>()[i]]);
  EXPECT_NEAR(a.evaluate(x, y).loss, loss / 64, 1e-5);
  a.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0});
  EXPECT_TRUE(sameBits(body.getWeights()[0], afterB[0]));
}

TEST(Keras, BinaryCrossEntropyWithBinaryAccuracy) {
  // Target 1 when the first feature is positive.
  auto [x, y] = blobs(256, {3}, 1, 12);
  std::vector<float> t(256);
  for (int i = 0; i < 256; ++i)
    t[(size_t)i] = x.data<float>()[i * 3] > 0 ? 1.f : 0.f;
  K::Tensor targets({256, 1}, t);
  K::Sequential model;
  model.add(K::Dense({.units = 1, .activation = "sigmoid", .inputDim = 3}));
  model.compile({.loss = "binary_crossentropy",
                 .optimizer = K::optimizers::Adam({.learningRate = 0.05}),
                 .metrics = {"accuracy"}});
  model.fit(x, targets, {.epochs = 10, .batchSize = 32, .verbose = 0});
  K::Evaluation e = model.evaluate(x, targets);
  // The accuracy is the fraction of predictions on the right side of 0.5.
  K::Tensor p = model.predict(x);
  int right = 0;
  for (int i = 0; i < 256; ++i)
    right += (p.data<float>()[i] > 0.5f) == (t[(size_t)i] > 0.5f);
  EXPECT_NEAR(e.accuracy, right / 256.0, 1e-6);
  EXPECT_GT(e.accuracy, 0.9);
  // A binary accuracy needs a sigmoid of one column.
  K::Sequential wide;
  wide.add(K::Dense({.units = 2, .inputDim = 3}));
  wide.compile({.loss = "binary_crossentropy", .metrics = {"accuracy"}});
  EXPECT_THROW(wide.fit(x, K::Tensor({256, 2}, std::vector<float>(512))),
               adjoint::Error);
}

TEST(Keras, AFrozenBatchNormalizationRunsInInferenceMode) {
  // Frozen (Keras's trainable = false), the layer normalizes with its
  // moving statistics in training too, and none of its weights move.
  auto [x, y] = blobs(64, {3}, 2, 13);
  K::Sequential model;
  model.add(K::Dense({.units = 4, .inputDim = 3, .name = "d"}));
  model.add(K::BatchNormalization({.name = "bn"}));
  model.add(K::Dense({.units = 2, .activation = "softmax"}));
  model.getLayer("bn").setWeights(
      {K::Tensor({4}, {1, 2, 3, 4}), K::Tensor({4}, {0, 1, 0, 1}),
       K::Tensor({4}, {0.5, 0, -0.5, 1}), K::Tensor({4}, {1, 2, 3, 4})});
  model.getLayer("bn").trainable = false;
  std::vector<K::Tensor> before = model.getLayer("bn").getWeights();
  model.compile();
  model.fit(x, y, {.epochs = 2, .batchSize = 16, .verbose = 0});
  std::vector<K::Tensor> after = model.getLayer("bn").getWeights();
  for (size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(sameBits(before[i], after[i])) << i;
  // Unfrozen, the next fit moves its statistics.
  model.getLayer("bn").trainable = true;
  model.fit(x, y, {.epochs = 1, .batchSize = 16, .verbose = 0});
  EXPECT_FALSE(sameBits(before[2], model.getLayer("bn").getWeights()[2]));
}
