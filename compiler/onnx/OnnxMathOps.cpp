//===- OnnxMathOps.cpp - ONNX elementwise, matmul, gemm and einsum --------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace adjoint::onnximport {

namespace {

using BinaryFn = Value *(Builder::*)(Value *, Value *);
using UnaryFn = Value *(Builder::*)(Value *);

Converter unary(UnaryFn fn) {
  return [fn](NodeContext &c) { c.setOutput(0, (c.b().*fn)(c.input(0))); };
}

/// Opset 6's limited broadcasting: with `broadcast` set, B's dims line up
/// with A's from `axis` (default: B's trailing dims, as numpy's).
Value *legacyBroadcast(NodeContext &c, Value *a, Value *b) {
  if (c.opset() >= 7)
    return b;
  bool broadcast = c.attrInt("broadcast", 0) != 0;
  bool hasAxis = c.has("axis");
  int64_t axis = c.attrInt("axis", 0);
  if (!broadcast) {
    if (shapeOf(a) != shapeOf(b))
      unsupported("operands of different shapes without broadcast");
    return b;
  }
  // Without an axis B lines up with A's trailing dims, as numpy's.
  if (!hasAxis)
    return b;
  axis = normalizeAxis(axis, rankOf(a), "axis");
  Shape s = shapeOf(b);
  s.resize((size_t)(rankOf(a) - axis), 1);
  return c.b().reshape(b, s);
}

Converter binary(BinaryFn fn) {
  return [fn](NodeContext &c) {
    Value *a = c.input(0);
    Value *b = legacyBroadcast(c, a, c.input(1));
    c.setOutput(0, (c.b().*fn)(a, b));
  };
}

/// Max, Min, Sum: folds one or more inputs with `fn`.
Converter variadic(BinaryFn fn) {
  return [fn](NodeContext &c) {
    Value *acc = c.input(0);
    for (size_t i = 1; i < c.numInputs(); ++i)
      acc = (c.b().*fn)(acc, c.input(i));
    c.setOutput(0, acc);
  };
}

void convertMean(NodeContext &c) {
  Value *acc = c.input(0);
  for (size_t i = 1; i < c.numInputs(); ++i)
    acc = c.b().add(acc, c.input(i));
  c.setOutput(0, c.b().div(acc, c.scalarLike(acc, (double)c.numInputs())));
}

void convertPow(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0), *y = c.input(1);
  DType xt = x->type().dtype;
  if (isFloat(xt)) {
    if (y->type().dtype != xt)
      y = b.cast(y, xt);
    c.setOutput(0, b.pow(x, y));
    return;
  }
  if (!isNumeric(xt))
    unsupported("Pow of " + std::string(dtypeName(xt)));
  // Integer powers through f64, exact for results below 2^53.
  Value *r = b.pow(b.cast(x, DType::F64), b.cast(y, DType::F64));
  c.setOutput(0, b.cast(r, xt));
}

void convertReciprocal(NodeContext &c) {
  Value *x = c.input(0);
  c.setOutput(0, c.b().div(c.scalarLike(x, 1), x));
}

void convertLeakyRelu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 0.01);
  Value *neg = b.mul(x, c.scalarLike(x, alpha));
  c.setOutput(0, b.select(b.less(x, c.scalarLike(x, 0)), neg, x));
}

void convertElu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.0);
  Value *neg =
      b.mul(b.sub(b.exp(x), c.scalarLike(x, 1)), c.scalarLike(x, alpha));
  c.setOutput(0, b.select(b.less(x, c.scalarLike(x, 0)), neg, x));
}

void convertSelu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = c.attrFloat("gamma", 1.05070102214813232421875);
  Value *neg =
      b.sub(b.mul(b.exp(x), c.scalarLike(x, alpha)), c.scalarLike(x, alpha));
  Value *y = b.select(b.lessEqual(x, c.scalarLike(x, 0)), neg, x);
  c.setOutput(0, b.mul(y, c.scalarLike(x, gamma)));
}

