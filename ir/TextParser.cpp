//===- TextParser.cpp - Reads the textual IR ------------------------------===//
//
// A recursive-descent parser over the tokens of TextLexer. It builds the
// graph through the Graph API as it reads, checks each node against its
// operands where the node is written (so errors point at the line), and
// verifies the whole graph at the end. A graph nests only as a `scan`'s
// body, at most kMaxGraphNesting deep, so no input can make the parser
// recurse deeply. The token cursor it reads with
// is in TextParserSupport.h; the training block is parsed by
// TextTrainingParser.cpp.
//
//===----------------------------------------------------------------------===//
#include "ir/TextFormat.h"

#include "ir/Error.h"
#include "ir/ShapeInference.h"
#include "ir/SymbolicDim.h"
#include "ir/TextLexer.h"
#include "ir/TextParserSupport.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <type_traits>
#include <unordered_map>

namespace adjoint {

using namespace text;

namespace {

/// The fields an initializer kind takes, in printing order.
std::vector<std::string_view> initFields(InitSpec::Kind kind) {
  using K = InitSpec::Kind;
  switch (kind) {
  case K::Zeros:
  case K::Ones:
    return {};
  case K::Constant:
    return {"value"};
  case K::Uniform:
    return {"seed", "low", "high"};
  case K::Normal:
    return {"seed", "mean", "stddev"};
  case K::GlorotUniform:
  case K::GlorotNormal:
  case K::HeUniform:
  case K::HeNormal:
    return {"seed"};
  }
  __builtin_unreachable();
}

double &initField(InitSpec &spec, std::string_view name) {
  if (name == "value")
    return spec.value;
  if (name == "low")
    return spec.low;
  if (name == "high")
    return spec.high;
  if (name == "mean")
    return spec.mean;
  assert(name == "stddev" && "unknown initializer field");
  return spec.stddev;
}

/// Reports every node whose op is unknown, all in one error, before parsing:
/// in the graph's body (after its first '{') a node is the only place where
/// `%name = word (` occurs.
void checkOpNames(const std::vector<Token> &toks, const std::string &fileName) {
  std::vector<const Token *> unknown;
  size_t body = 0;
  while (body < toks.size() && toks[body].kind != TokenKind::LBrace)
    ++body;
  for (size_t i = body; i + 3 < toks.size(); ++i)
    if (toks[i].kind == TokenKind::ValueName &&
        toks[i + 1].kind == TokenKind::Equals &&
        toks[i + 2].kind == TokenKind::Word &&
        toks[i + 3].kind == TokenKind::LParen && !parseOpName(toks[i + 2].text))
      unknown.push_back(&toks[i + 2]);
  if (unknown.empty())
    return;
  if (unknown.size() == 1)
    badInput(location(fileName, *unknown[0]), ": unknown op ",
             describeToken(*unknown[0]));
  // A file in another dialect could have thousands; name the first ones.
  constexpr size_t kMaxListed = 20;
  std::string list;
  for (size_t i = 0; i < std::min(unknown.size(), kMaxListed); ++i)
    list += strCat(i ? ", " : "", describeToken(*unknown[i]), " (line ",
                   unknown[i]->line, ")");
  if (unknown.size() > kMaxListed)
    list += strCat(" and ", unknown.size() - kMaxListed, " more");
  badInput(location(fileName, *unknown[0]), ": ", unknown.size(),
           " unknown ops: ", list);
}

/// How deep bodies may nest (a scan in a scan's body is depth 2).
constexpr int kMaxGraphNesting = 16;

class Parser : public TokenCursor {
public:
  Parser(std::vector<Token> toks, const std::string &fileName)
      : TokenCursor(std::move(toks), fileName) {}

