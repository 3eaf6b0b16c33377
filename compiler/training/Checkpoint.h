//===- Checkpoint.h - Where a training run stands, on disk ------*- C++ -*-===//
//
// A checkpoint holds everything that makes a resumed run take exactly the
// steps an uninterrupted one would: the parameters, the optimizer state,
// the number of steps taken (which dropout's masks and Adam's bias
// correction read), the epoch and the step within it, the order of the
// epoch's examples and the state of the generator that shuffles the next.
// It is a directory:
//
//   CKPT/model.pb            the model with the current parameters (any
//                            command takes it)
//   CKPT/optimizer/NAME.npy  each optimizer state tensor (Trainer names)
//   CKPT/loop.npy            i64 [steps, epoch, step in epoch, batch,
//                            examples per epoch]
//   CKPT/order.npy           i64 [examples]: the epoch's order
//   CKPT/rng.txt             the shuffling generator (std::mt19937_64)
//
// It is written into CKPT.tmp and then moved into place, so that a run
// interrupted while writing leaves the previous checkpoint whole.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"
#include "ir/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace adjoint {

struct Checkpoint {
  Model model;
  std::map<std::string, Tensor> optimizer;
  int64_t steps = 0;          ///< steps taken since the start of training
  int64_t epoch = 0;          ///< the epoch under way, from 0
  int64_t stepInEpoch = 0;    ///< the next step of that epoch, from 0
  int64_t batch = 0;          ///< examples per step
  std::vector<int64_t> order; ///< the epoch's order of the examples
  std::string rng;            ///< the generator, as operator<< writes it
};

/// Writes `c` to directory `dir`, replacing what is there.
void writeCheckpoint(const std::string &dir, const Checkpoint &c);

/// Reads a checkpoint; BadInput naming the file for anything missing or
/// malformed.
Checkpoint readCheckpoint(const std::string &dir);

} // namespace adjoint
