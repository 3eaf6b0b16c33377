//===- GradKernels.cpp - Pooling gradients and scatter_add ----------------===//
//
// Ops that add into their result from several places: each is a kernel
// filling the result with zeros, then a loop nest adding into it. Windows
// of one channel overlap and several indices may name one row, so the
// adding kernel's parallel rows are only dimensions that map to disjoint
// parts of the result (the N*C channels of a pool, the dimensions before
// scatter_add's axis); within a row the additions run in a fixed order.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/KernelEmitter.h"

#include "compiler/codegen/ScalarEmitter.h"
#include "ir/ShapeInference.h"

namespace adjoint::codegen {

namespace {

std::string kernelName(const Node &node, int idx, int part) {
  return "k" + std::to_string(idx) + "." + std::string(opName(node.op())) +
         "." + std::to_string(part);
}

/// A kernel storing zeros into every element of `out`.
KernelCall emitZeroFill(EmitContext &ec, const std::string &name,
                        const Value *out) {
  DType t = out->type().dtype;
  int64_t n = out->type().numElements();
  KernelBuilder k(ec, name, {out});
  emitNest(k.b, k.begin, k.end, {n}, {{{1}, 0}},
           [&](llvm::ArrayRef<llvm::Value *> offsets,
               llvm::ArrayRef<llvm::Value *>) {
             emitStore(ec, k.b, t, emitConstant(ec, t, 0), k.buffers[0],
                       offsets[0]);
           });
  return k.finish(n, 1);
}

/// buffer[off] += v in dtype t.
void emitAddTo(EmitContext &ec, llvm::IRBuilder<> &b, DType t,
               llvm::Value *buffer, llvm::Value *off, llvm::Value *v) {
  llvm::Value *old = emitLoad(ec, b, t, buffer, off);
  llvm::Value *sum = isFloat(t) ? b.CreateFAdd(old, v) : b.CreateAdd(old, v);
  emitStore(ec, b, t, sum, buffer, off);
}

/// Marks a select whose condition depends on the data: the backend then
/// keeps it a conditional move instead of a branch that random data would
/// mispredict half the time (measured: max_pool2d_grad over f32[64,32,28,28]
/// took 7 ms with branches).
llvm::Value *unpredictable(llvm::Value *select) {
  if (auto *inst = llvm::dyn_cast<llvm::Instruction>(select))
    inst->setMetadata(llvm::LLVMContext::MD_unpredictable,
                      llvm::MDNode::get(inst->getContext(), {}));
  return select;
}

/// The in-image rows [lo, hi) of a window starting at `start` (which may lie
/// in the padding) of `kernel` rows in an extent of `size`.
std::pair<llvm::Value *, llvm::Value *> clampWindow(llvm::IRBuilder<> &b,
                                                    llvm::Value *start,
                                                    int64_t kernel,
                                                    int64_t size) {
  llvm::Value *zero = b.getInt64(0), *end = b.getInt64(size);
  llvm::Value *lo = b.CreateSelect(b.CreateICmpSLT(start, zero), zero, start);
  llvm::Value *hi = b.CreateAdd(start, b.getInt64(kernel));
  hi = b.CreateSelect(b.CreateICmpSGT(hi, end), end, hi);
  return {lo, hi};
}

/// The gradient of a pool whose windows lie inside the image and do not
/// overlap (the usual 2x2 pool of stride 2): each element of dx belongs to
/// one window at most, so it is written once, 0 + its share (the same
/// value, signed zeros included, as adding the share to zeros), with the
/// taps unrolled and the loop over output columns vectorizable. Elements
/// no window covers (the rows and columns a stride skips) are zeros: the
/// fill runs first only when there are such elements.
std::vector<KernelCall>
disjointPoolGrad(EmitContext &ec, const Node &node, int idx,
                 const Window2D &win, const std::vector<const Value *> &values,
                 bool isMax) {
  const Value *dx = values[0];
  DType t = dx->type().dtype;
  const Shape &xs = dx->type().shape;
  int64_t H = xs[2], W = xs[3];
  std::vector<KernelCall> calls;
  if (win.outH * win.strideH != H || win.outW * win.strideW != W ||
      win.kernelH != win.strideH || win.kernelW != win.strideW)
    calls.push_back(emitZeroFill(ec, kernelName(node, idx, 1), dx));
  std::vector<int64_t> dims = {xs[0] * xs[1], win.outH, win.outW};
  // dx and x at the window's first tap, dy at the output.
  Access window = {{H * W, win.strideH * W, win.strideW}, 0};
  std::vector<Access> accesses = {window,
                                  {{win.outH * win.outW, win.outW, 1}, 0}};
  KernelBuilder k(ec, kernelName(node, idx, 2), values);
  int64_t taps = win.kernelH * win.kernelW;
  emitNest(
      k.b, k.begin, k.end, dims, accesses,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        llvm::Value *zero = emitConstant(ec, t, 0.0);
        llvm::Value *grad = emitLoad(ec, b, t, k.buffers[1], offsets[1]);
        std::vector<llvm::Value *> at;
        for (int64_t i = 0; i < win.kernelH; ++i)
          for (int64_t j = 0; j < win.kernelW; ++j)
            at.push_back(b.CreateAdd(offsets[0], b.getInt64(i * W + j), "",
                                     /*HasNUW=*/true,
                                     /*HasNSW=*/true));
        if (!isMax) {
          llvm::Value *share = b.CreateFAdd(
              zero, b.CreateFDiv(grad, emitConstant(ec, t, (double)taps)));
          for (llvm::Value *off : at)
            emitStore(ec, b, t, share, k.buffers[0], off);
          return;
        }
        // The first maximum in row-major order; a NaN beats every
        // number and the first NaN stays (as the general kernel).
        llvm::Value *best = emitLoad(ec, b, t, k.buffers[2], at[0]);
        llvm::Value *bestTap = b.getInt64(0);
        for (int64_t tap = 1; tap < taps; ++tap) {
          llvm::Value *v = emitLoad(ec, b, t, k.buffers[2], at[tap]);
          llvm::Value *better = b.CreateAnd(
              b.CreateFCmpORD(best, best),
              b.CreateOr(b.CreateFCmpUNO(v, v), b.CreateFCmpOGT(v, best)));
          best = unpredictable(b.CreateSelect(better, v, best));
          bestTap =
              unpredictable(b.CreateSelect(better, b.getInt64(tap), bestTap));
        }
        llvm::Value *share = b.CreateFAdd(zero, grad);
        for (int64_t tap = 0; tap < taps; ++tap)
          emitStore(ec, b, t,
                    unpredictable(b.CreateSelect(
                        b.CreateICmpEQ(bestTap, b.getInt64(tap)), share, zero)),
                    k.buffers[0], at[tap]);
      },
      /*vectorize=*/true);
  calls.push_back(k.finish(dims[0], win.outH * win.outW * taps));
  return calls;
}

/// disjointPoolGrad as explicit vectors along each row of windows, for
/// float pools whose stride along W is at most 4: the row is cut into
/// chunks of poolRowLanes windows; for each window
/// row, x's elements are loaded once and each tap's picked out by a
/// shuffle; the chunk's shares go back to dx's row through shuffles into
/// the tap's positions and an OR of the bits (the other taps' positions
/// hold +0.0, all-zero bits), one masked store per window row, where the
/// loop vectorizer would gather and scatter every tap at a stride. The
/// same values as disjointPoolGrad, bit for bit.
std::vector<KernelCall>
disjointPoolGradRows(EmitContext &ec, const Node &node, int idx,
                     const Window2D &win,
                     const std::vector<const Value *> &values, bool isMax) {
  const Value *dx = values[0];
  DType t = dx->type().dtype;
  const Shape &xs = dx->type().shape;
  int64_t H = xs[2], W = xs[3], s = win.strideW, kw = win.kernelW;
  int64_t lanes = poolRowLanes(t, win.outW), width = s * lanes;
  int64_t outW = win.outW;
  std::vector<KernelCall> calls;
  if (win.outH * win.strideH != H || outW * s != W ||
      win.kernelH != win.strideH || kw != s)
    calls.push_back(emitZeroFill(ec, kernelName(node, idx, 1), dx));
  llvm::Type *et = ec.valueType(t);
  llvm::Type *it = llvm::Type::getIntNTy(ec.ctx, unsigned(8 * dtypeSize(t)));
  llvm::Align align(dtypeSize(t));
  auto *segType = llvm::FixedVectorType::get(et, unsigned(width));
  auto *segInts = llvm::FixedVectorType::get(it, unsigned(width));
  std::vector<int64_t> dims = {xs[0] * xs[1], win.outH};
  // dx and x at the row of windows' first tap, dy at its first output.
  Access rows = {{H * W, win.strideH * W}, 0};
  std::vector<Access> accesses = {rows, {{win.outH * outW, outW}, 0}};
  KernelBuilder k(ec, kernelName(node, idx, 2), values);
  int64_t taps = win.kernelH * kw;
  emitNest(
      k.b, k.begin, k.end, dims, accesses,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *>) {
        llvm::IRBuilder<> &b = k.b;
        auto chunk = [&](llvm::Value *ow0, int64_t count, bool last) {
          // Elements the windows of the chunk cover in a row segment.
          llvm::Constant *covered = laneMask(
              b, width, [&](int64_t p) { return p % s < kw && p / s < count; });
          llvm::Value *col = b.CreateMul(ow0, b.getInt64(s));
          auto segPtr = [&](int64_t buffer, int64_t i) {
            return b.CreateInBoundsGEP(
                et, k.buffers[buffer],
                b.CreateAdd(b.CreateAdd(offsets[0], b.getInt64(i * W)), col));
          };
          llvm::Value *dyp = b.CreateInBoundsGEP(et, k.buffers[1],
                                                 b.CreateAdd(offsets[1], ow0));
          auto *vecType = llvm::FixedVectorType::get(et, unsigned(lanes));
          llvm::Value *grad =
              last ? (llvm::Value *)b.CreateMaskedLoad(
                         vecType, dyp, align,
                         laneMask(b, lanes,
                                  [&](int64_t l) { return l < count; }),
                         llvm::Constant::getNullValue(vecType))
                   : b.CreateAlignedLoad(vecType, dyp, align);
          auto pick = [&](llvm::Value *seg, int64_t j) {
            std::vector<int> lanesOf;
            for (int64_t l = 0; l < lanes; ++l)
              lanesOf.push_back(int(j + s * l));
            return b.CreateShuffleVector(seg, lanesOf);
          };
          llvm::Value *zero =
              b.CreateVectorSplat(unsigned(lanes), emitConstant(ec, t, 0.0));
          llvm::Value *share = b.CreateFAdd(zero, grad);
          std::vector<llvm::Value *> shares(size_t(taps), share);
          if (isMax) {
            // The first maximum in row-major order; a NaN beats every
            // number and the first NaN stays (as disjointPoolGrad).
            llvm::Value *best = nullptr, *bestTap = nullptr;
            for (int64_t i = 0; i < win.kernelH; ++i) {
              llvm::Value *seg =
                  b.CreateMaskedLoad(segType, segPtr(2, i), align, covered,
                                     llvm::Constant::getNullValue(segType));
              for (int64_t j = 0; j < kw; ++j) {
                llvm::Value *v = pick(seg, j);
                llvm::Value *tap = b.CreateVectorSplat(unsigned(lanes),
                                                       b.getInt64(i * kw + j));
                if (!best) {
                  best = v;
                  bestTap = tap;
                  continue;
                }
                llvm::Value *better =
                    b.CreateAnd(b.CreateFCmpORD(best, best),
                                b.CreateOr(b.CreateFCmpUNO(v, v),
                                           b.CreateFCmpOGT(v, best)));
                best = b.CreateSelect(better, v, best);
                bestTap = b.CreateSelect(better, tap, bestTap);
              }
            }
            for (int64_t tap = 0; tap < taps; ++tap)
              shares[size_t(tap)] = b.CreateSelect(
                  b.CreateICmpEQ(bestTap, b.CreateVectorSplat(unsigned(lanes),
                                                              b.getInt64(tap))),
                  share, zero);
          } else {
            llvm::Value *avg = b.CreateFAdd(
                zero,
                b.CreateFDiv(grad, b.CreateVectorSplat(
                                       unsigned(lanes),
                                       emitConstant(ec, t, (double)taps))));
            std::fill(shares.begin(), shares.end(), avg);
          }
          // Each window row's segment of dx: tap j's lane l at j + s*l.
          auto *intVec = llvm::FixedVectorType::get(it, unsigned(lanes));
          llvm::Value *zeroInts = llvm::Constant::getNullValue(intVec);
          for (int64_t i = 0; i < win.kernelH; ++i) {
            llvm::Value *bits = llvm::Constant::getNullValue(segInts);
            for (int64_t j = 0; j < kw; ++j) {
              std::vector<int> spread;
              for (int64_t p = 0; p < width; ++p)
                spread.push_back(p % s == j ? int(p / s) : int(lanes));
              bits = b.CreateOr(
                  bits, b.CreateShuffleVector(
                            b.CreateBitCast(shares[size_t(i * kw + j)], intVec),
                            zeroInts, spread));
            }
            b.CreateMaskedStore(b.CreateBitCast(bits, segType), segPtr(0, i),
                                align, covered);
          }
        };
        emitRowChunks(b, outW, lanes, chunk);
      });
  calls.push_back(k.finish(dims[0], win.outH * outW * taps));
  return calls;
}

} // namespace

