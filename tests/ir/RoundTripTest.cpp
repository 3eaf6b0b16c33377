//===- RoundTripTest.cpp - Models through all three file forms ------------===//
//
// Random models travel .pb -> .pbtxt -> .adj -> .pb and must come back
// unchanged, as must the shipped examples.
//
//===----------------------------------------------------------------------===//
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"
#include "tests/support/ModelCompare.h"
#include "tests/support/RandomGraph.h"
#include "tests/support/TempDir.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace adjoint;
using adjoint::testing::TempDir;

namespace {

/// Saves `m` in each form in turn, reloading after each, and checks that
/// the model and its text are unchanged.
void roundTrip(const Model &m, const TempDir &dir) {
  std::string text = printModel(m);
  const Model *current = &m;
  Model loaded;
  for (const char *ext : {".pb", ".pbtxt", ".adj", ".pb"}) {
    std::string path = dir.file(std::string("model") + ext);
    saveModel(*current, path);
    loaded = loadModel(path);
    ASSERT_EQ(adjoint::testing::modelDifference(m, loaded), "")
        << "after " << ext;
    ASSERT_EQ(printModel(loaded), text) << "after " << ext;
    current = &loaded;
  }
}

TEST(RoundTrip, RandomModelsThroughEveryForm) {
  TempDir dir;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    roundTrip(adjoint::testing::randomModel(seed), dir);
    if (HasFatalFailure())
      return;
  }
}

TEST(RoundTrip, ShippedExamples) {
  TempDir dir;
  int count = 0;
  for (const auto &entry :
       std::filesystem::directory_iterator(ADJOINT_SOURCE_DIR "/examples")) {
    std::string ext = entry.path().extension().string();
    if (ext != ".pbtxt" && ext != ".pb" && ext != ".adj")
      continue;
    SCOPED_TRACE(entry.path().string());
    roundTrip(loadModel(entry.path().string()), dir);
    ++count;
  }
  EXPECT_GE(count, 3) << "expected the three example models";
}

} // namespace
