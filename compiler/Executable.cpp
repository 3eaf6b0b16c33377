//===- Executable.cpp - Compile a graph to native code and run it ---------===//
#include "compiler/Executable.h"

#include "compiler/Profile.h"

#include "compiler/BatchLowering.h"
#include "compiler/CodeDump.h"
#include "compiler/EntryWrappers.h"
#include "compiler/Lowering.h"
#include "compiler/StageDump.h"
#include "compiler/jit/Jit.h"
#include "ir/Error.h"
#include "ir/SymbolicDim.h"
#include "runtime/Runtime.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

namespace adjoint {

namespace {
/// The name of the JIT module's bind function.
constexpr const char *kBindName = "adjoint_bind";
} // namespace

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
  std::vector<TensorInfo> inputs, outputs;
  std::vector<std::string> nodeNames; ///< describe() of each node
  /// Per node, the type of the tensor its indices index (gather's data,
  /// scatter_add's result), for messages.
  std::vector<TensorType> nodeIndexedTypes;
  std::vector<OpKind> nodeOps;
  /// The parameters, whose addresses the bind function holds.
  std::vector<Tensor> params;
  /// The bind function (compiler/EntryWrappers.h), which an object file
  /// exports as NAME_run or NAME_run_batch: it fills the slots from the
  /// arguments and calls the entry. The pointer arrays it takes, filled per
  /// run.
  BindFunction bind = nullptr;
  std::vector<const void *> inputPtrs;
  std::vector<void *> outputPtrs;
  /// Where each slot of a node result lives, and the arena's size, as
  /// functions of the batch (constants for a static graph).
  ArenaLayout arenaLayout;
  std::shared_ptr<std::byte> arena;
  int64_t arenaBytes = 0; ///< the arena's size at the last batch run
  size_t arenaCapacity = 0;
  /// For a graph compiled for every batch: its batch symbol, and the batch
  /// the arena was last laid out for.
  std::optional<SymbolId> batchSymbol;
  int64_t batch = 0;
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

  /// Makes the arena large enough for `batch`.
  void reserveArena(int64_t batch, const std::string &graphName) {
    int64_t bytes = arenaLayout.bytes.at(batch);
    if (!arena || (size_t)bytes > arenaCapacity) {
      size_t size = std::max(kArenaAlign, alignToArena((size_t)bytes));
      void *p = std::aligned_alloc(kArenaAlign, size);
      if (!p)
        failed("out of memory allocating ", bytes, " bytes for ", graphName,
               batchSymbol ? strCat(" at batch ", batch) : std::string());
      arena = std::shared_ptr<std::byte>(static_cast<std::byte *>(p),
                                         [](std::byte *q) { std::free(q); });
      arenaCapacity = size;
    }
    arenaBytes = bytes;
    this->batch = batch;
  }

  /// The batch that `inputs` give a graph compiled for every batch (each
  /// input's dimensions must agree with its declared type), or 0.
  int64_t batchOf(std::span<const Tensor> inputs) const;
};

