//===- KernelEmitter.cpp - One node of a graph as LLVM kernels ------------===//
//
// Elementwise, data-movement, reduction and gather kernels. Each is a loop
// nest over an iteration space with affine element accesses (LoopNest.h);
// the outermost loop covers the rows [begin, end) a call is given.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/KernelEmitter.h"

#include "ir/Error.h"
#include "ir/Random.h"

#include "compiler/codegen/ScalarEmitter.h"
#include "ir/ShapeInference.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/NoFolder.h>

#include <cmath>
#include <optional>

namespace adjoint::codegen {

KernelBuilder::KernelBuilder(EmitContext &ec, const std::string &name,
                             std::vector<const Value *> values, bool wantStatus,
                             Form form, const Value *tileValue)
    : ec(ec), b(ec.ctx) {
  bool tile = form == Form::Tile || form == Form::TileProduct;
  std::vector<llvm::Type *> outerParams = {ec.i64(), ec.i64(), ec.i64(),
                                           ec.i64(), ec.ptr()};
  if (form == Form::TileProduct)
    outerParams.push_back(ec.ptr());
  llvm::FunctionType *outerType =
      tile ? llvm::FunctionType::get(ec.voidTy(), outerParams, false)
           : ec.kernelType();
  outer = llvm::Function::Create(outerType, llvm::GlobalValue::InternalLinkage,
                                 ec.prefix + name, ec.module);
  outer->addFnAttr(llvm::Attribute::NoUnwind);
  // Kernels stay functions of their own: inlined into the entry, LLVM
  // fully unrolls small loops of neighbouring kernels into one huge block
  // whose instruction scheduling costs hundreds of milliseconds, for no
  // gain at run time (a call per kernel is nothing next to its loop).
  outer->addFnAttr(llvm::Attribute::NoInline);
  int indices = tile ? 4 : 2;
  std::vector<llvm::Type *> params(indices, ec.i64());
  for (size_t i = 0; i < values.size() + (wantStatus ? 1 : 0); ++i)
    params.push_back(ec.ptr());
  if (form == Form::RowsSlots)
    params.push_back(ec.ptr());
  // A sample of a graph compiled for every batch: the body's last argument
  // is the batch, from which it computes what depends on it
  // (compiler/codegen/LiftBatch.h).
  bool batchArg = ec.layout.batchSlot >= 0;
  if (batchArg)
    params.push_back(ec.i64());
  body = llvm::Function::Create(
      llvm::FunctionType::get(ec.voidTy(), params, false),
      llvm::GlobalValue::InternalLinkage, ec.prefix + name + ".body",
      ec.module);
  body->addFnAttr(llvm::Attribute::AlwaysInline);
  body->addFnAttr(llvm::Attribute::NoUnwind);
  // An in-place result shares its buffer with its donor: neither pointer
  // is noalias. Every other buffer is distinct.
  for (size_t i = 0; i < values.size(); ++i)
    if (!ec.inPlace.count(values[i]) && !ec.donors.count(values[i]))
      body->addParamAttr(indices + i, llvm::Attribute::NoAlias);

  // Outer: load the buffer pointers from the slots and call the body.
  llvm::IRBuilder<> ob(llvm::BasicBlock::Create(ec.ctx, "entry", outer));
  llvm::Value *slotArray =
      outer->getArg(form == Form::TileProduct ? indices + 1 : indices);
  std::vector<llvm::Value *> args;
  for (int i = 0; i < indices; ++i)
    args.push_back(outer->getArg(i));
  auto slotPtr = [&](int slot) {
    return ob.CreateLoad(ec.ptr(), ob.CreateConstInBoundsGEP1_64(
                                       ec.ptr(), slotArray, (uint64_t)slot));
  };
  for (const Value *v : values) {
    auto it = ec.constants.find(v);
    if (form == Form::TileProduct && v == tileValue)
      args.push_back(outer->getArg(indices));
    else
      args.push_back(it != ec.constants.end()
                         ? (llvm::Value *)it->second
                         : slotPtr(ec.layout.slotOf.at(v)));
  }
  if (wantStatus)
    args.push_back(slotPtr(ec.layout.statusSlot));
  if (form == Form::RowsSlots)
    args.push_back(slotArray);
  if (batchArg)
    args.push_back(ob.CreateLoad(ec.i64(), slotPtr(ec.layout.batchSlot)));
  ob.CreateCall(body, args);
  ob.CreateRetVoid();

  b.SetInsertPoint(llvm::BasicBlock::Create(ec.ctx, "entry", body));
  begin = body->getArg(0);
  end = body->getArg(1);
  if (tile) {
    colBegin = body->getArg(2);
    colEnd = body->getArg(3);
  }
  for (size_t i = 0; i < values.size(); ++i)
    buffers.push_back(body->getArg(indices + i));
  if (wantStatus)
    status = body->getArg(indices + values.size());
  if (form == Form::RowsSlots)
    slots = body->getArg(indices + values.size() + (wantStatus ? 1 : 0));
}

KernelCall KernelBuilder::finish(int64_t rows, int64_t workPerRow) {
  b.CreateRetVoid();
  KernelCall call;
  call.fn = outer;
  call.rows = rows;
  call.workPerRow = std::max<int64_t>(1, workPerRow);
  call.checksStatus = status != nullptr;
  return call;
}

llvm::AllocaInst *KernelBuilder::stackSlot(llvm::Type *t,
                                           const llvm::Twine &n) {
  llvm::IRBuilder<> eb(&body->getEntryBlock(),
                       body->getEntryBlock().getFirstInsertionPt());
  return eb.CreateAlloca(t, nullptr, n);
}

CheckedIndex emitIndexCheck(KernelBuilder &k, llvm::Value *i, int64_t extent,
                            int nodeIndex, bool wrapNegative) {
  llvm::IRBuilder<> &b = k.b;
  llvm::Value *wrapped =
      wrapNegative ? b.CreateSelect(b.CreateICmpSLT(i, b.getInt64(0)),
                                    b.CreateAdd(i, b.getInt64(extent)), i)
                   : i;
  llvm::Value *bad = b.CreateICmpUGE(wrapped, b.getInt64(extent));
  emitIf(b, bad, [&] {
    // Atomic: parallel chunks may fail at once; any one of them is reported.
    auto *s0 = b.CreateStore(b.getInt64(nodeIndex + 1), k.status);
    s0->setAtomic(llvm::AtomicOrdering::Monotonic);
    s0->setAlignment(llvm::Align(8));
    auto *s1 =
        b.CreateStore(i, b.CreateConstInBoundsGEP1_64(k.ec.i64(), k.status, 1));
    s1->setAtomic(llvm::AtomicOrdering::Monotonic);
    s1->setAlignment(llvm::Align(8));
  });
  return {wrapped, bad};
}

void emitIf(llvm::IRBuilder<> &b, llvm::Value *cond,
            llvm::function_ref<void()> then) {
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *thenBB =
      llvm::BasicBlock::Create(b.getContext(), "then", fn);
  llvm::BasicBlock *done =
      llvm::BasicBlock::Create(b.getContext(), "endif", fn);
  b.CreateCondBr(cond, thenBB, done);
  b.SetInsertPoint(thenBB);
  then();
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

/// The bytes of the lanes of a float sum: four 512-bit vectors, so that
/// the adds of a long sum overlap.
constexpr int64_t kSumLaneBytes = 256;

/// A float sum in an order that depends only on the extents it sums over
/// (see emitLaneSums in KernelEmitter.h): term j
/// of each innermost run goes to lane j mod W, each lane adds its terms in
/// order, and the lanes combine by halves, lane i with lane i + W/2, down
/// to one. A sum that the loop vectorizer reassociates takes an order that
/// depends on whether it knows the trip count: a model compiled for every
/// batch would then differ in the last bits from its static compile
/// wherever it sums over the batch (a mean loss). No reassociation flag is
/// set, so LLVM keeps this order; the loop over a run's lanes vectorizes,
/// its lanes being independent.
///
void emitLaneSums(
    EmitContext &ec, KernelBuilder &k, DType t,
    const std::vector<int64_t> &keptDims, const std::vector<Access> &outer,
    const std::vector<int64_t> &redDims, const std::vector<Access> &inner,
    llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &,
                                     llvm::ArrayRef<llvm::Value *>)>
        term,
    llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *)>
        finish) {
  const int64_t lanes = kSumLaneBytes / (int64_t)dtypeSize(t);
  llvm::Type *elt = ec.valueType(t);
  auto *vecTy = llvm::FixedVectorType::get(elt, (unsigned)lanes);
  llvm::AllocaInst *acc =
      k.stackSlot(llvm::ArrayType::get(elt, (uint64_t)lanes), "lanes");
  acc->setAlignment(llvm::Align(64));
  // The runs: every dimension summed over but the innermost, whose stride
  // each leaf keeps.
  std::vector<int64_t> runs(redDims.begin(), redDims.end() - 1);
  std::vector<Access> runAcc;
  std::vector<int64_t> step;
  for (const Access &a : inner) {
    runAcc.push_back(
        {std::vector<int64_t>(a.strides.begin(), a.strides.end() - 1), 0});
    step.push_back(a.strides.back());
  }
  int64_t length = redDims.back();
  emitNest(
      k.b, k.begin, k.end, keptDims, outer,
      [&](llvm::ArrayRef<llvm::Value *> outOff, llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        llvm::IRBuilder<>::FastMathFlagGuard guard(b);
        b.setFastMathFlags(llvm::FastMathFlags());
        b.CreateAlignedStore(llvm::Constant::getNullValue(vecTy), acc,
                             llvm::Align(64));
        // Lanes [0, count) take terms first + l of the run at `runOff`.
        auto addTerms = [&](llvm::ArrayRef<llvm::Value *> runOff,
                            llvm::Value *first, llvm::Value *count,
                            bool foldTail) {
          emitLoop(
              b, b.getInt64(0), count,
              [&](llvm::Value *l) {
                llvm::Value *j = b.CreateAdd(first, l, "", true, true);
                std::vector<llvm::Value *> off;
                for (size_t leaf = 0; leaf < inner.size(); ++leaf)
                  off.push_back(
                      b.CreateAdd(b.CreateAdd(outOff[1 + leaf], runOff[leaf]),
                                  b.CreateMul(j, b.getInt64(step[leaf]))));
                llvm::Value *x = term(b, off);
                llvm::Value *slot = b.CreateInBoundsGEP(elt, acc, l);
                b.CreateStore(b.CreateFAdd(b.CreateLoad(elt, slot), x), slot);
              },
              "l", /*vectorize=*/true, foldTail);
        };
        emitNest(b, b.getInt64(0), b.getInt64(runs.empty() ? 1 : runs[0]), runs,
                 runAcc,
                 [&](llvm::ArrayRef<llvm::Value *> runOff,
                     llvm::ArrayRef<llvm::Value *>) {
                   // Whole chunks of `lanes` terms, then the rest. The split is
                   // code, not constants, so that a length that is a function
                   // of the batch stays one (compiler/codegen/LiftBatch.h).
                   llvm::IRBuilder<llvm::NoFolder> nf(b.GetInsertBlock(),
                                                      b.GetInsertPoint());
                   llvm::Value *chunks =
                       nf.CreateUDiv(b.getInt64(length), b.getInt64(lanes));
                   llvm::Value *whole = nf.CreateMul(chunks, b.getInt64(lanes));
                   llvm::Value *rest = nf.CreateSub(b.getInt64(length), whole);
                   emitLoop(b, b.getInt64(0), chunks, [&](llvm::Value *c) {
                     addTerms(runOff, b.CreateMul(c, b.getInt64(lanes)),
                              b.getInt64(lanes), false);
                   });
                   addTerms(runOff, whole, rest, true);
                 });
        llvm::Value *v = b.CreateAlignedLoad(vecTy, acc, llvm::Align(64));
        for (int64_t width = lanes / 2; width >= 1; width /= 2) {
          llvm::SmallVector<int, 64> down;
          for (int64_t i = 0; i < lanes; ++i)
            down.push_back(int(i < width ? i + width : i));
          v = b.CreateFAdd(v, b.CreateShuffleVector(v, down));
        }
        llvm::Value *sum = b.CreateExtractElement(v, uint64_t(0));
        emitStore(ec, b, t, finish ? finish(b, sum) : sum, k.buffers[0],
                  outOff[0]);
      });
}

