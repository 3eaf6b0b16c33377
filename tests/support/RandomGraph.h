//===- RandomGraph.h - Random valid models for property tests -*- C++ -*-===//
//
// randomModel(seed) builds a small, valid, random Model with the Builder, for
// tests that must hold for every model: text, .pb and .pbtxt round trips,
// interpreter properties, and later JIT-versus-interpreter comparisons.
//
// What a model holds:
//  - 1 to 11 nodes with ops drawn from the whole op table. The first node's
//    op is allOps()[seed % allOps().size()], so seeds 0..N-1 (N ops) contain
//    every op, and a few hundred consecutive seeds contain each many times.
//  - Operands are earlier values (which chains ops) or fresh sources: inputs,
//    parameters (literal data or an initializer recipe with only the fields
//    its kind uses) and constants, of every dtype (f32 most often).
//  - Shapes of rank 0 to 4 (now and then up to 8) with small extents and
//    sometimes a zero extent; binary ops broadcast in both directions.
//  - Attributes valid for their operands: negative axes, absent optional
//    attributes, defaults sometimes written out, slices with clamped and
//    reversed ranges, conv2d with groups, strides, dilations and padding;
//    gradient ops whose dy has exactly the forward op's result shape.
//  - Literal data of every dtype, including for floats NaN (with payloads),
//    infinities, -0.0, subnormals and random bit patterns.
//  - Names: mostly generated, sometimes ones that must be quoted in text.
//  - One to three outputs, named like their value or not, and in about a
//    quarter of the models a training spec whose loss is a scalar float
//    output made by reduce_sum.
//
// Guarantees: the model verifies; the same seed gives the same model on
// every machine; every value has at most a few thousand elements (those
// above 512 are never reused as operands). Gather and scatter_add indices
// are always constants or parameters whose values are in range, never
// inputs, so any values fed to the inputs run without a data-dependent error;
// randomInputs (RandomTensor.h) makes such values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <cstdint>

namespace adjoint::testing {

/// A random valid model, a pure function of `seed` (see the file comment).
Model randomModel(uint64_t seed);

} // namespace adjoint::testing
