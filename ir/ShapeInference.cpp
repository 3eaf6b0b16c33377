//===- ShapeInference.cpp - Result types of operations --------------------===//
#include "ir/ShapeInference.h"

#include "ir/Error.h"
#include "ir/Scan.h"
#include "ir/ShapeChecks.h"
#include "ir/SymbolicDim.h"

#include <algorithm>
#include <limits>

namespace adjoint {

using namespace detail;

namespace {

Shape broadcastAll(OpKind op, std::span<const TensorType> ts) {
  Shape s = ts[0].shape;
  for (size_t i = 1; i < ts.size(); ++i) {
    try {
      s = broadcastShapes(s, ts[i].shape);
    } catch (const Error &) {
      badInput(opName(op), ": operand shapes do not broadcast (", typesStr(ts),
               ")");
    }
  }
  return s;
}

TensorType inferReduce(OpKind op, const TensorType &x, const Attributes &a) {
  requireDType(op, x,
               op == OpKind::ReduceMean ? Allowed::Float : Allowed::Numeric);
  AttrReader r(op, a);
  std::vector<int64_t> axes = reductionAxes(r, x.rank());
  bool keep = r.getBool("keepdims");
  Shape out;
  for (size_t d = 0; d < x.rank(); ++d) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), (int64_t)d);
    if (!reduced)
      out.push_back(x.shape[d]);
    else if (keep)
      out.push_back(1);
  }
  return {x.dtype, out};
}

} // namespace

Shape broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      badInput("shapes ", shapeStr(a), " and ", shapeStr(b),
               " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> reductionAxes(const AttrReader &attrs, size_t rank) {
  std::vector<int64_t> axes;
  if (const std::vector<int64_t> *given = attrs.findInts("axes")) {
    for (int64_t a : *given)
      axes.push_back(normalizeAxis(a, rank, "attribute 'axes'"));
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
      badInput("attribute 'axes' names an axis twice: ", shapeStr(*given));
  } else {
    for (size_t d = 0; d < rank; ++d)
      axes.push_back((int64_t)d);
  }
  return axes;
}

SliceDims normalizeSlice(const AttrReader &attrs, const Shape &operand) {
  const std::vector<int64_t> &starts = attrs.getInts("starts");
  const std::vector<int64_t> &ends = attrs.getInts("ends");
  size_t n = starts.size();
  if (ends.size() != n)
    badInput("slice: 'starts' and 'ends' differ in length (", n, " and ",
             ends.size(), ")");
  std::vector<int64_t> axes, steps(n, 1);
  if (const std::vector<int64_t> *given = attrs.findInts("axes")) {
    if (given->size() != n)
      badInput("slice: 'axes' must have ", n, " values, not ", given->size());
    axes = *given;
  } else {
    if (n > operand.size())
      badInput("slice: ", n, " starts given for an operand of rank ",
               operand.size());
    for (size_t i = 0; i < n; ++i)
      axes.push_back((int64_t)i);
  }
  if (const std::vector<int64_t> *given = attrs.findInts("steps")) {
    if (given->size() != n)
      badInput("slice: 'steps' must have ", n, " values, not ", given->size());
    steps = *given;
  }

  SliceDims s;
  s.start.assign(operand.size(), 0);
  s.step.assign(operand.size(), 1);
  s.count = operand;
  std::vector<bool> seen(operand.size(), false);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = normalizeAxis(axes[i], operand.size(), "slice: 'axes'");
    if (seen[axis])
      badInput("slice: axis ", axes[i], " is sliced twice");
    seen[axis] = true;
    int64_t dim = operand[axis], step = steps[i];
    if (step == 0)
      badInput("slice: step 0 on axis ", axes[i]);
    if (isSymbolic(dim)) {
      // Only the whole of a symbolic axis: its extent is not known here.
      if (starts[i] != 0 || step != 1 ||
          ends[i] < std::numeric_limits<int32_t>::max())
        badInput("slice: axis ", axes[i], " has the symbolic extent ",
                 dimStr(dim),
                 "; only all of it can be taken (start 0, step 1, end "
                 "past any extent), not starts ",
                 starts[i], ", ends ", ends[i], ", step ", step);
      continue;
    }
    // ONNX/numpy semantics: negative indices count from the end, then clamp.
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v < -dim ? lo : v + dim;
      return std::clamp(v, lo, hi);
    };
    int64_t start, end;
    if (step > 0) {
      start = clampIndex(starts[i], 0, dim);
      end = clampIndex(ends[i], 0, dim);
    } else {
      start = clampIndex(starts[i], -1, dim - 1);
      end = ends[i] < -dim ? -1 : clampIndex(ends[i], -1, dim - 1);
    }
    int64_t count = 0;
    // ceil(distance / |step|), written so that no step (not even INT64_MIN)
    // overflows: x / step == -(x / -step) with truncating division.
    if (step > 0 && end > start)
      count = (end - start - 1) / step + 1;
    else if (step < 0 && start > end)
      count = 1 - (start - end - 1) / step;
    s.start[axis] = count ? start : 0;
    s.step[axis] = step;
    s.count[axis] = count;
  }
  return s;
}

