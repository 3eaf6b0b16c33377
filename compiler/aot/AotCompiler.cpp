//===- AotCompiler.cpp - Models to object files with C entry points -------===//
#include "compiler/aot/AotCompiler.h"

#include "compiler/BatchLowering.h"
#include "compiler/EntryWrappers.h"
#include "compiler/Lowering.h"
#include "compiler/codegen/Optimizer.h"
#include "compiler/training/Trainer.h"
#include "ir/Error.h"
#include "ir/Specialize.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/Constants.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ArchiveWriter.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Triple.h>

#include <cctype>
#include <filesystem>
#include <set>

namespace adjoint::aot {

namespace {

/// The triple, CPU and features `options` ask for.
codegen::HostTarget resolveTarget(const AotOptions &options) {
  codegen::HostTarget host = codegen::hostTarget();
  codegen::HostTarget t;
  t.triple = options.triple.empty() ? host.triple
                                    : llvm::Triple::normalize(options.triple);
  llvm::Triple want(t.triple), have(host.triple);
  bool foreign =
      want.getArch() != have.getArch() || want.getOS() != have.getOS();
  t.cpu = !options.cpu.empty() ? options.cpu : foreign ? "generic" : "native";
  if (t.cpu == "native") {
    if (foreign) {
      codegen::createTargetMachine(t.triple, "generic", ""); // a known target?
      badInput("--cpu native means this machine's CPU (", host.cpu, ", ",
               host.triple, "), not one for target ", t.triple,
               "; name a CPU of that target or 'generic'");
    }
    t.cpu = host.cpu;
    t.features = host.features;
  }
  return t;
}

/// Makes every function and global `m` defines internal and prefixes its
/// name with `prefix`, except the entry, which becomes `entryName` and stays
/// external until the modules are linked (the linker drops unreferenced
/// internal functions).
void internalize(llvm::Module &m, const std::string &prefix,
                 const std::string &entryName) {
  for (llvm::Function &f : m.functions()) {
    if (f.isDeclaration())
      continue;
    bool entry = f.getName() == codegen::kEntryName;
    if (!entry)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.setName(entry ? entryName : prefix + f.getName().str());
  }
  for (llvm::GlobalVariable &gv : m.globals())
    if (!gv.isDeclaration()) {
      if (!gv.hasLocalLinkage())
        gv.setLinkage(llvm::GlobalValue::InternalLinkage);
      gv.setName(prefix + gv.getName().str());
    }
}

/// Moves `from` (another context) into `into` through bitcode.
void linkInto(llvm::Module &into, const llvm::Module &from) {
  llvm::SmallString<0> bitcode;
  llvm::raw_svector_ostream os(bitcode);
  llvm::WriteBitcodeToFile(from, os);
  auto parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode.str(), "step"), into.getContext());
  if (!parsed)
    failed("cannot reload the training step's code: ",
           llvm::toString(parsed.takeError()));
  if (llvm::Linker::linkModules(into, std::move(*parsed)))
    failed("cannot link the training step's code with the model's");
}

/// A private or internal global holding `bytes`, 64-byte aligned; all-zero
/// data goes to .bss.
llvm::GlobalVariable *dataGlobal(llvm::Module &m, const std::string &name,
                                 const std::byte *bytes, int64_t size,
                                 bool constant) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *i8 = llvm::Type::getInt8Ty(ctx);
  bool zero = true;
  for (int64_t i = 0; bytes && i < size && zero; ++i)
    zero = bytes[i] == std::byte{0};
  auto *ty = llvm::ArrayType::get(i8, (uint64_t)std::max<int64_t>(size, 1));
  llvm::Constant *init =
      zero || size == 0
          ? (llvm::Constant *)llvm::ConstantAggregateZero::get(ty)
          : llvm::ConstantDataArray::getRaw(
                llvm::StringRef(reinterpret_cast<const char *>(bytes),
                                (size_t)size),
                (uint64_t)size, i8);
  auto *gv = new llvm::GlobalVariable(
      m, ty, constant, llvm::GlobalValue::InternalLinkage, init, name);
  gv->setAlignment(llvm::Align(64));
  return gv;
}

std::vector<AotTensor> tensorsOf(const Graph &g, bool inputs,
                                 const std::set<std::string> &skip) {
  std::vector<AotTensor> out;
  if (inputs) {
    for (const Value *v : g.inputs())
      if (!skip.count(v->name()))
        out.push_back({v->name(), v->type()});
  } else {
    for (const Output &o : g.outputs())
      if (!skip.count(o.name))
        out.push_back({o.name, o.value->type()});
  }
  return out;
}

} // namespace

