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

#include <cstdint>
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

/// The offsets of the slots of a graph in its arena and the arena's size.
struct ArenaLayout {
  std::vector<std::pair<int, int64_t>> offsets; ///< (slot, byte offset)
  int64_t bytes = 0;
};

/// Places every node result that has a slot: planned intermediates where
/// `memory` puts them; results the plan does not hold (dead results, which
/// all share one scratch buffer, or values a plan keeps in registers but
/// these kernels still write) above the planned arena.
ArenaLayout layOutArena(const Graph &g, const codegen::SlotLayout &layout,
                        const codegen::InPlaceMap &inPlace,
                        const MemoryPlan &memory);

/// A graph through the pipeline and into an optimized LLVM module.
struct Lowered {
  PipelineResult pipeline;
  codegen::InPlaceMap inPlace;
  codegen::EmittedModule emitted;
};

/// Runs the pipeline on `input` and lowers the result, optimized for `tm`
/// (the host when null); fills `dump` (every stage, the memory plan and the
/// code) when given.
Lowered lowerGraph(const Graph &input, const CompileOptions &options,
                   CompileDump *dump, llvm::TargetMachine *tm = nullptr);

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
