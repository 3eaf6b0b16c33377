//===- OnnxShapeOps.cpp - ONNX shape, data movement and source ops --------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace adjoint::onnximport {

namespace {

DType castTarget(int64_t onnxType) {
  if (std::optional<DType> t = dtypeFromOnnx(onnxType))
    return *t;
  unsupported("cast to " + onnx::TensorProto::DataType_Name(
                               (onnx::TensorProto::DataType)onnxType));
}

void convertReshape(NodeContext &c) {
  Value *x = c.input(0);
  std::vector<int64_t> shape;
  if (c.opset() < 5)
    shape = c.attrInts("shape");
  else
    shape = c.staticInts(1, "shape");
  bool allowZero = c.attrInt("allowzero", 0) != 0;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 0 && !allowZero) {
      if ((int64_t)i >= rankOf(x))
        unsupported("shape entry 0 past the input's rank");
      shape[i] = shapeOf(x)[i];
    }
  c.setOutput(0, c.b().reshape(x, shape));
}

void convertFlatten(NodeContext &c) {
  Value *x = c.input(0);
  int64_t axis = c.attrInt("axis", 1);
  if (axis < 0)
    axis += rankOf(x);
  c.setOutput(0, c.b().flatten(x, axis));
}

void convertTranspose(NodeContext &c) {
  c.setOutput(0, c.b().transpose(c.input(0), c.attrInts("perm")));
}

std::vector<int64_t> axesInput(NodeContext &c, size_t input, int64_t opset) {
  if (c.opset() < opset)
    return c.attrInts("axes");
  return c.hasInput(input) ? c.staticInts(input, "axes")
                           : std::vector<int64_t>{};
}

void convertSqueeze(NodeContext &c) {
  Value *x = c.input(0);
  std::vector<int64_t> axes = axesInput(c, 1, 13);
  std::vector<bool> drop(shapeOf(x).size(), false);
  for (int64_t a : axes)
    drop[normalizeAxis(a, rankOf(x), "axis")] = true;
  Shape shape;
  for (size_t i = 0; i < shapeOf(x).size(); ++i) {
    bool d = axes.empty() ? shapeOf(x)[i] == 1 : drop[i];
    if (d && shapeOf(x)[i] != 1)
      unsupported(strCat("squeezing axis ", i, " of extent ", shapeOf(x)[i]));
    if (!d)
      shape.push_back(shapeOf(x)[i]);
  }
  c.setOutput(0, c.b().reshape(x, shape));
}

/// Pads beyond this are refused (the IR's pad takes 32-bit pads).
constexpr int64_t kMaxPad = std::numeric_limits<int32_t>::max();

void convertUnsqueeze(NodeContext &c) {
  Value *x = c.input(0);
  std::vector<int64_t> axes = axesInput(c, 1, 13);
  int64_t rank = rankOf(x) + (int64_t)axes.size();
  std::vector<bool> added((size_t)rank, false);
  for (int64_t a : axes) {
    int64_t axis = normalizeAxis(a, rank, "axis");
    if (added[axis])
      unsupported(strCat("axis ", a, " repeated in ", shapeStr(axes)));
    added[axis] = true;
  }
  Shape shape;
  size_t k = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(added[i] ? 1 : shapeOf(x)[k++]);
  c.setOutput(0, c.b().reshape(x, shape));
}

void convertConcat(NodeContext &c) {
  std::vector<Value *> xs;
  for (size_t i = 0; i < c.numInputs(); ++i)
    if (c.hasInput(i))
      xs.push_back(c.input(i));
  // Concat-1 defaults the axis to 1; later versions require it.
  c.setOutput(0, c.b().concat(xs, c.attrInt("axis", c.opset() < 4 ? 1 : 0)));
}

