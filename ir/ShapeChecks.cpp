//===- ShapeChecks.cpp - Checks shared by the type rules ------------------===//
#include "ir/ShapeChecks.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"

namespace adjoint::detail {

namespace {

bool allows(Allowed a, DType t) {
  switch (a) {
  case Allowed::Float:
    return isFloat(t);
  case Allowed::Numeric:
    return isNumeric(t);
  case Allowed::SignedNumeric:
    return isSignedNumeric(t);
  case Allowed::Bool:
    return t == DType::Bool;
  case Allowed::Any:
    return true;
  }
  __builtin_unreachable();
}

std::string_view allowedName(Allowed a) {
  switch (a) {
  case Allowed::Float:
    return "a float type (f32, f64)";
  case Allowed::Numeric:
    return "a numeric type (f32, f64, i32, i64, u8)";
  case Allowed::SignedNumeric:
    return "a signed numeric type (f32, f64, i32, i64)";
  case Allowed::Bool:
    return "bool";
  case Allowed::Any:
    return "any type";
  }
  __builtin_unreachable();
}

} // namespace

std::string typesStr(std::span<const TensorType> types) {
  std::string out;
  for (size_t i = 0; i < types.size(); ++i)
    out += (i ? ", " : "") + typeStr(types[i]);
  return out;
}

void requireSameDType(OpKind op, std::span<const TensorType> ts) {
  for (const TensorType &t : ts)
    if (t.dtype != ts[0].dtype)
      badInput(opName(op), ": operand dtypes differ (", typesStr(ts), ")");
}

void requireDType(OpKind op, const TensorType &t, Allowed a, const char *what) {
  if (!allows(a, t.dtype))
    badInput(opName(op), ": ", what, " must have ", allowedName(a), ", not ",
             typeStr(t));
}

void requireRank(OpKind op, const TensorType &t, size_t rank,
                 const char *what) {
  if (t.rank() != rank)
    badInput(opName(op), ": ", what, " must have rank ", rank, ", not ",
             typeStr(t));
}

void requireLength(OpKind op, const char *attr, const std::vector<int64_t> &v,
                   size_t n) {
  if (v.size() != n)
    badInput(opName(op), ": attribute '", attr, "' must have ", n,
             " values, not ", v.size());
}

void requirePositive(OpKind op, const char *attr,
                     const std::vector<int64_t> &v) {
  for (int64_t x : v)
    if (x <= 0)
      badInput(opName(op), ": attribute '", attr, "' must be positive, got ",
               shapeStr(v));
}

void requireStaticDims(OpKind op, const TensorType &t, size_t from,
                       const char *what) {
  for (size_t d = from; d < t.rank(); ++d)
    if (isSymbolic(t.shape[d]))
      badInput(opName(op), ": dimension ", d, " of the ", what, " ", typeStr(t),
               " is symbolic; only the batch (dimension 0",
               from == 0 ? " of the input" : "", ") may be");
}

void requireNonNegative(OpKind op, const char *attr,
                        const std::vector<int64_t> &v) {
  for (int64_t x : v)
    if (x < 0)
      badInput(opName(op), ": attribute '", attr,
               "' must not be negative, got ", shapeStr(v));
}

void requireShapeAttr(OpKind op, const char *attr,
                      const std::vector<int64_t> &v) {
  for (int64_t x : v)
    if (x < 0 && !isSymbolic(x))
      badInput(opName(op), ": attribute '", attr,
               "' must not be negative, got ", shapeStr(v));
}

int64_t windowOut(OpKind op, int64_t in, int64_t padBegin, int64_t padEnd,
                  int64_t kernel, int64_t stride, int64_t dilation) {
  // Attributes may be any int64, so the sums and products are checked.
  int64_t padded, span;
  if (__builtin_add_overflow(in, padBegin, &padded) ||
      __builtin_add_overflow(padded, padEnd, &padded) ||
      __builtin_mul_overflow(dilation, kernel - 1, &span) ||
      __builtin_add_overflow(span, 1, &span))
    badInput(opName(op), ": window or padding too large (input extent ", in,
             ", pads ", padBegin, " and ", padEnd, ", kernel ", kernel,
             ", dilation ", dilation, ")");
  if (span > padded)
    badInput(opName(op), ": window of extent ", span,
             " is larger than the padded input extent ", padded);
  return (padded - span) / stride + 1;
}

Shape convOutputShape(OpKind op, const AttrReader &r, const Shape &x,
                      const Shape &w, const std::string &types) {
  int64_t groups = r.getInt("groups");
  if (groups <= 0 || x[1] % groups != 0 || w[0] % groups != 0)
    badInput(opName(op), ": groups ", groups,
             " must be positive and divide the input channels and the "
             "output channels (",
             types, ")");
  if (w[1] != x[1] / groups)
    badInput(opName(op), ": weight has ", w[1],
             " input channels per group but the input has ", x[1],
             " channels in ", groups, " group", groups == 1 ? "" : "s", " (",
             types, ")");
  if (w[2] == 0 || w[3] == 0)
    badInput(opName(op), ": empty kernel (", types, ")");
  Window2D win = convWindow(r, x, w);
  return {x[0], w[0], win.outH, win.outW};
}

} // namespace adjoint::detail
