//===- GradRules.cpp - The vector-Jacobian product of every op ------------===//
//
// One rule per op, in one switch over OpKind. A rule returns the gradient
// of the loss with respect to operand `i`, given the gradient `dy` with
// respect to the node's result `y`, built from forward ops; the math is in
// the comment above it. An operand that broadcast may get a gradient of the
// result's shape: the driver (Grad.cpp) sums it back to the operand's shape.
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/GradRules.h"

#include "ir/ShapeInference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace adjoint::autodiff {

Value *zerosOf(Builder &b, const TensorType &type) {
  Value *zero = b.scalar(type.dtype, 0);
  return type.rank() == 0 ? zero : b.broadcastTo(zero, type.shape);
}

Value *GradContext::reduceTo(Value *v, const Shape &shape) {
  const Shape &from = v->type().shape;
  if (from == shape)
    return v;
  size_t lead = from.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t d = 0; d < from.size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1))
      axes.push_back((int64_t)d);
  Value *sum = axes.empty() ? v : reduceSum(v, axes, /*keepdims=*/true);
  return reshapeTo(sum, shape);
}

Value *GradContext::keepReducedDims(Value *v) {
  if (node.attr().getBool("keepdims"))
    return v;
  Shape kept = xShape(0);
  for (int64_t a : reductionAxes(node.attr(), kept.size()))
    kept[a] = 1;
  return reshapeTo(v, kept);
}

Value *GradContext::transposeLast2(Value *v) {
  size_t rank = v->type().rank();
  std::vector<int64_t> perm;
  for (size_t d = 0; d < rank; ++d)
    perm.push_back((int64_t)d);
  std::swap(perm[rank - 2], perm[rank - 1]);
  return transpose(v, perm);
}

