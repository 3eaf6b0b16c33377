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
// A scan whose steps keep the rows of its state apart (an RNN over a batch,
// ir/ScanRows.h) runs as blocks of rows side by side: one function runs all
// the steps of a block, the pool runs the blocks, each with its own slot
// array and part of the work space. The threads meet once per scan instead
// of once per kernel per step, and each keeps its rows in its own cache.
// Every element is computed by the same code in the same order either way.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/ScanEmitter.h"

#include "compiler/Lowering.h"
#include "compiler/codegen/ModuleEmitter.h"
#include "ir/Error.h"
#include "ir/Scan.h"
#include "ir/ScanRows.h"

#include <functional>
#include <memory>

namespace adjoint::codegen {

namespace {

/// The pointer that slot `slot` of `slots` holds.
llvm::Value *loadSlot(EmitContext &ec, llvm::IRBuilder<> &b, llvm::Value *slots,
                      int slot) {
  return b.CreateLoad(
      ec.ptr(), b.CreateConstInBoundsGEP1_64(ec.ptr(), slots, (uint64_t)slot));
}

/// The pointer `v` (a value of ec's graph) lives at: its constant's global
/// or what its slot holds.
llvm::Value *pointerOf(EmitContext &ec, llvm::IRBuilder<> &b,
                       llvm::Value *slots, const Value *v) {
  auto constant = ec.constants.find(v);
  if (constant != ec.constants.end())
    return constant->second;
  return loadSlot(ec, b, slots, ec.layout.slotOf.at(v));
}

void storeSlot(EmitContext &ec, llvm::IRBuilder<> &b, llvm::Value *slots,
               int slot, llvm::Value *pointer) {
  b.CreateStore(pointer,
                b.CreateConstInBoundsGEP1_64(ec.ptr(), slots, (uint64_t)slot));
}

/// Where one run of the steps reads and writes, as pointers in the
/// function being emitted: the state's, each sequence's and the result's
/// first row of the block (whole rows are still the original's apart),
/// the invariants, and the status block.
struct StepRun {
  std::vector<llvm::Value *> operands;
  llvm::Value *result;
  llvm::Value *status;
  /// The run's work space, given the bytes the body's arena takes.
  std::function<llvm::Value *(llvm::IRBuilder<> &, int64_t)> space;
};

/// Emits the loop over the steps of a scan. `fb` is at the end of the
/// block that computed `run` (left unterminated); on return `b` is at the
/// block after the loop. Returns the bytes of the body's work space.
int64_t emitSteps(EmitContext &bec, const PipelineResult &lowered,
                  const InPlaceMap &shared, const ScanRoles &roles,
                  const std::vector<TensorType> &types, llvm::IRBuilder<> &fb,
                  const StepRun &run, llvm::IRBuilder<> &b,
                  const EntryContext &inner) {
  const Graph &body = lowered.graph;
  llvm::LLVMContext &ctx = bec.ctx;
  llvm::Function *fn = fb.GetInsertBlock()->getParent();
  llvm::IRBuilder<> top(&fn->getEntryBlock(),
                        fn->getEntryBlock().getFirstInsertionPt());
  llvm::Value *bodySlots =
      top.CreateAlloca(llvm::ArrayType::get(bec.ptr(), bec.layout.numSlots),
                       nullptr, bec.prefix + "slots");
  auto *head = llvm::BasicBlock::Create(ctx, bec.prefix + "step", fn);
  auto *done = llvm::BasicBlock::Create(ctx, bec.prefix + "done", fn);

  b.SetInsertPoint(head);
  llvm::PHINode *t = b.CreatePHI(bec.i64(), 2, "t");
  t->addIncoming(b.getInt64(0), fb.GetInsertBlock());
  int64_t length = roles.length;
  llvm::Value *row =
      roles.reverse ? b.CreateSub(b.getInt64(length - 1), t) : (llvm::Value *)t;
  auto rowOf = [&](llvm::Value *base, llvm::Value *index, int64_t bytes) {
    return b.CreateInBoundsGEP(bec.i8(), base,
                               b.CreateMul(index, b.getInt64(bytes)));
  };
  // Rows of the result are whole states apart, whatever the block.
  int64_t stateRow = types[0].byteSize();
  llvm::Value *before = roles.reverse ? b.CreateAdd(row, b.getInt64(1))
                                      : b.CreateSub(row, b.getInt64(1));
  llvm::Value *state =
      b.CreateSelect(b.CreateICmpEQ(t, b.getInt64(0)), run.operands[0],
                     rowOf(run.result, before, stateRow));
  std::vector<llvm::Value *> inputs = {state};
  for (size_t i = 1; i < run.operands.size(); ++i) {
    bool sequence = i < roles.firstInvariant();
    inputs.push_back(
        sequence ? rowOf(run.operands[i], row, sliceType(types[i]).byteSize())
                 : run.operands[i]);
  }
  llvm::Value *next = rowOf(run.result, row, stateRow);
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

  emitPlanCalls(bec, lowered.fusion, b, bodySlots, inner, /*profile=*/false);
  int64_t stateBytes = body.inputs()[0]->type().byteSize();
  if (!direct && stateBytes > 0)
    b.CreateMemCpy(next, llvm::MaybeAlign(1), pointerOf(bec, b, bodySlots, out),
                   llvm::MaybeAlign(1), stateBytes);
  llvm::Value *t1 = b.CreateAdd(t, b.getInt64(1));
  t->addIncoming(t1, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpULT(t1, b.getInt64(length)), head, done);

  // Now that the body's kernels are emitted (with any scans of its own),
  // its arena is known: the slots of every step but the state, the slices
  // and the next state point into the run's work space.
  ArenaLayout arena = layOutArena(body, bec.layout, shared, lowered.memory);
  llvm::Value *space = run.space(fb, arena.bytes.base);
  for (const auto &[slot, offset] : arena.offsets)
    storeSlot(
        bec, fb, bodySlots, slot,
        fb.CreateConstInBoundsGEP1_64(bec.i8(), space, (uint64_t)offset.base));
  storeSlot(bec, fb, bodySlots, bec.layout.statusSlot, run.status);
  fb.CreateBr(head);
  b.SetInsertPoint(done);
  return arena.bytes.base;
}

/// A scan's body lowered, with the context its kernels are emitted in.
struct LoweredBody {
  PipelineResult lowered;
  InPlaceMap shared;
  std::unique_ptr<EmitContext> bec;

