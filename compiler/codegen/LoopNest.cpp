//===- LoopNest.cpp - Loops and affine element accesses in LLVM IR --------===//
#include "compiler/codegen/LoopNest.h"

#include <llvm/IR/Function.h>

#include <cassert>

namespace adjoint::codegen {

void emitLoop(llvm::IRBuilder<> &b, llvm::Value *lo, llvm::Value *hi,
              llvm::function_ref<void(llvm::Value *iv)> body,
              const llvm::Twine &name, bool vectorize, bool foldTail) {
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  llvm::LLVMContext &ctx = b.getContext();
  llvm::BasicBlock *pre = b.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(ctx, name + ".head", fn);
  llvm::BasicBlock *bodyBB = llvm::BasicBlock::Create(ctx, name + ".body", fn);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(ctx, name + ".exit", fn);
  b.CreateBr(header);

  b.SetInsertPoint(header);
  llvm::PHINode *iv = b.CreatePHI(b.getInt64Ty(), 2, name);
  iv->addIncoming(lo, pre);
  b.CreateCondBr(b.CreateICmpSLT(iv, hi), bodyBB, exit);

  b.SetInsertPoint(bodyBB);
  body(iv);
  // The body may have created blocks; the latch is wherever it ended.
  llvm::Value *next = b.CreateAdd(iv, b.getInt64(1), name + ".next",
                                  /*HasNUW=*/true, /*HasNSW=*/true);
  iv->addIncoming(next, b.GetInsertBlock());
  llvm::BranchInst *latch = b.CreateBr(header);
  if (vectorize) {
    // !llvm.loop !{self, !{"llvm.loop.vectorize.enable", true}}
    llvm::LLVMContext &c = b.getContext();
    llvm::Metadata *enable[] = {
        llvm::MDString::get(c, "llvm.loop.vectorize.enable"),
        llvm::ConstantAsMetadata::get(llvm::ConstantInt::getTrue(c))};
    llvm::Metadata *predicate[] = {
        llvm::MDString::get(c, "llvm.loop.vectorize.predicate.enable"),
        llvm::ConstantAsMetadata::get(llvm::ConstantInt::getTrue(c))};
    std::vector<llvm::Metadata *> ops = {nullptr, llvm::MDNode::get(c, enable)};
    llvm::Metadata *noUnroll[] = {
        llvm::MDString::get(c, "llvm.loop.unroll.disable")};
    if (foldTail) {
      ops.push_back(llvm::MDNode::get(c, predicate));
      ops.push_back(llvm::MDNode::get(c, noUnroll));
    }
    llvm::MDNode *loop = llvm::MDNode::getDistinct(c, ops);
    loop->replaceOperandWith(0, loop);
    latch->setMetadata(llvm::LLVMContext::MD_loop, loop);
  }

  b.SetInsertPoint(exit);
}

namespace {

void nestLevel(llvm::IRBuilder<> &b, size_t level, llvm::Value *begin,
               llvm::Value *end, llvm::Value *colBegin, llvm::Value *colEnd,
               llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses,
               std::vector<llvm::Value *> &offsets,
               std::vector<llvm::Value *> &ivs,
               llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>,
                                       llvm::ArrayRef<llvm::Value *>)>
                   body,
               bool vectorize, bool foldTail) {
  if (level == dims.size()) {
    body(offsets, ivs);
    return;
  }
  llvm::Value *lo = level == 0               ? begin
                    : level == 1 && colBegin ? colBegin
                                             : b.getInt64(0);
  llvm::Value *hi = level == 0             ? end
                    : level == 1 && colEnd ? colEnd
                                           : b.getInt64(dims[level]);
  emitLoop(
      b, lo, hi,
      [&](llvm::Value *iv) {
        std::vector<llvm::Value *> saved = offsets;
        for (size_t a = 0; a < accesses.size(); ++a) {
          int64_t stride = accesses[a].strides[level];
          // A negative stride (a slice with a negative step) wraps as an
          // unsigned product and sum: only a positive one is `nuw`.
          bool nuw = stride > 0;
          if (stride != 0)
            offsets[a] = b.CreateAdd(
                offsets[a], b.CreateMul(iv, b.getInt64(stride), "", nuw, true),
                "", nuw, true);
        }
        ivs.push_back(iv);
        nestLevel(b, level + 1, begin, end, colBegin, colEnd, dims, accesses,
                  offsets, ivs, body, vectorize, foldTail);
        ivs.pop_back();
        offsets = saved;
      },
      "i" + llvm::Twine(level), vectorize && level + 1 == dims.size(),
      foldTail && level + 1 == dims.size());
}

} // namespace

