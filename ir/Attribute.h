//===- Attribute.h - Typed attributes of nodes ----------------------------===//
#pragma once

#include "ir/DType.h"
#include "ir/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace adjoint {

class Graph;

/// The kinds of attribute value; the order matches AttrValue's alternatives.
enum class AttrKind {
  Int,
  Float,
  Bool,
  String,
  DType,
  Ints,
  Floats,
  Tensor,
  Graph
};

/// A graph held by an attribute: the body of a `scan`. It is immutable once
/// built, so copies of a node share it.
using SubGraph = std::shared_ptr<const Graph>;

/// An attribute value.
using AttrValue =
    std::variant<int64_t, double, bool, std::string, DType,
                 std::vector<int64_t>, std::vector<double>, Tensor, SubGraph>;

inline AttrKind attrKindOf(const AttrValue &v) { return (AttrKind)v.index(); }
/// "int", "float", "bool", "string", "dtype", "ints", "floats", "tensor",
/// "graph".
std::string_view attrKindName(AttrKind k);
/// Two attribute values of the same kind and contents (tensors bitwise,
/// graphs by their text form).
bool attrValuesEqual(const AttrValue &a, const AttrValue &b);

/// The attributes of one node, ordered by name.
class Attributes {
public:
  using Map = std::map<std::string, AttrValue, std::less<>>;

  void set(std::string name, AttrValue value) {
    map_.insert_or_assign(std::move(name), std::move(value));
  }
  /// Removes attribute `name` if set (an optional one then has its
  /// default).
  void erase(std::string_view name) {
    auto it = map_.find(name);
    if (it != map_.end())
      map_.erase(it);
  }
  const AttrValue *find(std::string_view name) const {
    auto it = map_.find(name);
    return it == map_.end() ? nullptr : &it->second;
  }
  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  Map::const_iterator begin() const { return map_.begin(); }
  Map::const_iterator end() const { return map_.end(); }
  bool operator==(const Attributes &other) const;

private:
  Map map_;
};

} // namespace adjoint
