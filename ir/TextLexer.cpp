//===- TextLexer.cpp - Tokens of the textual IR ---------------------------===//
#include "ir/TextLexer.h"

#include "ir/Error.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

namespace adjoint::text {

namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// '?' and '*' for symbolic dimensions (`?`, `N*28`).
bool isWordChar(char c) {
  return isNameChar(c) || c == '+' || c == '?' || c == '*';
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// A byte as it reads in a message: 'a' when printable, else '\xNN'.
std::string showByte(char c) {
  static const char kHex[] = "0123456789abcdef";
  unsigned char u = (unsigned char)c;
  if (u >= 0x20 && u < 0x7f)
    return std::string("'") + c + "'";
  return std::string("'\\x") + kHex[u >> 4] + kHex[u & 15] + "'";
}

/// Words and names longer than this are cut short in messages.
constexpr size_t kMaxShown = 40;

std::string shorten(std::string_view s) {
  if (s.size() <= kMaxShown)
    return std::string(s);
  return std::string(s.substr(0, kMaxShown)) + "...";
}

class Lexer {
public:
  Lexer(std::string_view text, const std::string &fileName)
      : text_(text), fileName_(fileName) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    for (;;) {
      skipSpaceAndComments();
      Token t{TokenKind::Eof, "", line_, col()};
      if (pos_ == text_.size()) {
        tokens.push_back(std::move(t));
        return tokens;
      }
      char c = text_[pos_];
      switch (c) {
      case '(':
        t.kind = TokenKind::LParen;
        break;
      case ')':
        t.kind = TokenKind::RParen;
        break;
      case '[':
        t.kind = TokenKind::LBracket;
        break;
      case ']':
        t.kind = TokenKind::RBracket;
        break;
      case '{':
        t.kind = TokenKind::LBrace;
        break;
      case '}':
        t.kind = TokenKind::RBrace;
        break;
      case ',':
        t.kind = TokenKind::Comma;
        break;
      case ':':
        t.kind = TokenKind::Colon;
        break;
      case '=':
        t.kind = TokenKind::Equals;
        break;
      case '"':
        t.kind = TokenKind::String;
        t.text = readString();
        tokens.push_back(std::move(t));
        continue;
      case '%':
        t.kind = TokenKind::ValueName;
        t.text = readValueName();
        tokens.push_back(std::move(t));
        continue;
      default:
        if (!isWordChar(c))
          fail(line_, col(), "unexpected character ", showByte(c));
        t.kind = TokenKind::Word;
        while (pos_ < text_.size() && isWordChar(text_[pos_]))
          t.text += text_[pos_++];
        tokens.push_back(std::move(t));
        continue;
      }
      ++pos_;
      tokens.push_back(std::move(t));
    }
  }

private:
  uint32_t col() const { return (uint32_t)(pos_ - lineStart_ + 1); }

  template <typename... Args>
  [[noreturn]] void fail(uint32_t line, uint32_t col, const Args &...args) {
    badInput(fileName_, ":", line, ":", col, ": ", args...);
  }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        lineStart_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else {
        return;
      }
    }
  }

  /// Reads `"..."` at pos_ and returns its decoded contents.
  std::string readString() {
    uint32_t line = line_, start = col();
    std::string out;
    ++pos_;
    for (;;) {
      if (pos_ == text_.size() || text_[pos_] == '\n')
        fail(line, start, "unterminated string");
      char c = text_[pos_++];
      if (c == '"')
        return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size())
        fail(line, start, "unterminated string");
      char e = text_[pos_++];
      switch (e) {
      case '"':
      case '\\':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'x': {
        int hi = pos_ < text_.size() ? hexDigit(text_[pos_]) : -1;
        int lo = pos_ + 1 < text_.size() ? hexDigit(text_[pos_ + 1]) : -1;
        if (hi < 0 || lo < 0)
          fail(line_, col() - 2, "'\\x' must be followed by two hex digits");
        out += (char)(hi * 16 + lo);
        pos_ += 2;
        break;
      }
      default:
        fail(line_, col() - 2, "unknown escape '\\", showByte(e).substr(1));
      }
    }
  }

  /// Reads `%name` or `%"name"` at pos_ and returns the name.
  std::string readValueName() {
    uint32_t start = col();
    ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '"')
      return readString();
    std::string out;
    while (pos_ < text_.size() && isNameChar(text_[pos_]))
      out += text_[pos_++];
    if (out.empty())
      fail(line_, start, "expected a value name after '%'");
    return out;
  }

  std::string_view text_;
  const std::string &fileName_;
  size_t pos_ = 0, lineStart_ = 0;
  uint32_t line_ = 1;
};

} // namespace

std::vector<Token> lex(std::string_view text, const std::string &fileName) {
  return Lexer(text, fileName).run();
}

bool isBareName(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!isNameChar(c))
      return false;
  return true;
}