namespace {

std::string kernelName(const Node &node, int idx, int part = 0) {
  std::string name =
      "k" + std::to_string(idx) + "." + std::string(opName(node.op()));
  return part ? name + "." + std::to_string(part) : name;
}

std::vector<int64_t> contiguous(const Shape &s) { return stridesOf(s); }

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// A kernel over `dims` that stores, at each point, f(loaded operands).
/// `accesses[0]` is the output's, the others the operands'.
KernelCall
emitMap(EmitContext &ec, const std::string &name,
        std::vector<const Value *> values, std::vector<int64_t> dims,
        std::vector<Access> accesses,
        const std::function<llvm::Value *(llvm::IRBuilder<> &,
                                          llvm::ArrayRef<llvm::Value *>)> &f) {
  collapseDims(dims, accesses);
  KernelBuilder k(ec, name, values);
  emitNest(k.b, k.begin, k.end, dims, accesses,
           [&](llvm::ArrayRef<llvm::Value *> offsets,
               llvm::ArrayRef<llvm::Value *>) {
             std::vector<llvm::Value *> loaded;
             for (size_t i = 1; i < values.size(); ++i)
               loaded.push_back(emitLoad(ec, k.b, values[i]->type().dtype,
                                         k.buffers[i], offsets[i]));
             emitStore(ec, k.b, values[0]->type().dtype, f(k.b, loaded),
                       k.buffers[0], offsets[0]);
           });
  int64_t rows = dims.empty() ? 1 : dims[0];
  int64_t inner = dims.empty() ? 1 : product(dims) / std::max<int64_t>(1, rows);
  return k.finish(rows, inner);
}

/// Runs of at least this many bytes contiguous on both sides are copied
/// with memcpy.
constexpr int64_t kMemcpyBytes = 256;
/// A copy that is one contiguous run is split into rows of this many bytes.
constexpr int64_t kCopyRowBytes = 65536;

/// memcpy of `count` elements of `size` bytes from element `from` of
/// `source` to element `to` of `dest`.
void emitElementCopy(EmitContext &ec, llvm::IRBuilder<> &b, int64_t size,
                     llvm::Value *dest, llvm::Value *to, llvm::Value *source,
                     llvm::Value *from, llvm::Value *count) {
  auto at = [&](llvm::Value *buffer, llvm::Value *element) {
    return b.CreateInBoundsGEP(ec.i8(), buffer,
                               b.CreateMul(element, b.getInt64(size)));
  };
  b.CreateMemCpy(at(dest, to), llvm::MaybeAlign(size), at(source, from),
                 llvm::MaybeAlign(size), b.CreateMul(count, b.getInt64(size)));
}

/// A copy whose source element is affine in the output index. Where the
/// innermost run is contiguous on both sides and long, each run is one
/// memcpy: as fast as a vector loop, and a few instructions instead of a
/// loop LLVM unrolls into a thousand (which costs compile time).
KernelCall emitAffineCopy(EmitContext &ec, const std::string &name,
                          const Value *out, const Value *in,
                          std::vector<int64_t> dims, Access outAccess,
                          Access inAccess) {
  std::vector<Access> accesses = {outAccess, inAccess};
  collapseDims(dims, accesses);
  size_t r = dims.size();
  int64_t size = (int64_t)dtypeSize(out->type().dtype);
  if (r == 0 || accesses[0].strides[r - 1] != 1 ||
      accesses[1].strides[r - 1] != 1 || dims[r - 1] * size < kMemcpyBytes)
    return emitMap(ec, name, {out, in}, std::move(dims), std::move(accesses),
                   [](llvm::IRBuilder<> &, llvm::ArrayRef<llvm::Value *> v) {
                     return v[0];
                   });
  KernelBuilder k(ec, name, {out, in});
  llvm::IRBuilder<> &b = k.b;
  auto copy = [&](llvm::Value *to, llvm::Value *from, llvm::Value *count) {
    emitElementCopy(ec, b, size, k.buffers[0], to, k.buffers[1], from, count);
  };
  int64_t run = dims[r - 1];
  if (r == 1) {
    // One run: rows of kCopyRowBytes, the last one shorter.
    int64_t chunk = std::max<int64_t>(1, kCopyRowBytes / size);
    int64_t rows = (run + chunk - 1) / chunk;
    llvm::Value *first = b.CreateMul(k.begin, b.getInt64(chunk));
    llvm::Value *last = b.CreateMul(k.end, b.getInt64(chunk));
    last = b.CreateSelect(b.CreateICmpSLT(last, b.getInt64(run)), last,
                          b.getInt64(run));
    copy(b.CreateAdd(first, b.getInt64(accesses[0].offset)),
         b.CreateAdd(first, b.getInt64(accesses[1].offset)),
         b.CreateSub(last, first));
    return k.finish(rows, chunk);
  }
  std::vector<int64_t> outer(dims.begin(), dims.end() - 1);
  for (Access &a : accesses)
    a.strides.pop_back();
  emitNest(b, k.begin, k.end, outer, accesses,
           [&](llvm::ArrayRef<llvm::Value *> offsets,
               llvm::ArrayRef<llvm::Value *>) {
             copy(offsets[0], offsets[1], b.getInt64(run));
           });
  return k.finish(outer[0], product(dims) / std::max<int64_t>(1, outer[0]));
}

KernelCall emitElementwise(EmitContext &ec, const Node &node, int idx) {
  const Shape &outShape = node.result()->type().shape;
  std::vector<const Value *> values = {node.result()};
  std::vector<Access> accesses = {{contiguous(outShape), 0}};
  std::vector<DType> operandTypes;
  for (const Value *v : node.operands()) {
    values.push_back(v);
    accesses.push_back({broadcastStrides(v->type().shape, outShape), 0});
    operandTypes.push_back(v->type().dtype);
  }
  AttrReader attrs = node.attr();
  DType resultType = node.result()->type().dtype;
  return emitMap(ec, kernelName(node, idx), values, outShape, accesses,
                 [&](llvm::IRBuilder<> &b, llvm::ArrayRef<llvm::Value *> args) {
                   return emitScalarOp(ec, b, node.op(), operandTypes,
                                       resultType, attrs, args);
                 });
}

/// A concat with several rows before its axis, as one kernel whose rows are
/// the output's (the dimensions before the axis), each filled piece after
/// piece: every output row is written once, in order, by one call. A GRU
/// step's saved values, six bands of 128 columns in rows of 768, were six
/// kernels, each writing its band of every row. Null for a concat along
/// its leading axis (each piece is then one run, copied by a kernel of its
/// own).
std::optional<KernelCall> emitRowConcat(EmitContext &ec, const Node &node,
                                        int idx) {
  const Value *out = node.result();
  const Shape &shape = out->type().shape;
  auto axis =
      (size_t)normalizeAxis(node.attr().getInt("axis"), shape.size(), "concat");
  int64_t rows = 1;
  for (size_t d = 0; d < axis; ++d)
    rows *= shape[d];
  if (rows <= 1)
    return std::nullopt;
  int64_t width = out->type().numElements() / rows;
  std::vector<const Value *> values = {out};
  std::vector<Access> rowStarts = {{{width}, 0}};
  for (const Value *piece : node.operands()) {
    values.push_back(piece);
    rowStarts.push_back({{piece->type().numElements() / rows}, 0});
  }
  DType t = out->type().dtype;
  int64_t size = (int64_t)dtypeSize(t);
  KernelBuilder k(ec, kernelName(node, idx), values);
  llvm::IRBuilder<> &b = k.b;
  emitNest(
      b, k.begin, k.end, {rows}, rowStarts,
      [&](llvm::ArrayRef<llvm::Value *> starts, llvm::ArrayRef<llvm::Value *>) {
        int64_t at = 0;
        for (size_t i = 1; i < values.size(); ++i) {
          int64_t run = rowStarts[i].strides[0];
          llvm::Value *to = b.CreateAdd(starts[0], b.getInt64(at));
          if (run * size >= kMemcpyBytes) {
            emitElementCopy(ec, b, size, k.buffers[0], to, k.buffers[i],
                            starts[i], b.getInt64(run));
          } else {
            emitNest(
                b, b.getInt64(0), b.getInt64(run), {run}, {{{1}, 0}},
                [&](llvm::ArrayRef<llvm::Value *> j,
                    llvm::ArrayRef<llvm::Value *>) {
                  llvm::Value *v = emitLoad(ec, b, t, k.buffers[i],
                                            b.CreateAdd(starts[i], j[0]));
                  emitStore(ec, b, t, v, k.buffers[0], b.CreateAdd(to, j[0]));
                },
                /*vectorize=*/true);
          }
          at += run;
        }
      });
  return k.finish(rows, width);
}

std::vector<KernelCall> emitDataMovement(EmitContext &ec, const Node &node,
                                         int idx) {
  const Value *out = node.result();
  const Value *in = node.operands().empty() ? nullptr : node.operand(0);
  const Shape &outShape = out->type().shape;
  Access outAccess{contiguous(outShape), 0};
  AttrReader attrs = node.attr();
  switch (node.op()) {
  case OpKind::Reshape:
    // Same elements in the same order.
    return {emitAffineCopy(ec, kernelName(node, idx), out, in, outShape,
                           outAccess, outAccess)};
  case OpKind::BroadcastTo:
    return {emitAffineCopy(ec, kernelName(node, idx), out, in, outShape,
                           outAccess,
                           {broadcastStrides(in->type().shape, outShape), 0})};
  case OpKind::Transpose: {
    std::vector<int64_t> perm = transposePerm(attrs, in->type().rank());
    std::vector<int64_t> inStrides = contiguous(in->type().shape), strides;
    for (int64_t p : perm)
      strides.push_back(inStrides[p]);
    return {emitAffineCopy(ec, kernelName(node, idx), out, in, outShape,
                           outAccess, {strides, 0})};
  }
  case OpKind::Slice: {
    SliceDims s = normalizeSlice(attrs, in->type().shape);
    std::vector<int64_t> inStrides = contiguous(in->type().shape), strides;
    int64_t offset = 0;
    for (size_t d = 0; d < inStrides.size(); ++d) {
      strides.push_back(inStrides[d] * s.step[d]);
      offset += s.start[d] * inStrides[d];
    }
    return {emitAffineCopy(ec, kernelName(node, idx), out, in, outShape,
                           outAccess, {strides, offset})};
  }
  case OpKind::Pad: {
    // Fill everything with the pad value, then copy the interior.
    const std::vector<int64_t> &pads = attrs.getInts("pads");
    DType t = out->type().dtype;
    double value = attrs.getFloat("value");
    int64_t n = out->type().numElements();
    KernelCall fill =
        emitMap(ec, kernelName(node, idx, 1), {out}, {n}, {{{1}, 0}},
                [&](llvm::IRBuilder<> &, llvm::ArrayRef<llvm::Value *>) {
                  return emitConstant(ec, t, value);
                });
    std::vector<int64_t> outStrides = contiguous(outShape);
    int64_t offset = 0;
    for (size_t d = 0; d < outShape.size(); ++d)
      offset += pads[d] * outStrides[d];
    KernelCall copy =
        emitAffineCopy(ec, kernelName(node, idx, 2), out, in, in->type().shape,
                       {outStrides, offset}, {contiguous(in->type().shape), 0});
    return {fill, copy};
  }
  case OpKind::Concat: {
    if (std::optional<KernelCall> rowwise = emitRowConcat(ec, node, idx))
      return {*rowwise};
    int64_t axis =
        normalizeAxis(attrs.getInt("axis"), outShape.size(), "concat");
    std::vector<int64_t> outStrides = contiguous(outShape);
    std::vector<KernelCall> calls;
    int64_t at = 0;
    for (size_t i = 0; i < node.operands().size(); ++i) {
      const Value *part = node.operand(i);
      calls.push_back(emitAffineCopy(ec, kernelName(node, idx, (int)i + 1), out,
                                     part, part->type().shape,
                                     {outStrides, at * outStrides[axis]},
                                     {contiguous(part->type().shape), 0}));
      at += part->type().shape[axis];
    }
    return calls;
  }
  case OpKind::Iota: {
    // Not collapsible: the value depends on the index along `axis`.
    int64_t axis = normalizeAxis(attrs.getInt("axis"), outShape.size(), "iota");
    DType t = out->type().dtype;
    KernelBuilder k(ec, kernelName(node, idx), {out});
    emitNest(k.b, k.begin, k.end, outShape, {outAccess},
             [&](llvm::ArrayRef<llvm::Value *> offsets,
                 llvm::ArrayRef<llvm::Value *> ivs) {
               llvm::Value *v = emitCast(ec, k.b, ivs[axis], DType::I64, t);
               emitStore(ec, k.b, t, v, k.buffers[0], offsets[0]);
             });
    return {k.finish(outShape[0],
                     product(outShape) / std::max<int64_t>(1, outShape[0]))};
  }
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
  case OpKind::Select:
  case OpKind::Cast:
  case OpKind::Constant:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::Argmax:
  case OpKind::Gather:
  case OpKind::OneHot:
  case OpKind::MatMul:
  case OpKind::Conv2D:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::StopGradient:
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
  case OpKind::ScatterAdd:
  case OpKind::Scan:
  case OpKind::Dropout:
  case OpKind::Attention:
    break;
  }
  assert(false && "not a data-movement op");
  return {};
}

/// reduce_sum/mean/max/min: a nest over the kept dimensions with an inner
/// nest over the reduced ones accumulating in a register; float sums in
/// lanes (emitLaneSums); max and min are exact. A
/// mean is the sum divided by the count of reduced elements (0/0 = NaN when
/// empty).
KernelCall emitReduce(EmitContext &ec, const Node &node, int idx) {
  const Value *in = node.operand(0), *out = node.result();
  const Shape &inShape = in->type().shape;
  std::vector<int64_t> axes = reductionAxes(node.attr(), inShape.size());
  std::vector<int64_t> inStrides = contiguous(inShape);
  std::vector<int64_t> keptDims, keptStrides, redDims, redStrides;
  for (size_t d = 0; d < inShape.size(); ++d) {
    bool reduced =
        std::find(axes.begin(), axes.end(), (int64_t)d) != axes.end();
    (reduced ? redDims : keptDims).push_back(inShape[d]);
    (reduced ? redStrides : keptStrides).push_back(inStrides[d]);
  }
  std::vector<Access> outer = {{contiguous(keptDims), 0}, {keptStrides, 0}};
  collapseDims(keptDims, outer);
  std::vector<Access> inner = {{redStrides, 0}};
  collapseDims(redDims, inner);

  DType t = in->type().dtype;
  bool f = isFloat(t);
  OpKind op = node.op();
  double identity = 0;
  if (op == OpKind::ReduceMax)
    identity = f ? -INFINITY : t == DType::U8 ? 0.0 : -1e300;
  if (op == OpKind::ReduceMin)
    identity = f ? INFINITY : 1e300; // converted with saturation

  KernelBuilder k(ec, kernelName(node, idx), {out, in});
  int64_t redCount = product(redDims);
  int64_t rows = keptDims.empty() ? 1 : keptDims[0];
  int64_t work = product(keptDims) / std::max<int64_t>(1, rows) *
                 std::max<int64_t>(1, redCount);
  if (f && !redDims.empty() &&
      (op == OpKind::ReduceSum || op == OpKind::ReduceMean)) {
    emitLaneSums(
        ec, k, t, keptDims, outer, redDims, inner,
        [&](llvm::IRBuilder<> &b, llvm::ArrayRef<llvm::Value *> off) {
          return emitLoad(ec, b, t, k.buffers[1], off[0]);
        },
        [&](llvm::IRBuilder<> &b, llvm::Value *sum) -> llvm::Value * {
          if (op != OpKind::ReduceMean)
            return sum;
          return b.CreateFDiv(
              sum, emitConstant(ec, t, static_cast<double>(redCount)));
        });
    return k.finish(rows, work);
  }
  llvm::AllocaInst *acc = k.stackSlot(ec.valueType(t), "acc");
  emitNest(
      k.b, k.begin, k.end, keptDims, outer,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        b.CreateStore(emitConstant(ec, t, identity), acc);
        llvm::Value *inBase =
            b.CreateInBoundsGEP(ec.storageType(t), k.buffers[1], offsets[1]);
        emitNest(b, b.getInt64(0), b.getInt64(redDims.empty() ? 1 : redDims[0]),
                 redDims, inner,
                 [&](llvm::ArrayRef<llvm::Value *> inOff,
                     llvm::ArrayRef<llvm::Value *>) {
                   llvm::Value *x = emitLoad(ec, b, t, inBase, inOff[0]);
                   llvm::Value *a = b.CreateLoad(ec.valueType(t), acc);
                   llvm::Value *r;
                   if (op == OpKind::ReduceSum || op == OpKind::ReduceMean) {
                     if (f) {
                       llvm::IRBuilder<>::FastMathFlagGuard guard(b);
                       llvm::FastMathFlags fmf;
                       fmf.setAllowReassoc();
                       b.setFastMathFlags(fmf);
                       r = b.CreateFAdd(a, x);
                     } else {
                       r = b.CreateAdd(a, x);
                     }
                   } else {
                     bool isMax = op == OpKind::ReduceMax;
                     r = emitScalarOp(ec, b,
                                      isMax ? OpKind::Maximum : OpKind::Minimum,
                                      {t, t}, t, node.attr(), {a, x});
                   }
                   b.CreateStore(r, acc);
                 });
        llvm::Value *result = b.CreateLoad(ec.valueType(t), acc);
        if (op == OpKind::ReduceMean)
          result = b.CreateFDiv(
              result, emitConstant(ec, t, static_cast<double>(redCount)));
        emitStore(ec, b, t, result, k.buffers[0], offsets[0]);
      });
  return k.finish(rows, work);
}

