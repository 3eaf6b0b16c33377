//===- Lowering.h - A graph through the pipeline into an LLVM module ------===//
//
// What the JIT (compiler/Executable.cpp) and ahead-of-time compilation
// (compiler/aot) share: the pipeline, code generation and optimization for
// one target machine, and where every slot lives in the arena.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/Executable.h"
#include "compiler/StageDump.h"
#include "compiler/codegen/ModuleEmitter.h"
#include "compiler/passes/Pipeline.h"
#include "ir/SymbolicDim.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace adjoint {

/// The alignment of the arena and of every buffer in it, in bytes.
inline constexpr size_t kArenaAlign = 64;

/// `n` rounded up to kArenaAlign.
inline size_t alignToArena(size_t n) {
  return (n + kArenaAlign - 1) / kArenaAlign * kArenaAlign;
}

/// A byte count or offset at batch N: base + perBatch * N. perBatch is 0
/// in a static graph.
struct BatchBytes {
  int64_t base = 0, perBatch = 0;
  int64_t at(int64_t batch) const { return base + perBatch * batch; }
};

/// The offsets of the slots of a graph in its arena and the arena's size.
struct ArenaLayout {
  std::vector<std::pair<int, BatchBytes>> offsets; ///< (slot, byte offset)
  BatchBytes bytes;
};

/// Places every node result that has a slot: planned intermediates where
/// `memory` puts them; results the plan does not hold (dead results, which
/// all share one scratch buffer, or values a plan keeps in registers but
/// these kernels still write) above the planned arena.
ArenaLayout layOutArena(const Graph &g, const codegen::SlotLayout &layout,
                        const codegen::InPlaceMap &inPlace,
                        const MemoryPlan &memory);

/// The part of layOutArena after the planned buffers: the results that have
/// a slot but no place in the plan go above `arena.bytes`, each of the
/// size `sizeOf` gives (aligned).
void placeUnplanned(const Graph &g, const codegen::SlotLayout &layout,
                    const codegen::InPlaceMap &inPlace,
                    const MemoryPlan &memory,
                    const std::function<BatchBytes(const Value *)> &sizeOf,
                    ArenaLayout &arena);

/// A graph through the pipeline and into an optimized LLVM module.
struct Lowered {
  PipelineResult pipeline;
  codegen::InPlaceMap inPlace;
  codegen::EmittedModule emitted;
  /// Where the slots of node results live.
  ArenaLayout arena;
  /// For a graph compiled for every batch (compiler/BatchLowering.h): its
  /// batch symbol; `pipeline` is then the graph at the first sample batch,
  /// and the entry reads the batch through the layout's batch slot.
  std::optional<SymbolId> batch;
};

/// Runs the pipeline on `input` and lowers the result, optimized for `tm`
/// (the host when null); fills `dump` (every stage, the memory plan and the
/// code) when given. A graph with a symbolic batch is compiled for every
/// batch (compiler/BatchLowering.h).
Lowered lowerGraph(const Graph &input, const CompileOptions &options,
                   CompileDump *dump, llvm::TargetMachine *tm = nullptr);

/// The pipeline's options from a compile's.
PipelineOptions pipelineOptionsOf(const CompileOptions &options,
                                  CompileDump *dump);

/// The slots kernels share: each donated output (`inPlace`) with its input,
/// and each value the memory plan writes over a dying value with that
/// value. Either is computed in place: its kernel's buffers are not
/// `noalias`.
codegen::InPlaceMap sharedSlots(const codegen::InPlaceMap &inPlace,
                                const MemoryPlan &memory);

/// Links the math library into `emitted` and optimizes it for `tm`; fills
/// `text` with the code before and after when given.
void finishModule(codegen::EmittedModule &emitted, CodeDump *text,
                  llvm::TargetMachine &tm);

/// Where the data of each graph output comes from after a run.
struct OutputSource {
  enum class Kind { Slot, Constant } kind = Kind::Slot;
  int slot = -1;       ///< for Slot: the value's slot
  Tensor constant;     ///< for Constant
  bool direct = false; ///< the kernel writes straight into the output
};

/// The source of every output of the lowered graph, in output order: the
/// first output of each node result is written by its kernel directly
/// (in-place results live in their input's buffer instead).
std::vector<OutputSource> outputSources(const Lowered &lowered);

} // namespace adjoint