void convertHardSigmoid(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 0.2), beta = c.attrFloat("beta", 0.5);
  Value *y = b.add(b.mul(x, c.scalarLike(x, alpha)), c.scalarLike(x, beta));
  y = b.minimum(b.maximum(y, c.scalarLike(x, 0)), c.scalarLike(x, 1));
  c.setOutput(0, y);
}

void convertSoftplus(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  c.setOutput(0, b.log(b.add(b.exp(x), c.scalarLike(x, 1))));
}

void convertSoftsign(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  c.setOutput(0, b.div(x, b.add(b.abs(x), c.scalarLike(x, 1))));
}

void convertClip(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  if (c.opset() < 11) {
    double lo = c.attrFloat("min", -std::numeric_limits<double>::infinity());
    double hi = c.attrFloat("max", std::numeric_limits<double>::infinity());
    x = b.maximum(x, c.scalarLike(x, lo));
    c.setOutput(0, b.minimum(x, c.scalarLike(x, hi)));
    return;
  }
  if (c.hasInput(1))
    x = b.maximum(x, c.input(1));
  if (c.hasInput(2))
    x = b.minimum(x, c.input(2));
  c.setOutput(0, x);
}

/// Softmax and LogSoftmax: opset 13 takes the axis alone (default -1);
/// earlier opsets flatten to 2-D at `axis` (default 1).
Converter softmaxLike(bool log) {
  return [log](NodeContext &c) {
    Builder &b = c.b();
    Value *x = c.input(0);
    requireFloat(x, c.opType());
    auto apply = [&](Value *v, int64_t axis) {
      return log ? b.logSoftmax(v, axis) : b.softmax(v, axis);
    };
    if (c.opset() >= 13) {
      int64_t axis = normalizeAxis(c.attrInt("axis", -1), rankOf(x), "axis");
      c.setOutput(0, apply(x, axis));
      return;
    }
    int64_t rank = rankOf(x);
    int64_t axis = c.attrInt("axis", 1);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      unsupported(strCat("axis ", axis, " is out of range"));
    Shape shape = shapeOf(x);
    Value *flat = b.flatten(x, axis);
    c.setOutput(0, b.reshape(apply(flat, 1), shape));
  };
}

void convertGemm(NodeContext &c) {
  Builder &b = c.b();
  Value *a = c.input(0), *w = c.input(1);
  if (c.attrInt("transA", 0))
    a = b.transpose(a);
  if (c.attrInt("transB", 0))
    w = b.transpose(w);
  double alpha = c.attrFloat("alpha", 1.0), beta = c.attrFloat("beta", 1.0);
  if (c.opset() < 7)
    c.ignore("broadcast"); // C broadcasts as in opset 7 either way
  Value *y = b.matmul(a, w);
  if (alpha != 1.0)
    y = b.mul(y, c.scalarLike(y, alpha));
  if (c.hasInput(2)) {
    Value *bias = c.input(2);
    if (beta != 1.0)
      bias = b.mul(bias, c.scalarLike(bias, beta));
    y = b.add(y, bias);
  }
  c.setOutput(0, y);
}

