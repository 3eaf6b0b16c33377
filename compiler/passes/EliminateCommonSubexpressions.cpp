//===- EliminateCommonSubexpressions.cpp - Merging of equal nodes ---------===//
#include "compiler/passes/EliminateCommonSubexpressions.h"

#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace adjoint {

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  // FNV-1a over the 8 bytes of `v`.
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t hashBytes(uint64_t h, const std::byte *bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= (uint64_t)bytes[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/// Whether swapping the operands of `op` never changes a bit of its result
/// (NaN payloads aside). maximum and minimum are commutative in value but
/// return their first operand when the two compare equal, so maximum(-0, +0)
/// is -0 and maximum(+0, -0) is +0.
bool swapsExactly(OpKind op) {
  return opDef(op).has(Commutative) && op != OpKind::Maximum &&
         op != OpKind::Minimum;
}

/// The operands in the order a key uses: sorted for a commutative pair, so
/// add(a, b) and add(b, a) meet.
std::vector<Value *> canonicalOperands(OpKind op, std::vector<Value *> ops) {
  if (swapsExactly(op) && ops.size() == 2 &&
      std::less<Value *>()(ops[1], ops[0]))
    std::swap(ops[0], ops[1]);
  return ops;
}

uint64_t hashNode(OpKind op, const std::vector<Value *> &operands,
                  const Attributes &attrs, const TensorType &type) {
  uint64_t h = mix(0xcbf29ce484222325ull, (uint64_t)op);
  for (const Value *v : operands)
    h = mix(h, (uint64_t)(uintptr_t)v);
  h = mix(h, (uint64_t)type.dtype);
  for (int64_t d : type.shape)
    h = mix(h, (uint64_t)d);
  // Constants differ by their data alone; other attributes are few and
  // compared in full on a hash match.
  if (op == OpKind::Constant) {
    const Tensor &t = AttrReader(op, attrs).getTensor("value");
    h = hashBytes(h, t.bytes(), t.byteSize());
  }
  return h;
}

/// The attributes as the op reads them, so that two spellings of one
/// computation compare equal: defaults written out, reduction axes
/// normalized and sorted (absent: all of them), single axes normalized, and
/// the default transpose permutation spelled out.
Attributes canonicalAttributes(const Node &node) {
  OpKind op = node.op();
  Attributes attrs;
  for (const AttrSpec &spec : opDef(op).attrs) {
    if (const AttrValue *v = node.attrs().find(spec.name))
      attrs.set(spec.name, *v);
    else if (spec.defaultValue)
      attrs.set(spec.name, *spec.defaultValue);
  }
  AttrReader r = node.attr();
  size_t rank = node.operands().empty() ? 0 : node.operand(0)->type().rank();
  if (op == OpKind::ReduceSum || op == OpKind::ReduceMax ||
      op == OpKind::ReduceMin)
    attrs.set("axes", reductionAxes(r, rank));
  else if (op == OpKind::Argmax || op == OpKind::Concat || op == OpKind::Gather)
    attrs.set("axis", normalizeAxis(r.getInt("axis"), rank, "axis"));
  else if (op == OpKind::Transpose)
    attrs.set("perm", transposePerm(r, rank));
  return attrs;
}

/// A node of the new graph, under its canonical operands and attributes.
struct Entry {
  const Node *node;
  std::vector<Value *> operands;
  Attributes attrs;
};

} // namespace

void eliminateCommonSubexpressions(Graph &g) {
  GraphRebuilder rb(g);
  std::unordered_map<uint64_t, std::vector<Entry>> seen;
  for (const auto &node : g.nodes()) {
    std::vector<Value *> operands = rb.mappedOperands(*node);
    if (opDef(node->op()).has(HasSideEffect)) {
      rb.copy(*node, std::move(operands));
      continue;
    }
    std::vector<Value *> key = canonicalOperands(node->op(), operands);
    const TensorType &type = node->result()->type();
    Attributes attrs = canonicalAttributes(*node);
    uint64_t h = hashNode(node->op(), key, node->attrs(), type);
    std::vector<Entry> &bucket = seen[h];
    Value *same = nullptr;
    for (const Entry &e : bucket)
      if (e.node->op() == node->op() && e.operands == key &&
          e.node->result()->type() == type && e.attrs == attrs) {
        same = e.node->result();
        break;
      }
    if (same) {
      rb.map(node->result(), same);
      continue;
    }
    Value *copy = rb.copy(*node, std::move(operands));
    bucket.push_back(
        Entry{copy->definingNode(), std::move(key), std::move(attrs)});
  }
  g = rb.finish();
}

} // namespace adjoint
