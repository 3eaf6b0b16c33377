//===- OnnxNnOps.cpp - ONNX convolutions, pooling and normalizations ------===//
//
// Adjoint's windows are 2-D; ONNX's 1-D convolutions and pools run as 2-D
// ones over a height of 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <functional>
#include <limits>

namespace adjoint::onnximport {

namespace {

/// Dilated max pools with larger kernels are not unrolled.
constexpr int64_t kMaxDilatedTaps = 64;

/// The window attributes of Conv, ConvTranspose and the pools, for the
/// spatial axes of the input (1 or 2 of them) widened to two.
struct Window {
  int64_t spatial = 2; ///< the ONNX op's spatial rank
  std::vector<int64_t> kernel, strides, dilations, pads; // 2-D, Adjoint order
  /// The depth axis of a 3-D window: kernel, stride, dilation, pads.
  int64_t kD = 1, sD = 1, dD = 1, padD0 = 0, padD1 = 0;
};

/// Window extents, strides, dilations and pads beyond this are refused:
/// with them, no window arithmetic overflows 64 bits.
constexpr int64_t kMaxWindow = std::numeric_limits<int32_t>::max();
/// 3-D windows unroll their depth taps (depthTaps); at most this many.
constexpr int64_t kMaxDepthTaps = 64;

/// Reads kernel_shape (or takes `kernel`), strides, dilations, pads and
/// auto_pad for `x` of shape [N, C, spatial...]. A `transposed` window
/// (ConvTranspose) leaves SAME_* auto_pad to its caller, which pads the
/// output instead.
Window readWindow(NodeContext &c, Value *x, std::vector<int64_t> kernel,
                  bool transposed = false) {
  int64_t r = rankOf(x);
  if (r != 3 && r != 4 && r != 5)
    unsupported(strCat(r - 2, "-D windows (only 1-D, 2-D and 3-D)"));
  Window w;
  w.spatial = r - 2;
  size_t n = (size_t)w.spatial;
  std::vector<int64_t> attrKernel = c.attrInts("kernel_shape");
  if (kernel.empty())
    kernel = attrKernel;
  if (kernel.size() != n)
    unsupported("kernel_shape does not match the input's rank");
  std::vector<int64_t> strides =
      c.attrInts("strides", std::vector<int64_t>(n, 1));
  std::vector<int64_t> dilations =
      c.attrInts("dilations", std::vector<int64_t>(n, 1));
  std::vector<int64_t> pads =
      c.attrInts("pads", std::vector<int64_t>(2 * n, 0));
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n)
    unsupported("strides, dilations or pads do not match the input's rank");
  // Checked before any window arithmetic divides by them (a stride of 0
  // was found by fuzz_LoadOnnx).
  // Bounded too, so that no window arithmetic below overflows.
  for (size_t i = 0; i < n; ++i)
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 ||
        kernel[i] > kMaxWindow || strides[i] > kMaxWindow ||
        dilations[i] > kMaxWindow)
      unsupported(strCat("kernel_shape, strides and dilations must be "
                         "from 1 to ",
                         kMaxWindow, ", not ", kernel[i], ", ", strides[i],
                         " and ", dilations[i]));
  for (int64_t p : pads)
    if (p < 0 || p > kMaxWindow)
      unsupported(
          strCat("pads ", shapeStr(pads), " must be from 0 to ", kMaxWindow));
  if (n == 3 && kernel[0] > kMaxDepthTaps)
    unsupported(strCat("a depth kernel of ", kernel[0], " taps (at most ",
                       kMaxDepthTaps, ")"));
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    std::fill(pads.begin(), pads.end(), 0);
  } else if ((autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") &&
             !transposed) {
    for (size_t i = 0; i < n; ++i) {
      int64_t in = shapeOf(x)[2 + i];
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
      int64_t small = total / 2, big = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : big;
      pads[n + i] = autoPad == "SAME_UPPER" ? big : small;
    }
  } else if (autoPad != "NOTSET" && !transposed) {
    unsupported("auto_pad '" + autoPad + "'");
  }
  if (n == 1) {
    w.kernel = {1, kernel[0]};
    w.strides = {1, strides[0]};
    w.dilations = {1, dilations[0]};
    w.pads = {0, pads[0], 0, pads[1]};
  } else if (n == 3) {
    w.kernel = {kernel[1], kernel[2]};
    w.strides = {strides[1], strides[2]};
    w.dilations = {dilations[1], dilations[2]};
    w.pads = {pads[1], pads[2], pads[4], pads[5]};
    w.kD = kernel[0];
    w.sD = strides[0];
    w.dD = dilations[0];
    w.padD0 = pads[0];
    w.padD1 = pads[3];
  } else {
    w.kernel = kernel;
    w.strides = strides;
    w.dilations = dilations;
    w.pads = pads;
  }
  return w;
}

