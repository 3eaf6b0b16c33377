//===- RowEmitter.cpp - A Row group as one LLVM kernel --------------------===//
//
// Per row of the outer dimensions, a Row kernel runs its phases in order.
// Phase p is one loop over the inner dimensions that computes the full
// values of phase p and accumulates the reductions of phase p; between the
// loops, the per-row values whose inputs are ready are computed once. A
// full value read in a later phase is stored when computed (in its output
// buffer, or in a one-row scratch buffer on the stack) and loaded again.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/GroupEmitter.h"

#include "compiler/codegen/ScalarEmitter.h"
#include "compiler/passes/RowFusion.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <map>

namespace adjoint::codegen {

namespace {

bool isReduce(OpKind op) {
  return op == OpKind::ReduceSum || op == OpKind::ReduceMean ||
         op == OpKind::ReduceMax || op == OpKind::ReduceMin;
}

/// Rows shorter than this run as one masked vector loop (no scalar tail).
constexpr int64_t kShortRow = 64;
/// Rows of at most this many elements, when there are several rows, are
/// unrolled element by element and the loop over rows is vectorized
/// instead: a vector holds one element of as many rows as it has lanes,
/// so a row's reductions are plain adds and maxes across its elements'
/// vectors, with no reduction across lanes between its phases. A softmax
/// cross-entropy over 10 classes at batch 32 (the loss and its gradient,
/// one kernel) took 1.67 us as a masked vector per row, a long chain of
/// horizontal reductions, exp and log for every row. The choice does not
/// depend on the number of rows, which may be the batch: a model compiled
/// for every batch must do at each batch what its static compile does.
constexpr int64_t kAcrossRowsElements = 16;

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

struct Member {
  const Node *node;
  bool full;           ///< computed in an inner loop (else once per row)
  int phase = 0;       ///< full values and reductions: the loop computing them
  int ready = 0;       ///< per-row values: computed before loop `ready`
  bool stored = false; ///< read again by a later loop
  int storage = -1;    ///< the access of its output or scratch row
};

class RowKernel {
public:
  RowKernel(EmitContext &ec, const FusionGroup &group, int groupIndex)
      : ec_(ec), group_(group), layout_(rowLayout(group)),
        name_(groupName(group, groupIndex)) {}

  KernelCall emit();

private:
  EmitContext &ec_;
  const FusionGroup &group_;
  RowLayout layout_;
  std::string name_;
  std::vector<Member> members_;
  std::unordered_map<const Value *, size_t> memberOf_;
  int phases_ = 0;
  /// Accesses: output buffers, leaves, then scratch rows (no value).
  std::vector<const Value *> accessValue_;
  std::vector<FlatMap> accessMap_;
  std::vector<DType> accessType_;
  std::vector<size_t> bufferOfAccess_;
  std::vector<const Value *> buffers_;
  std::vector<DType> scratchTypes_;

  llvm::IRBuilder<> *b_ = nullptr;
  std::vector<llvm::Value *> buf_;
  std::vector<llvm::Value *> outOff_, inOff_;
  std::map<const Value *, llvm::Value *> rowMemo_, pointMemo_;
  int current_ = 0;