std::vector<int64_t> transposePerm(const AttrReader &attrs, size_t rank) {
  std::vector<int64_t> perm;
  if (const std::vector<int64_t> *given = attrs.findInts("perm")) {
    if (given->size() != rank)
      badInput("transpose: 'perm' ", shapeStr(*given), " does not match rank ",
               rank);
    std::vector<bool> seen(rank, false);
    for (int64_t p : *given) {
      int64_t axis = normalizeAxis(p, rank, "transpose: 'perm'");
      if (seen[axis])
        badInput("transpose: 'perm' ", shapeStr(*given),
                 " is not a permutation");
      seen[axis] = true;
      perm.push_back(axis);
    }
  } else {
    for (size_t i = rank; i-- > 0;)
      perm.push_back((int64_t)i);
  }
  return perm;
}

Shape reshapeTarget(const AttrReader &attrs, const Shape &operand) {
  Shape target = attrs.getInts("shape");
  int64_t inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0)
        badInput("reshape: more than one -1 in shape ", shapeStr(target));
      inferred = (int64_t)i;
    } else if (target[i] < 0) {
      badInput("reshape: negative dimension in shape ", shapeStr(target));
    }
  }
  // The element count is static or a multiple of one symbol, which only
  // the -1 can take on ([N,1,28,28] to [-1,784] is [N,784]).
  std::optional<int64_t> total = productOfDims(operand);
  if (!total)
    badInput("reshape: the operand ", shapeStr(operand),
             " has more than one symbolic dimension");
  if (inferred >= 0) {
    int64_t known = 1;
    bool overflow = false;
    for (size_t i = 0; i < target.size(); ++i)
      if ((int64_t)i != inferred)
        overflow |= __builtin_mul_overflow(known, target[i], &known);
    std::optional<int64_t> rest =
        overflow || known == 0 ? std::nullopt : divDims(*total, known);
    if (!rest)
      badInput("reshape: cannot infer -1 in ", shapeStr(target),
               " for an operand of shape ", shapeStr(operand));
    target[inferred] = *rest;
  }
  checkShape(target, 1, "reshape: target");
  if (productOfDims(target) != total)
    badInput("reshape: cannot reshape ", shapeStr(operand), " (",
             dimStr(*total), " elements) to ", shapeStr(target),
             isSymbolic(*total) ? " (a symbolic extent goes where -1 is)" : "");
  return target;
}

Window2D convWindow(const AttrReader &attrs, const Shape &x, const Shape &w) {
  const OpKind op = attrs.op();
  const auto &strides = attrs.getInts("strides");
  const auto &pads = attrs.getInts("pads");
  const auto &dil = attrs.getInts("dilations");
  requireLength(op, "strides", strides, 2);
  requireLength(op, "pads", pads, 4);
  requireLength(op, "dilations", dil, 2);
  requirePositive(op, "strides", strides);
  requirePositive(op, "dilations", dil);
  requireNonNegative(op, "pads", pads);
  Window2D win{w[2],    w[3],    strides[0], strides[1], pads[0], pads[1],
               pads[2], pads[3], dil[0],     dil[1],     0,       0};
  win.outH = windowOut(op, x[2], pads[0], pads[2], w[2], strides[0], dil[0]);
  win.outW = windowOut(op, x[3], pads[1], pads[3], w[3], strides[1], dil[1]);
  return win;
}

