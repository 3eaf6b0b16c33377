//===- KernelEmitter.h - One node of a graph as LLVM kernels --------------===//
#pragma once

#include "compiler/codegen/EmitContext.h"
#include "compiler/codegen/LoopNest.h"
#include "compiler/passes/FusionPlan.h"
#include "ir/ShapeInference.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace adjoint::codegen {

/// How the entry function calls one kernel.
struct KernelCall {
  llvm::Function *fn = nullptr; ///< void(i64 begin, i64 end, ptr slots)
  int64_t rows = 1;             ///< trip count of the outermost loop
  int64_t workPerRow = 1;       ///< elements touched per row, for splitting
  bool serial = false;          ///< must run as one call (it calls a
                                ///< parallel runtime kernel itself)
  bool checksStatus = false;    ///< may report an error in the status block
};

/// Emits the kernels of one node; most nodes need one, pad and concat need
/// several, constants none.
std::vector<KernelCall> emitNodeKernels(EmitContext &ec, const Node &node,
                                        int nodeIndex);

// Building blocks shared by the kernel families.

/// A kernel under construction: the outer function (begin, end, slots) and
/// an always-inlined body function whose buffer pointers are noalias, so
/// that loops vectorize without run-time alias checks.
struct KernelBuilder {
  EmitContext &ec;
  llvm::Function *outer;
  llvm::Function *body;
  llvm::IRBuilder<> b;
  llvm::Value *begin, *end;
  std::vector<llvm::Value *> buffers; ///< body arguments, in `values` order
  llvm::Value *status = nullptr;      ///< int64_t[2] status block, if asked
  /// Columns [colBegin, colEnd) of a tile kernel, else null.
  llvm::Value *colBegin = nullptr, *colEnd = nullptr;
  /// The slots pointer the outer function received, if asked: the context
  /// a runtime kernel passes back to a tile kernel.
  llvm::Value *slots = nullptr;

  /// The form of the outer function.
  enum class Form {
    Rows,      ///< void(i64 begin, i64 end, ptr slots): EmitContext::kernelType
    RowsSlots, ///< the same, the slots pointer also given to the body
    Tile,      ///< void(i64 r0, i64 r1, i64 c0, i64 c1, ptr slots): the
               ///< runtime's adjoint_rt_tile_fn, called on a tile of a
               ///< GEMM or an image of a convolution
    TileProduct ///< void(i64 r0, i64 r1, i64 c0, i64 c1, ptr tile, ptr
                ///< slots): adjoint_rt_product_fn, the buffer of the value
                ///< `tileValue` being the runtime's tile, not a slot
  };

  /// The kernel writes the first of `values` (a fused kernel its first
  /// few) and reads the rest. Constants resolve to
  /// their global data.
  KernelBuilder(EmitContext &ec, const std::string &name,
                std::vector<const Value *> values, bool wantStatus = false,
                Form form = Form::Rows, const Value *tileValue = nullptr);
  /// Closes the body and returns the call description.
  KernelCall finish(int64_t rows, int64_t workPerRow);
  /// An i64 (or other) stack slot in the body's entry block.
  llvm::AllocaInst *stackSlot(llvm::Type *t, const llvm::Twine &name = "");
};

/// True when every window of a pool lies inside the H x W image (no
/// padding read): pooling then needs no bounds tests.
bool windowsInside(const Window2D &win, int64_t H, int64_t W);

/// Windows per vector of the pooling kernels that work a row of windows at
/// a time (emitPoolRows, disjointPoolGradRows): a 512-bit vector of the
/// element type (split by the backend where vectors are 256-bit), or for
/// rows shorter than that, the power of two that holds the row, so that a
/// row of 7 windows is one vector of 8 rather than most of one of 16.
/// A constant <width x i1> mask, true in the lanes `keep` accepts.
llvm::Constant *laneMask(llvm::IRBuilder<> &b, int64_t width,
                         llvm::function_ref<bool(int64_t)> keep);

/// Calls chunk(first, count, last) over a row of `length` elements cut into
/// chunks of `lanes`: a loop over the whole chunks before the last, then
/// the last chunk (1 to lanes elements, `last` true) on its own, for the
/// caller to mask.
void emitRowChunks(
    llvm::IRBuilder<> &b, int64_t length, int64_t lanes,
    llvm::function_ref<void(llvm::Value *first, int64_t count, bool last)>
        chunk);

inline int64_t poolRowLanes(DType t, int64_t outW) {
  int64_t lanes = t == DType::F64 ? 8 : 16;
  while (lanes > 4 && lanes / 2 >= outW)
    lanes /= 2;
  return lanes;
}
/// Pools with at most this many taps per window unroll them.
inline constexpr int64_t kMaxUnrolledTaps = 16;
/// A pool's gradient vectorizes its rows of windows when they are at least
/// this long.
inline constexpr int64_t kMinVectorRow = 8;

