//===- FusionPlan.cpp - Kernels of a graph: groups of fused nodes ---------===//
#include "compiler/passes/FusionPlan.h"

#include "ir/Error.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

namespace adjoint {

namespace {

bool isConstantGroup(const FusionGroup &group) {
  return std::all_of(group.nodes.begin(), group.nodes.end(),
                     [](const Node *n) { return n->op() == OpKind::Constant; });
}

} // namespace

int FusionPlan::kernelCount() const {
  return (int)std::count_if(
      groups.begin(), groups.end(),
      [](const FusionGroup &group) { return !isConstantGroup(group); });
}

namespace {

bool isMember(const FusionGroup &group, const Node *n) {
  return n && std::find(group.nodes.begin(), group.nodes.end(), n) !=
                  group.nodes.end();
}

/// The single mode of an axis, {1, 0} for extent 1; nullopt when its modes
/// do not coalesce into one.
std::optional<Mode> singleMode(const std::vector<Mode> &axis) {
  std::vector<Mode> modes = coalesce(axis);
  if (modes.size() > 1)
    return std::nullopt;
  return modes.empty() ? Mode{1, 0} : modes.front();
}

bool hasZeroExtent(const Shape &s) {
  return std::find(s.begin(), s.end(), 0) != s.end();
}

/// The chain of member views under operand k of `anchor`, nearest first.
std::vector<const Node *> memberViews(const FusionGroup &group,
                                      const Node &anchor, size_t k) {
  std::vector<const Node *> views;
  const Node *def = anchor.operand(k)->definingNode();
  while (isMember(group, def) && isViewOp(def->op())) {
    views.push_back(def);
    def = def->operand(0)->definingNode();
  }
  return views;
}

} // namespace

std::optional<MatMulOperand>
readThroughViews(const Node &matmul, size_t k,
                 const std::vector<const Node *> &views) {
  MatMulOperand read{matmul.operand(k)};
  if (views.empty())
    return read;
  const Shape &logical = matmul.operand(k)->type().shape;
  const Value *stored = views.back()->operand(0);
  size_t rank = logical.size();
  if (rank < 2 || hasZeroExtent(logical) || hasZeroExtent(stored->type().shape))
    return std::nullopt;
  StridedView view = contiguousView(stored->type().shape);
  for (auto it = views.rbegin(); it != views.rend(); ++it) {
    std::optional<StridedView> next = applyView(view, **it);
    if (!next)
      return std::nullopt;
    view = std::move(*next);
  }
  std::optional<Mode> rows = singleMode(view.axes[rank - 2]),
                      cols = singleMode(view.axes[rank - 1]);
  if (!rows || !cols)
    return std::nullopt;
  int64_t height = logical[rank - 2], width = logical[rank - 1];
  // One of the matrix's axes must be contiguous: its rows (read as they
  // are) or its columns (read transposed); the other's stride is the
  // GEMM's leading dimension.
  int64_t ld = 0, dense = 0;
  if (width == 1 || cols->stride == 1) {
    ld = height == 1 ? width : rows->stride;
    dense = width;
  } else if (height == 1 || rows->stride == 1) {
    read.transposed = true;
    ld = width == 1 ? height : cols->stride;
    dense = height;
  } else {
    return std::nullopt;
  }
  if (ld < dense)
    return std::nullopt;
  read.value = stored;
  read.offset = view.offset;
  read.rowStride = ld == dense ? 0 : ld;
  // Batch entries one after the other, each a dense matrix, need no modes.
  std::vector<Mode> entries;
  for (size_t d = 0; d + 2 < rank; ++d)
    entries.insert(entries.end(), view.axes[d].begin(), view.axes[d].end());
  entries = coalesce(entries);
  bool denseEntries =
      entries.empty() ||
      (entries.size() == 1 && entries.front().stride == height * width);
  if (!denseEntries || (rank > 2 && read.rowStride != 0)) {
    read.stridedBatch = true;
    for (size_t d = 0; d + 2 < rank; ++d)
      read.batchModes.push_back(coalesce(view.axes[d]));
  }
  if (!isFloat(matmul.result()->type().dtype) &&
      (read.offset || read.rowStride || read.stridedBatch))
    return std::nullopt;
  MatMulDims d = matmulDims(matmul.operand(0)->type().shape,
                            matmul.operand(1)->type().shape);
  bool sharedB = std::all_of(d.batchB.begin(), d.batchB.end(),
                             [](int64_t x) { return x == 1; });
  int64_t batch = 1;
  for (int64_t x : d.batch)
    batch *= x;
  if (k == 0 && sharedB && batch > 1 && !rowStrideAcrossBatch(read, d.m, d.k))
    return std::nullopt;
  return read;
}

std::optional<int64_t> rowStrideAcrossBatch(const MatMulOperand &o, int64_t m,
                                            int64_t k) {
  if (o.transposed)
    return std::nullopt;
  int64_t ld = o.rowStride ? o.rowStride : k;
  if (!o.stridedBatch)
    return ld;
  std::vector<Mode> modes;
  for (const auto &axis : o.batchModes)
    modes.insert(modes.end(), axis.begin(), axis.end());
  modes.push_back({m, ld});
  modes = coalesce(modes);
  if (modes.size() > 1)
    return std::nullopt;
  // One row in all (every extent 1) is read with any stride.
  return modes.empty() ? ld : modes.front().stride;
}

std::vector<const Node *>
absorbableViews(const Node &matmul, size_t k,
                const std::function<bool(const Node &)> &usable) {
  std::vector<const Node *> chain, best;
  const Node *def = matmul.operand(k)->definingNode();
  while (def && isViewOp(def->op()) && usable(*def)) {
    chain.push_back(def);
    if (readThroughViews(matmul, k, chain))
      best = chain;
    def = def->operand(0)->definingNode();
  }
  return best;
}

MatMulOperand matmulOperand(const FusionGroup &group, const Node &anchor,
                            size_t k) {
  if (&anchor != group.anchor || anchor.op() != OpKind::MatMul)
    return MatMulOperand{anchor.operand(k)};
  std::optional<MatMulOperand> read =
      readThroughViews(anchor, k, memberViews(group, anchor, k));
  if (!read)
    internalError("fusion plan: ", anchor.describe(),
                  " absorbed views of operand ", k, " it cannot read");
  return *read;
}

bool isAbsorbedOperand(const FusionGroup &group, const Node &n) {
  if (!group.anchor || group.anchor->op() != OpKind::MatMul ||
      !isMember(group, &n))
    return false;
  for (size_t k = 0; k < 2; ++k) {
    std::vector<const Node *> views = memberViews(group, *group.anchor, k);
    if (std::find(views.begin(), views.end(), &n) != views.end())
      return true;
  }
  return false;
}

const char *groupKindName(GroupKind kind) {
  switch (kind) {
  case GroupKind::Loop:
    return "loop";
  case GroupKind::Reduction:
    return "reduction";
  case GroupKind::Row:
    return "row";
  case GroupKind::Epilogue:
    return "epilogue";
  case GroupKind::Single:
    return "single";
  }
  __builtin_unreachable();
}

std::string printFusionPlan(const FusionPlan &plan) {
  std::ostringstream os;
  auto names = [&](const std::vector<const Value *> &values) {
    std::string s;
    for (const Value *v : values)
      s += (s.empty() ? "%" : ", %") + v->name();
    return s.empty() ? std::string("-") : s;
  };
  os << "# fusion: " << plan.kernelCount() << " kernels in "
     << plan.groups.size() << " groups\n";
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusionGroup &group = plan.groups[i];
    os << "# group " << i << " (" << groupKindName(group.kind) << "):";
    for (const Node *n : group.nodes)
      os << " %" << n->result()->name() << "=" << opName(n->op());
    if (group.trailing)
      os << ", then on each image %" << group.trailing->result()->name() << "="
         << opName(group.trailing->op());
    os << "\n#   reads " << names(group.inputs) << "; writes "
       << names(group.outputs) << "\n";
  }
  for (const FusionDecision &d : plan.rejected)
    os << "# not fused: " << d.producer->describe() << " -> "
       << d.consumer->describe() << ": " << d.reason << "\n";
  return os.str();
}

