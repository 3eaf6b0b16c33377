//===- WindowKernels.cpp - matmul, conv2d and pooling kernels -------------===//
//
// Float matmul, conv2d and conv2d's gradients call the runtime's GEMM-based
// kernels (which split their work across threads themselves); integer
// matmul and pooling are loop nests.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/KernelEmitter.h"

#include "compiler/codegen/ScalarEmitter.h"
#include "ir/ShapeInference.h"
#include "runtime/Gemm.h"
#include "runtime/Runtime.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace adjoint::codegen {

namespace {

/// A GEMM with fewer multiply-adds than this runs on one thread (the
/// runtime's GEMM does not split it: runtime/Gemm.cpp's MinTileWork).
constexpr int64_t kSerialGemmWork = int64_t(1) << 20;

std::string kernelName(const Node &node, int idx) {
  return "k" + std::to_string(idx) + "." + std::string(opName(node.op()));
}

/// The offset (in elements) of batch entry `i` of operand `o`, whose batch
/// shape `operandBatch` broadcasts to `batch`, for matrices of
/// `matrixSize` stored one after the other, or where the modes of a
/// strided operand put them. Computed, not tabulated: the leading batch
/// extent may be the model's batch, which a graph compiled for every batch
/// knows at run time only (compiler/codegen/LiftBatch.h). It is never a
/// divisor here; a strided operand's mode of the model's batch may be,
/// which lifting turns into the batch read at run time like any constant
/// that is affine in it.
llvm::Value *batchOffset(llvm::IRBuilder<> &b, llvm::Value *i,
                         const Shape &batch, const Shape &operandBatch,
                         const MatMulOperand &o, int64_t matrixSize) {
  std::vector<int64_t> strides = broadcastStrides(operandBatch, batch);
  // A strided operand's batch axis d - skipped under product axis d (its
  // own batch axes, fewer than the product's when it broadcasts, are
  // right-aligned), when it is not broadcast.
  size_t skipped = o.stridedBatch ? batch.size() - o.batchModes.size() : 0;
  llvm::Value *rest = i, *offset = b.getInt64(0);
  for (size_t d = batch.size(); d-- > 0;) {
    llvm::Value *digit =
        d == 0 ? rest : b.CreateURem(rest, b.getInt64(batch[d]));
    if (strides[d] != 0 && !o.stridedBatch) {
      offset = b.CreateAdd(offset, b.CreateMul(digit, b.getInt64(strides[d])));
    } else if (strides[d] != 0) {
      // The digit in the mixed radix of the axis' modes, outermost first.
      const std::vector<Mode> &modes = o.batchModes[d - skipped];
      int64_t inner = 1;
      for (size_t m = modes.size(); m-- > 0;) {
        llvm::Value *index =
            inner == 1 ? digit : b.CreateUDiv(digit, b.getInt64(inner));
        if (m > 0)
          index = b.CreateURem(index, b.getInt64(modes[m].extent));
        offset = b.CreateAdd(offset,
                             b.CreateMul(index, b.getInt64(modes[m].stride)));
        inner *= modes[m].extent;
      }
    }
    if (d > 0)
      rest = b.CreateUDiv(rest, b.getInt64(batch[d]));
  }
  return o.stridedBatch ? offset : b.CreateMul(offset, b.getInt64(matrixSize));
}

} // namespace

llvm::FunctionCallee declareRuntimeGemm(EmitContext &ec, DType t) {
  return ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_gemm_f32" : "adjoint_rt_gemm_f64",
      llvm::FunctionType::get(ec.voidTy(),
                              {ec.i64(), ec.i64(), ec.i64(), ec.ptr(), ec.i64(),
                               ec.i32(), ec.ptr(), ec.i64(), ec.i32(), ec.ptr(),
                               ec.i64()},
                              false));
}

llvm::FunctionCallee declareRuntimeGemmEx(EmitContext &ec, DType t) {
  return ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_gemm_ex_f32" : "adjoint_rt_gemm_ex_f64",
      llvm::FunctionType::get(ec.voidTy(),
                              {ec.i64(), ec.i64(), ec.i64(), ec.ptr(), ec.i64(),
                               ec.i32(), ec.ptr(), ec.i64(), ec.i32(), ec.ptr(),
                               ec.i64(), ec.i32(), ec.ptr(), ec.ptr()},
                              false));
}

