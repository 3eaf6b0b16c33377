//===- DatasetTest.cpp - Fashion-MNIST IDX files and .npy directories -----===//
//
// The IDX tests write small files themselves (gzip-compressed with zlib);
// the last test reads the real Fashion-MNIST where Debian's
// dataset-fashion-mnist package installed it.
//
//===----------------------------------------------------------------------===//
#include "compiler/training/Dataset.h"

#include "ir/Error.h"
#include "ir/NpyFile.h"
#include "tests/support/TempDir.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace adjoint;
using adjoint::testing::TempDir;

namespace {

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "in: " << (haystack)

/// `data` compressed as one gzip member.
std::string gzip(const std::string &data) {
  z_stream zs{};
  // 15 + 16: the largest window, with a gzip header and trailer.
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = (Bytef *)data.data();
  zs.avail_in = (uInt)data.size();
  zs.next_out = (Bytef *)out.data();
  zs.avail_out = (uInt)out.size();
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void putBigEndian(std::string &out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += (char)(v >> shift);
}

/// An IDX file of unsigned bytes: magic, dimensions, then `data`.
std::string idx(std::vector<uint32_t> dims, const std::string &data,
                uint32_t magic = 0) {
  std::string out;
  putBigEndian(out, magic ? magic : 0x0800u | (uint32_t)dims.size());
  for (uint32_t d : dims)
    putBigEndian(out, d);
  return out + data;
}

/// `n` images of 28x28 whose pixel j of image i is (i * 784 + j) % 251.
std::string pixels(uint32_t n, uint32_t side = 28) {
  std::string out;
  for (uint32_t i = 0; i < n * side * side; ++i)
    out += (char)(i % 251);
  return out;
}

std::string bytes(std::vector<uint8_t> v) {
  return std::string(v.begin(), v.end());
}

/// A directory holding a small valid Fashion-MNIST: 3 training images with
/// labels 0, 9, 3 and 2 test images with labels 1, 2.
struct SmallFashion {
  TempDir dir;
  SmallFashion() {
    write("train-images-idx3-ubyte", idx({3, 28, 28}, pixels(3)));
    write("train-labels-idx1-ubyte", idx({3}, bytes({0, 9, 3})));
    write("t10k-images-idx3-ubyte", idx({2, 28, 28}, pixels(2)));
    write("t10k-labels-idx1-ubyte", idx({2}, bytes({1, 2})));
  }
  /// Writes `name`.gz holding `contents` compressed.
  std::string write(const std::string &name, const std::string &contents) {
    return writeRaw(name + ".gz", gzip(contents));
  }
  std::string writeRaw(const std::string &name, const std::string &contents) {
    return dir.write(name, contents);
  }
  std::string path() const { return dir.path().string(); }
  /// The message of the BadInput error loading the directory throws.
  std::string error() const {
    try {
      loadFashionMnist(path());
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }
};

TEST(Dataset, LoadsFashionMnistIdxFiles) {
  SmallFashion f;
  Dataset d = loadFashionMnist(f.path());
  EXPECT_EQ(d.trainX.type(), (TensorType{DType::F32, {3, 1, 28, 28}}));
  EXPECT_EQ(d.trainY.type(), (TensorType{DType::I64, {3}}));
  EXPECT_EQ(d.testX.type(), (TensorType{DType::F32, {2, 1, 28, 28}}));
  EXPECT_EQ(d.numTrain(), 3);
  EXPECT_EQ(d.numTest(), 2);
  for (int64_t i : {0, 1, 250, 251, 784, 2351})
    EXPECT_EQ(d.trainX.data<float>()[i], (float)(i % 251) / 255.0f) << i;
  EXPECT_EQ(d.trainX.data<float>()[250], 250.0f / 255.0f);
  EXPECT_EQ(std::vector<int64_t>(d.trainY.span<int64_t>().begin(),
                                 d.trainY.span<int64_t>().end()),
            (std::vector<int64_t>{0, 9, 3}));
  EXPECT_EQ(d.testY.data<int64_t>()[1], 2);
}

TEST(Dataset, ReadsUncompressedIdxFilesToo) {
  SmallFashion f;
  std::filesystem::remove(f.dir.file("t10k-labels-idx1-ubyte.gz"));
  f.writeRaw("t10k-labels-idx1-ubyte", idx({2}, bytes({7, 8})));
  Dataset d = loadFashionMnist(f.path());
  EXPECT_EQ(d.testY.data<int64_t>()[0], 7);
  // A stream of two gzip members reads as their concatenation.
  std::string header = idx({2}, "");
  f.writeRaw("t10k-labels-idx1-ubyte.gz", gzip(header) + gzip(bytes({4, 5})));
  EXPECT_EQ(loadFashionMnist(f.path()).testY.data<int64_t>()[1], 5);
}

TEST(Dataset, ViewsExamplesAsRows) {
  SmallFashion f;
  Dataset d = loadFashionMnist(f.path());
  Tensor rows = viewExamples(d.trainX, {784});
  EXPECT_EQ(rows.shape(), (Shape{3, 784}));
  EXPECT_EQ(rows.bytes(), d.trainX.bytes()); // no copy
  EXPECT_EQ(viewExamples(rows, {1, 28, 28}).shape(), (Shape{3, 1, 28, 28}));
  try {
    viewExamples(d.trainX, {100});
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "examples of shape [1,28,28] (784 elements) "
                           "cannot be viewed as [100] (100 elements)");
  }
}

TEST(Dataset, MissingFilesAreNamed) {
  SmallFashion f;
  std::filesystem::remove(f.dir.file("t10k-images-idx3-ubyte.gz"));
  EXPECT_CONTAINS(f.error(), f.dir.file("t10k-images-idx3-ubyte.gz"));
  EXPECT_CONTAINS(f.error(), ": no such file");
  try {
    loadFashionMnist(f.dir.file("nowhere"));
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()),
              "Fashion-MNIST directory " + f.dir.file("nowhere") +
                  " does not exist (Debian's package dataset-fashion-mnist "
                  "installs it in /usr/share/datasets/fashion-mnist)");
  }
}