/// [N, C, L] -> [N, C, 1, L] for 1-D windows.
Value *to2d(Builder &b, Value *x) {
  if (rankOf(x) == 4)
    return x;
  Shape s = shapeOf(x);
  return b.reshape(x, {s[0], s[1], 1, s[2]});
}

Value *from2d(Builder &b, Value *y, int64_t spatial) {
  if (spatial == 2)
    return y;
  Shape s = shapeOf(y);
  return b.reshape(y, {s[0], s[1], s[3]});
}

/// A 3-D window as 2-D ones: `x` [N, C, D, H, W] is padded along D with
/// `padValue`; for each depth tap the slice of the D positions it reads
/// goes, with D folded into the batch, through `op2d`, giving
/// [N * outD, O, oH, oW] per tap.
std::vector<Value *> depthTaps(Builder &b, Value *x, const Window &w,
                               double padValue,
                               const std::function<Value *(Value *)> &op2d,
                               int64_t &outD) {
  Shape s = shapeOf(x);
  int64_t n = s[0], ch = s[1];
  std::vector<int64_t> pads(10, 0);
  pads[2] = w.padD0;
  pads[7] = w.padD1;
  Value *xp = w.padD0 || w.padD1 ? b.pad(x, pads, padValue) : x;
  int64_t dp = shapeOf(xp)[2], span = (w.kD - 1) * w.dD + 1;
  if (span > dp)
    unsupported("a depth kernel larger than the padded input");
  outD = (dp - span) / w.sD + 1;
  std::vector<Value *> taps;
  for (int64_t k = 0; k < w.kD; ++k) {
    int64_t start = k * w.dD;
    Value *t =
        b.slice(xp, {start}, {start + (outD - 1) * w.sD + 1}, {2}, {w.sD});
    t = b.reshape(b.transpose(t, {0, 2, 1, 3, 4}), {n * outD, ch, s[3], s[4]});
    taps.push_back(op2d(t));
  }
  return taps;
}

/// [N * outD, O, oH, oW] -> [N, O, outD, oH, oW].
Value *unfoldDepth(Builder &b, Value *y, int64_t n, int64_t outD) {
  Shape s = shapeOf(y);
  return b.transpose(b.reshape(y, {n, outD, s[1], s[2], s[3]}),
                     {0, 2, 1, 3, 4});
}

/// `v` of shape [C] as [1, C, 1, ...] to broadcast over `rank` dims.
Value *perChannel(Builder &b, Value *v, int64_t rank) {
  if (rank < 2)
    unsupported(strCat("an input of rank ", rank, " (it is [N, C, ...])"));
  Shape s(rank, 1);
  s[1] = shapeOf(v).empty() ? 1 : shapeOf(v)[0];
  return b.reshape(v, s);
}

void convertConv(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0), *w = c.input(1);
  requireFloat(x, "Conv");
  if (rankOf(w) != rankOf(x))
    unsupported("weight rank differs from the input's");
  if (rankOf(x) < 3)
    unsupported(strCat("an input of rank ", rankOf(x), " (it is [N, C, ...])"));
  std::vector<int64_t> kernel(shapeOf(w).begin() + 2, shapeOf(w).end());
  Window win = readWindow(c, x, kernel);
  Conv2DOptions o{win.strides, win.pads, win.dilations, c.attrInt("group", 1)};
  Value *y;
  if (win.spatial == 3) {
    // The sum over depth taps of 2-D convolutions with that tap's kernel.
    Shape ws = shapeOf(w);
    int64_t outD = 0, tap = 0;
    std::vector<Value *> parts = depthTaps(
        b, x, win, 0,
        [&](Value *t) {
          Value *wk = b.reshape(b.slice(w, {tap}, {tap + 1}, {2}),
                                {ws[0], ws[1], ws[3], ws[4]});
          ++tap;
          return b.conv2d(t, wk, o);
        },
        outD);
    y = parts[0];
    for (size_t i = 1; i < parts.size(); ++i)
      y = b.add(y, parts[i]);
    y = unfoldDepth(b, y, shapeOf(x)[0], outD);
  } else {
    y = from2d(b, b.conv2d(to2d(b, x), to2d(b, w), o), win.spatial);
  }
  if (c.hasInput(2))
    y = b.add(y, perChannel(b, c.input(2), rankOf(y)));
  c.setOutput(0, y);
}