std::vector<KernelCall> emitPool2DGrad(EmitContext &ec, const Node &node,
                                       int idx) {
  bool isMax = node.op() == OpKind::MaxPool2DGrad;
  const Value *dx = node.result();
  const Value *x = isMax ? node.operand(0) : nullptr;
  const Value *dy = node.operand(isMax ? 1 : 0);
  const Shape &xs = dx->type().shape;
  Window2D win = poolWindow(node.attr(), xs);
  bool countPad = !isMax && node.attr().getBool("count_include_pad");
  DType t = dx->type().dtype;
  int64_t H = xs[2], W = xs[3];

  std::vector<const Value *> values = {dx, dy};
  if (isMax)
    values.push_back(x);
  // Rows of fewer windows than a vector's lanes would leave the vectorized
  // loop to its scalar remainder, slower than the general kernel's.
  bool disjoint = windowsInside(win, H, W) && win.strideH >= win.kernelH &&
                  win.strideW >= win.kernelW &&
                  win.kernelH * win.kernelW <= kMaxUnrolledTaps;
  if (disjoint && isFloat(t) && win.strideW <= 4 && win.outW >= 2)
    return disjointPoolGradRows(ec, node, idx, win, values, isMax);
  if (disjoint && win.outW >= kMinVectorRow)
    return disjointPoolGrad(ec, node, idx, win, values, isMax);
  KernelCall fill = emitZeroFill(ec, kernelName(node, idx, 1), dx);
  // Rows are channels: windows of different channels never meet.
  std::vector<int64_t> dims = {xs[0] * xs[1], win.outH, win.outW};
  std::vector<Access> accesses = {{{H * W, 0, 0}, 0},
                                  {{win.outH * win.outW, win.outW, 1}, 0}};
  KernelBuilder k(ec, kernelName(node, idx, 2), values);
  llvm::AllocaInst *best = k.stackSlot(ec.valueType(t), "best");
  llvm::AllocaInst *bestAt = k.stackSlot(ec.i64(), "bestAt");
  emitNest(
      k.b, k.begin, k.end, dims, accesses,
      [&](llvm::ArrayRef<llvm::Value *> offsets,
          llvm::ArrayRef<llvm::Value *> ivs) {
        llvm::IRBuilder<> &b = k.b;
        llvm::Value *plane = offsets[0];
        auto [y0, y1] = clampWindow(
            b,
            b.CreateSub(b.CreateMul(ivs[1], b.getInt64(win.strideH)),
                        b.getInt64(win.padTop)),
            win.kernelH, H);
        auto [x0, x1] = clampWindow(
            b,
            b.CreateSub(b.CreateMul(ivs[2], b.getInt64(win.strideW)),
                        b.getInt64(win.padLeft)),
            win.kernelW, W);
        llvm::Value *grad = emitLoad(ec, b, t, k.buffers[1], offsets[1]);
        auto at = [&](llvm::Value *y, llvm::Value *xx) {
          return b.CreateAdd(plane,
                             b.CreateAdd(b.CreateMul(y, b.getInt64(W)), xx));
        };
        if (isMax) {
          // The first maximum in row-major order; a NaN beats every number
          // and the first NaN stays.
          b.CreateStore(emitLoad(ec, b, t, k.buffers[2], at(y0, x0)), best);
          b.CreateStore(at(y0, x0), bestAt);
          emitLoop(b, y0, y1, [&](llvm::Value *y) {
            emitLoop(b, x0, x1, [&](llvm::Value *xx) {
              llvm::Value *off = at(y, xx);
              llvm::Value *v = emitLoad(ec, b, t, k.buffers[2], off);
              llvm::Value *cur = b.CreateLoad(ec.valueType(t), best);
              llvm::Value *better = b.CreateAnd(
                  b.CreateFCmpORD(cur, cur),
                  b.CreateOr(b.CreateFCmpUNO(v, v), b.CreateFCmpOGT(v, cur)));
              b.CreateStore(unpredictable(b.CreateSelect(better, v, cur)),
                            best);
              b.CreateStore(unpredictable(b.CreateSelect(
                                better, off, b.CreateLoad(ec.i64(), bestAt))),
                            bestAt);
            });
          });
          emitAddTo(ec, b, t, k.buffers[0], b.CreateLoad(ec.i64(), bestAt),
                    grad);
          return;
        }
        llvm::Value *count =
            countPad ? (llvm::Value *)emitConstant(
                           ec, t, (double)win.kernelH * win.kernelW)
                     : b.CreateSIToFP(b.CreateMul(b.CreateSub(y1, y0),
                                                  b.CreateSub(x1, x0)),
                                      ec.valueType(t));
        llvm::Value *share = b.CreateFDiv(grad, count);
        emitLoop(b, y0, y1, [&](llvm::Value *y) {
          emitLoop(b, x0, x1, [&](llvm::Value *xx) {
            emitAddTo(ec, b, t, k.buffers[0], at(y, xx), share);
          });
        });
      });
  KernelCall add =
      k.finish(dims[0], win.outH * win.outW * win.kernelH * win.kernelW);
  return {fill, add};
}