Window2D poolWindow(const AttrReader &attrs, const Shape &x) {
  const OpKind op = attrs.op();
  const auto &kernel = attrs.getInts("kernel");
  const auto &strides = attrs.getInts("strides");
  const auto &pads = attrs.getInts("pads");
  requireLength(op, "kernel", kernel, 2);
  requireLength(op, "strides", strides, 2);
  requireLength(op, "pads", pads, 4);
  requirePositive(op, "kernel", kernel);
  requirePositive(op, "strides", strides);
  requireNonNegative(op, "pads", pads);
  // A window lying wholly in the padding would have no element to pool.
  if (pads[0] >= kernel[0] || pads[2] >= kernel[0] || pads[1] >= kernel[1] ||
      pads[3] >= kernel[1])
    badInput(opName(op), ": pads ", shapeStr(pads),
             " must be smaller than the kernel ", shapeStr(kernel));
  // So would every window of an empty image that padding makes room for.
  if (x[2] == 0 || x[3] == 0)
    badInput(opName(op), ": the input ", shapeStr(x),
             " has an empty spatial dimension");
  Window2D win{kernel[0], kernel[1], strides[0], strides[1], pads[0], pads[1],
               pads[2],   pads[3],   1,          1,          0,       0};
  win.outH = windowOut(op, x[2], pads[0], pads[2], kernel[0], strides[0], 1);
  win.outW = windowOut(op, x[3], pads[1], pads[3], kernel[1], strides[1], 1);
  return win;
}

bool isChannelsLast(const AttrReader &attrs) {
  const std::string &format = attrs.getString("data_format");
  if (format == "NHWC")
    return true;
  if (format != "NCHW")
    badInput(opName(attrs.op()),
             ": data_format must be \"NCHW\" or \"NHWC\", "
             "not \"",
             format, "\"");
  return false;
}

Shape permuteShape(const Shape &s, std::span<const int64_t> perm) {
  Shape out;
  for (int64_t p : perm)
    out.push_back(s[p]);
  return out;
}

