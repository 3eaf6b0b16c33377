//===- DocCommandsTest.cpp - The docs' commands run as the docs show ------===//
//
// Every shell command of README.md's usage sections ("Using the `adjoint`
// command", "Ahead of time") and every `$ ` command of docs/cli.md runs, in
// order, in a scratch directory that holds `examples` and `build` (links to
// the source's and the build's) and the small files the docs' examples name
// (x.npy, mlp.onnx, regression.adj, ...; written by this test). A doc that
// drifts from the program fails here:
//  - a command must succeed, unless the doc shows it printing an
//    `adjoint: error:` line, which it must then print exactly, and fail;
//  - every line the doc shows as its output must appear in what it prints,
//    except lines with a decimal number or a duration (timings, values
//    that round differently on another CPU), lines with "..." and assembly
//    instructions (the host's registers).
// `cat FILE` of a file the scratch directory lacks writes FILE with the
// output the doc shows (docs/cli.md's ex.adj).
// In a sanitized build (ADJOINT_SANITIZE), commands that link a C program
// with cc or cmake are skipped: the runtime they would link is
// instrumented.
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Losses.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"
#include "ir/TextFormat.h"
#include "tests/cli/CliTestSupport.h"
#include "tests/onnx/OnnxTestModels.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

using namespace adjoint;
using namespace adjoint::testing;
using adjoint::test::ProcessResult;
using adjoint::test::runProgram;

namespace {

namespace fs = std::filesystem;

struct DocCommand {
  int line = 0;
  std::string command;
  std::vector<std::string> output; ///< the lines the doc shows after it
};

std::vector<std::string> linesOf(const std::string &path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  return lines;
}

/// Appends the lines after `i` that `line` continues with a trailing `\`.
std::string joinContinued(const std::vector<std::string> &lines, size_t &i,
                          std::string line) {
  while (!line.empty() && line.back() == '\\' && i + 1 < lines.size()) {
    line.pop_back();
    line += " " + lines[++i];
  }
  return line;
}

/// docs/cli.md: the `$ ` lines of every fenced block, with the lines up to
/// the next one as their output.
std::vector<DocCommand> dollarCommands(const std::string &path) {
  std::vector<std::string> lines = linesOf(path);
  std::vector<DocCommand> out;
  bool inBlock = false, collecting = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string &l = lines[i];
    if (l.rfind("```", 0) == 0) {
      inBlock = !inBlock;
      collecting = false;
      continue;
    }
    if (!inBlock)
      continue;
    if (l.rfind("$ ", 0) == 0) {
      int at = (int)i + 1;
      out.push_back({at, joinContinued(lines, i, l.substr(2)), {}});
      collecting = true;
    } else if (collecting) {
      out.back().output.push_back(l);
    }
  }
  return out;
}

/// README.md: each line of the `sh` blocks of the named sections, without
/// its trailing comment.
std::vector<DocCommand>
readmeCommands(const std::string &path,
               const std::vector<std::string> &sections) {
  std::vector<std::string> lines = linesOf(path);
  std::vector<DocCommand> out;
  bool inSection = false, inBlock = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string &l = lines[i];
    if (l.rfind("## ", 0) == 0) {
      inSection = std::find(sections.begin(), sections.end(), l.substr(3)) !=
                  sections.end();
      continue;
    }
    if (!inSection)
      continue;
    if (l.rfind("```", 0) == 0) {
      inBlock = !inBlock && l == "```sh";
      continue;
    }
    if (!inBlock || l.empty() || l[0] == '#')
      continue;
    std::string command = joinContinued(lines, i, l);
    size_t comment = command.find("  #");
    if (comment != std::string::npos)
      command.resize(comment);
    while (!command.empty() && command.back() == ' ')
      command.pop_back();
    out.push_back({(int)i + 1, command, {}});
  }
  return out;
}