namespace {

/// `attrs` without the attribute `name`.
Attributes without(const Attributes &attrs, std::string_view name) {
  Attributes out;
  for (const auto &[key, value] : attrs)
    if (key != name)
      out.set(key, value);
  return out;
}

/// `attrs` plus `name = value`.
Attributes with(Attributes attrs, std::string name, AttrValue value) {
  attrs.set(std::move(name), std::move(value));
  return attrs;
}

/// The perm attribute of a transpose.
Attributes permAttr(std::span<const int64_t> perm) {
  Attributes a;
  a.set("perm", std::vector<int64_t>(perm.begin(), perm.end()));
  return a;
}

constexpr int64_t kOihwToHwio[] = {2, 3, 1, 0};

/// A channels-last conv2d or pool differentiates as its NCHW op between
/// transposes: `v` transposed by `perm` when the node is channels-last
/// (data_format "NHWC"), else `v`.
Value *ifChannelsLast(GradContext &c, Value *v, std::span<const int64_t> perm) {
  if (!isChannelsLast(AttrReader(c.node.op(), c.node.attrs())))
    return v;
  return c.op(OpKind::Transpose, {v}, permAttr(perm));
}
Shape ifChannelsLast(GradContext &c, const Shape &s,
                     std::span<const int64_t> perm) {
  return isChannelsLast(AttrReader(c.node.op(), c.node.attrs()))
             ? permuteShape(s, perm)
             : s;
}

/// The window attributes of a pooling node (kernel, strides, pads).
Attributes windowAttrs(const Attributes &attrs) {
  return without(without(without(attrs, "count_include_pad"), "input_shape"),
                 "data_format");
}

/// The adjoint of max_pool2d_grad(x, dy) in dy: for each window, g at the
/// position max_pool2d_grad sends the window's dy to, the first maximum in
/// row-major order (the first NaN in a window holding one; never the
/// padding). The window offsets (i, j) of all output positions are strided
/// slices of x and g; the first offset whose x equals max_pool2d(x) picks g.
Value *firstMaxOfWindows(GradContext &c, Value *x, Value *g) {
  Attributes window = windowAttrs(c.node.attrs());
  AttrReader attrs(OpKind::MaxPool2D, window);
  const Shape &shape = x->type().shape;
  Window2D win = poolWindow(attrs, shape);
  Value *max = c.op(OpKind::MaxPool2D, {x}, window);
  std::vector<int64_t> pads = {0, 0, win.padTop,    win.padLeft,
                               0, 0, win.padBottom, win.padRight};
  bool padded = pads != std::vector<int64_t>(8, 0);
  Value *xp = c.pad(x, pads, -INFINITY);
  Value *gp = c.pad(g, pads);
  // 1 inside the image, 0 in the padding (which never wins).
  Value *inside = padded ? c.pad(c.broadcastTo(c.c(1), shape), pads) : nullptr;
  Value *sum = nullptr, *taken = nullptr;
  for (int64_t i = 0; i < win.kernelH; ++i)
    for (int64_t j = 0; j < win.kernelW; ++j) {
      auto at = [&](Value *v) {
        return c.slice(v, {i, j},
                       {i + win.strideH * (win.outH - 1) + 1,
                        j + win.strideW * (win.outW - 1) + 1},
                       {2, 3}, {win.strideH, win.strideW});
      };
      Value *xs = at(xp);
      // Equal to the maximum, or a NaN (then the maximum is NaN too).
      Value *hit = c.logicalOr(c.equal(xs, max), c.logicalNot(c.equal(xs, xs)));
      if (inside)
        hit = c.logicalAnd(hit, c.greater(at(inside), c.c(0)));
      if (taken)
        hit = c.logicalAnd(hit, c.logicalNot(taken));
      Value *term = c.select(hit, at(gp), c.c(0));
      sum = sum ? c.add(sum, term) : term;
      taken = taken ? c.logicalOr(taken, hit) : hit;
    }
  return sum;
}

/// Pads `g` along `axis` with `begin` zeros before and `end` after.
Value *padAxis(GradContext &c, Value *g, size_t axis, int64_t begin,
               int64_t end) {
  if (begin == 0 && end == 0)
    return g;
  size_t rank = g->type().rank();
  std::vector<int64_t> pads(2 * rank, 0);
  pads[axis] = begin;
  pads[rank + axis] = end;
  return c.pad(g, pads);
}

/// The gradient of a slice along one axis: `g` holds the `count` elements
/// taken from an axis of extent `dim` at start, start + step, ...; the
/// result puts them back in place, zeros elsewhere.
Value *unsliceAxis(GradContext &c, Value *g, size_t axis, int64_t start,
                   int64_t step, int64_t count, int64_t dim) {
  int64_t a = (int64_t)axis;
  if (step < 0) {
    // The same elements in increasing order: reverse g and start at the
    // lowest index.
    g = c.slice(g, {-1}, {std::numeric_limits<int64_t>::min()}, {a}, {-1});
    start += (count - 1) * step;
    step = -step;
  }
  int64_t extent = count;
  if (step > 1) {
    // Interleave step - 1 zeros after each element: [.., count, ..] ->
    // [.., count, 1, ..] -> pad -> [.., count, step, ..] -> [.., count*step,
    // ..], then drop the zeros after the last element.
    Shape s = g->type().shape;
    Shape split = s;
    split.insert(split.begin() + a + 1, 1);
    Value *spread = padAxis(c, c.reshape(g, split), axis + 1, 0, step - 1);
    s[axis] = count * step;
    extent = (count - 1) * step + 1;
    g = c.slice(c.reshape(spread, s), {0}, {extent}, {a});
  }
  return padAxis(c, g, axis, start, dim - start - extent);
}

// d/dx slice(x) = the gradient put back where the slice took its elements.
Value *sliceGrad(GradContext &c) {
  const Shape &shape = c.xShape(0);
  SliceDims s = normalizeSlice(c.node.attr(), shape);
  if (std::find(s.count.begin(), s.count.end(), 0) != s.count.end())
    return c.zeros(c.x(0)->type());
  Value *g = c.dy;
  for (size_t d = 0; d < shape.size(); ++d)
    if (s.start[d] != 0 || s.step[d] != 1 || s.count[d] != shape[d])
      g = unsliceAxis(c, g, d, s.start[d], s.step[d], s.count[d], shape[d]);
  return g;
}

// y = a @ b with a [.., M, K], b [.., K, N] (a 1-D a is [1, K], a 1-D b is
// [K, 1]): d/da = dy @ b^T, d/db = a^T @ dy, batch dims summed back. A
// weight b [K, N] shared by a batch of a (a dense layer over a sequence)
// gets one product over every row instead: a [rows, K]^T @ dy [rows, N].
Value *matmulGrad(GradContext &c, size_t i) {
  MatMulDims d = matmulDims(c.xShape(0), c.xShape(1));
  if (i == 1 && c.xShape(1).size() == 2 && c.xShape(0).size() > 2) {
    int64_t rows = d.m;
    for (int64_t x : d.batch)
      rows *= x;
    return c.matmul(c.transposeLast2(c.reshapeTo(c.x(0), {rows, d.k})),
                    c.reshapeTo(c.dy, {rows, d.n}));
  }
  Value *a = c.reshapeTo(c.x(0), d.aVector ? Shape{1, d.k} : c.xShape(0));
  Value *b = c.reshapeTo(c.x(1), d.bVector ? Shape{d.k, 1} : c.xShape(1));
  Shape full = d.batch;
  full.push_back(d.m);
  full.push_back(d.n);
  Value *dy = c.reshapeTo(c.dy, full);
  Value *g = i == 0 ? c.matmul(dy, c.transposeLast2(b))
                    : c.matmul(c.transposeLast2(a), dy);
  Value *operand = i == 0 ? a : b;
  g = c.reduceTo(g, operand->type().shape);
  return c.reshapeTo(g, c.xShape(i));
}

// d/dx reduce_max(x) = dy where x equals the maximum, split equally among
// the tied elements (as PyTorch's amax); likewise reduce_min.
Value *extremumGrad(GradContext &c) {
  DType t = c.y->type().dtype;
  Value *hit = c.cast(c.equal(c.x(0), c.keepReducedDims(c.y)), t);
  std::vector<int64_t> axes = reductionAxes(c.node.attr(), c.xShape(0).size());
  Value *ties = c.reduceSum(hit, axes, /*keepdims=*/true);
  return c.mul(hit, c.div(c.keepReducedDims(c.dy), ties));
}

// y = a^b: d/da = b a^(b-1), taken as 0 where b = 0 (a^0 = 1 even at
// a = 0, where 0 * 0^-1 would give NaN); d/db = a^b log(a), taken as 0
// where a = 0 (the limit from a > 0 for b > 0). PyTorch makes the same
// choices. The inner selects keep pow's exponent and log's input off the
// masked points so that second derivatives stay finite there too.
Value *powGrad(GradContext &c, size_t i) {
  Value *a = c.x(0), *b = c.x(1);
  if (i == 0) {
    Value *zero = c.equal(b, c.c(0));
    Value *safeB = c.select(zero, c.c(1), b);
    Value *slope = c.mul(b, c.pow(a, c.sub(safeB, c.c(1))));
    return c.mul(c.dy, c.select(zero, c.c(0), slope));
  }
  Value *zero = c.equal(a, c.c(0));
  Value *safeA = c.select(zero, c.c(1), a);
  return c.mul(c.dy, c.select(zero, c.c(0), c.mul(c.y, c.log(safeA))));
}

/// A rule for ops whose result carries no gradient to any operand.
Value *noGradient(GradContext &, size_t) { return nullptr; }

/// y = softmax(S) @ v with S = scale * q @ k^T (masked when causal). The
/// probabilities P are computed again from q and k, then
///   dv = P^T dy,  dP = dy v^T,  dS = P * (dP - rowsum(dP * P)),
///   dq = scale * dS k,  dk = scale * dS^T q,
/// all three at the first call.
Value *attentionGrad(GradContext &c, size_t i) {
  if (c.all.empty()) {
    AttrReader r = c.node.attr();
    Value *q = c.x(0), *k = c.x(1), *v = c.x(2);
    Value *scale = c.c(r.getFloat("scale"));
    Value *s = c.mul(c.matmul(q, c.transposeLast2(k)), scale);
    if (r.getBool("causal")) {
      const Shape &qs = c.xShape(0), &ks = c.xShape(1);
      int64_t queries = qs[qs.size() - 2], keys = ks[ks.size() - 2];
      std::vector<double> visible(queries * keys);
      for (int64_t a = 0; a < queries; ++a)
        for (int64_t b = 0; b < keys; ++b)
          visible[a * keys + b] = b <= a;
      Value *mask = c.constant(
          Tensor::fromDoubles(DType::Bool, {queries, keys}, visible));
      s = c.select(mask, s, c.c(-std::numeric_limits<double>::infinity()));
    }
    Value *p = c.softmax(s, -1);
    Value *dp = c.matmul(c.dy, c.transposeLast2(v));
    Value *ds = c.mul(
        p,
        c.sub(dp, c.reduceSum(c.mul(dp, p), std::vector<int64_t>{-1}, true)));
    c.all = {c.mul(c.matmul(ds, k), scale),
             c.mul(c.matmul(c.transposeLast2(ds), q), scale),
             c.matmul(c.transposeLast2(p), c.dy)};
  }
  return c.all[i];
}

} // namespace