std::vector<KernelCall> emitScatterAdd(EmitContext &ec, const Node &node,
                                       int idx) {
  const Value *indices = node.operand(0), *updates = node.operand(1);
  const Value *out = node.result();
  const Shape &shape = out->type().shape;
  int64_t axis =
      normalizeAxis(node.attr().getInt("axis"), shape.size(), "scatter_add");
  int64_t outer = 1, inner = 1, dim = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  int64_t count = indices->type().numElements();
  DType t = out->type().dtype, it = indices->type().dtype;

  KernelCall fill = emitZeroFill(ec, kernelName(node, idx, 1), out);
  if (count == 0)
    return {fill};
  // Rows are the dimensions before the axis (disjoint parts of the result);
  // each row adds its updates in row-major order. An index outside
  // [-dim, dim) records the node and the index in the status block and its
  // update is skipped.
  KernelBuilder k(ec, kernelName(node, idx, 2), {out, indices, updates},
                  /*wantStatus=*/true);
  llvm::IRBuilder<> &b = k.b;
  emitLoop(b, k.begin, k.end, [&](llvm::Value *o) {
    emitLoop(b, b.getInt64(0), b.getInt64(count), [&](llvm::Value *j) {
      llvm::Value *i =
          emitCast(ec, b, emitLoad(ec, b, it, k.buffers[1], j), it, DType::I64);
      auto [wrapped, bad] = emitIndexCheck(k, i, dim, idx);
      emitIf(b, b.CreateNot(bad), [&] {
        llvm::Value *dst =
            b.CreateMul(b.CreateAdd(b.CreateMul(o, b.getInt64(dim)), wrapped),
                        b.getInt64(inner));
        llvm::Value *src =
            b.CreateMul(b.CreateAdd(b.CreateMul(o, b.getInt64(count)), j),
                        b.getInt64(inner));
        emitLoop(b, b.getInt64(0), b.getInt64(inner), [&](llvm::Value *e) {
          emitAddTo(ec, b, t, k.buffers[0], b.CreateAdd(dst, e),
                    emitLoad(ec, b, t, k.buffers[2], b.CreateAdd(src, e)));
        });
      });
    });
  });
  return {fill, k.finish(outer, count * inner)};
}

} // namespace adjoint::codegen
