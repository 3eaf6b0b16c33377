//===- IndexMap.cpp - Affine element maps inside a fusion group -----------===//
#include "compiler/passes/IndexMap.h"

#include "ir/ShapeInference.h"

#include <algorithm>
#include <cassert>
#include <unordered_map>

namespace adjoint {

IndexMap identityMap(size_t rank) {
  IndexMap m;
  m.coef.assign(rank, std::vector<int64_t>(rank, 0));
  for (size_t d = 0; d < rank; ++d)
    m.coef[d][d] = 1;
  m.offset.assign(rank, 0);
  m.cols = rank;
  return m;
}

namespace {

/// The map of an operand of shape `shape` broadcast numpy-style to a result
/// visited through `m`.
IndexMap broadcastMap(const Shape &shape, const Shape &resultShape,
                      const IndexMap &m) {
  IndexMap out;
  out.cols = m.cols;
  size_t cols = m.cols;
  size_t lead = m.coef.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    // An extent of 1 broadcast to a larger one always reads index 0; where
    // both are 1 the row is kept, so that identity maps stay identities.
    if (shape[d] == 1 && resultShape[lead + d] != 1) {
      out.coef.push_back(std::vector<int64_t>(cols, 0));
      out.offset.push_back(0);
    } else {
      out.coef.push_back(m.coef[lead + d]);
      out.offset.push_back(m.offset[lead + d]);
    }
  }
  return out;
}

} // namespace

IndexMap operandMap(const Node &consumer, size_t i, const IndexMap &m) {
  assert(!m.flat && "a flat map has no operands");
  const Value *operand = consumer.operand(i);
  const Shape &shape = operand->type().shape;
  switch (consumer.op()) {
  case OpKind::Reshape: {
    FlatMap f = flatten(m, consumer.result()->type().shape);
    IndexMap out;
    out.flat = true;
    out.cols = m.cols;
    out.coef = {f.strides};
    out.offset = {f.offset};
    return out;
  }
  case OpKind::Transpose: {
    std::vector<int64_t> perm = transposePerm(consumer.attr(), shape.size());
    IndexMap out;
    out.cols = m.cols;
    out.coef.resize(shape.size());
    out.offset.resize(shape.size());
    for (size_t d = 0; d < perm.size(); ++d) {
      out.coef[perm[d]] = m.coef[d];
      out.offset[perm[d]] = m.offset[d];
    }
    return out;
  }
  case OpKind::Slice: {
    SliceDims s = normalizeSlice(consumer.attr(), shape);
    IndexMap out = m;
    for (size_t d = 0; d < shape.size(); ++d) {
      for (int64_t &c : out.coef[d])
        c *= s.step[d];
      out.offset[d] = s.start[d] + s.step[d] * m.offset[d];
    }
    return out;
  }
  default:
    // Elementwise ops and broadcast_to.
    return broadcastMap(shape, consumer.result()->type().shape, m);
  }
}

FlatMap flatten(const IndexMap &m, const Shape &shape) {
  if (m.flat)
    return {m.coef[0], m.offset[0]};
  std::vector<int64_t> strides = stridesOf(shape);
  FlatMap f;
  size_t cols = m.cols;
  f.strides.assign(cols, 0);
  for (size_t d = 0; d < m.coef.size(); ++d) {
    for (size_t k = 0; k < cols; ++k)
      f.strides[k] += strides[d] * m.coef[d][k];
    f.offset += strides[d] * m.offset[d];
  }
  return f;
}

bool repeats(const IndexMap &m, const std::vector<int64_t> &dims) {
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] <= 1)
      continue;
    bool used = false;
    for (const auto &row : m.coef)
      used |= k < row.size() && row[k] != 0;
    if (!used)
      return true;
  }
  return false;
}

bool isLoopFusible(OpKind op) {
  switch (op) {
  case OpKind::BroadcastTo:
  case OpKind::Transpose:
  case OpKind::Slice:
  case OpKind::Reshape:
    return true;
  case OpKind::Iota:
  case OpKind::Constant:
    return false;
  default:
    return opDef(op).has(Elementwise);
  }
}

IterationSpace iterationSpace(const FusionGroup &group) {
  IterationSpace space;
  if (group.kind != GroupKind::Reduction) {
    space.dims = group.nodes.back()->result()->type().shape;
    space.keptRank = space.dims.size();
    return space;
  }
  const Node &r = *group.anchor;
  const Shape &in = r.operand(0)->type().shape;
  std::vector<int64_t> axes = reductionAxes(r.attr(), in.size());
  space.position.assign(in.size(), 0);
  for (size_t d = 0; d < in.size(); ++d)
    if (std::find(axes.begin(), axes.end(), (int64_t)d) == axes.end()) {
      space.position[d] = (int64_t)space.dims.size();
      space.dims.push_back(in[d]);
    }
  space.keptRank = space.dims.size();
  for (size_t d = 0; d < in.size(); ++d)
    if (std::find(axes.begin(), axes.end(), (int64_t)d) != axes.end()) {
      space.position[d] = (int64_t)space.dims.size();
      space.dims.push_back(in[d]);
    }
  return space;
}

IndexMap reductionOperandMap(const IterationSpace &space) {
  IndexMap m;
  for (int64_t pos : space.position) {
    std::vector<int64_t> row(space.dims.size(), 0);
    row[pos] = 1;
    m.coef.push_back(row);
    m.offset.push_back(0);
  }
  m.cols = space.dims.size();
  return m;
}

std::vector<std::vector<IndexMap>> memberMaps(const FusionGroup &group,
                                              const IterationSpace &space) {
  std::unordered_map<const Value *, size_t> memberOf;
  for (size_t i = 0; i < group.nodes.size(); ++i)
    memberOf[group.nodes[i]->result()] = i;
  std::vector<std::vector<IndexMap>> maps(group.nodes.size());
  std::vector<bool> read(group.nodes.size(), false);
  auto add = [&](size_t member, const IndexMap &m) {
    read[member] = true;
    if (std::find(maps[member].begin(), maps[member].end(), m) ==
        maps[member].end())
      maps[member].push_back(m);
  };
  // Consumers come after their producers: walk backwards.
  for (size_t i = group.nodes.size(); i-- > 0;) {
    const Node &n = *group.nodes[i];
    if (group.kind == GroupKind::Reduction && &n == group.anchor) {
      auto it = memberOf.find(n.operand(0));
      if (it != memberOf.end())
        add(it->second, reductionOperandMap(space));
      continue;
    }
    // The views a matmul absorbed are read by its GEMM, not at points of
    // the space (their rank may differ from it).
    if (isAbsorbedOperand(group, n))
      continue;
    if (!read[i])
      maps[i].push_back(identityMap(space.dims.size()));
    if (n.op() == OpKind::Reshape || &n == group.anchor)
      continue; // its operands are read from memory
    for (size_t k = 0; k < n.operands().size(); ++k) {
      auto it = memberOf.find(n.operand(k));
      if (it == memberOf.end())
        continue;
      for (const IndexMap &m : maps[i])
        add(it->second, operandMap(n, k, m));
    }
  }
  return maps;
}

} // namespace adjoint
