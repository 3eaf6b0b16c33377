//===- Fusion.cpp - Partition a graph into fused kernels ------------------===//
//
// Groups grow from consumers towards producers, as XLA's instruction fusion
// does: nodes are visited from the last to the first, each node not yet in
// a group roots a new one, and the group then considers its members'
// producers from the latest to the earliest. A producer is considered once
// all the members that read it are known, so the maps through which the
// group visits it (IndexMap.h) are complete when it is judged.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Fusion.h"

#include "compiler/passes/IndexMap.h"
#include "compiler/passes/RowFusion.h"
#include "ir/Error.h"
#include "ir/GraphCopy.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

namespace {

struct WorkGroup {
  GroupKind kind = GroupKind::Single;
  std::vector<const Node *> nodes;
  const Node *anchor = nullptr;
  IterationSpace space;
  std::unordered_map<const Node *, std::vector<IndexMap>> maps;
};

bool isReduce(OpKind op) {
  return op == OpKind::ReduceSum || op == OpKind::ReduceMax ||
         op == OpKind::ReduceMin;
}

class Planner {
public:
  Planner(const Graph &g, const std::unordered_set<const Node *> &alone,
          const std::unordered_set<const Value *> &donated)
      : g_(g), alone_(alone), donated_(donated) {
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      const Node *n = g.nodes()[i].get();
      index_[n] = i;
      for (const Value *v : n->operands()) {
        auto &c = consumers_[v];
        if (std::find(c.begin(), c.end(), n) == c.end())
          c.push_back(n);
      }
    }
    for (const Output &o : g.outputs())
      graphOutputs_.insert(o.value);
  }

  /// Fills `plan` with the groups in an order that respects dependences
  /// and the pairs `before` (the first node's group runs before the
  /// second's); false when no such order exists.
  bool run(FusionPlan &plan,
           const std::vector<std::pair<const Node *, const Node *>> &before);

private:
  const Graph &g_;
  const std::unordered_set<const Node *> &alone_;
  /// Results written over a donated input's buffer.
  const std::unordered_set<const Value *> &donated_;
  std::unordered_map<const Node *, size_t> index_;
  std::unordered_map<const Value *, std::vector<const Node *>> consumers_;
  std::unordered_set<const Value *> graphOutputs_;
  std::vector<WorkGroup> groups_;
  std::unordered_map<const Node *, int> groupOf_;
  /// Transposes, reshapes and slices a matmul absorbed (matmulOperand):
  /// members that no kernel computes, read through by the GEMM.
  std::unordered_set<const Node *> absorbed_;
  std::vector<FusionDecision> rejected_;
  std::set<std::pair<const Node *, const Node *>> decided_;

  const std::vector<const Node *> &consumersOf(const Node *n) {
    static const std::vector<const Node *> none;
    auto it = consumers_.find(n->result());
    return it == consumers_.end() ? none : it->second;
  }
  void reject(const Node *producer, const Node *consumer, std::string reason) {
    if (decided_.insert({producer, consumer}).second)
      rejected_.push_back({producer, consumer, std::move(reason)});
  }
  void grow(int gi);
  std::string judge(int gi, const Node *p, std::vector<IndexMap> &maps);
  void absorbViews(int gi, const Node *matmul);
  bool reaches(int from, int target);
  void mergeScalarSources();
  void sweepDecisions();
};

/// Why `p` cannot fuse into a consumer's loop because of its op.
std::string opReason(const Node *p) {
  std::string op(opName(p->op()));
  if (isReduce(p->op()))
    return "a reduction is not fused into its consumer's loop";
  if (p->op() == OpKind::MatMul || p->op() == OpKind::Conv2D)
    return op + " is not fused into its consumer's loop";
  return op + " is compiled on its own";
}

bool Planner::reaches(int from, int target) {
  std::vector<int> stack = {from};
  std::unordered_set<int> seen = {from};
  while (!stack.empty()) {
    int gi = stack.back();
    stack.pop_back();
    if (gi == target)
      return true;
    for (const Node *n : groups_[gi].nodes)
      for (const Node *c : consumersOf(n)) {
        auto it = groupOf_.find(c);
        if (it != groupOf_.end() && it->second != gi &&
            seen.insert(it->second).second)
          stack.push_back(it->second);
      }
  }
  return false;
}

