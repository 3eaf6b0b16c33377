//===- Checkpoint.cpp - Where a training run stands, on disk --------------===//
#include "compiler/training/Checkpoint.h"

#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/ModelIO.h"
#include "ir/NpyFile.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace adjoint {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kLoopFields = 5;

Tensor int64Vector(const std::vector<int64_t> &v) {
  Tensor t(TensorType{DType::I64, {(int64_t)v.size()}});
  if (!v.empty())
    std::memcpy(t.bytes(), v.data(), t.byteSize());
  return t;
}

std::vector<int64_t> readInt64Vector(const fs::path &path) {
  Tensor t = readNpy(path.string());
  if (t.dtype() != DType::I64 || t.rank() != 1)
    badInput(path.string(), ": expected i64[n], found ", typeStr(t.type()));
  return std::vector<int64_t>(t.data<int64_t>(),
                              t.data<int64_t>() + t.numElements());
}

} // namespace

void writeCheckpoint(const std::string &dir, const Checkpoint &c) {
  fs::path final(dir), tmp(dir + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp / "optimizer", ec);
  if (ec)
    badInput("checkpoint ", dir, ": cannot create ", tmp.string(), ": ",
             ec.message());
  saveModel(c.model, (tmp / "model.pb").string());
  for (const auto &[name, value] : c.optimizer)
    writeNpy((tmp / "optimizer" / (name + ".npy")).string(), value);
  writeNpy((tmp / "loop.npy").string(),
           int64Vector({c.steps, c.epoch, c.stepInEpoch, c.batch,
                        (int64_t)c.order.size()}));
  writeNpy((tmp / "order.npy").string(), int64Vector(c.order));
  writeFileAtomically((tmp / "rng.txt").string(), c.rng);
  // The old checkpoint goes only once the new one is whole.
  fs::path old(dir + ".old");
  fs::remove_all(old, ec);
  if (fs::exists(final))
    fs::rename(final, old, ec);
  fs::rename(tmp, final, ec);
  if (ec)
    badInput("checkpoint ", dir, ": cannot move ", tmp.string(),
             " into place: ", ec.message());
  fs::remove_all(old, ec);
}

Checkpoint readCheckpoint(const std::string &dir) {
  fs::path d(dir);
  if (!fs::is_directory(d))
    badInput("checkpoint ", dir,
             ": not a directory (a checkpoint is one, "
             "written by adjoint train --checkpoint-every)");
  Checkpoint c;
  c.model = loadModel((d / "model.pb").string());
  std::vector<int64_t> loop = readInt64Vector(d / "loop.npy");
  if ((int64_t)loop.size() != kLoopFields)
    badInput((d / "loop.npy").string(), ": expected ", kLoopFields,
             " numbers, found ", loop.size());
  c.steps = loop[0];
  c.epoch = loop[1];
  c.stepInEpoch = loop[2];
  c.batch = loop[3];
  c.order = readInt64Vector(d / "order.npy");
  if ((int64_t)c.order.size() != loop[4] || c.steps < 0 || c.epoch < 0 ||
      c.stepInEpoch < 0 || c.batch <= 0)
    badInput("checkpoint ", dir,
             ": loop.npy and order.npy disagree or hold "
             "negative counts");
  std::ifstream rng(d / "rng.txt");
  std::stringstream text;
  text << rng.rdbuf();
  c.rng = text.str();
  if (c.rng.empty())
    badInput((d / "rng.txt").string(), ": missing or empty");
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(d / "optimizer", ec))
    if (entry.path().extension() == ".npy")
      c.optimizer[entry.path().stem().string()] =
          readNpy(entry.path().string());
  if (ec)
    badInput("checkpoint ", dir, ": cannot read ", (d / "optimizer").string(),
             ": ", ec.message());
  return c;
}

} // namespace adjoint
