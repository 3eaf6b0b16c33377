//===- BatchLowering.cpp - A graph with a symbolic batch, compiled once ---===//
#include "compiler/BatchLowering.h"

#include "compiler/CodeDump.h"
#include "compiler/codegen/LiftBatch.h"
#include "ir/Error.h"
#include "ir/Specialize.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <unordered_map>
#include <unordered_set>

namespace adjoint {

namespace {

/// The graph, fusion plan and memory plan at one sample batch, and where
/// each value of the first sample's graph is in it.
struct Sample {
  int64_t batch = 0;
  PipelineResult pipeline;
  std::unordered_map<const Value *, const Value *> fromFirst;
};

std::string groupStr(const FusionGroup &group) {
  std::string s = groupKindName(group.kind);
  for (const Node *n : group.nodes)
    s += " %" + n->result()->name();
  return s;
}

/// Maps the values of `first` onto those of `s` (inputs, parameters and
/// node results by position) and checks that the two graphs and fusion
/// plans are the same but for shapes.
void correspond(const PipelineResult &first, int64_t firstBatch, Sample &s) {
  const Graph &a = first.graph, &b = s.pipeline.graph;
  auto differ = [&](const std::string &what) {
    failed(a.name(), ": the optimizing pipeline gives different ", what,
           " at batches ", firstBatch, " and ", s.batch,
           ", so one compiled model cannot serve every batch; compile the "
           "model at a fixed batch (--batch B)");
  };
  if (a.inputs().size() != b.inputs().size() ||
      a.params().size() != b.params().size() ||
      a.nodes().size() != b.nodes().size())
    differ("graphs");
  for (size_t i = 0; i < a.inputs().size(); ++i)
    s.fromFirst[a.inputs()[i]] = b.inputs()[i];
  for (size_t i = 0; i < a.params().size(); ++i)
    s.fromFirst[a.params()[i].value] = b.params()[i].value;
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const Node &x = *a.nodes()[i], &y = *b.nodes()[i];
    if (x.op() != y.op() || x.operands().size() != y.operands().size())
      differ("graphs (node " + x.describe() + ")");
    s.fromFirst[x.result()] = y.result();
  }
  for (size_t i = 0; i < a.nodes().size(); ++i)
    for (size_t k = 0; k < a.nodes()[i]->operands().size(); ++k)
      if (s.fromFirst.at(a.nodes()[i]->operand(k)) != b.nodes()[i]->operand(k))
        differ("graphs (node " + a.nodes()[i]->describe() + ")");
  const FusionPlan &pa = first.fusion, &pb = s.pipeline.fusion;
  if (pa.groups.size() != pb.groups.size())
    differ("fusion plans");
  for (size_t i = 0; i < pa.groups.size(); ++i) {
    const FusionGroup &x = pa.groups[i], &y = pb.groups[i];
    bool same = x.kind == y.kind && x.nodes.size() == y.nodes.size() &&
                x.outputs.size() == y.outputs.size() &&
                x.inputs.size() == y.inputs.size();
    for (size_t k = 0; same && k < x.nodes.size(); ++k)
      same = s.fromFirst.at(x.nodes[k]->result()) == y.nodes[k]->result();
    for (size_t k = 0; same && k < x.outputs.size(); ++k)
      same = s.fromFirst.at(x.outputs[k]) == y.outputs[k];
    if (!same)
      differ("kernels (" + groupStr(x) + " against " + groupStr(y) + ")");
  }
}

/// The bytes of each value of the first sample's graph as a function of
/// the batch, fitted through the samples.
std::unordered_map<const Value *, BatchBytes>
fitSizes(const std::vector<Sample> &samples) {
  std::unordered_map<const Value *, BatchBytes> sizes;
  const Sample &s0 = samples[0], &s1 = samples[1];
  for (const auto &[v, atOne] : samples[1].fromFirst) {
    int64_t b0 = (int64_t)v->type().byteSize();
    int64_t b1 = (int64_t)atOne->type().byteSize();
    int64_t dn = s1.batch - s0.batch;
    BatchBytes f;
    f.perBatch = (b1 - b0) / dn;
    f.base = b0 - f.perBatch * s0.batch;
    bool fits = (b1 - b0) % dn == 0;
    for (const Sample &s : samples)
      fits = fits && f.at(s.batch) ==
                         (int64_t)(s.batch == s0.batch ? v : s.fromFirst.at(v))
                             ->type()
                             .byteSize();
    if (!fits)
      failed(s0.pipeline.graph.name(), ": %", v->name(), " (",
             typeStr(v->type()), " at batch ", s0.batch,
             ") does not grow linearly with the batch, so one compiled model "
             "cannot serve every batch; compile the model at a fixed batch "
             "(--batch B)");
    sizes[v] = f;
  }
  return sizes;
}

/// The plan of buffers that do not grow with the batch and the plan per
/// example of those that do (see BatchLowering.h).
struct BatchMemory {
  MemoryPlan fixed, perExample;
  BatchBytes bytes() const { return {fixed.arenaBytes, perExample.arenaBytes}; }
};

BatchMemory
planBatchMemory(const PipelineResult &first,
                const std::unordered_map<const Value *, BatchBytes> &sizes) {
  std::vector<const Value *> fixedOnly = first.memory.pinned,
                             growingOnly = first.memory.pinned;
  for (const BufferAssignment &b : first.memory.buffers)
    (sizes.at(b.value).perBatch == 0 ? growingOnly : fixedOnly)
        .push_back(b.value);
  BatchMemory mem;
  mem.fixed = planMemory(first.graph, first.fusion, fixedOnly,
                         [&](const Value *v) { return sizes.at(v).base; });
  // At most (perBatch + base) * N bytes for every N >= 1 when base > 0.
  mem.perExample =
      planMemory(first.graph, first.fusion, growingOnly, [&](const Value *v) {
        BatchBytes f = sizes.at(v);
        return f.perBatch + std::max<int64_t>(f.base, 0);
      });
  return mem;
}

/// The memory plan of sample `s` that `mem` gives at its batch.
MemoryPlan planAt(const BatchMemory &mem, const Sample &s) {
  auto at = [&](const Value *v) { return s.fromFirst.at(v); };
  MemoryPlan plan;
  for (const Value *v : mem.fixed.pinned)
    if (!mem.perExample.indexOf.count(v))
      plan.pinned.push_back(at(v));
  auto add = [&](const BufferAssignment &b, int64_t offset) {
    BufferAssignment c = b;
    c.value = at(b.value);
    c.reuses = b.reuses ? at(b.reuses) : nullptr;
    c.offset = offset;
    c.size = (int64_t)c.value->type().byteSize();
    plan.indexOf[c.value] = (int)plan.buffers.size();
    plan.buffers.push_back(c);
    plan.totalBytes += (int64_t)alignToArena((size_t)c.size);
  };
  for (const BufferAssignment &b : mem.fixed.buffers)
    add(b, b.offset);
  for (const BufferAssignment &b : mem.perExample.buffers)
    add(b, mem.fixed.arenaBytes + b.offset * s.batch);
  plan.arenaBytes = mem.bytes().at(s.batch);
  plan.graphIntermediateBytes = s.pipeline.memory.graphIntermediateBytes;
  return plan;
}

/// The planned buffers and those of no plan, for every batch.
ArenaLayout
batchArena(const Sample &first, const BatchMemory &mem,
           const codegen::SlotLayout &layout, const codegen::InPlaceMap &shared,
           const std::unordered_map<const Value *, BatchBytes> &sizes) {
  ArenaLayout arena;
  arena.bytes = mem.bytes();
  for (const BufferAssignment &b : mem.fixed.buffers)
    arena.offsets.push_back({layout.slotOf.at(b.value), {b.offset, 0}});
  for (const BufferAssignment &b : mem.perExample.buffers)
    arena.offsets.push_back(
        {layout.slotOf.at(b.value), {mem.fixed.arenaBytes, b.offset}});
  MemoryPlan both;
  for (const MemoryPlan *plan : {&mem.fixed, &mem.perExample})
    for (const BufferAssignment &b : plan->buffers)
      both.indexOf[b.value] = 0;
  placeUnplanned(
      first.pipeline.graph, layout, shared, both,
      [&](const Value *v) { return sizes.at(v); }, arena);
  return arena;
}

} // namespace

