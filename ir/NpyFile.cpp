//===- NpyFile.cpp - NumPy .npy files -------------------------------------===//
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a major and minor
// version byte, the header length (2 bytes little-endian in version 1.0, 4
// bytes in 2.0 and 3.0), then the header: a Python dict literal with the keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and a newline;
// then the raw array data.
//
//===----------------------------------------------------------------------===//
#include "ir/NpyFile.h"

#include "ir/ByteOrder.h"
#include "ir/Error.h"
#include "ir/FileIO.h"

#include <cctype>
#include <cstring>
#include <optional>
#include <string_view>

namespace adjoint {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;
/// numpy leaves room to grow the first dimension in place by this many digits.
constexpr size_t kGrowthAxisMaxDigits = 21;

/// The descr numpy writes for `t` (little-endian, or '|' for one byte).
std::string_view descrOf(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::Bool:
    return "|b1";
  case DType::U8:
    return "|u1";
  }
  __builtin_unreachable();
}

/// The parsed header dict.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<Shape> shape;
};

/// A parser for the Python literal subset numpy headers use.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  NpyHeader parse() {
    NpyHeader h;
    skipSpace();
    expect('{');
    for (;;) {
      skipSpace();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      size_t keyPos = pos_;
      std::string key = parseString();
      skipSpace();
      expect(':');
      skipSpace();
      if (key == "descr") {
        if (peek() == '[')
          fail("structured dtypes (a 'descr' list) are not supported");
        set(h.descr, parseString(), key, keyPos);
      } else if (key == "fortran_order") {
        set(h.fortranOrder, parseBool(), key, keyPos);
      } else if (key == "shape") {
        set(h.shape, parseShape(), key, keyPos);
      } else {
        pos_ = keyPos;
        fail("unknown key '" + key + "'");
      }
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != '}')
        fail("expected ',' or '}'");
    }
    skipSpace();
    if (pos_ != text_.size())
      fail("unexpected text after the dict");
    for (auto [present, key] : {std::pair{h.descr.has_value(), "descr"},
                                {h.fortranOrder.has_value(), "fortran_order"},
                                {h.shape.has_value(), "shape"}})
      if (!present)
        badInput("malformed .npy header: it has no '", key, "'");
    return h;
  }