FusionPlan unfusedPlan(const Graph &g) {
  FusionPlan plan;
  for (const auto &node : g.nodes()) {
    FusionGroup group;
    group.kind = GroupKind::Single;
    group.nodes = {node.get()};
    plan.groups.push_back(std::move(group));
  }
  completePlan(g, plan);
  return plan;
}

void completePlan(const Graph &g, FusionPlan &plan) {
  plan.groupOf.clear();
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    for (const Node *n : plan.groups[i].nodes)
      plan.groupOf[n] = (int)i;
    if (const Node *t = plan.groups[i].trailing)
      plan.groupOf[t] = (int)i;
  }
  std::unordered_set<const Value *> graphOutputs;
  for (const Output &o : g.outputs())
    graphOutputs.insert(o.value);
  // The groups that read each value.
  std::unordered_map<const Value *, std::vector<int>> readers;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    for (const Node *n : plan.groups[i].nodes)
      for (const Value *v : n->operands())
        readers[v].push_back((int)i);
    if (const Node *t = plan.groups[i].trailing)
      for (const Value *v : t->operands())
        readers[v].push_back((int)i);
  }

  for (size_t i = 0; i < plan.groups.size(); ++i) {
    FusionGroup &group = plan.groups[i];
    group.inputs.clear();
    group.outputs.clear();
    group.inPlaceCandidates.clear();
    std::unordered_set<const Node *> members(group.nodes.begin(),
                                             group.nodes.end());
    std::unordered_set<const Value *> seen;
    for (const Node *n : group.nodes)
      for (const Value *v : n->operands()) {
        const Node *def = v->definingNode();
        if ((!def || !members.count(def)) && seen.insert(v).second)
          group.inputs.push_back(v);
      }
    // A trailing pool reads a result of the group from memory, and its own
    // result is the group's like any other.
    const Value *pooled = group.trailing ? group.trailing->operand(0) : nullptr;
    std::vector<const Node *> producers = group.nodes;
    if (group.trailing)
      producers.push_back(group.trailing);
    for (const Node *n : producers) {
      const Value *r = n->result();
      auto it = readers.find(r);
      bool readOutside =
          it != readers.end() &&
          std::any_of(it->second.begin(), it->second.end(),
                      [&](int reader) { return reader != (int)i; });
      if (readOutside || graphOutputs.count(r) || r == pooled)
        group.outputs.push_back(r);
    }
    // A single elementwise node may overwrite a same-shaped operand.
    if (group.nodes.size() == 1 && group.outputs.size() == 1) {
      const Node *n = group.nodes[0];
      if (opDef(n->op()).has(Elementwise))
        for (const Value *v : n->operands())
          if (v->type().shape == n->result()->type().shape &&
              dtypeSize(v->type().dtype) ==
                  dtypeSize(n->result()->type().dtype))
            group.inPlaceCandidates.push_back({n->result(), v});
    }
  }
}