/// argmax: first index of the maximum; a NaN beats every number.
KernelCall emitArgmax(EmitContext &ec, const Node &node, int idx) {
  const Value *in = node.operand(0), *out = node.result();
  const Shape &inShape = in->type().shape;
  int64_t axis =
      normalizeAxis(node.attr().getInt("axis"), inShape.size(), "argmax");
  std::vector<int64_t> inStrides = contiguous(inShape);
  std::vector<int64_t> keptDims, keptStrides;
  for (size_t d = 0; d < inShape.size(); ++d)
    if ((int64_t)d != axis) {
      keptDims.push_back(inShape[d]);
      keptStrides.push_back(inStrides[d]);
    }
  std::vector<Access> outer = {{contiguous(keptDims), 0}, {keptStrides, 0}};
  collapseDims(keptDims, outer);
  DType t = in->type().dtype;
  bool f = isFloat(t);

  KernelBuilder k(ec, kernelName(node, idx), {out, in});
  llvm::AllocaInst *best = k.stackSlot(ec.valueType(t), "best");
  llvm::AllocaInst *bestIdx = k.stackSlot(ec.i64(), "bestIdx");
  emitNest(
      k.b, k.begin, k.end, keptDims, outer,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        llvm::Value *inBase =
            b.CreateInBoundsGEP(ec.storageType(t), k.buffers[1], offsets[1]);
        b.CreateStore(emitLoad(ec, b, t, inBase, b.getInt64(0)), best);
        b.CreateStore(b.getInt64(0), bestIdx);
        emitLoop(
            b, b.getInt64(1), b.getInt64(inShape[axis]), [&](llvm::Value *i) {
              llvm::Value *x =
                  emitLoad(ec, b, t, inBase,
                           b.CreateMul(i, b.getInt64(inStrides[axis])));
              llvm::Value *cur = b.CreateLoad(ec.valueType(t), best);
              llvm::Value *better;
              if (f)
                better = b.CreateOr(b.CreateFCmpOGT(x, cur),
                                    b.CreateAnd(b.CreateFCmpUNO(x, x),
                                                b.CreateFCmpORD(cur, cur)));
              else
                better = t == DType::U8 ? b.CreateICmpUGT(x, cur)
                                        : b.CreateICmpSGT(x, cur);
              b.CreateStore(b.CreateSelect(better, x, cur), best);
              b.CreateStore(
                  b.CreateSelect(better, i, b.CreateLoad(ec.i64(), bestIdx)),
                  bestIdx);
            });
        emitStore(ec, b, DType::I64, b.CreateLoad(ec.i64(), bestIdx),
                  k.buffers[0], offsets[0]);
      });
  int64_t rows = keptDims.empty() ? 1 : keptDims[0];
  return k.finish(rows, product(keptDims) / std::max<int64_t>(1, rows) *
                            inShape[axis]);
}

