//===- ModuleEmitter.cpp - A whole graph as one LLVM module ---------------===//
#include "compiler/codegen/ModuleEmitter.h"

#include "compiler/codegen/GroupEmitter.h"
#include "compiler/codegen/KernelEmitter.h"
#include "compiler/codegen/ScanEmitter.h"
#include "ir/Error.h"

#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/NoFolder.h>
#include <llvm/Support/raw_ostream.h>

namespace adjoint::codegen {

namespace {

/// Loops ask LLVM to vectorize them; where it cannot (a recurrence it does
/// not recognize), the loop stays scalar, which is correct, so LLVM's
/// warnings and remarks about it are dropped. Errors are still printed.
void reportLlvmErrors(const llvm::DiagnosticInfo *info, void *) {
  if (info->getSeverity() != llvm::DS_Error)
    return;
  llvm::errs() << "adjoint: LLVM error: ";
  llvm::DiagnosticPrinterRawOStream printer(llvm::errs());
  info->print(printer);
  llvm::errs() << "\n";
}

/// Kernels touching fewer elements than this run on the calling thread.
constexpr int64_t kParallelWork = 32768;
/// The least work a parallel chunk gets.
constexpr int64_t kGrainWork = 16384;

} // namespace

SlotLayout assignSlots(const Graph &g, const FusionPlan &plan,
                       const InPlaceMap &inPlace, bool batchSlot) {
  SlotLayout layout;
  int next = 0;
  for (const Value *v : g.inputs())
    layout.slotOf[v] = next++;
  for (const Param &p : g.params())
    layout.slotOf[p.value] = next++;
  auto give = [&](const Value *v) {
    if (layout.slotOf.count(v))
      return;
    auto donor = inPlace.find(v);
    layout.slotOf[v] =
        donor != inPlace.end() ? layout.slotOf.at(donor->second) : next++;
  };
  for (const FusionGroup &group : plan.groups) {
    bool fused = group.kind == GroupKind::Loop ||
                 group.kind == GroupKind::Reduction ||
                 group.kind == GroupKind::Epilogue;
    // A node compiled on its own writes its result even when nothing
    // reads it; a fused kernel writes its outputs only, and a transpose a
    // matmul absorbed is written by no kernel.
    if (fused)
      for (const Value *v : group.outputs)
        give(v);
    else
      for (const Node *n : group.nodes)
        if (n->op() != OpKind::Constant && !isAbsorbedOperand(group, *n))
          give(n->result());
  }
  // A scan's body works in its own part of the arena; its size is known
  // once the body is lowered (emitScanLoop).
  for (const FusionGroup &group : plan.groups)
    for (const Node *n : group.nodes)
      if (n->op() == OpKind::Scan)
        layout.scratch.push_back({next++, 0});
  layout.statusSlot = next++;
  if (batchSlot)
    layout.batchSlot = next++;
  layout.numSlots = next;
  return layout;
}

llvm::GlobalVariable *emitConstantData(EmitContext &ec, const Node &node,
                                       int idx) {
  const Tensor &value = node.attr().getTensor("value");
  llvm::StringRef bytes(reinterpret_cast<const char *>(value.bytes()),
                        value.byteSize());
  llvm::Constant *init = llvm::ConstantDataArray::getRaw(
      bytes, value.numElements(), ec.storageType(value.dtype()));
  if (value.numElements() == 0)
    init = llvm::ConstantAggregateZero::get(
        llvm::ArrayType::get(ec.storageType(value.dtype()), 0));
  auto *gv =
      new llvm::GlobalVariable(ec.module, init->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::PrivateLinkage, init,
                               ec.prefix + "c" + std::to_string(idx));
  gv->setAlignment(llvm::Align(64));
  return gv;
}

namespace {

/// Calls `call` over its rows, split between threads by `parallelFor`
/// unless it is serial or its work is small. `b` does not fold constants,
/// so that a sample of a graph compiled for every batch keeps the rows and
/// work per row as they are and the test on them as code.
void emitDynamicCall(llvm::IRBuilder<llvm::NoFolder> &b, EmitContext &ec,
                     const KernelCall &call, llvm::Value *slots,
                     llvm::FunctionCallee parallelFor) {
  llvm::Value *zero = b.getInt64(0);
  llvm::Value *rows = b.getInt64(call.rows);
  if (call.serial) {
    b.CreateCall(call.fn, {zero, rows, slots});
    return;
  }
  llvm::Value *work = b.getInt64(call.workPerRow);
  llvm::Function *entry = b.GetInsertBlock()->getParent();
  auto *here = llvm::BasicBlock::Create(ec.ctx, "serial", entry);
  auto *split = llvm::BasicBlock::Create(ec.ctx, "parallel", entry);
  auto *done = llvm::BasicBlock::Create(ec.ctx, "called", entry);
  llvm::Value *small = b.CreateOr(
      b.CreateICmpSLE(rows, b.getInt64(1)),
      b.CreateICmpSLT(b.CreateMul(rows, work), b.getInt64(kParallelWork)));
  b.CreateCondBr(small, here, split);
  b.SetInsertPoint(here);
  b.CreateCall(call.fn, {zero, rows, slots});
  b.CreateBr(done);
  b.SetInsertPoint(split);
  llvm::Value *grain =
      b.CreateUDiv(b.CreateAdd(work, b.getInt64(kGrainWork - 1)), work);
  grain = b.CreateSelect(b.CreateICmpULT(grain, b.getInt64(1)), b.getInt64(1),
                         grain);
  b.CreateCall(parallelFor, {rows, grain, call.fn, slots});
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

} // namespace

llvm::Type *EmitContext::storageType(DType t) {
  switch (t) {
  case DType::F32:
    return llvm::Type::getFloatTy(ctx);
  case DType::F64:
    return llvm::Type::getDoubleTy(ctx);
  case DType::I32:
    return i32();
  case DType::I64:
    return i64();
  case DType::Bool:
  case DType::U8:
    return i8();
  }
  __builtin_unreachable();
}

llvm::Type *EmitContext::valueType(DType t) {
  return t == DType::Bool ? i1() : storageType(t);
}

llvm::FunctionType *EmitContext::kernelType() {
  return llvm::FunctionType::get(voidTy(), {i64(), i64(), ptr()}, false);
}

EmittedModule emitModule(const Graph &g, const InPlaceMap &inPlace) {
  return emitModule(g, unfusedPlan(g), inPlace);
}

void emitPlanCalls(EmitContext &ec, const FusionPlan &plan,
                   llvm::IRBuilder<> &b, llvm::Value *slots,
                   const EntryContext &entry, bool profile) {
  const Graph &g = ec.graph;
  std::unordered_map<const Node *, int> nodeIndex;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node &node = *g.nodes()[i];
    // A body's errors name the scan that runs it.
    nodeIndex[&node] = entry.nodeIndex >= 0 ? entry.nodeIndex : (int)i;
    if (node.op() == OpKind::Constant)
      ec.constants[node.result()] = emitConstantData(ec, node, (int)i);
  }
  llvm::IRBuilder<llvm::NoFolder> dynamic(ec.ctx);
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  // A scan's step is short and runs many times in a row: its kernels split
  // smaller work between threads (the pool's threads are still spinning
  // from the step before).
  int64_t parallelWork =
      entry.nodeIndex >= 0 ? kParallelWork / 4 : kParallelWork;
  int scans = 0;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusionGroup &group = plan.groups[i];
    if (group.nodes.size() == 1 && group.nodes[0]->op() == OpKind::Scan) {
      const Node &scan = *group.nodes[0];
      if (profile)
        b.CreateCall(entry.mark, {b.getInt64((int64_t)i)});
      emitScanLoop(ec, scan, nodeIndex.at(&scan), scans++, b, slots, entry);
      continue;
    }
    std::vector<KernelCall> calls =
        emitGroupKernels(ec, group, (int)i, nodeIndex);
    if (profile && !calls.empty())
      b.CreateCall(entry.mark, {b.getInt64((int64_t)i)});
    for (const KernelCall &call : calls) {
      if (entry.forEveryBatch) {
        dynamic.SetInsertPoint(b.GetInsertBlock());
        emitDynamicCall(dynamic, ec, call, slots, entry.parallelFor);
        b.SetInsertPoint(dynamic.GetInsertBlock());
      } else if (call.serial || entry.serial || call.rows <= 1 ||
                 call.rows * call.workPerRow < parallelWork) {
        b.CreateCall(call.fn, {b.getInt64(0), b.getInt64(call.rows), slots});
      } else {
        int64_t grain = std::max<int64_t>(
            1, (parallelWork / 2 + call.workPerRow - 1) / call.workPerRow);
        b.CreateCall(entry.parallelFor, {b.getInt64(call.rows),
                                         b.getInt64(grain), call.fn, slots});
      }
      if (call.checksStatus) {
        llvm::Value *statusPtr =
            b.CreateLoad(ec.ptr(), b.CreateConstInBoundsGEP1_64(
                                       ec.ptr(), slots, ec.layout.statusSlot));
        llvm::Value *code = b.CreateLoad(ec.i64(), statusPtr);
        llvm::BasicBlock *next = llvm::BasicBlock::Create(ec.ctx, "next", fn);
        b.CreateCondBr(b.CreateICmpNE(code, b.getInt64(0)), entry.failed, next);
        b.SetInsertPoint(next);
      }
    }
  }
}

