//===- SymbolicDimTest.cpp - Symbolic extents and their arithmetic --------===//
#include "ir/SymbolicDim.h"
#include "ir/Error.h"
#include "ir/TensorType.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

int64_t sym(const char *name, int64_t c = 1) {
  return symbolicDim(internSymbol(name), c);
}

TEST(SymbolicDim, EncodesSymbolAndCoefficient) {
  int64_t n = sym("N"), n28 = sym("N", 28);
  EXPECT_TRUE(isSymbolic(n));
  EXPECT_FALSE(isSymbolic(0));
  EXPECT_FALSE(isSymbolic(-1)); // an invalid extent, not a symbol
  EXPECT_EQ(dimSymbol(n28), internSymbol("N"));
  EXPECT_EQ(dimCoefficient(n28), 28);
  EXPECT_NE(n, sym("M"));
  EXPECT_EQ(internSymbol("N"), internSymbol("N"));
  EXPECT_EQ(symbolName(internSymbol("batch_size")), "batch_size");
}

TEST(SymbolicDim, PrintsAndParses) {
  for (int64_t d : {sym("N"), sym("?"), sym("N", 28), sym("_t2", 3), 0L, 784L})
    EXPECT_EQ(parseDim(dimStr(d)), d) << dimStr(d);
  EXPECT_EQ(dimStr(sym("N", 28)), "N*28");
  EXPECT_EQ(dimStr(sym("?")), "?");
  for (const char *bad :
       {"", "N*", "N*0", "*3", "3*N", "N*-2", "1N", "-5", "N*M", "a-b", "??"})
    EXPECT_FALSE(parseDim(bad)) << bad;
  EXPECT_EQ(shapeStr({sym("N"), 1, 28, 28}), "[N,1,28,28]");
}

TEST(SymbolicDim, Arithmetic) {
  int64_t n = sym("N"), m = sym("M");
  EXPECT_EQ(mulDims(n, 28), sym("N", 28));
  EXPECT_EQ(mulDims(3, 4), 12);
  EXPECT_EQ(mulDims(n, 0), 0);
  EXPECT_FALSE(mulDims(n, n));
  EXPECT_FALSE(mulDims(sym("N", kMaxSymbolCoefficient), 2));
  EXPECT_EQ(productOfDims({n, 1, 28, 28}), sym("N", 784));
  EXPECT_EQ(productOfDims({n, 0, m}), 0);
  EXPECT_FALSE(productOfDims({n, 2, m}));
  EXPECT_EQ(addDims(n, sym("N", 2)), sym("N", 3));
  EXPECT_FALSE(addDims(n, 3));
  EXPECT_FALSE(addDims(n, m));
  EXPECT_EQ(divDims(sym("N", 784), 784), n);
  EXPECT_EQ(divDims(sym("N", 784), 28), sym("N", 28));
  EXPECT_FALSE(divDims(sym("N", 10), 3));
  EXPECT_EQ(divDims(sym("N", 6), sym("N", 2)), 3);
  EXPECT_FALSE(divDims(12, n));
  EXPECT_FALSE(divDims(n, m));
  EXPECT_FALSE(divDims(5, 0));
}

TEST(SymbolicDim, BindsAndUnifies) {
  SymbolValues v{{internSymbol("N"), 64}};
  EXPECT_EQ(bindShape({sym("N"), sym("N", 3), 5}, v), (Shape{64, 192, 5}));
  EXPECT_THROW(bindDim(sym("T"), v), Error);

  SymbolValues got;
  unifyShape({sym("N"), 784}, {7, 784}, got, "input %x");
  EXPECT_EQ(got.at(internSymbol("N")), 7);
  unifyShape({sym("N", 2)}, {14}, got, "input %y"); // agrees: N = 7
  try {
    unifyShape({sym("N")}, {8}, got, "input %z");
    FAIL() << "N = 8 after N = 7";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("N = 7"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(unifyShape({sym("N"), 784}, {7, 783}, got, "x"), Error);
  EXPECT_THROW(unifyShape({sym("N")}, {7, 1}, got, "x"), Error);
  EXPECT_THROW(unifyShape({sym("K", 2)}, {7}, got, "x"), Error);
}

TEST(SymbolicDim, CheckShapeCountsSymbolsAsOne) {
  EXPECT_NO_THROW(checkShape({sym("N"), 1 << 20}, 4, "t"));
  EXPECT_THROW(checkShape({-1, 3}, 4, "t"), Error);
  EXPECT_THROW(
      checkShape({sym("N", kMaxSymbolCoefficient), INT64_MAX / 2}, 4, "t"),
      Error);
}

} // namespace
