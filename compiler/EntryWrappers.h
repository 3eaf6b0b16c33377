//===- EntryWrappers.h - The C entry points of a compiled model -----------===//
//
// LLVM IR functions that bind a compiled graph's slots (caller buffers,
// parameter storage, the arena, the batch) and call its entry: the calling
// contract of compiled code, written once. The JIT (compiler/Executable.cpp)
// calls the bind function itself; an object file (compiler/aot) exports it
// behind NAME_run or NAME_run_batch, with the parameter accessors.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/Lowering.h"

#include <llvm/IR/Module.h>

#include <map>
#include <string>
#include <vector>

namespace adjoint {

/// One entry point: `int NAME(const void *const *inputs, void *const
/// *outputs, void *arena)`, or for a model compiled for every batch `int
/// NAME(int64_t batch, const void *const *inputs, void *const *outputs,
/// void *arena)` with `size_t ARENA_BYTES(int64_t batch)`.
struct EntryBinding {
  /// The C symbol.
  std::string symbol;
  const Lowered *lowered = nullptr;
  /// The graph's entry, void(void **slots).
  llvm::Function *entry = nullptr;
  /// Indices into the graph's outputs of those the caller receives, in
  /// call order; the others are written in place into `storage`.
  std::vector<size_t> outputs;
  /// Storage of graph inputs and parameters the caller does not pass, by
  /// name; every other graph input is the caller's, in graph order.
  const std::map<std::string, llvm::Constant *> *storage = nullptr;
  /// The internal arena used when the caller passes none.
  llvm::Constant *staticArena = nullptr;
  /// Threads to set on the first call (when ADJOINT_NUM_THREADS is unset),
  /// 0 for none; `threadsSet` is the flag that records the first call.
  int threads = 0;
  llvm::GlobalVariable *threadsSet = nullptr;
  /// A model compiled for every batch: the bytes of each graph output,
  /// and the name of the arena-size function to emit.
  std::vector<BatchBytes> outputBytes;
  std::string arenaBytesSymbol;
};

/// The bind function's type: int(int64_t batch, const void *const *inputs,
/// void *const *outputs, void *arena, int64_t status[2]). `batch` is read by
/// a model compiled for every batch (a batch below 1 returns -1) and
/// ignored otherwise; `arena` NULL takes the static arena or, for every
/// batch, one from the heap for the call; `status` receives the failing
/// node + 1 and the detail of a data-dependent error, the return value
/// being the node + 1 (0 on success).
using BindFunction = int (*)(int64_t, const void *const *, void *const *,
                             void *, int64_t *);

/// Emits the bind function of `binding` into `m` as `name` with `linkage`.
llvm::Function *emitBindFunction(llvm::Module &m, const EntryBinding &binding,
                                 const std::string &name,
                                 llvm::GlobalValue::LinkageTypes linkage);

/// Emits the exported function `binding.symbol` into `m`: the thread setup
/// on the first call, then the bind function.
void emitEntryWrapper(llvm::Module &m, const EntryBinding &binding);

/// A parameter's storage, size and name for the accessors.
struct ParamStorage {
  std::string name;
  llvm::Constant *data = nullptr;
  int64_t bytes = 0;
};

/// Emits NAME_param_name, NAME_param_bytes, NAME_get_param and
/// NAME_set_param (which fails with -1 unless `writable`).
void emitParamAccessors(llvm::Module &m, const std::string &name,
                        const std::vector<ParamStorage> &params, bool writable);

/// Emits `int NAME_load_weights(const char *path)`: reads exactly `bytes`
/// bytes from the file into `weights`; 0 on success, -1 otherwise.
void emitLoadWeights(llvm::Module &m, const std::string &name,
                     llvm::GlobalVariable *weights, int64_t bytes);

} // namespace adjoint
