//===- Support.cpp - Helpers shared by the interpreter's kernels ----------===//
#include "ir/interp/Kernels.h"

#include "ir/Error.h"

#include <cassert>
#include <stdexcept>

namespace adjoint::interp {

void unsupportedDType(std::string_view kernel, DType t) {
  std::string message =
      strCat("internal error: ", kernel, " kernel reached with ", dtypeName(t));
  assert(false && "kernel reached with a dtype shape inference rejects");
  throw std::logic_error(message);
}

std::vector<int64_t> broadcastStrides(const Shape &operand, const Shape &out) {
  assert(operand.size() <= out.size() && "operand ranks above the result");
  std::vector<int64_t> strides(out.size(), 0);
  std::vector<int64_t> own = stridesOf(operand);
  size_t lead = out.size() - operand.size();
  for (size_t d = 0; d < operand.size(); ++d)
    if (operand[d] != 1)
      strides[lead + d] = own[d];
  return strides;
}

} // namespace adjoint::interp
