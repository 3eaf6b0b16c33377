//===- Profile.cpp - Time spent in each kernel of a compiled graph --------===//
#include "compiler/Profile.h"

namespace adjoint::profile {
namespace {
/// The recorder of the run in progress on this thread.
thread_local Recorder *tActive = nullptr;
} // namespace

Recorder::Recorder(std::vector<double> &seconds)
    : seconds_(seconds), previous_(tActive) {
  tActive = this;
}

Recorder::~Recorder() {
  mark(-1);
  tActive = previous_;
}

void Recorder::mark(int64_t group) {
  auto now = std::chrono::steady_clock::now();
  if (current_ >= 0 && current_ < (int64_t)seconds_.size())
    seconds_[current_] += std::chrono::duration<double>(now - since_).count();
  current_ = group;
  since_ = now;
}

} // namespace adjoint::profile

extern "C" void adjoint_profile_mark(int64_t group) {
  if (adjoint::profile::tActive)
    adjoint::profile::tActive->mark(group);
}
