//===- NpyFileTest.cpp - NumPy .npy files ---------------------------------===//
#include "ir/NpyFile.h"

#include "ir/Error.h"
#include "tests/support/TempDir.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <string_view>

using namespace adjoint;
using namespace std::literals;
using adjoint::testing::slurp;
using adjoint::testing::TempDir;

namespace {

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)             \
      << "message: " << (haystack) << "\nmissing: " << (needle)

// Files exactly as numpy 1.24 writes them (np.save, and
// np.lib.format.write_array with version=(2, 0) and (3, 0)).
constexpr std::string_view kF32Vector =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }                                                            \x0a\x00\x00\xc0?\x00\x00\x00\xc0"sv;
constexpr std::string_view kF64Scalar =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }                                                              \x0a\x00\x00\x00\x00\x00\x00\x0a@"sv;
constexpr std::string_view kI32Matrix =
    "\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }                                                          \x0a\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00"sv;
constexpr std::string_view kBoolVector =
    "\x93NUMPY\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }                                                            \x0a\x01\x00\x01"sv;
constexpr std::string_view kU8Empty =
    "\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3), }                                                          \x0a"sv;
constexpr std::string_view kI64Big =
    "\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }                                                            \x0a\x00\x00\x00\x00\x00\x00\x00\xc0\x05\x00\x00\x00\x00\x01\x00\x00"sv;
constexpr std::string_view kF32Rank8 =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1, 1, 1, 1, 1, 2), }                                        \x0a\x00\x00\x00?\x00\x00\x00?\x00\x00\x00?\x00\x00\x00?"sv;
constexpr std::string_view kF32LongDim =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (123456789012, 0), }                                               \x0a"sv;
constexpr std::string_view kI32Version2 =
    "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }                                                          \x0a\x01\x00\x00\x00\x02\x00\x00\x00"sv;
constexpr std::string_view kI32Version3 =
    "\x93NUMPY\x03\x00t\x00\x00\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }                                                          \x0a\x01\x00\x00\x00\x02\x00\x00\x00"sv;

std::vector<double> valuesOf(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numElements(); ++i)
    out.push_back(t.elementAsDouble(i));
  return out;
}

/// The error reading `bytes` from "bad.npy" gives, with the directory taken
/// off the file name.
std::string readError(std::string_view bytes) {
  TempDir dir;
  std::string path = dir.write("bad.npy", bytes);
  try {
    readNpy(path);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    std::string msg = e.what();
    std::string prefix = dir.path().string() + "/";
    if (msg.rfind(prefix, 0) == 0)
      msg.erase(0, prefix.size());
    return msg;
  }
  ADD_FAILURE() << "the file was read";
  return "";
}