void checkPlan(const Graph &g, const FusionPlan &plan) {
  std::unordered_map<const Node *, int> position;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    std::vector<const Node *> all = plan.groups[i].nodes;
    if (const Node *t = plan.groups[i].trailing) {
      all.push_back(t);
      const FusionGroup &group = plan.groups[i];
      if (group.kind != GroupKind::Epilogue ||
          group.anchor->op() != OpKind::Conv2D ||
          (t->op() != OpKind::MaxPool2D && t->op() != OpKind::AvgPool2D) ||
          std::find(group.outputs.begin(), group.outputs.end(),
                    t->operand(0)) == group.outputs.end())
        internalError("fusion plan: ", t->describe(), " trails group ", i,
                      ", which is no convolution's "
                      "epilogue writing what it reads");
    }
    for (const Node *n : all) {
      if (!position.emplace(n, (int)i).second)
        internalError("fusion plan: ", n->describe(), " is in two groups");
    }
  }
  for (const auto &node : g.nodes()) {
    auto it = position.find(node.get());
    if (it == position.end())
      internalError("fusion plan: ", node->describe(), " is in no group");
    for (const Value *v : node->operands()) {
      const Node *def = v->definingNode();
      if (def && position.at(def) > it->second)
        internalError("fusion plan: ", node->describe(), " in group ",
                      it->second, " reads ", def->describe(),
                      " of the later group ", position.at(def));
    }
  }
  if (position.size() != g.nodes().size())
    internalError("fusion plan: nodes of another graph");
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusionGroup &group = plan.groups[i];
    for (const Node *n : group.nodes)
      if (isAbsorbedOperand(group, *n) &&
          std::find(group.outputs.begin(), group.outputs.end(), n->result()) !=
              group.outputs.end())
        internalError("fusion plan: the absorbed ", n->describe(),
                      " is written by group ", i);
    auto it = plan.groupOf.find(
        plan.groups[i].nodes.empty() ? nullptr : plan.groups[i].nodes.front());
    if (plan.groups[i].nodes.empty() || it == plan.groupOf.end() ||
        it->second != (int)i)
      internalError("fusion plan: group ", i, " is empty or not indexed");
  }
}

} // namespace adjoint