llvm::FunctionCallee declareRuntimeGemmTiles(EmitContext &ec, DType t) {
  return ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_gemm_tiles_f32"
                      : "adjoint_rt_gemm_tiles_f64",
      llvm::FunctionType::get(ec.voidTy(),
                              {ec.i64(), ec.i64(), ec.i64(), ec.ptr(), ec.i64(),
                               ec.i32(), ec.ptr(), ec.i64(), ec.i32(), ec.ptr(),
                               ec.ptr()},
                              false));
}

llvm::FunctionCallee declareRuntimeGemmFixedB(EmitContext &ec, DType t) {
  return ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_gemm_fixed_b_f32"
                      : "adjoint_rt_gemm_fixed_b_f64",
      llvm::FunctionType::get(ec.voidTy(),
                              {ec.i64(), ec.i64(), ec.i64(), ec.ptr(), ec.i64(),
                               ec.i32(), ec.ptr(), ec.i64(), ec.i32(), ec.ptr(),
                               ec.i64(), ec.i32(), ec.ptr(), ec.ptr(), ec.ptr(),
                               ec.i64()},
                              false));
}

std::optional<FixedB> fixedWeights(EmitContext &ec, const Value *b, int64_t m,
                                   int64_t k, int64_t n, DType t,
                                   const std::string &name) {
  if (!ec.packWeights || !isFloat(t) || m <= rt::kDotRows || k <= 0 || n <= 0)
    return std::nullopt;
  bool isParam = false;
  for (const Param &p : ec.graph.params())
    isParam |= p.value == b && p.data.hasStorage();
  if (!isParam)
    return std::nullopt;
  // Room for the panels of any kernel set: ahead-of-time code runs the
  // set of the CPU it runs on.
  int64_t capacity = t == DType::F32 ? adjoint_rt_packed_b_elements_f32(k, n)
                                     : adjoint_rt_packed_b_elements_f64(k, n);
  llvm::Type *st = ec.storageType(t);
  int64_t header = ADJOINT_RT_FIXED_B_HEADER /
                   (int64_t)(t == DType::F32 ? sizeof(float) : sizeof(double));
  auto *type = llvm::ArrayType::get(st, (uint64_t)(header + capacity));
  auto *global = new llvm::GlobalVariable(
      ec.module, type, false, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantAggregateZero::get(type), ec.prefix + name + ".packed_b");
  global->setAlignment(llvm::Align(64));
  return FixedB{global, capacity};
}

llvm::FunctionCallee declareRuntimeConvEx(EmitContext &ec, DType t) {
  // (x, w, y, 18 sizes, epilogue, ctx), as runtime/Runtime.h.
  std::vector<llvm::Type *> params = {ec.ptr(), ec.ptr(), ec.ptr()};
  params.insert(params.end(), 18, ec.i64());
  params.push_back(ec.ptr());
  params.push_back(ec.ptr());
  return ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_conv2d_ex_f32" : "adjoint_rt_conv2d_ex_f64",
      llvm::FunctionType::get(ec.voidTy(), params, false));
}

llvm::FunctionCallee declareRuntimeConv(EmitContext &ec, OpKind op, DType t) {
  std::string name =
      op == OpKind::Conv2DInputGrad    ? "adjoint_rt_conv2d_input_grad"
      : op == OpKind::Conv2DWeightGrad ? "adjoint_rt_conv2d_weight_grad"
                                       : "adjoint_rt_conv2d";
  name += t == DType::F32 ? "_f32" : "_f64";
  // (x or dy, w or dy, y or dx or dw, then 18 sizes), as runtime/Runtime.h.
  std::vector<llvm::Type *> params = {ec.ptr(), ec.ptr(), ec.ptr()};
  params.insert(params.end(), 18, ec.i64());
  return ec.module.getOrInsertFunction(
      name, llvm::FunctionType::get(ec.voidTy(), params, false));
}

