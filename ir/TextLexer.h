//===- TextLexer.h - Tokens, names and numbers of the textual IR *- C++ -*-===//
//
// Splits the text form (docs/ir.md) into tokens, and writes and reads the
// lexical forms that the printer and parser share: quoted names and
// bit-exact numbers. The lexer knows no grammar:
// a Word is any run of [A-Za-z0-9_.+-] (keywords, op and dtype names, bare
// names and numbers alike), and the parser decides what each Word means in
// its place. `#` starts a comment that runs to the end of the line.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace adjoint::text {

enum class TokenKind {
  Word,      ///< keyword, name, dtype or number: [A-Za-z0-9_.+-]+
  ValueName, ///< `%name` or `%"quoted name"`; text holds the decoded name
  String,    ///< `"..."`; text holds the decoded contents
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equals,
  Eof,
};

/// One token and where it starts (1-based line and byte column).
struct Token {
  TokenKind kind;
  std::string text;
  uint32_t line, col;
};

/// Splits `text` into tokens ending with one Eof token. Throws BadInput
/// "FILE:LINE:COL: message" for a character that starts no token, an
/// unterminated string or a bad escape.
std::vector<Token> lex(std::string_view text, const std::string &fileName);

/// True if `name` is non-empty and every byte is in [A-Za-z0-9_.-], so that
/// it may be written without quotes.
bool isBareName(std::string_view name);

/// `name` itself when it is bare, otherwise in double quotes with `\"`,
/// `\\`, `\n`, `\t` and `\xHH` (any other byte outside printable ASCII).
std::string quoteName(std::string_view name);

/// A string literal in double quotes, escaped as by quoteName.
std::string quoteString(std::string_view s);

/// The shortest decimal form that reads back as the same bits (std::to_chars),
/// with `inf`, `-inf`, `nan`, `-nan`, and `nan(0xMANTISSA)` for a NaN whose
/// mantissa bits differ from the default quiet NaN's.
std::string formatFloat(float v);
std::string formatFloat(double v);
/// formatFloat, with ".0" added where the form would read as an integer.
std::string formatFloatAttr(double v);

/// The outcome of reading a number from a Word.
enum class NumberStatus { Ok, NotANumber, OutOfRange };

/// Reads a whole Word as a number: `-?digits` for integers; for floats any
/// decimal form, `inf`, `nan` (with a sign), rounded directly to the type.
/// A word that is not entirely the number gives NotANumber.
NumberStatus parseNumber(std::string_view word, int64_t &out);
NumberStatus parseNumber(std::string_view word, uint64_t &out);
NumberStatus parseNumber(std::string_view word, float &out);
NumberStatus parseNumber(std::string_view word, double &out);
/// A NaN with the sign of `negative` and mantissa bits `mantissa` (a Word
/// `0xHEX`); false unless the mantissa is non-zero and fits the type.
bool nanWithMantissa(bool negative, std::string_view mantissa, float &out);
bool nanWithMantissa(bool negative, std::string_view mantissa, double &out);

/// True for a Word that reads as an integer (`-?[0-9]+`).
bool isIntegerWord(std::string_view word);
/// True for a Word that starts like a number: a digit, a sign, '.', `inf` or
/// `nan`.
bool isNumberWord(std::string_view word);

/// How a token reads in an error message: `'('`, `%x`, `"s"`, `end of file`.
std::string describeToken(const Token &t);

} // namespace adjoint::text