private:
  [[noreturn]] void fail(const std::string &what) const {
    badInput("malformed .npy header at offset ", pos_, ": ", what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c)
      fail(strCat("expected '", c, "'"));
    ++pos_;
  }
  template <typename T>
  void set(std::optional<T> &slot, T value, const std::string &key,
           size_t keyPos) {
    if (slot) {
      pos_ = keyPos;
      fail("key '" + key + "' appears twice");
    }
    slot = std::move(value);
  }
  std::string parseString() {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      fail("expected a quoted string");
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n')
        fail("unsupported character in a string");
      ++pos_;
    }
    if (pos_ == text_.size())
      fail("unterminated string");
    return std::string(text_.substr(start, pos_++ - start));
  }
  bool parseBool() {
    for (auto [word, value] : {std::pair{std::string_view("True"), true},
                               std::pair{std::string_view("False"), false}})
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    fail("expected True or False");
  }
  int64_t parseInt() {
    bool negative = peek() == '-';
    if (negative)
      ++pos_;
    if (!std::isdigit((unsigned char)peek()))
      fail("expected an integer");
    size_t start = pos_;
    uint64_t v = 0;
    bool overflow = false;
    while (std::isdigit((unsigned char)peek())) {
      uint64_t digit = (uint64_t)(text_[pos_++] - '0');
      overflow |= v > (UINT64_MAX - digit) / 10;
      v = v * 10 + digit;
    }
    // Old files written by Python 2 mark longs with L.
    if (peek() == 'L')
      ++pos_;
    if (overflow || v > (uint64_t)INT64_MAX) {
      std::string_view digits = text_.substr(start, pos_ - start);
      pos_ = start;
      fail(strCat("dimension ", negative ? "-" : "", digits,
                  " does not fit in 64 bits"));
    }
    return negative ? -(int64_t)v : (int64_t)v;
  }
  Shape parseShape() {
    expect('(');
    Shape s;
    for (;;) {
      skipSpace();
      if (peek() == ')')
        break;
      if (s.size() > kMaxRank)
        fail(strCat("the shape has more than the maximum rank ", kMaxRank,
                    " dimensions"));
      s.push_back(parseInt());
      skipSpace();
      if (peek() == ',')
        ++pos_;
      else if (peek() != ')')
        fail("expected ',' or ')' in the shape");
    }
    ++pos_;
    return s;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

/// The dtype a descr names, and whether its data is in host order already.
std::pair<DType, bool> dtypeOfDescr(const std::string &descr) {
  static constexpr std::pair<std::string_view, DType> kCodes[] = {
      {"f4", DType::F32}, {"f8", DType::F64},  {"i4", DType::I32},
      {"i8", DType::I64}, {"b1", DType::Bool}, {"u1", DType::U8}};
  std::string_view code = descr.size() == 3 ? std::string_view(descr).substr(1)
                                            : std::string_view();
  char order = descr.empty() ? '\0' : descr[0];
  for (auto [name, dtype] : kCodes) {
    if (code != name)
      continue;
    bool oneByte = dtypeSize(dtype) == 1;
    if (order == '=')
      return {dtype, true};
    if (order == (oneByte ? '|' : '<'))
      return {dtype, oneByte || kHostIsLittleEndian};
    if (order == '>')
      badInput("big-endian data ('", descr,
               "') is not supported; convert it with "
               "a.astype(a.dtype.newbyteorder('<'))");
  }
  if (descr.find('O') != std::string::npos)
    badInput("object arrays ('", descr, "') are not supported");
  badInput("unsupported dtype '", descr,
           "' (supported: <f4, <f8, <i4, <i8, |b1, |u1)");
}

uint64_t readLittle(std::string_view bytes, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= (uint64_t)(uint8_t)bytes[pos + i] << (8 * i);
  return v;
}

Tensor parseNpy(std::string_view file) {
  if (file.size() < 10 || file.substr(0, kMagic.size()) != kMagic)
    badInput("not a .npy file (it does not start with \\x93NUMPY)");
  int major = (uint8_t)file[6], minor = (uint8_t)file[7];
  if (minor != 0 || major < 1 || major > 3)
    badInput("unsupported .npy format version ", major, ".", minor,
             " (supported: 1.0, 2.0, 3.0)");
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthBytes;
  if (file.size() < headerStart)
    badInput("truncated .npy file: the header length is cut off");
  uint64_t headerLen = readLittle(file, 8, lengthBytes);
  if (headerLen > file.size() - headerStart)
    badInput("truncated .npy file: the header declares ", headerLen,
             " bytes but only ", file.size() - headerStart, " follow");
  NpyHeader h =
      HeaderParser(file.substr(headerStart, (size_t)headerLen)).parse();

  auto [dtype, hostOrder] = dtypeOfDescr(*h.descr);
  if (*h.fortranOrder)
    badInput("Fortran-order arrays are not supported; save "
             "np.ascontiguousarray(a) instead");
  TensorType type{dtype, *h.shape};
  checkType(type, "array " + shapeStr(type.shape));

  // Compare the declared size with the bytes present before allocating.
  uint64_t present = file.size() - headerStart - headerLen;
  uint64_t expected = (uint64_t)type.byteSize();
  if (present < expected)
    badInput("truncated .npy file: ", *h.descr, " ", shapeStr(type.shape),
             " needs ", expected, " bytes of data, the file has ", present);
  if (present > expected)
    badInput(present - expected, " bytes of trailing data after the array (",
             *h.descr, " ", shapeStr(type.shape), " needs ", expected,
             " bytes, the file has ", present, ")");

  const auto *data = reinterpret_cast<const std::byte *>(
      file.data() + headerStart + headerLen);
  Tensor t(type);
  if (hostOrder)
    std::memcpy(t.bytes(), data, expected);
  else
    copyLittleEndian(t.bytes(), data, (size_t)t.numElements(),
                     dtypeSize(dtype));
  if (dtype == DType::Bool)
    for (uint64_t i = 0; i < expected; ++i)
      if ((uint8_t)data[i] > 1)
        badInput("bool element ", i, " is byte ", (int)(uint8_t)data[i],
                 ", not 0 or 1");
  return t;
}

std::string shapeRepr(const Shape &s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

} // namespace

Tensor readNpy(const std::string &path) {
  std::string file = readFile(path);
  return withContext(path, [&] { return parseNpy(file); });
}

void writeNpy(const std::string &path, const Tensor &t) {
  if (!t.hasStorage())
    badInput(path, ": cannot write a tensor that has no storage");
  // Byte for byte what numpy.save writes.
  std::string header = strCat(
      "{'descr': '", descrOf(t.dtype()),
      "', 'fortran_order': False, 'shape': ", shapeRepr(t.shape()), ", }");
  if (t.rank() > 0) {
    size_t digits = std::to_string(t.shape()[0]).size();
    if (digits < kGrowthAxisMaxDigits)
      header.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  size_t withNewline = header.size() + 1;
  size_t pad = kAlign - (kMagic.size() + 4 + withNewline) % kAlign;
  header.append(pad, ' ');
  header += '\n';
  if (header.size() > 0xffff)
    badInput(path, ": the .npy header is too long for format version 1.0");

  std::string file(kMagic);
  file += '\x01';
  file += '\x00';
  file += (char)(header.size() & 0xff);
  file += (char)(header.size() >> 8);
  file += header;
  size_t dataStart = file.size();
  file.resize(dataStart + t.byteSize());
  copyLittleEndian(reinterpret_cast<std::byte *>(file.data() + dataStart),
                   t.bytes(), (size_t)t.numElements(), dtypeSize(t.dtype()));
  writeFileAtomically(path, file);
}

} // namespace adjoint
