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

bool swapsLastTwoAxes(const Node &n) {
  if (n.op() != OpKind::Transpose)
    return false;
  size_t rank = n.operand(0)->type().rank();
  if (rank < 2)
    return false;
  std::vector<int64_t> perm = transposePerm(n.attr(), rank);
  for (size_t d = 0; d + 2 < rank; ++d)
    if (perm[d] != (int64_t)d)
      return false;
  return perm[rank - 2] == (int64_t)rank - 1 &&
         perm[rank - 1] == (int64_t)rank - 2;
}

namespace {

bool isMember(const FusionGroup &group, const Node *n) {
  return n && std::find(group.nodes.begin(), group.nodes.end(), n) !=
                  group.nodes.end();
}

} // namespace

bool readsSlicesInPlace(const Node &n) {
  return n.op() == OpKind::MatMul && n.result()->type().rank() == 2 &&
         isFloat(n.result()->type().dtype);
}

std::optional<SliceRows> sliceRows(const Node &slice, int64_t cols) {
  if (slice.op() != OpKind::Slice)
    return std::nullopt;
  const Shape &in = slice.operand(0)->type().shape;
  const Shape &out = slice.result()->type().shape;
  SliceDims dims = normalizeSlice(slice.attr(), in);
  size_t rank = in.size(), cut = rank, cuts = 0;
  for (size_t d = 0; d < rank; ++d) {
    if (dims.step[d] != 1)
      return std::nullopt;
    if (out[d] != in[d])
      cut = d, ++cuts;
  }
  if (rank == 0 || cols <= 0 || cuts > 1)
    return std::nullopt;
  if (cut == rank || cut == rank - 1) // rows of the last axis' range
    return out[rank - 1] == cols
               ? std::optional<SliceRows>({dims.start[rank - 1], in[rank - 1]})
               : std::nullopt;
  if (cut != 0) // a range of the first axis: one contiguous block
    return std::nullopt;
  int64_t inner = 1;
  for (size_t d = 1; d < rank; ++d)
    inner *= in[d];
  return SliceRows{dims.start[0] * inner, 0};
}

namespace {

/// matmulOperand, with the nodes it looks through added to `through`.
MatMulOperand readThrough(const FusionGroup &group, const Node &anchor,
                          size_t k, std::vector<const Node *> *through) {
  MatMulOperand read{anchor.operand(k), false};
  if (&anchor != group.anchor || anchor.op() != OpKind::MatMul)
    return read;
  auto lookThrough = [&](const Node *n) {
    if (through)
      through->push_back(n);
    read.value = n->operand(0);
    return read.value->definingNode();
  };
  const Node *def = read.value->definingNode();
  if (isMember(group, def) && swapsLastTwoAxes(*def)) {
    read.transposed = true;
    def = lookThrough(def);
  }
  // The stored matrix, [rows, cols]: what a slice under it must give.
  const Shape &matrix = read.value->type().shape;
  if (isMember(group, def) && def->op() == OpKind::Reshape)
    def = lookThrough(def);
  if (readsSlicesInPlace(anchor) && matrix.size() == 2 && isMember(group, def))
    if (std::optional<SliceRows> rows = sliceRows(*def, matrix[1])) {
      read.offset = rows->offset;
      read.rowStride = rows->rowStride;
      lookThrough(def);
    }
  return read;
}

} // namespace

MatMulOperand matmulOperand(const FusionGroup &group, const Node &anchor,
                            size_t k) {
  return readThrough(group, anchor, k, nullptr);
}

bool isAbsorbedOperand(const FusionGroup &group, const Node &n) {
  if (!group.anchor || group.anchor->op() != OpKind::MatMul ||
      !isMember(group, &n))
    return false;
  std::vector<const Node *> through;
  for (size_t k = 0; k < 2; ++k)
    readThrough(group, *group.anchor, k, &through);
  return std::find(through.begin(), through.end(), &n) != through.end();
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