MatMulDims matmulDims(const Shape &a, const Shape &b) {
  if (a.empty() || b.empty())
    badInput("matmul: operands must have rank >= 1, not ", shapeStr(a), " and ",
             shapeStr(b));
  MatMulDims d;
  d.aVector = a.size() == 1;
  d.bVector = b.size() == 1;
  Shape a2 = d.aVector ? Shape{1, a[0]} : a;
  Shape b2 = d.bVector ? Shape{b[0], 1} : b;
  d.m = a2[a2.size() - 2];
  d.k = a2.back();
  d.n = b2.back();
  if (b2[b2.size() - 2] != d.k)
    badInput("matmul: contraction dimensions differ (", shapeStr(a), " @ ",
             shapeStr(b), ")");
  Shape ba(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  try {
    d.batch = broadcastShapes(ba, bb);
  } catch (const Error &) {
    badInput("matmul: batch dimensions do not broadcast (", shapeStr(a), " @ ",
             shapeStr(b), ")");
  }
  d.batchA = Shape(d.batch.size() - ba.size(), 1);
  d.batchA.insert(d.batchA.end(), ba.begin(), ba.end());
  d.batchB = Shape(d.batch.size() - bb.size(), 1);
  d.batchB.insert(d.batchB.end(), bb.begin(), bb.end());
  return d;
}

namespace {

/// inferType without the final check of the result's size.
TensorType inferUnchecked(OpKind op, std::span<const TensorType> ops,
                          const Attributes &attrs) {
  const OpDef &def = opDef(op);
  if (def.arity >= 0 ? ops.size() != (size_t)def.arity : ops.empty())
    badInput(def.name, " takes ",
             def.arity >= 0 ? std::to_string(def.arity) : "one or more",
             " operand", def.arity == 1 ? "" : "s", ", got ", ops.size());
  checkAttributes(op, attrs);
  AttrReader r(op, attrs);

  switch (op) {
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Erf:
    requireDType(op, ops[0], Allowed::Float);
    return ops[0];
  case OpKind::Neg:
    requireDType(op, ops[0], Allowed::SignedNumeric);
    return ops[0];
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Relu:
    requireDType(op, ops[0], Allowed::Numeric);
    return ops[0];
  case OpKind::LogicalNot:
    requireDType(op, ops[0], Allowed::Bool);
    return ops[0];

  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Maximum:
  case OpKind::Minimum:
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Numeric, "operands");
    return {ops[0].dtype, broadcastAll(op, ops)};
  case OpKind::Pow:
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Float, "operands");
    return {ops[0].dtype, broadcastAll(op, ops)};
  case OpKind::Equal:
    requireSameDType(op, ops);
    return {DType::Bool, broadcastAll(op, ops)};
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Numeric, "operands");
    return {DType::Bool, broadcastAll(op, ops)};
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
    requireDType(op, ops[0], Allowed::Bool, "operands");
    requireDType(op, ops[1], Allowed::Bool, "operands");
    return {DType::Bool, broadcastAll(op, ops)};
  case OpKind::Select:
    requireDType(op, ops[0], Allowed::Bool, "condition");
    if (ops[1].dtype != ops[2].dtype)
      badInput("select: the two branches differ in dtype (", typesStr(ops),
               ")");
    return {ops[1].dtype, broadcastAll(op, ops)};

  case OpKind::Cast:
    return {r.getDType("to"), ops[0].shape};
  case OpKind::Constant: {
    const Tensor &value = r.getTensor("value");
    checkType(value.type(), "constant: 'value'");
    return value.type();
  }
  case OpKind::Iota: {
    TensorType t{r.getDType("dtype"), r.getInts("shape")};
    requireShapeAttr(op, "shape", t.shape);
    requireDType(op, t, Allowed::Numeric, "result");
    checkType(t, "iota: 'shape'");
    if (t.rank() == 0)
      badInput("iota: 'shape' must have rank >= 1");
    normalizeAxis(r.getInt("axis"), t.rank(), "iota: 'axis'");
    return t;
  }

  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return inferReduce(op, ops[0], attrs);
  case OpKind::Argmax: {
    requireDType(op, ops[0], Allowed::Numeric);
    int64_t axis =
        normalizeAxis(r.getInt("axis"), ops[0].rank(), "argmax: 'axis'");
    if (ops[0].shape[axis] == 0)
      badInput("argmax: axis ", axis, " of ", typeStr(ops[0]), " is empty");
    Shape out;
    for (size_t d = 0; d < ops[0].rank(); ++d)
      if ((int64_t)d != axis)
        out.push_back(ops[0].shape[d]);
      else if (r.getBool("keepdims"))
        out.push_back(1);
    return {DType::I64, out};
  }

  case OpKind::Reshape:
    return {ops[0].dtype, reshapeTarget(r, ops[0].shape)};
  case OpKind::Transpose: {
    std::vector<int64_t> perm = transposePerm(r, ops[0].rank());
    Shape out;
    for (int64_t p : perm)
      out.push_back(ops[0].shape[p]);
    return {ops[0].dtype, out};
  }
  case OpKind::BroadcastTo: {
    Shape target = r.getInts("shape");
    requireShapeAttr(op, "shape", target);
    checkShape(target, 1, "broadcast_to: 'shape'");
    bool ok = ops[0].rank() <= target.size();
    for (size_t i = 0; ok && i < ops[0].rank(); ++i) {
      int64_t d = ops[0].shape[ops[0].rank() - 1 - i];
      ok = d == 1 || d == target[target.size() - 1 - i];
    }
    if (!ok)
      badInput("broadcast_to: cannot broadcast ", typeStr(ops[0]), " to ",
               shapeStr(target));
    return {ops[0].dtype, target};
  }
  case OpKind::Slice:
    return {ops[0].dtype, normalizeSlice(r, ops[0].shape).count};
  case OpKind::Concat: {
    requireSameDType(op, ops);
    if (ops[0].rank() == 0)
      badInput("concat: operands must have rank >= 1");
    int64_t axis =
        normalizeAxis(r.getInt("axis"), ops[0].rank(), "concat: 'axis'");
    Shape out = ops[0].shape;
    for (size_t i = 1; i < ops.size(); ++i) {
      bool ok = ops[i].rank() == out.size();
      for (size_t d = 0; ok && d < out.size(); ++d)
        ok = (int64_t)d == axis || ops[i].shape[d] == out[d];
      if (!ok)
        badInput("concat: operand shapes differ outside axis ", axis, " (",
                 typesStr(ops), ")");
      std::optional<int64_t> sum = addDims(out[axis], ops[i].shape[axis]);
      if (!sum)
        badInput("concat: the result's extent along axis ", axis,
                 isSymbolic(out[axis]) || isSymbolic(ops[i].shape[axis])
                     ? " would mix symbols or a symbol and a number ("
                     : " overflows (",
                 typesStr(ops), ")");
      out[axis] = *sum;
    }
    checkShape(out, dtypeSize(ops[0].dtype), "concat: result");
    return {ops[0].dtype, out};
  }
  case OpKind::Pad: {
    const auto &pads = r.getInts("pads");
    requireLength(op, "pads", pads, 2 * ops[0].rank());
    requireNonNegative(op, "pads", pads);
    Shape out = ops[0].shape;
    for (size_t d = 0; d < out.size(); ++d) {
      if (isSymbolic(out[d])) {
        if (pads[d] != 0 || pads[d + out.size()] != 0)
          badInput("pad: axis ", d, " has the symbolic extent ", dimStr(out[d]),
                   " and cannot be padded (pads ", shapeStr(pads), ")");
        continue;
      }
      if (pads[d] > std::numeric_limits<int32_t>::max() ||
          pads[d + out.size()] > std::numeric_limits<int32_t>::max())
        badInput("pad: pads ", shapeStr(pads), " are too large");
      if (__builtin_add_overflow(out[d], pads[d] + pads[d + out.size()],
                                 &out[d]))
        badInput("pad: pads ", shapeStr(pads), " are too large for ",
                 shapeStr(ops[0].shape));
    }
    checkShape(out, dtypeSize(ops[0].dtype), "pad: result");
    return {ops[0].dtype, out};
  }
  case OpKind::OneHot: {
    if (ops[0].dtype != DType::I32 && ops[0].dtype != DType::I64)
      badInput("one_hot: indices must be i32 or i64, not ", typeStr(ops[0]));
    int64_t depth = r.getInt("depth");
    if (depth <= 0)
      badInput("one_hot: 'depth' must be positive, not ", depth);
    Shape out = ops[0].shape;
    out.push_back(depth);
    checkShape(out, dtypeSize(r.getDType("dtype")), "one_hot: result");
    return {r.getDType("dtype"), out};
  }
  case OpKind::Gather: {
    if (ops[1].dtype != DType::I32 && ops[1].dtype != DType::I64)
      badInput("gather: indices must be i32 or i64, not ", typeStr(ops[1]));
    if (ops[0].rank() == 0)
      badInput("gather: data must have rank >= 1");
    int64_t axis =
        normalizeAxis(r.getInt("axis"), ops[0].rank(), "gather: 'axis'");
    Shape out(ops[0].shape.begin(), ops[0].shape.begin() + axis);
    out.insert(out.end(), ops[1].shape.begin(), ops[1].shape.end());
    out.insert(out.end(), ops[0].shape.begin() + axis + 1, ops[0].shape.end());
    if (ops[0].shape[axis] == 0 && productOfDims(ops[1].shape) != 0)
      badInput("gather: indices into an empty axis ", axis, " of ",
               typeStr(ops[0]));
    checkShape(out, dtypeSize(ops[0].dtype), "gather: result");
    return {ops[0].dtype, out};
  }

  case OpKind::MatMul: {
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Numeric, "operands");
    MatMulDims d = matmulDims(ops[0].shape, ops[1].shape);
    Shape out = d.batch;
    if (!d.aVector)
      out.push_back(d.m);
    if (!d.bVector)
      out.push_back(d.n);
    return {ops[0].dtype, out};
  }
  case OpKind::Attention: {
    // q [..., Sq, D], k [..., Sk, D], v [..., Sk, Dv] with the same batch
    // axes -> [..., Sq, Dv].
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Float, "operands");
    size_t rank = ops[0].rank();
    if (rank < 2 || ops[1].rank() != rank || ops[2].rank() != rank)
      badInput("attention: q, k and v must have one rank of at least 2 "
               "(q [..., queries, d], k [..., keys, d], v [..., keys, dv]), "
               "not ",
               typesStr(ops));
    requireStaticDims(op, ops[0], rank - 2, "q");
    requireStaticDims(op, ops[1], rank - 2, "k");
    requireStaticDims(op, ops[2], rank - 2, "v");
    const Shape &q = ops[0].shape, &k = ops[1].shape, &v = ops[2].shape;
    for (size_t d = 0; d + 2 < rank; ++d)
      if (q[d] != k[d] || q[d] != v[d])
        badInput("attention: the batch axes of q, k and v differ (",
                 typesStr(ops), ")");
    if (k[rank - 1] != q[rank - 1])
      badInput("attention: q and k must have one depth (their last axis), "
               "not ",
               typesStr(ops));
    if (v[rank - 2] != k[rank - 2])
      badInput("attention: k and v must have one number of keys (their "
               "second-to-last axis), not ",
               typesStr(ops));
    if (k[rank - 2] < 1)
      badInput("attention: there are no keys (", typesStr(ops), ")");
    Shape out = q;
    out[rank - 1] = v[rank - 1];
    return {ops[0].dtype, out};
  }
  case OpKind::Conv2D: {
    requireSameDType(op, ops);
    requireDType(op, ops[0], Allowed::Float, "operands");
    // Channels last: the rule of NCHW on the operands permuted.
    bool last = isChannelsLast(r);
    const char *xName = last ? "input (N,H,W,C)" : "input (N,C,H,W)";
    const char *wName =
        last ? "weight (kH,kW,C/groups,O)" : "weight (O,C/groups,kH,kW)";
    requireRank(op, ops[0], 4, xName);
    requireRank(op, ops[1], 4, wName);
    requireStaticDims(op, ops[0], 1, xName);
    requireStaticDims(op, ops[1], 0, wName);
    Shape x = last ? permuteShape(ops[0].shape, kNhwcToNchw) : ops[0].shape;
    Shape w = last ? permuteShape(ops[1].shape, kHwioToOihw) : ops[1].shape;
    Shape y = convOutputShape(op, r, x, w, typesStr(ops));
    return {ops[0].dtype, last ? permuteShape(y, kNchwToNhwc) : y};
  }
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D: {
    requireDType(op, ops[0],
                 op == OpKind::MaxPool2D ? Allowed::Numeric : Allowed::Float);
    bool last = isChannelsLast(r);
    const char *xName = last ? "input (N,H,W,C)" : "input (N,C,H,W)";
    requireRank(op, ops[0], 4, xName);
    requireStaticDims(op, ops[0], 1, xName);
    Shape x = last ? permuteShape(ops[0].shape, kNhwcToNchw) : ops[0].shape;
    Window2D win = poolWindow(r, x);
    Shape y = {x[0], x[1], win.outH, win.outW};
    return {ops[0].dtype, last ? permuteShape(y, kNchwToNhwc) : y};
  }

  case OpKind::StopGradient:
    return ops[0];
  case OpKind::Conv2DInputGrad:
    return inferConv2DInputGrad(ops, r);
  case OpKind::Conv2DWeightGrad:
    return inferConv2DWeightGrad(ops, r);
  case OpKind::MaxPool2DGrad:
    return inferMaxPool2DGrad(ops, r);
  case OpKind::AvgPool2DGrad:
    return inferAvgPool2DGrad(ops, r);
  case OpKind::ScatterAdd:
    return inferScatterAdd(ops, r);
  case OpKind::Scan:
    return inferScan(ops, r);
  case OpKind::Dropout: {
    requireDType(op, ops[0], Allowed::Float);
    if (ops[1].dtype != DType::I64 || ops[1].rank() != 0)
      badInput("dropout: the step must be an i64 scalar, not ",
               typeStr(ops[1]));
    double rate = r.getFloat("rate");
    if (!(rate >= 0 && rate < 1))
      badInput("dropout: 'rate' is ", rate, " but must be in [0, 1)");
    return ops[0];
  }
  }
  __builtin_unreachable();
}

} // namespace

TensorType inferType(OpKind op, std::span<const TensorType> ops,
                     const Attributes &attrs) {
  TensorType t = inferUnchecked(op, ops, attrs);
  // Broadcasting, matmul and windows can make a result far larger than any
  // operand (f32[1,2^40] + f32[2^40,1]): its size must still fit in 64 bits.
  checkType(t, strCat(opName(op), ": result"));
  return t;
}

} // namespace adjoint