/// The runtime's GEMM for dtype `t` (adjoint_rt_gemm_f32/f64), declared in
/// the module.
llvm::FunctionCallee declareRuntimeGemm(EmitContext &ec, DType t);
/// adjoint_rt_gemm_ex_f32/f64 (accumulate and a per-tile epilogue),
/// declared in the module.
llvm::FunctionCallee declareRuntimeGemmEx(EmitContext &ec, DType t);
/// adjoint_rt_gemm_tiles_f32/f64 (a product handed over tile by tile),
/// declared in the module.
llvm::FunctionCallee declareRuntimeGemmTiles(EmitContext &ec, DType t);
/// adjoint_rt_gemm_fixed_b_f32/f64 (adjoint_rt_gemm_ex_* reading a B that
/// never changes packed once), declared in the module.
llvm::FunctionCallee declareRuntimeGemmFixedB(EmitContext &ec, DType t);

/// Where a product reads its B packed once, for the runtime's
/// adjoint_rt_gemm_fixed_b_*.
struct FixedB {
  llvm::GlobalVariable *buffer; ///< header, then `capacity` elements, zeroed
  int64_t capacity;
};

/// A buffer for the packed B of one GEMM (m x k by k x n) whose B is the
/// parameter `b` of a module with fixed parameters, when it has enough rows
/// to gain from it; nullopt otherwise. `name` names the global.
std::optional<FixedB> fixedWeights(EmitContext &ec, const Value *b, int64_t m,
                                   int64_t k, int64_t n, DType t,
                                   const std::string &name);

/// adjoint_rt_conv2d_ex_f32/f64 (a per-image epilogue), declared in the
/// module.
llvm::FunctionCallee declareRuntimeConvEx(EmitContext &ec, DType t);
/// The runtime's kernel for `op` (conv2d, conv2d_input_grad or
/// conv2d_weight_grad) in dtype `t`, declared in the module.
llvm::FunctionCallee declareRuntimeConv(EmitContext &ec, OpKind op, DType t);

/// An index checked against an extent: `wrapped` is i, or i + extent for a
/// negative i (unless `wrapNegative` is false, as for one_hot, whose indices
/// are classes); `bad` is true when `wrapped` is outside [0, extent), in which
/// case the node (`nodeIndex`) and i are recorded in the kernel's status
/// block for the entry function to report.
struct CheckedIndex {
  llvm::Value *wrapped, *bad;
};
CheckedIndex emitIndexCheck(KernelBuilder &k, llvm::Value *i, int64_t extent,
                            int nodeIndex, bool wrapNegative = true);

/// A float sum whose order depends only on the extents it sums over, not
/// on whether they are known when the code is compiled, so that a model
/// compiled for every batch sums over the batch as its static compile does
/// (compiler/codegen/LiftBatch.h). Covers the kept points [k.begin, k.end)
/// of `keptDims` (accesses `outer`: the output, then each leaf), summing in
/// dtype `t` over `redDims` (accesses `inner`, one per leaf); `term`
/// computes a term from the element offset of each leaf, and `finish`, if
/// given, maps the sum before it is stored (a mean's division).
void emitLaneSums(
    EmitContext &ec, KernelBuilder &k, DType t,
    const std::vector<int64_t> &keptDims, const std::vector<Access> &outer,
    const std::vector<int64_t> &redDims, const std::vector<Access> &inner,
    llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &,
                                     llvm::ArrayRef<llvm::Value *>)>
        term,
    llvm::function_ref<llvm::Value *(llvm::IRBuilder<> &, llvm::Value *)>
        finish = nullptr);

/// Emits `if (cond) then()` at the insertion point.
void emitIf(llvm::IRBuilder<> &b, llvm::Value *cond,
            llvm::function_ref<void()> then);

/// Where a GEMM reads operand `o` from, given its value's buffer: past an
/// absorbed slice's offset.
inline llvm::Value *operandStart(EmitContext &ec, llvm::IRBuilder<> &b, DType t,
                                 llvm::Value *buffer, const MatMulOperand &o) {
  return o.offset ? b.CreateInBoundsGEP(ec.storageType(t), buffer,
                                        b.getInt64(o.offset))
                  : buffer;
}

/// The row stride a GEMM reads operand `o` with: an absorbed slice's, or
/// `dense`, the stored matrix's width.
inline int64_t operandRowStride(const MatMulOperand &o, int64_t dense) {
  return o.rowStride ? o.rowStride : dense;
}

/// A matmul whose operands are read as `a` and `b` (a transposed operand
/// is the stored value of the transpose it absorbed, read with the GEMM's
/// trans flag; a reshape's or slice's, where the bytes lie).
std::vector<KernelCall> emitMatMul(EmitContext &ec, const Node &node, int idx,
                                   const MatMulOperand &a,
                                   const MatMulOperand &b);
/// conv2d, conv2d_input_grad and conv2d_weight_grad.
std::vector<KernelCall> emitConv2D(EmitContext &ec, const Node &node, int idx);
/// attention: one call of the runtime's blocked kernel (runtime/Attention.cpp).
KernelCall emitAttention(EmitContext &ec, const Node &node, int idx);
std::vector<KernelCall> emitPool2D(EmitContext &ec, const Node &node, int idx);
/// max_pool2d_grad and avg_pool2d_grad (GradKernels.cpp).
std::vector<KernelCall> emitPool2DGrad(EmitContext &ec, const Node &node,
                                       int idx);
std::vector<KernelCall> emitScatterAdd(EmitContext &ec, const Node &node,
                                       int idx);

} // namespace adjoint::codegen