/// gather: numpy.take. An index outside [-dim, dim) records the node and the
/// index in the status block and reads element 0 instead.
KernelCall emitGather(EmitContext &ec, const Node &node, int idx) {
  const Value *data = node.operand(0), *indices = node.operand(1);
  const Value *out = node.result();
  const Shape &dataShape = data->type().shape,
              &idxShape = indices->type().shape;
  int64_t axis =
      normalizeAxis(node.attr().getInt("axis"), dataShape.size(), "gather");
  std::vector<int64_t> dataStrides = contiguous(dataShape);
  std::vector<int64_t> idxStrides = contiguous(idxShape);
  std::vector<int64_t> dims;
  Access outA{contiguous(out->type().shape), 0}, idxA, dataA;
  for (int64_t d = 0; d < axis; ++d) {
    dims.push_back(dataShape[d]);
    idxA.strides.push_back(0);
    dataA.strides.push_back(dataStrides[d]);
  }
  for (size_t d = 0; d < idxShape.size(); ++d) {
    dims.push_back(idxShape[d]);
    idxA.strides.push_back(idxStrides[d]);
    dataA.strides.push_back(0);
  }
  for (size_t d = axis + 1; d < dataShape.size(); ++d) {
    dims.push_back(dataShape[d]);
    idxA.strides.push_back(0);
    dataA.strides.push_back(dataStrides[d]);
  }
  std::vector<Access> accesses = {outA, idxA, dataA};
  collapseDims(dims, accesses);
  DType t = data->type().dtype, it = indices->type().dtype;
  int64_t extent = dataShape[axis];

  KernelBuilder k(ec, kernelName(node, idx), {out, indices, data},
                  /*wantStatus=*/true);
  emitNest(k.b, k.begin, k.end, dims, accesses,
           [&](llvm::ArrayRef<llvm::Value *> offsets,
               llvm::ArrayRef<llvm::Value *>) {
             llvm::IRBuilder<> &b = k.b;
             llvm::Value *i =
                 emitCast(ec, b, emitLoad(ec, b, it, k.buffers[1], offsets[1]),
                          it, DType::I64);
             auto [wrapped, bad] = emitIndexCheck(k, i, extent, idx);
             llvm::Value *safe = b.CreateSelect(bad, b.getInt64(0), wrapped);
             llvm::Value *off = b.CreateAdd(
                 offsets[2], b.CreateMul(safe, b.getInt64(dataStrides[axis])));
             emitStore(ec, b, t, emitLoad(ec, b, t, k.buffers[2], off),
                       k.buffers[0], offsets[0]);
           });
  int64_t rows = dims.empty() ? 1 : dims[0];
  return k.finish(rows, product(dims) / std::max<int64_t>(1, rows));
}