/// Einsum on one or two operands without ellipsis or repeated letters in
/// one operand: sums, transposes, and contractions as one batched matmul.
void convertEinsum(NodeContext &c) {
  Builder &b = c.b();
  std::string eq = c.attrString("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  if (eq.find('.') != std::string::npos)
    unsupported("equation '" + eq + "' (ellipsis)");
  std::string lhs = eq, out;
  bool explicitOut = false;
  if (size_t arrow = eq.find("->"); arrow != std::string::npos) {
    lhs = eq.substr(0, arrow);
    out = eq.substr(arrow + 2);
    explicitOut = true;
  }
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (terms.size() != c.numInputs() || terms.size() > 2)
    unsupported("equation '" + eq + "' (only one or two operands)");
  std::map<char, int64_t> extent, count;
  std::vector<Value *> ops;
  for (size_t i = 0; i < terms.size(); ++i) {
    Value *v = c.input(i);
    if ((int64_t)terms[i].size() != rankOf(v))
      unsupported("equation '" + eq + "' does not match the operand ranks");
    staticShapeOf(v, "an Einsum operand");
    std::string seen;
    for (size_t k = 0; k < terms[i].size(); ++k) {
      char l = terms[i][k];
      if (seen.find(l) != std::string::npos)
        unsupported("equation '" + eq + "' (a diagonal)");
      seen += l;
      // A letter names one extent in both operands (no broadcasting
      // without an ellipsis), so every product below fits.
      if (extent.count(l) && extent[l] != shapeOf(v)[k])
        unsupported(strCat("equation '", eq, "': letter '", std::string(1, l),
                           "' has extents ", extent[l], " and ",
                           shapeOf(v)[k]));
      extent[l] = shapeOf(v)[k];
      ++count[l];
    }
    ops.push_back(v);
  }
  if (!explicitOut)
    for (auto [l, n] : count)
      if (n == 1)
        out += l;
  for (size_t k = 0; k < out.size(); ++k)
    if (!extent.count(out[k]) || out.find(out[k], k + 1) != std::string::npos)
      unsupported("equation '" + eq + "': output letter '" +
                  std::string(1, out[k]) + "' is repeated or in no operand");
  auto inOut = [&](char l) { return out.find(l) != std::string::npos; };
  // Sums over letters that only one operand has and the output lacks.
  for (size_t i = 0; i < terms.size(); ++i) {
    std::vector<int64_t> axes;
    std::string kept;
    for (size_t k = 0; k < terms[i].size(); ++k) {
      char l = terms[i][k];
      bool other =
          terms.size() == 2 && terms[1 - i].find(l) != std::string::npos;
      if (!inOut(l) && !other)
        axes.push_back((int64_t)k);
      else
        kept += l;
    }
    if (!axes.empty()) {
      ops[i] = b.reduceSum(ops[i], axes);
      terms[i] = kept;
    }
  }
  auto permuteTo = [&](Value *v, const std::string &from,
                       const std::string &to) {
    std::vector<int64_t> perm;
    for (char l : to)
      perm.push_back((int64_t)from.find(l));
    bool identity = true;
    for (size_t k = 0; k < perm.size(); ++k)
      identity = identity && perm[k] == (int64_t)k;
    return identity ? v : b.transpose(v, perm);
  };
  if (terms.size() == 1) {
    c.setOutput(0, permuteTo(ops[0], terms[0], out));
    return;
  }
  std::string batch, left, right, contracted;
  for (char l : terms[0]) {
    bool inB = terms[1].find(l) != std::string::npos;
    (inB ? (inOut(l) ? batch : contracted) : left) += l;
  }
  for (char l : terms[1])
    if (terms[0].find(l) == std::string::npos)
      right += l;
  auto prod = [&](const std::string &ls) {
    int64_t p = 1;
    for (char l : ls)
      p *= extent[l];
    return p;
  };
  Value *a = b.reshape(permuteTo(ops[0], terms[0], batch + left + contracted),
                       {prod(batch), prod(left), prod(contracted)});
  Value *w = b.reshape(permuteTo(ops[1], terms[1], batch + contracted + right),
                       {prod(batch), prod(contracted), prod(right)});
  Shape shape;
  for (char l : batch + left + right)
    shape.push_back(extent[l]);
  Value *y = b.reshape(b.matmul(a, w), shape);
  c.setOutput(0, permuteTo(y, batch + left + right, out));
}

void convertThresholdedRelu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.0);
  c.setOutput(
      0, b.select(b.greater(x, c.scalarLike(x, alpha)), x, c.scalarLike(x, 0)));
}

void convertShrink(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double bias = c.attrFloat("bias", 0), lambd = c.attrFloat("lambd", 0.5);
  Value *low = b.select(b.less(x, c.scalarLike(x, -lambd)),
                        b.add(x, c.scalarLike(x, bias)), c.scalarLike(x, 0));
  c.setOutput(0, b.select(b.greater(x, c.scalarLike(x, lambd)),
                          b.sub(x, c.scalarLike(x, bias)), low));
}