  Model parseModel();
  AttrValue parseLoneAttr(std::optional<AttrKind> kind) {
    AttrValue v = parseAttr(kind);
    expect(TokenKind::Eof, "end of input");
    return v;
  }

private:
  TensorType parseType();
  template <typename T> T parseElement(DType dtype);
  Tensor parseData(const TensorType &type);
  AttrValue parseAttr(std::optional<AttrKind> kind);
  AttrValue parseAttrList(std::optional<AttrKind> kind);
  InitSpec parseInit();
  /// Reads `graph name(inputs) params(...) { nodes return outputs }` into
  /// `g` (the parser's current graph while it reads).
  void parseGraph(Graph &g);
  SubGraph parseBody();

  void checkFresh(const Token &name);
  /// A `%name` naming a defined value; `role` ("operand", "output") and
  /// `what` go into errors.
  Value *parseOperand(std::string_view role, std::string_view what);
  void parseInput();
  void parseParam();
  void parseNode();
  void parseReturn();

  Graph *g_ = nullptr;
  int depth_ = 0;
  /// The line where each value was defined, for "defined twice" errors.
  std::unordered_map<std::string, uint32_t> defLine_;
};

TensorType Parser::parseType() {
  const Token &t = expect(TokenKind::Word, "a type such as f32[2,3]");
  std::optional<DType> dtype = parseDType(t.text);
  if (!dtype)
    fail(t, "unknown dtype ", describeToken(t),
         "; expected f32, f64, i32, i64, bool or u8");
  expect(TokenKind::LBracket, "'[' and the shape after the dtype");
  Shape shape;
  if (!at(TokenKind::RBracket)) {
    do {
      const Token &d = peek();
      int64_t v = 0;
      NumberStatus s = d.kind == TokenKind::Word ? parseNumber(d.text, v)
                                                 : NumberStatus::NotANumber;
      if (s == NumberStatus::NotANumber) {
        // A symbol: N, ?, or a multiple such as N*28.
        std::optional<int64_t> sym =
            d.kind == TokenKind::Word ? parseDim(d.text) : std::nullopt;
        if (!sym || !isSymbolic(*sym))
          fail(d,
               "expected a dimension (an integer >= 0, a symbol such as N "
               "or ?, or a multiple such as N*28), found ",
               describeToken(d));
        v = *sym;
      } else if (s == NumberStatus::OutOfRange) {
        fail(d, "dimension ", describeToken(d), " is out of range");
      } else if (v < 0) {
        fail(d, "negative dimension ", v);
      }
      if (shape.size() == kMaxRank)
        fail(d, "a type has at most ", kMaxRank, " dimensions");
      shape.push_back(v);
      next();
    } while (accept(TokenKind::Comma));
  }
  expect(TokenKind::RBracket, "',' or ']' in the shape");
  TensorType type{*dtype, shape};
  located(t, [&] { checkType(type, "type " + typeStr(type)); });
  return type;
}

/// One element of literal data of `dtype`, whose C++ type is T.
template <typename T> T Parser::parseElement(DType dtype) {
  if constexpr (std::is_same_v<T, bool>) {
    const Token &t = peek();
    if (t.kind != TokenKind::Word || (t.text != "true" && t.text != "false"))
      fail(t, "expected true or false for bool data, found ", describeToken(t));
    return next().text == "true";
  } else if constexpr (std::is_floating_point_v<T>) {
    return parseFloat<T>(strCat("a number for ", dtypeName(dtype), " data"));
  } else {
    const Token &t = peek();
    int64_t v = parseInt(strCat("an integer for ", dtypeName(dtype), " data"));
    if (v < (int64_t)std::numeric_limits<T>::min() ||
        v > (int64_t)std::numeric_limits<T>::max())
      fail(t, "integer ", v, " is out of range for ", dtypeName(dtype));
    return (T)v;
  }
}

Tensor Parser::parseData(const TensorType &type) {
  const Token &open = expect(TokenKind::LBracket, "'[' and a list of values");
  return visitDType(type.dtype, [&](auto tag) -> Tensor {
    using T = decltype(tag);
    // std::vector<bool> is packed; keep bools as bytes.
    using Elem = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
    std::vector<Elem> values;
    if (!at(TokenKind::RBracket)) {
      do
        values.push_back((Elem)parseElement<T>(type.dtype));
      while (accept(TokenKind::Comma));
    }
    expect(TokenKind::RBracket, "',' or ']' after a value");
    // The type was checked, so its element count is valid; comparing it
    // before allocating keeps a huge declared shape from allocating.
    if ((int64_t)values.size() != type.numElements())
      fail(open, typeStr(type), " needs ", type.numElements(), " value",
           type.numElements() == 1 ? "" : "s", ", found ", values.size());
    Tensor t(type);
    if (!values.empty())
      std::memcpy(t.bytes(), values.data(), values.size() * sizeof(Elem));
    return t;
  });
}

AttrValue Parser::parseAttr(std::optional<AttrKind> kind) {
  const Token &t = peek();
  if (t.kind == TokenKind::String)
    return next().text;
  if (t.kind == TokenKind::LBracket)
    return parseAttrList(kind);
  if (t.kind == TokenKind::Word) {
    if (t.text == "true" || t.text == "false")
      return next().text == "true";
    if (t.text == "graph")
      return parseBody();
    if (std::optional<DType> dtype = parseDType(t.text)) {
      if (peek(1).kind != TokenKind::LBracket) {
        next();
        return *dtype;
      }
      TensorType type = parseType();
      return parseData(type);
    }
    if (isNumberWord(t.text)) {
      if (isIntegerWord(t.text) && kind != AttrKind::Float)
        return parseInt("an integer");
      return parseFloat<double>("a number");
    }
  }
  fail(t,
       "expected an attribute value (a number, true, false, a string, a "
       "dtype, a list, a tensor or a graph), found ",
       describeToken(t));
}

AttrValue Parser::parseAttrList(std::optional<AttrKind> kind) {
  next(); // '['
  bool wantFloats = kind == AttrKind::Floats, allInts = true;
  const Token *sawSymbol = nullptr;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  if (!at(TokenKind::RBracket)) {
    do {
      const Token &t = peek();
      std::optional<int64_t> symbol =
          t.kind == TokenKind::Word && !isNumberWord(t.text) ? parseDim(t.text)
                                                             : std::nullopt;
      if (!wantFloats && symbol && isSymbolic(*symbol)) {
        // A shape attribute's symbolic dimension: N, N*28.
        sawSymbol = &t;
        next();
        ints.push_back(*symbol);
        floats.push_back(0);
      } else if (!wantFloats && t.kind == TokenKind::Word &&
                 isIntegerWord(t.text)) {
        ints.push_back(parseInt("an integer"));
        floats.push_back((double)ints.back());
      } else {
        allInts = false;
        floats.push_back(parseFloat<double>("a number"));
      }
    } while (accept(TokenKind::Comma));
  }
  expect(TokenKind::RBracket, "',' or ']' after a list element");
  if (sawSymbol && !allInts)
    fail(*sawSymbol, "a list with a symbolic dimension holds integers only");
  if (allInts && !wantFloats)
    return ints;
  return floats;
}

InitSpec Parser::parseInit() {
  const Token &k = peek();
  std::optional<InitSpec::Kind> kind;
  if (k.kind == TokenKind::Word)
    kind = parseInitKind(k.text);
  if (!kind)
    fail(k,
         "expected an initial value: a list of values or one of zeros, ones, "
         "constant, uniform, normal, glorot_uniform, glorot_normal, "
         "he_uniform, he_normal; found ",
         describeToken(k));
  next();
  InitSpec spec;
  spec.kind = *kind;
  if (!accept(TokenKind::LParen))
    return spec;
  std::vector<std::string_view> fields = initFields(*kind), seen;
  if (!at(TokenKind::RParen)) {
    do {
      const Token &f = expect(TokenKind::Word, "an initializer field");
      auto field = std::find(fields.begin(), fields.end(), f.text);
      if (field == fields.end())
        fail(f, "initializer ", k.text, " has no field ", describeToken(f),
             fields.empty() ? "; it takes none"
                            : "; it takes " + joined(fields));
      if (std::find(seen.begin(), seen.end(), *field) != seen.end())
        fail(f, "field '", *field, "' is given twice");
      seen.push_back(*field);
      expect(TokenKind::Equals, strCat("'=' after '", *field, "'"));
      if (*field == "seed") {
        const Token &s = peek();
        NumberStatus st = s.kind == TokenKind::Word
                              ? parseNumber(s.text, spec.seed)
                              : NumberStatus::NotANumber;
        if (st != NumberStatus::Ok)
          fail(s, "expected a seed (an integer from 0 to 2^64-1), found ",
               describeToken(s));
        next();
      } else {
        initField(spec, *field) =
            parseFloat<double>(strCat("a number for '", *field, "'"));
      }
    } while (accept(TokenKind::Comma));
  }
  expect(TokenKind::RParen, "',' or ')' after an initializer field");
  return spec;
}

void Parser::checkFresh(const Token &name) {
  auto it = defLine_.find(name.text);
  if (it != defLine_.end())
    fail(name, "value ", describeToken(name),
         " is defined twice (first on line ", it->second, ")");
  defLine_[name.text] = name.line;
}

Value *Parser::parseOperand(std::string_view role, std::string_view what) {
  const Token &t = expect(TokenKind::ValueName, what);
  Value *v = g_->findValue(t.text);
  if (!v)
    fail(t, role, " ", describeToken(t), " names no value defined before it");
  return v;
}

void Parser::parseInput() {
  const Token &name =
      expect(TokenKind::ValueName, "an input such as %x: f32[2]");
  checkFresh(name);
  expect(TokenKind::Colon, "':' and a type after the input's name");
  TensorType type = parseType();
  located(name, [&] { g_->addInput(name.text, type); });
}

void Parser::parseParam() {
  const Token &name =
      expect(TokenKind::ValueName, "a parameter such as %w: f32[2] = zeros");
  checkFresh(name);
  expect(TokenKind::Colon, "':' and a type after the parameter's name");
  TensorType type = parseType();
  expect(TokenKind::Equals, "'=' and an initial value after the type");
  if (at(TokenKind::LBracket)) {
    Tensor data = parseData(type);
    located(name, [&] { g_->addParam(name.text, std::move(data)); });
  } else {
    InitSpec init = parseInit();
    located(name, [&] { g_->addParam(name.text, type, init); });
  }
}

void Parser::parseNode() {
  const Token &result = next();
  checkFresh(result);
  expect(TokenKind::Equals, "'=' after the node's name");
  const Token &opTok = expect(TokenKind::Word, "an op name");
  std::optional<OpKind> op = parseOpName(opTok.text);
  if (!op)
    fail(opTok, "unknown op ", describeToken(opTok));
  const OpDef &def = opDef(*op);
  std::string what =
      strCat("node %", quoteName(result.text), " (", def.name, ")");

  expect(TokenKind::LParen, "'(' and the operands after the op name");
  std::vector<Value *> operands;
  std::vector<TensorType> types;
  if (!at(TokenKind::RParen)) {
    do {
      operands.push_back(parseOperand("operand", "an operand such as %x"));
      types.push_back(operands.back()->type());
    } while (accept(TokenKind::Comma));
  }
  expect(TokenKind::RParen, "',' or ')' after an operand");

  Attributes attrs;
  if (accept(TokenKind::LBrace) && !accept(TokenKind::RBrace)) {
    do {
      const Token &nameTok = peek();
      std::string name = parseName("an attribute name");
      if (attrs.find(name))
        fail(nameTok, what, ": attribute '", name, "' is given twice");
      const AttrSpec *spec = def.findAttr(name);
      if (!spec) {
        std::vector<std::string_view> known;
        for (const AttrSpec &s : def.attrs)
          known.push_back(s.name);
        fail(nameTok, what, ": op ", def.name, " has no attribute '", name,
             known.empty() ? "'; it takes none"
                           : "'; it takes " + joined(known));
      }
      expect(TokenKind::Equals, strCat("'=' after attribute '", name, "'"));
      const Token &valueTok = peek();
      AttrValue value = parseAttr(spec->kind);
      if (attrKindOf(value) != spec->kind)
        fail(valueTok, what, ": attribute '", name, "' must be ",
             attrKindName(spec->kind), ", not ",
             attrKindName(attrKindOf(value)));
      attrs.set(std::move(name), std::move(value));
    } while (accept(TokenKind::Comma));
    expect(TokenKind::RBrace, "',' or '}' after an attribute");
  }

  expect(TokenKind::Colon, "':' and the result type");
  const Token &typeTok = peek();
  TensorType declared = parseType();
  TensorType inferred = located(opTok, [&] {
    return withContext(what, [&] { return inferType(*op, types, attrs); });
  });
  if (inferred != declared)
    fail(typeTok, what, ": declared type ", typeStr(declared),
         " but the operands give ", typeStr(inferred));
  located(result, [&] {
    g_->addNode(*op, std::move(operands), std::move(attrs), result.text,
                declared);
  });
}

void Parser::parseReturn() {
  if (at(TokenKind::RBrace))
    return;
  do {
    const Token &start = peek();
    std::string name;
    Value *v;
    if (at(TokenKind::ValueName)) {
      v = parseOperand("output", "an output");
      name = v->name();
    } else {
      name = parseName("an output such as %x or name = %x");
      expect(TokenKind::Equals, "'=' and a value after the output's name");
      v = parseOperand("output", "the output's value such as %x");
    }
    located(start, [&] { g_->addOutput(name, v); });
  } while (accept(TokenKind::Comma));
}

void Parser::parseGraph(Graph &g) {
  g_ = &g;
  expectKeyword("graph");
  g.setName(parseName("the graph's name"));
  expect(TokenKind::LParen, "'(' and the inputs after the graph's name");
  if (!accept(TokenKind::RParen)) {
    do
      parseInput();
    while (accept(TokenKind::Comma));
    expect(TokenKind::RParen, "',' or ')' after an input");
  }
  if (atKeyword("params")) {
    next();
    expect(TokenKind::LParen, "'(' after 'params'");
    if (!accept(TokenKind::RParen)) {
      do
        parseParam();
      while (accept(TokenKind::Comma));
      expect(TokenKind::RParen, "',' or ')' after a parameter");
    }
  }
  expect(TokenKind::LBrace, "'{' and the graph's body");
  while (at(TokenKind::ValueName))
    parseNode();
  const Token &ret = peek();
  if (!atKeyword("return"))
    fail(ret, "expected a node such as %y = relu(%x) : f32[2], or 'return', ",
         "found ", describeToken(ret));
  next();
  parseReturn();
  expect(TokenKind::RBrace, "',' or '}' after the outputs");
  located(ret, [&] { verify(g); });
}

SubGraph Parser::parseBody() {
  const Token &start = peek();
  if (depth_ >= kMaxGraphNesting)
    fail(start, "graphs nest more than ", kMaxGraphNesting, " deep");
  // The body has its own names: save the enclosing graph's.
  Graph *outer = g_;
  auto outerLines = std::move(defLine_);
  defLine_.clear();
  ++depth_;
  auto body = std::make_shared<Graph>();
  parseGraph(*body);
  --depth_;
  g_ = outer;
  defLine_ = std::move(outerLines);
  return body;
}

Model Parser::parseModel() {
  Model m;
  parseGraph(m.graph);
  if (atKeyword("training"))
    m.training = parseTrainingBlock(*this, m.graph);
  expect(TokenKind::Eof, "end of file");
  return m;
}

} // namespace

Model parseModel(std::string_view text, const std::string &fileName) {
  std::vector<Token> toks = lex(text, fileName);
  checkOpNames(toks, fileName);
  return Parser(std::move(toks), fileName).parseModel();
}

AttrValue parseAttrValue(std::string_view text, std::optional<AttrKind> kind) {
  const std::string fileName = "<attribute>";
  return Parser(lex(text, fileName), fileName).parseLoneAttr(kind);
}

} // namespace adjoint
