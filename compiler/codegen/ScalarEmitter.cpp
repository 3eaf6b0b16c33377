//===- ScalarEmitter.cpp - One element of an elementwise op in LLVM IR ----===//
#include "compiler/codegen/ScalarEmitter.h"

#include "compiler/codegen/EmitContext.h"

#include <llvm/IR/Intrinsics.h>

#include <cmath>
#include <limits>

namespace adjoint::codegen {

namespace {

/// Calls the inline math library: adjoint_math_<name>_<f32|f64>.
llvm::Value *callMath(EmitContext &ec, llvm::IRBuilder<> &b,
                      llvm::StringRef name, DType t, llvm::Value *x) {
  llvm::Type *ty = ec.valueType(t);
  std::string fn = ("adjoint_math_" + name + "_" + dtypeName(t)).str();
  llvm::FunctionCallee callee = ec.module.getOrInsertFunction(
      fn, llvm::FunctionType::get(ty, {ty}, false));
  return b.CreateCall(callee, {x});
}

/// Calls a libm function (used only where no inline version exists: pow).
llvm::Value *callLibm(EmitContext &ec, llvm::IRBuilder<> &b,
                      llvm::StringRef f32Name, llvm::StringRef f64Name, DType t,
                      llvm::ArrayRef<llvm::Value *> args) {
  llvm::Type *ty = ec.valueType(t);
  std::vector<llvm::Type *> params(args.size(), ty);
  llvm::FunctionCallee callee =
      ec.module.getOrInsertFunction(t == DType::F32 ? f32Name : f64Name,
                                    llvm::FunctionType::get(ty, params, false));
  return b.CreateCall(callee, args);
}

bool isUnsigned(DType t) { return t == DType::U8 || t == DType::Bool; }

llvm::Value *isNan(llvm::IRBuilder<> &b, llvm::Value *x) {
  return b.CreateFCmpUNO(x, x);
}

llvm::Value *emitDiv(EmitContext &ec, llvm::IRBuilder<> &b, DType t,
                     llvm::Value *x, llvm::Value *y) {
  if (isFloat(t))
    return b.CreateFDiv(x, y);
  llvm::Type *ty = ec.valueType(t);
  llvm::Value *zero = llvm::ConstantInt::get(ty, 0);
  llvm::Value *one = llvm::ConstantInt::get(ty, 1);
  llvm::Value *divByZero = b.CreateICmpEQ(y, zero);
  if (isUnsigned(t)) {
    // x / 0 = 0 (no trap).
    llvm::Value *q = b.CreateUDiv(x, b.CreateSelect(divByZero, one, y));
    return b.CreateSelect(divByZero, zero, q);
  }
  // x / 0 = 0; x / -1 = -x with wrap-around (INT_MIN / -1 = INT_MIN), which
  // sdiv would leave undefined.
  llvm::Value *minusOne = llvm::ConstantInt::getSigned(ty, -1);
  llvm::Value *byMinusOne = b.CreateICmpEQ(y, minusOne);
  llvm::Value *safe = b.CreateSelect(b.CreateOr(divByZero, byMinusOne), one, y);
  llvm::Value *q = b.CreateSDiv(x, safe);
  q = b.CreateSelect(byMinusOne, b.CreateSub(zero, x), q);
  return b.CreateSelect(divByZero, zero, q);
}

llvm::Value *emitCompare(llvm::IRBuilder<> &b, OpKind op, DType t,
                         llvm::Value *x, llvm::Value *y) {
  using P = llvm::CmpInst::Predicate;
  bool f = isFloat(t), u = isUnsigned(t);
  P p = P::ICMP_EQ;
  switch (op) {
  case OpKind::Equal:
    p = f ? P::FCMP_OEQ : P::ICMP_EQ;
    break;
  case OpKind::Less:
    p = f ? P::FCMP_OLT : u ? P::ICMP_ULT : P::ICMP_SLT;
    break;
  case OpKind::LessEqual:
    p = f ? P::FCMP_OLE : u ? P::ICMP_ULE : P::ICMP_SLE;
    break;
  case OpKind::Greater:
    p = f ? P::FCMP_OGT : u ? P::ICMP_UGT : P::ICMP_SGT;
    break;
  case OpKind::GreaterEqual:
    p = f ? P::FCMP_OGE : u ? P::ICMP_UGE : P::ICMP_SGE;
    break;
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
  case OpKind::Select:
  case OpKind::Cast:
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::Argmax:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::BroadcastTo:
  case OpKind::Slice:
  case OpKind::Concat:
  case OpKind::Pad:
  case OpKind::Gather:
  case OpKind::OneHot:
  case OpKind::MatMul:
  case OpKind::Conv2D:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::StopGradient:
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
  case OpKind::ScatterAdd:
  case OpKind::Scan:
  case OpKind::Dropout:
  case OpKind::Attention:
    assert(false && "not a comparison");
    break;
  }
  return f ? b.CreateFCmp(p, x, y) : b.CreateICmp(p, x, y);
}

/// maximum/minimum: NaN if either is NaN; when equal, the first operand.
llvm::Value *emitMinMax(EmitContext &ec, llvm::IRBuilder<> &b, bool isMax,
                        DType t, llvm::Value *x, llvm::Value *y) {
  if (isFloat(t)) {
    llvm::Value *pick = isMax ? b.CreateFCmpOGE(x, y) : b.CreateFCmpOLE(x, y);
    llvm::Value *r = b.CreateSelect(pick, x, y);
    return b.CreateSelect(b.CreateFCmpUNO(x, y), b.CreateFAdd(x, y), r);
  }
  llvm::Intrinsic::ID id =
      isUnsigned(t) ? (isMax ? llvm::Intrinsic::umax : llvm::Intrinsic::umin)
                    : (isMax ? llvm::Intrinsic::smax : llvm::Intrinsic::smin);
  return b.CreateBinaryIntrinsic(id, x, y);
}

} // namespace

llvm::Value *emitConstant(EmitContext &ec, DType t, double v) {
  switch (t) {
  case DType::F32:
    return llvm::ConstantFP::get(ec.valueType(t), (double)(float)v);
  case DType::F64:
    return llvm::ConstantFP::get(ec.valueType(t), v);
  case DType::Bool:
    return llvm::ConstantInt::get(ec.i1(), v != 0);
  case DType::I32:
    return llvm::ConstantInt::getSigned(ec.valueType(t),
                                        convertFromDouble<int32_t>(v));
  case DType::I64:
    return llvm::ConstantInt::getSigned(ec.valueType(t),
                                        convertFromDouble<int64_t>(v));
  case DType::U8:
    return llvm::ConstantInt::get(ec.valueType(t),
                                  convertFromDouble<uint8_t>(v));
  }
  __builtin_unreachable();
}

llvm::Value *emitCast(EmitContext &ec, llvm::IRBuilder<> &b, llvm::Value *v,
                      DType from, DType to) {
  if (from == to)
    return v;
  llvm::Type *toTy = ec.valueType(to);
  if (to == DType::Bool) {
    if (isFloat(from)) // NaN != 0 is true
      return b.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0));
    return b.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
  }
  if (isFloat(from) && isFloat(to))
    return to == DType::F64 ? b.CreateFPExt(v, toTy) : b.CreateFPTrunc(v, toTy);
  if (isFloat(from)) {
    // Truncate toward zero, saturate, NaN -> 0: exactly fpto[su]i.sat.
    llvm::Intrinsic::ID id = to == DType::U8 ? llvm::Intrinsic::fptoui_sat
                                             : llvm::Intrinsic::fptosi_sat;
    return b.CreateIntrinsic(id, {toTy, v->getType()}, {v});
  }
  if (isFloat(to))
    return isUnsigned(from) ? b.CreateUIToFP(v, toTy) : b.CreateSIToFP(v, toTy);
  // Integer to integer: keep the low bits; widen by the source's signedness.
  return isUnsigned(from) ? b.CreateZExtOrTrunc(v, toTy)
                          : b.CreateSExtOrTrunc(v, toTy);
}