void convertSplit(NodeContext &c) {
  Value *x = c.input(0);
  int64_t axis = normalizeAxis(c.attrInt("axis", 0), rankOf(x), "axis");
  std::vector<int64_t> split;
  if (c.opset() < 2 && c.hasInput(1))
    unsupported("Split-1 sizes as an input");
  if (c.opset() < 13)
    split = c.attrInts("split");
  else if (c.hasInput(1))
    split = c.staticInts(1, "split");
  int64_t d = shapeOf(x)[axis], n = (int64_t)c.numOutputs();
  if (split.empty()) {
    if (n == 0 || d % n)
      unsupported(strCat("splitting extent ", d, " into ", n, " equal parts"));
    split.assign((size_t)n, d / n);
  }
  if ((int64_t)split.size() != n)
    unsupported("split sizes do not match the outputs");
  int64_t total = 0;
  for (int64_t size : split)
    if (size < 0 || __builtin_add_overflow(total, size, &total))
      unsupported("split sizes " + shapeStr(split) + " are not extents");
  if (total != d)
    unsupported(strCat("split sizes ", shapeStr(split), " add up to ", total,
                       ", not to the extent ", d));
  int64_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    c.setOutput((size_t)i, c.b().slice(x, {start}, {start + split[i]}, {axis}));
    start += split[i];
  }
}

void convertSlice(NodeContext &c) {
  Value *x = c.input(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    starts = c.attrInts("starts");
    ends = c.attrInts("ends");
    axes = c.attrInts("axes");
  } else {
    starts = c.staticInts(1, "starts");
    ends = c.staticInts(2, "ends");
    if (c.hasInput(3))
      axes = c.staticInts(3, "axes");
    if (c.hasInput(4))
      steps = c.staticInts(4, "steps");
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back((int64_t)i);
  c.setOutput(0, c.b().slice(x, starts, ends, axes, steps));
}

void convertGather(NodeContext &c) {
  c.setOutput(0, c.b().gather(c.input(0), c.input(1), c.attrInt("axis", 0)));
}

/// Pads along `axis` by repeating the edge or reflecting (without the edge).
Value *padAlong(Builder &b, Value *x, int64_t axis, int64_t before,
                int64_t after, bool edge) {
  int64_t d = shapeOf(x)[axis];
  std::vector<Value *> parts;
  auto repeat = [&](int64_t at, int64_t n) {
    Shape s = shapeOf(x);
    s[axis] = n;
    return b.broadcastTo(b.slice(x, {at}, {at + 1}, {axis}), s);
  };
  if (before) {
    if (edge)
      parts.push_back(repeat(0, before));
    else
      parts.push_back(b.slice(x, {before}, {0}, {axis}, {-1}));
  }
  parts.push_back(x);
  if (after) {
    if (edge) {
      parts.push_back(repeat(d - 1, after));
    } else {
      int64_t end = d - 2 - after;
      parts.push_back(
          b.slice(x, {d - 2}, {end < 0 ? INT64_MIN : end}, {axis}, {-1}));
    }
  }
  return parts.size() == 1 ? x : b.concat(parts, axis);
}

void convertPad(NodeContext &c) {
  Value *x = c.input(0);
  std::string mode = c.attrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    unsupported("mode '" + mode + "'");
  std::vector<int64_t> pads;
  double value = 0;
  if (c.opset() < 11) {
    pads = c.attrInts(c.opset() < 2 ? "paddings" : "pads");
    value = c.attrFloat("value", 0.0);
  } else {
    pads = c.staticInts(1, "pads");
    if (c.hasInput(2))
      value = c.staticScalar(2, "constant_value").elementAsDouble(0);
  }
  int64_t r = rankOf(x);
  if ((int64_t)pads.size() != 2 * r)
    unsupported("pads do not match the rank");
  for (int64_t p : pads)
    if (p < -kMaxPad || p > kMaxPad)
      unsupported("pads " + shapeStr(pads) + " are too large");
  if (mode != "constant") {
    Value *y = x;
    for (int64_t i = 0; i < r; ++i) {
      int64_t before = pads[i], after = pads[r + i], d = shapeOf(x)[i];
      if (before < 0 || after < 0)
        unsupported("negative pads in mode '" + mode + "'");
      if ((before || after) &&
          (mode == "edge" ? d < 1 : std::max(before, after) >= d))
        unsupported(strCat("mode '", mode, "' pads of ",
                           std::max(before, after), " on an extent of ", d));
      y = padAlong(c.b(), y, i, before, after, mode == "edge");
    }
    c.setOutput(0, y);
    return;
  }
  std::vector<int64_t> crops = pads;
  bool crop = false;
  for (int64_t &p : pads)
    if (p < 0) {
      crop = true;
      p = 0;
    }
  Value *y = c.b().pad(x, pads, value);
  if (crop) {
    std::vector<int64_t> starts, ends;
    for (int64_t i = 0; i < r; ++i) {
      starts.push_back(crops[i] < 0 ? -crops[i] : 0);
      ends.push_back(shapeOf(y)[i] + (crops[r + i] < 0 ? crops[r + i] : 0));
    }
    y = c.b().slice(y, starts, ends);
  }
  c.setOutput(0, y);
}

Shape broadcastShapes(Shape a, Shape b) {
  if (a.size() < b.size())
    std::swap(a, b);
  b.insert(b.begin(), a.size() - b.size(), 1);
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i] || b[i] == 1)
      continue;
    if (a[i] != 1)
      unsupported("shapes " + shapeStr(a) + " and " + shapeStr(b) +
                  " do not broadcast");
    a[i] = b[i];
  }
  return a;
}