/// one_hot: per index, a row of `depth` elements, 1 at the index and 0
/// elsewhere. An index outside [0, depth) records the node and the index in
/// the status block and gives a row of zeros.
KernelCall emitOneHot(EmitContext &ec, const Node &node, int idx) {
  const Value *indices = node.operand(0), *out = node.result();
  int64_t depth = out->type().shape.back();
  int64_t count = indices->type().numElements();
  DType t = out->type().dtype, it = indices->type().dtype;
  KernelBuilder k(ec, kernelName(node, idx), {out, indices},
                  /*wantStatus=*/true);
  emitLoop(k.b, k.begin, k.end, [&](llvm::Value *row) {
    llvm::IRBuilder<> &b = k.b;
    llvm::Value *i =
        emitCast(ec, b, emitLoad(ec, b, it, k.buffers[1], row), it, DType::I64);
    emitIndexCheck(k, i, depth, idx, /*wrapNegative=*/false);
    llvm::Value *base = b.CreateMul(row, b.getInt64(depth));
    emitLoop(
        b, b.getInt64(0), b.getInt64(depth),
        [&](llvm::Value *c) {
          llvm::Value *hit = b.CreateICmpEQ(c, i);
          llvm::Value *v = b.CreateSelect(hit, emitConstant(ec, t, 1),
                                          emitConstant(ec, t, 0));
          emitStore(ec, b, t, v, k.buffers[0], b.CreateAdd(base, c));
        },
        "c", /*vectorize=*/true);
  });
  return k.finish(count, depth);
}