TEST(Dataset, WrongMagicNumbers) {
  SmallFashion f;
  // Labels where images belong.
  std::string path =
      f.write("train-images-idx3-ubyte", idx({3}, bytes({0, 1, 2})));
  EXPECT_EQ(f.error(), path + ": bad magic number 0x00000801; expected "
                              "0x00000803 (an IDX file of unsigned bytes "
                              "with 3 dimensions)");
  // Another element type (0x0D: float).
  path = f.write("train-labels-idx1-ubyte",
                 idx({3}, std::string(12, '\0'), 0x0D01));
  f.write("train-images-idx3-ubyte", idx({3, 28, 28}, pixels(3)));
  EXPECT_EQ(f.error(), path + ": bad magic number 0x00000d01; expected "
                              "0x00000801 (an IDX file of unsigned bytes "
                              "with 1 dimension)");
}

TEST(Dataset, TruncatedAndOverlongFiles) {
  SmallFashion f;
  std::string path = f.write("train-images-idx3-ubyte",
                             idx({3, 28, 28}, pixels(3)).substr(0, 1000));
  EXPECT_EQ(f.error(), path + ": truncated: dimensions [3,28,28] need 2352 "
                              "bytes of data, the file has 984");
  path = f.write("train-images-idx3-ubyte", idx({3, 28, 28}, "").substr(0, 10));
  EXPECT_EQ(f.error(), path + ": truncated: the IDX header needs 16 bytes, "
                              "the file has 10");
  path = f.write("train-images-idx3-ubyte", std::string(2, '\0'));
  EXPECT_EQ(f.error(),
            path + ": truncated: 2 bytes, too few for an IDX header");
  path = f.write("train-images-idx3-ubyte", idx({3, 28, 28}, pixels(3) + "xy"));
  EXPECT_EQ(f.error(),
            path + ": 2 bytes follow the data of dimensions [3,28,28]");
  // Huge dimensions neither overflow nor allocate.
  path = f.write("train-images-idx3-ubyte",
                 idx({0xffffffff, 0xffffffff, 0xffffffff}, "abc"));
  EXPECT_CONTAINS(f.error(), path + ": truncated: dimensions");
}

TEST(Dataset, MismatchedCountsDimsAndLabels) {
  SmallFashion f;
  std::string labels =
      f.write("train-labels-idx1-ubyte", idx({2}, bytes({0, 1})));
  EXPECT_EQ(f.error(), f.dir.file("train-images-idx3-ubyte.gz") +
                           " has 3 images but " + labels + " has 2 labels");
  f.write("train-labels-idx1-ubyte", idx({3}, bytes({0, 10, 1})));
  EXPECT_EQ(f.error(),
            labels + ": label 10 of example 1 is not a class from 0 to 9");
  f.write("train-labels-idx1-ubyte", idx({3}, bytes({0, 1, 2})));
  std::string images =
      f.write("train-images-idx3-ubyte", idx({3, 32, 32}, pixels(3, 32)));
  EXPECT_EQ(f.error(),
            images + ": images are 32x32; Fashion-MNIST's are 28x28");
}

TEST(Dataset, DimensionsThatOverflowBesideAZeroAreAnError) {
  // 0xffff4f30 x 0x80283f60 x 0 images: no data, but strides of those
  // extents overflow (found by fuzz_ReadIdx).
  adjoint::testing::TempDir dir;
  std::string path = dir.file("images");
  std::string bytes = {0,      0,    8,    3,    '\xff', '\xff', 0x4f, 0x30,
                       '\x80', 0x28, 0x3f, 0x60, 0,      0,      0,    0};
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    readIdxFile(path, 3);
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("more elements or bytes than fit"),
              std::string::npos)
        << e.what();
  }
}