std::vector<KernelCall> emitMatMul(EmitContext &ec, const Node &node, int idx,
                                   const MatMulOperand &va,
                                   const MatMulOperand &vb) {
  // The sizes are the logical operands'; a transposed operand is stored
  // with its last two axes swapped, with the same batch offsets.
  const Value *a = va.value, *bv = vb.value, *c = node.result();
  MatMulDims d =
      matmulDims(node.operand(0)->type().shape, node.operand(1)->type().shape);
  int64_t lda = operandRowStride(va, va.transposed ? d.m : d.k),
          ldb = operandRowStride(vb, vb.transposed ? d.k : d.n);
  DType t = c->type().dtype;
  // Only float products read views other than whole matrices
  // (readThroughViews).
  assert((!va.offset && !va.rowStride && !va.stridedBatch && !vb.offset &&
          !vb.rowStride && !vb.stridedBatch) ||
         isFloat(t));
  int64_t batch = 1;
  for (int64_t x : d.batch)
    batch *= x;

  // A matrix b shared by every batch entry of a stored as it is (a dense
  // layer over a sequence): the entries are the rows of one GEMM, each
  // element the same sum over k as entry by entry.
  bool shared = true;
  for (int64_t x : d.batchB)
    shared &= x == 1;
  std::optional<int64_t> ldRows = rowStrideAcrossBatch(va, d.m, d.k);
  // One GEMM: the whole product, or every entry's rows over one b. Its B
  // is packed once when it is a fixed weight.
  bool oneGemm = isFloat(t) && (batch == 1 || (shared && ldRows));
  if (oneGemm) {
    int64_t rows = batch * d.m;
    int64_t rowStride = batch == 1 ? lda : *ldRows;
    std::string name = kernelName(node, idx);
    std::optional<FixedB> fixed = fixedWeights(ec, bv, rows, d.k, d.n, t, name);
    KernelBuilder k(ec, name, {c, a, bv});
    llvm::IRBuilder<> &b = k.b;
    std::vector<llvm::Value *> args = {b.getInt64(rows),
                                       b.getInt64(d.n),
                                       b.getInt64(d.k),
                                       operandStart(ec, b, t, k.buffers[1], va),
                                       b.getInt64(rowStride),
                                       b.getInt32(batch == 1 && va.transposed),
                                       operandStart(ec, b, t, k.buffers[2], vb),
                                       b.getInt64(ldb),
                                       b.getInt32(vb.transposed),
                                       k.buffers[0],
                                       b.getInt64(d.n)};
    if (fixed) {
      llvm::Value *null =
          llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ec.ctx));
      args.insert(args.end(), {b.getInt32(0), null, null, fixed->buffer,
                               b.getInt64(fixed->capacity)});
      b.CreateCall(declareRuntimeGemmFixedB(ec, t), args);
    } else {
      b.CreateCall(declareRuntimeGemm(ec, t), args);
    }
    KernelCall call = k.finish(1, 1);
    call.serial = true;
    return {call};
  }
  if (isFloat(t)) {
    // One runtime GEMM per batch entry. Entries too small for a GEMM to
    // split between threads (attention's per-head products) are the rows
    // of a parallel kernel, each computed by one thread (a GEMM called
    // from a pool task runs on that thread); larger ones run in turn,
    // each GEMM parallel itself.
    bool perEntry = batch > 1 && d.m * d.n * d.k < kSerialGemmWork;
    KernelBuilder k(ec, kernelName(node, idx), {c, a, bv});
    llvm::IRBuilder<> &b = k.b;
    llvm::Type *st = ec.storageType(t);
    llvm::FunctionCallee gemm = declareRuntimeGemm(ec, t);
    llvm::Value *first = perEntry ? k.begin : b.getInt64(0);
    llvm::Value *last = perEntry ? k.end : b.getInt64(batch);
    emitLoop(b, first, last, [&](llvm::Value *i) {
      llvm::Value *pa = b.CreateInBoundsGEP(
          st, operandStart(ec, b, t, k.buffers[1], va),
          batchOffset(b, i, d.batch, d.batchA, va, d.m * d.k));
      llvm::Value *pb = b.CreateInBoundsGEP(
          st, operandStart(ec, b, t, k.buffers[2], vb),
          batchOffset(b, i, d.batch, d.batchB, vb, d.k * d.n));
      llvm::Value *pc = b.CreateInBoundsGEP(
          st, k.buffers[0], b.CreateMul(i, b.getInt64(d.m * d.n)));
      b.CreateCall(gemm, {b.getInt64(d.m), b.getInt64(d.n), b.getInt64(d.k), pa,
                          b.getInt64(lda), b.getInt32(va.transposed), pb,
                          b.getInt64(ldb), b.getInt32(vb.transposed), pc,
                          b.getInt64(d.n)});
    });
    if (perEntry)
      return {k.finish(batch, d.m * d.n * d.k)};
    KernelCall call = k.finish(1, 1);
    call.serial = true;
    return {call};
  }

  // Integers: a loop nest over (batch, m, n) with an inner loop over k.
  // Element (i, j) of the stored A is at i * sA[0] + j * sA[1].
  int64_t sA[2] = {va.transposed ? 1 : d.k, va.transposed ? d.m : 1};
  int64_t sB[2] = {vb.transposed ? 1 : d.n, vb.transposed ? d.k : 1};
  KernelBuilder k(ec, kernelName(node, idx), {c, a, bv});
  llvm::IRBuilder<> &b = k.b;
  llvm::AllocaInst *acc = k.stackSlot(ec.valueType(t), "acc");
  // Rows are (batch entry, row of A) pairs.
  emitLoop(b, k.begin, k.end, [&](llvm::Value *row) {
    llvm::Value *bi = b.CreateSDiv(row, b.getInt64(d.m));
    llvm::Value *mi = b.CreateSRem(row, b.getInt64(d.m));
    llvm::Value *aRow =
        b.CreateAdd(batchOffset(b, bi, d.batch, d.batchA, va, d.m * d.k),
                    b.CreateMul(mi, b.getInt64(sA[0])));
    llvm::Value *bBase = batchOffset(b, bi, d.batch, d.batchB, vb, d.k * d.n);
    emitLoop(b, b.getInt64(0), b.getInt64(d.n), [&](llvm::Value *j) {
      b.CreateStore(emitConstant(ec, t, 0), acc);
      emitLoop(b, b.getInt64(0), b.getInt64(d.k), [&](llvm::Value *kk) {
        llvm::Value *x =
            emitLoad(ec, b, t, k.buffers[1],
                     b.CreateAdd(aRow, b.CreateMul(kk, b.getInt64(sA[1]))));
        llvm::Value *y = emitLoad(
            ec, b, t, k.buffers[2],
            b.CreateAdd(bBase, b.CreateAdd(b.CreateMul(kk, b.getInt64(sB[0])),
                                           b.CreateMul(j, b.getInt64(sB[1])))));
        b.CreateStore(
            b.CreateAdd(b.CreateLoad(ec.valueType(t), acc), b.CreateMul(x, y)),
            acc);
      });
      llvm::Value *off = b.CreateAdd(b.CreateMul(row, b.getInt64(d.n)), j);
      emitStore(ec, b, t, b.CreateLoad(ec.valueType(t), acc), k.buffers[0],
                off);
    });
  });
  return {k.finish(batch * d.m, d.n * d.k)};
}

