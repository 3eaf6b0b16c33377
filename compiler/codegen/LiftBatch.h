//===- LiftBatch.h - One module for every batch from modules at a few -----===//
//
// A graph whose batch is symbolic compiles once for every batch. Its
// pipeline and code generation run at a few sample batches, into one
// LLVMContext; the modules they give differ only in constants that depend
// on the batch: loop bounds, strides and row counts, the m or k of a GEMM,
// the batch of a convolution, the mean's divisor, a loss gradient's -1/N.
// Lifting turns the first sample's module into code for every batch: each
// such constant becomes the same function of the batch, computed from the
// batch the kernel reads at run time. Every other instruction is the
// static compile's, so that a batch runs the arithmetic its static compile
// runs, in the same order.
//
// The samples check one another: a constant must be the same affine
// function a + b*N at every sample (or k / (a + b*N) for a float), and the
// modules must otherwise be identical. Code whose shape depends on the
// batch in another way (a loop unrolled by the batch, a decision taken on
// it) differs between samples and is reported, naming the kernel, rather
// than lifted.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <llvm/ADT/ArrayRef.h>

#include <cstdint>

namespace llvm {
class Module;
} // namespace llvm

namespace adjoint::codegen {

/// A graph's module emitted at one sample batch.
struct BatchSample {
  int64_t batch = 0;
  llvm::Module *module = nullptr;
};

/// The sample batches lowering uses: small and large, odd and even, of
/// different residues modulo the vector widths and tile sizes, so that a
/// constant that is not affine in the batch shows up as one.
inline constexpr int64_t kBatchSamples[] = {5, 37, 90, 131};

/// Rewrites samples[0].module to run at any batch: the entry and the
/// kernels read the batch from the int64_t that slots[batchSlot] points to
/// (their last argument is the slots), and the kernels' bodies get it as
/// their last argument. All modules
/// must share one LLVMContext and come from the same graph and fusion plan
/// at different batches. Throws Failed naming the kernel and instruction
/// where the samples differ other than in such constants.
void liftBatch(llvm::ArrayRef<BatchSample> samples, int batchSlot);

} // namespace adjoint::codegen
