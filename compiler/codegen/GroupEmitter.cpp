//===- GroupEmitter.cpp - One fusion group as one LLVM kernel -------------===//
//
// A fused kernel is one loop nest over the group's iteration space
// (IndexMap.h). Group inputs are loaded through flat affine accesses, every
// member is computed in registers at the point where a consumer needs it,
// and group outputs are stored after every value of the point is computed,
// so that an output written over an input's buffer (read at the same
// element) never clobbers an element still to be read.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/GroupEmitter.h"

#include "compiler/codegen/ScalarEmitter.h"
#include "compiler/passes/IndexMap.h"
#include "ir/Error.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace adjoint::codegen {

namespace {

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// The members of a group, their maps, and the loads they need.
class GroupExprs {
public:
  GroupExprs(EmitContext &ec, const FusionGroup &group,
             const IterationSpace &space)
      : ec_(ec), group_(group), maps_(memberMaps(group, space)) {
    for (size_t i = 0; i < group.nodes.size(); ++i)
      memberOf_[group.nodes[i]->result()] = i;
  }

  /// Reads of `anchor`'s result load `carrier`'s buffer, where the runtime
  /// computed it (Epilogue groups).
  void readAnchorFrom(const Node *anchor, const Value *carrier) {
    memberOf_.erase(anchor->result());
    anchorResult_ = anchor->result();
    carrier_ = carrier;
  }

  /// Records the loads that computing `v` through `m` needs.
  void collect(const Value *v, const IndexMap &m) {
    auto it = memberOf_.find(v);
    if (it == memberOf_.end()) {
      leafIndex(source(v), flatten(m, v->type().shape), true);
      return;
    }
    size_t mi = mapIndex(it->second, m);
    if (!collected_.insert({it->second, mi}).second)
      return;
    const Node &n = *group_.nodes[it->second];
    if (n.op() == OpKind::Reshape) {
      leafIndex(n.operand(0), flatten(operandMap(n, 0, m), {}), true);
      return;
    }
    for (size_t k = 0; k < n.operands().size(); ++k)
      collect(n.operand(k), operandMap(n, k, m));
  }

  /// The loads: one access per (value, flat map).
  const std::vector<std::pair<const Value *, FlatMap>> &leaves() const {
    return leaves_;
  }

  /// Emits `v` through `m` at the current point; `load(i)` loads leaf i.
  llvm::Value *emit(llvm::IRBuilder<> &b, const Value *v, const IndexMap &m,
                    const std::function<llvm::Value *(size_t)> &load,
                    std::map<std::pair<size_t, size_t>, llvm::Value *> &memo) {
    auto it = memberOf_.find(v);
    if (it == memberOf_.end())
      return load(leafIndex(source(v), flatten(m, v->type().shape), false));
    size_t mi = mapIndex(it->second, m);
    auto known = memo.find({it->second, mi});
    if (known != memo.end())
      return known->second;
    const Node &n = *group_.nodes[it->second];
    llvm::Value *r = nullptr;
    switch (n.op()) {
    case OpKind::Reshape:
      r = load(
          leafIndex(n.operand(0), flatten(operandMap(n, 0, m), {}), false));
      break;
    case OpKind::BroadcastTo:
    case OpKind::Transpose:
    case OpKind::Slice:
      r = emit(b, n.operand(0), operandMap(n, 0, m), load, memo);
      break;
    default: {
      std::vector<llvm::Value *> args;
      std::vector<DType> types;
      for (size_t k = 0; k < n.operands().size(); ++k) {
        args.push_back(emit(b, n.operand(k), operandMap(n, k, m), load, memo));
        types.push_back(n.operand(k)->type().dtype);
      }
      r = emitScalarOp(ec_, b, n.op(), types, n.result()->type().dtype,
                       n.attr(), args);
    }
    }
    memo[{it->second, mi}] = r;
    return r;
  }

private:
  EmitContext &ec_;
  const FusionGroup &group_;
  std::vector<std::vector<IndexMap>> maps_;
  std::unordered_map<const Value *, size_t> memberOf_;
  std::set<std::pair<size_t, size_t>> collected_;
  std::vector<std::pair<const Value *, FlatMap>> leaves_;
  const Value *anchorResult_ = nullptr, *carrier_ = nullptr;

  const Value *source(const Value *v) const {
    return v == anchorResult_ ? carrier_ : v;
  }