EmittedModule emitModule(const Graph &g, const FusionPlan &plan,
                         const InPlaceMap &inPlace,
                         const EmitOptions &options) {
  EmittedModule out;
  llvm::LLVMContext *ctx = options.context;
  if (!ctx) {
    out.ctx = std::make_unique<llvm::LLVMContext>();
    ctx = out.ctx.get();
  }
  ctx->setDiagnosticHandlerCallBack(reportLlvmErrors);
  out.module = std::make_unique<llvm::Module>(g.name(), *ctx);
  EmitContext ec{*ctx, *out.module,
                 g,    assignSlots(g, plan, inPlace, options.forEveryBatch),
                 {},   {},
                 {},   {}};
  ec.packWeights = options.packWeights;
  if (options.forEveryBatch && !ec.layout.scratch.empty())
    internalError("a scan reached the emitter of a graph for every batch");
  for (const auto &[result, input] : inPlace) {
    ec.inPlace.insert(result);
    ec.donors.insert(input);
  }

  llvm::Function *entry = llvm::Function::Create(
      llvm::FunctionType::get(ec.voidTy(), {ec.ptr()}, false),
      llvm::GlobalValue::ExternalLinkage, kEntryName, *out.module);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value *slots = entry->getArg(0);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(*ctx, "entry", entry));
  EntryContext context{
      llvm::BasicBlock::Create(*ctx, "failed", entry),
      out.module->getOrInsertFunction(
          "adjoint_rt_parallel_for",
          llvm::FunctionType::get(
              ec.voidTy(), {ec.i64(), ec.i64(), ec.ptr(), ec.ptr()}, false)),
      out.module->getOrInsertFunction(
          "adjoint_profile_mark",
          llvm::FunctionType::get(ec.voidTy(), {ec.i64()}, false)),
      options.forEveryBatch,
      options.bodyPipeline,
      -1,
      std::max(1, options.scanBlocks)};

  emitPlanCalls(ec, plan, b, slots, context, options.profile);
  if (options.profile)
    b.CreateCall(context.mark, {b.getInt64(-1)});
  b.CreateRetVoid();
  llvm::IRBuilder<>(context.failed).CreateRetVoid();
  if (!options.profile)
    if (llvm::Function *unused =
            out.module->getFunction("adjoint_profile_mark"))
      unused->eraseFromParent();
  out.layout = std::move(ec.layout);
  return out;
}

} // namespace adjoint::codegen
