//===- Optimizer.cpp - Target machine, optimization and assembly ----------===//
#include "compiler/codegen/Optimizer.h"

#include "compiler/codegen/MathLibrary.h"
#include "ir/Error.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InstIterator.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <mutex>

namespace adjoint::codegen {

namespace {

/// Registers every target this LLVM has (ahead-of-time compilation may
/// generate code for another machine than the host).
void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

/// The names of the targets LLVM registered, comma separated.
std::string registeredTargets() {
  std::string names;
  for (const llvm::Target &t : llvm::TargetRegistry::targets())
    names += (names.empty() ? "" : ", ") + std::string(t.getName());
  return names;
}

} // namespace

HostTarget hostTarget() {
  HostTarget t;
  t.triple = llvm::sys::getProcessTriple();
  t.cpu = llvm::sys::getHostCPUName().str();
  std::string features;
  for (const auto &f : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (f.second ? "+" : "-") + f.first().str();
  }
  t.features = features;
  return t;
}

std::unique_ptr<llvm::TargetMachine> createHostTargetMachine() {
  HostTarget host = hostTarget();
  return createTargetMachine(host.triple, host.cpu, host.features);
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &triple, const std::string &cpu,
                    const std::string &features) {
  initializeTargets();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    badInput("unsupported target '", triple,
             "' (this LLVM generates code for: ", registeredTargets(), ")");
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!sti || (cpu != "generic" && !sti->isCPUStringValid(cpu)))
    badInput("unknown CPU '", cpu, "' for target ", triple);
  llvm::TargetOptions options;
  // FMA contraction is the only liberty taken with floating point.
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    failed("cannot create an LLVM target machine for ", triple, " (", cpu, ")");
  return tm;
}

void linkMathLibrary(llvm::Module &m) {
  llvm::StringRef bitcode(reinterpret_cast<const char *>(kMathLibraryBitcode),
                          kMathLibraryBitcodeSize);
  auto lib = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "adjoint-math"), m.getContext());
  if (!lib)
    failed("cannot read the built-in math library: ",
           llvm::toString(lib.takeError()));
  (*lib)->setDataLayout(m.getDataLayout());
  (*lib)->setTargetTriple(m.getTargetTriple());
  if (llvm::Linker::linkModules(m, std::move(*lib),
                                llvm::Linker::LinkOnlyNeeded))
    failed("cannot link the built-in math library");
  for (llvm::Function &f : m.functions())
    if (!f.isDeclaration() && f.getName().starts_with("adjoint_math_")) {
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
      // The library was compiled for a generic CPU: take the module's.
      f.removeFnAttr("target-cpu");
      f.removeFnAttr("target-features");
      f.removeFnAttr("tune-cpu");
      f.addFnAttr(llvm::Attribute::AlwaysInline);
    }
}

namespace {

/// Rewrites each NaN-propagating min/max reduction of a vector of 4 lanes or
/// more (llvm.vector.reduce.fmaximum and fminimum, which the vectorizer
/// makes of a Row group's reduce_max) as a tree of whole-vector
/// llvm.maximum/minimum over halves shuffled down, then lane 0. The x86
/// backend expands the reduction's last steps as scalars whose signed-zero
/// test goes through a general register and a mask register, a long chain
/// on every row of a softmax; vector steps do the same test in vector
/// registers. Same semantics: NaN propagates, -0 < +0.
void expandMinMaxReductions(llvm::Module &m) {
  std::vector<llvm::IntrinsicInst *> reductions;
  for (llvm::Function &f : m)
    for (llvm::Instruction &inst : llvm::instructions(f))
      if (auto *call = llvm::dyn_cast<llvm::IntrinsicInst>(&inst))
        if (call->getIntrinsicID() == llvm::Intrinsic::vector_reduce_fmaximum ||
            call->getIntrinsicID() == llvm::Intrinsic::vector_reduce_fminimum)
          reductions.push_back(call);
  for (llvm::IntrinsicInst *call : reductions) {
    llvm::Value *v = call->getArgOperand(0);
    auto *type = llvm::dyn_cast<llvm::FixedVectorType>(v->getType());
    unsigned lanes = type ? type->getNumElements() : 0;
    if (lanes < 4 || !llvm::isPowerOf2_32(lanes))
      continue;
    llvm::Intrinsic::ID step =
        call->getIntrinsicID() == llvm::Intrinsic::vector_reduce_fmaximum
            ? llvm::Intrinsic::maximum
            : llvm::Intrinsic::minimum;
    llvm::IRBuilder<> b(call);
    for (unsigned width = lanes / 2; width >= 1; width /= 2) {
      // Lane i < width meets lane i + width; the others keep themselves.
      llvm::SmallVector<int, 16> down;
      for (unsigned i = 0; i < lanes; ++i)
        down.push_back(int(i < width ? i + width : i));
      v = b.CreateBinaryIntrinsic(step, v, b.CreateShuffleVector(v, down));
    }
    call->replaceAllUsesWith(b.CreateExtractElement(v, uint64_t(0)));
    call->eraseFromParent();
  }
}

} // namespace

void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm) {
  for (llvm::Function &f : m.functions())
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm.getTargetCPU());
      f.addFnAttr("target-features", tm.getTargetFeatureString());
    }
  if (llvm::verifyModule(m, &llvm::errs()))
    failed("internal error: generated LLVM IR does not verify");

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  // No SLP vectorization: LLVM 19's SLP vectorizer miscompiles fully
  // unrolled broadcasting kernels (wrong shuffles with poison lanes, e.g.
  // f64[4,1,5] * f64[1,3,1]; llvm-project issue 117170). Kernels are loop
  // nests, which the loop vectorizer handles.
  tuning.SLPVectorization = false;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  // After vectorization: the loops that a short row's phases became run one
  // masked iteration each, passing values through a scratch row on the
  // stack as masked stores and loads, which the CPU's store forwarding does
  // not serve: each load waits for its store to leave the core. EarlyCSE
  // matches such a load to the store before it (same pointer and mask),
  // DSE and SROA then drop the scratch row.
  if (auto err = pb.parsePassPipeline(
          mpm, "function(early-cse<memssa>,dse,sroa,instcombine)"))
    failed("internal error: " + llvm::toString(std::move(err)));
  mpm.run(m, mam);
  expandMinMaxReductions(m);
}

bool isHostTarget(const llvm::TargetMachine &tm) {
  HostTarget host = hostTarget();
  return tm.getTargetTriple().str() == host.triple &&
         tm.getTargetCPU().str() == host.cpu;
}

std::string emitAssembly(const llvm::Module &m, llvm::TargetMachine &tm) {
  // Code generation rewrites the module it runs on: emit from a copy.
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(m);
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream os(text);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::AssemblyFile))
    failed("the LLVM target cannot emit assembly");
  pm.run(*copy);
  return std::string(text.str());
}

std::string emitObject(llvm::Module &m, llvm::TargetMachine &tm) {
  llvm::SmallString<0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile))
    failed("the LLVM target ", tm.getTargetTriple().str(),
           " cannot emit object files");
  pm.run(m);
  return std::string(bytes.str());
}

std::string printModule(const llvm::Module &m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  m.print(os, nullptr);
  return text;
}

std::vector<std::pair<std::string, std::string>>
printFunctions(const llvm::Module &m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const llvm::Function &f : m) {
    if (f.isDeclaration() || f.getName().starts_with("adjoint_math_"))
      continue;
    std::string text;
    llvm::raw_string_ostream os(text);
    f.print(os);
    out.emplace_back(f.getName().str(), std::move(text));
  }
  return out;
}

} // namespace adjoint::codegen
