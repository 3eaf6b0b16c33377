//===- Dataset.cpp - Training data: Fashion-MNIST and .npy directories ----===//
#include "compiler/training/Dataset.h"

#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/NpyFile.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace adjoint {

namespace {

namespace fs = std::filesystem;

/// The largest file, compressed or not, that the readers accept.
constexpr uint64_t kMaxFileBytes = uint64_t(1) << 32;

std::string hex8(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

/// Frees a zlib stream however inflation ends.
struct Inflater {
  z_stream zs{};
  bool ready = false;
  ~Inflater() {
    if (ready)
      inflateEnd(&zs);
  }
};

/// `data` inflated if it starts with gzip's magic bytes 1f 8b, else `data`
/// itself. Several gzip members in a row are concatenated, as gunzip does.
std::string gunzip(std::string data, const std::string &path) {
  if (data.size() < 2 || (uint8_t)data[0] != 0x1f || (uint8_t)data[1] != 0x8b)
    return data;
  // A gzip member is at least a 10-byte header and an 8-byte trailer.
  if (data.size() < 18)
    badInput(path, ": truncated gzip stream (", data.size(), " bytes)");
  Inflater inf;
  // 15 + 16: the largest window, and expect a gzip header and trailer.
  if (inflateInit2(&inf.zs, 15 + 16) != Z_OK)
    failed(path, ": cannot start zlib");
  inf.ready = true;
  inf.zs.next_in = reinterpret_cast<Bytef *>(data.data());
  inf.zs.avail_in = (uInt)data.size(); // at most kMaxFileBytes - 1
  // Start with the size the trailer states (modulo 2^32), within what
  // deflate's best ratio (about 1032:1) allows; grow if it was wrong.
  size_t stated = (uint8_t)data[data.size() - 4] |
                  (size_t)(uint8_t)data[data.size() - 3] << 8 |
                  (size_t)(uint8_t)data[data.size() - 2] << 16 |
                  (size_t)(uint8_t)data[data.size() - 1] << 24;
  std::string out(
      std::clamp<size_t>(stated + 1, 1 << 16,
                         std::min<size_t>(1032 * data.size(), size_t(1) << 30)),
      '\0');
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= kMaxFileBytes)
        badInput(path, ": decompresses to more than 4 GiB");
      out.resize(2 * out.size());
    }
    inf.zs.next_out = reinterpret_cast<Bytef *>(out.data() + produced);
    size_t room = std::min<size_t>(out.size() - produced, size_t(1) << 30);
    inf.zs.avail_out = (uInt)room;
    int rc = inflate(&inf.zs, Z_NO_FLUSH);
    produced += room - inf.zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (inf.zs.avail_in == 0)
        break;
      if (inflateReset(&inf.zs) != Z_OK)
        failed(path, ": cannot restart zlib");
      continue;
    }
    if (rc == Z_DATA_ERROR)
      badInput(path, ": corrupt gzip stream (",
               inf.zs.msg ? inf.zs.msg : "invalid data", ")");
    if (rc == Z_MEM_ERROR)
      failed(path, ": out of memory while decompressing");
    // Z_BUF_ERROR with room to write: the input ended inside the stream.
    if (rc == Z_BUF_ERROR && inf.zs.avail_in == 0)
      badInput(path, ": truncated gzip stream");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      failed(path, ": zlib error ", rc);
  }
  out.resize(produced);
  return out;
}

uint32_t bigEndian32(const std::string &bytes, size_t at) {
  const auto *p = reinterpret_cast<const uint8_t *>(bytes.data() + at);
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/// The path of IDX file `name` in `dir`: name.gz, or name uncompressed.
std::string idxPath(const std::string &dir, const std::string &name) {
  fs::path gz = fs::path(dir) / (name + ".gz"), plain = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(gz, ec) || !fs::exists(plain, ec))
    return gz.string();
  return plain.string();
}

/// One Fashion-MNIST split: images f32 [N,1,28,28] in [0,1], labels i64 [N].
std::pair<Tensor, Tensor> loadSplit(const std::string &dir,
                                    const std::string &prefix) {
  std::string imagesPath = idxPath(dir, prefix + "-images-idx3-ubyte");
  std::string labelsPath = idxPath(dir, prefix + "-labels-idx1-ubyte");
  Tensor images = readIdxFile(imagesPath, 3);
  Tensor labels = readIdxFile(labelsPath, 1);
  const Shape &s = images.shape();
  if (s[1] != 28 || s[2] != 28)
    badInput(imagesPath, ": images are ", s[1], "x", s[2],
             "; Fashion-MNIST's are 28x28");
  if (s[0] != labels.shape()[0])
    badInput(imagesPath, " has ", s[0], " images but ", labelsPath, " has ",
             labels.shape()[0], " labels");
  Tensor x({DType::F32, {s[0], 1, 28, 28}});
  const uint8_t *pixels = images.data<uint8_t>();
  float *xs = x.data<float>();
  for (int64_t i = 0, n = x.numElements(); i < n; ++i)
    xs[i] = (float)pixels[i] / 255.0f;
  Tensor y({DType::I64, {s[0]}});
  const uint8_t *classes = labels.data<uint8_t>();
  for (int64_t i = 0; i < s[0]; ++i) {
    if (classes[i] > 9)
      badInput(labelsPath, ": label ", (int)classes[i], " of example ", i,
               " is not a class from 0 to 9");
    y.data<int64_t>()[i] = classes[i];
  }
  return {std::move(x), std::move(y)};
}

/// The shape of one example of `t` [N, ...].
Shape exampleShape(const Tensor &t) {
  return Shape(t.shape().begin() + 1, t.shape().end());
}

