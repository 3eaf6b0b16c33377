//===- Lowering.cpp - A graph through the pipeline into an LLVM module ----===//
#include "compiler/Lowering.h"

#include "compiler/CodeDump.h"
#include "compiler/codegen/Optimizer.h"
#include "compiler/codegen/RuntimeKernelAsm.h"
#include "ir/Verifier.h"

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <map>
#include <set>

namespace adjoint {

namespace {

/// Generates, links and optimizes the module of `g` for `tm`; fills `text`
/// if given.
codegen::EmittedModule lowerToLLVM(const Graph &g, const FusionPlan &plan,
                                   CodeDump *text, llvm::TargetMachine &tm,
                                   const codegen::InPlaceMap &inPlace,
                                   bool profile) {
  codegen::EmittedModule emitted =
      codegen::emitModule(g, plan, inPlace, profile);
  emitted.module->setDataLayout(tm.createDataLayout());
  emitted.module->setTargetTriple(tm.getTargetTriple().str());
  codegen::linkMathLibrary(*emitted.module);
  if (text) {
    text->llvmBefore = codegen::printModule(*emitted.module);
    text->kernelsBefore = codegen::printFunctions(*emitted.module);
  }
  codegen::optimizeModule(*emitted.module, tm);
  if (text) {
    text->llvmAfter = codegen::printModule(*emitted.module);
    text->kernelsAfter = codegen::printFunctions(*emitted.module);
    text->assembly = codegen::emitAssembly(*emitted.module, tm);
    // The runtime kernels run on the host, whatever `tm` targets.
    if (codegen::isHostTarget(tm))
      text->assembly += codegen::runtimeKernelAssembly(*emitted.module);
  }
  return emitted;
}

/// The slots kernels share: each donated output (`inPlace`) with its input,
/// and each value the memory plan writes over a dying value with that
/// value. Either is computed in place: its kernel's buffers are not
/// `noalias`.
codegen::InPlaceMap sharedSlots(const codegen::InPlaceMap &inPlace,
                                const MemoryPlan &memory) {
  codegen::InPlaceMap shared = inPlace;
  for (const BufferAssignment &b : memory.buffers)
    if (b.reuses)
      shared[b.value] = b.reuses;
  return shared;
}

} // namespace

ArenaLayout layOutArena(const Graph &g, const codegen::SlotLayout &layout,
                        const codegen::InPlaceMap &inPlace,
                        const MemoryPlan &memory) {
  ArenaLayout arena;
  arena.bytes = memory.arenaBytes;
  for (const BufferAssignment &b : memory.buffers)
    arena.offsets.push_back({layout.slotOf.at(b.value), b.offset});
  std::set<const Value *> read, outside;
  for (const auto &node : g.nodes())
    read.insert(node->operands().begin(), node->operands().end());
  for (const Output &o : g.outputs())
    outside.insert(o.value);
  int64_t scratch = 0;
  std::vector<int> scratchSlots;
  for (const auto &node : g.nodes()) {
    const Value *v = node->result();
    auto slot = layout.slotOf.find(v);
    if (slot == layout.slotOf.end() || memory.indexOf.count(v) ||
        inPlace.count(v) || outside.count(v))
      continue;
    int64_t size = (int64_t)alignToArena(v->type().byteSize());
    if (read.count(v)) {
      arena.offsets.push_back({slot->second, arena.bytes});
      arena.bytes += size;
    } else {
      scratch = std::max(scratch, size);
      scratchSlots.push_back(slot->second);
    }
  }
  for (int slot : scratchSlots)
    arena.offsets.push_back({slot, arena.bytes});
  arena.bytes += scratch;
  return arena;
}

Lowered lowerGraph(const Graph &input, const CompileOptions &options,
                   CompileDump *dump, llvm::TargetMachine *tm) {
  verify(input);
  PipelineOptions pipelineOptions;
  pipelineOptions.verifyEach = options.verifyEach;
  pipelineOptions.simplify = options.simplify;
  pipelineOptions.fuse = options.fuse;
  pipelineOptions.fastMath = options.fastMath;
  pipelineOptions.fixedParameters = options.fixedParameters;
  pipelineOptions.inPlace = options.inPlace;
  if (dump)
    pipelineOptions.afterPass = [dump](std::string_view pass, const Graph &g,
                                       const FusionPlan *fusion) {
      dump->stages.push_back(captureStage(pass, g, fusion));
    };
  Lowered out{runPipeline(input, pipelineOptions), {}, {}};
  const Graph &g = out.pipeline.graph;
  out.inPlace.insert(out.pipeline.inPlace.begin(), out.pipeline.inPlace.end());
  if (dump)
    dump->memoryPlan = printMemoryPlan(out.pipeline.memory);
  std::unique_ptr<llvm::TargetMachine> host;
  if (!tm) {
    host = codegen::createHostTargetMachine();
    tm = host.get();
  }
  out.emitted = lowerToLLVM(
      g, out.pipeline.fusion, dump ? &dump->code : nullptr, *tm,
      sharedSlots(out.inPlace, out.pipeline.memory), options.profile);
  return out;
}

std::vector<OutputSource> outputSources(const Lowered &lowered) {
  const Graph &g = lowered.pipeline.graph;
  const codegen::SlotLayout &layout = lowered.emitted.layout;
  std::vector<OutputSource> sources;
  std::map<const Value *, bool> directTaken;
  for (const Output &o : g.outputs()) {
    OutputSource src;
    if (Node *def = o.value->definingNode();
        def && def->op() == OpKind::Constant) {
      src.kind = OutputSource::Kind::Constant;
      src.constant = def->attr().getTensor("value");
    } else {
      src.slot = layout.slotOf.at(o.value);
      src.direct =
          def && !directTaken[o.value] && !lowered.inPlace.count(o.value);
      directTaken[o.value] = true;
    }
    sources.push_back(std::move(src));
  }
  return sources;
}

} // namespace adjoint