/// Why the matmul or conv2d `p` cannot anchor the epilogue `group`, or "".
std::string anchorRefusal(const WorkGroup &group, const Node *p) {
  std::string op(opName(p->op()));
  if (group.kind != GroupKind::Loop)
    return op + " is not fused into its consumer's loop";
  if (!isFloat(p->result()->type().dtype))
    return "integer " + op + " is not fused into its consumer's loop";
  // A batch of products sharing b is one GEMM over the rows of every
  // entry (readThroughViews keeps it one), whose tiles the epilogue sees.
  if (p->op() == OpKind::MatMul &&
      (p->operand(0)->type().rank() < 2 || p->operand(1)->type().rank() != 2))
    return "batched matmul whose entries have a second operand of their own "
           "is not fused into its consumer's loop";
  return "";
}

/// True when `anchor` reads the result of `n` as an operand.
bool readsAsOperand(const Node &anchor, const Node *n) {
  const auto &ops = anchor.operands();
  return std::find(ops.begin(), ops.end(), n->result()) != ops.end();
}

bool isAnchorOp(OpKind op) {
  return op == OpKind::MatMul || op == OpKind::Conv2D;
}

std::string Planner::judge(int gi, const Node *p, std::vector<IndexMap> &maps) {
  WorkGroup &group = groups_[gi];
  bool anchor = isAnchorOp(p->op());
  if (anchor) {
    std::string refusal = anchorRefusal(group, p);
    if (!refusal.empty())
      return refusal;
  } else if (!isLoopFusible(p->op())) {
    return opReason(p);
  }
  if (alone_.count(p))
    return "the node writes a donated buffer and is kept on its own";
  const auto &readers = consumersOf(p);
  int outside =
      (int)std::count_if(readers.begin(), readers.end(), [&](auto *c) {
        auto it = groupOf_.find(c);
        return it == groupOf_.end() || it->second != gi;
      });
  std::string count =
      outside == 1 ? "1 consumer" : std::to_string(outside) + " consumers";
  if (group.kind == GroupKind::Reduction &&
      (outside > 0 || graphOutputs_.count(p->result())))
    return "producer has " + count +
           " in other groups or is a graph output (a reduction group "
           "writes only its result)";
  // The maps through which the group's members visit p.
  int external = 0;
  std::unordered_set<int> otherGroups;
  for (const Node *c : consumersOf(p)) {
    auto it = groupOf_.find(c);
    if (it == groupOf_.end())
      return "producer also feeds " + c->describe() +
             ", which is not placed yet";
    if (it->second != gi) {
      ++external;
      otherGroups.insert(it->second);
      continue;
    }
    if (c == group.anchor && group.kind == GroupKind::Reduction) {
      maps.push_back(reductionOperandMap(group.space));
      continue;
    }
    // The runtime reads the operands of an epilogue's anchor (through the
    // views it absorbed) from memory.
    if (group.kind == GroupKind::Epilogue &&
        (c == group.anchor || absorbed_.count(c)))
      return std::string(opName(group.anchor->op())) +
             " reads its operands from memory";
    if (c->op() == OpKind::Reshape)
      return "producer is also read through a reshape, which is not an "
             "affine index map of a computed value";
    for (size_t k = 0; k < c->operands().size(); ++k)
      if (c->operand(k) == p->result())
        for (const IndexMap &m : group.maps.at(c)) {
          IndexMap om = operandMap(*c, k, m);
          if (std::find(maps.begin(), maps.end(), om) == maps.end())
            maps.push_back(om);
        }
  }
  bool isOutput = external > 0 || graphOutputs_.count(p->result());
  if (anchor) {
    IndexMap id = identityMap(group.space.dims.size());
    if (p->result()->type().shape != group.space.dims ||
        std::any_of(maps.begin(), maps.end(),
                    [&](const IndexMap &m) { return !(m == id); }))
      return "the epilogue does not visit the " + std::string(opName(p->op())) +
             "'s result element by element";
    // Without a buffer of its own, a convolution is computed in the buffer
    // of the group's root, which must be written and of the same type; a
    // matmul with no such buffer keeps each tile of its product in a
    // buffer of the runtime's while the epilogue reads it (an optimizer
    // update that writes its weight in place, say).
    const Value *root = group.nodes.front()->result();
    bool rootWritten = graphOutputs_.count(root) || consumers_.count(root);
    if (!isOutput && p->op() != OpKind::MatMul &&
        (root->type() != p->result()->type() || !rootWritten ||
         donated_.count(root)))
      return "the epilogue writes no output of the " +
             std::string(opName(p->op())) + "'s type to compute it in";
    if (!isOutput && !rootWritten)
      return "the epilogue's result is never read";
  }
  if (isOutput) {
    IndexMap id = identityMap(group.space.dims.size());
    if (p->result()->type().shape != group.space.dims ||
        std::any_of(maps.begin(), maps.end(),
                    [&](const IndexMap &m) { return !(m == id); }))
      return "producer has " + count +
             " in other groups or is a graph output, and the loop does not "
             "visit it element by element";
    for (int other : otherGroups)
      if (reaches(other, gi))
        return "producer's other consumers lead back into this group";
  }
  bool repeated = maps.size() > 1 ||
                  std::any_of(maps.begin(), maps.end(), [&](const IndexMap &m) {
                    return repeats(m, group.space.dims);
                  });
  if (repeated && group.kind == GroupKind::Reduction)
    return "producer feeds a reduction and would be computed more than once";
  if (repeated && opDef(p->op()).has(Expensive))
    return "expensive producer would be computed more than once";
  return "";
}

