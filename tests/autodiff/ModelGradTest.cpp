//===- ModelGradTest.cpp - Gradients of whole models ----------------------===//
//
// The example MLP and CNN (examples/fashion_mlp.pbtxt, fashion_cnn.pbtxt)
// rebuilt in f64 at a small batch with a softmax cross-entropy loss: their
// gradient graphs, on the interpreter and the JIT, against central
// differences on a random subset of every parameter's elements.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"

#include "compiler/Executable.h"
#include "compiler/autodiff/Grad.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

TensorType f64(Shape s) { return {DType::F64, std::move(s)}; }

/// A network under construction: weights are parameters, or inputs (so
/// that one compiled forward pass can be rerun with perturbed weights).
struct Net {
  explicit Net(bool weightsAsInputs)
      : graph("net"), b(graph), asInputs(weightsAsInputs) {}
  Graph graph;
  Builder b;
  bool asInputs;
  std::map<std::string, Tensor> weights;

  Value *weight(const std::string &name, Shape shape, InitSpec init) {
    TensorType t = f64(std::move(shape));
    Tensor data = materialize(init, t);
    weights.emplace(name, data);
    return asInputs ? b.input(name, t) : b.param(name, data);
  }
  /// A small random bias, so that the check does not sit at zero.
  Value *bias(const std::string &name, Shape shape, uint64_t seed) {
    InitSpec init{InitSpec::Kind::Uniform, seed};
    init.low = -0.1;
    init.high = 0.1;
    return weight(name, std::move(shape), init);
  }
  Value *dense(Value *x, const std::string &prefix, int64_t out,
               uint64_t seed) {
    int64_t in = x->type().shape.back();
    Value *w = weight(prefix + "_w", {in, out}, glorotUniform(seed));
    return b.dense(x, w, bias(prefix + "_b", {out}, seed + 100));
  }
  Value *convRelu(Value *x, const std::string &prefix, int64_t out,
                  uint64_t seed) {
    int64_t in = x->type().shape[1];
    Value *w = weight(prefix + "_w", {out, in, 5, 5}, heNormal(seed));
    Conv2DOptions same;
    same.pads = {2, 2, 2, 2};
    Value *y = b.conv2d(x, w, same);
    return b.relu(b.add(y, bias(prefix + "_b", {out, 1, 1}, seed + 100)));
  }
  Value *pool(Value *x) {
    Pool2DOptions o;
    o.kernel = {2, 2};
    o.strides = {2, 2};
    return b.maxPool2d(x, o);
  }
  /// loss = mean over the batch of -sum(t * log_softmax(logits)).
  void crossEntropy(Value *logits) {
    int64_t n = logits->type().shape[0], classes = logits->type().shape[1];
    Value *t = b.input("t", f64({n, classes}));
    Value *nll = b.neg(
        b.reduceSum(b.mul(t, b.logSoftmax(logits)), std::vector<int64_t>{1}));
    b.output("loss", b.reduceMean(nll, std::nullopt));
  }
};

/// fashion_mlp: x [N, 784] -> dense 64 relu -> dense 10.
void buildMlp(Net &net, int64_t batch) {
  Value *x = net.b.input("x", f64({batch, 784}));
  Value *h = net.b.relu(net.dense(x, "fc1", 64, 11));
  net.crossEntropy(net.dense(h, "fc2", 10, 12));
}

/// fashion_cnn: two SAME 5x5 convolutions (32, 64) with relu and 2x2
/// max-pooling, dense 3136 -> 1024 relu, dense 1024 -> 10.
void buildCnn(Net &net, int64_t batch) {
  Value *x = net.b.input("x", f64({batch, 1, 28, 28}));
  Value *h = net.pool(net.convRelu(x, "conv1", 32, 21));
  h = net.pool(net.convRelu(h, "conv2", 64, 22));
  h = net.b.relu(net.dense(net.b.flatten(h), "fc1", 1024, 23));
  net.crossEntropy(net.dense(h, "fc2", 10, 24));
}