void convertPRelu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0), *slope = c.input(1);
  // Before opset 7 a slope of [C] is per channel (axis 1).
  if (c.opset() < 7 && rankOf(slope) == 1 && rankOf(x) >= 2 &&
      shapeOf(slope)[0] == shapeOf(x)[1]) {
    Shape s((size_t)rankOf(x) - 1, 1);
    s[0] = shapeOf(slope)[0];
    slope = b.reshape(slope, s);
  }
  c.setOutput(0, b.select(b.less(x, c.scalarLike(x, 0)), b.mul(x, slope), x));
}

void convertIsNaN(NodeContext &c) {
  Value *x = c.input(0);
  c.setOutput(0, c.b().logicalNot(c.b().equal(x, x)));
}

void convertIsInf(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "IsInf");
  bool pos = c.attrInt("detect_positive", 1) != 0;
  bool neg = c.attrInt("detect_negative", 1) != 0;
  double inf = std::numeric_limits<double>::infinity();
  Value *p = b.equal(x, c.scalarLike(x, pos ? inf : 0));
  Value *n = b.equal(x, c.scalarLike(x, neg ? -inf : 0));
  if (!pos)
    p = b.logicalAnd(p, b.logicalNot(p));
  if (!neg)
    n = b.logicalAnd(n, b.logicalNot(n));
  c.setOutput(0, b.logicalOr(p, n));
}

/// Mod: integers as Python's % (fmod = 0) or C's (fmod = 1); floats as C's
/// fmod, through a truncating cast to i64 (|a / b| < 2^63).
void convertMod(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0), *y = c.input(1);
  bool fmod = c.attrInt("fmod", 0) != 0;
  DType dt = x->type().dtype;
  if (isFloat(dt)) {
    if (!fmod)
      unsupported("fmod 0 on floats");
    Value *q = b.cast(b.cast(b.div(x, y), DType::I64), dt);
    c.setOutput(0, b.sub(x, b.mul(q, y)));
    return;
  }
  Value *r = b.sub(x, b.mul(b.div(x, y), y));
  if (!fmod && dt != DType::U8) {
    Value *zero = c.scalarLike(x, 0);
    Value *fix =
        b.logicalAnd(b.logicalNot(b.equal(r, zero)),
                     b.logicalNot(b.equal(b.less(r, zero), b.less(y, zero))));
    r = b.select(fix, b.add(r, y), r);
  }
  c.setOutput(0, r);
}

/// floor(x) for floats: the truncation corrected downwards; values of at
/// least 2^23 (f32) or 2^52 (f64) in magnitude, infinities and NaN are
/// integral already and pass through.
Value *floorOf(Builder &b, Value *x) {
  DType dt = x->type().dtype;
  auto s = [&](double v) { return b.scalar(dt, v); };
  Value *t = b.cast(b.cast(x, DType::I64), dt);
  Value *f = b.select(b.greater(t, x), b.sub(t, s(1)), t);
  double big = dt == DType::F32 ? 8388608.0 : 4503599627370496.0;
  return b.select(b.less(b.abs(x), s(big)), f, x);
}

void convertFloor(NodeContext &c) {
  Value *x = c.input(0);
  requireFloat(x, "Floor");
  c.setOutput(0, floorOf(c.b(), x));
}

void convertCeil(NodeContext &c) {
  Value *x = c.input(0);
  requireFloat(x, "Ceil");
  c.setOutput(0, c.b().neg(floorOf(c.b(), c.b().neg(x))));
}

/// Round half to even.
void convertRound(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  requireFloat(x, "Round");
  auto s = [&](double v) { return c.scalarLike(x, v); };
  Value *f = floorOf(b, x);
  Value *up = b.add(f, s(1));
  Value *d = b.sub(x, f);
  Value *half = b.mul(floorOf(b, b.mul(f, s(0.5))), s(2));
  Value *tie = b.select(b.equal(half, f), f, up);
  Value *r =
      b.select(b.greater(d, s(0.5)), up, b.select(b.less(d, s(0.5)), f, tie));
  double big = x->type().dtype == DType::F32 ? 8388608.0 : 4503599627370496.0;
  c.setOutput(0, b.select(b.less(b.abs(x), s(big)), r, x));
}

