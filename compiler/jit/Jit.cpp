//===- Jit.cpp - In-process compilation with ORC LLJIT --------------------===//
#include "compiler/jit/Jit.h"

#include "compiler/Profile.h"

#include "compiler/codegen/Optimizer.h"
#include "ir/Error.h"
#include "runtime/Runtime.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/Module.h>
#include <llvm/TargetParser/Triple.h>

namespace adjoint::jit {

struct JitModule::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

JitModule::JitModule(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitModule::~JitModule() = default;

namespace {

/// Turns an llvm::Error into an Adjoint error.
void check(llvm::Error err, const char *what) {
  if (err)
    failed(what, ": ", llvm::toString(std::move(err)));
}

/// The runtime functions generated code calls, by address: the runtime is
/// linked statically into this program, so its symbols need not be exported.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::LLJIT &jit) {
  llvm::orc::SymbolMap map;
  auto add = [&](const char *name, auto *fn) {
    map[jit.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                      llvm::JITSymbolFlags::Exported};
  };
  add("adjoint_rt_parallel_for", &adjoint_rt_parallel_for);
  add("adjoint_profile_mark", &adjoint_profile_mark);
  add("adjoint_rt_gemm_f32", &adjoint_rt_gemm_f32);
  add("adjoint_rt_gemm_f64", &adjoint_rt_gemm_f64);
  add("adjoint_rt_gemm_ex_f32", &adjoint_rt_gemm_ex_f32);
  add("adjoint_rt_gemm_ex_f64", &adjoint_rt_gemm_ex_f64);
  add("adjoint_rt_gemm_fixed_b_f32", &adjoint_rt_gemm_fixed_b_f32);
  add("adjoint_rt_gemm_fixed_b_f64", &adjoint_rt_gemm_fixed_b_f64);
  add("adjoint_rt_gemm_tiles_f32", &adjoint_rt_gemm_tiles_f32);
  add("adjoint_rt_gemm_tiles_f64", &adjoint_rt_gemm_tiles_f64);
  add("adjoint_rt_conv2d_ex_f32", &adjoint_rt_conv2d_ex_f32);
  add("adjoint_rt_conv2d_ex_f64", &adjoint_rt_conv2d_ex_f64);
  add("adjoint_rt_conv2d_f32", &adjoint_rt_conv2d_f32);
  add("adjoint_rt_conv2d_f64", &adjoint_rt_conv2d_f64);
  add("adjoint_rt_conv2d_input_grad_f32", &adjoint_rt_conv2d_input_grad_f32);
  add("adjoint_rt_conv2d_input_grad_f64", &adjoint_rt_conv2d_input_grad_f64);
  add("adjoint_rt_conv2d_weight_grad_f32", &adjoint_rt_conv2d_weight_grad_f32);
  add("adjoint_rt_conv2d_weight_grad_f64", &adjoint_rt_conv2d_weight_grad_f64);
  add("adjoint_rt_attention_f32", &adjoint_rt_attention_f32);
  add("adjoint_rt_attention_f64", &adjoint_rt_attention_f64);
  return map;
}

} // namespace

std::unique_ptr<JitModule>
JitModule::compile(std::unique_ptr<llvm::LLVMContext> ctx,
                   std::unique_ptr<llvm::Module> module) {
  codegen::HostTarget host = codegen::hostTarget();
  llvm::orc::JITTargetMachineBuilder jtmb((llvm::Triple(host.triple)));
  jtmb.setCPU(host.cpu);
  jtmb.addFeatures({host.features});
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  jtmb.getOptions().AllowFPOpFusion = llvm::FPOpFusion::Fast;

  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(jtmb).create();
  if (!jit)
    failed("cannot start the JIT: ", llvm::toString(jit.takeError()));
  auto impl = std::make_unique<Impl>();
  impl->jit = std::move(*jit);
  llvm::orc::JITDylib &jd = impl->jit->getMainJITDylib();
  check(jd.define(llvm::orc::absoluteSymbols(runtimeSymbols(*impl->jit))),
        "cannot define the runtime's symbols in the JIT");
  // libm and libc (pow, memcpy...) come from this process.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      impl->jit->getDataLayout().getGlobalPrefix());
  if (!process)
    failed("cannot search this process's symbols: ",
           llvm::toString(process.takeError()));
  jd.addGenerator(std::move(*process));

  module->setDataLayout(impl->jit->getDataLayout());
  check(impl->jit->addIRModule(
            llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx))),
        "cannot add the module to the JIT");
  return std::unique_ptr<JitModule>(new JitModule(std::move(impl)));
}

void *JitModule::lookup(const std::string &name) {
  auto addr = impl_->jit->lookup(name);
  if (!addr)
    failed("JIT lookup of ", name,
           " failed: ", llvm::toString(addr.takeError()));
  return addr->toPtr<void *>();
}

} // namespace adjoint::jit