/// SplitMix64's finalizer in IR (ir/Random.h's mix64).
llvm::Value *emitMix64(llvm::IRBuilder<> &b, llvm::Value *z) {
  z = b.CreateMul(b.CreateXor(z, b.CreateLShr(z, 30)), b.getInt64(kMix1));
  z = b.CreateMul(b.CreateXor(z, b.CreateLShr(z, 27)), b.getInt64(kMix2));
  return b.CreateXor(z, b.CreateLShr(z, 31));
}

/// dropout(x, step): the elements in rows of kDropoutRow, each drawing its
/// number from its flat index (ir/Random.h), as the interpreter does.
KernelCall emitDropout(EmitContext &ec, const Node &node, int idx) {
  constexpr int64_t kDropoutRow = 4096;
  const Value *x = node.operand(0), *out = node.result();
  DType t = out->type().dtype;
  int64_t n = out->type().numElements();
  AttrReader attrs = node.attr();
  double rate = attrs.getFloat("rate");
  uint64_t seed = (uint64_t)attrs.getInt("seed");
  KernelBuilder k(ec, kernelName(node, idx), {out, x, node.operand(1)});
  llvm::IRBuilder<> &b = k.b;
  llvm::Value *step = b.CreateLoad(ec.i64(), k.buffers[2]);
  llvm::Value *key =
      emitMix64(b, b.CreateAdd(b.getInt64(seed * kGolden), step));
  llvm::Value *scale =
      t == DType::F32
          ? llvm::ConstantFP::get(ec.valueType(t), (float)(1.0 / (1.0 - rate)))
          : llvm::ConstantFP::get(ec.valueType(t), 1.0 / (1.0 - rate));
  llvm::Value *zero = emitConstant(ec, t, 0);
  llvm::Value *first = b.CreateMul(k.begin, b.getInt64(kDropoutRow));
  llvm::Value *last = b.CreateMul(k.end, b.getInt64(kDropoutRow));
  last =
      b.CreateSelect(b.CreateICmpSLT(last, b.getInt64(n)), last, b.getInt64(n));
  emitLoop(
      b, first, last,
      [&](llvm::Value *i) {
        llvm::Value *z =
            emitMix64(b, b.CreateAdd(key, b.CreateMul(i, b.getInt64(kGolden))));
        llvm::Value *keep = b.CreateICmpUGE(b.CreateLShr(z, 40),
                                            b.getInt64(dropoutThreshold(rate)));
        llvm::Value *v = emitLoad(ec, b, t, k.buffers[1], i);
        emitStore(ec, b, t, b.CreateSelect(keep, b.CreateFMul(v, scale), zero),
                  k.buffers[0], i);
      },
      "i", /*vectorize=*/true);
  return k.finish((n + kDropoutRow - 1) / kDropoutRow, kDropoutRow);
}

} // namespace

