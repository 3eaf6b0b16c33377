//===- Lowering.cpp - A graph through the pipeline into an LLVM module ----===//
#include "compiler/Lowering.h"

#include "compiler/BatchLowering.h"
#include "compiler/CodeDump.h"
#include "compiler/codegen/Optimizer.h"
#include "compiler/codegen/RuntimeKernelAsm.h"
#include "ir/Specialize.h"
#include "ir/Verifier.h"
#include "runtime/Runtime.h"

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <map>
#include <set>

namespace adjoint {

namespace {} // namespace

codegen::InPlaceMap sharedSlots(const codegen::InPlaceMap &inPlace,
                                const MemoryPlan &memory) {
  codegen::InPlaceMap shared = inPlace;
  for (const BufferAssignment &b : memory.buffers)
    if (b.reuses)
      shared[b.value] = b.reuses;
  return shared;
}

void finishModule(codegen::EmittedModule &emitted, CodeDump *text,
                  llvm::TargetMachine &tm) {
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
}

ArenaLayout layOutArena(const Graph &g, const codegen::SlotLayout &layout,
                        const codegen::InPlaceMap &inPlace,
                        const MemoryPlan &memory) {
  ArenaLayout arena;
  arena.bytes.base = memory.arenaBytes;
  for (const BufferAssignment &b : memory.buffers)
    arena.offsets.push_back({layout.slotOf.at(b.value), {b.offset, 0}});
  placeUnplanned(
      g, layout, inPlace, memory,
      [](const Value *v) {
        return BatchBytes{(int64_t)v->type().byteSize(), 0};
      },
      arena);
  return arena;
}

void placeUnplanned(const Graph &g, const codegen::SlotLayout &layout,
                    const codegen::InPlaceMap &inPlace,
                    const MemoryPlan &memory,
                    const std::function<BatchBytes(const Value *)> &sizeOf,
                    ArenaLayout &arena) {
  std::set<const Value *> read, outside;
  for (const auto &node : g.nodes())
    read.insert(node->operands().begin(), node->operands().end());
  for (const Output &o : g.outputs())
    outside.insert(o.value);
  BatchBytes scratch;
  std::vector<int> scratchSlots;
  for (const auto &node : g.nodes()) {
    const Value *v = node->result();
    auto slot = layout.slotOf.find(v);
    if (slot == layout.slotOf.end() || memory.indexOf.count(v) ||
        inPlace.count(v) || outside.count(v))
      continue;
    BatchBytes size = sizeOf(v);
    size = {(int64_t)alignToArena(size.base),
            (int64_t)alignToArena(size.perBatch)};
    if (read.count(v)) {
      arena.offsets.push_back({slot->second, arena.bytes});
      arena.bytes.base += size.base;
      arena.bytes.perBatch += size.perBatch;
    } else {
      scratch.base = std::max(scratch.base, size.base);
      scratch.perBatch = std::max(scratch.perBatch, size.perBatch);
      scratchSlots.push_back(slot->second);
    }
  }
  for (int slot : scratchSlots)
    arena.offsets.push_back({slot, arena.bytes});
  arena.bytes.base += scratch.base;
  arena.bytes.perBatch += scratch.perBatch;
  // The work spaces of scans' bodies.
  for (auto [slot, bytes] : layout.scratch) {
    arena.offsets.push_back({slot, arena.bytes});
    arena.bytes.base += (int64_t)alignToArena((size_t)bytes);
  }
}

PipelineOptions pipelineOptionsOf(const CompileOptions &options,
                                  CompileDump *dump) {
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
  return pipelineOptions;
}

Lowered lowerGraph(const Graph &input, const CompileOptions &options,
                   CompileDump *dump, llvm::TargetMachine *tm) {
  verify(input);
  std::unique_ptr<llvm::TargetMachine> host;
  if (!tm) {
    host = codegen::createHostTargetMachine();
    tm = host.get();
  }
  if (hasSymbols(input))
    return lowerForEveryBatch(input, options, dump, *tm);
  Lowered out{runPipeline(input, pipelineOptionsOf(options, dump)),
              {},
              {},
              {},
              std::nullopt};
  const Graph &g = out.pipeline.graph;
  out.inPlace.insert(out.pipeline.inPlace.begin(), out.pipeline.inPlace.end());
  if (dump)
    dump->memoryPlan = printMemoryPlan(out.pipeline.memory);
  codegen::InPlaceMap shared = sharedSlots(out.inPlace, out.pipeline.memory);
  codegen::EmitOptions emit;
  emit.profile = options.profile;
  emit.packWeights = options.packWeights;
  emit.bodyPipeline = pipelineOptionsOf(options, nullptr);
  emit.bodyPipeline.inPlace.clear();
  emit.scanBlocks =
      options.threads > 0 ? options.threads : adjoint_rt_num_threads();
  out.emitted = codegen::emitModule(g, out.pipeline.fusion, shared, emit);
  finishModule(out.emitted, dump ? &dump->code : nullptr, *tm);
  out.arena = layOutArena(g, out.emitted.layout, shared, out.pipeline.memory);
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