void Planner::grow(int gi) {
  // Candidates, latest first, so that every member reading a candidate has
  // joined before the candidate is judged.
  auto later = [&](const Node *a, const Node *b) {
    return index_.at(a) < index_.at(b);
  };
  std::priority_queue<const Node *, std::vector<const Node *>, decltype(later)>
      queue(later);
  std::unordered_set<const Node *> queued;
  auto offerOperands = [&](const Node *member) {
    for (const Value *v : member->operands()) {
      const Node *p = v->definingNode();
      if (!p || p->op() == OpKind::Constant || groupOf_.count(p))
        continue;
      if (member->op() == OpKind::Reshape) {
        reject(p, member,
               "reshape of a computed value is not an affine "
               "index map");
        continue;
      }
      if (queued.insert(p).second)
        queue.push(p);
    }
  };
  offerOperands(groups_[gi].nodes.front());
  while (!queue.empty()) {
    const Node *p = queue.top();
    queue.pop();
    std::vector<IndexMap> maps;
    std::string reason = judge(gi, p, maps);
    if (!reason.empty()) {
      for (const Node *c : consumersOf(p)) {
        auto it = groupOf_.find(c);
        if (it != groupOf_.end() && it->second == gi)
          reject(p, c, reason);
      }
      continue;
    }
    WorkGroup &group = groups_[gi];
    group.nodes.push_back(p);
    group.maps[p] = std::move(maps);
    groupOf_[p] = gi;
    if (isAnchorOp(p->op())) {
      // The runtime reads the anchor's operands from memory.
      group.kind = GroupKind::Epilogue;
      group.anchor = p;
      if (p->op() == OpKind::MatMul)
        absorbViews(gi, p);
      continue;
    }
    offerOperands(p);
  }
}

/// The views under a matmul's operand (transposes, reshapes and slices)
/// join the matmul's group when the GEMM can read their operand in place
/// (FusionPlan.h, readThroughViews), each read by nothing else: no kernel
/// computes them, and the GEMM reads what lies under them with its strides
/// and trans flag (the heads of attention split off with a reshape and a
/// transpose, a gradient's [batch, seq, d] activations as [batch*seq, d]
/// rows, the columns of one projection among several). A view read
/// elsewhere too is computed by a group of its own, and the matmul reads
/// its result.
void Planner::absorbViews(int gi, const Node *matmul) {
  for (size_t k = 0; k < matmul->operands().size(); ++k) {
    // The chain the GEMM could read, cut at the first view that something
    // else needs (the reason recorded), then back to a chain it reads.
    std::vector<const Node *> chain;
    const Node *reader = matmul;
    for (const Node *n : absorbableViews(
             *matmul, k, [&](const Node &v) { return !groupOf_.count(&v); })) {
      std::string what(opName(n->op())), reason;
      if (alone_.count(n))
        reason = "the node writes a donated buffer and is kept on its own";
      else if (graphOutputs_.count(n->result()))
        reason = "the " + what + " is a graph output, so it is copied";
      for (const Node *c : consumersOf(n))
        if (reason.empty() && c != reader)
          reason = "the " + what + " also feeds " + c->describe() +
                   ", so it is copied";
      if (!reason.empty()) {
        reject(n, reader, reason);
        break;
      }
      chain.push_back(n);
      reader = n;
    }
    while (!chain.empty() && !readThroughViews(*matmul, k, chain))
      chain.pop_back();
    for (const Node *n : chain) {
      groups_[gi].nodes.push_back(n);
      groupOf_[n] = gi;
      absorbed_.insert(n);
    }
  }
}

