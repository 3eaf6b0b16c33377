//===- ModelIO.h - Model files in all three forms -------------------------===//
//
// A model file is binary protobuf (`.pb`), protobuf text format (`.pbtxt`)
// or the textual IR (`.adj`), chosen by extension. Loading verifies the
// model; every problem is a BadInput error that names the file.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <string>

namespace adjoint {

namespace proto {
class Model;
}

enum class ModelFormat { Binary, ProtoText, TextIR };

/// The format of `path` by its extension; BadInput for any other extension.
ModelFormat modelFormatOf(const std::string &path);

/// Loads and verifies the model in `path`.
Model loadModel(const std::string &path);

/// Writes `m` to `path` in the format its extension names. The file is
/// written to a temporary name first and renamed, so an existing file is
/// never left half-written.
void saveModel(const Model &m, const std::string &path);

/// Conversions between the wire format and the IR. fromProto verifies the
/// model and names `fileName` in its errors.
proto::Model toProto(const Model &m);
Model fromProto(const proto::Model &p, const std::string &fileName);

} // namespace adjoint
