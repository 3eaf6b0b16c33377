//===- OpTable.h - Operation kinds and their definitions ------------------===//
//
// The C++ view of Ops.def: the OpKind enumeration and, for each kind, its
// name, operand count, traits and attribute specification.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace adjoint {

/// Every operation of the IR.
enum class OpKind : uint16_t {
#define OP(Kind, Name, Arity, Traits, Attrs) Kind,
#include "ir/Ops.def"
};

/// Properties of an operation that passes and stages can query.
enum OpTrait : unsigned {
  NoTraits = 0,
  Elementwise = 1u << 0,    ///< output element i depends on operand element i
  Broadcasting = 1u << 1,   ///< operands broadcast numpy-style
  Reduction = 1u << 2,      ///< reduces over axes
  ShapeOnly = 1u << 3,      ///< moves or reshapes data, computes nothing
  Commutative = 1u << 4,    ///< the two operands may be swapped
  Differentiable = 1u << 5, ///< has a gradient w.r.t. its float operands
  HasSideEffect = 1u << 6,  ///< must not be removed or duplicated
  Expensive = 1u << 7,      ///< long scalar code: fusion never recomputes it
};

/// One attribute an operation takes.
struct AttrSpec {
  std::string name;
  AttrKind kind;
  /// Present for attributes declared `= default`.
  std::optional<AttrValue> defaultValue;
  /// True for attributes declared without default and without `?`.
  bool required = true;
};

/// The definition of one operation: one row of Ops.def.
struct OpDef {
  OpKind kind;
  std::string_view name;
  int arity; ///< number of operands, or -1 for one or more
  unsigned traits;
  std::vector<AttrSpec> attrs;

  bool has(OpTrait t) const { return (traits & t) != 0; }
  const AttrSpec *findAttr(std::string_view attrName) const;
};

/// The definition of `op`.
const OpDef &opDef(OpKind op);
inline std::string_view opName(OpKind op) { return opDef(op).name; }
/// The op whose text name is `name`, if any.
std::optional<OpKind> parseOpName(std::string_view name);
/// Every op, in table order.
std::span<const OpKind> allOps();

/// Throws BadInput unless `attrs` has every required attribute of `op`, no
/// unknown one, and each of the declared kind.
void checkAttributes(OpKind op, const Attributes &attrs);

/// Typed access to a node's attributes, falling back to the op's defaults.
/// The attributes must have passed checkAttributes.
class AttrReader {
public:
  AttrReader(OpKind op, const Attributes &attrs) : op_(op), attrs_(attrs) {}
  OpKind op() const { return op_; }

  int64_t getInt(std::string_view name) const;
  double getFloat(std::string_view name) const;
  bool getBool(std::string_view name) const;
  DType getDType(std::string_view name) const;
  const std::vector<int64_t> &getInts(std::string_view name) const;
  const std::string &getString(std::string_view name) const;
  const Tensor &getTensor(std::string_view name) const;
  const Graph &getGraph(std::string_view name) const;
  /// For `?` attributes: the value if present.
  const std::vector<int64_t> *findInts(std::string_view name) const;

private:
  const AttrValue &get(std::string_view name) const;
  OpKind op_;
  const Attributes &attrs_;
};

} // namespace adjoint