/// A batch: images in [0, 1), one-hot targets.
std::map<std::string, Tensor> batchFor(const Graph &g, uint64_t seed) {
  Rng rng(seed);
  const TensorType &xt = g.findValue("x")->type();
  const TensorType &tt = g.findValue("t")->type();
  Tensor t(tt);
  for (int64_t i = 0; i < tt.shape[0]; ++i)
    t.setElementFromDouble(i * tt.shape[1] + rng.range(0, tt.shape[1] - 1), 1);
  return {{"x", uniformTensor(rng, xt, 0, 1)}, {"t", t}};
}

void expectSameArchitectureAs(const Net &net, const std::string &example) {
  Model m = loadModel(std::string(ADJOINT_SOURCE_DIR) + "/examples/" + example);
  ASSERT_EQ(m.graph.params().size(), net.weights.size());
  for (const Param &p : m.graph.params()) {
    auto it = net.weights.find(p.value->name());
    ASSERT_NE(it, net.weights.end()) << p.value->name();
    EXPECT_EQ(it->second.shape(), p.value->type().shape) << p.value->name();
  }
}

void checkModel(const std::function<void(Net &, int64_t)> &build,
                const std::string &example, int64_t batch, int samples) {
  Net withParams(false), withInputs(true);
  build(withParams, batch);
  build(withInputs, batch);
  expectSameArchitectureAs(withParams, example);
  std::map<std::string, Tensor> data = batchFor(withParams.graph, 5);

  Graph dg = gradientGraph(withParams.graph, "loss");
  verify(dg);
  std::map<std::string, Tensor> interpreted = interpret(dg, data);
  std::map<std::string, Tensor> compiled =
      compile(dg, singleThread())->run(data);

  // The forward pass with the weights as inputs, compiled once.
  auto forward = compile(withInputs.graph, singleThread());
  std::map<std::string, Tensor> in = data;
  for (const auto &[name, w] : withInputs.weights)
    in[name] = w.clone();
  auto lossAt = [&] { return forward->run(in).at("loss").elementAsDouble(0); };
  double loss = lossAt();
  EXPECT_NEAR(interpreted.at("loss").elementAsDouble(0), loss, 1e-12);

  Rng rng(9);
  for (const auto &[name, w] : withInputs.weights) {
    SCOPED_TRACE(name);
    const Tensor &gi = interpreted.at("grad." + name);
    const Tensor &gj = compiled.at("grad." + name);
    ASSERT_EQ(gi.shape(), w.shape());
    Tensor &x = in.at(name);
    for (int s = 0; s < samples; ++s) {
      int64_t k = rng.range(0, x.numElements() - 1);
      double x0 = x.elementAsDouble(k);
      double h = 1e-6 * std::max(1.0, std::fabs(x0));
      double above = x0 + h, below = x0 - h;
      x.setElementFromDouble(k, above);
      double up = lossAt();
      x.setElementFromDouble(k, below);
      double down = lossAt();
      x.setElementFromDouble(k, x0);
      double numeric = (up - down) / (above - below);
      for (auto [engine, g] : {std::pair{"interpreter", &gi}, {"jit", &gj}}) {
        double analytic = g->elementAsDouble(k);
        EXPECT_NEAR(analytic, numeric,
                    1e-6 * std::max(std::fabs(analytic), std::fabs(numeric)) +
                        1e-9)
            << engine << ", element " << k;
      }
    }
    // Everywhere, not just at the samples, the two engines agree.
    for (int64_t k = 0; k < gi.numElements(); ++k)
      ASSERT_NEAR(gj.elementAsDouble(k), gi.elementAsDouble(k),
                  1e-10 * (1e-3 + std::fabs(gi.elementAsDouble(k))))
          << "element " << k;
  }
}

TEST(ModelGrad, FashionMlpMatchesFiniteDifferences) {
  checkModel(buildMlp, "fashion_mlp.pbtxt", 4, 12);
}

TEST(ModelGrad, FashionCnnMatchesFiniteDifferences) {
  checkModel(buildCnn, "fashion_cnn.pbtxt", 2, 8);
}

} // namespace