void emitNest(llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end,
              llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses,
              llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                                      llvm::ArrayRef<llvm::Value *> ivs)>
                  body,
              bool vectorize, bool foldTail) {
  std::vector<llvm::Value *> offsets, ivs;
  for (const Access &a : accesses)
    offsets.push_back(b.getInt64(a.offset));
  if (dims.empty()) {
    // One point; the caller still passes rows [begin, end) = [0, 1).
    emitLoop(
        b, begin, end, [&](llvm::Value *) { body(offsets, ivs); }, "pt");
    return;
  }
  nestLevel(b, 0, begin, end, nullptr, nullptr, dims, accesses, offsets, ivs,
            body, vectorize, foldTail);
}

void emitTileNest(llvm::IRBuilder<> &b, llvm::Value *rowBegin,
                  llvm::Value *rowEnd, llvm::Value *colBegin,
                  llvm::Value *colEnd, llvm::ArrayRef<int64_t> dims,
                  llvm::ArrayRef<Access> accesses,
                  llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                                          llvm::ArrayRef<llvm::Value *> ivs)>
                      body) {
  assert((dims.size() == 2 || dims.size() == 1) &&
         "a tile of a space of one or two dimensions");
  std::vector<llvm::Value *> offsets, ivs;
  for (const Access &a : accesses)
    offsets.push_back(b.getInt64(a.offset));
  bool flat = dims.size() == 2;
  for (const Access &a : accesses)
    flat = flat && a.strides[0] == a.strides[1] * dims[1];
  if (!flat) {
    nestLevel(b, 0, rowBegin, rowEnd, dims.size() == 2 ? colBegin : nullptr,
              dims.size() == 2 ? colEnd : nullptr, dims, accesses, offsets, ivs,
              body, false, false);
    return;
  }
  // Every access walks the rows contiguously: a tile of whole rows is one
  // loop over its elements, with one vector tail in all instead of one per
  // row (rows of 100 are 6 vectors and 4 scalar steps each).
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  llvm::LLVMContext &ctx = b.getContext();
  llvm::BasicBlock *wholeBB = llvm::BasicBlock::Create(ctx, "rows", fn);
  llvm::BasicBlock *partBB = llvm::BasicBlock::Create(ctx, "part", fn);
  llvm::BasicBlock *done = llvm::BasicBlock::Create(ctx, "tile.done", fn);
  llvm::Value *cols = b.getInt64(dims[1]);
  b.CreateCondBr(b.CreateAnd(b.CreateICmpEQ(colBegin, b.getInt64(0)),
                             b.CreateICmpEQ(colEnd, cols)),
                 wholeBB, partBB);
  b.SetInsertPoint(wholeBB);
  emitLoop(
      b, b.CreateMul(rowBegin, cols, "", true, true),
      b.CreateMul(rowEnd, cols, "", true, true),
      [&](llvm::Value *iv) {
        std::vector<llvm::Value *> at = offsets;
        for (size_t a = 0; a < accesses.size(); ++a) {
          int64_t stride = accesses[a].strides[1];
          bool nuw = stride > 0;
          if (stride != 0)
            at[a] = b.CreateAdd(
                at[a], b.CreateMul(iv, b.getInt64(stride), "", nuw, true), "",
                nuw, true);
        }
        body(at, {});
      },
      "e");
  b.CreateBr(done);
  b.SetInsertPoint(partBB);
  nestLevel(b, 0, rowBegin, rowEnd, colBegin, colEnd, dims, accesses, offsets,
            ivs, body, false, false);
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void emitFlatRowsTileNest(
    llvm::IRBuilder<> &b, llvm::Value *rowBegin, llvm::Value *rowEnd,
    llvm::Value *colBegin, llvm::Value *colEnd, llvm::ArrayRef<int64_t> dims,
    llvm::ArrayRef<Access> accesses,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets,
                            llvm::ArrayRef<llvm::Value *> ivs)>
        body) {
  assert(dims.size() >= 2 && "rows and columns");
  size_t last = dims.size() - 1;
  int64_t rows = 1;
  for (size_t d = 0; d < last; ++d)
    rows *= dims[d];
  bool merges = true;
  for (const Access &a : accesses)
    for (size_t d = 0; d + 1 < last; ++d)
      merges = merges &&
               (dims[d] == 1 || a.strides[d] == a.strides[d + 1] * dims[d + 1]);
  if (merges) {
    std::vector<Access> merged;
    for (const Access &a : accesses)
      merged.push_back({{a.strides[last - 1], a.strides[last]}, a.offset});
    emitTileNest(b, rowBegin, rowEnd, colBegin, colEnd, {rows, dims[last]},
                 merged, body);
    return;
  }
  emitLoop(
      b, rowBegin, rowEnd,
      [&](llvm::Value *row) {
        std::vector<llvm::Value *> base;
        for (const Access &a : accesses)
          base.push_back(b.getInt64(a.offset));
        llvm::Value *rest = row;
        for (size_t d = last; d-- > 0;) {
          llvm::Value *digit =
              d == 0 ? rest : b.CreateURem(rest, b.getInt64(dims[d]));
          for (size_t a = 0; a < accesses.size(); ++a)
            if (accesses[a].strides[d] != 0)
              base[a] = b.CreateAdd(
                  base[a],
                  b.CreateMul(digit, b.getInt64(accesses[a].strides[d])));
          if (d > 0)
            rest = b.CreateUDiv(rest, b.getInt64(dims[d]));
        }
        emitLoop(
            b, colBegin, colEnd,
            [&](llvm::Value *col) {
              std::vector<llvm::Value *> at = base;
              for (size_t a = 0; a < accesses.size(); ++a)
                if (accesses[a].strides[last] != 0)
                  at[a] = b.CreateAdd(
                      at[a],
                      b.CreateMul(col, b.getInt64(accesses[a].strides[last])));
              body(at, {});
            },
            "c", /*vectorize=*/true);
      },
      "r");
}

