//===- SymbolicDim.cpp - Symbolic extents of shapes -----------------------===//
#include "ir/SymbolicDim.h"

#include "ir/Error.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <unordered_map>

namespace adjoint {

namespace {

struct SymbolTable {
  std::mutex mutex;
  std::unordered_map<std::string, SymbolId> ids;
  std::vector<std::string> names;
};

SymbolTable &symbols() {
  static SymbolTable table;
  return table;
}

bool isSymbolName(std::string_view s) {
  if (s == "?")
    return true;
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_'))
      return false;
  return true;
}

std::optional<int64_t> parseCount(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0)
    return std::nullopt;
  return v;
}

} // namespace

SymbolId internSymbol(std::string_view name) {
  SymbolTable &t = symbols();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.ids.find(std::string(name));
  if (it != t.ids.end())
    return it->second;
  if ((int64_t)t.names.size() >= kSymbolIds)
    badInput("too many symbolic dimension names (", kSymbolIds, ")");
  SymbolId id = (SymbolId)t.names.size();
  t.names.emplace_back(name);
  t.ids.emplace(std::string(name), id);
  return id;
}

std::string symbolName(SymbolId id) {
  SymbolTable &t = symbols();
  std::lock_guard<std::mutex> lock(t.mutex);
  return id < t.names.size() ? t.names[id] : "?" + std::to_string(id);
}

bool isStatic(const std::vector<int64_t> &shape) {
  for (int64_t d : shape)
    if (isSymbolic(d))
      return false;
  return true;
}

std::vector<SymbolId> shapeSymbols(const std::vector<int64_t> &shape) {
  std::vector<SymbolId> out;
  for (int64_t d : shape)
    if (isSymbolic(d)) {
      SymbolId s = dimSymbol(d);
      if (std::find(out.begin(), out.end(), s) == out.end())
        out.push_back(s);
    }
  return out;
}

std::string dimStr(int64_t dim) {
  if (!isSymbolic(dim))
    return std::to_string(dim);
  std::string s = symbolName(dimSymbol(dim));
  int64_t c = dimCoefficient(dim);
  return c == 1 ? s : s + "*" + std::to_string(c);
}

std::optional<int64_t> parseDim(std::string_view text) {
  size_t star = text.find('*');
  std::string_view name = text.substr(0, star);
  int64_t coefficient = 1;
  if (star != std::string_view::npos) {
    std::optional<int64_t> c = parseCount(text.substr(star + 1));
    if (!c || *c < 1 || *c > kMaxSymbolCoefficient)
      return std::nullopt;
    coefficient = *c;
  }
  if (isSymbolName(name))
    return symbolicDim(internSymbol(name), coefficient);
  if (star != std::string_view::npos)
    return std::nullopt;
  return parseCount(text);
}

std::optional<int64_t> mulDims(int64_t a, int64_t b) {
  if (isSymbolic(a) && isSymbolic(b))
    return std::nullopt;
  if (!isSymbolic(a) && !isSymbolic(b)) {
    int64_t p;
    if (__builtin_mul_overflow(a, b, &p))
      return std::nullopt;
    return p;
  }
  int64_t sym = isSymbolic(a) ? a : b, k = isSymbolic(a) ? b : a;
  if (k == 0)
    return 0;
  int64_t c;
  if (__builtin_mul_overflow(dimCoefficient(sym), k, &c) ||
      c > kMaxSymbolCoefficient)
    return std::nullopt;
  return symbolicDim(dimSymbol(sym), c);
}

std::optional<int64_t> productOfDims(const std::vector<int64_t> &dims) {
  // A zero extent makes the product 0 whatever the symbols.
  for (int64_t d : dims)
    if (d == 0)
      return 0;
  int64_t p = 1;
  for (int64_t d : dims) {
    std::optional<int64_t> next = mulDims(p, d);
    if (!next)
      return std::nullopt;
    p = *next;
  }
  return p;
}

std::optional<int64_t> addDims(int64_t a, int64_t b) {
  if (!isSymbolic(a) && !isSymbolic(b)) {
    int64_t s;
    if (__builtin_add_overflow(a, b, &s))
      return std::nullopt;
    return s;
  }
  if (isSymbolic(a) != isSymbolic(b) || dimSymbol(a) != dimSymbol(b))
    return std::nullopt;
  int64_t c = dimCoefficient(a) + dimCoefficient(b);
  if (c > kMaxSymbolCoefficient)
    return std::nullopt;
  return symbolicDim(dimSymbol(a), c);
}

std::optional<int64_t> divDims(int64_t a, int64_t b) {
  if (!isSymbolic(b)) {
    if (b <= 0)
      return std::nullopt;
    if (!isSymbolic(a))
      return a % b == 0 ? std::optional<int64_t>(a / b) : std::nullopt;
    int64_t c = dimCoefficient(a);
    return c % b == 0 ? std::optional<int64_t>(symbolicDim(dimSymbol(a), c / b))
                      : std::nullopt;
  }
  if (!isSymbolic(a) || dimSymbol(a) != dimSymbol(b))
    return std::nullopt;
  int64_t ca = dimCoefficient(a), cb = dimCoefficient(b);
  return ca % cb == 0 ? std::optional<int64_t>(ca / cb) : std::nullopt;
}

int64_t bindDim(int64_t dim, const SymbolValues &values) {
  if (!isSymbolic(dim))
    return dim;
  auto it = values.find(dimSymbol(dim));
  if (it == values.end())
    badInput("no value for the symbolic dimension ",
             symbolName(dimSymbol(dim)));
  int64_t v;
  if (__builtin_mul_overflow(it->second, dimCoefficient(dim), &v))
    badInput("symbolic dimension ", dimStr(dim), " with ",
             symbolName(dimSymbol(dim)), " = ", it->second,
             " does not fit in 64 bits");
  return v;
}

std::vector<int64_t> bindShape(const std::vector<int64_t> &shape,
                               const SymbolValues &values) {
  std::vector<int64_t> out;
  for (int64_t d : shape)
    out.push_back(bindDim(d, values));
  return out;
}

void unifyShape(const std::vector<int64_t> &declared,
                const std::vector<int64_t> &actual, SymbolValues &values,
                const std::string &what) {
  auto show = [](const std::vector<int64_t> &s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
      out += (i ? "," : "") + dimStr(s[i]);
    return out + "]";
  };
  if (declared.size() != actual.size())
    badInput(what, " expects a shape ", show(declared), ", got ", show(actual));
  for (size_t i = 0; i < declared.size(); ++i) {
    int64_t d = declared[i], got = actual[i];
    if (!isSymbolic(d)) {
      if (d != got)
        badInput(what, " expects a shape ", show(declared), ", got ",
                 show(actual));
      continue;
    }
    SymbolId s = dimSymbol(d);
    int64_t c = dimCoefficient(d);
    if (got % c != 0)
      badInput(what, ": extent ", got, " of dimension ", i,
               " is no multiple of ", c, " (declared ", dimStr(d), ")");
    auto [it, fresh] = values.emplace(s, got / c);
    if (!fresh && it->second != got / c)
      badInput(what, ": dimension ", i, " (", dimStr(d), ") gives ",
               symbolName(s), " = ", got / c, ", but another input gave ",
               symbolName(s), " = ", it->second);
  }
}

} // namespace adjoint
