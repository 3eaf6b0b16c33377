//===- EliminateCommonSubexpressions.cpp - Merging of equal nodes ---------===//
#include "compiler/passes/EliminateCommonSubexpressions.h"

#include "ir/GraphCopy.h"

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

/// The operands in the order a key uses: sorted for a commutative pair, so
/// add(a, b) and add(b, a) meet.
std::vector<Value *> canonicalOperands(OpKind op, std::vector<Value *> ops) {
  if (opDef(op).has(Commutative) && ops.size() == 2 &&
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

/// A node of the new graph, under its canonical operands.
struct Entry {
  const Node *node;
  std::vector<Value *> operands;
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
    uint64_t h = hashNode(node->op(), key, node->attrs(), type);
    std::vector<Entry> &bucket = seen[h];
    Value *same = nullptr;
    for (const Entry &e : bucket)
      if (e.node->op() == node->op() && e.operands == key &&
          e.node->result()->type() == type && e.node->attrs() == node->attrs()) {
        same = e.node->result();
        break;
      }
    if (same) {
      rb.map(node->result(), same);
      continue;
    }
    Value *copy = rb.copy(*node, std::move(operands));
    bucket.push_back(Entry{copy->definingNode(), std::move(key)});
  }
  g = rb.finish();
}

} // namespace adjoint