/// A version 1.0 file with header dict text `dict` (padded as numpy pads)
/// followed by `data`.
std::string npyFile(std::string_view dict, std::string_view data,
                    char major = 1) {
  std::string header(dict);
  size_t prelude = major == 1 ? 10 : 12;
  while ((prelude + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string file = "\x93NUMPY"s;
  file += major;
  file += '\0';
  for (size_t i = 0; i < prelude - 8; ++i)
    file += (char)((header.size() >> (8 * i)) & 0xff);
  return file + header + std::string(data);
}

/// A version 1.0 file of `descr` and `shape` with `data`.
std::string npyOf(std::string_view descr, std::string_view shape,
                  std::string_view data) {
  return npyFile(strCat("{'descr': '", descr,
                        "', 'fortran_order': False, 'shape': ", shape, ", }"),
                 data);
}

//===----------------------------------------------------------------------===//
// Reading and writing what numpy reads and writes
//===----------------------------------------------------------------------===//

TEST(NpyFile, ReadsWhatNumpyWrites) {
  TempDir dir;
  auto read = [&](std::string_view bytes) {
    return readNpy(dir.write("a.npy", bytes));
  };
  Tensor f32 = read(kF32Vector);
  EXPECT_EQ(f32.type(), (TensorType{DType::F32, {2}}));
  EXPECT_EQ(valuesOf(f32), (std::vector<double>{1.5, -2.0}));
  Tensor f64 = read(kF64Scalar);
  EXPECT_EQ(f64.type(), (TensorType{DType::F64, {}}));
  EXPECT_EQ(valuesOf(f64), (std::vector<double>{3.25}));
  Tensor i32 = read(kI32Matrix);
  EXPECT_EQ(i32.type(), (TensorType{DType::I32, {2, 3}}));
  EXPECT_EQ(valuesOf(i32), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  Tensor b = read(kBoolVector);
  EXPECT_EQ(b.type(), (TensorType{DType::Bool, {3}}));
  EXPECT_EQ(valuesOf(b), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(read(kU8Empty).type(), (TensorType{DType::U8, {0, 3}}));
  Tensor i64 = read(kI64Big);
  EXPECT_EQ(i64.data<int64_t>()[0], -(int64_t{1} << 62));
  EXPECT_EQ(i64.data<int64_t>()[1], (int64_t{1} << 40) + 5);
  Tensor r8 = read(kF32Rank8);
  EXPECT_EQ(r8.shape(), (Shape{1, 2, 1, 1, 1, 1, 1, 2}));
  EXPECT_EQ(valuesOf(r8), (std::vector<double>(4, 0.5)));
  EXPECT_EQ(read(kF32LongDim).shape(), (Shape{123456789012, 0}));
  for (std::string_view v : {kI32Version2, kI32Version3}) {
    Tensor t = read(v);
    EXPECT_EQ(t.type(), (TensorType{DType::I32, {2}}));
    EXPECT_EQ(valuesOf(t), (std::vector<double>{1, 2}));
  }
}

TEST(NpyFile, WritesWhatNumpyWrites) {
  TempDir dir;
  auto written = [&](const Tensor &t) {
    writeNpy(dir.file("w.npy"), t);
    return slurp(dir.file("w.npy"));
  };
  auto of = [](DType d, Shape s, std::vector<double> v) {
    return Tensor::fromDoubles(d, std::move(s), v);
  };
  EXPECT_EQ(written(of(DType::F32, {2}, {1.5, -2})), kF32Vector);
  EXPECT_EQ(written(Tensor::scalar(DType::F64, 3.25)), kF64Scalar);
  EXPECT_EQ(written(of(DType::I32, {2, 3}, {0, 1, 2, 3, 4, 5})), kI32Matrix);
  EXPECT_EQ(written(of(DType::Bool, {3}, {1, 0, 1})), kBoolVector);
  EXPECT_EQ(written(Tensor(TensorType{DType::U8, {0, 3}})), kU8Empty);
  EXPECT_EQ(written(of(DType::I64, {2},
                       {-std::ldexp(1.0, 62), std::ldexp(1.0, 40) + 5})),
            kI64Big);
  EXPECT_EQ(written(of(DType::F32, {1, 2, 1, 1, 1, 1, 1, 2}, {.5, .5, .5, .5})),
            kF32Rank8);
  EXPECT_EQ(written(Tensor(TensorType{DType::F32, {123456789012, 0}})),
            kF32LongDim);
}

TEST(NpyFile, RoundTripsEveryDTypeBitExactly) {
  TempDir dir;
  for (DType d : kAllDTypes) {
    for (Shape s : {Shape{}, Shape{5}, Shape{2, 0, 3}, Shape{3, 1, 2, 1}}) {
      Tensor t(TensorType{d, s});
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.setElementFromDouble(i, d == DType::Bool ? i % 2 : i * 37 - 50.5);
      std::string path = dir.file("t.npy");
      writeNpy(path, t);
      EXPECT_TRUE(readNpy(path).identical(t)) << dtypeName(d) << shapeStr(s);
      EXPECT_EQ(slurp(path).size() % 64, (size_t)t.byteSize() % 64);
    }
  }
  // NaN payloads and negative zero survive.
  Tensor f(TensorType{DType::F32, {2}});
  const uint32_t bits[] = {0x7fc00123u, 0x80000000u};
  std::memcpy(f.bytes(), bits, sizeof bits);
  writeNpy(dir.file("nan.npy"), f);
  EXPECT_EQ(std::memcmp(readNpy(dir.file("nan.npy")).bytes(), bits, 8), 0);
}

TEST(NpyFile, ParsesAnyWellFormedHeader) {
  TempDir dir;
  auto read = [&](std::string_view dict, std::string_view data) {
    return readNpy(dir.write("h.npy", npyFile(dict, data)));
  };
  std::string two("\x01\x00\x00\x00\x02\x00\x00\x00", 8);
  // Any key order, any spacing, double quotes, no trailing comma.
  Tensor t = read("{ \"shape\" :(2 ,) ,'fortran_order':False,\n"
                  "  'descr':\"<i4\"}",
                  two);
  EXPECT_EQ(valuesOf(t), (std::vector<double>{1, 2}));
  // Python 2 long literals, and '=' (native order) descrs.
  EXPECT_EQ(
      read("{'descr': '=i4', 'fortran_order': False, 'shape': (2L,)}", two)
          .shape(),
      (Shape{2}));
  EXPECT_EQ(
      read("{'descr': '=b1', 'fortran_order': False, 'shape': ()}", "\x01"sv)
          .dtype(),
      DType::Bool);
  // A header without the final newline, or with old 16-byte alignment.
  std::string raw = "\x93NUMPY\x01\x00"s;
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1,)}";
  raw += (char)dict.size();
  raw += '\0';
  EXPECT_EQ(readNpy(dir.write("r.npy", raw + dict + "\x07")).data<uint8_t>()[0],
            7);
}

//===----------------------------------------------------------------------===//
// Files we reject, each with a message naming the file
//===----------------------------------------------------------------------===//

TEST(NpyFileErrors, MissingOrNotNpy) {
  TempDir dir;
  try {
    readNpy(dir.file("none.npy"));
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()), dir.file("none.npy") + ": no such file");
  }
  EXPECT_EQ(readError("PK\x03\x04 a zip file"),
            "bad.npy: not a .npy file (it does not start with \\x93NUMPY)");
  EXPECT_EQ(readError("\x93NUMPY"sv),
            "bad.npy: not a .npy file (it does not start with \\x93NUMPY)");
}