size_t contiguousDim(llvm::ArrayRef<int64_t> dims,
                     llvm::ArrayRef<Access> accesses, size_t writes,
                     int64_t storeBytes) {
  size_t last = dims.empty() ? 0 : dims.size() - 1;
  // A strided load is a gather, a strided store a scatter whose lines the
  // next iterations of the outer loops fill: loads count twice.
  auto score = [&](size_t d) {
    int count = 0;
    for (size_t a = 0; a < accesses.size(); ++a)
      if (accesses[a].strides[d] == 1)
        count += a < writes ? 1 : 2;
    return count;
  };
  // The lines of stores a multiple of 1 KiB apart fall into at most 4 of
  // the L1 cache's sets (which repeat every 4 KiB): a block of 64 rows
  // would put 16 or more of them in one set, more than it has ways. Such a
  // dimension is never innermost.
  auto aliased = [&](size_t d) {
    for (size_t a = 0; a < writes; ++a) {
      int64_t bytes = accesses[a].strides[d] * storeBytes;
      if (bytes != 0 && bytes % 1024 == 0)
        return true;
    }
    return false;
  };
  size_t best = last;
  for (size_t d = 0; d + 1 < dims.size(); ++d)
    if (score(d) > score(best) && !aliased(d))
      best = d;
  return best;
}

