//===- Optimizer.h - Target machine, optimization and assembly ------------===//
//
// The only place that includes LLVM's PassBuilder and target headers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace adjoint::codegen {

/// The host's target triple, CPU name and features (from llvm::sys).
struct HostTarget {
  std::string triple, cpu, features;
};
HostTarget hostTarget();

/// A TargetMachine for the host at -O3, FMA contraction allowed.
std::unique_ptr<llvm::TargetMachine> createHostTargetMachine();

/// A TargetMachine for `triple` (an LLVM target triple such as
/// aarch64-linux-gnu), `cpu` (an LLVM CPU name of that target, "generic"
/// for the baseline) and `features` ("+avx2,-avx512f"; empty: the CPU's)
/// at -O3 with FMA contraction allowed, generating position-independent
/// code. Throws BadInput for a triple no LLVM target handles (the message
/// lists those this build has) and for a CPU the target does not know.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &triple, const std::string &cpu,
                    const std::string &features);

/// The relocatable object file (ELF for Linux triples) `tm` generates for
/// `m`. Code generation rewrites `m`.
std::string emitObject(llvm::Module &m, llvm::TargetMachine &tm);

/// Links the inline math library (adjoint_math_*) into `m`, keeping only
/// what `m` uses, with internal linkage so that it inlines.
void linkMathLibrary(llvm::Module &m);

/// Runs LLVM's O3 pipeline for `tm` on `m`.
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm);

/// Whether `tm` generates code for this machine (its triple and CPU).
bool isHostTarget(const llvm::TargetMachine &tm);

/// The assembly `tm` generates for `m`.
std::string emitAssembly(const llvm::Module &m, llvm::TargetMachine &tm);

/// The textual LLVM IR of `m`.
std::string printModule(const llvm::Module &m);

/// The textual LLVM IR of each function `m` defines, by name, in module
/// order (declarations and the math library's helpers left out).
std::vector<std::pair<std::string, std::string>>
printFunctions(const llvm::Module &m);

} // namespace adjoint::codegen