/// Checks that examples `x` and targets `y` have a leading dimension of one
/// size.
void checkPair(const Tensor &x, const std::string &xPath, const Tensor &y,
               const std::string &yPath) {
  for (auto [t, path] : {std::pair{&x, &xPath}, std::pair{&y, &yPath}})
    if (t->rank() == 0)
      badInput(*path,
               ": expected an array with a leading (example) "
               "dimension, not a scalar ",
               typeStr(t->type()));
  if (x.shape()[0] != y.shape()[0])
    badInput(xPath, " has ", x.shape()[0], " examples but ", yPath, " has ",
             y.shape()[0]);
}

/// Checks that `test` holds examples like those of `train`.
void checkLike(const Tensor &test, const std::string &testPath,
               const Tensor &train, const std::string &trainPath) {
  if (test.dtype() != train.dtype() ||
      exampleShape(test) != exampleShape(train))
    badInput(testPath, " ", typeStr(test.type()),
             " must hold examples like those of ", trainPath, " ",
             typeStr(train.type()), ": ", dtypeName(train.dtype()), " ",
             shapeStr(exampleShape(train)));
}

/// An empty split like `t`: [0, per-example shape...].
Tensor emptyLike(const Tensor &t) {
  Shape s = t.shape();
  s[0] = 0;
  return Tensor({t.dtype(), s});
}

} // namespace

Tensor readIdxFile(const std::string &path, size_t rank) {
  std::string bytes = gunzip(
      readFile(path, {kMaxFileBytes - 1, "the 4 GiB limit of data files"}),
      path);
  uint32_t want = 0x0800u | (uint32_t)rank;
  if (bytes.size() < 4)
    badInput(path, ": truncated: ", bytes.size(),
             " bytes, too few for an IDX header");
  uint32_t magic = bigEndian32(bytes, 0);
  if (magic != want)
    badInput(path, ": bad magic number ", hex8(magic), "; expected ",
             hex8(want), " (an IDX file of unsigned bytes with ", rank,
             rank == 1 ? " dimension)" : " dimensions)");
  size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    badInput(path, ": truncated: the IDX header needs ", header,
             " bytes, the file has ", bytes.size());
  Shape shape;
  unsigned __int128 count = 1;
  for (size_t d = 0; d < rank; ++d) {
    shape.push_back(bigEndian32(bytes, 4 + 4 * d));
    count *= (uint64_t)shape.back();
  }
  size_t have = bytes.size() - header;
  if (count > have)
    badInput(path, ": truncated: dimensions ", shapeStr(shape), " need ",
             (uint64_t)std::min<unsigned __int128>(count, UINT64_MAX),
             " bytes of data, the file has ", have);
  if (count < have)
    badInput(path, ": ", have - (size_t)count,
             " bytes follow the data of dimensions ", shapeStr(shape));
  // Extents whose product overflows beside a 0 (found by fuzz_ReadIdx).
  checkShape(shape, 1, path + ": dimensions");
  Tensor t({DType::U8, shape});
  if (have)
    std::memcpy(t.bytes(), bytes.data() + header, have);
  return t;
}

Dataset loadFashionMnist(const std::string &dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    badInput("Fashion-MNIST directory ", dir,
             " does not exist (Debian's package dataset-fashion-mnist "
             "installs it in ",
             kFashionMnistDir, ")");
  Dataset d;
  std::tie(d.trainX, d.trainY) = loadSplit(dir, "train");
  std::tie(d.testX, d.testY) = loadSplit(dir, "t10k");
  return d;
}

Dataset loadNpyDataset(const std::string &dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    badInput("data directory ", dir,
             " is a file; the data is a directory holding x.npy and y.npy "
             "(and x_test.npy and y_test.npy), or fashion-mnist");
  if (!fs::is_directory(dir, ec))
    badInput("data directory ", dir, " does not exist");
  auto path = [&](const char *name) { return (fs::path(dir) / name).string(); };
  Dataset d;
  d.trainX = readNpy(path("x.npy"));
  d.trainY = readNpy(path("y.npy"));
  checkPair(d.trainX, path("x.npy"), d.trainY, path("y.npy"));
  bool hasX = fs::exists(path("x_test.npy"), ec);
  bool hasY = fs::exists(path("y_test.npy"), ec);
  if (hasX != hasY)
    badInput(path(hasX ? "x_test.npy" : "y_test.npy"), " needs ",
             path(hasX ? "y_test.npy" : "x_test.npy"), " beside it");
  if (!hasX) {
    d.testX = emptyLike(d.trainX);
    d.testY = emptyLike(d.trainY);
    return d;
  }
  d.testX = readNpy(path("x_test.npy"));
  d.testY = readNpy(path("y_test.npy"));
  checkPair(d.testX, path("x_test.npy"), d.testY, path("y_test.npy"));
  checkLike(d.testX, path("x_test.npy"), d.trainX, path("x.npy"));
  checkLike(d.testY, path("y_test.npy"), d.trainY, path("y.npy"));
  return d;
}

Tensor viewExamples(const Tensor &x, const Shape &shape) {
  if (x.rank() == 0)
    badInput("cannot view a scalar ", typeStr(x.type()), " as examples");
  Shape per = exampleShape(x);
  int64_t have = 1, want = 1;
  for (int64_t d : per)
    have *= d;
  for (int64_t d : shape) {
    if (d < 0)
      badInput("examples cannot have the shape ", shapeStr(shape));
    want *= d;
  }
  if (have != want)
    badInput("examples of shape ", shapeStr(per), " (", have,
             " elements) cannot be viewed as ", shapeStr(shape), " (", want,
             " elements)");
  Shape full = {x.shape()[0]};
  full.insert(full.end(), shape.begin(), shape.end());
  return x.reshaped(full);
}

} // namespace adjoint