/// ConvTranspose as the input gradient of the convolution it transposes.
void convertConvTranspose(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0), *w = c.input(1);
  requireFloat(x, "ConvTranspose");
  if (rankOf(w) != rankOf(x))
    unsupported("weight rank differs from the input's");
  if (rankOf(x) < 3)
    unsupported(strCat("an input of rank ", rankOf(x), " (it is [N, C, ...])"));
  std::vector<int64_t> kernel(shapeOf(w).begin() + 2, shapeOf(w).end());
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  bool sameUpper = autoPad == "SAME_UPPER", sameLower = autoPad == "SAME_LOWER";
  Window win = readWindow(c, x, kernel, true);
  if (win.spatial == 3)
    unsupported("3-D windows");
  if (autoPad != "NOTSET" && autoPad != "VALID" && !sameUpper && !sameLower)
    unsupported("auto_pad '" + autoPad + "'");
  int64_t groups = c.attrInt("group", 1);
  size_t n = (size_t)win.spatial;
  std::vector<int64_t> outPad =
      c.attrInts("output_padding", std::vector<int64_t>(n, 0));
  std::vector<int64_t> outShape = c.attrInts("output_shape");
  if (outPad.size() != n)
    unsupported("output_padding does not match the input's rank");
  for (int64_t p : outPad)
    if (p < 0 || p > kMaxWindow)
      unsupported("output_padding " + shapeStr(outPad));
  if (groups < 1 || groups > kMaxWindow)
    unsupported(strCat("group ", groups));
  if (n == 1)
    outPad = {0, outPad[0]};
  Value *x2 = to2d(b, x), *w2 = to2d(b, w);
  Shape in = shapeOf(x2);
  // Sizes computed in 128 bits, then refused if they do not fit in 64.
  auto fits = [](__int128 v, const char *what) {
    if (v < 0 || v > ((__int128)1 << 62))
      unsupported(std::string("an output ") + what + " out of range");
    return (int64_t)v;
  };
  Shape full = {in[0], fits((__int128)shapeOf(w2)[1] * groups, "channel count"),
                0, 0};
  if (!outShape.empty() && outShape.size() != n)
    unsupported("output_shape does not match the input's rank");
  for (size_t i = 0; i < 2; ++i) {
    int64_t dk = (win.kernel[i] - 1) * win.dilations[i] + 1;
    int64_t natural = fits(
        (__int128)win.strides[i] * (in[2 + i] - 1) + outPad[i] + dk, "extent");
    int64_t want = -1;
    if (!outShape.empty())
      want = n == 1 ? (i == 0 ? 1 : outShape[0]) : outShape[i];
    else if (sameUpper || sameLower)
      want = fits((__int128)in[2 + i] * win.strides[i], "extent");
    if (want >= 0) {
      // Crop `total` from the natural output, or extend its end (the
      // extension is zero, as output_padding's).
      int64_t total = natural - want;
      int64_t small = std::max<int64_t>(total, 0) / 2;
      int64_t big = std::max<int64_t>(total, 0) - small;
      win.pads[i] = sameLower ? big : small;
      win.pads[2 + i] = sameLower ? small : big;
      full[2 + i] = want;
      continue;
    }
    full[2 + i] = natural - win.pads[i] - win.pads[2 + i];
  }
  Conv2DOptions o{win.strides, win.pads, win.dilations, groups};
  Value *y = b.conv2dInputGrad(x2, w2, full, o);
  y = from2d(b, y, win.spatial);
  if (c.hasInput(2))
    y = b.add(y, perChannel(b, c.input(2), rankOf(y)));
  c.setOutput(0, y);
}

