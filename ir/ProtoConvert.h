//===- ProtoConvert.h - Wire-format pieces of tensors and attributes ------===//
//
// The conversions of single tensors, attributes and training specs between
// proto/adjoint.proto and the IR, which model loading uses and which importers
// and tests can share. Whole models convert with toProto/fromProto in
// ir/ModelIO.h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/Tensor.h"
#include "ir/TrainingSpec.h"

#include <string>

namespace adjoint {

namespace proto {
class Attribute;
class Tensor;
class TrainingSpec;
} // namespace proto

/// Writes `t` (dtype, dims, little-endian raw_data) into `out`.
void toProtoTensor(const Tensor &t, proto::Tensor *out);

/// The tensor `p` describes. Throws BadInput, with `what` in front, for an
/// unspecified or unknown dtype, a bad shape, raw_data of the wrong size
/// (checked before anything is allocated) or a bool byte other than 0 or 1.
Tensor fromProtoTensor(const proto::Tensor &p, const std::string &what);

/// Writes the attribute `name` = `value` into `out`.
void toProtoAttr(const std::string &name, const AttrValue &value,
                 proto::Attribute *out);

/// The value of `p`, which must be of kind `wanted`; an int where a float is
/// wanted (and ints where floats are) is converted. Throws BadInput, with
/// `what` (naming the node, op and attribute) in front, otherwise.
AttrValue fromProtoAttr(const proto::Attribute &p, AttrKind wanted,
                        const std::string &what);

/// Writes `spec` into `out`; unset fields stay absent (or zero, or empty).
void toProtoTraining(const TrainingSpec &spec, proto::TrainingSpec *out);

/// The training spec `p` describes, exactly as written (unset hyper-parameters
/// stay unset). Throws BadInput for an unspecified or unknown optimizer kind;
/// verifyTrainingSpec checks the rest.
TrainingSpec fromProtoTraining(const proto::TrainingSpec &p);

} // namespace adjoint
