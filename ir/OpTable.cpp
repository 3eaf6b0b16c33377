//===- OpTable.cpp - Operation kinds and their definitions ----------------===//
#include "ir/OpTable.h"

#include "ir/Error.h"

#include <array>
#include <cassert>
#include <cctype>
#include <cstdlib>

namespace adjoint {

namespace {

struct RawOp {
  OpKind kind;
  std::string_view name;
  int arity;
  unsigned traits;
  std::string_view attrs;
};

constexpr RawOp kRawOps[] = {
#define OP(Kind, Name, Arity, Traits, Attrs)                                   \
  {OpKind::Kind, Name, Arity, Traits, Attrs},
#include "ir/Ops.def"
};

constexpr size_t kNumOps = std::size(kRawOps);

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace((unsigned char)s[b]))
    ++b;
  while (e > b && std::isspace((unsigned char)s[e - 1]))
    --e;
  return std::string(s.substr(b, e - b));
}

/// Parses a default value written in Ops.def ("[1, 1]", "false", "0.0", "0",
/// "f32").
AttrValue parseDefault(AttrKind kind, const std::string &text) {
  switch (kind) {
  case AttrKind::Int:
    return (int64_t)std::strtoll(text.c_str(), nullptr, 10);
  case AttrKind::Float:
    return std::strtod(text.c_str(), nullptr);
  case AttrKind::Bool:
    assert((text == "true" || text == "false") && "bad bool default");
    return text == "true";
  case AttrKind::Ints: {
    std::vector<int64_t> values;
    assert(text.size() >= 2 && text.front() == '[' && "bad ints default");
    std::string body = text.substr(1, text.size() - 2);
    size_t pos = 0;
    while (pos < body.size()) {
      size_t comma = body.find(',', pos);
      if (comma == std::string::npos)
        comma = body.size();
      std::string item = trim(body.substr(pos, comma - pos));
      if (!item.empty())
        values.push_back(std::strtoll(item.c_str(), nullptr, 10));
      pos = comma + 1;
    }
    return values;
  }
  case AttrKind::DType: {
    std::optional<DType> t = parseDType(text);
    assert(t && "bad dtype default");
    return *t;
  }
  case AttrKind::String:
    assert(text.size() >= 2 && text.front() == '"' && text.back() == '"' &&
           "bad string default");
    return text.substr(1, text.size() - 2);
  case AttrKind::Floats:
  case AttrKind::Tensor:
  case AttrKind::Graph:
    break;
  }
  assert(false && "unsupported default kind in Ops.def");
  return int64_t{0};
}

AttrKind parseKind(const std::string &name) {
  for (int k = 0; k <= (int)AttrKind::Graph; ++k)
    if (attrKindName((AttrKind)k) == name)
      return (AttrKind)k;
  assert(false && "unknown attribute kind in Ops.def");
  return AttrKind::Int;
}

/// Splits "a: ints, b: int = 0, c: ints?" at the commas outside brackets.
std::vector<AttrSpec> parseAttrSpecs(std::string_view spec) {
  std::vector<std::string> items;
  int depth = 0;
  std::string current;
  for (char c : spec) {
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (c == ',' && depth == 0) {
      items.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty())
    items.push_back(current);

  std::vector<AttrSpec> specs;
  for (const std::string &item : items) {
    size_t colon = item.find(':');
    assert(colon != std::string::npos && "attribute spec lacks ':'");
    AttrSpec s;
    s.name = trim(item.substr(0, colon));
    std::string rest = trim(item.substr(colon + 1));
    size_t eq = rest.find('=');
    if (eq != std::string::npos) {
      s.kind = parseKind(trim(rest.substr(0, eq)));
      s.defaultValue = parseDefault(s.kind, trim(rest.substr(eq + 1)));
      s.required = false;
    } else if (!rest.empty() && rest.back() == '?') {
      s.kind = parseKind(trim(rest.substr(0, rest.size() - 1)));
      s.required = false;
    } else {
      s.kind = parseKind(rest);
    }
    specs.push_back(std::move(s));
  }
  return specs;
}

const std::array<OpDef, kNumOps> &table() {
  static const std::array<OpDef, kNumOps> defs = [] {
    std::array<OpDef, kNumOps> out;
    for (size_t i = 0; i < kNumOps; ++i) {
      const RawOp &r = kRawOps[i];
      assert((size_t)r.kind == i && "Ops.def rows out of order");
      out[i] =
          OpDef{r.kind, r.name, r.arity, r.traits, parseAttrSpecs(r.attrs)};
    }
    return out;
  }();
  return defs;
}

const std::array<OpKind, kNumOps> kAllOps = [] {
  std::array<OpKind, kNumOps> out{};
  for (size_t i = 0; i < kNumOps; ++i)
    out[i] = kRawOps[i].kind;
  return out;
}();

} // namespace

const AttrSpec *OpDef::findAttr(std::string_view attrName) const {
  for (const AttrSpec &s : attrs)
    if (s.name == attrName)
      return &s;
  return nullptr;
}

const OpDef &opDef(OpKind op) { return table()[(size_t)op]; }

std::optional<OpKind> parseOpName(std::string_view name) {
  for (const RawOp &r : kRawOps)
    if (r.name == name)
      return r.kind;
  return std::nullopt;
}

std::span<const OpKind> allOps() { return kAllOps; }

void checkAttributes(OpKind op, const Attributes &attrs) {
  const OpDef &def = opDef(op);
  for (const auto &[name, value] : attrs) {
    const AttrSpec *spec = def.findAttr(name);
    if (!spec)
      badInput("unknown attribute '", name, "' for op ", def.name);
    if (attrKindOf(value) != spec->kind)
      badInput("attribute '", name, "' of op ", def.name, " must be ",
               attrKindName(spec->kind), ", not ",
               attrKindName(attrKindOf(value)));
  }
  for (const AttrSpec &spec : def.attrs)
    if (spec.required && !attrs.find(spec.name))
      badInput("op ", def.name, " requires attribute '", spec.name, "' (",
               attrKindName(spec.kind), ")");
}

const AttrValue &AttrReader::get(std::string_view name) const {
  if (const AttrValue *v = attrs_.find(name))
    return *v;
  const AttrSpec *spec = opDef(op_).findAttr(name);
  assert(spec && spec->defaultValue && "attribute without value or default");
  return *spec->defaultValue;
}

int64_t AttrReader::getInt(std::string_view name) const {
  return std::get<int64_t>(get(name));
}
double AttrReader::getFloat(std::string_view name) const {
  return std::get<double>(get(name));
}
bool AttrReader::getBool(std::string_view name) const {
  return std::get<bool>(get(name));
}
DType AttrReader::getDType(std::string_view name) const {
  return std::get<DType>(get(name));
}
const std::vector<int64_t> &AttrReader::getInts(std::string_view name) const {
  return std::get<std::vector<int64_t>>(get(name));
}
const std::string &AttrReader::getString(std::string_view name) const {
  return std::get<std::string>(get(name));
}
const Tensor &AttrReader::getTensor(std::string_view name) const {
  return std::get<Tensor>(get(name));
}
const Graph &AttrReader::getGraph(std::string_view name) const {
  return *std::get<SubGraph>(get(name));
}
const std::vector<int64_t> *AttrReader::findInts(std::string_view name) const {
  const AttrValue *v = attrs_.find(name);
  return v ? &std::get<std::vector<int64_t>>(*v) : nullptr;
}

} // namespace adjoint
