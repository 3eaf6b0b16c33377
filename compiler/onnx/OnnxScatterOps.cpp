//===- OnnxScatterOps.cpp - ONNX GatherND, the scatters, TopK, Compress ---===//
//
// GatherND and the scatters work on linear indices: the index components
// times the data's strides, summed, address a reshaped data tensor through
// `gather` and `scatter_add`. TopK takes k maxima one after another;
// Compress gathers the positions its static condition selects.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <limits>

namespace adjoint::onnximport {

namespace {

/// TopK beyond this k is not unrolled.
constexpr int64_t kMaxTopK = 64;

int64_t product(const Shape &s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i)
    p *= s[i];
  return p;
}

/// Index tuples `idx` [..., k] into the dims `dims` (k of them) as linear
/// indices [...], negative components counted from the end.
Value *linearize(Builder &b, Value *idx, const std::vector<int64_t> &dims) {
  if (idx->type().dtype != DType::I64)
    idx = b.cast(idx, DType::I64);
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t j = dims.size(); j-- > 1;)
    strides[j - 1] = strides[j] * dims[j];
  Value *d = b.constant(int64Tensor(dims));
  idx = b.select(b.less(idx, b.scalar(DType::I64, 0)), b.add(idx, d), idx);
  int64_t last = rankOf(idx) - 1;
  return b.reduceSum(b.mul(idx, b.constant(int64Tensor(strides))),
                     std::vector<int64_t>{last});
}

void convertGatherND(NodeContext &c) {
  Builder &b = c.b();
  Value *data = c.input(0), *idx = c.input(1);
  int64_t batch = c.attrInt("batch_dims", 0);
  const Shape &ds = staticShapeOf(data, "GatherND's data"),
              &is = staticShapeOf(idx, "GatherND's indices");
  int64_t k = is.empty() ? 0 : is.back();
  if (batch < 0 || batch >= rankOf(idx) || batch > rankOf(data) || k < 0 ||
      k > rankOf(data) - batch)
    unsupported("indices that do not fit the data");
  std::vector<int64_t> dims(ds.begin() + batch, ds.begin() + batch + k);
  int64_t p = product(ds, (size_t)batch, (size_t)(batch + k));
  int64_t batches = product(ds, 0, (size_t)batch);
  Value *lin = linearize(b, idx, dims); // [B..., m...]
  if (batch > 0) {
    Shape os(shapeOf(lin).size(), 1);
    std::copy(ds.begin(), ds.begin() + batch, os.begin());
    Value *offset = b.reshape(b.iota(DType::I64, {batches}), os);
    lin = b.add(lin, b.mul(offset, b.scalar(DType::I64, (double)p)));
  }
  Shape flat = {batches * p};
  flat.insert(flat.end(), ds.begin() + batch + k, ds.end());
  c.setOutput(0, b.gather(b.reshape(data, flat), lin, 0));
}

/// Writes `updates` into `data` [P, rest...] at linear indices `lin` along
/// axis 0: replacing (reduction "none"), adding, or multiplying.
Value *scatterLinear(NodeContext &c, Value *data, Value *lin, Value *updates,
                     const std::string &reduction) {
  Builder &b = c.b();
  DType dt = data->type().dtype;
  if (!isNumeric(dt))
    unsupported("scattering " + std::string(dtypeName(dt)));
  Value *sum = b.scatterAdd(lin, updates, shapeOf(data), 0);
  if (reduction == "add")
    return b.add(data, sum);
  if (reduction != "none")
    unsupported("reduction '" + reduction + "'");
  Value *ones = b.broadcastTo(b.scalar(dt, 1), shapeOf(updates));
  Value *hit =
      b.greater(b.scatterAdd(lin, ones, shapeOf(data), 0), b.scalar(dt, 0));
  return b.select(hit, sum, data);
}

void convertScatterND(NodeContext &c) {
  Builder &b = c.b();
  Value *data = c.input(0), *idx = c.input(1), *updates = c.input(2);
  std::string reduction = c.attrString("reduction", "none");
  const Shape &ds = staticShapeOf(data, "ScatterND's data");
  const Shape &is = staticShapeOf(idx, "ScatterND's indices");
  int64_t k = is.empty() ? 0 : is.back();
  if (k < 0 || k > rankOf(data))
    unsupported("indices longer than the data's rank");
  std::vector<int64_t> dims(ds.begin(), ds.begin() + k);
  Shape flat = {product(ds, 0, (size_t)k)};
  flat.insert(flat.end(), ds.begin() + k, ds.end());
  Value *y = scatterLinear(c, b.reshape(data, flat), linearize(b, idx, dims),
                           updates, reduction);
  c.setOutput(0, b.reshape(y, ds));
}