TEST(Dataset, CorruptGzipStreams) {
  SmallFashion f;
  std::string good = gzip(idx({3}, bytes({0, 1, 2})));
  std::string path = f.dir.file("train-labels-idx1-ubyte.gz");
  f.writeRaw("train-labels-idx1-ubyte.gz", good.substr(0, good.size() - 6));
  EXPECT_EQ(f.error(), path + ": truncated gzip stream");
  // Shorter than a gzip header and trailer (found by fuzz_ReadIdx: the
  // trailer's size field was read before the buffer).
  f.writeRaw("train-labels-idx1-ubyte.gz", good.substr(0, 3));
  EXPECT_EQ(f.error(), path + ": truncated gzip stream (3 bytes)");
  std::string badCrc = good;
  badCrc[badCrc.size() - 6] ^= 0x55; // inside the CRC-32 of the trailer
  f.writeRaw("train-labels-idx1-ubyte.gz", badCrc);
  EXPECT_EQ(f.error(), path + ": corrupt gzip stream (incorrect data check)");
  std::string garbage = good.substr(0, 10) + std::string(20, '\xff');
  f.writeRaw("train-labels-idx1-ubyte.gz", garbage);
  EXPECT_CONTAINS(f.error(), path + ": corrupt gzip stream (");
}

/// Writes `t` as `name` in `dir`.
void npy(const TempDir &dir, const std::string &name, DType dtype,
         Shape shape) {
  Tensor t({dtype, shape});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, (double)i);
  writeNpy(dir.file(name), t);
}

std::string npyError(const TempDir &dir) {
  try {
    loadNpyDataset(dir.path().string());
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Dataset, LoadsNpyDirectories) {
  TempDir dir;
  npy(dir, "x.npy", DType::F32, {5, 4});
  npy(dir, "y.npy", DType::I64, {5});
  Dataset d = loadNpyDataset(dir.path().string());
  EXPECT_EQ(d.trainX.type(), (TensorType{DType::F32, {5, 4}}));
  EXPECT_EQ(d.trainY.data<int64_t>()[4], 4);
  // No test split: empty arrays of the same kind.
  EXPECT_EQ(d.testX.type(), (TensorType{DType::F32, {0, 4}}));
  EXPECT_EQ(d.testY.type(), (TensorType{DType::I64, {0}}));
  npy(dir, "x_test.npy", DType::F32, {2, 4});
  npy(dir, "y_test.npy", DType::I64, {2});
  d = loadNpyDataset(dir.path().string());
  EXPECT_EQ(d.numTest(), 2);
  EXPECT_EQ(d.testX.data<float>()[7], 7.0f);
}

TEST(Dataset, NpyErrors) {
  TempDir dir;
  EXPECT_EQ(npyError(dir).find(dir.file("x.npy")), 0u);
  npy(dir, "x.npy", DType::F32, {5, 4});
  npy(dir, "y.npy", DType::I64, {4});
  EXPECT_EQ(npyError(dir), dir.file("x.npy") + " has 5 examples but " +
                               dir.file("y.npy") + " has 4");
  npy(dir, "y.npy", DType::I64, {});
  EXPECT_EQ(npyError(dir), dir.file("y.npy") +
                               ": expected an array with a leading (example) "
                               "dimension, not a scalar i64[]");
  npy(dir, "y.npy", DType::I64, {5});
  npy(dir, "x_test.npy", DType::F32, {2, 4});
  EXPECT_EQ(npyError(dir), dir.file("x_test.npy") + " needs " +
                               dir.file("y_test.npy") + " beside it");
  npy(dir, "y_test.npy", DType::I64, {2});
  npy(dir, "x_test.npy", DType::F32, {2, 3});
  EXPECT_EQ(npyError(dir), dir.file("x_test.npy") +
                               " f32[2,3] must hold examples like those of " +
                               dir.file("x.npy") + " f32[5,4]: f32 [4]");
  npy(dir, "x_test.npy", DType::F32, {2, 4});
  npy(dir, "y_test.npy", DType::I32, {2});
  EXPECT_EQ(npyError(dir), dir.file("y_test.npy") +
                               " i32[2] must hold examples like those of " +
                               dir.file("y.npy") + " i64[5]: i64 []");
  try {
    loadNpyDataset(dir.file("nowhere"));
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()),
              "data directory " + dir.file("nowhere") + " does not exist");
  }
}

TEST(Dataset, RealFashionMnist) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) +
                               "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset d = loadFashionMnist();
  ASSERT_EQ(d.trainX.type(), (TensorType{DType::F32, {60000, 1, 28, 28}}));
  ASSERT_EQ(d.testX.type(), (TensorType{DType::F32, {10000, 1, 28, 28}}));
  ASSERT_EQ(d.testY.type(), (TensorType{DType::I64, {10000}}));
  std::vector<int64_t> train(10), test(10);
  for (int64_t y : d.trainY.span<int64_t>())
    ++train[y];
  for (int64_t y : d.testY.span<int64_t>())
    ++test[y];
  EXPECT_EQ(train, std::vector<int64_t>(10, 6000));
  EXPECT_EQ(test, std::vector<int64_t>(10, 1000));
  float lo = 1, hi = 0;
  for (float v : d.trainX.span<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

} // namespace
