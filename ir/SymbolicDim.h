//===- SymbolicDim.h - Symbolic extents of shapes ---------------*- C++ -*-===//
//
// A dimension of a shape may be symbolic: a name such as N (in practice the
// batch), written `N` in the text IR, or `?` for the one unnamed symbol.
// Reshapes and concatenations make multiples of it, written `N*28`. A
// symbolic extent is coefficient x symbol, kept in the same int64 as a
// static one, encoded as a negative number, so that a Shape stays a vector
// of int64 and shapes compare structurally (N equals N, not 3).
//
// Code that needs a static shape (sizes, strides, buffers) checks
// isStatic() first, or works on a graph whose symbols are bound
// (ir/Specialize.h); checkShape accepts symbolic extents, Tensor does not.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adjoint {

using SymbolId = uint32_t;

/// Ids of symbols below this bound; the coefficient is the rest of the
/// encoding.
inline constexpr int64_t kSymbolIds = int64_t(1) << 20;
/// The largest coefficient of a symbolic extent.
inline constexpr int64_t kMaxSymbolCoefficient = (int64_t(1) << 40);

/// The id of the symbol called `name` (`?` or an identifier), the same id
/// for the same name in every graph of the process.
SymbolId internSymbol(std::string_view name);
/// The name of symbol `id`.
std::string symbolName(SymbolId id);

/// The extent `coefficient` x symbol `id` (coefficient >= 1).
inline int64_t symbolicDim(SymbolId id, int64_t coefficient = 1) {
  return -(coefficient * kSymbolIds + (int64_t)id) - 1;
}
/// Whether `dim` encodes a symbolic extent (a small negative number such as
/// -1 is none: it is an invalid extent, printed and rejected as such).
inline bool isSymbolic(int64_t dim) { return dim <= -kSymbolIds - 1; }
inline SymbolId dimSymbol(int64_t dim) {
  return (SymbolId)((-(dim + 1)) % kSymbolIds);
}
inline int64_t dimCoefficient(int64_t dim) { return (-(dim + 1)) / kSymbolIds; }

/// Whether no extent of `shape` is symbolic.
bool isStatic(const std::vector<int64_t> &shape);
/// The symbols of `shape`, in order of first appearance.
std::vector<SymbolId> shapeSymbols(const std::vector<int64_t> &shape);

/// "N", "N*28", "?" or the number.
std::string dimStr(int64_t dim);
/// Parses dimStr's forms; nullopt for anything else.
std::optional<int64_t> parseDim(std::string_view text);

/// a * b when it is static or a multiple of one symbol (not N*N, not past
/// kMaxSymbolCoefficient or int64).
std::optional<int64_t> mulDims(int64_t a, int64_t b);
/// The product of `dims` as mulDims forms it (1 for none).
std::optional<int64_t> productOfDims(const std::vector<int64_t> &dims);
/// a + b when both are static or multiples of the same symbol.
std::optional<int64_t> addDims(int64_t a, int64_t b);
/// a / b when it is exact: static by static, a multiple of a symbol by a
/// static divisor of its coefficient, or c1*S by c2*S.
std::optional<int64_t> divDims(int64_t a, int64_t b);

/// Values of symbols.
using SymbolValues = std::map<SymbolId, int64_t>;
/// The extent with its symbol's value (unchanged when static); throws
/// BadInput when `values` lacks the symbol.
int64_t bindDim(int64_t dim, const SymbolValues &values);
std::vector<int64_t> bindShape(const std::vector<int64_t> &shape,
                               const SymbolValues &values);
/// Binds the symbols of `declared` so that it equals `actual` (a concrete
/// shape), adding to `values`; throws BadInput naming `what` when the
/// ranks, a static extent or an already bound symbol disagree.
void unifyShape(const std::vector<int64_t> &declared,
                const std::vector<int64_t> &actual, SymbolValues &values,
                const std::string &what);

} // namespace adjoint