TEST(NpyFileErrors, UnsupportedVersions) {
  std::string file(kF32Vector);
  file[6] = 4;
  EXPECT_EQ(readError(file), "bad.npy: unsupported .npy format version 4.0 "
                             "(supported: 1.0, 2.0, 3.0)");
  file[6] = 1;
  file[7] = 1;
  EXPECT_EQ(readError(file), "bad.npy: unsupported .npy format version 1.1 "
                             "(supported: 1.0, 2.0, 3.0)");
}

TEST(NpyFileErrors, TruncatedHeader) {
  EXPECT_EQ(readError(kI32Version2.substr(0, 11)),
            "bad.npy: truncated .npy file: the header length is cut off");
  EXPECT_EQ(readError(kF32Vector.substr(0, 60)),
            "bad.npy: truncated .npy file: the header declares 118 bytes but "
            "only 50 follow");
  // A header length of 4 GiB - 1 in a small file allocates nothing.
  std::string huge(kI32Version2);
  huge[8] = huge[9] = huge[10] = huge[11] = '\xff';
  EXPECT_CONTAINS(readError(huge), "the header declares 4294967295 bytes");
}

TEST(NpyFileErrors, UnsupportedArrays) {
  EXPECT_EQ(readError(npyFile(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }",
                "\0\0\0\0\0\0\0\0"sv)),
            "bad.npy: Fortran-order arrays are not supported; save "
            "np.ascontiguousarray(a) instead");
  EXPECT_EQ(readError(npyOf("|O", "(1,)", "12345678")),
            "bad.npy: object arrays ('|O') are not supported");
  EXPECT_EQ(readError(npyOf(">f4", "(1,)", "1234")),
            "bad.npy: big-endian data ('>f4') is not supported; convert it "
            "with a.astype(a.dtype.newbyteorder('<'))");
  for (std::string_view descr :
       {"<i2", "<u1", "|i1", "<c8", "<f2", "|f4", "<U3", "f4", ""}) {
    EXPECT_EQ(readError(npyOf(descr, "()", "12345678")),
              strCat("bad.npy: unsupported dtype '", descr,
                     "' (supported: <f4, <f8, <i4, <i8, |b1, |u1)"));
  }
  EXPECT_EQ(readError(npyFile("{'descr': [('a', '<f4')], 'fortran_order': "
                              "False, 'shape': (1,), }",
                              "1234")),
            "bad.npy: malformed .npy header at offset 10: structured dtypes "
            "(a 'descr' list) are not supported");
}

TEST(NpyFileErrors, DataSizeMustMatchTheShape) {
  EXPECT_EQ(readError(kI32Matrix.substr(0, kI32Matrix.size() - 3)),
            "bad.npy: truncated .npy file: <i4 [2,3] needs 24 bytes of data, "
            "the file has 21");
  EXPECT_EQ(readError(std::string(kF32Vector) + "xyz"),
            "bad.npy: 3 bytes of trailing data after the array (<f4 [2] needs "
            "8 bytes, the file has 11)");
  // A declared 2^40 elements in a small file is refused, not allocated.
  EXPECT_EQ(readError(npyOf("<f8", "(1048576, 1048576)", "12345678")),
            "bad.npy: truncated .npy file: <f8 [1048576,1048576] needs "
            "8796093022208 bytes of data, the file has 8");
  EXPECT_EQ(readError(npyOf("|b1", "(2,)", "\x01\x02")),
            "bad.npy: bool element 1 is byte 2, not 0 or 1");
}