/// A 3-D pool as 2-D pools of each depth tap: the maximum of the taps, or
/// the mean of the taps' means (over the taps inside the input unless the
/// padding counts).
Value *pool3d(Builder &b, Value *x, const Window &w, const Pool2DOptions &o,
              bool max, bool includePad) {
  DType dt = x->type().dtype;
  double pad = max ? -std::numeric_limits<double>::infinity() : 0;
  if (max && !isFloat(dt))
    unsupported("3-D MaxPool of integers");
  int64_t outD = 0;
  std::vector<Value *> taps = depthTaps(
      b, x, w, pad,
      [&](Value *t) { return max ? b.maxPool2d(t, o) : b.avgPool2d(t, o); },
      outD);
  // The average's divisors are a constant of one element per output depth.
  if (!max && outD > kMaxFoldElements)
    unsupported(strCat("a 3-D average pool of ", outD, " output depths"));
  Value *y = taps[0];
  for (size_t i = 1; i < taps.size(); ++i)
    y = max ? b.maximum(y, taps[i]) : b.add(y, taps[i]);
  int64_t n = shapeOf(x)[0], d = shapeOf(x)[2];
  y = unfoldDepth(b, y, n, outD);
  if (max)
    return y;
  // The number of depth taps of each output position inside the input.
  std::vector<double> counts;
  for (int64_t od = 0; od < outD; ++od) {
    int64_t inside = 0;
    for (int64_t k = 0; k < w.kD; ++k) {
      int64_t at = od * w.sD + k - w.padD0;
      inside += includePad || (at >= 0 && at < d);
    }
    counts.push_back((double)inside);
  }
  return b.div(y,
               b.constant(Tensor::fromDoubles(dt, {1, 1, outD, 1, 1}, counts)));
}

/// A 2-D max pool as the maximum of one strided slice per kernel tap of
/// the input padded with -inf, for dilated kernels and for the Indices
/// output: `indices`, when not null, receives the row-major index into `x`
/// of each maximum (the first one on ties, in the window's row-major order),
/// or with `columnMajor` its index with H and W swapped (storage_order 1).
Value *tapMaxPool(Builder &b, Value *x, const Window &w,
                  Value **indices = nullptr, bool columnMajor = false) {
  if (!isFloat(x->type().dtype))
    unsupported("dilated MaxPool or its Indices of integers");
  if (w.kernel[0] * w.kernel[1] > kMaxDilatedTaps)
    unsupported(strCat("a kernel of ", w.kernel[0] * w.kernel[1],
                       " taps (at most ", kMaxDilatedTaps,
                       " with dilations or Indices)"));
  std::vector<int64_t> pads = {0, 0, w.pads[0], w.pads[1],
                               0, 0, w.pads[2], w.pads[3]};
  Value *xp = b.pad(x, pads, -std::numeric_limits<double>::infinity());
  Value *ip = nullptr;
  if (indices) {
    staticShapeOf(x, "MaxPool's input with Indices");
    Value *flat = b.iota(DType::I64, {x->type().numElements()});
    Shape s = shapeOf(x);
    Value *order = columnMajor
                       ? b.transpose(b.reshape(flat, {s[0], s[1], s[3], s[2]}),
                                     {0, 1, 3, 2})
                       : b.reshape(flat, s);
    ip = b.pad(order, pads);
  }
  int64_t out[2];
  for (size_t i = 0; i < 2; ++i) {
    int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t in = shapeOf(xp)[2 + i];
    if (span > in)
      unsupported("a dilated kernel larger than the padded input");
    out[i] = (in - span) / w.strides[i] + 1;
  }
  Value *y = nullptr, *at = nullptr;
  for (int64_t i = 0; i < w.kernel[0]; ++i)
    for (int64_t j = 0; j < w.kernel[1]; ++j) {
      int64_t h = i * w.dilations[0], v = j * w.dilations[1];
      std::vector<int64_t> starts = {h, v},
                           ends = {h + (out[0] - 1) * w.strides[0] + 1,
                                   v + (out[1] - 1) * w.strides[1] + 1},
                           axes = {2, 3}, steps = {w.strides[0], w.strides[1]};
      Value *t = b.slice(xp, starts, ends, axes, steps);
      if (ip) {
        Value *ti = b.slice(ip, starts, ends, axes, steps);
        if (y) {
          Value *better = b.greater(t, y);
          at = b.select(better, ti, at);
          y = b.select(better, t, y);
        } else {
          at = ti;
          y = t;
        }
        continue;
      }
      y = y ? b.maximum(y, t) : t;
    }
  if (indices)
    *indices = at;
  return y;
}

