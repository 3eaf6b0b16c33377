//===- ScalarEmitter.h - One element of an elementwise op in LLVM IR ------===//
#pragma once

#include "ir/DType.h"
#include "ir/OpTable.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/IR/IRBuilder.h>

namespace adjoint::codegen {

struct EmitContext;

/// Emits `op` (an elementwise op) on scalar operands whose values have the
/// dtype of their IR operands (`operandTypes`; bool values are i1) and
/// returns the result value of dtype `resultType`. Semantics follow
/// docs/ops.md exactly; transcendental functions call the inline math
/// library (adjoint_math_*), which the vectorizer sees through.
llvm::Value *emitScalarOp(EmitContext &ec, llvm::IRBuilder<> &b, OpKind op,
                          llvm::ArrayRef<DType> operandTypes, DType resultType,
                          const AttrReader &attrs,
                          llvm::ArrayRef<llvm::Value *> args);

/// Converts a value of dtype `from` to dtype `to` as `cast` does.
llvm::Value *emitCast(EmitContext &ec, llvm::IRBuilder<> &b, llvm::Value *v,
                      DType from, DType to);

/// Loads the element at `offset` of a buffer of dtype `t` (bool -> i1).
llvm::Value *emitLoad(EmitContext &ec, llvm::IRBuilder<> &b, DType t,
                      llvm::Value *base, llvm::Value *offset);
/// Stores `v` (bool as i1) at element `offset` of a buffer of dtype `t`.
void emitStore(EmitContext &ec, llvm::IRBuilder<> &b, DType t, llvm::Value *v,
               llvm::Value *base, llvm::Value *offset);

/// A constant of dtype `t` with value `v` (converted as by cast).
llvm::Value *emitConstant(EmitContext &ec, DType t, double v);

} // namespace adjoint::codegen
