//===- ScanBodies.cpp - The passes inside scans, and invariants hoisted ---===//
#include "compiler/passes/ScanBodies.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Scan.h"

#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

namespace {

/// The scan `node` of the old graph rebuilt into `rb`, its body simplified
/// and its invariant work hoisted.
Value *rebuildScan(GraphRebuilder &rb, const Node &node,
                   const std::function<void(Graph &)> &simplify) {
  Graph body = copyGraph(node.attr().getGraph("body"));
  simplify(body);
  std::vector<TensorType> types;
  for (const Value *v : node.operands())
    types.push_back(v->type());
  ScanRoles roles = scanRoles(node.attr(), types);
  std::vector<Value *> operands = rb.mappedOperands(node);

  // The body values that are the same at every step, each with its value
  // outside the loop: invariant inputs, then the nodes computed from them
  // (constants are copied out when a hoisted node reads them).
  std::unordered_map<const Value *, Value *> outside;
  for (size_t i = roles.firstInvariant(); i < body.inputs().size(); ++i)
    outside[body.inputs()[i]] = operands[i];
  std::unordered_set<const Node *> hoisted;
  for (const auto &n : body.nodes()) {
    if (n->op() == OpKind::Constant || n->op() == OpKind::Scan ||
        opDef(n->op()).has(HasSideEffect) || n->operands().empty())
      continue;
    bool invariant = true, readsInvariant = false;
    for (const Value *v : n->operands()) {
      const Node *def = v->definingNode();
      bool constant = def && def->op() == OpKind::Constant;
      invariant = invariant && (outside.count(v) || constant);
      readsInvariant = readsInvariant || outside.count(v);
    }
    if (!invariant || !readsInvariant)
      continue;
    std::vector<Value *> args;
    for (const Value *v : n->operands()) {
      if (!outside.count(v)) // a constant: copied out once
        outside[v] =
            rb.add(OpKind::Constant, {}, v->definingNode()->attrs(), v->type());
      args.push_back(outside.at(v));
    }
    outside[n->result()] =
        rb.add(n->op(), args, n->attrs(), n->result()->type());
    hoisted.insert(n.get());
  }

  // What the new body reads from outside the loop: invariant inputs and
  // hoisted results that a remaining node or the output uses.
  std::unordered_set<const Value *> used;
  for (const auto &n : body.nodes())
    if (!hoisted.count(n.get()))
      used.insert(n->operands().begin(), n->operands().end());
  used.insert(body.outputs()[0].value);
  if (hoisted.empty()) {
    bool dropsInvariant = false;
    for (size_t i = roles.firstInvariant(); i < body.inputs().size(); ++i)
      dropsInvariant = dropsInvariant || !used.count(body.inputs()[i]);
    if (!dropsInvariant) {
      Attributes attrs = node.attrs();
      attrs.set("body", SubGraph(std::make_shared<Graph>(std::move(body))));
      return rb.add(OpKind::Scan, operands, std::move(attrs),
                    node.result()->type(), node.result()->name());
    }
  }

  auto fresh = std::make_shared<Graph>(body.name());
  ValueMap map;
  std::vector<Value *> newOperands;
  for (size_t i = 0; i < body.inputs().size(); ++i) {
    const Value *in = body.inputs()[i];
    if (i >= roles.firstInvariant() && !used.count(in))
      continue;
    map[in] = fresh->addInput(in->name(), in->type());
    newOperands.push_back(operands[i]);
  }
  for (const auto &n : body.nodes())
    if (hoisted.count(n.get()) && used.count(n->result())) {
      map[n->result()] =
          fresh->addInput(n->result()->name(), n->result()->type());
      newOperands.push_back(outside.at(n->result()));
    }
  for (const auto &n : body.nodes()) {
    if (hoisted.count(n.get()))
      continue;
    std::vector<Value *> args;
    for (const Value *v : n->operands())
      args.push_back(map.at(v));
    map[n->result()] = fresh
                           ->addNode(n->op(), std::move(args), n->attrs(),
                                     n->result()->name(), n->result()->type())
                           ->result();
  }
  fresh->addOutput(body.outputs()[0].name, map.at(body.outputs()[0].value));
  Attributes attrs = node.attrs();
  attrs.set("body", SubGraph(fresh));
  return rb.add(OpKind::Scan, newOperands, std::move(attrs),
                node.result()->type(), node.result()->name());
}

} // namespace

bool hasScan(const Graph &g) {
  for (const auto &n : g.nodes())
    if (n->op() == OpKind::Scan)
      return true;
  return false;
}

void simplifyScanBodies(Graph &g,
                        const std::function<void(Graph &)> &simplify) {
  if (!hasScan(g))
    return;
  GraphRebuilder rb(g);
  for (const auto &n : g.nodes()) {
    if (n->op() != OpKind::Scan) {
      rb.copy(*n);
      continue;
    }
    rb.map(n->result(), withContext(n->describe(), [&] {
             return rebuildScan(rb, *n, simplify);
           }));
  }
  g = rb.finish();
}

void hoistScanInvariants(Graph &g) {
  simplifyScanBodies(g, [](Graph &) {});
}

} // namespace adjoint
