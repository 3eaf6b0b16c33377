//===- RuntimeKernelAsm.cpp - The runtime's micro-kernel, disassembled ----===//
#include "compiler/codegen/RuntimeKernelAsm.h"

#include "compiler/codegen/Optimizer.h"
#include "runtime/GemmKernels.h"

#include <llvm/IR/Module.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <sstream>

namespace adjoint::codegen {

namespace {

/// Whether `m` calls a runtime function whose name starts with `prefix`.
bool calls(const llvm::Module &m, llvm::StringRef prefix) {
  for (const llvm::Function &f : m)
    if (f.isDeclaration() && f.getName().starts_with(prefix) && !f.use_empty())
      return true;
  return false;
}

/// Disassembles the code at `code` for the host, one instruction a line,
/// until the first return after an FMA (the end of the full-block path) or
/// `limit` bytes.
std::string disassemble(const uint8_t *code, size_t limit) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllDisassemblers();
  });
  HostTarget host = hostTarget();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(host.triple, error);
  if (!target)
    return "# (no disassembler for " + host.triple + ": " + error + ")\n";
  llvm::Triple triple(host.triple);
  std::unique_ptr<llvm::MCRegisterInfo> mri(
      target->createMCRegInfo(host.triple));
  std::unique_ptr<llvm::MCAsmInfo> mai(
      target->createMCAsmInfo(*mri, host.triple, llvm::MCTargetOptions()));
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(host.triple, host.cpu, host.features));
  std::unique_ptr<llvm::MCInstrInfo> mii(target->createMCInstrInfo());
  if (!mri || !mai || !sti || !mii)
    return "# (no disassembler for " + host.triple + ")\n";
  llvm::MCContext ctx(triple, mai.get(), mri.get(), sti.get());
  std::unique_ptr<llvm::MCDisassembler> dis(
      target->createMCDisassembler(*sti, ctx));
  std::unique_ptr<llvm::MCInstPrinter> printer(target->createMCInstPrinter(
      triple, mai->getAssemblerDialect(), *mai, *mii, *mri));
  if (!dis || !printer)
    return "# (no disassembler for " + host.triple + ")\n";

  std::string text;
  llvm::raw_string_ostream os(text);
  bool sawFma = false;
  for (size_t offset = 0; offset < limit;) {
    llvm::MCInst inst;
    uint64_t size = 0;
    llvm::ArrayRef<uint8_t> bytes(code + offset, limit - offset);
    if (dis->getInstruction(inst, size, bytes, offset, llvm::nulls()) !=
            llvm::MCDisassembler::Success ||
        size == 0)
      break;
    std::string line;
    llvm::raw_string_ostream ls(line);
    printer->printInst(&inst, offset, "", *sti, ls);
    os << line << "\n";
    sawFma |= line.find("vfmadd") != std::string::npos;
    if (sawFma && mii->get(inst.getOpcode()).isReturn())
      break;
    offset += size;
  }
  return text;
}

} // namespace

std::string runtimeKernelAssembly(const llvm::Module &m) {
  if (!calls(m, "adjoint_rt_gemm") && !calls(m, "adjoint_rt_conv2d"))
    return "";
  const rt::KernelSet<float> &ks = rt::kernels<float>();
  int vectors = ks.nr / ks.lanes;
  auto code = reinterpret_cast<const uint8_t *>(ks.micro[ks.mr][vectors]);
  std::ostringstream os;
  os << "\n# The runtime's f32 micro-kernel that this code's matmuls and "
        "convolutions run\n# on this CPU: kernel set '"
     << ks.name << "', a register block of " << ks.mr << " rows x " << ks.nr
     << " columns\n# (" << ks.mr * vectors << " accumulators of " << ks.lanes
     << " lanes), panels " << ks.kc << " deep (runtime/GemmKernels.h).\n";
  os << "adjoint::rt::microKernel<" << ks.name << ", " << ks.mr << ", "
     << vectors << ">:\n";
  std::istringstream lines(disassemble(code, 1 << 14));
  for (std::string line; std::getline(lines, line);)
    os << "\t" << (line.empty() || line[0] != '\t' ? line : line.substr(1))
       << "\n";
  return os.str();
}

} // namespace adjoint::codegen
