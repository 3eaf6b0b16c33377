//===- Interpreter.cpp - The reference interpreter ------------------------===//
//
// `evaluate` maps each op to its kernel (ir/interp/); `interpret` binds a
// graph's inputs and parameters and evaluates its nodes in order.
//
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include "ir/ChannelsLast.h"
#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/ShapeInference.h"
#include "ir/Specialize.h"
#include "ir/Verifier.h"
#include "ir/interp/Kernels.h"

#include <cassert>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

Tensor evaluate(OpKind op, std::span<const Tensor> operands,
                const Attributes &attrs, const TensorType &resultType) {
  [[maybe_unused]] const OpDef &def = opDef(op);
  assert((def.arity < 0 ? !operands.empty()
                        : operands.size() == (size_t)def.arity) &&
         "wrong number of operands");
  AttrReader r(op, attrs);
  auto x = [&](size_t i) -> const Tensor & { return operands[i]; };

  switch (op) {
  case OpKind::Neg:
    return interp::neg(x(0));
  case OpKind::Abs:
    return interp::abs(x(0));
  case OpKind::Sign:
    return interp::sign(x(0));
  case OpKind::Exp:
    return interp::exp(x(0));
  case OpKind::Log:
    return interp::log(x(0));
  case OpKind::Sqrt:
    return interp::sqrt(x(0));
  case OpKind::Tanh:
    return interp::tanh(x(0));
  case OpKind::Sigmoid:
    return interp::sigmoid(x(0));
  case OpKind::Relu:
    return interp::relu(x(0));
  case OpKind::Erf:
    return interp::erf(x(0));

  case OpKind::Add:
    return interp::add(x(0), x(1));
  case OpKind::Sub:
    return interp::sub(x(0), x(1));
  case OpKind::Mul:
    return interp::mul(x(0), x(1));
  case OpKind::Div:
    return interp::div(x(0), x(1));
  case OpKind::Pow:
    return interp::pow(x(0), x(1));
  case OpKind::Maximum:
    return interp::maximum(x(0), x(1));
  case OpKind::Minimum:
    return interp::minimum(x(0), x(1));

  case OpKind::Equal:
    return interp::equal(x(0), x(1));
  case OpKind::Less:
    return interp::less(x(0), x(1));
  case OpKind::LessEqual:
    return interp::lessEqual(x(0), x(1));
  case OpKind::Greater:
    return interp::greater(x(0), x(1));
  case OpKind::GreaterEqual:
    return interp::greaterEqual(x(0), x(1));
  case OpKind::LogicalAnd:
    return interp::logicalAnd(x(0), x(1));
  case OpKind::LogicalOr:
    return interp::logicalOr(x(0), x(1));
  case OpKind::LogicalNot:
    return interp::logicalNot(x(0));
  case OpKind::Select:
    return interp::select(x(0), x(1), x(2));

  case OpKind::Cast:
    return interp::cast(x(0), r.getDType("to"));
  case OpKind::Constant:
    return interp::constant(r.getTensor("value"));
  case OpKind::Iota:
    return interp::iota(
        resultType, normalizeAxis(r.getInt("axis"), resultType.rank(), "iota"));

  case OpKind::ReduceSum:
    return interp::reduceSum(x(0), reductionAxes(r, x(0).rank()), resultType);
  case OpKind::ReduceMean:
    return interp::reduceMean(x(0), reductionAxes(r, x(0).rank()), resultType);
  case OpKind::ReduceMax:
    return interp::reduceMax(x(0), reductionAxes(r, x(0).rank()), resultType);
  case OpKind::ReduceMin:
    return interp::reduceMin(x(0), reductionAxes(r, x(0).rank()), resultType);
  case OpKind::Argmax:
    return interp::argmax(
        x(0), normalizeAxis(r.getInt("axis"), x(0).rank(), "argmax"),
        resultType);

  case OpKind::Reshape:
    return interp::reshape(x(0), reshapeTarget(r, x(0).shape()));
  case OpKind::Transpose:
    return interp::transpose(x(0), transposePerm(r, x(0).rank()));
  case OpKind::BroadcastTo:
    return interp::broadcastTo(x(0), r.getInts("shape"));
  case OpKind::Slice:
    return interp::slice(x(0), r);
  case OpKind::Concat:
    return interp::concat(
        operands, normalizeAxis(r.getInt("axis"), x(0).rank(), "concat"),
        resultType);
  case OpKind::Pad:
    return interp::pad(x(0), r.getInts("pads"), r.getFloat("value"));
  case OpKind::OneHot:
    return interp::oneHot(x(0), resultType);
  case OpKind::Gather:
    return interp::gather(
        x(0), x(1), normalizeAxis(r.getInt("axis"), x(0).rank(), "gather"));

  case OpKind::MatMul:
    return interp::matmul(x(0), x(1), resultType);
  case OpKind::Attention:
    return interp::attention(x(0), x(1), x(2), r.getFloat("scale"),
                             r.getBool("causal"), resultType);
  case OpKind::Conv2D:
    return interp::conv2d(x(0), x(1), r, resultType);
  case OpKind::MaxPool2D:
    return interp::maxPool2d(x(0), r, resultType);
  case OpKind::AvgPool2D:
    return interp::avgPool2d(x(0), r, resultType);

  case OpKind::StopGradient:
    return interp::stopGradient(x(0));
  case OpKind::Conv2DInputGrad:
    return interp::conv2dInputGrad(x(0), x(1), r, resultType);
  case OpKind::Conv2DWeightGrad:
    return interp::conv2dWeightGrad(x(0), x(1), r, resultType);
  case OpKind::MaxPool2DGrad:
    return interp::maxPool2dGrad(x(0), x(1), r, resultType);
  case OpKind::AvgPool2DGrad:
    return interp::avgPool2dGrad(x(0), r, resultType);
  case OpKind::ScatterAdd:
    return interp::scatterAdd(
        x(0), x(1),
        normalizeAxis(r.getInt("axis"), resultType.rank(), "scatter_add"),
        resultType);
  case OpKind::Scan:
    return interp::scan(operands, r, resultType);
  case OpKind::Dropout:
    return interp::dropout(x(0), x(1).data<int64_t>()[0], r.getFloat("rate"),
                           (uint64_t)r.getInt("seed"));
  }
  __builtin_unreachable();
}

