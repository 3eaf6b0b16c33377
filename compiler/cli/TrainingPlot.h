//===- TrainingPlot.h - Loss and accuracy curves as SVG ---------*- C++ -*-===//
#pragma once

#include <string>
#include <vector>

namespace adjoint::cli {

/// What a training run records for its plot.
struct TrainingHistory {
  std::vector<double> stepLoss;      ///< training loss, one per logged step
  std::vector<double> stepAt;        ///< the epoch (fractional) of each
  std::vector<double> testLoss;      ///< one per finished epoch
  std::vector<double> testAccuracy;  ///< one per finished epoch, in [0, 1]
  std::vector<double> trainAccuracy; ///< one per finished epoch, in [0, 1]
};

/// Two panels side by side: loss against epochs (training steps and test
/// after each epoch) and accuracy against epochs; a self-contained SVG.
std::string plotTraining(const TrainingHistory &h, const std::string &title);

} // namespace adjoint::cli
