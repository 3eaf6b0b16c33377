//===- BatchLowering.h - A graph with a symbolic batch, compiled once -----===//
//
// A graph whose inputs share one symbolic dimension, its batch N, compiles
// to one module that runs at every batch:
//
// - The pipeline runs on the graph bound at a few sample batches
//   (codegen::kBatchSamples); its decisions (simplification, fusion) must
//   not depend on the batch, and the graphs and plans must correspond node
//   for node.
// - The memory plan is a function of the batch. Buffers whose size does
//   not depend on it are planned as usual at the bottom of the arena; those
//   that grow with it are planned above, by their bytes per example, so
//   that at batch N each sits at fixed + offset * N and the arena has
//   fixed + perExample * N bytes (every term 64-byte aligned).
// - Code generation emits each sample into one LLVMContext, and
//   codegen::liftBatch merges them into code that reads N at run time.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/Lowering.h"

namespace adjoint {

/// The bytes of a tensor of type `t` as a function of the batch: its
/// dimensions are static or a multiple of the one symbol.
BatchBytes bytesOf(const TensorType &t);

/// Lowers `input` (verified, with one symbol) for every batch, optimized
/// for `tm`; fills `dump` with the stages at the first sample batch and the
/// code for every batch. Throws BadInput when the inputs have more than one
/// symbol, and Failed, naming the node or kernel, when code or memory
/// depend on the batch in a way that cannot be computed at run time.
Lowered lowerForEveryBatch(const Graph &input, const CompileOptions &options,
                           CompileDump *dump, llvm::TargetMachine &tm);

} // namespace adjoint
