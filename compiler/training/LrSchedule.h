//===- LrSchedule.h - The learning rate as a function of the step -*- C++
//-*-===//
//
// A schedule scales an optimizer's learning rate lr with the number of
// steps taken t (from 0): first a linear warm-up, then a decay,
//
//   warm-up    t < W:  lr * (t + 1) / W
//   then u = t - W:
//   constant           lr
//   step               lr * rate^floor(u / D)
//   exponential        lr * rate^(u / D)
//   cosine             lr * (m + (1 - m) * (1 + cos(pi * min(u, D) / D)) / 2)
//
// with D the decay steps and m the cosine's floor (a fraction of lr). The
// Trainer feeds the scheduled rate to the step as an input, so a schedule
// costs no recompilation (TrainerOptions::schedule).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace adjoint {

struct LrSchedule {
  enum class Kind { Constant, Step, Exponential, Cosine };
  Kind kind = Kind::Constant;
  int64_t warmupSteps = 0;
  int64_t decaySteps = 1; ///< D, at least 1
  double rate = 0.1;      ///< step and exponential
  double minimum = 0;     ///< cosine: the floor, a fraction of lr
};

/// The learning rate of step `t` (from 0) for a base rate `lr`.
double scheduledLr(const LrSchedule &schedule, double lr, int64_t t);

/// The kind called `name` (constant, step, exponential, cosine), if any.
std::optional<LrSchedule::Kind> parseLrScheduleKind(std::string_view name);

/// Throws BadInput unless the schedule's numbers are in range: warm-up >=
/// 0, decay steps >= 1, rate in (0, 1], minimum in [0, 1].
void checkLrSchedule(const LrSchedule &schedule);

} // namespace adjoint