/// MaxPool and AveragePool.
Converter pool(bool max) {
  return [max](NodeContext &c) {
    Builder &b = c.b();
    Value *x = c.input(0);
    Window win = readWindow(c, x, {});
    bool columnMajor = max && c.attrInt("storage_order", 0) != 0;
    bool withIndices = max && c.hasOutput(1);
    if (win.dilations != std::vector<int64_t>{1, 1} || withIndices) {
      if (!max || win.spatial == 3 || c.attrInt("ceil_mode", 0))
        unsupported(withIndices ? "the Indices output" : "dilations");
      Value *at = nullptr;
      Value *y = tapMaxPool(b, to2d(b, x), win, withIndices ? &at : nullptr,
                            columnMajor);
      c.setOutput(0, from2d(b, y, win.spatial));
      if (withIndices)
        c.setOutput(1, from2d(b, at, win.spatial));
      return;
    }
    bool includePad = !max && c.attrInt("count_include_pad", 0) != 0;
    if (c.attrInt("ceil_mode", 0)) {
      if (win.spatial == 3)
        unsupported("ceil_mode on 3-D windows");
      if (includePad)
        unsupported("ceil_mode with count_include_pad");
      // Ceiling division as floor over an input padded at the end; the
      // padding never counts.
      for (size_t i = 0; i < 2; ++i) {
        int64_t in = shapeOf(to2d(b, x))[2 + i];
        int64_t span = in + win.pads[i] + win.pads[2 + i] - win.kernel[i];
        int64_t out = (span + win.strides[i] - 1) / win.strides[i] + 1;
        // The last window must start inside the input or the begin padding.
        if ((out - 1) * win.strides[i] >= in + win.pads[i])
          --out;
        int64_t extra = (out - 1) * win.strides[i] - span;
        if (extra > 0)
          win.pads[2 + i] += extra;
      }
    }
    Pool2DOptions o{win.kernel, win.strides, win.pads, includePad};
    if (win.spatial == 3) {
      if (win.dD != 1)
        unsupported("dilations");
      c.setOutput(0, pool3d(b, x, win, o, max, includePad));
      return;
    }
    Value *x2 = to2d(b, x);
    Value *y = max ? b.maxPool2d(x2, o) : b.avgPool2d(x2, o);
    c.setOutput(0, from2d(b, y, win.spatial));
  };
}

Converter globalPool(bool max) {
  return [max](NodeContext &c) {
    Value *x = c.input(0);
    std::vector<int64_t> axes;
    for (int64_t i = 2; i < rankOf(x); ++i)
      axes.push_back(i);
    c.setOutput(0, max ? c.b().reduceMax(x, axes, true)
                       : c.b().reduceMean(x, axes, true));
  };
}

/// (x - mean) / sqrt(var + eps), with mean and var over `axes`.
Value *normalize(Builder &b, Value *x, const std::vector<int64_t> &axes,
                 double eps) {
  Value *mean = b.reduceMean(x, axes, true);
  Value *centered = b.sub(x, mean);
  Value *var = b.reduceMean(b.mul(centered, centered), axes, true);
  Value *denom = b.sqrt(b.add(var, b.scalar(x->type().dtype, eps)));
  return b.div(centered, denom);
}

void convertBatchNorm(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "BatchNormalization");
  double eps = c.attrFloat("epsilon", 1e-5);
  c.ignore("momentum");
  if (c.attrInt("training_mode", 0))
    unsupported("training_mode 1");
  if (c.opset() < 9 && c.attrInt("spatial", 1) != 1)
    unsupported("spatial 0");
  if (c.opset() < 7)
    c.ignore("is_test");
  for (size_t i = 1; i < 5; ++i)
    if (c.hasOutput(i))
      unsupported("the training outputs");
  int64_t r = rankOf(x);
  Value *scale = perChannel(b, c.input(1), r);
  Value *bias = perChannel(b, c.input(2), r);
  Value *mean = perChannel(b, c.input(3), r);
  Value *var = perChannel(b, c.input(4), r);
  Value *denom = b.sqrt(b.add(var, c.scalarLike(var, eps)));
  Value *y = b.add(b.mul(b.div(b.sub(x, mean), denom), scale), bias);
  c.setOutput(0, y);
}

