//===- main.cpp - Build a graph in C++, compile it, run it ----------------===//
//
// The smallest use of Adjoint's C++ API: a two-layer network built with the
// Builder, compiled to native code by the JIT, and run on a batch. It checks
// its answer against the reference interpreter and exits non-zero if the
// two disagree. It builds in the tree and, unchanged, against the
// installed package (target_link_libraries(app adjoint::jit)).
//
//===----------------------------------------------------------------------===//
#include <adjoint/jit.h>

#include <cmath>
#include <cstdio>

int main() {
  using namespace adjoint;
  try {
    // probs = softmax(relu(x @ w1 + b1) @ w2 + b2)
    Graph g("two_layer");
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {8, 16}});
    Value *w1 = b.param("w1", {DType::F32, {16, 32}}, glorotUniform(1));
    Value *b1 = b.param("b1", {DType::F32, {32}}, zerosInit());
    Value *w2 = b.param("w2", {DType::F32, {32, 4}}, glorotUniform(2));
    Value *b2 = b.param("b2", {DType::F32, {4}}, zerosInit());
    Value *hidden = b.relu(b.dense(x, w1, b1));
    b.output("probs", b.softmax(b.dense(hidden, w2, b2)));

    CompileOptions options;
    options.threads = 2;
    std::unique_ptr<Executable> exe = compile(g, options);

    Tensor input(TensorType{DType::F32, {8, 16}});
    for (int64_t i = 0; i < input.numElements(); ++i)
      input.data<float>()[i] = std::sin(0.1f * (float)i);
    std::map<std::string, Tensor> out = exe->run({{"x", input}});
    const Tensor &probs = out.at("probs");

    std::map<std::string, Tensor> ref = interpret(g, {{"x", input}});
    double worst = 0;
    for (int64_t i = 0; i < probs.numElements(); ++i)
      worst =
          std::max(worst, (double)std::fabs(probs.data<float>()[i] -
                                            ref.at("probs").data<float>()[i]));
    for (int row = 0; row < 2; ++row) {
      std::printf("probs[%d] =", row);
      for (int c = 0; c < 4; ++c)
        std::printf(" %.4f", probs.data<float>()[row * 4 + c]);
      std::printf("\n");
    }
    std::printf("compiled in %.1f ms; largest difference from the "
                "interpreter: %.2g\n",
                exe->compileSeconds() * 1e3, worst);
    return worst < 1e-5 ? 0 : 1;
  } catch (const Error &e) {
    std::fprintf(stderr, "jit_api: error: %s\n", e.what());
    return 1;
  }
}