void writeClassifier(const fs::path &dir) {
  // x f32[N,784] and y i64[N] as exported by a framework with a symbolic
  // batch: logits = Gemm(x, w, b); y passes through.
  for (const char *name : {"mlp.onnx", "model.onnx"}) {
    onnx::ModelProto m = makeOnnxModel();
    addOnnxInput(m, "x", onnx::TensorProto::FLOAT, {-1, 784});
    std::vector<double> w(784 * 10, 0.001), b(10, 0);
    addOnnxInitializer(m, "w", Tensor::fromDoubles(DType::F32, {784, 10}, w));
    addOnnxInitializer(m, "b", Tensor::fromDoubles(DType::F32, {10}, b));
    addOnnxNode(m, "Gemm", {"x", "w", "b"}, {"logits"}, "fc");
    addOnnxOutput(m, "logits", onnx::TensorProto::FLOAT, {-1, 10});
    if (std::string(name) == "mlp.onnx") {
      addOnnxInput(m, "y", onnx::TensorProto::INT64, {-1});
      addOnnxNode(m, "Identity", {"y"}, {"labels"}, "id");
      addOnnxOutput(m, "labels", onnx::TensorProto::INT64, {-1});
    }
    writeOnnxModel(m, (dir / name).string());
  }
  // A detector whose post-processing Adjoint does not import.
  onnx::ModelProto d = makeOnnxModel();
  addOnnxInput(d, "boxes", onnx::TensorProto::FLOAT, {1, 100, 4});
  addOnnxInput(d, "scores", onnx::TensorProto::FLOAT, {1, 1, 100});
  addOnnxInitializer(
      d, "k", Tensor::fromDoubles(DType::I64, {1}, std::vector<double>{5}));
  std::string last = "scores";
  for (int i = 0; i < 55; ++i) {
    std::string next = "s" + std::to_string(i);
    addOnnxNode(d, "Relu", {last}, {next}, "relu" + std::to_string(i));
    last = next;
  }
  addOnnxNode(d, "NonMaxSuppression", {"boxes", last}, {"picked"}, "nms");
  addOnnxNode(d, "TopK", {last, "k"}, {"top", "topIndex"}, "topk");
  addOnnxOutput(d, "picked", onnx::TensorProto::INT64, {-1, 3});
  addOnnxOutput(d, "top", onnx::TensorProto::FLOAT, {1, 1, 5});
  writeOnnxModel(d, (dir / "detector.onnx").string());
}

/// regression.adj: least squares, sum((x @ w + b - y)^2), with a spec.
void writeRegression(const fs::path &dir) {
  Model m{Graph("regression"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {4, 3}});
  Value *y = b.input("y", {DType::F32, {4, 2}});
  Value *w = b.param("w", {DType::F32, {3, 2}}, glorotUniform(1));
  Value *bias = b.param("b", {DType::F32, {2}}, zerosInit());
  Value *r = b.sub(b.dense(x, w, bias), y);
  b.output("loss", b.reduceSum(b.mul(r, r), std::nullopt, false));
  m.training = TrainingSpec("loss");
  saveModel(m, (dir / "regression.adj").string());
}

/// tiny.adj and nan-data/: a classifier of log(x) on data whose second
/// half is negative, so that its loss turns NaN at once.
void writeNanTraining(const fs::path &dir) {
  Model m{Graph("tiny"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {4, 2}});
  Value *y = b.input("y", {DType::I64, {4}});
  Value *w = b.param("w", {DType::F32, {2, 2}}, glorotUniform(3));
  Value *bias = b.param("b", {DType::F32, {2}}, zerosInit());
  Value *logits = b.dense(b.log(x), w, bias);
  b.output("logits", logits);
  b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
  TrainingSpec spec("loss");
  spec.batchSize = 4;
  spec.features = "x";
  spec.labels = "y";
  m.training = spec;
  // The log's result is called %h, as in the doc.
  std::string text = printModel(m);
  std::smatch log;
  ASSERT_TRUE(std::regex_search(text, log, std::regex(R"((%\w+) = log\()")));
  text = std::regex_replace(text, std::regex(log[1].str() + R"(\b)"), "%h");
  adjoint::test::writeFile(dir / "tiny.adj", text);
  fs::create_directories(dir / "nan-data");
  std::vector<double> xs(16, 0.5), ys(8, 0);
  for (int i = 8; i < 16; ++i)
    xs[i] = -1;
  writeNpy((dir / "nan-data/x.npy").string(),
           Tensor::fromDoubles(DType::F32, {8, 2}, xs));
  writeNpy((dir / "nan-data/y.npy").string(),
           Tensor::fromDoubles(DType::I64, {8}, ys));
}

