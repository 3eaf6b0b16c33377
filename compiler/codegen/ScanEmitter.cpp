//===- ScanEmitter.cpp - A scan as a loop around its body's kernels -------===//
//
// The body goes through the pipeline on its own (fusion and memory planning
// within the body) and its kernels join the module, named "s<node>.".
// They reach their buffers through a slot array of their own, on the
// entry's stack, which the loop fills before each step:
//
//   state      init at the first step, else the result's row of the step
//              before (the state is never copied)
//   slices     the sequences' rows of the step
//   invariants the scan's operands, whole
//   next state the result's row of the step: the body's last kernel writes
//              it in place
//   the rest   the body's intermediates, in the scan's work space in the
//              arena, planned by the body's own memory plan
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/ScanEmitter.h"

#include "compiler/Lowering.h"
#include "compiler/codegen/ModuleEmitter.h"
#include "ir/Error.h"
#include "ir/Scan.h"

namespace adjoint::codegen {

namespace {

/// The pointer `v` (a value of ec's graph) lives at: its constant's global
/// or what its slot holds.
llvm::Value *pointerOf(EmitContext &ec, llvm::IRBuilder<> &b,
                       llvm::Value *slots, const Value *v) {
  auto constant = ec.constants.find(v);
  if (constant != ec.constants.end())
    return constant->second;
  return b.CreateLoad(ec.ptr(), b.CreateConstInBoundsGEP1_64(
                                    ec.ptr(), slots, ec.layout.slotOf.at(v)));
}

void storeSlot(EmitContext &ec, llvm::IRBuilder<> &b, llvm::Value *slots,
               int slot, llvm::Value *pointer) {
  b.CreateStore(pointer,
                b.CreateConstInBoundsGEP1_64(ec.ptr(), slots, (uint64_t)slot));
}

} // namespace

void emitScanLoop(EmitContext &ec, const Node &scan, int nodeIndex, int ordinal,
                  llvm::IRBuilder<> &b, llvm::Value *slots,
                  const EntryContext &entry) {
  std::vector<TensorType> types;
  for (const Value *v : scan.operands())
    types.push_back(v->type());
  ScanRoles roles = scanRoles(scan.attr(), types);
  PipelineResult lowered = withContext(scan.describe(), [&] {
    return runPipeline(scan.attr().getGraph("body"), entry.bodyPipeline);
  });
  const Graph &body = lowered.graph;
  InPlaceMap shared = sharedSlots({}, lowered.memory);
  EmitContext bec{
      ec.ctx, ec.module, body, assignSlots(body, lowered.fusion, shared, false),
      {},     {},        {},   {}};
  bec.prefix = ec.prefix + "s" + std::to_string(nodeIndex) + ".";
  for (const auto &[result, input] : shared) {
    bec.inPlace.insert(result);
    bec.donors.insert(input);
  }

  // The body's slot array, on the entry's stack.
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> top(&fn->getEntryBlock(),
                        fn->getEntryBlock().getFirstInsertionPt());
  llvm::Value *bodySlots =
      top.CreateAlloca(llvm::ArrayType::get(ec.ptr(), bec.layout.numSlots),
                       nullptr, bec.prefix + "slots");

  auto *fill = llvm::BasicBlock::Create(ec.ctx, bec.prefix + "fill", fn);
  auto *head = llvm::BasicBlock::Create(ec.ctx, bec.prefix + "step", fn);
  auto *done = llvm::BasicBlock::Create(ec.ctx, bec.prefix + "done", fn);
  b.CreateBr(fill);

  // The step's pointers.
  llvm::IRBuilder<> fb(fill);
  std::vector<llvm::Value *> operands;
  for (const Value *v : scan.operands())
    operands.push_back(pointerOf(ec, fb, slots, v));
  llvm::Value *result = pointerOf(ec, fb, slots, scan.result());
  b.SetInsertPoint(head);
  llvm::PHINode *t = b.CreatePHI(ec.i64(), 2, "t");
  t->addIncoming(b.getInt64(0), fill);
  int64_t length = roles.length;
  llvm::Value *row =
      roles.reverse ? b.CreateSub(b.getInt64(length - 1), t) : (llvm::Value *)t;
  auto rowOf = [&](llvm::Value *base, llvm::Value *index, int64_t bytes) {
    return b.CreateInBoundsGEP(ec.i8(), base,
                               b.CreateMul(index, b.getInt64(bytes)));
  };
  int64_t stateBytes = scan.operand(0)->type().byteSize();
  llvm::Value *before = roles.reverse ? b.CreateAdd(row, b.getInt64(1))
                                      : b.CreateSub(row, b.getInt64(1));
  llvm::Value *state =
      b.CreateSelect(b.CreateICmpEQ(t, b.getInt64(0)), operands[0],
                     rowOf(result, before, stateBytes));
  std::vector<llvm::Value *> inputs = {state};
  for (size_t i = 1; i < operands.size(); ++i) {
    bool sequence = i < roles.firstInvariant();
    inputs.push_back(
        sequence ? rowOf(operands[i], row, sliceType(types[i]).byteSize())
                 : operands[i]);
  }
  llvm::Value *next = rowOf(result, row, stateBytes);
  for (size_t i = 0; i < inputs.size(); ++i)
    storeSlot(bec, b, bodySlots, bec.layout.slotOf.at(body.inputs()[i]),
              inputs[i]);
  // The next state: written in place by the kernel that computes it, or
  // copied when the body passes an input or a constant through.
  const Value *out = body.outputs()[0].value;
  const Node *def = out->definingNode();
  bool direct =
      def && def->op() != OpKind::Constant && bec.layout.slotOf.count(out);
  if (direct)
    storeSlot(bec, b, bodySlots, bec.layout.slotOf.at(out), next);

  EntryContext inner = entry;
  inner.nodeIndex = nodeIndex;
  emitPlanCalls(bec, lowered.fusion, b, bodySlots, inner, /*profile=*/false);
  if (!direct && stateBytes > 0)
    b.CreateMemCpy(next, llvm::MaybeAlign(1), pointerOf(bec, b, bodySlots, out),
                   llvm::MaybeAlign(1), stateBytes);
  llvm::Value *t1 = b.CreateAdd(t, b.getInt64(1));
  t->addIncoming(t1, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpULT(t1, b.getInt64(length)), head, done);

  // Now that the body's kernels are emitted (with any scans of its own),
  // its arena is known: the slots of every step but the state, the slices
  // and the next state point into the scan's work space.
  ArenaLayout arena = layOutArena(body, bec.layout, shared, lowered.memory);
  llvm::Value *space =
      fb.CreateLoad(ec.ptr(), fb.CreateConstInBoundsGEP1_64(
                                  ec.ptr(), slots,
                                  (uint64_t)ec.layout.scratch[ordinal].first));
  for (const auto &[slot, offset] : arena.offsets)
    storeSlot(
        bec, fb, bodySlots, slot,
        fb.CreateConstInBoundsGEP1_64(ec.i8(), space, (uint64_t)offset.base));
  storeSlot(bec, fb, bodySlots, bec.layout.statusSlot,
            fb.CreateLoad(ec.ptr(),
                          fb.CreateConstInBoundsGEP1_64(ec.ptr(), slots,
                                                        ec.layout.statusSlot)));
  fb.CreateBr(head);
  ec.layout.scratch[ordinal].second = arena.bytes.base;
  b.SetInsertPoint(done);
}

} // namespace adjoint::codegen