llvm::Value *emitLoad(EmitContext &ec, llvm::IRBuilder<> &b, DType t,
                      llvm::Value *base, llvm::Value *offset) {
  llvm::Type *st = ec.storageType(t);
  llvm::Value *p = b.CreateInBoundsGEP(st, base, offset);
  llvm::Value *v = b.CreateLoad(st, p);
  return t == DType::Bool ? b.CreateTrunc(v, ec.i1()) : v;
}

void emitStore(EmitContext &ec, llvm::IRBuilder<> &b, DType t, llvm::Value *v,
               llvm::Value *base, llvm::Value *offset) {
  llvm::Type *st = ec.storageType(t);
  if (t == DType::Bool)
    v = b.CreateZExt(v, st);
  b.CreateStore(v, b.CreateInBoundsGEP(st, base, offset));
}

llvm::Value *emitScalarOp(EmitContext &ec, llvm::IRBuilder<> &b, OpKind op,
                          llvm::ArrayRef<DType> operandTypes, DType resultType,
                          const AttrReader &attrs,
                          llvm::ArrayRef<llvm::Value *> args) {
  DType t = operandTypes.empty() ? resultType : operandTypes[0];
  bool f = isFloat(t);
  llvm::Type *ty = ec.valueType(t);
  llvm::Value *x = args.empty() ? nullptr : args[0];
  llvm::Value *y = args.size() > 1 ? args[1] : nullptr;
  auto zero = [&] { return emitConstant(ec, t, 0); };

  switch (op) {
  case OpKind::Neg:
    return f ? b.CreateFNeg(x) : b.CreateSub(zero(), x);
  case OpKind::Abs:
    if (f)
      return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
    if (isUnsigned(t))
      return x;
    // Wraps: abs(INT_MIN) = INT_MIN.
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::abs, x, b.getFalse());
  case OpKind::Sign: {
    if (isUnsigned(t))
      return b.CreateZExt(b.CreateICmpNE(x, zero()), ty);
    llvm::Value *one = emitConstant(ec, t, 1),
                *minusOne = emitConstant(ec, t, -1);
    if (f) // +-0 and NaN pass through
      return b.CreateSelect(
          b.CreateFCmpOGT(x, zero()), one,
          b.CreateSelect(b.CreateFCmpOLT(x, zero()), minusOne, x));
    return b.CreateSelect(
        b.CreateICmpSGT(x, zero()), one,
        b.CreateSelect(b.CreateICmpSLT(x, zero()), minusOne, zero()));
  }
  case OpKind::Exp:
    return callMath(ec, b, "exp", t, x);
  case OpKind::Log:
    return callMath(ec, b, "log", t, x);
  case OpKind::Tanh:
    return callMath(ec, b, "tanh", t, x);
  case OpKind::Sigmoid:
    return callMath(ec, b, "sigmoid", t, x);
  case OpKind::Erf:
    return callMath(ec, b, "erf", t, x);
  case OpKind::Sqrt:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
  case OpKind::Relu:
    if (f) // x > 0 ? x : 0, NaN stays NaN, -0 becomes +0
      return b.CreateSelect(b.CreateFCmpOGT(x, zero()), x,
                            b.CreateSelect(isNan(b, x), x, zero()));
    if (isUnsigned(t))
      return x;
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::smax, x, zero());
  case OpKind::LogicalNot:
    return b.CreateNot(x);

  case OpKind::Add:
    return f ? b.CreateFAdd(x, y) : b.CreateAdd(x, y);
  case OpKind::Sub:
    return f ? b.CreateFSub(x, y) : b.CreateSub(x, y);
  case OpKind::Mul:
    return f ? b.CreateFMul(x, y) : b.CreateMul(x, y);
  case OpKind::Div:
    return emitDiv(ec, b, t, x, y);
  case OpKind::Pow:
    return callLibm(ec, b, "powf", "pow", t, {x, y});
  case OpKind::Maximum:
    return emitMinMax(ec, b, true, t, x, y);
  case OpKind::Minimum:
    return emitMinMax(ec, b, false, t, x, y);
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
    return emitCompare(b, op, t, x, y);
  case OpKind::LogicalAnd:
    return b.CreateAnd(x, y);
  case OpKind::LogicalOr:
    return b.CreateOr(x, y);
  case OpKind::Select:
    return b.CreateSelect(args[0], args[1], args[2]);
  case OpKind::Cast:
    return emitCast(ec, b, x, t, attrs.getDType("to"));
  case OpKind::StopGradient:
    return x;

  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::Argmax:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::BroadcastTo:
  case OpKind::Slice:
  case OpKind::Concat:
  case OpKind::Pad:
  case OpKind::Gather:
  case OpKind::OneHot:
  case OpKind::MatMul:
  case OpKind::Conv2D:
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
  case OpKind::ScatterAdd:
  case OpKind::Scan:
  case OpKind::Dropout:
  case OpKind::Attention:
    break;
  }
  assert(false && "emitScalarOp called for a non-elementwise op");
  return nullptr;
}

} // namespace adjoint::codegen
