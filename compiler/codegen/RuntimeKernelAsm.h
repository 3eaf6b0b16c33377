//===- RuntimeKernelAsm.h - The runtime's micro-kernel, disassembled ------===//
//
// Matmuls and convolutions run in the runtime's GEMM (runtime/Gemm.cpp),
// not in the generated module, so the module's assembly shows only calls to
// it. A dump of the assembly appends the machine code of the micro-kernel
// those calls use on this CPU, disassembled from the running process, to
// show the FMAs on the host's widest registers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace adjoint::codegen {

/// When `m` calls the runtime's GEMM or convolutions: a commented header
/// naming the kernel set in use and the f32 micro-kernel's register block,
/// then that micro-kernel's instructions (up to its first return after its
/// inner loop). Empty otherwise.
std::string runtimeKernelAssembly(const llvm::Module &m);

} // namespace adjoint::codegen
