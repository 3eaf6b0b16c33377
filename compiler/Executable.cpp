//===- Executable.cpp - Compile a graph to native code and run it ---------===//
#include "compiler/Executable.h"

#include "compiler/Profile.h"

#include "compiler/CodeDump.h"
#include "compiler/Lowering.h"
#include "compiler/StageDump.h"
#include "compiler/jit/Jit.h"
#include "ir/Error.h"
#include "runtime/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace adjoint {

CodeDump dumpCode(const Graph &g, const CompileOptions &options) {
  CompileDump dump;
  lowerGraph(g, options, &dump);
  return std::move(dump.code);
}

CompileDump dumpCompilation(const Graph &g, const CompileOptions &options) {
  CompileDump dump;
  lowerGraph(g, options, &dump);
  return dump;
}

struct Executable::Impl {
  std::unique_ptr<jit::JitModule> code;
  void (*entry)(void **) = nullptr;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<std::string> nodeNames; ///< describe() of each node
  /// Per node, the type of the tensor its indices index (gather's data,
  /// scatter_add's result), for messages.
  std::vector<TensorType> nodeIndexedTypes;
  std::vector<OpKind> nodeOps;
  std::vector<Tensor> params; ///< in slot order after the inputs
  std::vector<void *> slots;
  std::vector<void *> arenaSlots; ///< default pointer of every slot
  std::vector<OutputSource> outputSources;
  std::shared_ptr<std::byte> arena;
  int64_t arenaBytes = 0;
  int64_t status[2] = {0, 0};
  int threads = 0;
  double compileSeconds = 0;
  int kernelCount = 0;
  int64_t intermediateBytes = 0, graphIntermediateBytes = 0;
  /// With profiling: seconds per group over all runs, and the groups.
  bool profile = false;
  std::vector<double> groupSeconds;
  std::vector<std::string> groupNames;
  int64_t runs = 0;
  std::mutex mutex;
};

Executable::Executable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executable::~Executable() = default;

const std::vector<TensorInfo> &Executable::inputs() const {
  return impl_->inputs;
}
const std::vector<TensorInfo> &Executable::outputs() const {
  return impl_->outputs;
}
double Executable::compileSeconds() const { return impl_->compileSeconds; }
int64_t Executable::arenaBytes() const { return impl_->arenaBytes; }
int Executable::kernelCount() const { return impl_->kernelCount; }

std::vector<KernelTime> Executable::profile() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<KernelTime> times;
  for (size_t i = 0; i < impl_->groupSeconds.size(); ++i)
    if (impl_->runs > 0 && impl_->groupSeconds[i] > 0)
      times.push_back({(int)i, impl_->groupNames[i],
                       impl_->groupSeconds[i] / (double)impl_->runs});
  return times;
}
int64_t Executable::intermediateBytes() const {
  return impl_->intermediateBytes;
}
int64_t Executable::graphIntermediateBytes() const {
  return impl_->graphIntermediateBytes;
}

std::unique_ptr<Executable> compile(const Graph &input,
                                    const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  std::string dumpDir = options.dumpDir;
  if (dumpDir.empty())
    if (const char *env = std::getenv("ADJOINT_DUMP_DIR"))
      dumpDir = std::string(env) + "/" + input.name(); // one per graph
  CompileDump dump;
  Lowered lowered =
      lowerGraph(input, options, dumpDir.empty() ? nullptr : &dump);
  if (!dumpDir.empty())
    writeCompileDump(dumpDir, input.name(), dump);
  const Graph &g = lowered.pipeline.graph;
  const MemoryPlan &memory = lowered.pipeline.memory;
  const codegen::InPlaceMap &inPlace = lowered.inPlace;
  codegen::EmittedModule &emitted = lowered.emitted;

  auto impl = std::make_unique<Executable::Impl>();
  const codegen::SlotLayout &layout = emitted.layout;
  impl->code = jit::JitModule::compile(std::move(emitted.ctx),
                                       std::move(emitted.module));
  impl->entry = reinterpret_cast<void (*)(void **)>(
      impl->code->lookup(codegen::kEntryName));
  impl->threads = options.threads;
  impl->kernelCount = lowered.pipeline.fusion.kernelCount();
  if (options.profile) {
    const FusionPlan &plan = lowered.pipeline.fusion;
    impl->profile = true;
    impl->groupSeconds.assign(plan.groups.size(), 0.0);
    for (const FusionGroup &group : plan.groups) {
      std::string name = groupKindName(group.kind) + std::string(":");
      for (const Node *n : group.nodes)
        name += " %" + n->result()->name() + "=" + std::string(opName(n->op()));
      if (const Node *t = group.trailing)
        name += ", then %" + t->result()->name() + "=" +
                std::string(opName(t->op()));
      impl->groupNames.push_back(name);
    }
  }
  impl->intermediateBytes = memory.totalBytes;
  impl->graphIntermediateBytes = memory.graphIntermediateBytes;

  // Buffers: parameters are shared with the graph (never written); node
  // results live in one arena as the memory plan lays it out.
  impl->slots.assign(layout.numSlots, nullptr);
  for (const Value *v : g.inputs())
    impl->inputs.push_back({v->name(), v->type()});
  for (const Param &p : g.params()) {
    impl->params.push_back(p.data);
    impl->slots[layout.slotOf.at(p.value)] = impl->params.back().bytes();
  }
  for (const auto &node : g.nodes()) {
    impl->nodeNames.push_back(node->describe());
    impl->nodeOps.push_back(node->op());
    impl->nodeIndexedTypes.push_back(
        node->op() == OpKind::ScatterAdd || node->op() == OpKind::OneHot
            ? node->result()->type()
        : node->operands().empty() ? TensorType{}
                                   : node->operand(0)->type());
  }
  ArenaLayout arenaLayout = layOutArena(g, layout, inPlace, memory);
  impl->arenaBytes = arenaLayout.bytes;
  void *arena = std::aligned_alloc(
      kArenaAlign,
      std::max(kArenaAlign, alignToArena((size_t)arenaLayout.bytes)));
  if (!arena)
    failed("out of memory allocating ", arenaLayout.bytes, " bytes for ",
           g.name());
  impl->arena = std::shared_ptr<std::byte>(static_cast<std::byte *>(arena),
                                           [](std::byte *p) { std::free(p); });
  for (auto [slot, offset] : arenaLayout.offsets)
    impl->slots[slot] = impl->arena.get() + offset;
  impl->slots[layout.statusSlot] = impl->status;
  impl->arenaSlots = impl->slots;

  for (const Output &o : g.outputs())
    impl->outputs.push_back({o.name, o.value->type()});
  impl->outputSources = outputSources(lowered);
  impl->compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return std::unique_ptr<Executable>(new Executable(std::move(impl)));
}