void Planner::mergeScalarSources() {
  // Rank-0 Loop groups that read no computed value other than each
  // other's (the bias corrections of every parameter's Adam update,
  // computed from the step counter) run as one small scalar kernel. The
  // merged group reads nothing computed outside itself, so merging creates
  // no cycle.
  int into = -1;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t gi = 0; gi < groups_.size(); ++gi) {
      WorkGroup &group = groups_[gi];
      if (group.kind != GroupKind::Loop || !group.space.dims.empty() ||
          group.nodes.empty() || (int)gi == into)
        continue;
      bool source = true;
      for (const Node *n : group.nodes)
        for (const Value *v : n->operands()) {
          const Node *def = v->definingNode();
          if (def && def->op() != OpKind::Constant &&
              groupOf_.at(def) != (int)gi && groupOf_.at(def) != into)
            source = false;
        }
      if (!source)
        continue;
      changed = true;
      if (into < 0) {
        into = (int)gi;
        continue;
      }
      for (const Node *n : group.nodes) {
        groups_[into].nodes.push_back(n);
        groupOf_[n] = into;
      }
      group.nodes.clear();
    }
  }
}

void Planner::sweepDecisions() {
  for (const auto &node : g_.nodes()) {
    const Node *c = node.get();
    for (const Value *v : c->operands()) {
      const Node *p = v->definingNode();
      if (!p || p->op() == OpKind::Constant || groupOf_.at(p) == groupOf_.at(c))
        continue;
      const WorkGroup &cg = groups_[groupOf_.at(c)];
      std::string reason;
      if (alone_.count(c) || alone_.count(p))
        reason = "the node writes a donated buffer and is kept on its own";
      else if (cg.anchor && cg.anchor->op() == OpKind::MatMul &&
               (readsAsOperand(*cg.anchor, c) || absorbed_.count(c)))
        reason = "matmul reads its operands from memory";
      else if (cg.kind == GroupKind::Single)
        reason = std::string(opName(c->op())) + " is compiled on its own";
      else if (groups_[groupOf_.at(p)].kind == GroupKind::Row)
        reason = "producer is computed row by row in another group";
      else if (cg.kind == GroupKind::Row)
        reason =
            isLoopFusible(p->op()) && opDef(p->op()).has(Elementwise)
                ? "producer was placed in another group first"
                : std::string(opName(p->op())) + " is not computed row by row";
      else if (cg.kind == GroupKind::Epilogue && c == cg.anchor)
        reason =
            std::string(opName(c->op())) + " reads its operands from memory";
      else if (!isLoopFusible(p->op()))
        reason = opReason(p);
      else
        reason = "producer was placed in another group first";
      reject(p, c, reason);
    }
  }
}

