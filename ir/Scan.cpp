//===- Scan.cpp - The roles of a scan's operands and its type rule --------===//
#include "ir/Scan.h"

#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/SymbolicDim.h"
#include "ir/Verifier.h"

namespace adjoint {

ScanRoles scanRoles(const AttrReader &r, std::span<const TensorType> ops) {
  ScanRoles roles;
  int64_t sequences = r.getInt("sequences");
  if (sequences < 1 || (size_t)sequences >= ops.size())
    badInput("scan: 'sequences' is ", sequences, " but must be from 1 to ",
             ops.size() - 1, " (the operands after the initial state)");
  roles.sequences = (size_t)sequences;
  roles.invariants = ops.size() - 1 - roles.sequences;
  roles.reverse = r.getBool("reverse");
  for (size_t i = roles.firstSequence(); i < roles.firstInvariant(); ++i) {
    const TensorType &seq = ops[i];
    if (seq.shape.empty())
      badInput("scan: sequence operand ", i, " is a scalar, ", typeStr(seq),
               "; a sequence has the steps on its leading axis");
    int64_t length = seq.shape[0];
    if (isSymbolic(length))
      badInput("scan: sequence operand ", i, " of type ", typeStr(seq),
               " has a symbolic length; the number of steps must be a number");
    if (length < 1)
      badInput("scan: sequence operand ", i, " of type ", typeStr(seq),
               " has no steps");
    if (i > roles.firstSequence() && length != roles.length)
      badInput("scan: the sequences differ in length (", typeStr(ops[1]),
               " and ", typeStr(seq), ")");
    roles.length = length;
  }
  return roles;
}

TensorType sliceType(const TensorType &seq) {
  return {seq.dtype, Shape(seq.shape.begin() + 1, seq.shape.end())};
}

TensorType inferScan(std::span<const TensorType> ops, const AttrReader &r) {
  ScanRoles roles = scanRoles(r, ops);
  const Graph &body = r.getGraph("body");
  withContext("scan: body " + body.name(), [&] { verify(body); });
  if (!body.params().empty())
    badInput("scan: body ", body.name(), " has parameters (%",
             body.params()[0].value->name(),
             "); pass a body's weights as invariant operands");
  if (body.inputs().size() != ops.size())
    badInput("scan: body ", body.name(), " takes ", body.inputs().size(),
             " inputs but the scan has ", ops.size(), " operands (the state, ",
             roles.sequences, " sequence", roles.sequences == 1 ? "" : "s",
             " and ", roles.invariants, " invariant",
             roles.invariants == 1 ? "" : "s", ")");
  for (size_t i = 0; i < ops.size(); ++i) {
    bool sequence = i >= roles.firstSequence() && i < roles.firstInvariant();
    TensorType want = sequence ? sliceType(ops[i]) : ops[i];
    const Value *in = body.inputs()[i];
    if (in->type() != want)
      badInput("scan: body input %", in->name(), " has type ",
               typeStr(in->type()), " but ",
               i == 0     ? std::string("the initial state")
               : sequence ? strCat("a step of sequence operand ", i, " (",
                                   typeStr(ops[i]), ")")
                          : strCat("invariant operand ", i),
               " has type ", typeStr(want));
  }
  if (body.outputs().size() != 1)
    badInput("scan: body ", body.name(), " has ", body.outputs().size(),
             " outputs; it must have one, the next state");
  const TensorType &next = body.outputs()[0].value->type();
  if (next != ops[0])
    badInput("scan: body ", body.name(), " gives a next state of type ",
             typeStr(next), " but the state has type ", typeStr(ops[0]));
  Shape shape{roles.length};
  shape.insert(shape.end(), ops[0].shape.begin(), ops[0].shape.end());
  return {ops[0].dtype, shape};
}

} // namespace adjoint
