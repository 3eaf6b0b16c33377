//===- classify.cpp - Fashion-MNIST through the compiled model's C++ class ===//
//
// Classifies the 10,000 Fashion-MNIST test images with the model that
// `adjoint compile` turned into fashion_mlp.o and fashion_mlp.h, through the
// header's C++ class adjoint_model::fashion_mlp (which owns the input and
// output buffers and the scratch arena at the batch it is given), and
// prints the accuracy. The model's batch is symbolic: one object runs the
// whole test set at once.
//
// Usage: classify_cpp [DIR]   DIR holds t10k-images-idx3-ubyte.gz and
//                             t10k-labels-idx1-ubyte.gz (default: Debian's
//                             /usr/share/datasets/fashion-mnist)
//
//===----------------------------------------------------------------------===//

#include "fashion_mlp.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr size_t kPixels = 28 * 28;
constexpr size_t kClasses = fashion_mlp_PROBS_BYTES(1) / sizeof(float);

/// The decompressed contents of gzip file `path`.
std::vector<unsigned char> readGzip(const std::string &path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"),
                                                  gzclose);
  if (!file)
    throw std::runtime_error("cannot open " + path);
  std::vector<unsigned char> data;
  unsigned char chunk[1 << 16];
  for (;;) {
    int got = gzread(file.get(), chunk, sizeof chunk);
    if (got < 0)
      throw std::runtime_error(path + " is not a valid gzip file");
    if (got == 0)
      return data;
    data.insert(data.end(), chunk, chunk + got);
  }
}

uint32_t bigEndian32(const unsigned char *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

/// The payload of IDX file `path` holding `rank`-d bytes, `itemBytes` bytes
/// per entry of the leading dimension.
std::vector<unsigned char> readIdx(const std::string &path, unsigned rank,
                                   size_t itemBytes) {
  std::vector<unsigned char> file = readGzip(path);
  size_t header = 4 + 4 * size_t(rank);
  if (file.size() < header || bigEndian32(file.data()) != (0x800u | rank))
    throw std::runtime_error(path + " is not an IDX file of " +
                             std::to_string(rank) + "-d bytes");
  size_t n = bigEndian32(file.data() + 4);
  if (file.size() - header != n * itemBytes)
    throw std::runtime_error(path + " has the wrong size for its header");
  return {file.begin() + std::ptrdiff_t(header), file.end()};
}

} // namespace

int main(int argc, char **argv) try {
  std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  std::vector<unsigned char> pixels =
      readIdx(dir + "/t10k-images-idx3-ubyte.gz", 3, kPixels);
  std::vector<unsigned char> labels =
      readIdx(dir + "/t10k-labels-idx1-ubyte.gz", 1, 1);
  size_t n = labels.size();
  if (pixels.size() != n * kPixels)
    throw std::runtime_error("the image and label files disagree in size");

  auto model = std::make_unique<adjoint_model::fashion_mlp>(int64_t(n));
  float *x = model->x();
  for (size_t i = 0; i < n * kPixels; ++i)
    x[i] = float(pixels[i]) / 255.0f;
#ifdef fashion_mlp_Y_BYTES
  // The model also computes its loss, so it takes the labels too.
  std::copy(labels.begin(), labels.end(), model->y());
#endif
  if (model->run() != 0)
    throw std::runtime_error("the model failed");
  const float *probs = model->probs();
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const float *row = probs + i * kClasses;
    size_t best = size_t(std::max_element(row, row + kClasses) - row);
    correct += best == labels[i];
  }
  std::printf("classified %zu test images in one call\n", n);
  std::printf("accuracy: %.4f (%zu/%zu)\n", double(correct) / double(n),
              correct, n);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "classify: %s\n", e.what());
  return 1;
}
