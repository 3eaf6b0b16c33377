//===- TextParserSupport.cpp - The token cursor of the text parser --------===//
#include "ir/TextParserSupport.h"

#include <cmath>
#include <limits>

namespace adjoint::text {

std::string joined(const std::vector<std::string_view> &items,
                   std::string_view last) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += strCat(i == 0 ? "" : i + 1 == items.size() ? last : ", ", items[i]);
  return out;
}

std::string location(const std::string &fileName, const Token &t) {
  return strCat(fileName, ":", t.line, ":", t.col);
}

std::string TokenCursor::parseName(std::string_view what) {
  const Token &t = peek();
  if (t.kind == TokenKind::String ||
      (t.kind == TokenKind::Word && isBareName(t.text)))
    return next().text;
  fail(t, "expected ", what, ", found ", describeToken(t));
}

template <typename T> T TokenCursor::parseFloat(std::string_view what) {
  const Token &t = peek();
  T v = 0;
  NumberStatus s = t.kind == TokenKind::Word ? parseNumber(t.text, v)
                                             : NumberStatus::NotANumber;
  if (s == NumberStatus::NotANumber)
    fail(t, "expected ", what, ", found ", describeToken(t));
  if (s == NumberStatus::OutOfRange)
    fail(t, "number ", describeToken(t), " is out of range for ",
         dtypeName(dtypeOf<T>()));
  next();
  if (std::isnan(v) && accept(TokenKind::LParen)) {
    const Token &m = peek();
    if (m.kind != TokenKind::Word ||
        !nanWithMantissa(t.text[0] == '-', m.text, v))
      fail(m, "expected the mantissa of a NaN (0x1 to 0x", std::hex,
           (uint64_t(1) << (std::numeric_limits<T>::digits - 1)) - 1,
           "), found ", describeToken(m));
    next();
    expect(TokenKind::RParen, "')' after the mantissa of a NaN");
  }
  return v;
}

int64_t TokenCursor::parseInt(std::string_view what) {
  const Token &t = peek();
  int64_t v = 0;
  NumberStatus s = t.kind == TokenKind::Word ? parseNumber(t.text, v)
                                             : NumberStatus::NotANumber;
  if (s == NumberStatus::NotANumber)
    fail(t, "expected ", what, ", found ", describeToken(t));
  if (s == NumberStatus::OutOfRange)
    fail(t, "integer ", describeToken(t), " is out of range for i64");
  next();
  return v;
}

template float TokenCursor::parseFloat<float>(std::string_view);
template double TokenCursor::parseFloat<double>(std::string_view);

} // namespace adjoint::text
