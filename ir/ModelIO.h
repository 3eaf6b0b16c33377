//===- ModelIO.h - Model files in all three forms -------------------------===//
//
// A model file is binary protobuf (`.pb`), protobuf text format (`.pbtxt`)
// or the textual IR (`.adj`), chosen by extension. Loading verifies the
// model; every problem is a BadInput error that names the file.
//
// A protobuf model's `format_version` must be 1; a file that leaves it out
// (0, proto3's default) is read as version 1, so hand-written .pbtxt files
// need not state it. Files always get version 1 when written.
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

/// Reads a model file of a foreign format (an ONNX file) into a model.
using ModelLoader = Model (*)(const std::string &path);

/// Makes loadModel read files whose extension is `extension` (".onnx") with
/// `loader`. Importers live outside ir/ and register themselves this way, so
/// ir/ depends on none of them.
void registerModelLoader(const std::string &extension, ModelLoader loader);

/// Writes `m` to `path` in the format its extension names. The model is
/// verified first (BadInput if invalid); the file is written to a temporary
/// name first and renamed, so an existing file is never left half-written
/// (Failed naming the path on any write error).
void saveModel(const Model &m, const std::string &path);

/// Checks, before any long work, that saveModel can write `path`: a model
/// extension (.pb, .pbtxt or .adj; .onnx is read, not written) and a
/// writable place (checkWritableFile). `what` names the option ("-o").
void checkModelOutput(const std::string &path, const std::string &what);

/// Checks `m` as loading does: verify(m.graph), plus that the training loss,
/// if any, names a float scalar output. Throws BadInput.
void verifyModel(const Model &m);

/// Conversions between the wire format and the IR. fromProto verifies the
/// model and names `fileName` in its errors.
proto::Model toProto(const Model &m);
Model fromProto(const proto::Model &p, const std::string &fileName);

} // namespace adjoint