  size_t mapIndex(size_t member, const IndexMap &m) {
    const auto &maps = maps_[member];
    auto it = std::find(maps.begin(), maps.end(), m);
    assert(it != maps.end() && "a member visited through an unknown map");
    return (size_t)(it - maps.begin());
  }
  size_t leafIndex(const Value *v, const FlatMap &f, bool add) {
    for (size_t i = 0; i < leaves_.size(); ++i)
      if (leaves_[i].first == v && leaves_[i].second.strides == f.strides &&
          leaves_[i].second.offset == f.offset)
        return i;
    assert(add && "a load that was not collected");
    (void)add;
    leaves_.push_back({v, f});
    return leaves_.size() - 1;
  }
};

/// The buffers of a kernel: outputs first, then each distinct leaf value;
/// `bufferOf[i]` is the buffer of leaf i.
struct Buffers {
  std::vector<const Value *> values;
  std::vector<size_t> bufferOf;
};

Buffers collectBuffers(const std::vector<const Value *> &outputs,
                       const GroupExprs &exprs) {
  Buffers bufs;
  bufs.values = outputs;
  for (const auto &[v, f] : exprs.leaves()) {
    auto it =
        std::find(bufs.values.begin() + outputs.size(), bufs.values.end(), v);
    bufs.bufferOf.push_back((size_t)(it - bufs.values.begin()));
    if (it == bufs.values.end())
      bufs.values.push_back(v);
  }
  return bufs;
}

} // namespace

std::string groupName(const FusionGroup &group, int groupIndex) {
  const Node *last = group.anchor ? group.anchor : group.nodes.back();
  return "g" + std::to_string(groupIndex) + "." +
         std::string(opName(last->op())) + ".x" +
         std::to_string(group.nodes.size());
}

double reductionIdentity(OpKind op, DType t) {
  bool f = isFloat(t);
  if (op == OpKind::ReduceMax)
    return f ? -INFINITY : t == DType::U8 ? 0.0 : -1e300;
  if (op == OpKind::ReduceMin)
    return f ? INFINITY : 1e300; // converted with saturation
  return 0;
}

llvm::Value *emitAccumulate(EmitContext &ec, llvm::IRBuilder<> &b, OpKind op,
                            DType t, llvm::Value *acc, llvm::Value *x) {
  if (op == OpKind::ReduceSum) {
    if (!isFloat(t))
      return b.CreateAdd(acc, x);
    // Float sums may be reassociated, so that the loop vectorizes.
    llvm::IRBuilder<>::FastMathFlagGuard guard(b);
    llvm::FastMathFlags fmf;
    fmf.setAllowReassoc();
    b.setFastMathFlags(fmf);
    return b.CreateFAdd(acc, x);
  }
  if (isFloat(t))
    // NaN-propagating, and recognized by the loop vectorizer as a reduction.
    return b.CreateBinaryIntrinsic(op == OpKind::ReduceMax
                                       ? llvm::Intrinsic::maximum
                                       : llvm::Intrinsic::minimum,
                                   acc, x);
  return emitScalarOp(
      ec, b, op == OpKind::ReduceMax ? OpKind::Maximum : OpKind::Minimum,
      {t, t}, t, AttrReader(OpKind::Maximum, {}), {acc, x});
}