void convertExpand(NodeContext &c) {
  Value *x = c.input(0);
  Shape shape = broadcastShapes(shapeOf(x), c.staticInts(1, "shape"));
  c.setOutput(0, c.b().broadcastTo(x, shape));
}

void convertTile(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  if (c.opset() < 6)
    unsupported("Tile-1 (tiles and axis inputs)");
  std::vector<int64_t> repeats = c.staticInts(1, "repeats");
  if ((int64_t)repeats.size() != rankOf(x))
    unsupported("repeats do not match the rank");
  Shape split, wide, out;
  for (size_t i = 0; i < repeats.size(); ++i) {
    int64_t extent;
    if (repeats[i] < 0 ||
        __builtin_mul_overflow(repeats[i], shapeOf(x)[i], &extent))
      unsupported("repeats " + shapeStr(repeats) + " for a shape " +
                  shapeStr(shapeOf(x)));
    split.insert(split.end(), {1, shapeOf(x)[i]});
    wide.insert(wide.end(), {repeats[i], shapeOf(x)[i]});
    out.push_back(extent);
  }
  c.setOutput(0, b.reshape(b.broadcastTo(b.reshape(x, split), wide), out));
}

void convertShape(NodeContext &c) {
  Value *x = c.input(0);
  int64_t r = rankOf(x);
  int64_t start = c.attrInt("start", 0), end = c.attrInt("end", r);
  start = std::clamp(start < 0 ? start + r : start, (int64_t)0, r);
  end = std::clamp(end < 0 ? end + r : end, (int64_t)0, r);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shapeOf(x)[i]);
  c.setOutput(0, c.b().constant(int64Tensor(dims)));
}

void convertSize(NodeContext &c) {
  staticShapeOf(c.input(0), "Size's input");
  int64_t n = c.input(0)->type().numElements();
  c.setOutput(0, c.b().constant(Tensor::scalar(DType::I64, (double)n)));
}

void convertConstant(NodeContext &c) {
  Tensor t;
  if (c.has("value")) {
    t = c.attrTensor("value");
  } else if (c.has("value_float")) {
    t = Tensor::scalar(DType::F32, c.attrFloat("value_float", 0));
  } else if (c.has("value_int")) {
    t = int64Scalar(c.attrInt("value_int", 0));
  } else if (c.has("value_ints")) {
    t = int64Tensor(c.attrInts("value_ints"));
  } else if (c.has("value_floats")) {
    std::vector<double> v = c.attrFloats("value_floats");
    t = Tensor::fromDoubles(DType::F32, {(int64_t)v.size()}, v);
  } else {
    unsupported("a constant without a numeric value");
  }
  c.setOutput(0, c.b().constant(t));
}