namespace {

/// One loop of an ordered nest: dimension `dim` over [lo, hi), or, for the
/// block loop, the blocks of dimension 0.
struct OrderedLevel {
  size_t dim;
  bool blocks = false;  ///< the loop over blocks of rows
  bool inBlock = false; ///< the rows of the current block
};

void orderedLevel(
    llvm::IRBuilder<> &b, const std::vector<OrderedLevel> &levels, size_t at,
    llvm::Value *begin, llvm::Value *end, int64_t block,
    llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses,
    std::vector<llvm::Value *> &offsets, llvm::Value *blockStart,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body) {
  if (at == levels.size()) {
    body(offsets);
    return;
  }
  const OrderedLevel &level = levels[at];
  llvm::Value *lo, *hi;
  if (level.blocks) {
    // Blocks [0, ceil((end - begin) / block)).
    lo = b.getInt64(0);
    hi = b.CreateSDiv(
        b.CreateAdd(b.CreateSub(end, begin), b.getInt64(block - 1)),
        b.getInt64(block));
  } else if (level.inBlock) {
    lo = blockStart;
    llvm::Value *stop = b.CreateAdd(blockStart, b.getInt64(block));
    hi = b.CreateSelect(b.CreateICmpSLT(stop, end), stop, end);
  } else if (level.dim == 0) {
    lo = begin;
    hi = end;
  } else {
    lo = b.getInt64(0);
    hi = b.getInt64(dims[level.dim]);
  }
  emitLoop(
      b, lo, hi,
      [&](llvm::Value *iv) {
        if (level.blocks) {
          llvm::Value *start =
              b.CreateAdd(begin, b.CreateMul(iv, b.getInt64(block)));
          orderedLevel(b, levels, at + 1, begin, end, block, dims, accesses,
                       offsets, start, body);
          return;
        }
        std::vector<llvm::Value *> saved = offsets;
        for (size_t a = 0; a < accesses.size(); ++a) {
          int64_t stride = accesses[a].strides[level.dim];
          bool nuw = stride > 0;
          if (stride != 0)
            offsets[a] = b.CreateAdd(
                offsets[a], b.CreateMul(iv, b.getInt64(stride), "", nuw, true),
                "", nuw, true);
        }
        orderedLevel(b, levels, at + 1, begin, end, block, dims, accesses,
                     offsets, blockStart, body);
        offsets = saved;
      },
      "o" + llvm::Twine(at), /*vectorize=*/at + 1 == levels.size());
}

} // namespace

void emitNestInner(
    llvm::IRBuilder<> &b, llvm::Value *begin, llvm::Value *end,
    llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<Access> accesses, size_t inner,
    int64_t block,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> offsets)> body) {
  assert(inner < dims.size() &&
         "the innermost dimension is one of the space's");
  std::vector<OrderedLevel> levels;
  if (inner == 0)
    levels.push_back({0, true, false});
  for (size_t d = 0; d < dims.size(); ++d)
    if (d != inner)
      levels.push_back({d});
  levels.push_back({inner, false, inner == 0});
  std::vector<llvm::Value *> offsets;
  for (const Access &a : accesses)
    offsets.push_back(b.getInt64(a.offset));
  orderedLevel(b, levels, 0, begin, end, block, dims, accesses, offsets,
               nullptr, body);
}

void collapseDims(std::vector<int64_t> &dims, std::vector<Access> &accesses) {
  // Drop extents of 1 (they contribute nothing to any offset).
  std::vector<int64_t> keptDims;
  std::vector<std::vector<int64_t>> keptStrides(accesses.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1)
      continue;
    keptDims.push_back(dims[d]);
    for (size_t a = 0; a < accesses.size(); ++a)
      keptStrides[a].push_back(accesses[a].strides[d]);
  }
  // Merge dimension k into k+1 where every access is contiguous across them.
  std::vector<int64_t> outDims;
  std::vector<std::vector<int64_t>> outStrides(accesses.size());
  for (size_t d = 0; d < keptDims.size(); ++d) {
    bool merge = !outDims.empty();
    for (size_t a = 0; merge && a < accesses.size(); ++a)
      merge = outStrides[a].back() == keptStrides[a][d] * keptDims[d];
    if (merge) {
      outDims.back() *= keptDims[d];
      for (size_t a = 0; a < accesses.size(); ++a)
        outStrides[a].back() = keptStrides[a][d];
    } else {
      outDims.push_back(keptDims[d]);
      for (size_t a = 0; a < accesses.size(); ++a)
        outStrides[a].push_back(keptStrides[a][d]);
    }
  }
  dims = outDims;
  for (size_t a = 0; a < accesses.size(); ++a)
    accesses[a].strides = outStrides[a];
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &outShape) {
  std::vector<int64_t> strides(outShape.size(), 0);
  int64_t stride = 1;
  size_t lead = outShape.size() - shape.size();
  for (size_t d = shape.size(); d-- > 0;) {
    strides[lead + d] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

} // namespace adjoint::codegen
