//===- Executable.h - Compile a graph to native code and run it -----------===//
//
// The C++ API of the JIT:
//
//   adjoint::Model model = adjoint::loadModel("examples/fashion_mlp.pbtxt");
//   auto exe = adjoint::compile(model.graph, {.threads = 2});
//   auto outputs = exe->run({{"x", images}, {"y", labels}}); // by name
//
// An Executable owns its machine code, a copy of the parameters and one
// arena for every intermediate; runs that pass preallocated outputs allocate
// nothing once the runtime's per-thread scratch buffers are warm (after the
// first run on one thread). One Executable runs one call at a
// time: concurrent calls to run() on the same Executable are serialized by
// an internal lock (compile one Executable per thread for parallel runs).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/Tensor.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace adjoint {

/// How to compile.
struct CompileOptions {
  /// Threads that run the kernels; 0 means all cores (or the environment
  /// variable ADJOINT_NUM_THREADS when set).
  int threads = 0;
  /// When not empty, the directory that receives every stage of the
  /// compilation (compiler/StageDump.h): the graph after each pass, the
  /// fusion plan, the memory plan, each kernel's LLVM IR before and after
  /// optimization and the assembly. Without it, the environment variable
  /// ADJOINT_DUMP_DIR names a directory that gets one such directory per
  /// compiled graph, named after the graph.
  std::string dumpDir;
  /// Buffer donation: pairs (output name, input name) whose output is
  /// written into the input's buffer, as a training step updates parameters
  /// and optimizer state in place. Each output must be computed by a node
  /// that comes after every reader of its input, and if that node reads the
  /// input itself, it must be elementwise and of the same shape. Passing the
  /// same tensor as that input and that output then costs no copy.
  std::vector<std::pair<std::string, std::string>> inPlace;
  /// The optimizing pipeline (compiler/passes/Pipeline.h): simplify the
  /// graph, and fuse its nodes into kernels. With both off, each node of
  /// the graph as given is one kernel, for comparison.
  bool simplify = true;
  bool fuse = true;
  /// Allow simplifications that change NaN, infinity or signed-zero results
  /// or rounding (docs/passes.md).
  bool fastMath = false;
  /// Verify the graph after every pass (always done in debug builds).
  bool verifyEach = false;
  /// The parameters keep the values they have at compile time, as they do
  /// in an Executable: what depends on them alone (a transposed weight) is
  /// computed once. Ahead-of-time code, whose parameters can be set, turns
  /// it off.
  bool fixedParameters = true;
  /// Products read a parameter as their B packed once, on their first run,
  /// into a buffer of the code's, instead of on every run: for code whose
  /// parameters cannot change while it lives. An Executable's never do;
  /// ahead-of-time compilation turns it off where the library's parameters
  /// can be set.
  bool packWeights = true;
  /// Time each kernel of every run (Executable::profile): two clock reads
  /// per fused group and run. JIT only.
  bool profile = false;
};

/// The time a compiled graph's runs spent in one group of its fusion plan
/// (its kernels, or the runtime's GEMM or convolution they call).
struct KernelTime {
  int group;               ///< the group's number in the fusion plan
  std::string description; ///< its kind and nodes: "epilogue: %9=matmul ..."
  double seconds;          ///< per run, on average
};

/// A named, typed input or output of an Executable.
struct TensorInfo {
  std::string name;
  TensorType type;
};

class Executable {
public:
  ~Executable();
  const std::vector<TensorInfo> &inputs() const;
  const std::vector<TensorInfo> &outputs() const;

  /// Runs with inputs bound by name; returns every output by name. Throws
  /// BadInput for an unknown or missing input or a dtype or shape that
  /// differs, and Failed for a data-dependent error (a gather index out of
  /// range), naming the node.
  std::map<std::string, Tensor>
  run(const std::map<std::string, Tensor> &inputs);

  /// Runs with inputs in the order of inputs() and results written into
  /// `outputs`, which must have the types of outputs() (for a graph compiled
  /// for every batch, with the batch the inputs give). Allocates nothing,
  /// once the arena has grown to the largest batch run.
  void run(std::span<const Tensor> inputs, std::span<Tensor> outputs);

  /// Seconds spent in compile() (code generation, optimization, JIT).
  double compileSeconds() const;

  /// Bytes of the arena that holds the intermediates (compiler/passes/
  /// MemoryPlan.h): values whose lives do not overlap share bytes. Outputs
  /// are written into the caller's tensors, not here. For a graph compiled
  /// for every batch: at the batch of the last run (0 before the first).
  int64_t arenaBytes() const;

  /// The number of kernels a run calls: groups of the fusion plan that run
  /// code (one per node that is not a constant when unfused).
  int kernelCount() const;
  /// The sum of the sizes of all intermediates the arena holds: its size
  /// if no two of them shared bytes.
  int64_t intermediateBytes() const;
  /// The sum of the sizes of every intermediate of the optimized graph,
  /// including those fused kernels keep in registers: what running it one
  /// op at a time, each result in its own buffer, would allocate.
  int64_t graphIntermediateBytes() const;

  /// With CompileOptions::profile, the time per run of every group that
  /// runs code, over the runs so far, in plan order; empty otherwise.
  std::vector<KernelTime> profile() const;

private:
  friend std::unique_ptr<Executable> compile(const Graph &,
                                             const CompileOptions &);
  struct Impl;
  explicit Executable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Compiles the verified graph `g` to native code for this machine. A graph
/// whose inputs have one symbolic dimension (a batch N) compiles once for
/// every batch: inputs() and outputs() keep the symbol, and each run takes
/// the batch from its inputs (docs/jit.md, "One compile for every batch").
std::unique_ptr<Executable> compile(const Graph &g,
                                    const CompileOptions &options = {});

} // namespace adjoint
