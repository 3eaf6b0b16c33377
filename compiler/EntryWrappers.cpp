//===- EntryWrappers.cpp - The C entry points of a compiled model ---------===//
#include "compiler/EntryWrappers.h"

#include "ir/Error.h"

#include <llvm/IR/IRBuilder.h>

namespace adjoint {

namespace {

llvm::Type *ptrTy(llvm::LLVMContext &ctx) {
  return llvm::PointerType::getUnqual(ctx);
}

/// The C type size_t of the module's target.
llvm::IntegerType *sizeTy(llvm::Module &m) {
  return m.getDataLayout().getIntPtrType(m.getContext());
}

llvm::Function *declareC(llvm::Module &m, const std::string &symbol,
                         llvm::Type *result,
                         llvm::ArrayRef<llvm::Type *> args) {
  auto *fn =
      llvm::Function::Create(llvm::FunctionType::get(result, args, false),
                             llvm::GlobalValue::ExternalLinkage, symbol, m);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  if (m.getFunction(symbol) != fn)
    internalError("the symbol ", symbol, " is defined twice");
  return fn;
}

/// On the first call only: sets the runtime's thread count to `threads`
/// unless ADJOINT_NUM_THREADS is set.
void emitThreadSetup(llvm::Module &m, llvm::IRBuilder<> &b,
                     const EntryBinding &e) {
  if (e.threads <= 0)
    return;
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Function *fn = b.GetInsertBlock()->getParent();
  auto *first = llvm::BasicBlock::Create(ctx, "first_call", fn);
  auto *set = llvm::BasicBlock::Create(ctx, "set_threads", fn);
  auto *done = llvm::BasicBlock::Create(ctx, "threads_done", fn);
  llvm::Value *flag = b.CreateLoad(b.getInt8Ty(), e.threadsSet);
  b.CreateCondBr(b.CreateICmpEQ(flag, b.getInt8(0)), first, done);
  b.SetInsertPoint(first);
  b.CreateStore(b.getInt8(1), e.threadsSet);
  llvm::FunctionCallee getenvFn =
      m.getOrInsertFunction("getenv", ptrTy(ctx), ptrTy(ctx));
  llvm::Value *env =
      b.CreateCall(getenvFn, {b.CreateGlobalStringPtr("ADJOINT_NUM_THREADS")});
  b.CreateCondBr(b.CreateIsNull(env), set, done);
  b.SetInsertPoint(set);
  llvm::FunctionCallee setThreads = m.getOrInsertFunction(
      "adjoint_rt_set_num_threads", b.getVoidTy(), b.getInt32Ty());
  b.CreateCall(setThreads, {b.getInt32(e.threads)});
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

} // namespace

llvm::Function *emitBindFunction(llvm::Module &m, const EntryBinding &e,
                                 const std::string &name,
                                 llvm::GlobalValue::LinkageTypes linkage) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = ptrTy(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  const Graph &g = e.lowered->pipeline.graph;
  const codegen::SlotLayout &layout = e.lowered->emitted.layout;
  const ArenaLayout &arenaLayout = e.lowered->arena;
  bool perBatch = e.lowered->batch.has_value();
  llvm::Function *fn = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getInt32Ty(ctx),
                              {i64, ptr, ptr, ptr, ptr}, false),
      linkage, name, m);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value *inputs = fn->getArg(1), *outputs = fn->getArg(2),
              *arena = fn->getArg(3), *status = fn->getArg(4);
  llvm::Value *batch = perBatch ? fn->getArg(0) : nullptr;
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  auto bytesAt = [&](BatchBytes x) -> llvm::Value * {
    if (!batch || x.perBatch == 0)
      return b.getInt64(x.base);
    return b.CreateAdd(b.getInt64(x.base),
                       b.CreateMul(batch, b.getInt64(x.perBatch)));
  };
  auto fail = [&](llvm::Value *bad, const char *label) {
    auto *no = llvm::BasicBlock::Create(ctx, label, fn);
    auto *yes = llvm::BasicBlock::Create(ctx, "go_on", fn);
    b.CreateCondBr(bad, no, yes);
    b.SetInsertPoint(no);
    b.CreateRet(llvm::ConstantInt::getSigned(b.getInt32Ty(), -1));
    b.SetInsertPoint(yes);
  };
  if (perBatch)
    fail(b.CreateICmpSLT(batch, b.getInt64(1)), "no_batch");

