//===- Scan.cpp - The reference scan: the body interpreted once per step --===//
#include "ir/Scan.h"
#include "ir/Graph.h"
#include "ir/Interpreter.h"
#include "ir/interp/Kernels.h"

#include <cstring>
#include <map>
#include <string>

namespace adjoint::interp {

Tensor scan(std::span<const Tensor> operands, const AttrReader &r,
            const TensorType &resultType) {
  std::vector<TensorType> types;
  for (const Tensor &t : operands)
    types.push_back(t.type());
  ScanRoles roles = scanRoles(r, types);
  const Graph &body = r.getGraph("body");
  Tensor result(resultType);
  Tensor state = operands[0];
  for (int64_t t = 0; t < roles.length; ++t) {
    int64_t slice = roles.slice(t);
    std::map<std::string, Tensor> inputs;
    inputs[body.inputs()[0]->name()] = state;
    for (size_t i = 1; i < operands.size(); ++i) {
      const std::string &name = body.inputs()[i]->name();
      if (i >= roles.firstInvariant()) {
        inputs[name] = operands[i];
        continue;
      }
      Tensor step(sliceType(operands[i].type()));
      std::memcpy(step.bytes(), operands[i].bytes() + slice * step.byteSize(),
                  step.byteSize());
      inputs[name] = std::move(step);
    }
    state = interpret(body, inputs).at(body.outputs()[0].name);
    std::memcpy(result.bytes() + slice * state.byteSize(), state.bytes(),
                state.byteSize());
  }
  return result;
}

} // namespace adjoint::interp
