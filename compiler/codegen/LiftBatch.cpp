//===- LiftBatch.cpp - One module for every batch from modules at a few ---===//
#include "compiler/codegen/LiftBatch.h"

#include "ir/Error.h"

#include <llvm/ADT/DenseMap.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>

#include <bit>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace adjoint::codegen {

namespace {

/// A constant as a function of the batch N.
struct BatchFormula {
  /// a + b*N; a float constant is that integer converted.
  int64_t a = 0, b = 0;
  /// For a float: k / (a + b*N), divided in double and rounded to the
  /// constant's type (`viaDouble`, as the compiler computes such constants)
  /// or divided in that type.
  bool reciprocal = false;
  double k = 0;
  bool viaDouble = false;
};

/// The value `f` gives at batch `n` for a constant of (scalar) type `t`.
llvm::Constant *evaluate(const BatchFormula &f, int64_t n, llvm::Type *t) {
  int64_t affine = f.a + f.b * n;
  if (t->isIntegerTy())
    return llvm::ConstantInt::get(t, (uint64_t)affine, /*isSigned=*/true);
  if (!f.reciprocal)
    return llvm::ConstantFP::get(t, t->isFloatTy() ? (double)(float)affine
                                                   : (double)affine);
  if (t->isDoubleTy() || f.viaDouble) {
    double q = f.k / (double)affine;
    return llvm::ConstantFP::get(t, t->isFloatTy() ? (double)(float)q : q);
  }
  return llvm::ConstantFP::get(t, (double)((float)f.k / (float)affine));
}

/// The formula that gives `values` at `batches`, if there is one.
std::optional<BatchFormula> fit(llvm::ArrayRef<int64_t> batches,
                                llvm::ArrayRef<llvm::Constant *> values) {
  llvm::Type *t = values[0]->getType();
  auto matches = [&](const BatchFormula &f) {
    for (size_t i = 0; i < batches.size(); ++i)
      if (evaluate(f, batches[i], t) != values[i])
        return false;
    return true;
  };
  // a + b*N through two samples: the others must agree.
  auto affineThrough = [&](double v0,
                           double v1) -> std::optional<BatchFormula> {
    if (std::abs(v0) > 0x1p52 || std::abs(v1) > 0x1p52 ||
        v0 != std::trunc(v0) || v1 != std::trunc(v1))
      return std::nullopt;
    int64_t d = (int64_t)v1 - (int64_t)v0, ds = batches[1] - batches[0];
    if (d % ds != 0)
      return std::nullopt;
    BatchFormula f;
    f.b = d / ds;
    f.a = (int64_t)v0 - f.b * batches[0];
    return f;
  };
  if (auto *i0 = llvm::dyn_cast<llvm::ConstantInt>(values[0])) {
    if (t->getIntegerBitWidth() < 8)
      return std::nullopt; // a flag that the batch decides
    auto i1 = llvm::cast<llvm::ConstantInt>(values[1]);
    auto f =
        affineThrough((double)i0->getSExtValue(), (double)i1->getSExtValue());
    if (f && matches(*f))
      return f;
    return std::nullopt;
  }
  auto *f0 = llvm::dyn_cast<llvm::ConstantFP>(values[0]);
  if (!f0 || !(t->isFloatTy() || t->isDoubleTy()))
    return std::nullopt;
  double v0 = f0->getValueAPF().convertToDouble();
  double v1 =
      llvm::cast<llvm::ConstantFP>(values[1])->getValueAPF().convertToDouble();
  if (auto f = affineThrough(v0, v1); f && matches(*f))
    return f;
  if (v0 == 0 || v1 == 0)
    return std::nullopt;
  // k / (a + b*N): the divisor through two samples for a few numerators.
  for (double k : {1.0, -1.0, std::round(v0 * (double)batches[0])}) {
    if (k == 0)
      continue;
    auto f = affineThrough(std::round(k / v0), std::round(k / v1));
    if (!f)
      continue;
    f->reciprocal = true;
    f->k = k;
    for (bool viaDouble : {true, false}) {
      f->viaDouble = viaDouble;
      if (matches(*f))
        return f;
    }
  }
  return std::nullopt;
}

/// The scalar behind a constant: itself, or a splat's element.
llvm::Constant *scalarOf(llvm::Constant *c) {
  if (c->getType()->isVectorTy())
    return c->getSplatValue();
  return c;
}

/// `f` at run time for a constant of type `t` (a scalar or a splat).
llvm::Value *emitFormula(llvm::IRBuilder<> &b, const BatchFormula &f,
                         llvm::Value *batch, llvm::Type *t) {
  if (auto *vt = llvm::dyn_cast<llvm::VectorType>(t))
    return b.CreateVectorSplat(vt->getElementCount(),
                               emitFormula(b, f, batch, vt->getElementType()));
  llvm::Value *affine = b.CreateAdd(b.CreateMul(batch, b.getInt64(f.b)),
                                    b.getInt64(f.a), "batch.affine");
  if (t->isIntegerTy())
    return b.CreateSExtOrTrunc(affine, t);
  if (!f.reciprocal)
    return b.CreateSIToFP(affine, t);
  if (t->isDoubleTy() || f.viaDouble) {
    llvm::Type *f64 = b.getDoubleTy();
    llvm::Value *q = b.CreateFDiv(llvm::ConstantFP::get(f64, f.k),
                                  b.CreateSIToFP(affine, f64));
    return t->isDoubleTy() ? q : b.CreateFPTrunc(q, t);
  }
  return b.CreateFDiv(llvm::ConstantFP::get(t, f.k), b.CreateSIToFP(affine, t));
}

/// An integer or float constant, or a splat of one.
bool isNumber(llvm::Value *v) {
  auto *c = llvm::dyn_cast<llvm::Constant>(v);
  if (!c || llvm::isa<llvm::GlobalValue>(c))
    return false;
  c = scalarOf(c);
  return c && llvm::isa<llvm::ConstantInt, llvm::ConstantFP>(c);
}

std::string text(const llvm::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  v.print(os);
  return s;
}

[[noreturn]] void differs(const llvm::Function &f, const std::string &what) {
  failed("the code of kernel ", f.getName().str(),
         " depends on the batch in a way it cannot compute at run time (", what,
         "); compile the model at a fixed batch (--batch B)");
}

/// Numbers the arguments, blocks and instructions of a function, so that
/// those of two samples correspond by number.
llvm::DenseMap<const llvm::Value *, unsigned> number(const llvm::Function &f) {
  llvm::DenseMap<const llvm::Value *, unsigned> n;
  for (const llvm::Argument &a : f.args())
    n[&a] = n.size();
  for (const llvm::BasicBlock &bb : f) {
    n[&bb] = n.size();
    for (const llvm::Instruction &i : bb)
      n[&i] = n.size();
  }
  return n;
}

/// One operand of an instruction of the first sample whose constant
/// differs between samples, with its value in each.
struct ConstantDiff {
  llvm::Instruction *inst;
  unsigned operand;
  std::vector<llvm::Constant *> values;
};

/// Whether two operands at the same place of two samples are the same:
/// the same global by name, the same local by number, or constants that
/// print the same (they may name globals of their own module).
bool sameOperand(const llvm::Value *x, const llvm::Value *y,
                 const llvm::DenseMap<const llvm::Value *, unsigned> &nx,
                 const llvm::DenseMap<const llvm::Value *, unsigned> &ny) {
  if (x == y)
    return true;
  if (auto *gx = llvm::dyn_cast<llvm::GlobalValue>(x)) {
    auto *gy = llvm::dyn_cast<llvm::GlobalValue>(y);
    return gy && gx->getName() == gy->getName();
  }
  auto ix = nx.find(x), iy = ny.find(y);
  if (ix != nx.end() || iy != ny.end())
    return ix != nx.end() && iy != ny.end() && ix->second == iy->second;
  return text(*x) == text(*y);
}

/// Compares function `f` of the first sample with its namesakes `others`
/// and appends the constants that differ to `diffs`.
void compareFunction(llvm::Function &f, llvm::ArrayRef<llvm::Function *> others,
                     std::vector<ConstantDiff> &diffs) {
  auto nf = number(f);
  std::vector<llvm::DenseMap<const llvm::Value *, unsigned>> no;
  std::vector<std::vector<llvm::Instruction *>> insts;
  for (llvm::Function *o : others) {
    no.push_back(number(*o));
    if (o->size() != f.size() || o->arg_size() != f.arg_size())
      differs(f, "its blocks differ");
    insts.emplace_back();
    for (llvm::BasicBlock &bb : *o)
      for (llvm::Instruction &i : bb)
        insts.back().push_back(&i);
  }
  size_t at = 0;
  for (llvm::BasicBlock &bb : f)
    for (llvm::Instruction &i : bb) {
      for (size_t s = 0; s < others.size(); ++s) {
        if (at >= insts[s].size() || !i.isSameOperationAs(insts[s][at]) ||
            nf.at(&bb) != no[s].at(insts[s][at]->getParent()))
          differs(f, "at " + text(i));
      }
      for (unsigned op = 0; op < i.getNumOperands(); ++op) {
        llvm::Value *x = i.getOperand(op);
        std::vector<llvm::Constant *> values = {
            llvm::dyn_cast<llvm::Constant>(x)};
        bool same = true;
        for (size_t s = 0; s < others.size(); ++s) {
          llvm::Value *y = insts[s][at]->getOperand(op);
          values.push_back(llvm::dyn_cast<llvm::Constant>(y));
          if (x == y)
            continue;
          if (isNumber(x) && isNumber(y))
            same = false;
          else if (!sameOperand(x, y, nf, no[s]))
            differs(f, "at " + text(i));
        }
        if (!same)
          diffs.push_back({&i, op, std::move(values)});
      }
      if (auto *phi = llvm::dyn_cast<llvm::PHINode>(&i))
        for (size_t s = 0; s < others.size(); ++s)
          for (unsigned k = 0; k < phi->getNumIncomingValues(); ++k)
            if (nf.at(phi->getIncomingBlock(k)) !=
                no[s].at(llvm::cast<llvm::PHINode>(insts[s][at])
                             ->getIncomingBlock(k)))
              differs(f, "at " + text(i));
      ++at;
    }
  for (auto &list : insts)
    if (list.size() != at)
      differs(f, "its instructions differ");
}

/// Whether operand `op` of `inst` must stay a constant.
bool mustBeConstant(const llvm::Instruction &inst, unsigned op) {
  if (llvm::isa<llvm::SwitchInst, llvm::AllocaInst>(inst))
    return true;
  if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst))
    return op < call->arg_size() &&
           call->paramHasAttr(op, llvm::Attribute::ImmArg);
  return false;
}

} // namespace