KernelCall emitAttention(EmitContext &ec, const Node &node, int idx) {
  // One call of the runtime's blocked attention over every batch entry; it
  // splits its blocks of queries between threads itself.
  const Shape &qs = node.operand(0)->type().shape;
  const Shape &ks = node.operand(1)->type().shape;
  const Value *out = node.result();
  size_t rank = qs.size();
  int64_t entries = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    entries *= qs[d];
  DType t = out->type().dtype;
  std::vector<llvm::Type *> params(5, ec.i64());
  params.insert(params.end(), 4, ec.ptr());
  params.push_back(llvm::Type::getDoubleTy(ec.ctx));
  params.push_back(ec.i32());
  llvm::FunctionCallee fn = ec.module.getOrInsertFunction(
      t == DType::F32 ? "adjoint_rt_attention_f32" : "adjoint_rt_attention_f64",
      llvm::FunctionType::get(ec.voidTy(), params, false));
  KernelBuilder k(ec, kernelName(node, idx),
                  {out, node.operand(0), node.operand(1), node.operand(2)});
  llvm::IRBuilder<> &b = k.b;
  AttrReader r = node.attr();
  b.CreateCall(fn, {b.getInt64(entries), b.getInt64(qs[rank - 2]),
                    b.getInt64(ks[rank - 2]), b.getInt64(qs[rank - 1]),
                    b.getInt64(out->type().shape.back()), k.buffers[1],
                    k.buffers[2], k.buffers[3], k.buffers[0],
                    llvm::ConstantFP::get(llvm::Type::getDoubleTy(ec.ctx),
                                          r.getFloat("scale")),
                    b.getInt32(r.getBool("causal"))});
  KernelCall call = k.finish(1, 1);
  call.serial = true;
  return call;
}