bool Planner::run(
    FusionPlan &plan,
    const std::vector<std::pair<const Node *, const Node *>> &before) {
  const auto &nodes = g_.nodes();
  // Row groups first: they are convex, so the groups grown around them
  // cannot close a cycle through them without a cycle check seeing it.
  for (std::vector<const Node *> &members : findRowGroups(g_, donated_)) {
    WorkGroup group;
    group.kind = GroupKind::Row;
    group.nodes = std::move(members);
    for (const Node *n : group.nodes)
      groupOf_[n] = (int)groups_.size();
    groups_.push_back(std::move(group));
  }
  for (size_t i = nodes.size(); i-- > 0;) {
    const Node *n = nodes[i].get();
    if (groupOf_.count(n))
      continue;
    WorkGroup group;
    group.nodes = {n};
    if (n->op() != OpKind::Constant && !alone_.count(n) &&
        isLoopFusible(n->op())) {
      group.kind = GroupKind::Loop;
      group.space.dims = n->result()->type().shape;
      group.space.keptRank = group.space.dims.size();
      group.maps[n] = {identityMap(group.space.dims.size())};
    } else if (n->op() == OpKind::MatMul) {
      group.anchor = n;
    } else if (isReduce(n->op()) && !alone_.count(n)) {
      group.kind = GroupKind::Reduction;
      group.anchor = n;
      FusionGroup probe;
      probe.kind = GroupKind::Reduction;
      probe.nodes = {n};
      probe.anchor = n;
      group.space = iterationSpace(probe);
    }
    int gi = (int)groups_.size();
    groups_.push_back(std::move(group));
    groupOf_[n] = gi;
    if (groups_[gi].kind != GroupKind::Single)
      grow(gi);
    else if (n->op() == OpKind::MatMul && !alone_.count(n))
      absorbViews(gi, n);
  }
  mergeScalarSources();
  sweepDecisions();

  // Order the groups: a topological order of the group graph, earliest
  // first node first, with the extra edges of buffer donation.
  size_t count = groups_.size();
  std::vector<size_t> first(count, SIZE_MAX);
  for (size_t gi = 0; gi < count; ++gi)
    for (const Node *n : groups_[gi].nodes)
      first[gi] = std::min(first[gi], index_.at(n));
  std::vector<std::set<size_t>> succ(count);
  for (const auto &node : nodes)
    for (const Value *v : node->operands())
      if (const Node *p = v->definingNode())
        succ[groupOf_.at(p)].insert(groupOf_.at(node.get()));
  for (const auto &[a, b] : before)
    succ[groupOf_.at(a)].insert(groupOf_.at(b));
  std::vector<int> pending(count, 0);
  for (size_t gi = 0; gi < count; ++gi) {
    succ[gi].erase(gi);
    for (size_t s : succ[gi])
      ++pending[s];
  }
  auto laterFirst = [&](size_t a, size_t b) { return first[a] > first[b]; };
  std::priority_queue<size_t, std::vector<size_t>, decltype(laterFirst)> ready(
      laterFirst);
  for (size_t gi = 0; gi < count; ++gi)
    if (pending[gi] == 0)
      ready.push(gi);
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t gi = ready.top();
    ready.pop();
    order.push_back(gi);
    for (size_t s : succ[gi])
      if (--pending[s] == 0)
        ready.push(s);
  }
  if (order.size() != count)
    return false;

  for (size_t gi : order) {
    WorkGroup &w = groups_[gi];
    if (w.nodes.empty())
      continue;
    std::sort(w.nodes.begin(), w.nodes.end(),
              [&](auto *a, auto *b) { return index_.at(a) < index_.at(b); });
    FusionGroup group;
    group.kind = w.kind;
    group.nodes = std::move(w.nodes);
    group.anchor = w.anchor;
    plan.groups.push_back(std::move(group));
  }
  plan.rejected = std::move(rejected_);
  return true;
}

/// Pairs (output, input) of a multi-node Loop group whose input is read at
/// the very element each point writes.
void findInPlaceCandidates(FusionGroup &group) {
  // A convolution's epilogue needs its product in an output's buffer that
  // is no input's (codegen's carrier), so its outputs stay out of place.
  bool epilogue =
      group.kind == GroupKind::Epilogue && group.anchor->op() == OpKind::MatMul;
  if ((group.kind != GroupKind::Loop && !epilogue) || group.nodes.size() < 2)
    return;
  // An epilogue's anchor reads its operands (through the views it
  // absorbed) whole, from memory: never to be overwritten by the group.
  std::unordered_set<const Value *> wholeReads;
  std::unordered_set<const Node *> wholeReaders;
  if (epilogue)
    for (const Node *n : group.nodes)
      if (n == group.anchor || isAbsorbedOperand(group, *n)) {
        wholeReaders.insert(n);
        for (const Value *v : n->operands())
          wholeReads.insert(v);
      }
  IterationSpace space = iterationSpace(group);
  std::vector<std::vector<IndexMap>> maps = memberMaps(group, space);
  FlatMap self = flatten(identityMap(space.dims.size()), space.dims);
  std::unordered_map<const Value *, bool> identityOnly;
  for (size_t i = 0; i < group.nodes.size(); ++i) {
    const Node &n = *group.nodes[i];
    if (wholeReaders.count(&n))
      continue;
    for (size_t k = 0; k < n.operands().size(); ++k) {
      const Value *v = n.operand(k);
      if (std::find(group.inputs.begin(), group.inputs.end(), v) ==
          group.inputs.end())
        continue;
      bool same = v->type().shape == space.dims;
      for (const IndexMap &m : maps[i]) {
        FlatMap f = flatten(operandMap(n, k, m), v->type().shape);
        same = same && f.strides == self.strides && f.offset == self.offset;
      }
      auto [it, fresh] = identityOnly.emplace(v, same);
      if (!fresh)
        it->second = it->second && same;
    }
  }
  for (const Value *out : group.outputs)
    for (const Value *in : group.inputs)
      if (!wholeReads.count(in) && identityOnly.count(in) && identityOnly[in] &&
          in->type().shape == out->type().shape &&
          dtypeSize(in->type().dtype) == dtypeSize(out->type().dtype))
        group.inPlaceCandidates.push_back({out, in});
}