  auto *slotsTy = llvm::ArrayType::get(ptr, layout.numSlots);
  llvm::Value *slots = b.CreateAlloca(slotsTy, nullptr, "slots");
  auto slotAt = [&](int slot) {
    return b.CreateConstInBoundsGEP2_64(slotsTy, slots, 0, slot);
  };
  auto callerPtr = [&](llvm::Value *array, size_t i) {
    return b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, array, i));
  };

  // Caller inputs in graph order; the rest from the model's storage.
  size_t next = 0;
  for (const Value *v : g.inputs()) {
    auto own = e.storage->find(v->name());
    llvm::Value *p = own != e.storage->end() ? (llvm::Value *)own->second
                                             : callerPtr(inputs, next++);
    b.CreateStore(p, slotAt(layout.slotOf.at(v)));
  }
  for (const Param &p : g.params())
    b.CreateStore(e.storage->at(p.value->name()),
                  slotAt(layout.slotOf.at(p.value)));

  // The arena: the caller's, else the static one, or for a model compiled
  // for every batch one from the heap for this call (`owned`, freed on
  // return).
  llvm::Value *base, *owned = nullptr;
  if (perBatch) {
    llvm::FunctionCallee alignedAlloc =
        m.getOrInsertFunction("aligned_alloc", ptr, sizeTy(m), sizeTy(m));
    llvm::Value *bytes = bytesAt(arenaLayout.bytes);
    bytes = b.CreateAnd(b.CreateAdd(bytes, b.getInt64(kArenaAlign + 63)),
                        b.getInt64(~int64_t(63))); // at least 64, aligned
    llvm::BasicBlock *given = b.GetInsertBlock();
    auto *allocate = llvm::BasicBlock::Create(ctx, "allocate", fn);
    auto *ready = llvm::BasicBlock::Create(ctx, "arena_ready", fn);
    b.CreateCondBr(b.CreateIsNull(arena), allocate, ready);
    b.SetInsertPoint(allocate);
    llvm::Value *heap = b.CreateCall(
        alignedAlloc, {llvm::ConstantInt::get(sizeTy(m), kArenaAlign),
                       b.CreateZExtOrTrunc(bytes, sizeTy(m))});
    b.CreateBr(ready);
    b.SetInsertPoint(ready);
    llvm::PHINode *chosen = b.CreatePHI(ptr, 2, "arena_base");
    chosen->addIncoming(arena, given);
    chosen->addIncoming(heap, allocate);
    llvm::PHINode *mine = b.CreatePHI(ptr, 2, "owned");
    mine->addIncoming(
        llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ctx)),
        given);
    mine->addIncoming(heap, allocate);
    fail(b.CreateIsNull(chosen), "out_of_memory");
    base = chosen;
    owned = mine;
    llvm::Value *cell = b.CreateAlloca(i64, nullptr, "batch");
    b.CreateStore(batch, cell);
    b.CreateStore(cell, slotAt(layout.batchSlot));
  } else {
    base = b.CreateSelect(b.CreateIsNull(arena), e.staticArena, arena,
                          "arena_base");
  }
  for (auto [slot, offset] : arenaLayout.offsets)
    b.CreateStore(b.CreateInBoundsGEP(b.getInt8Ty(), base, bytesAt(offset)),
                  slotAt(slot));

  std::vector<OutputSource> sources = outputSources(*e.lowered);
  for (size_t i = 0; i < e.outputs.size(); ++i)
    if (sources[e.outputs[i]].direct)
      b.CreateStore(callerPtr(outputs, i), slotAt(sources[e.outputs[i]].slot));
  b.CreateStore(status, slotAt(layout.statusSlot));

  b.CreateCall(e.entry, {slots});

  llvm::FunctionCallee freeFn =
      m.getOrInsertFunction("free", b.getVoidTy(), ptr);
  llvm::Value *code = b.CreateLoad(b.getInt64Ty(), status);
  auto *ok = llvm::BasicBlock::Create(ctx, "ok", fn);
  auto *failed = llvm::BasicBlock::Create(ctx, "failed", fn);
  b.CreateCondBr(b.CreateICmpNE(code, b.getInt64(0)), failed, ok);
  b.SetInsertPoint(failed);
  if (owned)
    b.CreateCall(freeFn, {owned});
  // The failing node's index + 1, kept positive.
  llvm::Value *node = b.CreateTrunc(code, b.getInt32Ty());
  b.CreateRet(b.CreateSelect(b.CreateICmpSGT(node, b.getInt32(0)), node,
                             b.getInt32(1)));

  // Outputs the kernels did not write into the caller's buffers.
  b.SetInsertPoint(ok);
  for (size_t i = 0; i < e.outputs.size(); ++i) {
    const OutputSource &src = sources[e.outputs[i]];
    BatchBytes outBytes =
        perBatch
            ? e.outputBytes.at(e.outputs[i])
            : BatchBytes{
                  (int64_t)g.outputs()[e.outputs[i]].value->type().byteSize(),
                  0};
    if (src.direct || (outBytes.base == 0 && outBytes.perBatch == 0))
      continue;
    llvm::Value *from;
    if (src.kind == OutputSource::Kind::Constant) {
      int64_t bytes = outBytes.base;
      llvm::StringRef data(reinterpret_cast<const char *>(src.constant.bytes()),
                           (size_t)bytes);
      auto *init =
          llvm::ConstantDataArray::getRaw(data, (uint64_t)bytes, b.getInt8Ty());
      auto *gv = new llvm::GlobalVariable(m, init->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage,
                                          init, e.symbol + ".constant_output");
      gv->setAlignment(llvm::Align(64));
      from = gv;
    } else {
      from = b.CreateLoad(ptr, slotAt(src.slot));
    }
    llvm::Value *to = callerPtr(outputs, i);
    auto *copy = llvm::BasicBlock::Create(ctx, "copy", fn);
    auto *after = llvm::BasicBlock::Create(ctx, "copied", fn);
    b.CreateCondBr(b.CreateICmpEQ(from, to), after, copy);
    b.SetInsertPoint(copy);
    b.CreateMemCpy(to, llvm::MaybeAlign(1), from, llvm::MaybeAlign(1),
                   bytesAt(outBytes));
    b.CreateBr(after);
    b.SetInsertPoint(after);
  }
  if (owned)
    b.CreateCall(freeFn, {owned});
  b.CreateRet(b.getInt32(0));
  return fn;
}