std::vector<KernelCall> emitNodeKernels(EmitContext &ec, const Node &node,
                                        int idx) {
  // A node with an empty result needs no code.
  if (node.result()->type().numElements() == 0)
    return {};
  switch (node.op()) {
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
  case OpKind::Select:
  case OpKind::Cast:
  case OpKind::StopGradient:
    return {emitElementwise(ec, node, idx)};
  case OpKind::Constant:
    return {}; // global data, no kernel
  case OpKind::Iota:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::BroadcastTo:
  case OpKind::Slice:
  case OpKind::Concat:
  case OpKind::Pad:
    return emitDataMovement(ec, node, idx);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return {emitReduce(ec, node, idx)};
  case OpKind::Argmax:
    return {emitArgmax(ec, node, idx)};
  case OpKind::Gather:
    return {emitGather(ec, node, idx)};
  case OpKind::OneHot:
    return {emitOneHot(ec, node, idx)};
  case OpKind::MatMul:
    return emitMatMul(ec, node, idx, MatMulOperand{node.operand(0)},
                      MatMulOperand{node.operand(1)});
  case OpKind::Conv2D:
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
    return emitConv2D(ec, node, idx);
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return emitPool2D(ec, node, idx);
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
    return emitPool2DGrad(ec, node, idx);
  case OpKind::ScatterAdd:
    return emitScatterAdd(ec, node, idx);
  case OpKind::Dropout:
    return {emitDropout(ec, node, idx)};
  case OpKind::Attention:
    return {emitAttention(ec, node, idx)};
  case OpKind::Scan:
    // A loop in the entry around the body's kernels (ScanEmitter.cpp).
    internalError(node.describe(), " reached the kernel emitter");
  }
  __builtin_unreachable();
}

} // namespace adjoint::codegen
