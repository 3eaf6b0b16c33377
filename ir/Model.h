//===- Model.h - A model: a graph plus how it trains ----------------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/TrainingSpec.h"

#include <optional>

namespace adjoint {

/// What a model file holds.
struct Model {
  Graph graph;
  std::optional<TrainingSpec> training;
};

/// The current model format version, written to every file.
inline constexpr uint32_t kFormatVersion = 1;

} // namespace adjoint
