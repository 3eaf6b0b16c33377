//===- Profile.h - Time spent in each kernel of a compiled graph ----------===//
//
// A graph compiled with CompileOptions::profile calls adjoint_profile_mark
// with a group's number before each group's kernels, and with -1 after the
// last: the time between two marks is the group's. Executable::run installs
// a recorder on its thread for the run; the marks of a graph compiled
// without profiling never exist.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

extern "C" {
/// Ends the current group's time, if any, and starts group's (-1: none).
void adjoint_profile_mark(int64_t group);
}

namespace adjoint::profile {

/// Adds each group's time of the runs made while it is installed to
/// `seconds` (indexed by group number).
class Recorder {
public:
  explicit Recorder(std::vector<double> &seconds);
  ~Recorder();
  Recorder(const Recorder &) = delete;
  Recorder &operator=(const Recorder &) = delete;

  void mark(int64_t group);

private:
  std::vector<double> &seconds_;
  int64_t current_ = -1;
  std::chrono::steady_clock::time_point since_;
  Recorder *previous_;
};

} // namespace adjoint::profile