/// ScatterElements (and the older Scatter): element i of `indices` names the
/// position along `axis`; its other coordinates are its own.
void convertScatterElements(NodeContext &c) {
  Builder &b = c.b();
  Value *data = c.input(0), *idx = c.input(1), *updates = c.input(2);
  int64_t r = rankOf(data);
  int64_t axis = normalizeAxis(c.attrInt("axis", 0), r, "axis");
  std::string reduction =
      c.opType() == "Scatter" ? "none" : c.attrString("reduction", "none");
  const Shape &ds = staticShapeOf(data, c.opType() + "'s data"),
              &is = staticShapeOf(idx, c.opType() + "'s indices");
  if ((int64_t)is.size() != r || shapeOf(updates) != is)
    unsupported("indices and updates that do not match the data's rank");
  for (int64_t d = 0; d < r; ++d)
    if (d != axis && is[d] > ds[d])
      unsupported("indices of shape " + shapeStr(is) + " beyond data of " +
                  shapeStr(ds));
  std::vector<int64_t> strides((size_t)r, 1);
  for (int64_t d = r - 1; d > 0; --d)
    strides[d - 1] = strides[d] * ds[d];
  // The linear offset of every index position, less its axis coordinate:
  // a sum of iotas, so nothing of the indices' size is built at import.
  Value *offsets = b.scalar(DType::I64, 0);
  for (int64_t d = 0; d < r; ++d)
    if (d != axis) {
      Shape s((size_t)r, 1);
      s[(size_t)d] = is[d];
      offsets = b.add(offsets, b.mul(b.iota(DType::I64, s, d),
                                     b.constant(int64Scalar(strides[d]))));
    }
  offsets = b.broadcastTo(offsets, is);
  if (idx->type().dtype != DType::I64)
    idx = b.cast(idx, DType::I64);
  idx = b.select(b.less(idx, b.scalar(DType::I64, 0)),
                 b.add(idx, b.scalar(DType::I64, (double)ds[axis])), idx);
  Value *lin =
      b.add(b.mul(idx, b.constant(int64Scalar(strides[axis]))), offsets);
  int64_t n = product(ds, 0, ds.size());
  Value *y = scatterLinear(c, b.reshape(data, {n}), b.reshape(lin, {-1}),
                           b.reshape(updates, {-1}), reduction);
  c.setOutput(0, b.reshape(y, ds));
}

void convertTopK(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  int64_t r = rankOf(x);
  int64_t axis = normalizeAxis(c.attrInt("axis", -1), r, "axis");
  int64_t k = c.opset() < 10 ? c.attrInt("k") : c.staticInt(1, "K");
  bool largest = c.attrInt("largest", 1) != 0;
  c.attrInt("sorted", 1); // the results are always sorted
  DType dt = x->type().dtype;
  if (!isSignedNumeric(dt))
    unsupported("TopK of " + std::string(dtypeName(dt)));
  if (k < 1 || k > kMaxTopK || k > shapeOf(x)[axis])
    unsupported(strCat("k = ", k));
  Value *cur = largest ? x : b.neg(x);
  Shape iotaShape((size_t)r, 1);
  iotaShape[axis] = shapeOf(x)[axis];
  Value *positions = b.iota(DType::I64, iotaShape, axis);
  double lowest =
      isFloat(dt) ? -std::numeric_limits<double>::infinity()
                  : (dt == DType::I32 ? (double)INT32_MIN : (double)INT64_MIN);
  std::vector<Value *> values, indices;
  for (int64_t i = 0; i < k; ++i) {
    Value *at = b.argmax(cur, axis, true);
    Value *hit = b.equal(positions, at);
    values.push_back(b.reduceMax(b.select(hit, cur, b.scalar(dt, lowest)),
                                 std::vector<int64_t>{axis}, true));
    indices.push_back(at);
    cur = b.select(hit, b.scalar(dt, lowest), cur);
  }
  Value *v = k == 1 ? values[0] : b.concat(values, axis);
  c.setOutput(0, largest ? v : b.neg(v));
  c.setOutput(1, k == 1 ? indices[0] : b.concat(indices, axis));
}

void convertCompress(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  Tensor cond = c.staticInput(1, "condition");
  bool hasAxis = c.has("axis");
  int64_t axis = c.attrInt("axis", 0);
  if (!hasAxis) {
    x = b.reshape(x, {x->type().numElements()});
    axis = 0;
  }
  axis = normalizeAxis(axis, rankOf(x), "axis");
  std::vector<int64_t> picked;
  int64_t n = std::min(cond.numElements(), shapeOf(x)[axis]);
  for (int64_t i = 0; i < n; ++i)
    if (cond.elementAsDouble(i) != 0)
      picked.push_back(i);
  c.setOutput(0, b.gather(x, b.constant(int64Tensor(picked)), axis));
}

} // namespace

void addScatterConverters(ConverterTable &t) {
  t["GatherND"] = convertGatherND;
  t["ScatterND"] = convertScatterND;
  t["ScatterElements"] = convertScatterElements;
  t["Scatter"] = convertScatterElements;
  t["TopK"] = convertTopK;
  t["Compress"] = convertCompress;
}

} // namespace adjoint::onnximport