/// Moves each max or average pool that reads a result of a convolution's
/// Epilogue group into that group as its trailing pool (FusionGroup::
/// trailing), when the pool is a group of its own and writes no donated
/// buffer: the pool then reads each image while the epilogue has it in
/// cache. The pool depends on that group alone, so running it there, before
/// the groups in between, keeps every dependence.
void attachPools(const Graph &g, FusionPlan &plan,
                 const InPlacePairs &inPlace) {
  std::vector<bool> moved(plan.groups.size(), false);
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const FusionGroup &single = plan.groups[i];
    if (single.kind != GroupKind::Single || single.nodes.size() != 1)
      continue;
    const Node *pool = single.nodes[0];
    if (pool->op() != OpKind::MaxPool2D && pool->op() != OpKind::AvgPool2D)
      continue;
    const Node *def = pool->operand(0)->definingNode();
    if (!def)
      continue;
    FusionGroup &epilogue = plan.groups[plan.groupOf.at(def)];
    bool donated = std::any_of(inPlace.begin(), inPlace.end(), [&](auto &pair) {
      return pair.first == pool->result();
    });
    if (epilogue.kind != GroupKind::Epilogue ||
        epilogue.anchor->op() != OpKind::Conv2D || epilogue.trailing ||
        donated ||
        pool->operand(0)->type().shape !=
            epilogue.anchor->result()->type().shape)
      continue;
    epilogue.trailing = pool;
    moved[i] = true;
  }
  std::vector<FusionGroup> kept;
  for (size_t i = 0; i < plan.groups.size(); ++i)
    if (!moved[i])
      kept.push_back(std::move(plan.groups[i]));
  plan.groups = std::move(kept);
  completePlan(g, plan);
}

/// True when every pair of `inPlace` holds under `plan` (see fuseGraph).
bool keepsInPlace(const FusionPlan &plan, const InPlacePairs &inPlace) {
  for (const auto &[out, in] : inPlace) {
    const FusionGroup &w = plan.groups[plan.groupOf.at(out->definingNode())];
    if (w.kind == GroupKind::Single)
      continue; // the graph order already satisfies it
    if (std::find(w.inputs.begin(), w.inputs.end(), in) == w.inputs.end())
      continue;
    bool ok = std::any_of(w.inPlaceCandidates.begin(),
                          w.inPlaceCandidates.end(), [&](const auto &pair) {
                            return pair.first == out && pair.second == in;
                          });
    if (!ok)
      return false;
  }
  return true;
}

} // namespace

FusionPlan fuseGraph(const Graph &g, const InPlacePairs &inPlace) {
  // Every reader of a donated input runs before the group that overwrites
  // it.
  std::vector<std::pair<const Node *, const Node *>> before;
  for (const auto &[out, in] : inPlace)
    for (const auto &node : g.nodes())
      if (node.get() != out->definingNode() &&
          std::find(node->operands().begin(), node->operands().end(), in) !=
              node->operands().end())
        before.push_back({node.get(), out->definingNode()});

  // Should a fused group break a pair, plan again with the writers of
  // donated buffers on their own; failing that, keep the graph's order.
  std::unordered_set<const Node *> alone;
  std::unordered_set<const Value *> donated;
  for (const auto &[out, in] : inPlace)
    donated.insert(out);
  for (int attempt = 0; attempt < 2; ++attempt) {
    FusionPlan plan;
    Planner planner(g, alone, donated);
    if (planner.run(plan, before)) {
      completePlan(g, plan);
      attachPools(g, plan, inPlace);
      for (FusionGroup &group : plan.groups)
        findInPlaceCandidates(group);
      if (keepsInPlace(plan, inPlace)) {
        checkPlan(g, plan);
        return plan;
      }
    }
    for (const auto &[out, in] : inPlace)
      alone.insert(out->definingNode());
  }
  return unfusedPlan(g);
}

