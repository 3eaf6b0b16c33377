//===- RowFusion.cpp - Row groups: softmax-like kernels -------------------===//
#include "compiler/passes/RowFusion.h"

#include "ir/ShapeInference.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace adjoint {

namespace {

bool isReduce(OpKind op) {
  return op == OpKind::ReduceSum || op == OpKind::ReduceMean ||
         op == OpKind::ReduceMax || op == OpKind::ReduceMin;
}

/// The layout of a reduction over the innermost axes of its operand (all
/// of them makes one row).
std::optional<RowLayout> reductionLayout(const Node &n) {
  if (!isReduce(n.op()))
    return std::nullopt;
  const Shape &in = n.operand(0)->type().shape;
  std::vector<int64_t> axes = reductionAxes(n.attr(), in.size());
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (axes.empty() || axes.size() > in.size())
    return std::nullopt;
  size_t outer = in.size() - axes.size();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != (int64_t)(outer + i))
      return std::nullopt;
  return RowLayout{in, outer};
}

bool sameLayout(const RowLayout &a, const RowLayout &b) {
  return a.full == b.full && a.outerRank == b.outerRank;
}

bool isFull(const RowLayout &layout, const Value *v) {
  return v->type().shape == layout.full;
}

/// Whether `n` may join a Row group of `layout`.
bool fits(const RowLayout &layout, const Node &n) {
  if (isReduce(n.op())) {
    std::optional<RowLayout> l = reductionLayout(n);
    return l && sameLayout(*l, layout);
  }
  if (!opDef(n.op()).has(Elementwise))
    return false;
  return isFull(layout, n.result()) || isRowValue(layout, n.result());
}

/// Whether the member `c` reads the member value `v` (its operand `k`) at
/// the point where the Row kernel holds `v`.
bool edgeFits(const RowLayout &layout, const Node &c, size_t k,
              const Value *v) {
  if (isReduce(c.op()))
    return isFull(layout, v);
  return operandMap(c, k, rowMap(layout, c.result())) == rowMap(layout, v);
}

class RowFinder {
public:
  RowFinder(const Graph &g, const std::unordered_set<const Value *> &donated)
      : g_(g), donated_(donated) {
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      const Node *n = g.nodes()[i].get();
      index_[n] = i;
      for (const Value *v : n->operands())
        if (const Node *p = v->definingNode())
          consumers_[p].push_back(n);
    }
  }

  std::vector<std::vector<const Node *>> run() {
    std::vector<std::vector<const Node *>> groups;
    for (const auto &node : g_.nodes()) {
      const Node *seed = node.get();
      std::optional<RowLayout> layout = reductionLayout(*seed);
      if (!layout || taken_.count(seed) || donated_.count(seed->result()))
        continue;
      int64_t inner = 1;
      for (size_t d = layout->outerRank; d < layout->full.size(); ++d)
        inner *= layout->full[d];
      if (inner <= 1 || inner > kMaxRowElements)
        continue;
      std::vector<const Node *> members = grow(*layout, seed);
      if (!worthIt(members))
        continue;
      std::sort(members.begin(), members.end(),
                [&](auto *a, auto *b) { return index_.at(a) < index_.at(b); });
      for (const Node *n : members)
        taken_.insert(n);
      groups.push_back(std::move(members));
    }
    return groups;
  }

