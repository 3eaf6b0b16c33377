//===- OnnxResizeOps.cpp - ONNX Resize and Upsample, one axis at a time ---===//
//
// Resizing is separable: along each resized axis every output position is a
// weighted sum of a few input positions (1 for nearest, 2 for linear, 4 for
// cubic). The positions and weights are computed at import, as ONNX's
// reference does, and each tap becomes a gather with a constant index
// vector times a constant weight vector.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace adjoint::onnximport {

namespace {

struct ResizeSpec {
  std::string mode = "nearest";
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0;
};

/// The source coordinate of output position `x`, or NaN when it falls
/// outside the crop of tf_crop_and_resize. `out` is the output width as
/// the reference computes it: `scale * in` when scales are given, which need
/// not be whole.
double sourceCoordinate(const ResizeSpec &s, double x, double scale, int64_t in,
                        double out, double roiStart, double roiEnd) {
  const std::string &m = s.coordinates;
  if (m == "align_corners")
    return out == 1 ? 0 : x * (double)(in - 1) / (out - 1);
  if (m == "asymmetric")
    return x / scale;
  if (m == "pytorch_half_pixel")
    return out == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  if (m == "tf_half_pixel_for_nn")
    return (x + 0.5) / scale;
  if (m == "tf_crop_and_resize") {
    double v = out > 1
                   ? roiStart * (double)(in - 1) +
                         x * (roiEnd - roiStart) * (double)(in - 1) / (out - 1)
                   : 0.5 * (roiStart + roiEnd) * (double)(in - 1);
    return v < 0 || v > (double)(in - 1) ? NAN : v;
  }
  return (x + 0.5) / scale - 0.5; // half_pixel
}

std::vector<double> coefficients(const ResizeSpec &s, double ratio) {
  if (s.mode == "linear")
    return {1 - ratio, ratio};
  if (s.mode == "cubic") {
    double a = s.cubicA, r = ratio, q = 1 - ratio;
    return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * q - (a + 3)) * q * q + 1,
            ((a * (q + 1) - 5 * a) * (q + 1) + 8 * a) * (q + 1) - 4 * a};
  }
  if (ratio == 1)
    return {0, 1};
  const std::string &n = s.nearest;
  if (n == "round_prefer_floor")
    return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  if (n == "round_prefer_ceil")
    return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
  if (n == "floor")
    return {1, 0};
  return {0, 1}; // ceil
}

/// Resizes `x` along `axis` to `out` positions.
Value *resizeAxis(Builder &b, const ResizeSpec &s, Value *x, int64_t axis,
                  int64_t out, double scale, double roiStart, double roiEnd) {
  int64_t in = shapeOf(x)[axis];
  size_t taps = s.mode == "cubic" ? 4 : 2;
  // idx[k][j] and w[k][j]: tap k of output position j.
  std::vector<std::vector<double>> idx(taps), w(taps);
  std::vector<double> outside((size_t)out, 0);
  for (int64_t j = 0; j < out; ++j) {
    double xo = sourceCoordinate(s, (double)j, scale, in, scale * (double)in,
                                 roiStart, roiEnd);
    if (std::isnan(xo)) {
      outside[(size_t)j] = 1;
      xo = 0;
    }
    double base = std::floor(xo);
    double ratio = xo == base ? 1 : xo - base;
    std::vector<double> c = coefficients(s, ratio);
    // The `taps` positions nearest to xo, ties to the lower; with the
    // input's edge repeated beyond its ends.
    int64_t first = (int64_t)base - (int64_t)taps / 2 + (xo == base ? 0 : 1);
    if (taps == 2)
      first = xo == base ? (int64_t)base - 1 : (int64_t)base;
    double total = 0;
    for (size_t k = 0; k < taps; ++k) {
      int64_t p = first + (int64_t)k;
      if (s.excludeOutside && (p < 0 || p >= in))
        c[k] = 0;
      total += c[k];
      idx[k].push_back((double)std::clamp<int64_t>(p, 0, in - 1));
    }
    for (size_t k = 0; k < taps; ++k)
      w[k].push_back(s.excludeOutside && total != 0 ? c[k] / total : c[k]);
  }
  DType dt = x->type().dtype;
  Shape ws(shapeOf(x).size(), 1);
  ws[(size_t)axis] = out;
  Value *y = nullptr;
  for (size_t k = 0; k < taps; ++k) {
    bool unused =
        std::all_of(w[k].begin(), w[k].end(), [](double v) { return v == 0; });
    if (unused)
      continue;
    Value *ix = b.constant(Tensor::fromDoubles(DType::I64, {out}, idx[k]));
    Value *g = b.gather(x, ix, axis);
    bool ones =
        std::all_of(w[k].begin(), w[k].end(), [](double v) { return v == 1; });
    if (s.mode == "nearest") {
      // One tap per position: pick it by the weight.
      if (!y) {
        y = g;
      } else {
        Tensor pick(TensorType{DType::Bool, ws});
        for (int64_t j = 0; j < out; ++j)
          pick.setElementFromDouble(j, w[k][(size_t)j]);
        y = b.select(b.constant(pick), g, y);
      }
      continue;
    }
    if (!ones)
      g = b.mul(g, b.constant(Tensor::fromDoubles(dt, ws, w[k])));
    y = y ? b.add(y, g) : g;
  }
  if (!y)
    y = b.broadcastTo(b.scalar(dt, 0), [&] {
      Shape s2 = shapeOf(x);
      s2[axis] = out;
      return s2;
    }());
  if (std::any_of(outside.begin(), outside.end(), [](double v) { return v; })) {
    Tensor mask(TensorType{DType::Bool, ws});
    for (int64_t j = 0; j < out; ++j)
      mask.setElementFromDouble(j, outside[(size_t)j]);
    y = b.select(b.constant(mask), b.scalar(dt, s.extrapolation), y);
  }
  return y;
}