void emitEntryWrapper(llvm::Module &m, const EntryBinding &e) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = ptrTy(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  const ArenaLayout &arenaLayout = e.lowered->arena;
  bool perBatch = e.lowered->batch.has_value();
  llvm::Function *bind = emitBindFunction(m, e, e.symbol + ".bind",
                                          llvm::GlobalValue::InternalLinkage);
  std::vector<llvm::Type *> params = {ptr, ptr, ptr};
  if (perBatch)
    params.insert(params.begin(), i64);
  llvm::Function *fn =
      declareC(m, e.symbol, llvm::Type::getInt32Ty(ctx), params);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  auto *statusTy = llvm::ArrayType::get(i64, 2);
  llvm::Value *status = b.CreateAlloca(statusTy, nullptr, "status");
  b.CreateStore(llvm::ConstantAggregateZero::get(statusTy), status);
  emitThreadSetup(m, b, e);
  unsigned first = perBatch ? 1 : 0;
  b.CreateRet(b.CreateCall(
      bind, {perBatch ? (llvm::Value *)fn->getArg(0) : b.getInt64(0),
             fn->getArg(first), fn->getArg(first + 1), fn->getArg(first + 2),
             status}));
  if (perBatch && !e.arenaBytesSymbol.empty()) {
    // size_t ARENA_BYTES(int64_t batch): 0 for a batch below 1.
    llvm::Function *sizeFn = declareC(m, e.arenaBytesSymbol, sizeTy(m), {i64});
    llvm::IRBuilder<> sb(llvm::BasicBlock::Create(ctx, "entry", sizeFn));
    llvm::Value *n = sizeFn->getArg(0);
    llvm::Value *bytes =
        sb.CreateAdd(sb.getInt64(arenaLayout.bytes.base),
                     sb.CreateMul(n, sb.getInt64(arenaLayout.bytes.perBatch)));
    bytes = sb.CreateSelect(sb.CreateICmpSLT(n, sb.getInt64(1)), sb.getInt64(0),
                            bytes);
    sb.CreateRet(sb.CreateZExtOrTrunc(bytes, sizeTy(m)));
  }
}