int64_t Executable::Impl::batchOf(std::span<const Tensor> given) const {
  if (!batchSymbol)
    return 0;
  int64_t n = 0;
  size_t from = 0; // the input that gave n
  for (size_t i = 0; i < given.size(); ++i) {
    const TensorType &want = inputs[i].type, &got = given[i].type();
    if (want.dtype != got.dtype || want.shape.size() != got.shape.size())
      badInput("input %", inputs[i].name, " expects ", typeStr(want), ", got ",
               typeStr(got));
    for (size_t d = 0; d < want.shape.size(); ++d) {
      int64_t w = want.shape[d], extent = got.shape[d];
      if (!isSymbolic(w)) {
        if (w != extent)
          badInput("input %", inputs[i].name, " expects ", typeStr(want),
                   ", got ", typeStr(got));
        continue;
      }
      int64_t coefficient = dimCoefficient(w);
      if (extent < coefficient || extent % coefficient != 0)
        badInput("input %", inputs[i].name, " expects ", typeStr(want),
                 ", got ", typeStr(got), ": dimension ", d, " is not ",
                 dimStr(w), " for a batch ", symbolName(*batchSymbol),
                 " of 1 or more");
      int64_t value = extent / coefficient;
      if (n != 0 && value != n)
        badInput("input %", inputs[i].name, " (", typeStr(got), ") gives ",
                 symbolName(*batchSymbol), " = ", value, ", but %",
                 inputs[from].name, " (", typeStr(given[from].type()),
                 ") gives ", n);
      n = value;
      from = i;
    }
  }
  if (n == 0)
    badInput("no input gives the batch ", symbolName(*batchSymbol));
  return n;
}

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
  codegen::EmittedModule &emitted = lowered.emitted;

  auto impl = std::make_unique<Executable::Impl>();
  // Parameters are shared with the graph (never written); the bind function
  // takes their addresses as constants, as an object file takes its data's.
  llvm::Module &module = *emitted.module;
  std::map<std::string, llvm::Constant *> storage;
  for (const Param &p : g.params()) {
    impl->params.push_back(p.data);
    storage[p.value->name()] = llvm::ConstantExpr::getIntToPtr(
        llvm::ConstantInt::get(
            llvm::Type::getInt64Ty(module.getContext()),
            (uint64_t)(uintptr_t)impl->params.back().bytes()),
        llvm::PointerType::getUnqual(module.getContext()));
  }
  EntryBinding binding;
  binding.lowered = &lowered;
  binding.entry = module.getFunction(codegen::kEntryName);
  for (size_t i = 0; i < g.outputs().size(); ++i)
    binding.outputs.push_back(i);
  binding.storage = &storage;
  binding.staticArena = llvm::ConstantPointerNull::get(
      llvm::PointerType::getUnqual(module.getContext()));
  if (lowered.batch)
    for (const Output &o : input.outputs())
      binding.outputBytes.push_back(bytesOf(o.value->type()));
  emitBindFunction(module, binding, kBindName,
                   llvm::GlobalValue::ExternalLinkage);
  impl->code = jit::JitModule::compile(std::move(emitted.ctx),
                                       std::move(emitted.module));
  impl->bind = reinterpret_cast<BindFunction>(impl->code->lookup(kBindName));
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

  // A graph compiled for every batch declares its inputs and outputs with
  // the batch symbol; the lowered graph is at a sample batch.
  for (const Value *v : input.inputs())
    impl->inputs.push_back({v->name(), v->type()});
  for (const auto &node : g.nodes()) {
    impl->nodeNames.push_back(node->describe());
    impl->nodeOps.push_back(node->op());
    impl->nodeIndexedTypes.push_back(
        node->op() == OpKind::ScatterAdd || node->op() == OpKind::OneHot
            ? node->result()->type()
        : node->operands().empty() ? TensorType{}
                                   : node->operand(0)->type());
  }
  impl->arenaLayout = lowered.arena;
  impl->batchSymbol = lowered.batch;
  if (!impl->batchSymbol)
    impl->reserveArena(0, g.name());
  for (const Output &o : input.outputs())
    impl->outputs.push_back({o.name, o.value->type()});
  impl->inputPtrs.resize(impl->inputs.size());
  impl->outputPtrs.resize(impl->outputs.size());
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
  int64_t batch = m.batchOf(inputs);
  for (size_t i = 0; i < inputs.size(); ++i)
    if ((!m.batchSymbol && inputs[i].type() != m.inputs[i].type) ||
        !inputs[i].hasStorage())
      badInput("input %", m.inputs[i].name, " expects ",
               typeStr(m.inputs[i].type), ", got ", typeStr(inputs[i].type()));
  // Compared dimension by dimension: a run allocates nothing.
  auto boundDim = [&](int64_t d) {
    return isSymbolic(d) ? dimCoefficient(d) * batch : d;
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorType &declared = m.outputs[i].type, &got = outputs[i].type();
    bool ok = outputs[i].hasStorage() && got.dtype == declared.dtype &&
              got.rank() == declared.rank();
    for (size_t d = 0; ok && d < got.rank(); ++d)
      ok = got.shape[d] == boundDim(declared.shape[d]);
    if (!ok) {
      TensorType want = declared;
      for (int64_t &d : want.shape)
        d = boundDim(d);
      badInput("output '", m.outputs[i].name, "' needs a tensor of type ",
               typeStr(want), ", got ", typeStr(got));
    }
  }

  std::lock_guard<std::mutex> lock(m.mutex);
  if (adjoint_rt_num_threads() != m.threads && m.threads > 0)
    adjoint_rt_set_num_threads(m.threads);
  if (m.batchSymbol && (batch != m.batch || !m.arena))
    m.reserveArena(batch, "the model");
  for (size_t i = 0; i < inputs.size(); ++i)
    m.inputPtrs[i] = inputs[i].bytes();
  for (size_t i = 0; i < outputs.size(); ++i)
    m.outputPtrs[i] = outputs[i].bytes();
  m.status[0] = m.status[1] = 0;

  // The bind function fills the slots, runs the kernels and copies the
  // outputs the kernels do not write in place.
  if (m.profile) {
    profile::Recorder recorder(m.groupSeconds);
    m.bind(batch, m.inputPtrs.data(), m.outputPtrs.data(), m.arena.get(),
           m.status);
    ++m.runs;
  } else {
    m.bind(batch, m.inputPtrs.data(), m.outputPtrs.data(), m.arena.get(),
           m.status);
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
  SymbolValues bound;
  if (impl_->batchSymbol)
    bound[*impl_->batchSymbol] = impl_->batchOf(in);
  std::vector<Tensor> out;
  for (const TensorInfo &info : impl_->outputs)
    out.emplace_back(
        TensorType{info.type.dtype, bindShape(info.type.shape, bound)});
  run(in, out);
  std::map<std::string, Tensor> result;
  for (size_t i = 0; i < out.size(); ++i)
    result.emplace(impl_->outputs[i].name, std::move(out[i]));
  return result;
}

} // namespace adjoint
