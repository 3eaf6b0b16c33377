//===- ChannelsLast.cpp - conv2d and pools in NHWC, as NCHW ops -----------===//
#include "ir/ChannelsLast.h"

#include "ir/GraphCopy.h"
#include "ir/ShapeInference.h"
#include "ir/Verifier.h"

namespace adjoint {

bool isChannelsLastNode(const Node &node) {
  OpKind op = node.op();
  if (op != OpKind::Conv2D && op != OpKind::MaxPool2D &&
      op != OpKind::AvgPool2D)
    return false;
  return isChannelsLast(AttrReader(op, node.attrs()));
}

bool hasChannelsLast(const Graph &g) {
  for (const auto &node : g.nodes())
    if (isChannelsLastNode(*node))
      return true;
  return false;
}

Graph lowerChannelsLast(const Graph &g) {
  GraphRebuilder rb(g);
  auto transpose = [&](Value *v, std::span<const int64_t> perm,
                       const std::string &name = "") {
    Attributes a;
    a.set("perm", std::vector<int64_t>(perm.begin(), perm.end()));
    TensorType t{v->type().dtype, permuteShape(v->type().shape, perm)};
    return rb.add(OpKind::Transpose, {v}, std::move(a), t, name);
  };
  for (const auto &node : g.nodes()) {
    if (!isChannelsLastNode(*node)) {
      rb.copy(*node);
      continue;
    }
    std::vector<Value *> operands = rb.mappedOperands(*node);
    operands[0] = transpose(operands[0], kNhwcToNchw);
    if (node->op() == OpKind::Conv2D)
      operands[1] = transpose(operands[1], kHwioToOihw);
    Attributes attrs = node->attrs();
    attrs.erase("data_format");
    std::vector<TensorType> types;
    for (const Value *v : operands)
      types.push_back(v->type());
    TensorType nchw = inferType(node->op(), types, attrs);
    Value *y = rb.add(node->op(), std::move(operands), std::move(attrs), nchw);
    rb.map(node->result(), transpose(y, kNchwToNhwc, node->result()->name()));
  }
  Graph lowered = rb.finish();
  verify(lowered);
  return lowered;
}

} // namespace adjoint