  void plan();
  size_t access(const Value *v, const FlatMap &f) {
    for (size_t i = 0; i < accessValue_.size(); ++i)
      if (accessValue_[i] == v && accessMap_[i].strides == f.strides &&
          accessMap_[i].offset == f.offset)
        return i;
    accessValue_.push_back(v);
    accessMap_.push_back(f);
    accessType_.push_back(v->type().dtype);
    return accessValue_.size() - 1;
  }
  FlatMap operandFlat(const Node &n, size_t k) {
    // A reduction reads its (full) operand at every point.
    IndexMap m = isReduce(n.op())
                     ? identityMap(layout_.full.size())
                     : operandMap(n, k, rowMap(layout_, n.result()));
    return flatten(m, n.operand(k)->type().shape);
  }
  llvm::Value *offset(size_t a, bool inLoop) {
    return inLoop ? b_->CreateAdd(outOff_[a], inOff_[a]) : outOff_[a];
  }
  llvm::Value *loadAccess(size_t a, bool inLoop) {
    return emitLoad(ec_, *b_, accessType_[a], buf_[bufferOfAccess_[a]],
                    offset(a, inLoop));
  }
  void storeAccess(size_t a, llvm::Value *v, bool inLoop) {
    emitStore(ec_, *b_, accessType_[a], v, buf_[bufferOfAccess_[a]],
              offset(a, inLoop));
  }
  llvm::Value *operandValue(const Node &n, size_t k, bool inLoop);
  llvm::Value *fullValue(const Value *v);
  llvm::Value *compute(const Node &n, bool inLoop);
};

void RowKernel::plan() {
  for (const Node *n : group_.nodes) {
    bool reduce = isReduce(n->op());
    Member m{n, !reduce && n->result()->type().shape == layout_.full};
    for (const Value *v : n->operands()) {
      auto it = memberOf_.find(v);
      if (it == memberOf_.end())
        continue;
      const Member &p = members_[it->second];
      if (m.full || reduce)
        m.phase = std::max(m.phase, p.full ? p.phase : p.ready);
      else
        m.ready = std::max(m.ready, p.ready);
    }
    if (reduce)
      m.ready = m.phase + 1;
    if (m.full || reduce)
      phases_ = std::max(phases_, m.phase + 1);
    memberOf_[n->result()] = members_.size();
    members_.push_back(m);
  }
  for (const Value *out : group_.outputs)
    members_[memberOf_.at(out)].storage =
        (int)access(out, flatten(rowMap(layout_, out), out->type().shape));
  for (const Member &m : members_)
    for (size_t k = 0; k < m.node->operands().size(); ++k)
      if (!memberOf_.count(m.node->operand(k)))
        access(m.node->operand(k), operandFlat(*m.node, k));
  // Full values read in a later phase keep a row of scratch.
  for (const Member &c : members_)
    for (const Value *v : c.node->operands()) {
      auto it = memberOf_.find(v);
      if (it != memberOf_.end() && members_[it->second].full &&
          c.phase > members_[it->second].phase)
        members_[it->second].stored = true;
    }
  FlatMap row = flatten(identityMap(layout_.full.size()), layout_.full);
  for (size_t i = 0; i < layout_.outerRank; ++i)
    row.strides[i] = 0;
  size_t firstScratch = accessValue_.size();
  for (Member &m : members_)
    if (m.stored && m.storage < 0) {
      accessValue_.push_back(nullptr);
      accessMap_.push_back(row);
      accessType_.push_back(m.node->result()->type().dtype);
      scratchTypes_.push_back(m.node->result()->type().dtype);
      m.storage = (int)accessValue_.size() - 1;
    }
  for (size_t a = 0; a < firstScratch; ++a) {
    auto it = std::find(buffers_.begin(), buffers_.end(), accessValue_[a]);
    bufferOfAccess_.push_back((size_t)(it - buffers_.begin()));
    if (it == buffers_.end())
      buffers_.push_back(accessValue_[a]);
  }
  for (size_t a = firstScratch; a < accessValue_.size(); ++a)
    bufferOfAccess_.push_back(buffers_.size() + (a - firstScratch));
}

llvm::Value *RowKernel::operandValue(const Node &n, size_t k, bool inLoop) {
  const Value *v = n.operand(k);
  auto it = memberOf_.find(v);
  if (it == memberOf_.end())
    return loadAccess(access(v, operandFlat(n, k)), inLoop);
  if (members_[it->second].full)
    return fullValue(v);
  return rowMemo_.at(v);
}

llvm::Value *RowKernel::fullValue(const Value *v) {
  const Member &m = members_[memberOf_.at(v)];
  if (m.phase < current_)
    return loadAccess((size_t)m.storage, true);
  auto known = pointMemo_.find(v);
  if (known != pointMemo_.end())
    return known->second;
  llvm::Value *r = compute(*m.node, true);
  pointMemo_[v] = r;
  return r;
}

llvm::Value *RowKernel::compute(const Node &n, bool inLoop) {
  std::vector<llvm::Value *> args;
  std::vector<DType> types;
  for (size_t k = 0; k < n.operands().size(); ++k) {
    args.push_back(operandValue(n, k, inLoop));
    types.push_back(n.operand(k)->type().dtype);
  }
  return emitScalarOp(ec_, *b_, n.op(), types, n.result()->type().dtype,
                      n.attr(), args);
}

KernelCall RowKernel::emit() {
  plan();
  size_t q = layout_.outerRank;
  std::vector<int64_t> outer(layout_.full.begin(), layout_.full.begin() + q);
  std::vector<int64_t> inner(layout_.full.begin() + q, layout_.full.end());
  std::vector<Access> outerAcc, innerAcc;
  for (const FlatMap &f : accessMap_) {
    outerAcc.push_back(
        {std::vector<int64_t>(f.strides.begin(), f.strides.begin() + q),
         f.offset});
    innerAcc.push_back(
        {std::vector<int64_t>(f.strides.begin() + q, f.strides.end()), 0});
  }
  int64_t rowElements = product(inner);
  collapseDims(outer, outerAcc);
  collapseDims(inner, innerAcc);
  // One row (a batch of 1) is still a loop over rows, so that the kernel
  // computes it as it computes any number of rows.
  if (outer.empty() && !inner.empty() && rowElements <= kAcrossRowsElements) {
    outer = {1};
    for (Access &a : outerAcc)
      a.strides = {0};
  }
  bool acrossRows =
      !inner.empty() && !outer.empty() && rowElements <= kAcrossRowsElements;

  KernelBuilder k(ec_, name_, buffers_);
  b_ = &k.b;
  buf_ = k.buffers;
  for (DType t : scratchTypes_)
    buf_.push_back(
        k.stackSlot(llvm::ArrayType::get(ec_.storageType(t),
                                         std::max<int64_t>(1, rowElements)),
                    "row"));
  std::map<const Node *, llvm::AllocaInst *> acc;
  for (const Member &m : members_)
    if (isReduce(m.node->op()))
      acc[m.node] =
          k.stackSlot(ec_.valueType(m.node->result()->type().dtype), "acc");

  emitNest(
      k.b, k.begin, k.end, outer, outerAcc,
      [&](llvm::ArrayRef<llvm::Value *> outOff, llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        outOff_.assign(outOff.begin(), outOff.end());
        rowMemo_.clear();
        for (int p = 0; p <= phases_; ++p) {
          for (const Member &m : members_) {
            if (m.full || isReduce(m.node->op()) || m.ready != p)
              continue;
            llvm::Value *v = compute(*m.node, false);
            rowMemo_[m.node->result()] = v;
            if (m.storage >= 0)
              storeAccess((size_t)m.storage, v, false);
          }
          if (p == phases_)
            break;
          current_ = p;
          for (const Member &m : members_)
            if (isReduce(m.node->op()) && m.phase == p) {
              DType t = m.node->result()->type().dtype;
              b.CreateStore(
                  emitConstant(ec_, t, reductionIdentity(m.node->op(), t)),
                  acc.at(m.node));
            }
          auto point = [&](llvm::ArrayRef<llvm::Value *> inOff,
                           llvm::ArrayRef<llvm::Value *>) {
            inOff_.assign(inOff.begin(), inOff.end());
            pointMemo_.clear();
            std::vector<std::pair<size_t, llvm::Value *>> stores;
            for (const Member &m : members_)
              if (m.full && m.phase == p && m.storage >= 0)
                stores.push_back(
                    {(size_t)m.storage, fullValue(m.node->result())});
            for (const Member &m : members_) {
              if (!isReduce(m.node->op()) || m.phase != p)
                continue;
              DType t = m.node->result()->type().dtype;
              llvm::Value *x = operandValue(*m.node, 0, true);
              llvm::AllocaInst *a = acc.at(m.node);
              // A mean sums, and divides when the row is done.
              OpKind op = m.node->op() == OpKind::ReduceMean ? OpKind::ReduceSum
                                                             : m.node->op();
              b.CreateStore(emitAccumulate(ec_, b, op, t,
                                           b.CreateLoad(ec_.valueType(t), a),
                                           x),
                            a);
            }
            for (const auto &[at, v] : stores)
              storeAccess(at, v, true);
          };
          if (acrossRows) {
            // Every element at constant offsets; the scratch rows and
            // accumulators become values (SROA), the row loop vectorizes.
            std::vector<int64_t> index(inner.size(), 0);
            for (int64_t e = 0; e < rowElements; ++e) {
              std::vector<llvm::Value *> inOff;
              for (const Access &a : innerAcc) {
                int64_t off = 0;
                for (size_t d = 0; d < inner.size(); ++d)
                  off += index[d] * a.strides[d];
                inOff.push_back(b.getInt64(off));
              }
              point(inOff, {});
              for (size_t d = inner.size(); d-- > 0;) {
                if (++index[d] < inner[d])
                  break;
                index[d] = 0;
              }
            }
          } else {
            emitNest(b, b.getInt64(0), b.getInt64(inner.empty() ? 1 : inner[0]),
                     inner, innerAcc, point, /*vectorize=*/true,
                     /*foldTail=*/!inner.empty() && inner.back() < kShortRow);
          }
          for (const Member &m : members_) {
            if (!isReduce(m.node->op()) || m.phase != p)
              continue;
            DType t = m.node->result()->type().dtype;
            llvm::Value *v = b.CreateLoad(ec_.valueType(t), acc.at(m.node));
            if (m.node->op() == OpKind::ReduceMean) {
              // The count of the reduced elements (0/0 = NaN when none).
              const Value *in = m.node->operand(0);
              int64_t count = 1;
              for (int64_t axis :
                   reductionAxes(m.node->attr(), in->type().rank()))
                count *= in->type().shape[axis];
              v = b.CreateFDiv(v, emitConstant(ec_, t, (double)count));
            }
            rowMemo_[m.node->result()] = v;
            if (m.storage >= 0)
              storeAccess((size_t)m.storage, v, false);
          }
        }
      },
      /*vectorize=*/acrossRows);
  int64_t rows = outer.empty() ? 1 : outer[0];
  return k.finish(rows, product(outer) / std::max<int64_t>(1, rows) *
                            std::max<int64_t>(1, rowElements) *
                            std::max(1, phases_));
}

} // namespace

KernelCall emitRowGroup(EmitContext &ec, const FusionGroup &group,
                        int groupIndex) {
  return RowKernel(ec, group, groupIndex).emit();
}

} // namespace adjoint::codegen