  LoweredBody(EmitContext &ec, const Node &scan, const Graph &body,
              int nodeIndex, const EntryContext &entry)
      : lowered(
            withContext(scan.describe(),
                        [&] { return runPipeline(body, entry.bodyPipeline); })),
        shared(sharedSlots({}, lowered.memory)) {
    const Graph &g = lowered.graph;
    bec = std::make_unique<EmitContext>(
        EmitContext{ec.ctx,
                    ec.module,
                    g,
                    assignSlots(g, lowered.fusion, shared, false),
                    {},
                    {},
                    {},
                    {}});
    bec->prefix = ec.prefix + "s" + std::to_string(nodeIndex) + ".";
    for (const auto &[result, input] : shared) {
      bec->inPlace.insert(result);
      bec->donors.insert(input);
    }
  }
};

/// The number of blocks of rows `scan` runs as (1: whole), and the body of
/// one block: the most blocks, up to `most`, of at least kBlockRows rows
/// each that split the rows evenly and keep them apart.
std::pair<int64_t, std::optional<Graph>>
blocksOf(const Node &scan, const ScanRoles &roles, int most) {
  // A block's products keep at least a register block's rows.
  constexpr int64_t kBlockRows = 8;
  const Graph &body = scan.attr().getGraph("body");
  const TensorType &state = scan.operand(0)->type();
  if (most <= 1 || state.rank() == 0)
    return {1, std::nullopt};
  int64_t rows = state.shape[0];
  for (int64_t blocks = std::min<int64_t>(most, rows / kBlockRows); blocks > 1;
       --blocks)
    if (rows % blocks == 0)
      return {blocks, bodyForRows(body, roles.sequences, rows / blocks)};
  return {1, std::nullopt};
}

int64_t roundUp(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

} // namespace

void emitScanLoop(EmitContext &ec, const Node &scan, int nodeIndex, int ordinal,
                  llvm::IRBuilder<> &b, llvm::Value *slots,
                  const EntryContext &entry) {
  std::vector<TensorType> types;
  for (const Value *v : scan.operands())
    types.push_back(v->type());
  ScanRoles roles = scanRoles(scan.attr(), types);
  auto [blocks, blockBody] = blocksOf(scan, roles, entry.scanBlocks);

  if (!blockBody) {
    LoweredBody lb(ec, scan, scan.attr().getGraph("body"), nodeIndex, entry);
    llvm::Function *fn = b.GetInsertBlock()->getParent();
    auto *fill = llvm::BasicBlock::Create(ec.ctx, lb.bec->prefix + "fill", fn);
    b.CreateBr(fill);
    llvm::IRBuilder<> fb(fill);
    StepRun run;
    for (const Value *v : scan.operands())
      run.operands.push_back(pointerOf(ec, fb, slots, v));
    run.result = pointerOf(ec, fb, slots, scan.result());
    run.status = loadSlot(ec, fb, slots, ec.layout.statusSlot);
    run.space = [&](llvm::IRBuilder<> &at, int64_t) {
      return loadSlot(ec, at, slots, ec.layout.scratch[ordinal].first);
    };
    EntryContext inner = entry;
    inner.nodeIndex = nodeIndex;
    ec.layout.scratch[ordinal].second = emitSteps(
        *lb.bec, lb.lowered, lb.shared, roles, types, fb, run, b, inner);
    return;
  }

  // Blocks of rows: a function that runs every step of blocks [begin, end)
  // in turn, which the pool calls.
  LoweredBody lb(ec, scan, *blockBody, nodeIndex, entry);
  llvm::Function *blockFn = llvm::Function::Create(
      ec.kernelType(), llvm::GlobalValue::InternalLinkage,
      lb.bec->prefix + "blocks", ec.module);
  blockFn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value *begin = blockFn->getArg(0), *end = blockFn->getArg(1),
              *outer = blockFn->getArg(2);
  auto *start = llvm::BasicBlock::Create(ec.ctx, "entry", blockFn);
  auto *loop = llvm::BasicBlock::Create(ec.ctx, "block", blockFn);
  auto *fill = llvm::BasicBlock::Create(ec.ctx, "fill", blockFn);
  auto *exit = llvm::BasicBlock::Create(ec.ctx, "exit", blockFn);
  auto *failed = llvm::BasicBlock::Create(ec.ctx, "failed", blockFn);
  llvm::IRBuilder<>(start).CreateBr(loop);
  llvm::IRBuilder<>(exit).CreateRetVoid();
  llvm::IRBuilder<>(failed).CreateRetVoid();
  llvm::IRBuilder<> kb(loop);
  llvm::PHINode *block = kb.CreatePHI(ec.i64(), 2, "block");
  block->addIncoming(begin, start);
  kb.CreateCondBr(kb.CreateICmpSLT(block, end), fill, exit);

  llvm::IRBuilder<> fb(fill);
  auto offset = [&](llvm::Value *base, int64_t bytes) {
    return fb.CreateInBoundsGEP(ec.i8(), base,
                                fb.CreateMul(block, fb.getInt64(bytes)));
  };
  StepRun run;
  for (size_t i = 0; i < scan.operands().size(); ++i) {
    llvm::Value *p = pointerOf(ec, fb, outer, scan.operand(i));
    bool sequence = i >= roles.firstSequence() && i < roles.firstInvariant();
    // The block's rows: of the state, of each step's slice.
    int64_t rowBytes = i == 0     ? types[0].byteSize() / blocks
                       : sequence ? sliceType(types[i]).byteSize() / blocks
                                  : 0;
    run.operands.push_back(rowBytes ? offset(p, rowBytes) : p);
  }
  run.result = offset(pointerOf(ec, fb, outer, scan.result()),
                      types[0].byteSize() / blocks);
  run.status = loadSlot(ec, fb, outer, ec.layout.statusSlot);
  int64_t blockSpace = 0;
  run.space = [&](llvm::IRBuilder<> &at, int64_t bytes) {
    blockSpace = roundUp(bytes, 64);
    return at.CreateInBoundsGEP(
        ec.i8(), loadSlot(ec, at, outer, ec.layout.scratch[ordinal].first),
        at.CreateMul(block, at.getInt64(blockSpace)));
  };
  EntryContext inner = entry;
  inner.nodeIndex = nodeIndex;
  inner.failed = failed;
  inner.serial = true;
  inner.scanBlocks = 1;
  llvm::IRBuilder<> sb(ec.ctx);
  emitSteps(*lb.bec, lb.lowered, lb.shared, roles, types, fb, run, sb, inner);
  block->addIncoming(sb.CreateAdd(block, sb.getInt64(1)), sb.GetInsertBlock());
  sb.CreateBr(loop);
  ec.layout.scratch[ordinal].second = blocks * blockSpace;

  // The entry runs the blocks on the pool, then stops if one failed.
  b.CreateCall(entry.parallelFor,
               {b.getInt64(blocks), b.getInt64(1), blockFn, slots});
  llvm::Value *code =
      b.CreateLoad(ec.i64(), loadSlot(ec, b, slots, ec.layout.statusSlot));
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  auto *next = llvm::BasicBlock::Create(ec.ctx, "next", fn);
  b.CreateCondBr(b.CreateICmpNE(code, b.getInt64(0)), entry.failed, next);
  b.SetInsertPoint(next);
}

} // namespace adjoint::codegen