void emitParamAccessors(llvm::Module &m, const std::string &name,
                        const std::vector<ParamStorage> &params,
                        bool writable) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = ptrTy(ctx);
  llvm::IntegerType *size = sizeTy(m);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  std::vector<llvm::Constant *> names, data, bytes;
  for (const ParamStorage &p : params) {
    llvm::Constant *str = llvm::ConstantDataArray::getString(ctx, p.name);
    auto *gv = new llvm::GlobalVariable(m, str->getType(), true,
                                        llvm::GlobalValue::PrivateLinkage, str,
                                        name + ".param_name");
    names.push_back(gv);
    data.push_back(p.data);
    bytes.push_back(llvm::ConstantInt::get(size, (uint64_t)p.bytes));
  }
  auto table = [&](llvm::Type *elt, const std::vector<llvm::Constant *> &v,
                   const char *what) {
    auto *ty = llvm::ArrayType::get(elt, v.size());
    return new llvm::GlobalVariable(
        m, ty, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(ty, v), name + "." + what);
  };
  llvm::GlobalVariable *nameTable = table(ptr, names, "param_names");
  llvm::GlobalVariable *dataTable = table(ptr, data, "param_data");
  llvm::GlobalVariable *bytesTable = table(size, bytes, "param_sizes");
  int64_t count = (int64_t)params.size();

  // Each accessor: out of range -> `bad`; else `body(index)`.
  auto define = [&](const std::string &symbol, llvm::Type *result,
                    std::vector<llvm::Type *> args, llvm::Value *bad,
                    auto body) {
    llvm::Function *fn = declareC(m, symbol, result, args);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    auto *in = llvm::BasicBlock::Create(ctx, "in_range", fn);
    auto *out = llvm::BasicBlock::Create(ctx, "out_of_range", fn);
    llvm::Value *i = fn->getArg(0);
    b.CreateCondBr(b.CreateICmpULT(i, b.getInt32((uint32_t)count)), in, out);
    b.SetInsertPoint(out);
    b.CreateRet(bad);
    b.SetInsertPoint(in);
    llvm::Value *index = b.CreateZExt(i, b.getInt64Ty());
    auto load = [&](llvm::GlobalVariable *t, llvm::Type *elt) {
      return b.CreateLoad(elt, b.CreateInBoundsGEP(t->getValueType(), t,
                                                   {b.getInt64(0), index}));
    };
    b.CreateRet(body(b, fn, load));
  };
  define(name + "_param_name", ptr, {i32},
         llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ctx)),
         [&](llvm::IRBuilder<> &, llvm::Function *, auto load) {
           return load(nameTable, ptr);
         });
  define(name + "_param_bytes", size, {i32}, llvm::ConstantInt::get(size, 0),
         [&](llvm::IRBuilder<> &, llvm::Function *, auto load) {
           return load(bytesTable, size);
         });
  for (bool get : {true, false}) {
    llvm::Value *bad = llvm::ConstantInt::getSigned(i32, -1);
    define(name + (get ? "_get_param" : "_set_param"), i32, {i32, ptr}, bad,
           [&](llvm::IRBuilder<> &b, llvm::Function *fn,
               auto load) -> llvm::Value * {
             if (!get && !writable)
               return bad;
             llvm::Value *p = load(dataTable, ptr);
             llvm::Value *n = load(bytesTable, size);
             llvm::Value *user = fn->getArg(1);
             if (get)
               b.CreateMemCpy(user, llvm::MaybeAlign(1), p, llvm::MaybeAlign(1),
                              n);
             else
               b.CreateMemCpy(p, llvm::MaybeAlign(1), user, llvm::MaybeAlign(1),
                              n);
             return b.getInt32(0);
           });
  }
}

void emitLoadWeights(llvm::Module &m, const std::string &name,
                     llvm::GlobalVariable *weights, int64_t bytes) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = ptrTy(ctx);
  llvm::IntegerType *size = sizeTy(m);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Function *fn = declareC(m, name + "_load_weights", i32, {ptr});
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::FunctionCallee fopenFn = m.getOrInsertFunction("fopen", ptr, ptr, ptr);
  llvm::FunctionCallee freadFn =
      m.getOrInsertFunction("fread", size, ptr, size, size, ptr);
  llvm::FunctionCallee fgetcFn = m.getOrInsertFunction("fgetc", i32, ptr);
  llvm::FunctionCallee fcloseFn = m.getOrInsertFunction("fclose", i32, ptr);
  auto *opened = llvm::BasicBlock::Create(ctx, "opened", fn);
  auto *fail = llvm::BasicBlock::Create(ctx, "fail", fn);
  llvm::Value *file =
      b.CreateCall(fopenFn, {fn->getArg(0), b.CreateGlobalStringPtr("rb")});
  b.CreateCondBr(b.CreateIsNull(file), fail, opened);
  b.SetInsertPoint(fail);
  b.CreateRet(llvm::ConstantInt::getSigned(i32, -1));
  b.SetInsertPoint(opened);
  llvm::Value *n = b.CreateCall(
      freadFn, {weights, llvm::ConstantInt::get(size, 1),
                llvm::ConstantInt::get(size, (uint64_t)bytes), file});
  llvm::Value *extra = b.CreateCall(fgetcFn, {file}); // EOF: exact size
  b.CreateCall(fcloseFn, {file});
  llvm::Value *exact = b.CreateAnd(
      b.CreateICmpEQ(n, llvm::ConstantInt::get(size, (uint64_t)bytes)),
      b.CreateICmpSLT(extra, b.getInt32(0)));
  b.CreateRet(b.CreateSelect(exact, b.getInt32(0),
                             llvm::ConstantInt::getSigned(i32, -1)));
}

} // namespace adjoint
