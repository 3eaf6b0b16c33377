//===- Executable.cpp - Compile a graph to native code and run it ---------===//
#include "compiler/Executable.h"

#include "compiler/CodeDump.h"
#include "compiler/codegen/ModuleEmitter.h"
#include "compiler/codegen/Optimizer.h"
#include "compiler/jit/Jit.h"
#include "compiler/passes/Fusion.h"
#include "ir/Error.h"
#include "ir/Verifier.h"
#include "runtime/Runtime.h"

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

namespace adjoint {

namespace {

constexpr size_t kAlign = 64;

size_t alignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

/// Where the data of an output comes from after a run.
struct OutputSource {
  enum class Kind { Slot, Constant } kind = Kind::Slot;
  int slot = -1;       ///< for Slot: the value's slot
  Tensor constant;     ///< for Constant
  bool direct = false; ///< the kernel writes straight into the output
};

void writeFile(const std::filesystem::path &path, const std::string &text) {
  std::ofstream out(path);
  out << text;
  if (!out)
    failed("cannot write ", path.string());
}

/// Generates, links and optimizes the module of `g`; fills `text` if given.
codegen::EmittedModule lowerToLLVM(const Graph &g, const FusionPlan &plan,
                                   CodeDump *text,
                                   const codegen::InPlaceMap &inPlace = {}) {
  codegen::EmittedModule emitted = codegen::emitModule(g, plan, inPlace);
  std::unique_ptr<llvm::TargetMachine> tm = codegen::createHostTargetMachine();
  emitted.module->setDataLayout(tm->createDataLayout());
  emitted.module->setTargetTriple(tm->getTargetTriple().str());
  codegen::linkMathLibrary(*emitted.module);
  if (text)
    text->llvmBefore = codegen::printModule(*emitted.module);
  codegen::optimizeModule(*emitted.module, *tm);
  if (text) {
    text->llvmAfter = codegen::printModule(*emitted.module);
    text->assembly = codegen::emitAssembly(*emitted.module, *tm);
  }
  return emitted;
}

/// Resolves and checks CompileOptions::inPlace: node result -> input.
codegen::InPlaceMap
resolveInPlace(const Graph &g,
               const std::vector<std::pair<std::string, std::string>> &pairs) {
  codegen::InPlaceMap map;
  std::map<const Value *, size_t> position; // node index of each result
  for (size_t i = 0; i < g.nodes().size(); ++i)
    position[g.nodes()[i]->result()] = i;
  std::set<const Value *> donors;
  for (const auto &[outName, inName] : pairs) {
    std::string what =
        "in-place output '" + outName + "' over input %" + inName;
    const Value *out = nullptr;
    for (const Output &o : g.outputs())
      if (o.name == outName)
        out = o.value;
    const Value *in = g.findValue(inName);
    if (!out)
      badInput(what, ": no output is named '", outName, "'");
    if (!in || in->kind() != ValueKind::Input)
      badInput(what, ": the graph has no input %", inName);
    const Node *def = out->definingNode();
    if (!def || def->op() == OpKind::Constant)
      badInput(what, ": the output must be computed by a node");
    if (out->type() != in->type())
      badInput(what, ": types differ (", typeStr(out->type()), " and ",
               typeStr(in->type()), ")");
    if (!donors.insert(in).second || map.count(out))
      badInput(what, ": the input or the output is already in place");
    size_t at = position.at(out);
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      const Node &n = *g.nodes()[i];
      bool reads = std::find(n.operands().begin(), n.operands().end(), in) !=
                   n.operands().end();
      if (!reads)
        continue;
      if (i > at)
        badInput(what, ": ", n.describe(), " reads the input after ",
                 def->describe(), " overwrites it");
      if (i == at && !(opDef(n.op()).has(Elementwise) &&
                       std::all_of(n.operands().begin(), n.operands().end(),
                                   [&](const Value *v) {
                                     return v != in || v->type().shape ==
                                                           out->type().shape;
                                   })))
        badInput(what, ": ", def->describe(),
                 " reads the input other than element by element");
    }
    for (const Output &o : g.outputs())
      if (o.value == in)
        badInput(what, ": the input is also output '", o.name, "'");
    map[out] = in;
  }
  return map;
}

} // namespace

CodeDump dumpCode(const Graph &g) {
  verify(g);
  CodeDump text;
  lowerToLLVM(g, fuseGraph(g), &text);
  return text;
}

