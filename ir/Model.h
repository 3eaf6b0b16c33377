//===- Model.h - A model: a graph plus how it trains ----------------------===//
#pragma once

#include "ir/Graph.h"

#include <optional>
#include <string>

namespace adjoint {

/// How a model trains (filled in by the autodiff and training features).
struct TrainingSpec {
  std::string loss; ///< the name of a scalar output
  bool operator==(const TrainingSpec &) const = default;
};

/// What a model file holds.
struct Model {
  Graph graph;
  std::optional<TrainingSpec> training;
};

/// The current model format version, written to every file.
inline constexpr uint32_t kFormatVersion = 1;

} // namespace adjoint