GradRule gradientRule(OpKind op) {
  switch (op) {
  // d/dx (-x) = -1
  case OpKind::Neg:
    return [](GradContext &c, size_t) { return c.neg(c.dy); };
  // d/dx |x| = sign(x) (0 at x = 0)
  case OpKind::Abs:
    return [](GradContext &c, size_t) { return c.mul(c.dy, c.sign(c.x(0))); };
  // d/dx sign(x) = 0 (where it exists)
  case OpKind::Sign:
    return noGradient;
  // d/dx exp(x) = exp(x) = y
  case OpKind::Exp:
    return [](GradContext &c, size_t) { return c.mul(c.dy, c.y); };
  // d/dx log(x) = 1/x
  case OpKind::Log:
    return [](GradContext &c, size_t) { return c.div(c.dy, c.x(0)); };
  // d/dx sqrt(x) = 0.5 / sqrt(x) = 0.5 / y
  case OpKind::Sqrt:
    return [](GradContext &c, size_t) {
      return c.div(c.mul(c.dy, c.c(0.5)), c.y);
    };
  // d/dx tanh(x) = 1 - tanh(x)^2 = 1 - y^2
  case OpKind::Tanh:
    return [](GradContext &c, size_t) {
      return c.mul(c.dy, c.sub(c.c(1), c.mul(c.y, c.y)));
    };
  // d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x)) = y (1 - y)
  case OpKind::Sigmoid:
    return [](GradContext &c, size_t) {
      return c.mul(c.dy, c.mul(c.y, c.sub(c.c(1), c.y)));
    };
  // d/dx relu(x) = 1 if x > 0, else 0 (0 at x = 0). Tested on y = relu(x)
  // (y > 0 exactly when x > 0, NaN included), so that x need not be kept
  // for the backward pass: fused into its producer's epilogue, x is never
  // stored.
  case OpKind::Relu:
    return [](GradContext &c, size_t) {
      return c.select(c.greater(c.y, c.c(0)), c.dy, c.c(0));
    };
  // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  case OpKind::Erf:
    return [](GradContext &c, size_t) {
      Value *x = c.x(0);
      return c.mul(c.dy, c.mul(c.c(M_2_SQRTPI), c.exp(c.neg(c.mul(x, x)))));
    };

  // d/da (a+b) = 1, d/db (a+b) = 1
  case OpKind::Add:
    return [](GradContext &c, size_t) { return c.dy; };
  // d/da (a-b) = 1, d/db (a-b) = -1
  case OpKind::Sub:
    return [](GradContext &c, size_t i) { return i ? c.neg(c.dy) : c.dy; };
  // d/da (a*b) = b, d/db (a*b) = a
  case OpKind::Mul:
    return [](GradContext &c, size_t i) { return c.mul(c.dy, c.x(1 - i)); };
  // d/da (a/b) = 1/b, d/db (a/b) = -a/b^2 = -y/b
  case OpKind::Div:
    return [](GradContext &c, size_t i) {
      return i == 0 ? c.div(c.dy, c.x(1))
                    : c.neg(c.div(c.mul(c.dy, c.y), c.x(1)));
    };
  // see powGrad
  case OpKind::Pow:
    return powGrad;
  // maximum(a, b) = a if a >= b else b (ties: a): the gradient goes to the
  // chosen operand
  case OpKind::Maximum:
    return [](GradContext &c, size_t i) {
      Value *first = c.greaterEqual(c.x(0), c.x(1));
      return i == 0 ? c.select(first, c.dy, c.c(0))
                    : c.select(first, c.c(0), c.dy);
    };
  // minimum(a, b) = a if a <= b else b (ties: a)
  case OpKind::Minimum:
    return [](GradContext &c, size_t i) {
      Value *first = c.lessEqual(c.x(0), c.x(1));
      return i == 0 ? c.select(first, c.dy, c.c(0))
                    : c.select(first, c.c(0), c.dy);
    };

  // Comparisons and logic give bool: no gradient.
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
    return noGradient;
  // select(c, a, b): d/da = c, d/db = !c; none to the condition
  case OpKind::Select:
    return [](GradContext &c, size_t i) -> Value * {
      if (i == 0)
        return nullptr;
      return i == 1 ? c.select(c.x(0), c.dy, c.c(0))
                    : c.select(c.x(0), c.c(0), c.dy);
    };

  // d/dx cast(x) = 1 between float types, cast back; none to or from
  // integers and bool
  case OpKind::Cast:
    return [](GradContext &c, size_t) -> Value * {
      DType from = c.x(0)->type().dtype;
      if (!isFloat(from) || !isFloat(c.y->type().dtype))
        return nullptr;
      return from == c.y->type().dtype ? c.dy : c.cast(c.dy, from);
    };
  // Sources and argmax: no float operand to differentiate.
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::Argmax:
  case OpKind::OneHot:
    return noGradient;

  // d/dx_j sum(x) = 1: dy broadcast back over the reduced axes
  case OpKind::ReduceSum:
    return [](GradContext &c, size_t) {
      return c.broadcastTo(c.keepReducedDims(c.dy), c.xShape(0));
    };
  // y = (1/n) sum_j x_j over the n reduced elements, so dy/dx_j = 1/n:
  // dy / n broadcast back over the reduced axes (divided before the
  // broadcast, on the smaller tensor)
  case OpKind::ReduceMean:
    return [](GradContext &c, size_t) {
      int64_t n = 1;
      for (int64_t a : reductionAxes(c.node.attr(), c.xShape(0).size()))
        n *= c.xShape(0)[a];
      return c.broadcastTo(c.keepReducedDims(c.div(c.dy, c.c((double)n))),
                           c.xShape(0));
    };
  // see extremumGrad
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return [](GradContext &c, size_t) { return extremumGrad(c); };

  // reshape moves no element: reshape the gradient back
  case OpKind::Reshape:
    return
        [](GradContext &c, size_t) { return c.reshapeTo(c.dy, c.xShape(0)); };
  // transpose(x, p): transpose back with the inverse permutation
  case OpKind::Transpose:
    return [](GradContext &c, size_t) {
      std::vector<int64_t> perm =
          transposePerm(c.node.attr(), c.xShape(0).size());
      std::vector<int64_t> inverse(perm.size());
      for (size_t d = 0; d < perm.size(); ++d)
        inverse[perm[d]] = (int64_t)d;
      return inverse.empty() ? c.dy : c.transpose(c.dy, inverse);
    };
  // broadcast_to: sum over the broadcast axes
  case OpKind::BroadcastTo:
    return [](GradContext &c, size_t) { return c.reduceTo(c.dy, c.xShape(0)); };
  // see sliceGrad
  case OpKind::Slice:
    return [](GradContext &c, size_t) { return sliceGrad(c); };
  // concat: operand i gets its own slice of the gradient
  case OpKind::Concat:
    return [](GradContext &c, size_t i) {
      int64_t axis = normalizeAxis(c.node.attr().getInt("axis"),
                                   c.xShape(0).size(), "concat: 'axis'");
      int64_t begin = 0;
      for (size_t k = 0; k < i; ++k)
        begin += c.xShape(k)[axis];
      return c.slice(c.dy, {begin}, {begin + c.xShape(i)[axis]}, {axis});
    };
  // pad: the gradient without the padding (none flows to the pad value)
  case OpKind::Pad:
    return [](GradContext &c, size_t) {
      const std::vector<int64_t> &pads = c.node.attr().getInts("pads");
      const Shape &shape = c.xShape(0);
      std::vector<int64_t> starts, ends, axes;
      for (size_t d = 0; d < shape.size(); ++d) {
        starts.push_back(pads[d]);
        ends.push_back(pads[d] + shape[d]);
        axes.push_back((int64_t)d);
      }
      return axes.empty() ? c.dy : c.slice(c.dy, starts, ends, axes);
    };
  // gather(data, idx, axis): the gradient of each gathered element is added
  // back where it came from (repeated indices add up); none to idx
  case OpKind::Gather:
    return [](GradContext &c, size_t i) -> Value * {
      if (i == 1)
        return nullptr;
      Attributes a = with(c.node.attrs(), "shape", c.xShape(0));
      return c.op(OpKind::ScatterAdd, {c.x(1), c.dy}, a);
    };

  // see matmulGrad
  case OpKind::MatMul:
    return matmulGrad;
  case OpKind::Attention:
    return attentionGrad;
  // y = conv2d(x, w): dx = conv2d_input_grad(dy, w), dw =
  // conv2d_weight_grad(x, dy), with the same window
  // (channels-last: the same between transposes to NCHW and back)
  case OpKind::Conv2D:
    return [](GradContext &c, size_t i) {
      Attributes a = without(c.node.attrs(), "data_format");
      Value *dy = ifChannelsLast(c, c.dy, kNhwcToNchw);
      if (i == 0) {
        Value *dx = c.op(OpKind::Conv2DInputGrad,
                         {dy, ifChannelsLast(c, c.x(1), kHwioToOihw)},
                         with(a, "input_shape",
                              ifChannelsLast(c, c.xShape(0), kNhwcToNchw)));
        return ifChannelsLast(c, dx, kNchwToNhwc);
      }
      Shape w = ifChannelsLast(c, c.xShape(1), kHwioToOihw);
      Value *dw = c.op(OpKind::Conv2DWeightGrad,
                       {ifChannelsLast(c, c.x(0), kNhwcToNchw), dy},
                       with(a, "kernel", std::vector<int64_t>{w[2], w[3]}));
      return ifChannelsLast(c, dw, kOihwToHwio);
    };
  // each window's dy goes to its first maximum
  case OpKind::MaxPool2D:
    return [](GradContext &c, size_t) {
      Value *dx = c.op(OpKind::MaxPool2DGrad,
                       {ifChannelsLast(c, c.x(0), kNhwcToNchw),
                        ifChannelsLast(c, c.dy, kNhwcToNchw)},
                       without(c.node.attrs(), "data_format"));
      return ifChannelsLast(c, dx, kNchwToNhwc);
    };
  // each window's dy, divided by its divisor, goes to its elements
  case OpKind::AvgPool2D:
    return [](GradContext &c, size_t) {
      Value *dx =
          c.op(OpKind::AvgPool2DGrad, {ifChannelsLast(c, c.dy, kNhwcToNchw)},
               with(without(c.node.attrs(), "data_format"), "input_shape",
                    ifChannelsLast(c, c.xShape(0), kNhwcToNchw)));
      return ifChannelsLast(c, dx, kNchwToNhwc);
    };

  // stop_gradient: the walk stops, nothing flows to x
  case OpKind::StopGradient:
    return noGradient;
  // conv2d_input_grad(dy, w) is conv2d's adjoint in x, linear in dy and w:
  // d/d(dy) = conv2d(g, w); d/dw = conv2d_weight_grad(g, dy)
  case OpKind::Conv2DInputGrad:
    return [](GradContext &c, size_t i) {
      Attributes a = without(c.node.attrs(), "input_shape");
      if (i == 0)
        return c.op(OpKind::Conv2D, {c.dy, c.x(1)}, a);
      const Shape &w = c.xShape(1);
      return c.op(OpKind::Conv2DWeightGrad, {c.dy, c.x(0)},
                  with(a, "kernel", std::vector<int64_t>{w[2], w[3]}));
    };
  // conv2d_weight_grad(x, dy), linear in x and dy:
  // d/dx = conv2d_input_grad(dy, g); d/d(dy) = conv2d(x, g)
  case OpKind::Conv2DWeightGrad:
    return [](GradContext &c, size_t i) {
      Attributes a = without(c.node.attrs(), "kernel");
      if (i == 0)
        return c.op(OpKind::Conv2DInputGrad, {c.x(1), c.dy},
                    with(a, "input_shape", c.xShape(0)));
      return c.op(OpKind::Conv2D, {c.x(0), c.dy}, a);
    };
  // max_pool2d_grad(x, dy): piecewise constant in x (none); linear in dy,
  // whose gradient is g at each window's first maximum
  case OpKind::MaxPool2DGrad:
    return [](GradContext &c, size_t i) -> Value * {
      return i == 0 ? nullptr : firstMaxOfWindows(c, c.x(0), c.dy);
    };
  // avg_pool2d_grad(dy) is avg_pool2d's adjoint: d/d(dy) = avg_pool2d(g)
  case OpKind::AvgPool2DGrad:
    return [](GradContext &c, size_t) {
      return c.op(OpKind::AvgPool2D, {c.dy},
                  without(c.node.attrs(), "input_shape"));
    };
  // scatter_add(idx, u) is gather's adjoint: d/du = gather(g, idx); none to
  // idx
  case OpKind::ScatterAdd:
    return [](GradContext &c, size_t i) -> Value * {
      if (i == 0)
        return nullptr;
      return c.op(OpKind::Gather, {c.dy, c.x(0)},
                  without(c.node.attrs(), "shape"));
    };
  // scan: a reverse scan over the saved states runs the body's own
  // vector-Jacobian product step by step (ScanGrad.cpp)
  // dropout(x, step) is linear in x with the mask (seed, step) draws: the
  // same draws applied to g; none to the step
  case OpKind::Dropout:
    return [](GradContext &c, size_t i) -> Value * {
      if (i != 0)
        return nullptr;
      return c.op(OpKind::Dropout, {c.dy, c.x(1)}, c.node.attrs());
    };
  case OpKind::Scan:
    return [](GradContext &c, size_t i) {
      if (c.all.empty())
        c.all = scanGradients(c);
      return c.all[i];
    };
  }
  __builtin_unreachable();
}

} // namespace adjoint::autodiff