struct Executable::Impl {
  std::unique_ptr<jit::JitModule> code;
  void (*entry)(void **) = nullptr;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<std::string> nodeNames; ///< describe() of each node
  /// Per node, the type of the tensor its indices index (gather's data,
  /// scatter_add's result), for messages.
  std::vector<TensorType> nodeIndexedTypes;
  std::vector<Tensor> params; ///< in slot order after the inputs
  std::vector<void *> slots;
  std::vector<void *> arenaSlots; ///< default pointer of every slot
  std::vector<OutputSource> outputSources;
  std::shared_ptr<std::byte> arena;
  int64_t status[2] = {0, 0};
  int threads = 0;
  double compileSeconds = 0;
  int kernelCount = 0;
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
int Executable::kernelCount() const { return impl_->kernelCount; }

std::unique_ptr<Executable> compile(const Graph &g,
                                    const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  verify(g);
  std::string dumpDir = options.dumpDir;
  if (dumpDir.empty())
    if (const char *env = std::getenv("ADJOINT_DUMP_DIR"))
      dumpDir = env;

  codegen::InPlaceMap inPlace = resolveInPlace(g, options.inPlace);
  InPlacePairs pairs(inPlace.begin(), inPlace.end());
  FusionPlan plan = options.fuse ? fuseGraph(g, pairs) : unfusedPlan(g);
  CodeDump text;
  codegen::EmittedModule emitted =
      lowerToLLVM(g, plan, dumpDir.empty() ? nullptr : &text, inPlace);
  if (!dumpDir.empty()) {
    std::filesystem::path dump = dumpDir;
    std::error_code ec;
    std::filesystem::create_directories(dump, ec);
    if (ec)
      failed("cannot create the dump directory ", dumpDir, ": ", ec.message());
    writeFile(dump / (g.name() + ".llvm-before.ll"), text.llvmBefore);
    writeFile(dump / (g.name() + ".llvm-after.ll"), text.llvmAfter);
    writeFile(dump / (g.name() + ".s"), text.assembly);
  }

  auto impl = std::make_unique<Executable::Impl>();
  const codegen::SlotLayout &layout = emitted.layout;
  impl->code = jit::JitModule::compile(std::move(emitted.ctx),
                                       std::move(emitted.module));
  impl->entry = reinterpret_cast<void (*)(void **)>(
      impl->code->lookup(codegen::kEntryName));
  impl->threads = options.threads;
  impl->kernelCount = plan.kernelCount();

  // Buffers: parameters are shared with the graph (never written); every
  // node result gets its own place in one arena.
  impl->slots.assign(layout.numSlots, nullptr);
  for (const Value *v : g.inputs())
    impl->inputs.push_back({v->name(), v->type()});
  for (const Param &p : g.params()) {
    impl->params.push_back(p.data);
    impl->slots[layout.slotOf.at(p.value)] = impl->params.back().bytes();
  }
  size_t arenaBytes = 0;
  std::vector<std::pair<int, size_t>> offsets;
  for (const auto &node : g.nodes()) {
    impl->nodeNames.push_back(node->describe());
    impl->nodeIndexedTypes.push_back(
        node->op() == OpKind::ScatterAdd ? node->result()->type()
        : node->operands().empty()       ? TensorType{}
                                         : node->operand(0)->type());
    auto it = layout.slotOf.find(node->result());
    if (it == layout.slotOf.end() || inPlace.count(node->result()))
      continue; // a constant, or stored in an input's buffer
    offsets.push_back({it->second, arenaBytes});
    arenaBytes += alignUp(node->result()->type().byteSize());
  }
  void *arena =
      std::aligned_alloc(kAlign, std::max(kAlign, alignUp(arenaBytes)));
  if (!arena)
    failed("out of memory allocating ", arenaBytes, " bytes for ", g.name());
  impl->arena = std::shared_ptr<std::byte>(static_cast<std::byte *>(arena),
                                           [](std::byte *p) { std::free(p); });
  for (auto [slot, offset] : offsets)
    impl->slots[slot] = impl->arena.get() + offset;
  impl->slots[layout.statusSlot] = impl->status;
  impl->arenaSlots = impl->slots;

  std::map<const Value *, bool> directTaken;
  for (const Output &o : g.outputs()) {
    impl->outputs.push_back({o.name, o.value->type()});
    OutputSource src;
    if (Node *def = o.value->definingNode();
        def && def->op() == OpKind::Constant) {
      src.kind = OutputSource::Kind::Constant;
      src.constant = def->attr().getTensor("value");
    } else {
      src.slot = layout.slotOf.at(o.value);
      // The first output of a node result is written by its kernel directly
      // (in-place results live in their input's buffer instead).
      src.direct = def && !directTaken[o.value] && !inPlace.count(o.value);
      directTaken[o.value] = true;
    }
    impl->outputSources.push_back(std::move(src));
  }
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

  m.entry(m.slots.data());

  if (m.status[0] != 0) {
    size_t node = (size_t)m.status[0] - 1;
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
