//===- Dataset.h - Fashion-MNIST and .npy training data ---------*- C++ -*-===//
//
// A Dataset holds the examples and targets of a training split and a test
// split as host tensors whose leading dimension counts examples. Two sources:
//
//  - Fashion-MNIST in its IDX files (gzip-compressed, as Debian's
//    dataset-fashion-mnist installs them): images become f32 [N, 1, 28, 28]
//    (NCHW, one grey channel) scaled from bytes to [0, 1] by x / 255, labels
//    i64 [N] in 0..9. viewExamples gives the flat [N, 784] rows an MLP
//    wants, without a copy.
//  - A directory of .npy files: x.npy and y.npy, plus x_test.npy and
//    y_test.npy when present, of any dtypes the .npy reader supports.
//
// Every problem (a missing file, a wrong magic number, a truncated file or
// gzip stream, counts of images and labels that differ, images that are not
// 28x28, labels out of range, mismatched shapes) is a BadInput error that
// names the file.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Tensor.h"

#include <string>

namespace adjoint {

/// Where Debian's dataset-fashion-mnist package installs the data.
inline constexpr const char *kFashionMnistDir =
    "/usr/share/datasets/fashion-mnist";

/// Examples and targets of a training and a test split.
struct Dataset {
  Tensor trainX, trainY; ///< [N, ...] examples and their targets
  /// [M, ...]; M = 0 (with the training split's dtypes and per-example
  /// shapes) when the source has no test split.
  Tensor testX, testY;

  int64_t numTrain() const { return trainX.shape()[0]; }
  int64_t numTest() const { return testX.shape()[0]; }
};

/// Reads Fashion-MNIST from `dir`: train-images-idx3-ubyte.gz,
/// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
/// t10k-labels-idx1-ubyte.gz (each may also be stored uncompressed, without
/// the .gz). Images are f32 [N, 1, 28, 28] in [0, 1]; labels i64 [N].
Dataset loadFashionMnist(const std::string &dir = kFashionMnistDir);

/// Reads x.npy and y.npy from `dir`, and x_test.npy and y_test.npy if both
/// are there. x and y need a leading dimension of one size; the test arrays
/// need the dtypes and per-example shapes of the training ones.
Dataset loadNpyDataset(const std::string &dir);

/// Reads an IDX file of unsigned bytes with `rank` dimensions (1 for labels,
/// 3 for images), gzip-compressed or not, as a u8 tensor of its dimensions.
Tensor readIdxFile(const std::string &path, size_t rank);

/// `x` [N, ...] with each example viewed as `exampleShape` (the same number
/// of elements): [N, 1, 28, 28] as [N, 784], say. Shares x's storage.
Tensor viewExamples(const Tensor &x, const Shape &exampleShape);

} // namespace adjoint
