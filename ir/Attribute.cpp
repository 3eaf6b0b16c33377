//===- Attribute.cpp - Typed attributes of nodes --------------------------===//
#include "ir/Attribute.h"

#include "ir/Graph.h"

#include <cstring>
#include <type_traits>

namespace adjoint {

std::string_view attrKindName(AttrKind k) {
  switch (k) {
  case AttrKind::Int:
    return "int";
  case AttrKind::Float:
    return "float";
  case AttrKind::Bool:
    return "bool";
  case AttrKind::String:
    return "string";
  case AttrKind::DType:
    return "dtype";
  case AttrKind::Ints:
    return "ints";
  case AttrKind::Floats:
    return "floats";
  case AttrKind::Tensor:
    return "tensor";
  case AttrKind::Graph:
    return "graph";
  }
  __builtin_unreachable();
}

bool attrValuesEqual(const AttrValue &a, const AttrValue &b) {
  if (a.index() != b.index())
    return false;
  return std::visit(
      [&](const auto &x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T &y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Tensor>) {
          return x.identical(y);
        } else if constexpr (std::is_same_v<T, SubGraph>) {
          return x == y || graphsIdentical(*x, *y);
        } else if constexpr (std::is_same_v<T, double>) {
          return std::memcmp(&x, &y, sizeof(double)) == 0; // NaN == NaN
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          return x.size() == y.size() &&
                 (x.empty() ||
                  std::memcmp(x.data(), y.data(), x.size() * 8) == 0);
        } else {
          return x == y;
        }
      },
      a);
}

bool Attributes::operator==(const Attributes &other) const {
  if (map_.size() != other.map_.size())
    return false;
  for (auto ia = map_.begin(), ib = other.map_.begin(); ia != map_.end();
       ++ia, ++ib)
    if (ia->first != ib->first || !attrValuesEqual(ia->second, ib->second))
      return false;
  return true;
}

} // namespace adjoint