void writeFixtures(const fs::path &dir) {
  fs::create_directory_symlink(fs::path(ADJOINT_SOURCE_DIR) / "examples",
                               dir / "examples");
  fs::create_directory_symlink(ADJOINT_BINARY_DIR, dir / "build");
  std::vector<double> pixels(32 * 784), labels(32);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = (double)(i * 7919 % 256) / 255;
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = (double)(i % 10);
  for (const char *prefix : {"", "images"}) {
    std::string xs = *prefix ? "images.npy" : "x.npy";
    std::string ys = *prefix ? "labels.npy" : "y.npy";
    writeNpy((dir / xs).string(),
             Tensor::fromDoubles(DType::F32, {32, 784}, pixels));
    writeNpy((dir / ys).string(),
             Tensor::fromDoubles(DType::I64, {32}, labels));
  }
  writeClassifier(dir);
  writeRegression(dir);
  writeNanTraining(dir);
  adjoint::test::writeFile(dir / "classify.c", R"(#include "cnn.h"
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  void *x = calloc(1, cnn_X_BYTES(8)), *y = calloc(1, cnn_Y_BYTES(8));
  float *probs = malloc(cnn_PROBS_BYTES(8));
  void *logits = malloc(cnn_LOGITS_BYTES(8)), *loss = malloc(cnn_LOSS_BYTES);
  const void *inputs[] = {x, y};
  void *outputs[] = {probs, logits, loss};
  if (cnn_run_batch(8, inputs, outputs, NULL) != 0)
    return 1;
  printf("class probabilities of a blank image: %g ...\n", probs[0]);
  return 0;
}
)");
}

/// Commands that build or run a program linked with the runtime library,
/// or use the package installed for them.
[[maybe_unused]] bool linksACProgram(const std::string &command) {
  return command.rfind("cc ", 0) == 0 || command.rfind("cmake", 0) == 0 ||
         command.rfind("aot-build/", 0) == 0 ||
         command.find("$HOME/adjoint") != std::string::npos;
}

/// Whether a line the doc shows must appear as is: not one with a decimal
/// number or a duration ("compiled in 0s"), "...", or an assembly
/// instruction (registers and vector widths are the host's).
bool comparable(const std::string &line) {
  static const std::regex varies(R"(\d\.\d|\b\d+ ?(s|ms|us)\b|\d+m\d+s)");
  return !line.empty() && line[0] != '\t' &&
         line.find("...") == std::string::npos &&
         !std::regex_search(line, varies);
}

/// Runs `commands` of `doc` in one scratch directory; returns how many ran.
int runAll(const std::string &doc, const std::vector<DocCommand> &commands) {
  TempDir dir;
  writeFixtures(dir.path());
  std::string path = std::string(ADJOINT_BINARY_DIR) + "/bin:" +
                     (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin");
  int ran = 0;
  for (const DocCommand &c : commands) {
    SCOPED_TRACE(doc + ":" + std::to_string(c.line) + ": " + c.command);
#ifdef ADJOINT_SANITIZE
    if (linksACProgram(c.command))
      continue;
#endif
    std::smatch cat;
    static const std::regex catFile(R"(^cat (\S+)$)");
    if (std::regex_match(c.command, cat, catFile) &&
        !fs::exists(dir.path() / cat[1].str())) {
      std::string text;
      for (const std::string &l : c.output)
        text += l + "\n";
      adjoint::test::writeFile(dir.path() / cat[1].str(), text);
    }
    std::string script = "cd '" + dir.path().string() + "' && export PATH='" +
                         path + "' HOME='" + dir.path().string() + "' && " +
                         c.command;
    ProcessResult r = runProgram("/bin/sh", {"-c", script});
    ++ran;
    std::string printed = r.out + r.err;
    std::string error;
    for (const std::string &l : c.output)
      if (l.rfind("adjoint: error:", 0) == 0)
        error = l;
    if (error.empty()) {
      EXPECT_EQ(r.status, 0) << printed;
    } else {
      EXPECT_NE(r.status, 0) << printed;
      EXPECT_NE(r.err.find(error + "\n"), std::string::npos)
          << "the doc shows:\n"
          << error << "\nthe program printed:\n"
          << r.err;
    }
    for (const std::string &l : c.output)
      if (comparable(l) && l != error)
        EXPECT_NE(printed.find(l), std::string::npos)
            << "the doc shows the line:\n"
            << l << "\nthe program printed:\n"
            << printed;
  }
  return ran;
}

TEST(DocCommands, CliMdRunsAsShown) {
  std::string doc = std::string(ADJOINT_SOURCE_DIR) + "/docs/cli.md";
  std::vector<DocCommand> commands = dollarCommands(doc);
  ASSERT_GE(commands.size(), 25u);
  int ran = runAll("docs/cli.md", commands);
  std::printf("docs/cli.md: %d commands run\n", ran);
}

TEST(DocCommands, ReadmeRunsAsShown) {
  std::string doc = std::string(ADJOINT_SOURCE_DIR) + "/README.md";
  std::vector<DocCommand> commands =
      readmeCommands(doc, {"Using the `adjoint` command", "Ahead of time"});
  ASSERT_GE(commands.size(), 10u);
  int ran = runAll("README.md", commands);
  std::printf("README.md: %d commands run\n", ran);
}

} // namespace