void resize(NodeContext &c, const ResizeSpec &s, Value *x,
            std::vector<double> scales, std::vector<int64_t> sizes,
            std::vector<double> roi) {
  int64_t r = rankOf(x);
  if (s.mode != "nearest" && !isFloat(x->type().dtype))
    unsupported("mode '" + s.mode + "' on integers");
  if (s.mode != "nearest" && s.mode != "linear" && s.mode != "cubic")
    unsupported("mode '" + s.mode + "'");
  if (!sizes.empty() && (int64_t)sizes.size() != r)
    unsupported("sizes do not match the rank");
  if (sizes.empty() && (int64_t)scales.size() != r)
    unsupported("scales do not match the rank");
  Value *y = x;
  for (int64_t a = r - 1; a >= 0; --a) {
    int64_t in = shapeOf(x)[a];
    // Checked as doubles first: a NaN, infinite or huge scale converted to
    // an integer is undefined. The output extent is bounded because each
    // axis's source indices and weights are built at import.
    double want =
        sizes.empty() ? std::floor((double)in * scales[a]) : (double)sizes[a];
    if (!(want >= 0 && want <= (double)kMaxFoldElements))
      unsupported(strCat("an output extent of ", want, " along axis ", a,
                         " (at most ", kMaxFoldElements, ")"));
    int64_t out = (int64_t)want;
    double scale = sizes.empty() ? scales[a] : (double)out / (double)in;
    double start = 0, end = 1;
    if ((int64_t)roi.size() == 2 * r) {
      start = roi[a];
      end = roi[r + a];
    }
    if (out == in && scale == 1 && s.coordinates != "tf_crop_and_resize")
      continue;
    if (out <= 0 || in <= 0)
      unsupported("an empty resize");
    y = resizeAxis(c.b(), s, y, a, out, scale, start, end);
  }
  c.setOutput(0, y);
}

std::vector<double> staticDoubles(NodeContext &c, size_t i,
                                  const std::string &what) {
  Tensor t = c.staticInput(i, what);
  std::vector<double> v((size_t)t.numElements());
  for (size_t k = 0; k < v.size(); ++k)
    v[k] = t.elementAsDouble((int64_t)k);
  return v;
}

void convertResize(NodeContext &c) {
  Value *x = c.input(0);
  ResizeSpec s;
  s.mode = c.attrString("mode", "nearest");
  if (c.opset() < 11) {
    s.coordinates = "asymmetric";
    s.nearest = "floor";
    resize(c, s, x, staticDoubles(c, 1, "scales"), {}, {});
    return;
  }
  s.coordinates = c.attrString("coordinate_transformation_mode", "half_pixel");
  s.nearest = c.attrString("nearest_mode", "round_prefer_floor");
  s.cubicA = c.attrFloat("cubic_coeff_a", -0.75);
  s.excludeOutside = c.attrInt("exclude_outside", 0) != 0;
  s.extrapolation = c.attrFloat("extrapolation_value", 0);
  std::vector<double> roi, scales;
  std::vector<int64_t> sizes;
  if (s.coordinates == "tf_crop_and_resize")
    roi = staticDoubles(c, 1, "roi");
  else if (c.hasInput(1))
    c.staticInput(1, "roi"); // read only to require it static
  if (c.hasInput(3))
    sizes = c.staticInts(3, "sizes");
  if (sizes.empty() && c.hasInput(2))
    scales = staticDoubles(c, 2, "scales");
  if (sizes.empty() && scales.empty())
    unsupported("neither scales nor sizes");
  resize(c, s, x, scales, sizes, roi);
}

void convertUpsample(NodeContext &c) {
  ResizeSpec s;
  s.mode = c.attrString("mode", "nearest");
  s.coordinates = "asymmetric";
  s.nearest = "floor";
  std::vector<double> scales =
      c.opset() < 9 ? c.attrFloats("scales") : staticDoubles(c, 1, "scales");
  resize(c, s, c.input(0), scales, {}, {});
}

} // namespace

void addResizeConverters(ConverterTable &t) {
  t["Resize"] = convertResize;
  t["Upsample"] = convertUpsample;
}

} // namespace adjoint::onnximport