private:
  const Graph &g_;
  const std::unordered_set<const Value *> &donated_;
  std::unordered_map<const Node *, size_t> index_;
  std::unordered_map<const Node *, std::vector<const Node *>> consumers_;
  std::unordered_set<const Node *> taken_;

  /// True when no path leaves `set` and comes back into it.
  bool convex(const std::unordered_set<const Node *> &set) {
    size_t last = 0;
    for (const Node *n : set)
      last = std::max(last, index_.at(n));
    std::vector<const Node *> stack;
    std::unordered_set<const Node *> seen;
    for (const Node *n : set)
      for (const Node *c : consumers_[n])
        if (!set.count(c) && seen.insert(c).second)
          stack.push_back(c);
    while (!stack.empty()) {
      const Node *n = stack.back();
      stack.pop_back();
      if (index_.at(n) > last)
        continue;
      for (const Node *c : consumers_[n]) {
        if (set.count(c))
          return false;
        if (seen.insert(c).second)
          stack.push_back(c);
      }
    }
    return true;
  }

  bool joins(const RowLayout &layout, std::unordered_set<const Node *> &set,
             const Node *n) {
    if (set.count(n) || taken_.count(n) || donated_.count(n->result()) ||
        !fits(layout, *n))
      return false;
    for (size_t k = 0; k < n->operands().size(); ++k) {
      const Node *p = n->operand(k)->definingNode();
      if (p && set.count(p) && !edgeFits(layout, *n, k, n->operand(k)))
        return false;
    }
    for (const Node *c : consumers_[n])
      if (set.count(c))
        for (size_t k = 0; k < c->operands().size(); ++k)
          if (c->operand(k) == n->result() &&
              !edgeFits(layout, *c, k, n->result()))
            return false;
    set.insert(n);
    if (convex(set))
      return true;
    set.erase(n);
    return false;
  }

  std::vector<const Node *> grow(const RowLayout &layout, const Node *seed) {
    std::unordered_set<const Node *> set = {seed};
    std::vector<const Node *> members = {seed}, queue = {seed};
    while (!queue.empty()) {
      const Node *m = queue.back();
      queue.pop_back();
      std::vector<const Node *> near;
      for (const Value *v : m->operands())
        if (const Node *p = v->definingNode())
          near.push_back(p);
      for (const Node *c : consumers_[m])
        near.push_back(c);
      for (const Node *n : near)
        if (joins(layout, set, n)) {
          members.push_back(n);
          queue.push_back(n);
        }
    }
    return members;
  }

  /// A Row group pays when it saves a kernel: two reductions, or a value
  /// computed from a per-row result.
  static bool worthIt(const std::vector<const Node *> &members) {
    std::unordered_set<const Node *> set(members.begin(), members.end());
    int reductions = 0;
    bool usesRowResult = false;
    for (const Node *n : members) {
      reductions += isReduce(n->op());
      if (!isReduce(n->op()))
        for (const Value *v : n->operands())
          usesRowResult |= v->definingNode() && set.count(v->definingNode()) &&
                           isReduce(v->definingNode()->op());
    }
    return reductions >= 2 || usesRowResult;
  }
};

} // namespace

RowLayout rowLayout(const FusionGroup &group) {
  for (const Node *n : group.nodes)
    if (std::optional<RowLayout> l = reductionLayout(*n))
      return *l;
  return {};
}

bool isRowValue(const RowLayout &layout, const Value *v) {
  const Shape &s = v->type().shape;
  size_t q = layout.outerRank;
  if (s.size() < q || layout.full.size() < q ||
      !std::equal(layout.full.begin(), layout.full.begin() + q, s.begin()))
    return false;
  if (s.size() == q)
    return true;
  if (s.size() != layout.full.size())
    return false;
  return std::all_of(s.begin() + q, s.end(), [](int64_t d) { return d == 1; });
}

IndexMap rowMap(const RowLayout &layout, const Value *v) {
  size_t rank = layout.full.size();
  if (isFull(layout, v))
    return identityMap(rank);
  IndexMap m;
  m.cols = rank;
  size_t rows = v->type().shape.size();
  for (size_t d = 0; d < rows; ++d) {
    std::vector<int64_t> row(rank, 0);
    if (d < layout.outerRank)
      row[d] = 1;
    m.coef.push_back(row);
    m.offset.push_back(0);
  }
  return m;
}

std::vector<std::vector<const Node *>>
findRowGroups(const Graph &g,
              const std::unordered_set<const Value *> &donated) {
  return RowFinder(g, donated).run();
}

} // namespace adjoint