void convertConstantOfShape(NodeContext &c) {
  std::vector<int64_t> shape = c.staticInts(0, "input");
  Tensor value =
      c.has("value") ? c.attrTensor("value") : Tensor::scalar(DType::F32, 0);
  if (value.numElements() != 1)
    unsupported(
        strCat("a value of ", value.numElements(), " elements instead of one"));
  checkType(TensorType{value.dtype(), shape}, "ConstantOfShape's result");
  // The value broadcast, not a tensor of the result's size built here.
  Tensor scalar(TensorType{value.dtype(), {}});
  std::memcpy(scalar.bytes(), value.bytes(), scalar.byteSize());
  c.setOutput(0, c.b().broadcastTo(c.b().constant(scalar), shape));
}

void convertIdentity(NodeContext &c) { c.setOutput(0, c.input(0)); }

void convertCast(NodeContext &c) {
  c.setOutput(0, c.b().cast(c.input(0), castTarget(c.attrInt("to"))));
}

void convertCastLike(NodeContext &c) {
  c.setOutput(0, c.b().cast(c.input(0), c.input(1)->type().dtype));
}

/// Dropout at inference is the identity; its mask is all true.
void convertDropout(NodeContext &c) {
  Value *x = c.input(0);
  c.ignore("seed");
  c.ignore("ratio");
  if (c.opset() < 7)
    c.ignore("is_test");
  if (c.hasInput(2)) {
    Tensor training = c.staticScalar(2, "training_mode");
    if (training.elementAsDouble(0) != 0)
      unsupported("training_mode true");
  }
  c.setOutput(0, x);
  if (c.hasOutput(1)) {
    // A broadcast, never a tensor of x's size built at import time.
    c.setOutput(1, c.b().broadcastTo(c.b().scalar(DType::Bool, 1), shapeOf(x)));
  }
}

void convertRange(NodeContext &c) {
  Tensor start = c.staticScalar(0, "start"), limit = c.staticScalar(1, "limit"),
         delta = c.staticScalar(2, "delta");
  double s = start.elementAsDouble(0), l = limit.elementAsDouble(0),
         d = delta.elementAsDouble(0);
  if (d == 0)
    unsupported("delta 0");
  double steps = std::ceil((l - s) / d);
  if (std::isnan(steps) || steps > (double)kMaxFoldElements)
    unsupported(strCat("a range of ", steps, " elements"));
  // Compared as a double first: converting -inf to an integer is undefined.
  int64_t n = steps > 0 ? (int64_t)steps : 0;
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i)
    v.push_back(s + (double)i * d);
  c.setOutput(0, c.b().constant(Tensor::fromDoubles(start.dtype(), {n}, v)));
}

} // namespace

void addShapeConverters(ConverterTable &t) {
  t["Reshape"] = convertReshape;
  t["Flatten"] = convertFlatten;
  t["Transpose"] = convertTranspose;
  t["Squeeze"] = convertSqueeze;
  t["Unsqueeze"] = convertUnsqueeze;
  t["Concat"] = convertConcat;
  t["Split"] = convertSplit;
  t["Slice"] = convertSlice;
  t["Gather"] = convertGather;
  t["Pad"] = convertPad;
  t["Expand"] = convertExpand;
  t["Tile"] = convertTile;
  t["Shape"] = convertShape;
  t["Size"] = convertSize;
  t["Constant"] = convertConstant;
  t["ConstantOfShape"] = convertConstantOfShape;
  t["Identity"] = convertIdentity;
  t["Cast"] = convertCast;
  t["CastLike"] = convertCastLike;
  t["Dropout"] = convertDropout;
  t["Range"] = convertRange;
}

} // namespace adjoint::onnximport