namespace {

/// One round of splitSharedViews; false when nothing was split.
bool splitSharedOperands(Graph &g) {
  // Each read of a value: the reader and which operand (a matmul may read
  // one transpose twice).
  using Read = std::pair<const Node *, size_t>;
  std::unordered_map<const Value *, std::vector<Read>> readers;
  for (const auto &n : g.nodes())
    for (size_t k = 0; k < n->operands().size(); ++k)
      readers[n->operand(k)].push_back({n.get(), k});
  std::unordered_set<const Value *> outputs;
  for (const Output &o : g.outputs())
    outputs.insert(o.value);
  auto readersOf = [&](const Value *v) -> const std::vector<Read> & {
    static const std::vector<Read> none;
    auto it = readers.find(v);
    return it == readers.end() ? none : it->second;
  };
  // The reads that a matmul would absorb (Planner::absorbViews) if
  // each view on the way had no other reader: the chain under each operand
  // that its GEMM can read through, whoever else reads its nodes.
  std::map<const Value *, std::vector<Read>> absorbing;
  for (const auto &n : g.nodes()) {
    if (n->op() != OpKind::MatMul)
      continue;
    for (size_t k = 0; k < n->operands().size(); ++k) {
      Read read{n.get(), k};
      for (const Node *view :
           absorbableViews(*n, k, [](const Node &) { return true; })) {
        absorbing[view->result()].push_back(read);
        read = {view, 0};
      }
    }
  }
  auto absorbs = [&](const Read &read, const Value *v) {
    auto it = absorbing.find(v);
    return it != absorbing.end() &&
           std::find(it->second.begin(), it->second.end(), read) !=
               it->second.end();
  };
  // Whether `v` is in memory whatever the plan: a view of it read by
  // several kernels costs each of them only its index map, where one view
  // in memory would be a copy that each then reads again (the slices of a
  // reverse scan's saved rows in its body).
  auto inMemory = [](const Value *v) {
    const Node *def = v->definingNode();
    return !def || def->op() == OpKind::Constant;
  };
  // Readers whose loops take a view in (Planner::judge).
  auto fusesViews = [](const Node *reader) {
    return opDef(reader->op()).has(Elementwise) || isReduce(reader->op());
  };
  // The reads of each shared view that get a copy of their own: every one
  // whose reader absorbs it when something else reads it too, else all
  // but the first.
  std::set<Read> copies;
  for (const auto &n : g.nodes()) {
    const Value *v = n->result();
    const auto &r = readersOf(v);
    if (!isViewOp(n->op()) || r.size() + outputs.count(v) < 2)
      continue;
    std::vector<Read> taking;
    for (const Read &read : r)
      if (absorbs(read, v) ||
          (inMemory(n->operand(0)) && fusesViews(read.first)))
        taking.push_back(read);
    if (taking.size() == r.size() && !outputs.count(v))
      taking.erase(taking.begin());
    copies.insert(taking.begin(), taking.end());
  }
  if (copies.empty())
    return false;
  GraphRebuilder rb(g);
  for (const auto &n : g.nodes()) {
    std::vector<Value *> operands = rb.mappedOperands(*n);
    for (size_t k = 0; k < operands.size(); ++k) {
      const Value *v = n->operand(k);
      if (!copies.count({n.get(), k}))
        continue;
      const Node &t = *v->definingNode();
      operands[k] = rb.add(t.op(), rb.mappedOperands(t), t.attrs(), v->type());
    }
    rb.copy(*n, operands);
  }
  g = rb.finish();
  return true;
}

} // namespace

void splitSharedViews(Graph &g) {
  // A reshape read by one transpose that several matmuls read has one
  // reader until that transpose is split: each round splits one level of
  // a chain slice -> reshape -> transpose -> matmuls.
  for (int round = 0; round < 4 && splitSharedOperands(g); ++round) {
  }
}

} // namespace adjoint