BatchBytes bytesOf(const TensorType &t) {
  int64_t bytes = (int64_t)dtypeSize(t.dtype);
  bool perBatch = false;
  for (int64_t d : t.shape) {
    if (isSymbolic(d)) {
      if (perBatch)
        failed("the batch appears twice in ", typeStr(t));
      perBatch = true;
      d = dimCoefficient(d);
    }
    bytes *= d;
  }
  return perBatch ? BatchBytes{0, bytes} : BatchBytes{bytes, 0};
}

Lowered lowerForEveryBatch(const Graph &input, const CompileOptions &options,
                           CompileDump *dump, llvm::TargetMachine &tm) {
  std::vector<SymbolId> symbols = graphSymbols(input);
  if (symbols.size() != 1) {
    std::string names;
    for (SymbolId id : symbols)
      names += (names.empty() ? "" : ", ") + symbolName(id);
    badInput(input.name(), ": the inputs have the symbols ", names,
             "; one compiled model serves every value of one symbol (the "
             "batch): bind the others (specialize)");
  }
  SymbolId batch = symbols[0];
  for (const auto &node : input.nodes())
    if (node->op() == OpKind::Scan)
      badInput(input.name(), ": ", node->describe(),
               " compiles at a fixed batch: bind the batch first (--batch B, "
               "or specialize() in C++)");

  std::vector<Sample> samples;
  for (int64_t n : codegen::kBatchSamples) {
    Sample s;
    s.batch = n;
    Graph bound = withContext(
        strCat(input.name(), " at ", symbolName(batch), " = ", n), [&] {
          return specialize(input, {{batch, n}});
        });
    s.pipeline = runPipeline(
        bound, pipelineOptionsOf(options, samples.empty() ? dump : nullptr));
    samples.push_back(std::move(s));
  }
  for (const Value *v : samples[0].pipeline.graph.inputs())
    samples[0].fromFirst[v] = v;
  for (const Param &p : samples[0].pipeline.graph.params())
    samples[0].fromFirst[p.value] = p.value;
  for (const auto &n : samples[0].pipeline.graph.nodes())
    samples[0].fromFirst[n->result()] = n->result();
  for (size_t i = 1; i < samples.size(); ++i)
    correspond(samples[0].pipeline, samples[0].batch, samples[i]);

  std::unordered_map<const Value *, BatchBytes> sizes = fitSizes(samples);
  BatchMemory mem = planBatchMemory(samples[0].pipeline, sizes);
  if (dump)
    dump->memoryPlan =
        "buffers that do not grow with the batch:\n" +
        printMemoryPlan(mem.fixed) + "\nbuffers per example of the batch " +
        symbolName(batch) + ", at " + std::to_string(mem.fixed.arenaBytes) +
        " + offset * " + symbolName(batch) + ":\n" +
        printMemoryPlan(mem.perExample);

  // Every sample: its memory plan checked, its module emitted into one
  // context, and the modules lifted into one for every batch.
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::vector<codegen::EmittedModule> modules;
  std::vector<codegen::InPlaceMap> shared;
  for (Sample &s : samples) {
    MemoryPlan plan = planAt(mem, s);
    checkMemoryPlan(s.pipeline.graph, s.pipeline.fusion, plan);
    s.pipeline.memory = std::move(plan);
    codegen::InPlaceMap inPlace(s.pipeline.inPlace.begin(),
                                s.pipeline.inPlace.end());
    shared.push_back(sharedSlots(inPlace, s.pipeline.memory));
    codegen::EmitOptions emit;
    emit.profile = options.profile;
    emit.forEveryBatch = true;
    emit.packWeights = options.packWeights;
    emit.context = ctx.get();
    modules.push_back(codegen::emitModule(s.pipeline.graph, s.pipeline.fusion,
                                          shared.back(), emit));
    if (modules.back().layout.numSlots != modules[0].layout.numSlots)
      failed(input.name(), ": the slots differ between batches ",
             samples[0].batch, " and ", s.batch);
  }
  std::vector<codegen::BatchSample> lifted;
  for (size_t i = 0; i < samples.size(); ++i)
    lifted.push_back({samples[i].batch, modules[i].module.get()});
  withContext(input.name(),
              [&] { codegen::liftBatch(lifted, modules[0].layout.batchSlot); });

  Lowered out;
  out.batch = batch;
  out.emitted.ctx = std::move(ctx);
  out.emitted.module = std::move(modules[0].module);
  out.emitted.layout = std::move(modules[0].layout);
  modules.clear(); // the other samples, while their context lives
  finishModule(out.emitted, dump ? &dump->code : nullptr, tm);
  out.arena = batchArena(samples[0], mem, out.emitted.layout, shared[0], sizes);
  out.inPlace.insert(samples[0].pipeline.inPlace.begin(),
                     samples[0].pipeline.inPlace.end());
  out.pipeline = std::move(samples[0].pipeline);
  return out;
}

} // namespace adjoint