void convertCelu(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  double alpha = c.attrFloat("alpha", 1.0);
  Value *neg =
      b.mul(b.sub(b.exp(b.div(x, c.scalarLike(x, alpha))), c.scalarLike(x, 1)),
            c.scalarLike(x, alpha));
  c.setOutput(0, b.add(b.maximum(x, c.scalarLike(x, 0)),
                       b.minimum(neg, c.scalarLike(x, 0))));
}

void convertHardSwish(NodeContext &c) {
  Builder &b = c.b();
  Value *x = c.input(0);
  Value *gate = b.add(b.mul(x, c.scalarLike(x, 1.0 / 6)), c.scalarLike(x, 0.5));
  gate = b.minimum(b.maximum(gate, c.scalarLike(x, 0)), c.scalarLike(x, 1));
  c.setOutput(0, b.mul(x, gate));
}

void convertXor(NodeContext &c) {
  Builder &b = c.b();
  c.setOutput(0, b.logicalNot(b.equal(c.input(0), c.input(1))));
}

void convertWhere(NodeContext &c) {
  c.setOutput(0, c.b().select(c.input(0), c.input(1), c.input(2)));
}

} // namespace

void addMathConverters(ConverterTable &t) {
  t["Add"] = binary(&Builder::add);
  t["Sub"] = binary(&Builder::sub);
  t["Mul"] = binary(&Builder::mul);
  t["Div"] = binary(&Builder::div);
  t["Pow"] = convertPow;
  t["Neg"] = unary(&Builder::neg);
  t["Abs"] = unary(&Builder::abs);
  t["Sign"] = unary(&Builder::sign);
  t["Exp"] = unary(&Builder::exp);
  t["Log"] = unary(&Builder::log);
  t["Sqrt"] = unary(&Builder::sqrt);
  t["Tanh"] = unary(&Builder::tanh);
  t["Sigmoid"] = unary(&Builder::sigmoid);
  t["Relu"] = unary(&Builder::relu);
  t["Erf"] = unary(&Builder::erf);
  t["Not"] = unary(&Builder::logicalNot);
  t["Reciprocal"] = convertReciprocal;
  t["LeakyRelu"] = convertLeakyRelu;
  t["Elu"] = convertElu;
  t["Selu"] = convertSelu;
  t["HardSigmoid"] = convertHardSigmoid;
  t["Softplus"] = convertSoftplus;
  t["Softsign"] = convertSoftsign;
  t["Clip"] = convertClip;
  t["Softmax"] = softmaxLike(false);
  t["LogSoftmax"] = softmaxLike(true);
  t["MatMul"] = [](NodeContext &c) {
    c.setOutput(0, c.b().matmul(c.input(0), c.input(1)));
  };
  t["Gemm"] = convertGemm;
  t["Einsum"] = convertEinsum;
  t["Equal"] = binary(&Builder::equal);
  t["Less"] = binary(&Builder::less);
  t["LessOrEqual"] = binary(&Builder::lessEqual);
  t["Greater"] = binary(&Builder::greater);
  t["GreaterOrEqual"] = binary(&Builder::greaterEqual);
  t["And"] = binary(&Builder::logicalAnd);
  t["Or"] = binary(&Builder::logicalOr);
  t["Xor"] = convertXor;
  t["ThresholdedRelu"] = convertThresholdedRelu;
  t["Shrink"] = convertShrink;
  t["PRelu"] = convertPRelu;
  t["IsNaN"] = convertIsNaN;
  t["IsInf"] = convertIsInf;
  t["Mod"] = convertMod;
  t["Celu"] = convertCelu;
  t["HardSwish"] = convertHardSwish;
  t["Floor"] = convertFloor;
  t["Ceil"] = convertCeil;
  t["Round"] = convertRound;
  t["Where"] = convertWhere;
  t["Max"] = variadic(&Builder::maximum);
  t["Min"] = variadic(&Builder::minimum);
  t["Sum"] = variadic(&Builder::add);
  t["Mean"] = convertMean;
}

} // namespace adjoint::onnximport
