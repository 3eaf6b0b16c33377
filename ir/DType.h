//===- DType.h - Element types of tensors ---------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace adjoint {

/// The element type of a tensor.
enum class DType : uint8_t { F32, F64, I32, I64, Bool, U8 };

/// Every dtype, in declaration order.
inline constexpr DType kAllDTypes[] = {DType::F32, DType::F64,  DType::I32,
                                       DType::I64, DType::Bool, DType::U8};

/// The text name of `t`: f32, f64, i32, i64, bool, u8.
std::string_view dtypeName(DType t);
/// The dtype named `name`, if any.
std::optional<DType> parseDType(std::string_view name);
/// Bytes per element.
size_t dtypeSize(DType t);
inline bool isFloat(DType t) { return t == DType::F32 || t == DType::F64; }
inline bool isInteger(DType t) {
  return t == DType::I32 || t == DType::I64 || t == DType::U8;
}
/// Floating or integer: the types arithmetic is defined on (not bool).
inline bool isNumeric(DType t) { return isFloat(t) || isInteger(t); }
inline bool isSignedNumeric(DType t) { return isNumeric(t) && t != DType::U8; }

/// Calls `fn(T{})` with the C++ type of `t` (bool for Bool).
template <typename Fn> decltype(auto) visitDType(DType t, Fn &&fn) {
  switch (t) {
  case DType::F32:
    return fn(float{});
  case DType::F64:
    return fn(double{});
  case DType::I32:
    return fn(int32_t{});
  case DType::I64:
    return fn(int64_t{});
  case DType::Bool:
    return fn(bool{});
  case DType::U8:
    return fn(uint8_t{});
  }
  __builtin_unreachable();
}

/// The dtype of C++ type T.
template <typename T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::F32; }
template <> constexpr DType dtypeOf<double>() { return DType::F64; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::I32; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::I64; }
template <> constexpr DType dtypeOf<bool>() { return DType::Bool; }
template <> constexpr DType dtypeOf<uint8_t>() { return DType::U8; }

} // namespace adjoint