TEST(NpyFileErrors, BadShapes) {
  EXPECT_EQ(readError(npyOf("<f4", "(2, -3)", "")),
            "bad.npy: array [2,-3]: negative dimension in shape [2,-3]");
  EXPECT_EQ(readError(npyOf("<f4", "(4294967296, 4294967296)", "")),
            "bad.npy: array [4294967296,4294967296]: shape "
            "[4294967296,4294967296] has more elements or bytes than fit in "
            "64 bits");
  EXPECT_EQ(readError(npyOf("<f8", "(2305843009213693952,)", "")),
            "bad.npy: array [2305843009213693952]: shape "
            "[2305843009213693952] has more elements or bytes than fit in 64 "
            "bits");
  EXPECT_EQ(readError(npyOf("<f4", "(99999999999999999999,)", "")),
            "bad.npy: malformed .npy header at offset 51: dimension "
            "99999999999999999999 does not fit in 64 bits");
  EXPECT_EQ(readError(npyOf("<f4", "(1, 1, 1, 1, 1, 1, 1, 1, 1)", "1234")),
            "bad.npy: array [1,1,1,1,1,1,1,1,1]: rank 9 exceeds the maximum "
            "rank 8 (shape [1,1,1,1,1,1,1,1,1])");
  std::string many = "(" + std::string(3000, '1') + ")";
  for (size_t i = 2; i < many.size() - 1; i += 2)
    many[i] = ',';
  EXPECT_CONTAINS(readError(npyOf("<f4", many, "")),
                  "the shape has more than the maximum rank 8 dimensions");
}

TEST(NpyFileErrors, MalformedHeaders) {
  std::string_view data = "1234";
  auto error = [&](std::string_view dict) {
    return readError(npyFile(dict, data));
  };
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False}"),
            "bad.npy: malformed .npy header: it has no 'shape'");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': (), "
                  "'extra': 1}"),
            "bad.npy: malformed .npy header at offset 54: unknown key "
            "'extra'");
  EXPECT_EQ(error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                  "'shape': ()}"),
            "bad.npy: malformed .npy header at offset 17: key 'descr' "
            "appears twice");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': false, 'shape': ()}"),
            "bad.npy: malformed .npy header at offset 34: expected True or "
            "False");
  EXPECT_EQ(error("{'descr': '<f4' 'fortran_order': False, 'shape': ()}"),
            "bad.npy: malformed .npy header at offset 16: expected ',' or "
            "'}'");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x"),
            "bad.npy: malformed .npy header at offset 54: unexpected text "
            "after the dict");
  EXPECT_EQ(error("{'descr: '<f4'}"),
            "bad.npy: malformed .npy header at offset 10: expected ':'");
  EXPECT_EQ(error("['descr']"),
            "bad.npy: malformed .npy header at offset 0: expected '{'");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"),
            "bad.npy: malformed .npy header at offset 50: expected '('");
}

TEST(NpyFileErrors, WriteFailuresNameThePath) {
  TempDir dir;
  std::string path = dir.file("missing/dir/a.npy");
  try {
    writeNpy(path, Tensor::scalar(DType::F32, 1));
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Failed);
    EXPECT_CONTAINS(e.what(), path + ": cannot write");
  }
}

//===----------------------------------------------------------------------===//
// Against numpy itself, where it is installed
//===----------------------------------------------------------------------===//

TEST(NpyFile, InteroperatesWithNumpy) {
  std::string python = ADJOINT_PYTHON;
  if (std::system((python + " -c 'import numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "numpy is not available to " << python;
  TempDir dir;
  // numpy reads our file, checks it, and writes its own from scratch.
  Tensor ours = Tensor::fromDoubles(DType::F64, {2, 3},
                                    std::vector<double>{1, 2, 3, 4, 5, 6.5});
  writeNpy(dir.file("ours.npy"), ours);
  std::string script = strCat(
      "import numpy as np, sys\n"
      "a = np.load(sys.argv[1])\n"
      "assert a.dtype == np.float64 and a.shape == (2, 3), (a.dtype, a.shape)\n"
      "assert a.tolist() == [[1, 2, 3], [4, 5, 6.5]], a\n"
      "np.save(sys.argv[2], np.array(a))\n"
      "np.save(sys.argv[3], np.arange(24, dtype=np.int64).reshape(2, 3, 4) "
      "% 5 == 0)\n");
  std::string scriptPath = dir.write("check.py", script);
  std::string command =
      strCat(python, " ", scriptPath, " ", dir.file("ours.npy"), " ",
             dir.file("theirs.npy"), " ", dir.file("bools.npy"));
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_EQ(slurp(dir.file("theirs.npy")), slurp(dir.file("ours.npy")));
  Tensor bools = readNpy(dir.file("bools.npy"));
  EXPECT_EQ(bools.type(), (TensorType{DType::Bool, {2, 3, 4}}));
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(bools.data<bool>()[i], i % 5 == 0);
}

} // namespace