void Executable::run(std::span<const Tensor> inputs,
                     std::span<Tensor> outputs) {
  Impl &m = *impl_;
  if (inputs.size() != m.inputs.size())
    badInput("run: expected ", m.inputs.size(), " inputs, got ", inputs.size());
  if (outputs.size() != m.outputs.size())
    badInput("run: expected ", m.outputs.size(), " outputs, got ",
             outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].type() != m.inputs[i].type || !inputs[i].hasStorage())
      badInput("input %", m.inputs[i].name, " expects ",
               typeStr(m.inputs[i].type), ", got ", typeStr(inputs[i].type()));
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].type() != m.outputs[i].type || !outputs[i].hasStorage())
      badInput("output '", m.outputs[i].name, "' needs a tensor of type ",
               typeStr(m.outputs[i].type), ", got ",
               typeStr(outputs[i].type()));

  std::lock_guard<std::mutex> lock(m.mutex);
  if (adjoint_rt_num_threads() != m.threads && m.threads > 0)
    adjoint_rt_set_num_threads(m.threads);
  std::copy(m.arenaSlots.begin(), m.arenaSlots.end(), m.slots.begin());
  for (size_t i = 0; i < inputs.size(); ++i)
    m.slots[i] = const_cast<std::byte *>(inputs[i].bytes());
  for (size_t i = 0; i < outputs.size(); ++i)
    if (m.outputSources[i].direct)
      m.slots[m.outputSources[i].slot] = outputs[i].bytes();
  m.status[0] = m.status[1] = 0;

  if (m.profile) {
    profile::Recorder recorder(m.groupSeconds);
    m.entry(m.slots.data());
    ++m.runs;
  } else {
    m.entry(m.slots.data());
  }

  if (m.status[0] != 0) {
    size_t node = (size_t)m.status[0] - 1;
    if (m.nodeOps[node] == OpKind::OneHot) {
      int64_t depth = m.nodeIndexedTypes[node].shape.back();
      failed(m.nodeNames[node], ": index ", m.status[1], " is outside the ",
             depth, " classes [0, ", depth, ")");
    }
    failed(m.nodeNames[node], ": index ", m.status[1],
           " is out of range for data of type ",
           typeStr(m.nodeIndexedTypes[node]));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputSource &src = m.outputSources[i];
    if (src.direct || outputs[i].byteSize() == 0)
      continue;
    const void *from = src.kind == OutputSource::Kind::Constant
                           ? (const void *)src.constant.bytes()
                           : m.slots[src.slot];
    if (from == outputs[i].bytes())
      continue; // an in-place output passed as its own input
    std::memcpy(outputs[i].bytes(), from, outputs[i].byteSize());
  }
}

std::map<std::string, Tensor>
Executable::run(const std::map<std::string, Tensor> &inputs) {
  std::vector<Tensor> in;
  for (const TensorInfo &info : impl_->inputs) {
    auto it = inputs.find(info.name);
    if (it == inputs.end())
      badInput("input %", info.name, " (", typeStr(info.type),
               ") is not bound");
    in.push_back(it->second);
  }
  for (const auto &[name, tensor] : inputs) {
    bool known = false;
    for (const TensorInfo &info : impl_->inputs)
      known |= info.name == name;
    if (!known)
      badInput("'", name, "' is not an input of the model");
  }
  std::vector<Tensor> out;
  for (const TensorInfo &info : impl_->outputs)
    out.emplace_back(info.type);
  run(in, out);
  std::map<std::string, Tensor> result;
  for (size_t i = 0; i < out.size(); ++i)
    result.emplace(impl_->outputs[i].name, std::move(out[i]));
  return result;
}

} // namespace adjoint
