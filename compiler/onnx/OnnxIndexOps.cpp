//===- OnnxIndexOps.cpp - ONNX ops built from one-hot masks and losses ----===//
//
// GatherElements, OneHot, Hardmax, Trilu, CumSum, EyeLike, the depth/space
// rearrangements and the losses NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss, each expanded into comparisons with an iota,
// selects, reductions, reshapes and transposes.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <limits>

namespace adjoint::onnximport {

namespace {

/// An i64 iota of `rank` dims counting along `axis` with extent `n`, the
/// other extents 1.
Value *iotaAlong(Builder &b, int64_t rank, int64_t axis, int64_t n) {
  Shape s((size_t)rank, 1);
  s[(size_t)axis] = n;
  return b.iota(DType::I64, s, axis);
}

/// `v` with a new extent-1 axis at `axis`.
Value *unsqueeze(Builder &b, Value *v, int64_t axis) {
  Shape s = shapeOf(v);
  s.insert(s.begin() + axis, 1);
  return b.reshape(v, s);
}

/// Integer indices as i64, negative ones counted from `d`.
Value *wrapIndices(Builder &b, Value *idx, int64_t d) {
  if (idx->type().dtype != DType::I64)
    idx = b.cast(idx, DType::I64);
  Value *zero = b.scalar(DType::I64, 0);
  return b.select(b.less(idx, zero),
                  b.add(idx, b.scalar(DType::I64, (double)d)), idx);
}

void convertGatherElements(NodeContext &c) {
  Builder &b = c.b();
  Value *data = c.input(0), *idx = c.input(1);
  int64_t r = rankOf(data);
  int64_t axis = normalizeAxis(c.attrInt("axis", 0), r, "axis");
  if (rankOf(idx) != r)
    unsupported("indices of another rank than data");
  int64_t d = shapeOf(data)[axis];
  // data cut to the indices' extents off the axis, the axis moved last and
  // an extent 1 left in its place: [.., 1, .., D].
  std::vector<int64_t> starts(r, 0), ends = shapeOf(idx);
  ends[axis] = d;
  Value *cut = b.slice(data, starts, ends);
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < r; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  Shape wide = shapeOf(idx);
  wide[axis] = 1;
  wide.push_back(d);
  Value *table = b.reshape(b.transpose(cut, perm), wide);
  Value *oneHot = b.equal(unsqueeze(b, wrapIndices(b, idx, d), r),
                          iotaAlong(b, r + 1, r, d));
  Value *zero = b.scalar(data->type().dtype, 0);
  Value *picked = b.select(oneHot, table, zero);
  c.setOutput(0, data->type().dtype == DType::Bool
                     ? b.cast(b.reduceMax(b.cast(picked, DType::U8), {{r}}),
                              DType::Bool)
                     : b.reduceSum(picked, {{r}}));
}

void convertOneHot(NodeContext &c) {
  Builder &b = c.b();
  Value *idx = c.input(0), *values = c.input(2);
  Tensor depthT = c.staticInput(1, "depth");
  if (depthT.numElements() != 1)
    unsupported("depth is not one value");
  // Cast only a value in range: a double outside int64 is undefined.
  double d = depthT.elementAsDouble(0);
  if (!(d >= 1 && d <= (double)(int64_t{1} << 40)))
    unsupported(strCat("depth ", d, " is not a positive class count"));
  int64_t depth = (int64_t)d;
  int64_t r = rankOf(idx) + 1;
  int64_t axis = normalizeAxis(c.attrInt("axis", -1), r, "axis");
  if (isFloat(idx->type().dtype))
    idx = b.cast(idx, DType::I64);
  Value *hot = b.equal(unsqueeze(b, wrapIndices(b, idx, depth), axis),
                       iotaAlong(b, r, axis, depth));
  Value *off = b.reshape(b.slice(values, {0}, {1}), {});
  Value *on = b.reshape(b.slice(values, {1}, {2}), {});
  c.setOutput(0, b.select(hot, on, off));
}

void convertHardmax(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  Shape shape = shapeOf(x);
  int64_t axis;
  if (c.opset() < 13) {
    int64_t a = c.attrInt("axis", 1);
    x = b.flatten(x, a < 0 ? a + rankOf(x) : a);
    axis = 1;
  } else {
    axis = normalizeAxis(c.attrInt("axis", -1), rankOf(x), "axis");
  }
  Value *arg = b.argmax(x, axis, true);
  Value *hot = b.equal(arg, iotaAlong(b, rankOf(x), axis, shapeOf(x)[axis]));
  c.setOutput(0, b.reshape(b.cast(hot, x->type().dtype), shape));
}

void convertTrilu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  if (rankOf(x) < 2)
    unsupported("an input of rank below 2");
  int64_t k = c.hasInput(1) ? c.staticInt(1, "k") : 0;
  bool upper = c.attrInt("upper", 1) != 0;
  int64_t r = rankOf(x);
  // j - i compared with k, from iotas: no [rows, cols] tensor at import.
  Value *diff = b.sub(iotaAlong(b, r, r - 1, shapeOf(x)[r - 1]),
                      iotaAlong(b, r, r - 2, shapeOf(x)[r - 2]));
  Value *kv = b.constant(int64Scalar(k));
  Value *mask = upper ? b.greaterEqual(diff, kv) : b.lessEqual(diff, kv);
  c.setOutput(0, b.select(mask, x, c.scalarLike(x, 0)));
}

void convertCumSum(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  int64_t r = rankOf(x);
  int64_t axis = normalizeAxis(c.staticInt(1, "axis"), r, "axis");
  bool exclusive = c.attrInt("exclusive", 0) != 0;
  bool reverse = c.attrInt("reverse", 0) != 0;
  int64_t d = shapeOf(x)[axis];
  // out[.., j] = sum_i x[.., i] * m[i, j] along the axis moved last; m
  // compares two iotas, so nothing of d x d is built at import.
  Value *row = iotaAlong(b, 2, 0, d), *col = iotaAlong(b, 2, 1, d);
  Value *in = reverse
                  ? (exclusive ? b.greater(row, col) : b.greaterEqual(row, col))
                  : (exclusive ? b.less(row, col) : b.lessEqual(row, col));
  Value *m = b.cast(in, x->type().dtype);
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < r; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  std::vector<int64_t> back((size_t)r);
  for (int64_t i = 0; i < r; ++i)
    back[perm[i]] = i;
  Value *y = b.matmul(b.transpose(x, perm), m);
  c.setOutput(0, b.transpose(y, back));
}

void convertEyeLike(NodeContext &c) {
  Value *x = c.input(0);
  DType dt = x->type().dtype;
  if (c.has("dtype")) {
    int64_t t = c.attrInt("dtype");
    switch (t) {
    case 1:
      dt = DType::F32;
      break;
    case 11:
      dt = DType::F64;
      break;
    case 6:
      dt = DType::I32;
      break;
    case 7:
      dt = DType::I64;
      break;
    case 9:
      dt = DType::Bool;
      break;
    case 2:
      dt = DType::U8;
      break;
    default:
      unsupported(strCat("dtype ", t));
    }
  }
  int64_t k = c.attrInt("k", 0);
  if (rankOf(x) != 2)
    unsupported("an input that is not 2-D");
  // Ones where j - i == k, from iotas (no tensor of x's size at import).
  Builder &b = c.b();
  Value *diff = b.sub(iotaAlong(b, 2, 1, shapeOf(x)[1]),
                      iotaAlong(b, 2, 0, shapeOf(x)[0]));
  Value *on = b.equal(diff, b.constant(int64Scalar(k)));
  c.setOutput(0, b.cast(on, dt));
}

void convertDepthToSpace(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  if (rankOf(x) != 4)
    unsupported("an input that is not 4-D");
  int64_t bs = c.attrInt("blocksize");
  std::string mode = c.attrString("mode", "DCR");
  Shape s = shapeOf(x);
  int64_t n = s[0], ch = s[1], h = s[2], w = s[3];
  int64_t area, outH, outW;
  if (bs <= 0 || __builtin_mul_overflow(bs, bs, &area) || ch % area ||
      __builtin_mul_overflow(h, bs, &outH) ||
      __builtin_mul_overflow(w, bs, &outW))
    unsupported(strCat("blocksize ", bs, " for an input of shape ", shapeStr(s),
                       " (channels must divide by blocksize^2)"));
  int64_t oc = ch / area;
  Value *y;
  if (mode == "DCR")
    y = b.transpose(b.reshape(x, {n, bs, bs, oc, h, w}), {0, 3, 4, 1, 5, 2});
  else if (mode == "CRD")
    y = b.transpose(b.reshape(x, {n, oc, bs, bs, h, w}), {0, 1, 4, 2, 5, 3});
  else
    unsupported("mode '" + mode + "'");
  c.setOutput(0, b.reshape(y, {n, oc, outH, outW}));
}

void convertSpaceToDepth(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  if (rankOf(x) != 4)
    unsupported("an input that is not 4-D");
  int64_t bs = c.attrInt("blocksize");
  Shape s = shapeOf(x);
  int64_t n = s[0], ch = s[1], h = s[2], w = s[3];
  int64_t outC;
  if (bs <= 0 || h % bs || w % bs || __builtin_mul_overflow(ch, bs, &outC) ||
      __builtin_mul_overflow(outC, bs, &outC))
    unsupported(strCat("blocksize ", bs, " for an input of shape ", shapeStr(s),
                       " (extents must divide by it)"));
  Value *y = b.transpose(b.reshape(x, {n, ch, h / bs, bs, w / bs, bs}),
                         {0, 3, 5, 1, 2, 4});
  c.setOutput(0, b.reshape(y, {n, outC, h / bs, w / bs}));
}

/// The per-element negative log-likelihood of `logProb` [N, C, ...] at
/// `target` [N, ...], weighted, and reduced as `reduction` says.
Value *nllLoss(NodeContext &c, Value *logProb, Value *target, Value *weight) {
  Builder &b = c.b();
  std::string reduction = c.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    unsupported("reduction '" + reduction + "'");
  bool hasIgnore = c.has("ignore_index");
  int64_t ignore = c.attrInt("ignore_index", 0);
  // [N, C, ...]: checked before C is read (fuzz_LoadOnnx).
  if (rankOf(logProb) < 2)
    unsupported("an input of rank below 2 (it is [N, C, ...])");
  int64_t r = rankOf(logProb), classes = shapeOf(logProb)[1];
  if (rankOf(target) != r - 1)
    unsupported("target rank does not match the input's");
  DType dt = logProb->type().dtype;
  if (target->type().dtype != DType::I64)
    target = b.cast(target, DType::I64);
  // A target outside [0, C) matches no class and picks 0.
  Value *hot = b.equal(unsqueeze(b, target, 1), iotaAlong(b, r, 1, classes));
  Value *zero = b.scalar(dt, 0);
  Value *picked = b.reduceSum(b.select(hot, logProb, zero), {{1}});
  Value *w = nullptr;
  if (weight) {
    Shape ws((size_t)r, 1);
    ws[1] = classes;
    w = b.reduceSum(b.select(hot, b.reshape(weight, ws), zero), {{1}});
  }
  if (hasIgnore) {
    Value *keep =
        b.logicalNot(b.equal(target, b.scalar(DType::I64, (double)ignore)));
    Value *k = b.cast(keep, dt);
    w = w ? b.mul(w, k) : k;
  }
  Value *loss = b.neg(w ? b.mul(picked, w) : picked);
  if (reduction == "none")
    return loss;
  Value *sum = b.reduceSum(loss, std::nullopt);
  if (reduction == "sum")
    return sum;
  if (!w)
    return b.reduceMean(loss, std::nullopt);
  return b.div(sum, b.reduceSum(w, std::nullopt));
}

void convertNll(NodeContext &c) {
  Value *x = c.input(0);
  requireFloat(x, "NegativeLogLikelihoodLoss");
  c.setOutput(0,
              nllLoss(c, x, c.input(1), c.hasInput(2) ? c.input(2) : nullptr));
}

void convertSoftmaxCrossEntropy(NodeContext &c) {
  Value *x = c.input(0);
  requireFloat(x, "SoftmaxCrossEntropyLoss");
  Value *logProb = c.b().logSoftmax(x, 1);
  c.setOutput(
      0, nllLoss(c, logProb, c.input(1), c.hasInput(2) ? c.input(2) : nullptr));
  c.setOutput(1, logProb);
}

} // namespace

void addIndexConverters(ConverterTable &t) {
  t["GatherElements"] = convertGatherElements;
  t["OneHot"] = convertOneHot;
  t["Hardmax"] = convertHardmax;
  t["Trilu"] = convertTrilu;
  t["CumSum"] = convertCumSum;
  t["EyeLike"] = convertEyeLike;
  t["DepthToSpace"] = convertDepthToSpace;
  t["SpaceToDepth"] = convertSpaceToDepth;
  t["NegativeLogLikelihoodLoss"] = convertNll;
  t["SoftmaxCrossEntropyLoss"] = convertSoftmaxCrossEntropy;
}

} // namespace adjoint::onnximport