std::vector<KernelCall> emitConv2D(EmitContext &ec, const Node &node, int idx) {
  // conv2d(x, w) -> y, conv2d_input_grad(dy, w) -> dx and
  // conv2d_weight_grad(x, dy) -> dw all take conv2d's sizes: those of x and
  // w, whichever are operands and which the result.
  const Value *a = node.operand(0), *bv = node.operand(1), *out = node.result();
  Shape xs = a->type().shape, ws = bv->type().shape;
  if (node.op() == OpKind::Conv2DInputGrad)
    xs = out->type().shape;
  else if (node.op() == OpKind::Conv2DWeightGrad)
    ws = out->type().shape;
  Window2D win = convWindow(node.attr(), xs, ws);
  DType t = out->type().dtype;
  KernelBuilder k(ec, kernelName(node, idx), {out, a, bv});
  llvm::IRBuilder<> &b = k.b;
  llvm::FunctionCallee conv = declareRuntimeConv(ec, node.op(), t);
  std::vector<llvm::Value *> args = {k.buffers[1], k.buffers[2], k.buffers[0]};
  for (int64_t v : {xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                    win.strideH, win.strideW, win.padTop, win.padLeft,
                    win.padBottom, win.padRight, win.dilationH, win.dilationW,
                    node.attr().getInt("groups"), win.outH, win.outW})
    args.push_back(b.getInt64(v));
  b.CreateCall(conv, args);
  KernelCall call = k.finish(1, 1);
  call.serial = true;
  return {call};
}

bool windowsInside(const Window2D &win, int64_t H, int64_t W) {
  return win.padTop == 0 && win.padLeft == 0 && win.dilationH == 1 &&
         win.dilationW == 1 && win.outH > 0 && win.outW > 0 &&
         (win.outH - 1) * win.strideH + win.kernelH <= H &&
         (win.outW - 1) * win.strideW + win.kernelW <= W;
}

llvm::Constant *laneMask(llvm::IRBuilder<> &b, int64_t width,
                         llvm::function_ref<bool(int64_t)> keep) {
  std::vector<llvm::Constant *> bits;
  for (int64_t l = 0; l < width; ++l)
    bits.push_back(b.getInt1(keep(l)));
  return llvm::ConstantVector::get(bits);
}

void emitRowChunks(
    llvm::IRBuilder<> &b, int64_t length, int64_t lanes,
    llvm::function_ref<void(llvm::Value *first, int64_t count, bool last)>
        chunk) {
  int64_t full = (length - 1) / lanes;
  if (full > 0)
    emitLoop(b, b.getInt64(0), b.getInt64(full), [&](llvm::Value *c) {
      chunk(b.CreateMul(c, b.getInt64(lanes)), lanes, false);
    });
  chunk(b.getInt64(full * lanes), length - full * lanes, true);
}

/// Whether emitPoolRows takes pool `win` over an image of H x W: float
/// windows inside the image with a stride along W of at most 4 (the usual
/// 2x2 pool of stride 2, a 3x3 one of stride 2), rows of 2 outputs or more.
bool poolRowsFit(const Window2D &win, DType t, int64_t H, int64_t W) {
  return isFloat(t) && windowsInside(win, H, W) && win.strideW <= 4 &&
         win.outW >= 2 && win.kernelH * win.kernelW <= kMaxUnrolledTaps;
}