namespace {

/// Throws BadInput unless `inputs` binds exactly the graph's inputs, each to
/// a tensor of the declared type.
/// Every input of `g` given, and nothing else.
void checkInputNames(const Graph &g,
                     const std::map<std::string, Tensor> &inputs) {
  for (const auto &[name, tensor] : inputs) {
    const Value *v = g.findValue(name);
    if (!v || v->kind() != ValueKind::Input) {
      std::string known;
      for (const Value *in : g.inputs())
        known += (known.empty() ? "%" : ", %") + in->name();
      badInput("unknown input %", name, " (graph ", g.name(), " takes ",
               known.empty() ? "no inputs" : known, ")");
    }
  }
  for (const Value *v : g.inputs())
    if (!inputs.count(v->name()))
      badInput("missing input %", v->name(), " (", typeStr(v->type()), ")");
}

void checkInputs(const Graph &g, const std::map<std::string, Tensor> &inputs) {
  checkInputNames(g, inputs);
  for (const Value *v : g.inputs()) {
    const Tensor &t = inputs.at(v->name());
    if (t.type() != v->type())
      badInput("input %", v->name(), " expects ", typeStr(v->type()), ", got ",
               typeStr(t.type()));
    if (!t.hasStorage())
      badInput("input %", v->name(), " has no data");
  }
}

} // namespace

std::map<std::string, Tensor>
interpret(const Graph &g, const std::map<std::string, Tensor> &inputs) {
  if (hasChannelsLast(g))
    return interpret(lowerChannelsLast(g), inputs);
  if (hasSymbols(g)) {
    // The inputs' shapes give the symbols their values.
    checkInputNames(g, inputs);
    return interpret(specialize(g, bindSymbols(g, inputs)), inputs);
  }
  verify(g);
  checkInputs(g, inputs);

  std::unordered_map<const Value *, Tensor> values;
  for (const Value *v : g.inputs())
    values[v] = inputs.at(v->name());
  for (const Param &p : g.params())
    values[p.value] = p.data;

  // Drop each intermediate after its last use to bound memory.
  std::unordered_set<const Value *> outputs;
  for (const Output &o : g.outputs())
    outputs.insert(o.value);
  std::unordered_map<const Value *, size_t> lastUse;
  const auto &nodes = g.nodes();
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const Value *operand : nodes[i]->operands())
      lastUse[operand] = i;

  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &node = *nodes[i];
    std::vector<Tensor> operands;
    for (const Value *operand : node.operands())
      operands.push_back(values.at(operand));
    const TensorType &type = node.result()->type();
    Tensor result = withContext(node.describe(), [&] {
      return evaluate(node.op(), operands, node.attrs(), type);
    });
    assert(result.type() == type && "kernel result differs from its type");
    values[node.result()] = std::move(result);
    for (const Value *operand : node.operands())
      if (lastUse[operand] == i && !outputs.count(operand) &&
          operand->kind() == ValueKind::NodeResult)
        values.erase(operand);
  }

  // Results never alias the caller's inputs or the graph's parameters.
  std::map<std::string, Tensor> results;
  for (const Output &o : g.outputs()) {
    const Tensor &t = values.at(o.value);
    results[o.name] = o.value->kind() == ValueKind::NodeResult ? t : t.clone();
  }
  return results;
}

} // namespace adjoint