namespace {

KernelCall emitLoopGroup(EmitContext &ec, const FusionGroup &group,
                         int groupIndex) {
  IterationSpace space = iterationSpace(group);
  GroupExprs exprs(ec, group, space);
  IndexMap id = identityMap(space.dims.size());
  for (const Value *out : group.outputs)
    exprs.collect(out, id);
  Buffers bufs = collectBuffers(group.outputs, exprs);
  std::vector<Access> accesses;
  FlatMap self = flatten(id, space.dims);
  for (size_t i = 0; i < group.outputs.size(); ++i)
    accesses.push_back({self.strides, 0});
  for (const auto &leaf : exprs.leaves())
    accesses.push_back({leaf.second.strides, leaf.second.offset});
  std::vector<int64_t> dims = space.dims;
  collapseDims(dims, accesses);

  KernelBuilder k(ec, groupName(group, groupIndex), bufs.values);
  size_t nOut = group.outputs.size();
  // A group that reads its operands transposed (a transpose; the sum of a
  // weight's gradients over the steps of an unrolled sequence, then
  // transposed) walks them contiguously, in blocks of 64 rows when that
  // puts the rows innermost, rather than gathering every operand.
  size_t inner = contiguousDim(
      dims, accesses, nOut, (int64_t)dtypeSize(group.outputs[0]->type().dtype));
  // A short innermost loop that every access walks contiguously (the 32
  // columns of an attention head turned to another layout) is vectorized
  // as it is: left to LLVM, it was unrolled whole and the loop around it
  // vectorized instead, into gathers, three times slower.
  bool shortRun =
      dims.size() >= 2 && dims.back() < 128 &&
      std::all_of(accesses.begin(), accesses.end(), [](const Access &a) {
        return a.strides.back() == 0 || a.strides.back() == 1;
      });
  auto nest = [&](auto body) {
    if (!dims.empty() && inner + 1 != dims.size())
      emitNestInner(
          k.b, k.begin, k.end, dims, accesses, inner, 64,
          [&](llvm::ArrayRef<llvm::Value *> offsets) { body(offsets, {}); });
    else
      emitNest(k.b, k.begin, k.end, dims, accesses, body, shortRun, shortRun);
  };
  nest([&](llvm::ArrayRef<llvm::Value *> offsets,
           llvm::ArrayRef<llvm::Value *>) {
    std::map<std::pair<size_t, size_t>, llvm::Value *> memo;
    auto load = [&](size_t leaf) {
      const Value *v = exprs.leaves()[leaf].first;
      return emitLoad(ec, k.b, v->type().dtype, k.buffers[bufs.bufferOf[leaf]],
                      offsets[nOut + leaf]);
    };
    std::vector<llvm::Value *> results;
    for (const Value *out : group.outputs)
      results.push_back(exprs.emit(k.b, out, id, load, memo));
    for (size_t i = 0; i < nOut; ++i)
      emitStore(ec, k.b, group.outputs[i]->type().dtype, results[i],
                k.buffers[i], offsets[i]);
  });
  int64_t rows = dims.empty() ? 1 : dims[0];
  return k.finish(rows, product(dims) / std::max<int64_t>(1, rows));
}

KernelCall emitReductionGroup(EmitContext &ec, const FusionGroup &group,
                              int groupIndex) {
  const Node &r = *group.anchor;
  const Value *out = r.result(), *in = r.operand(0);
  IterationSpace space = iterationSpace(group);
  GroupExprs exprs(ec, group, space);
  IndexMap inMap = reductionOperandMap(space);
  exprs.collect(in, inMap);
  Buffers bufs = collectBuffers({out}, exprs);

  size_t kept = space.keptRank;
  std::vector<int64_t> keptDims(space.dims.begin(), space.dims.begin() + kept);
  std::vector<int64_t> redDims(space.dims.begin() + kept, space.dims.end());
  std::vector<Access> outer = {{stridesOf(keptDims), 0}}, inner;
  for (const auto &leaf : exprs.leaves()) {
    const auto &s = leaf.second.strides;
    outer.push_back({std::vector<int64_t>(s.begin(), s.begin() + kept),
                     leaf.second.offset});
    inner.push_back({std::vector<int64_t>(s.begin() + kept, s.end()), 0});
  }
  collapseDims(keptDims, outer);
  collapseDims(redDims, inner);

  DType t = in->type().dtype;
  OpKind op = r.op();
  double identity = reductionIdentity(op, t);

  KernelBuilder k(ec, groupName(group, groupIndex), bufs.values);
  int64_t rows = keptDims.empty() ? 1 : keptDims[0];
  int64_t work = product(keptDims) / std::max<int64_t>(1, rows) *
                 std::max<int64_t>(1, product(redDims));
  // A reduction over outer axes of values contiguous along the one kept
  // axis (a bias gradient: the sum over the batch of [batch, n]) runs the
  // other way round: for each reduced point, a vectorizable pass over the
  // kept elements, which accumulate in the output. Each element still
  // accumulates its terms in the same order.
  bool columns = keptDims.size() == 1 && !redDims.empty() && keptDims[0] > 1;
  for (size_t leaf = 0; columns && leaf < exprs.leaves().size(); ++leaf)
    columns =
        (outer[1 + leaf].strides[0] == 0 || outer[1 + leaf].strides[0] == 1) &&
        inner[leaf].strides.back() != 1;
  if (columns) {
    llvm::IRBuilder<> &b = k.b;
    emitLoop(b, k.begin, k.end, [&](llvm::Value *c) {
      emitStore(ec, b, t, emitConstant(ec, t, identity), k.buffers[0], c);
    });
    emitNest(b, b.getInt64(0), b.getInt64(redDims[0]), redDims, inner,
             [&](llvm::ArrayRef<llvm::Value *> inOff,
                 llvm::ArrayRef<llvm::Value *>) {
               emitLoop(
                   b, k.begin, k.end,
                   [&](llvm::Value *c) {
                     std::map<std::pair<size_t, size_t>, llvm::Value *> memo;
                     auto load = [&](size_t leaf) {
                       const Value *v = exprs.leaves()[leaf].first;
                       llvm::Value *off =
                           b.CreateAdd(b.getInt64(outer[1 + leaf].offset),
                                       inOff[leaf], "", true, true);
                       if (outer[1 + leaf].strides[0] == 1)
                         off = b.CreateAdd(off, c, "", true, true);
                       return emitLoad(ec, b, v->type().dtype,
                                       k.buffers[bufs.bufferOf[leaf]], off);
                     };
                     llvm::Value *x = exprs.emit(b, in, inMap, load, memo);
                     llvm::Value *cur = emitLoad(ec, b, t, k.buffers[0], c);
                     emitStore(ec, b, t, emitAccumulate(ec, b, op, t, cur, x),
                               k.buffers[0], c);
                   },
                   "c", /*vectorize=*/true);
             });
    return k.finish(rows, work);
  }
  if (op == OpKind::ReduceSum && isFloat(t) && !redDims.empty()) {
    emitLaneSums(ec, k, t, keptDims, outer, redDims, inner,
                 [&](llvm::IRBuilder<> &b, llvm::ArrayRef<llvm::Value *> off) {
                   std::map<std::pair<size_t, size_t>, llvm::Value *> memo;
                   auto load = [&](size_t leaf) {
                     const Value *v = exprs.leaves()[leaf].first;
                     return emitLoad(ec, b, v->type().dtype,
                                     k.buffers[bufs.bufferOf[leaf]], off[leaf]);
                   };
                   return exprs.emit(b, in, inMap, load, memo);
                 });
    return k.finish(rows, work);
  }
  llvm::AllocaInst *acc = k.stackSlot(ec.valueType(t), "acc");
  emitNest(
      k.b, k.begin, k.end, keptDims, outer,
      [&](llvm::ArrayRef<llvm::Value *> outOff, llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        b.CreateStore(emitConstant(ec, t, identity), acc);
        emitNest(b, b.getInt64(0), b.getInt64(redDims.empty() ? 1 : redDims[0]),
                 redDims, inner,
                 [&](llvm::ArrayRef<llvm::Value *> inOff,
                     llvm::ArrayRef<llvm::Value *>) {
                   std::map<std::pair<size_t, size_t>, llvm::Value *> memo;
                   auto load = [&](size_t leaf) {
                     const Value *v = exprs.leaves()[leaf].first;
                     llvm::Value *off =
                         b.CreateAdd(outOff[1 + leaf], inOff[leaf]);
                     return emitLoad(ec, b, v->type().dtype,
                                     k.buffers[bufs.bufferOf[leaf]], off);
                   };
                   llvm::Value *x = exprs.emit(b, in, inMap, load, memo);
                   llvm::Value *next = emitAccumulate(
                       ec, b, op, t, b.CreateLoad(ec.valueType(t), acc), x);
                   b.CreateStore(next, acc);
                 });
        emitStore(ec, b, t, b.CreateLoad(ec.valueType(t), acc), k.buffers[0],
                  outOff[0]);
      });
  return k.finish(rows, work);
}

/// Collapses the dimensions after the first (the first stays: kernels
/// cover blocks of it).
void collapseInner(std::vector<int64_t> &dims, std::vector<Access> &accesses) {
  if (dims.empty())
    return;
  std::vector<int64_t> inner(dims.begin() + 1, dims.end());
  std::vector<Access> rest;
  for (const Access &a : accesses)
    rest.push_back(
        {std::vector<int64_t>(a.strides.begin() + 1, a.strides.end()), 0});
  collapseDims(inner, rest);
  dims.resize(1);
  dims.insert(dims.end(), inner.begin(), inner.end());
  for (size_t i = 0; i < accesses.size(); ++i) {
    accesses[i].strides.resize(1);
    accesses[i].strides.insert(accesses[i].strides.end(),
                               rest[i].strides.begin(), rest[i].strides.end());
  }
}

/// A matmul or conv2d computed by one call of the runtime's kernel, which
/// runs the elementwise epilogue on each part of the product as soon as
/// that part is final, from the thread that computed it, while it is in
/// that core's cache: each tile of C for a matmul (rows and columns), each
/// image for a convolution (rows of the iteration space). The epilogue is a
/// tile kernel of its own (KernelBuilder::Form::Tile) that the runtime calls
/// back with the entry's slots as context. The product is computed in its
/// own buffer when the group writes it, else in the buffer of an output of
/// its type that is no input's. A matmul without such a buffer (its
/// epilogue updates weights in place, say) is never stored: the runtime
/// keeps each tile of it in a buffer of its own and hands the tile to the
/// epilogue (adjoint_rt_gemm_tiles_*), which reads the product there.
KernelCall
emitEpilogueGroup(EmitContext &ec, const FusionGroup &group, int groupIndex,
                  const std::unordered_map<const Node *, int> &nodeIndex) {
  const Node &anchor = *group.anchor;
  const Value *product = anchor.result();
  const Value *carrier = nullptr;
  if (std::find(group.outputs.begin(), group.outputs.end(), product) !=
      group.outputs.end())
    carrier = product;
  for (const Value *out : group.outputs)
    if (!carrier && out->type() == product->type() && !ec.inPlace.count(out) &&
        (!group.trailing || out != group.trailing->result()))
      carrier = out;
  bool isMatMul = anchor.op() == OpKind::MatMul;
  bool inTiles = !carrier;
  assert((carrier || isMatMul) && "a convolution without a buffer");
  if (inTiles)
    carrier = product; // read from the runtime's tile

  IterationSpace space = iterationSpace(group);
  GroupExprs exprs(ec, group, space);
  exprs.readAnchorFrom(&anchor, carrier);
  IndexMap id = identityMap(space.dims.size());
  // The trailing pool's result is its own kernel's (below).
  const Value *pooled = group.trailing ? group.trailing->result() : nullptr;
  std::vector<const Value *> computed;
  for (const Value *out : group.outputs)
    if (out != product && out != pooled) {
      computed.push_back(out);
      exprs.collect(out, id);
    }
  // Buffers: the computed outputs, the carrier if it is the product, the
  // leaves, then the anchor's operands.
  std::vector<const Value *> written = computed;
  if (carrier == product && !inTiles)
    written.push_back(product);
  Buffers bufs = collectBuffers(written, exprs);
  auto bufferOf = [&](const Value *v) {
    auto it = std::find(bufs.values.begin(), bufs.values.end(), v);
    if (it == bufs.values.end()) {
      bufs.values.push_back(v);
      return bufs.values.size() - 1;
    }
    return (size_t)(it - bufs.values.begin());
  };
  size_t carrierBuf = bufferOf(carrier);
  // A matmul reads the views it absorbed with the GEMM's strides and flags.
  MatMulOperand va{anchor.operand(0)}, vb{anchor.operand(1)};
  if (isMatMul) {
    va = matmulOperand(group, anchor, 0);
    vb = matmulOperand(group, anchor, 1);
  }
  size_t aBuf = bufferOf(va.value), bBuf = bufferOf(vb.value);

  std::vector<Access> accesses;
  FlatMap self = flatten(id, space.dims);
  for (size_t i = 0; i < computed.size(); ++i)
    accesses.push_back({self.strides, 0});
  for (const auto &leaf : exprs.leaves())
    accesses.push_back({leaf.second.strides, leaf.second.offset});
  std::vector<int64_t> dims = space.dims;
  // A batch of products sharing b is one GEMM whose tiles are rows of all
  // entries: its space keeps its dimensions for emitFlatRowsTileNest.
  bool batched = isMatMul && dims.size() > 2;
  if (!batched)
    collapseInner(dims, accesses);

  std::string name = groupName(group, groupIndex);
  DType t = product->type().dtype;

  // The epilogue over rows [begin, end) (and, for a matmul whose columns
  // did not collapse away, columns [colBegin, colEnd)).
  llvm::Function *epilogue = nullptr;
  if (!computed.empty()) {
    KernelBuilder e(ec, name + ".epilogue", bufs.values, false,
                    inTiles ? KernelBuilder::Form::TileProduct
                            : KernelBuilder::Form::Tile,
                    product);
    size_t nOut = computed.size();
    // A tile of the runtime's starts at element (r0, c0) of the product.
    llvm::Value *tileStart = nullptr;
    if (inTiles) {
      MatMulDims d = matmulDims(anchor.operand(0)->type().shape,
                                anchor.operand(1)->type().shape);
      tileStart =
          e.b.CreateAdd(e.b.CreateMul(e.begin, e.b.getInt64(d.n)), e.colBegin);
    }
    auto point = [&](llvm::ArrayRef<llvm::Value *> offsets,
                     llvm::ArrayRef<llvm::Value *>) {
      std::map<std::pair<size_t, size_t>, llvm::Value *> memo;
      auto load = [&](size_t leaf) {
        const Value *v = exprs.leaves()[leaf].first;
        llvm::Value *offset = offsets[nOut + leaf];
        if (inTiles && v == product)
          offset = e.b.CreateSub(offset, tileStart, "", true, true);
        return emitLoad(ec, e.b, v->type().dtype,
                        e.buffers[bufs.bufferOf[leaf]], offset);
      };
      std::vector<llvm::Value *> results;
      for (const Value *v : computed)
        results.push_back(exprs.emit(e.b, v, id, load, memo));
      for (size_t i = 0; i < nOut; ++i)
        emitStore(ec, e.b, computed[i]->type().dtype, results[i], e.buffers[i],
                  offsets[i]);
    };
    if (batched)
      emitFlatRowsTileNest(e.b, e.begin, e.end, e.colBegin, e.colEnd, dims,
                           accesses, point);
    else if (isMatMul && dims.size() == 2)
      emitTileNest(e.b, e.begin, e.end, e.colBegin, e.colEnd, dims, accesses,
                   point);
    else
      emitNest(e.b, e.begin, e.end, dims, accesses, point);
    epilogue = e.finish(1, 1).fn;
  }

  // A trailing pool runs on each image right after the epilogue: its own
  // kernel, over that image's planes (rows of the pool kernel are the
  // [N*C] planes), called by a callback that calls the epilogue first.
  if (const Node *pool = group.trailing) {
    std::vector<KernelCall> pools =
        emitNodeKernels(ec, *pool, nodeIndex.at(pool));
    int64_t planes = pool->operand(0)->type().shape[1];
    llvm::Function *wrap = llvm::Function::Create(
        llvm::FunctionType::get(
            ec.voidTy(), {ec.i64(), ec.i64(), ec.i64(), ec.i64(), ec.ptr()},
            false),
        llvm::GlobalValue::InternalLinkage, ec.prefix + name + ".then_pool",
        ec.module);
    wrap->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> wb(llvm::BasicBlock::Create(ec.ctx, "entry", wrap));
    llvm::Value *r0 = wrap->getArg(0), *r1 = wrap->getArg(1),
                *slots = wrap->getArg(4);
    if (epilogue)
      wb.CreateCall(epilogue,
                    {r0, r1, wrap->getArg(2), wrap->getArg(3), slots});
    for (const KernelCall &call : pools)
      wb.CreateCall(call.fn, {wb.CreateMul(r0, wb.getInt64(planes)),
                              wb.CreateMul(r1, wb.getInt64(planes)), slots});
    wb.CreateRetVoid();
    epilogue = wrap;
  }

  // The product kept in tiles has no slot: the kernel that calls the
  // runtime then takes only the operands.
  std::vector<const Value *> callValues = bufs.values;
  if (inTiles)
    callValues = {va.value, vb.value};
  KernelBuilder k(ec, name, callValues, false, KernelBuilder::Form::RowsSlots);
  llvm::IRBuilder<> &b = k.b;
  llvm::Value *null =
      llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ec.ctx));
  llvm::Value *fn = epilogue ? (llvm::Value *)epilogue : null;
  llvm::Value *ctx = epilogue ? k.slots : null;
  // A batch sharing b is one GEMM over the rows of every entry, which
  // readThroughViews keeps one stride apart.
  int64_t lda = 0, ldb = 0;
  auto gemmDims = [&] {
    MatMulDims d = matmulDims(anchor.operand(0)->type().shape,
                              anchor.operand(1)->type().shape);
    lda = operandRowStride(va, va.transposed ? d.m : d.k);
    ldb = operandRowStride(vb, vb.transposed ? d.k : d.n);
    if (!d.batch.empty()) {
      std::optional<int64_t> rows = rowStrideAcrossBatch(va, d.m, d.k);
      if (!rows)
        internalError("the batched product of ", anchor.describe(),
                      " is not one GEMM");
      lda = *rows;
    }
    for (int64_t x : d.batch)
      d.m *= x;
    return d;
  };
  if (inTiles) {
    assert(epilogue && "a product kept in tiles that nothing reads");
    MatMulDims d = gemmDims();
    b.CreateCall(declareRuntimeGemmTiles(ec, t),
                 {b.getInt64(d.m), b.getInt64(d.n), b.getInt64(d.k),
                  operandStart(ec, b, t, k.buffers[0], va), b.getInt64(lda),
                  b.getInt32(va.transposed),
                  operandStart(ec, b, t, k.buffers[1], vb), b.getInt64(ldb),
                  b.getInt32(vb.transposed), fn, ctx});
  } else if (isMatMul) {
    llvm::Value *out = k.buffers[carrierBuf];
    MatMulDims d = gemmDims();
    std::vector<llvm::Value *> args = {
        b.getInt64(d.m),
        b.getInt64(d.n),
        b.getInt64(d.k),
        operandStart(ec, b, t, k.buffers[aBuf], va),
        b.getInt64(lda),
        b.getInt32(va.transposed),
        operandStart(ec, b, t, k.buffers[bBuf], vb),
        b.getInt64(ldb),
        b.getInt32(vb.transposed),
        out,
        b.getInt64(d.n),
        b.getInt32(0),
        fn,
        ctx};
    if (std::optional<FixedB> fixed =
            fixedWeights(ec, vb.value, d.m, d.k, d.n, t, name)) {
      args.push_back(fixed->buffer);
      args.push_back(b.getInt64(fixed->capacity));
      b.CreateCall(declareRuntimeGemmFixedB(ec, t), args);
    } else {
      b.CreateCall(declareRuntimeGemmEx(ec, t), args);
    }
  } else {
    const Shape &xs = anchor.operand(0)->type().shape,
                &ws = anchor.operand(1)->type().shape;
    Window2D win = convWindow(anchor.attr(), xs, ws);
    std::vector<llvm::Value *> args = {k.buffers[aBuf], k.buffers[bBuf],
                                       k.buffers[carrierBuf]};
    for (int64_t v : {xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                      win.strideH, win.strideW, win.padTop, win.padLeft,
                      win.padBottom, win.padRight, win.dilationH, win.dilationW,
                      anchor.attr().getInt("groups"), win.outH, win.outW})
      args.push_back(b.getInt64(v));
    args.push_back(fn);
    args.push_back(ctx);
    b.CreateCall(declareRuntimeConvEx(ec, t), args);
  }
  KernelCall call = k.finish(1, 1);
  call.serial = true;
  return call;
}

} // namespace