void convertInstanceNorm(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "InstanceNormalization");
  double eps = c.attrFloat("epsilon", 1e-5);
  std::vector<int64_t> axes;
  for (int64_t i = 2; i < rankOf(x); ++i)
    axes.push_back(i);
  Value *y = normalize(b, x, axes, eps);
  y = b.add(b.mul(y, perChannel(b, c.input(1), rankOf(x))),
            perChannel(b, c.input(2), rankOf(x)));
  c.setOutput(0, y);
}

void convertLayerNorm(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "LayerNormalization");
  int64_t axis = normalizeAxis(c.attrInt("axis", -1), rankOf(x), "axis");
  double eps = c.attrFloat("epsilon", 1e-5);
  c.ignore("stash_type");
  std::vector<int64_t> axes;
  for (int64_t i = axis; i < rankOf(x); ++i)
    axes.push_back(i);
  Value *mean = b.reduceMean(x, axes, true);
  Value *centered = b.sub(x, mean);
  Value *var = b.reduceMean(b.mul(centered, centered), axes, true);
  Value *invStd =
      b.div(c.scalarLike(x, 1), b.sqrt(b.add(var, c.scalarLike(x, eps))));
  Value *y = b.mul(b.mul(centered, invStd), c.input(1));
  if (c.hasInput(2))
    y = b.add(y, c.input(2));
  c.setOutput(0, y);
  c.setOutput(1, mean);
  c.setOutput(2, invStd);
}

void convertMeanVarianceNorm(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "MeanVarianceNormalization");
  std::vector<int64_t> axes = c.attrInts("axes", {0, 2, 3});
  for (int64_t &a : axes)
    a = normalizeAxis(a, rankOf(x), "axis");
  // ONNX's reference adds 1e-9 to the standard deviation.
  Value *mean = b.reduceMean(x, axes, true);
  Value *centered = b.sub(x, mean);
  Value *var = b.reduceMean(b.mul(centered, centered), axes, true);
  c.setOutput(0, b.div(centered, b.add(b.sqrt(var), c.scalarLike(x, 1e-9))));
}

/// Local response normalization across channels: the sum of squares over
/// `size` neighbouring channels from zero-padded slices.
void convertLrn(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "LRN");
  int64_t size = c.attrInt("size");
  double alpha = c.attrFloat("alpha", 1e-4), beta = c.attrFloat("beta", 0.75),
         bias = c.attrFloat("bias", 1.0);
  int64_t r = rankOf(x);
  if (r < 2)
    unsupported(strCat("an input of rank ", r, " (it is [N, C, ...])"));
  int64_t ch = shapeOf(x)[1];
  if (size < 1 || size > 64)
    unsupported(strCat("size ", size));
  std::vector<int64_t> pads((size_t)(2 * r), 0);
  pads[1] = (size - 1) / 2;
  pads[(size_t)r + 1] = size - 1 - (size - 1) / 2;
  Value *sq = b.pad(b.mul(x, x), pads);
  Value *sum = nullptr;
  for (int64_t k = 0; k < size; ++k) {
    Value *s = b.slice(sq, {k}, {k + ch}, {1});
    sum = sum ? b.add(sum, s) : s;
  }
  Value *scale = b.add(c.scalarLike(x, bias),
                       b.mul(sum, c.scalarLike(x, alpha / (double)size)));
  c.setOutput(0, b.div(x, b.pow(scale, c.scalarLike(x, beta))));
}

} // namespace

void addNnConverters(ConverterTable &t) {
  t["Conv"] = convertConv;
  t["ConvTranspose"] = convertConvTranspose;
  t["MaxPool"] = pool(true);
  t["AveragePool"] = pool(false);
  t["GlobalAveragePool"] = globalPool(false);
  t["GlobalMaxPool"] = globalPool(true);
  t["BatchNormalization"] = convertBatchNorm;
  t["InstanceNormalization"] = convertInstanceNorm;
  t["LayerNormalization"] = convertLayerNorm;
  t["MeanVarianceNormalization"] = convertMeanVarianceNorm;
  t["LRN"] = convertLrn;
}

} // namespace adjoint::onnximport