/// A pool (poolRowsFit) as explicit vectors along each output row: the row
/// is cut into chunks of poolRowLanes outputs; for each window row, the
/// chunk's input (strideW elements per output, and the last window's
/// overhang when windows overlap) is loaded once and each tap's elements
/// picked out of it by a shuffle, where the loop vectorizer would gather
/// every tap at a stride. The last chunk of a row is masked.
/// The same operations in the same order as the scalar kernels, so the
/// same results, NaNs and signed zeros included.
void emitPoolRows(EmitContext &ec, KernelBuilder &k, const Node &node,
                  const Window2D &win, bool isMax, int64_t H, int64_t W) {
  DType t = node.result()->type().dtype;
  llvm::Type *et = ec.valueType(t);
  int64_t lanes = poolRowLanes(t, win.outW), s = win.strideW;
  int64_t outW = win.outW;
  llvm::Align align(dtypeSize(t));
  // From the chunk's first window to its last window's last tap.
  int64_t segLen = s * (lanes - 1) + std::max(win.kernelW, s);
  auto *segType = llvm::FixedVectorType::get(et, unsigned(segLen));
  auto mask = [&](int64_t count, int64_t width) {
    return laneMask(k.b, width, [&](int64_t l) { return l < count; });
  };
  std::vector<int64_t> dims = {node.result()->type().shape[0] *
                                   node.result()->type().shape[1],
                               win.outH};
  std::vector<Access> accesses = {{{win.outH * outW, outW}, 0},
                                  {{H * W, win.strideH * W}, 0}};
  emitNest(
      k.b, k.begin, k.end, dims, accesses,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        // Outputs [ow0, ow0 + count) of the row; `last` masks the loads
        // to the elements the windows read and the store to the outputs.
        auto chunk = [&](llvm::Value *ow0, int64_t count, bool last) {
          llvm::Value *acc = b.CreateVectorSplat(
              unsigned(lanes), emitConstant(ec, t, isMax ? -INFINITY : 0.0));
          for (int64_t i = 0; i < win.kernelH; ++i) {
            llvm::Value *at =
                b.CreateAdd(b.CreateAdd(offsets[1], b.getInt64(i * W)),
                            b.CreateMul(ow0, b.getInt64(s)));
            llvm::Value *p = b.CreateInBoundsGEP(et, k.buffers[1], at);
            llvm::Value *seg =
                last ? (llvm::Value *)b.CreateMaskedLoad(
                           segType, p, align,
                           mask((count - 1) * s + win.kernelW, segLen),
                           llvm::Constant::getNullValue(segType))
                     : b.CreateAlignedLoad(segType, p, align);
            for (int64_t j = 0; j < win.kernelW; ++j) {
              std::vector<int> pick;
              for (int64_t l = 0; l < lanes; ++l)
                pick.push_back(int(j + s * l));
              llvm::Value *tap = b.CreateShuffleVector(seg, pick);
              acc = isMax ? emitScalarOp(ec, b, OpKind::Maximum, {t, t}, t,
                                         node.attr(), {acc, tap})
                          : b.CreateFAdd(acc, tap);
            }
          }
          if (!isMax)
            acc = b.CreateFDiv(
                acc,
                b.CreateVectorSplat(
                    unsigned(lanes),
                    emitConstant(ec, t, (double)win.kernelH * win.kernelW)));
          llvm::Value *out = b.CreateInBoundsGEP(et, k.buffers[0],
                                                 b.CreateAdd(offsets[0], ow0));
          if (last)
            b.CreateMaskedStore(acc, out, align, mask(count, lanes));
          else
            b.CreateAlignedStore(acc, out, align);
        };
        emitRowChunks(b, outW, lanes, chunk);
      });
}