void liftBatch(llvm::ArrayRef<BatchSample> samples, int batchSlot) {
  if (samples.size() < 3)
    internalError("liftBatch needs three samples or more");
  std::vector<int64_t> batches;
  for (const BatchSample &s : samples)
    batches.push_back(s.batch);
  llvm::Module &m = *samples[0].module;

  // Globals: constant data that depends on the batch must be a scalar.
  struct GlobalDiff {
    llvm::GlobalVariable *global;
    BatchFormula formula;
    llvm::Type *element;
  };
  std::vector<GlobalDiff> globals;
  for (llvm::GlobalVariable &g : m.globals()) {
    std::vector<llvm::Constant *> inits;
    bool same = true;
    for (const BatchSample &s : samples) {
      llvm::GlobalVariable *o = s.module->getGlobalVariable(g.getName(), true);
      if (!o || o->hasInitializer() != g.hasInitializer())
        failed("the module at batch ", s.batch, " lacks the global ",
               g.getName().str());
      inits.push_back(o->hasInitializer() ? o->getInitializer() : nullptr);
      same &= inits.back() == inits[0];
    }
    if (same)
      continue;
    auto *array = llvm::dyn_cast<llvm::ArrayType>(g.getValueType());
    if (!array || array->getNumElements() != 1)
      failed("the constant ", g.getName().str(),
             " depends on the batch and is not a scalar; compile the model "
             "at a fixed batch (--batch B)");
    std::vector<llvm::Constant *> scalars;
    for (llvm::Constant *c : inits)
      scalars.push_back(c->getAggregateElement(0u));
    auto f = fit(batches, scalars);
    if (!f)
      failed("the constant ", g.getName().str(),
             " is not a function of the batch that code can compute");
    globals.push_back({&g, *f, array->getElementType()});
  }

  // Functions: the same code but for constants that are functions of the
  // batch.
  std::vector<ConstantDiff> diffs;
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    std::vector<llvm::Function *> others;
    for (size_t s = 1; s < samples.size(); ++s) {
      llvm::Function *o = samples[s].module->getFunction(f.getName());
      if (!o || o->isDeclaration())
        differs(f,
                "it is missing at batch " + std::to_string(samples[s].batch));
      others.push_back(o);
    }
    compareFunction(f, others, diffs);
  }
  for (const BatchSample &s : samples.drop_front())
    for (llvm::Function &f : *s.module)
      if (!f.isDeclaration() && !m.getFunction(f.getName()))
        differs(f, "it exists only at batch " + std::to_string(s.batch));

  // The batch in each function that needs it: a kernel's body has it as
  // its last argument; the entry and the kernels load it once from the
  // slots, their last argument.
  llvm::DenseMap<llvm::Function *, llvm::Value *> batchIn;
  auto batchOf = [&](llvm::Function *f) -> llvm::Value * {
    auto [it, fresh] = batchIn.try_emplace(f, nullptr);
    if (!fresh)
      return it->second;
    llvm::Argument *last =
        f->arg_size() ? f->getArg(f->arg_size() - 1) : nullptr;
    if (last && last->getType()->isIntegerTy(64))
      return it->second = last;
    if (!last || !last->getType()->isPointerTy())
      differs(*f, "it has no slots argument to read the batch from");
    llvm::BasicBlock &entry = f->getEntryBlock();
    llvm::IRBuilder<> b(&entry, entry.getFirstInsertionPt());
    llvm::Value *slots = f->getArg(f->arg_size() - 1);
    llvm::Value *cell = b.CreateLoad(
        b.getPtrTy(),
        b.CreateConstInBoundsGEP1_64(b.getPtrTy(), slots, (uint64_t)batchSlot));
    it->second = b.CreateLoad(b.getInt64Ty(), cell, "batch");
    return it->second;
  };

  for (ConstantDiff &d : diffs) {
    llvm::Function *f = d.inst->getFunction();
    if (mustBeConstant(*d.inst, d.operand))
      differs(*f, "an immediate operand of " + text(*d.inst));
    std::vector<llvm::Constant *> scalars;
    for (llvm::Constant *c : d.values)
      scalars.push_back(scalarOf(c));
    std::optional<BatchFormula> formula =
        llvm::all_of(scalars, [](llvm::Constant *c) { return c != nullptr; })
            ? fit(batches, scalars)
            : std::nullopt;
    if (!formula)
      differs(*f, "a constant of " + text(*d.inst) + " that is not a + b*N");
    llvm::Value *batch = batchOf(f);
    llvm::Instruction *where = d.inst;
    if (auto *phi = llvm::dyn_cast<llvm::PHINode>(d.inst))
      where = phi->getIncomingBlock(d.operand)->getTerminator();
    llvm::IRBuilder<> b(where);
    d.inst->setOperand(d.operand,
                       emitFormula(b, *formula, batch, d.values[0]->getType()));
  }

  // Scalar constants of the batch: a stack copy in each function reading
  // one, filled at its entry.
  for (GlobalDiff &gd : globals) {
    std::vector<llvm::Instruction *> users;
    for (llvm::User *u : gd.global->users()) {
      auto *inst = llvm::dyn_cast<llvm::Instruction>(u);
      if (!inst)
        failed("the constant ", gd.global->getName().str(),
               " depends on the batch and is used in a constant expression");
      users.push_back(inst);
    }
    llvm::DenseMap<llvm::Function *, llvm::Value *> copyIn;
    for (llvm::Instruction *inst : users) {
      llvm::Function *f = inst->getFunction();
      llvm::Value *&copy = copyIn[f];
      if (!copy) {
        llvm::Value *batch = batchOf(f);
        llvm::BasicBlock &entry = f->getEntryBlock();
        llvm::IRBuilder<> b(&entry, entry.getFirstInsertionPt());
        if (auto *load = llvm::dyn_cast<llvm::Instruction>(batch))
          b.SetInsertPoint(load->getNextNode());
        auto *slot = b.CreateAlloca(gd.global->getValueType(), nullptr,
                                    gd.global->getName() + ".at_batch");
        slot->setAlignment(gd.global->getAlign().valueOrOne());
        b.CreateStore(emitFormula(b, gd.formula, batch, gd.element), slot);
        copy = slot;
      }
      inst->replaceUsesOfWith(gd.global, copy);
    }
    gd.global->eraseFromParent();
  }
}

} // namespace adjoint::codegen