std::vector<KernelCall>
emitGroupKernels(EmitContext &ec, const FusionGroup &group, int groupIndex,
                 const std::unordered_map<const Node *, int> &nodeIndex) {
  switch (group.kind) {
  case GroupKind::Loop:
    if (group.outputs.empty() || group.outputs[0]->type().numElements() == 0)
      return {};
    return {emitLoopGroup(ec, group, groupIndex)};
  case GroupKind::Reduction:
    if (group.outputs.empty() ||
        group.anchor->result()->type().numElements() == 0)
      return {};
    return {emitReductionGroup(ec, group, groupIndex)};
  case GroupKind::Epilogue:
    if (group.anchor->result()->type().numElements() == 0)
      return {};
    return {emitEpilogueGroup(ec, group, groupIndex, nodeIndex)};
  case GroupKind::Row: {
    bool any = false;
    for (const Value *v : group.outputs)
      any |= v->type().numElements() > 0;
    if (!any)
      return {};
    return {emitRowGroup(ec, group, groupIndex)};
  }
  case GroupKind::Single:
    break;
  }
  if (group.anchor && group.anchor->op() == OpKind::MatMul) {
    // A matmul with the transposes it absorbed, which no kernel computes.
    const Node &mm = *group.anchor;
    if (mm.result()->type().numElements() == 0)
      return {};
    return emitMatMul(ec, mm, nodeIndex.at(&mm), matmulOperand(group, mm, 0),
                      matmulOperand(group, mm, 1));
  }
  std::vector<KernelCall> calls;
  for (const Node *n : group.nodes)
    for (KernelCall &call : emitNodeKernels(ec, *n, nodeIndex.at(n)))
      calls.push_back(call);
  return calls;
}

} // namespace adjoint::codegen
