//===- TextParserSupport.h - The text parser's token cursor -----*- C++ -*-===//
//
// The textual IR's parser (TextParser.cpp) walks the lexer's tokens with a
// TokenCursor: look ahead, consume, expect, read names and numbers, and fail
// with "FILE:LINE:COL: message". Parts of the grammar that stand apart from
// the graph are parsed in their own files on the same cursor: the training
// block (TextTrainingParser.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/Model.h"
#include "ir/TextLexer.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace adjoint::text {

/// "a, b and c" (or "a, b or c" with `last` = " or ").
std::string joined(const std::vector<std::string_view> &items,
                   std::string_view last = " and ");

/// "FILE:LINE:COL" of `t`.
std::string location(const std::string &fileName, const Token &t);

/// A position in a token list that ends with an Eof token.
class TokenCursor {
public:
  TokenCursor(std::vector<Token> toks, const std::string &fileName)
      : toks_(std::move(toks)), fileName_(fileName) {}

  const Token &peek(size_t k = 0) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  bool at(TokenKind k) const { return peek().kind == k; }
  bool atKeyword(std::string_view kw) const {
    return at(TokenKind::Word) && peek().text == kw;
  }
  /// The current token, moving past it (but never past Eof).
  const Token &next() {
    const Token &t = toks_[pos_];
    if (t.kind != TokenKind::Eof)
      ++pos_;
    return t;
  }
  /// Moves past a token of kind `k`, if that comes next.
  bool accept(TokenKind k) {
    if (!at(k))
      return false;
    next();
    return true;
  }
  /// The next token, which must be of kind `k` (`what` names it in errors).
  const Token &expect(TokenKind k, std::string_view what) {
    if (!at(k))
      fail(peek(), "expected ", what, ", found ", describeToken(peek()));
    return next();
  }
  void expectKeyword(std::string_view kw) {
    if (!atKeyword(kw))
      fail(peek(), "expected '", kw, "', found ", describeToken(peek()));
    next();
  }

  /// Throws BadInput "FILE:LINE:COL: args..." at `t`.
  template <typename... Args>
  [[noreturn]] void fail(const Token &t, const Args &...args) const {
    badInput(location(fileName_, t), ": ", args...);
  }
  /// Runs `fn`, putting the location of `t` in front of any error it throws.
  template <typename Fn> auto located(const Token &t, Fn &&fn) {
    try {
      return fn();
    } catch (const Error &e) {
      throw Error(e.kind(), location(fileName_, t) + ": " + e.what());
    }
  }

  /// A bare or quoted name.
  std::string parseName(std::string_view what);
  /// A float of type T (float or double), with `nan(0xMANTISSA)` payloads.
  template <typename T> T parseFloat(std::string_view what);
  /// An i64 integer.
  int64_t parseInt(std::string_view what);

private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  const std::string &fileName_;
};

/// Parses a training block, `training { ... }`, whose keyword is the
/// current token, and checks it against `g` (verifyTrainingSpec).
TrainingSpec parseTrainingBlock(TokenCursor &c, const Graph &g);

} // namespace adjoint::text