std::string quoteString(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = (unsigned char)c;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string quoteName(std::string_view name) {
  return isBareName(name) ? std::string(name) : quoteString(name);
}

namespace {

template <typename T>
using BitsOf = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;

/// The mantissa bits of a float type: 23 for f32, 52 for f64.
template <typename T>
constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;

template <typename T> std::string formatFloatImpl(T v) {
  using Bits = BitsOf<T>;
  constexpr int mantissaBits = kMantissaBits<T>;
  constexpr Bits mask = (Bits(1) << mantissaBits) - 1;
  if (std::isnan(v)) {
    Bits mantissa = std::bit_cast<Bits>(v) & mask;
    Bits quiet =
        std::bit_cast<Bits>(std::numeric_limits<T>::quiet_NaN()) & mask;
    std::string out = std::signbit(v) ? "-nan" : "nan";
    if (mantissa != quiet) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, mantissa, 16);
      out += "(0x" + std::string(buf, r.ptr) + ")";
    }
    return out;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

template <typename T> NumberStatus parseFloatImpl(std::string_view w, T &out) {
  bool negative = !w.empty() && w[0] == '-';
  std::string_view body = negative ? w.substr(1) : w;
  if (body == "inf") {
    out = negative ? -std::numeric_limits<T>::infinity()
                   : std::numeric_limits<T>::infinity();
    return NumberStatus::Ok;
  }
  if (body == "nan") {
    out = std::copysign(std::numeric_limits<T>::quiet_NaN(), negative ? -1 : 1);
    return NumberStatus::Ok;
  }
  // from_chars would also take "infinity", "nan(...)" and hex digits after
  // "0x" in other modes; only plain decimals reach it.
  if (body.empty() || !((body[0] >= '0' && body[0] <= '9') || body[0] == '.'))
    return NumberStatus::NotANumber;
  auto r = std::from_chars(w.data(), w.data() + w.size(), out,
                           std::chars_format::general);
  if (r.ptr != w.data() + w.size())
    return NumberStatus::NotANumber;
  if (r.ec == std::errc::result_out_of_range)
    return NumberStatus::OutOfRange;
  return r.ec == std::errc() ? NumberStatus::Ok : NumberStatus::NotANumber;
}

template <typename T>
bool nanWithMantissaImpl(bool negative, std::string_view hex, T &out) {
  using Bits = BitsOf<T>;
  if (hex.size() < 3 || hex[0] != '0' || hex[1] != 'x')
    return false;
  Bits mantissa = 0;
  const char *end = hex.data() + hex.size();
  auto r = std::from_chars(hex.data() + 2, end, mantissa, 16);
  if (r.ec != std::errc() || r.ptr != end || mantissa == 0 ||
      mantissa >> kMantissaBits<T> != 0)
    return false;
  Bits exponent = std::bit_cast<Bits>(std::numeric_limits<T>::infinity());
  Bits sign = negative ? Bits(1) << (sizeof(T) * 8 - 1) : 0;
  out = std::bit_cast<T>(sign | exponent | mantissa);
  return true;
}

template <typename I> NumberStatus parseIntImpl(std::string_view w, I &out) {
  if (!isIntegerWord(w))
    return NumberStatus::NotANumber;
  auto r = std::from_chars(w.data(), w.data() + w.size(), out);
  if (r.ec == std::errc::result_out_of_range ||
      (r.ec == std::errc::invalid_argument && w[0] == '-'))
    return NumberStatus::OutOfRange; // a negative number for an unsigned
  return r.ec == std::errc() && r.ptr == w.data() + w.size()
             ? NumberStatus::Ok
             : NumberStatus::NotANumber;
}

} // namespace

std::string formatFloat(float v) { return formatFloatImpl(v); }
std::string formatFloat(double v) { return formatFloatImpl(v); }

std::string formatFloatAttr(double v) {
  std::string s = formatFloat(v);
  if (s.find_first_of(".ein") == std::string::npos)
    s += ".0";
  return s;
}

NumberStatus parseNumber(std::string_view w, int64_t &out) {
  return parseIntImpl(w, out);
}
NumberStatus parseNumber(std::string_view w, uint64_t &out) {
  return parseIntImpl(w, out);
}
NumberStatus parseNumber(std::string_view w, float &out) {
  return parseFloatImpl(w, out);
}
NumberStatus parseNumber(std::string_view w, double &out) {
  return parseFloatImpl(w, out);
}

bool nanWithMantissa(bool negative, std::string_view mantissa, float &out) {
  return nanWithMantissaImpl(negative, mantissa, out);
}
bool nanWithMantissa(bool negative, std::string_view mantissa, double &out) {
  return nanWithMantissaImpl(negative, mantissa, out);
}

bool isIntegerWord(std::string_view w) {
  size_t i = !w.empty() && w[0] == '-' ? 1 : 0;
  if (i == w.size())
    return false;
  for (; i < w.size(); ++i)
    if (w[i] < '0' || w[i] > '9')
      return false;
  return true;
}

bool isNumberWord(std::string_view w) {
  if (w.empty())
    return false;
  char c = w[0];
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')
    return true;
  return w == "inf" || w == "nan";
}

std::string describeToken(const Token &t) {
  switch (t.kind) {
  case TokenKind::Word:
    return "'" + shorten(t.text) + "'";
  case TokenKind::ValueName:
    return "%" + quoteName(shorten(t.text));
  case TokenKind::String:
    return quoteString(shorten(t.text));
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equals:
    return "'='";
  case TokenKind::Eof:
    return "end of file";
  }
  __builtin_unreachable();
}

} // namespace adjoint::text
