//===- LrSchedule.cpp - The learning rate as a function of the step -------===//
#include "compiler/training/LrSchedule.h"

#include "ir/Error.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace adjoint {

double scheduledLr(const LrSchedule &s, double lr, int64_t t) {
  if (t < s.warmupSteps)
    return lr * (double)(t + 1) / (double)s.warmupSteps;
  double u = (double)(t - s.warmupSteps), d = (double)s.decaySteps;
  switch (s.kind) {
  case LrSchedule::Kind::Constant:
    return lr;
  case LrSchedule::Kind::Step:
    return lr * std::pow(s.rate, std::floor(u / d));
  case LrSchedule::Kind::Exponential:
    return lr * std::pow(s.rate, u / d);
  case LrSchedule::Kind::Cosine:
    return lr * (s.minimum +
                 (1 - s.minimum) *
                     (1 + std::cos(std::numbers::pi * std::min(u, d) / d)) / 2);
  }
  return lr;
}

std::optional<LrSchedule::Kind> parseLrScheduleKind(std::string_view name) {
  if (name == "constant")
    return LrSchedule::Kind::Constant;
  if (name == "step")
    return LrSchedule::Kind::Step;
  if (name == "exponential")
    return LrSchedule::Kind::Exponential;
  if (name == "cosine")
    return LrSchedule::Kind::Cosine;
  return std::nullopt;
}

void checkLrSchedule(const LrSchedule &s) {
  if (s.warmupSteps < 0)
    badInput("learning-rate schedule: the warm-up is ", s.warmupSteps,
             " steps; it must not be negative");
  if (s.decaySteps < 1)
    badInput("learning-rate schedule: the decay takes ", s.decaySteps,
             " steps; it must take at least 1");
  if (!(s.rate > 0 && s.rate <= 1))
    badInput("learning-rate schedule: the rate is ", s.rate,
             "; it must be in (0, 1]");
  if (!(s.minimum >= 0 && s.minimum <= 1))
    badInput("learning-rate schedule: the cosine's floor is ", s.minimum,
             "; it must be in [0, 1]");
}

} // namespace adjoint