void checkModelName(const std::string &name) {
  bool ok = !name.empty() && !std::isdigit((unsigned char)name[0]);
  for (char c : name)
    ok = ok && (std::isalnum((unsigned char)c) || c == '_');
  if (!ok)
    badInput("--name '", name,
             "' is not a C identifier (letters, digits and '_', not starting "
             "with a digit)");
}

std::string defaultModelName(const std::string &modelPath) {
  std::string stem = std::filesystem::path(modelPath).stem().string();
  for (char &c : stem)
    if (!std::isalnum((unsigned char)c))
      c = '_';
  if (stem.empty() || std::isdigit((unsigned char)stem[0]))
    stem = "_" + stem;
  return stem;
}

void checkTarget(const AotOptions &options) {
  codegen::HostTarget target = resolveTarget(options);
  codegen::createTargetMachine(target.triple, target.cpu, target.features);
}

AotResult compileModel(const Model &model, const AotOptions &options) {
  checkModelName(options.name);
  codegen::HostTarget target = resolveTarget(options);
  std::unique_ptr<llvm::TargetMachine> tm =
      codegen::createTargetMachine(target.triple, target.cpu, target.features);
  const std::string &name = options.name;

  AotResult result;
  AotInterface &api = result.interface;
  api.name = name;
  api.triple = target.triple;
  api.cpu = target.cpu;
  api.threads = options.threads;
  api.externalWeights = options.externalWeights;
  api.writableParams = options.train || options.externalWeights;

  // The step graph and the trained tensors' initial values come from a
  // Trainer, so that the step is the one `adjoint train` runs.
  std::unique_ptr<Trainer> trainer;
  std::set<std::string> stepState; // step inputs held in the library
  CompileOptions runOptions, stepOptions;
  // The library's parameters can be set at run time (NAME_set_param): none
  // is fixed when it is compiled. Read-only ones (inference without a
  // weights file) are packed once, on the first run, for the products that
  // read them; the step updates its parameters.
  runOptions.fixedParameters = stepOptions.fixedParameters = false;
  runOptions.packWeights = !api.writableParams;
  stepOptions.packWeights = false;
  if (options.train) {
    TrainerOptions topts;
    topts.threads = 1;
    topts.compile = false; // the step graph is lowered below
    trainer = std::make_unique<Trainer>(model, topts);
    // The tensors the step overwrites (trained and state parameters,
    // optimizer state) live in the library.
    for (const auto &[output, input] : trainer->contract().inPlace)
      stepState.insert(input);
    stepOptions.inPlace = trainer->contract().inPlace;
  }

  // A symbolic batch: NAME_run_batch serves every batch. A training step
  // needs a bound one.
  if (options.train)
    requireStatic(model.graph, "ahead-of-time compilation of a training step");
  Lowered run = lowerGraph(model.graph, runOptions, nullptr, tm.get());
  std::optional<Lowered> step;
  if (trainer)
    step = lowerGraph(trainer->stepGraph(), stepOptions, nullptr, tm.get());

  llvm::Module &m = *run.emitted.module;
  internalize(m, name + ".run.", name + ".run.entry");
  if (step) {
    internalize(*step->emitted.module, name + ".step.", name + ".step.entry");
    linkInto(m, *step->emitted.module);
  }

  // Parameters (and optimizer state): constant data, writable globals, or
  // a buffer the weights file fills.
  std::map<std::string, llvm::Constant *> storage;
  std::vector<ParamStorage> accessors;
  llvm::GlobalVariable *weights = nullptr;
  int64_t weightsBytes = 0;
  for (const Param &p : model.graph.params())
    weightsBytes += (int64_t)alignToArena(p.value->type().byteSize());
  if (options.externalWeights)
    weights = dataGlobal(m, name + ".weights", nullptr, weightsBytes, false);
  int64_t offset = 0;
  for (const Param &p : model.graph.params()) {
    const std::string &pname = p.value->name();
    const Tensor &value = trainer ? trainer->parameter(pname) : p.data;
    int64_t bytes = value.byteSize();
    AotParam info{pname, p.value->type(), offset, stepState.count(pname) > 0};
    llvm::Constant *where;
    if (weights) {
      where = llvm::ConstantExpr::getInBoundsGetElementPtr(
          weights->getValueType(), weights,
          llvm::ArrayRef<llvm::Constant *>{
              llvm::ConstantInt::get(llvm::Type::getInt64Ty(m.getContext()), 0),
              llvm::ConstantInt::get(llvm::Type::getInt64Ty(m.getContext()),
                                     offset)});
      result.weights.append(reinterpret_cast<const char *>(value.bytes()),
                            (size_t)bytes);
      result.weights.resize(alignToArena(result.weights.size()), '\0');
    } else {
      where = dataGlobal(m, name + ".param." + pname, value.bytes(), bytes,
                         !api.writableParams);
    }
    offset += (int64_t)alignToArena(bytes);
    storage[pname] = where;
    accessors.push_back({pname, where, bytes});
    api.params.push_back(info);
    api.paramBytes += bytes;
  }
  api.weightsBytes = options.externalWeights ? weightsBytes : 0;
  if (trainer)
    for (const std::string &s : stepState)
      if (!storage.count(s)) {
        const Tensor &value = trainer->optimizerState(s);
        storage[s] = dataGlobal(m, name + ".state." + s, value.bytes(),
                                value.byteSize(), false);
        api.stateBytes += value.byteSize();
      }

  // The entry points.
  auto arenaOf = [](const Lowered &l) { return l.arena.bytes.base; };
  // The declared types: a model compiled for every batch keeps its symbol.
  api.run.inputs = tensorsOf(model.graph, true, {});
  api.run.outputs = tensorsOf(model.graph, false, {});
  api.run.arenaBytes = (int64_t)alignToArena(arenaOf(run));
  api.run.arenaBytesPerExample = run.arena.bytes.perBatch;
  if (run.batch) {
    api.batchSymbol = symbolName(*run.batch);
    api.staticArenaBytes = 0; // NULL asks for a heap arena
  } else {
    api.staticArenaBytes = api.run.arenaBytes;
  }
  std::set<std::string> updates;
  if (step) {
    for (const auto &[output, input] : trainer->contract().inPlace)
      updates.insert(output);
    AotEntryPoint e;
    e.inputs = tensorsOf(step->pipeline.graph, true, stepState);
    e.outputs = tensorsOf(step->pipeline.graph, false, updates);
    e.arenaBytes = (int64_t)alignToArena(arenaOf(*step));
    api.staticArenaBytes = std::max(api.staticArenaBytes, e.arenaBytes);
    api.step = e;
  }
  llvm::GlobalVariable *arena =
      dataGlobal(m, name + ".arena", nullptr, api.staticArenaBytes, false);
  auto *threadsSet = new llvm::GlobalVariable(
      m, llvm::Type::getInt8Ty(m.getContext()), false,
      llvm::GlobalValue::InternalLinkage,
      llvm::ConstantInt::get(llvm::Type::getInt8Ty(m.getContext()), 0),
      name + ".threads_set");
  auto bind = [&](const Lowered &l, const std::string &symbol,
                  const std::string &entry, const std::set<std::string> &skip) {
    EntryBinding e;
    e.symbol = symbol;
    e.lowered = &l;
    if (l.batch) {
      for (const Output &o : model.graph.outputs())
        e.outputBytes.push_back(bytesOf(o.value->type()));
      e.arenaBytesSymbol = name + "_arena_bytes";
    }
    e.entry = m.getFunction(entry);
    for (size_t i = 0; i < l.pipeline.graph.outputs().size(); ++i)
      if (!skip.count(l.pipeline.graph.outputs()[i].name))
        e.outputs.push_back(i);
    e.storage = &storage;
    e.staticArena = arena;
    e.threads = options.threads;
    e.threadsSet = threadsSet;
    emitEntryWrapper(m, e);
  };
  bind(run, name + (run.batch ? "_run_batch" : "_run"), name + ".run.entry",
       {});
  if (step)
    bind(*step, name + "_step", name + ".step.entry", updates);
  emitParamAccessors(m, name, accessors, api.writableParams);
  if (weights)
    emitLoadWeights(m, name, weights, weightsBytes);

  for (const char *entry : {".run.entry", ".step.entry"})
    if (llvm::Function *f = m.getFunction(name + entry))
      f->setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::Function &f : m.functions())
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm->getTargetCPU());
      f.addFnAttr("target-features", tm->getTargetFeatureString());
    }
  result.object = codegen::emitObject(m, *tm);
  return result;
}

std::string archiveOf(const std::string &object,
                      const std::string &memberName) {
  std::vector<llvm::NewArchiveMember> members(1);
  members[0].Buf = llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(object),
                                                    memberName, false);
  members[0].MemberName = memberName;
  auto bytes = llvm::writeArchiveToBuffer(
      members, llvm::SymtabWritingMode::NormalSymtab,
      llvm::object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false);
  if (!bytes)
    failed("cannot write the archive: ", llvm::toString(bytes.takeError()));
  return std::string((*bytes)->getBuffer());
}

} // namespace adjoint::aot
