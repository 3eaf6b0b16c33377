//===- AotCompiler.h - Models to object files with C entry points ---------===//
//
// Ahead-of-time compilation: a model's graph (and with `train` its training
// step) through the same pipeline and code generation as the JIT, into one
// relocatable object for a chosen target. The object defines the C entry
// points that compiler/aot/HeaderWriter.h declares (NAME_run, NAME_step,
// NAME_get_param...) and needs nothing but the runtime (adjoint_rt_*) and
// the C library:
//
//   Model m = loadModel("examples/fashion_cnn.pbtxt");
//   aot::AotResult r = aot::compileModel(m, {.name = "cnn"});
//   writeFile("cnn.o", r.object);
//   writeFile("cnn.h", aot::writeHeader(r.interface));
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adjoint::aot {

/// How to compile.
struct AotOptions {
  /// The prefix of every C symbol; a C identifier.
  std::string name;
  /// Also compile the training step (NAME_step), with the parameters and
  /// optimizer state in writable memory updated in place.
  bool train = false;
  /// The LLVM target triple; empty: the host's.
  std::string triple;
  /// An LLVM CPU name of the target, "generic", or "native" (the host's CPU
  /// and features, for the host's architecture only). Empty: "native" for
  /// the host's target, "generic" for another one (as clang does).
  std::string cpu;
  /// The thread count the entry points set on first use unless the
  /// environment variable ADJOINT_NUM_THREADS is set; 0: the runtime's
  /// default.
  int threads = 0;
  /// Parameters in a separate weights file that NAME_load_weights reads,
  /// not in the object.
  bool externalWeights = false;
};

/// A named, typed input or output of an entry point.
struct AotTensor {
  std::string name;
  TensorType type;
};

/// The inputs and outputs of NAME_run or NAME_step, in call order, and the
/// arena it needs.
struct AotEntryPoint {
  std::vector<AotTensor> inputs, outputs;
  int64_t arenaBytes = 0;
  /// For a model compiled for every batch (NAME_run_batch): the arena's
  /// bytes per example, on top of arenaBytes; the tensors' types then hold
  /// the batch symbol.
  int64_t arenaBytesPerExample = 0;
};

/// A parameter of the model, in the model's order.
struct AotParam {
  std::string name;
  TensorType type;
  /// Where it starts in the weights file (with external weights).
  int64_t weightsOffset = 0;
  /// Updated by NAME_step.
  bool trained = false;
};

/// Everything the header describes.
struct AotInterface {
  std::string name, modelPath, triple, cpu;
  /// The batch symbol of a model compiled for every batch (NAME_run_batch
  /// and NAME_arena_bytes instead of NAME_run); empty for a static model.
  std::string batchSymbol;
  AotEntryPoint run;
  std::optional<AotEntryPoint> step;
  std::vector<AotParam> params;
  bool externalWeights = false;
  /// Parameters are writable (training, or loaded from a weights file).
  bool writableParams = false;
  int threads = 0;
  /// Bytes of all parameters, and of the optimizer state (training).
  int64_t paramBytes = 0, stateBytes = 0;
  /// Bytes of the weights file (external weights).
  int64_t weightsBytes = 0;
  /// The internal arena NAME_run and NAME_step use when given none.
  int64_t staticArenaBytes = 0;
};

struct AotResult {
  AotInterface interface;
  std::string object;  ///< the relocatable object file
  std::string weights; ///< the weights file, with external weights
};

/// Compiles `model` as `options` say. Throws BadInput for a name that is no
/// C identifier, an unsupported target or CPU, and (with `train`) a model
/// without a training spec.
AotResult compileModel(const Model &model, const AotOptions &options);

/// Throws BadInput unless `options` name a target this LLVM generates code
/// for and a CPU of it (compileModel checks the same).
void checkTarget(const AotOptions &options);

/// A GNU ar archive holding `object` as `memberName`, with a symbol index.
std::string archiveOf(const std::string &object, const std::string &memberName);

/// The default NAME for a model file: its stem with every character that
/// cannot appear in a C identifier replaced by '_' (and a leading '_' when
/// it starts with a digit).
std::string defaultModelName(const std::string &modelPath);

/// Throws BadInput unless `name` is a C identifier.
void checkModelName(const std::string &name);

} // namespace adjoint::aot