std::vector<KernelCall> emitPool2D(EmitContext &ec, const Node &node, int idx) {
  const Value *x = node.operand(0), *y = node.result();
  const Shape &xs = x->type().shape;
  Window2D win = poolWindow(node.attr(), xs);
  bool isMax = node.op() == OpKind::MaxPool2D;
  bool countPad = !isMax && node.attr().getBool("count_include_pad");
  DType t = y->type().dtype;
  int64_t H = xs[2], W = xs[3];
  std::vector<int64_t> dims = {xs[0] * xs[1], win.outH, win.outW};
  std::vector<Access> accesses = {{{win.outH * win.outW, win.outW, 1}, 0},
                                  {{H * W, 0, 0}, 0}};

  KernelBuilder k(ec, kernelName(node, idx), {y, x});
  double identity = isMax ? (isFloat(t) ? -INFINITY : -1e300) : 0.0;
  if (poolRowsFit(win, t, H, W)) {
    emitPoolRows(ec, k, node, win, isMax, H, W);
    return {k.finish(dims[0], win.outH * win.outW * win.kernelH * win.kernelW)};
  }
  if (windowsInside(win, H, W) &&
      win.kernelH * win.kernelW <= kMaxUnrolledTaps) {
    // Every window inside the image (the usual 2x2 pool): no bounds to
    // test, the taps unrolled, and the loop over output columns reads the
    // input with a constant stride, which vectorizes.
    std::vector<Access> inside = {accesses[0],
                                  {{H * W, win.strideH * W, win.strideW}, 0}};
    emitNest(k.b, k.begin, k.end, dims, inside,
             [&](llvm::ArrayRef<llvm::Value *> offsets,
                 llvm::ArrayRef<llvm::Value *>) {
               llvm::IRBuilder<> &b = k.b;
               llvm::Value *a = emitConstant(ec, t, identity);
               for (int64_t i = 0; i < win.kernelH; ++i)
                 for (int64_t j = 0; j < win.kernelW; ++j) {
                   llvm::Value *v = emitLoad(
                       ec, b, t, k.buffers[1],
                       b.CreateAdd(offsets[1], b.getInt64(i * W + j), "",
                                   /*HasNUW=*/true, /*HasNSW=*/true));
                   a = isMax ? emitScalarOp(ec, b, OpKind::Maximum, {t, t}, t,
                                            node.attr(), {a, v})
                             : b.CreateFAdd(a, v);
                 }
               if (!isMax)
                 a = b.CreateFDiv(
                     a, emitConstant(ec, t, (double)win.kernelH * win.kernelW));
               emitStore(ec, b, t, a, k.buffers[0], offsets[0]);
             });
    return {k.finish(dims[0], win.outH * win.outW * win.kernelH * win.kernelW)};
  }
  llvm::AllocaInst *acc = k.stackSlot(ec.valueType(t), "acc");
  llvm::AllocaInst *count = k.stackSlot(ec.i64(), "count");
  emitNest(
      k.b, k.begin, k.end, dims, accesses,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *> ivs) {
        llvm::IRBuilder<> &b = k.b;
        b.CreateStore(emitConstant(ec, t, identity), acc);
        b.CreateStore(b.getInt64(0), count);
        llvm::Value *y0 =
            b.CreateSub(b.CreateMul(ivs[1], b.getInt64(win.strideH)),
                        b.getInt64(win.padTop));
        llvm::Value *x0 =
            b.CreateSub(b.CreateMul(ivs[2], b.getInt64(win.strideW)),
                        b.getInt64(win.padLeft));
        emitLoop(
            b, b.getInt64(0), b.getInt64(win.kernelH), [&](llvm::Value *i) {
              llvm::Value *yy = b.CreateAdd(y0, i);
              llvm::Value *rowOk =
                  b.CreateAnd(b.CreateICmpSGE(yy, b.getInt64(0)),
                              b.CreateICmpSLT(yy, b.getInt64(H)));
              emitLoop(
                  b, b.getInt64(0), b.getInt64(win.kernelW),
                  [&](llvm::Value *j) {
                    llvm::Value *xx = b.CreateAdd(x0, j);
                    llvm::Value *ok = b.CreateAnd(
                        rowOk, b.CreateAnd(b.CreateICmpSGE(xx, b.getInt64(0)),
                                           b.CreateICmpSLT(xx, b.getInt64(W))));
                    llvm::Value *off = b.CreateSelect(
                        ok,
                        b.CreateAdd(
                            offsets[1],
                            b.CreateAdd(b.CreateMul(yy, b.getInt64(W)), xx)),
                        offsets[1]);
                    llvm::Value *v = emitLoad(ec, b, t, k.buffers[1], off);
                    llvm::Value *a = b.CreateLoad(ec.valueType(t), acc);
                    llvm::Value *r =
                        isMax ? emitScalarOp(ec, b, OpKind::Maximum, {t, t}, t,
                                             node.attr(), {a, v})
                              : b.CreateFAdd(a, v);
                    b.CreateStore(b.CreateSelect(ok, r, a), acc);
                    b.CreateStore(b.CreateAdd(b.CreateLoad(ec.i64(), count),
                                              b.CreateZExt(ok, ec.i64())),
                                  count);
                  });
            });
        llvm::Value *result = b.CreateLoad(ec.valueType(t), acc);
        if (!isMax) {
          llvm::Value *divisor =
              countPad ? (llvm::Value *)emitConstant(
                             ec, t, (double)win.kernelH * win.kernelW)
                       : b.CreateSIToFP(b.CreateLoad(ec.i64(), count),
                                        ec.valueType(t));
          result = b.CreateFDiv(result, divisor);
        }
        emitStore(ec, b, t, result, k.buffers[0], offsets[0]);
      });
  return {k.finish(dims[0], win.outH * win.outW * win.kernelH * win.kernelW)};
}

} // namespace adjoint::codegen
