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

/// Links the inline math library (adjoint_math_*) into `m`, keeping only
/// what `m` uses, with internal linkage so that it inlines.
void linkMathLibrary(llvm::Module &m);

/// Runs LLVM's O3 pipeline for `tm` on `m`.
void optimizeModule(llvm::Module &m, llvm::TargetMachine &tm);

/// The assembly `tm` generates for `m`.
std::string emitAssembly(const llvm::Module &m, llvm::TargetMachine &tm);

/// The textual LLVM IR of `m`.
std::string printModule(const llvm::Module &m);

/// The textual LLVM IR of each function `m` defines, by name, in module
/// order (declarations and the math library's helpers left out).
std::vector<std::pair<std::string, std::string>>
printFunctions(const llvm::Module &m);

} // namespace adjoint::codegen
