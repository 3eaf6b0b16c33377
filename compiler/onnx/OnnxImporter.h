//===- OnnxImporter.h - Import ONNX models into Adjoint's IR ----*- C++ -*-===//
//
// importOnnx reads an ONNX model (opsets 7 to 17) with the classes that
// libonnx-dev generates from onnx.proto and builds an Adjoint model, each
// ONNX op expanded into Adjoint's primitives. Float initializers become
// parameters (an initializer that is also a graph input is a parameter whose
// data is its default); other initializers become constants. Symbolic
// dimensions (dim_param) are fixed at import: to the extents given in
// `inputShapes`, else 1 (with a note). A shape or value given for a name
// that is not a graph input is an error.
//
// Every node is checked before anything is returned: unsupported ops,
// attributes, dtypes and inputs that must be static but are not are
// collected over the whole graph and reported at once in one BadInput error
// whose message starts with `unsupported`.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"
#include "ir/Tensor.h"

#include <functional>
#include <map>
#include <string>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace adjoint {

/// How to import an ONNX model.
struct OnnxImportOptions {
  /// Full shapes of graph inputs by name; they override the model's shapes
  /// and fix its symbolic dimensions.
  std::map<std::string, Shape> inputShapes;
  /// Values of graph inputs by name, used where an op needs a static tensor
  /// (Reshape's shape, Slice's starts, ...). An input whose every use is
  /// static is dropped from the imported graph's inputs.
  std::map<std::string, Tensor> inputValues;
  /// Told what the import decided without being asked (a symbolic
  /// dimension fixed to 1); `adjoint` prints it as a note. May be empty.
  std::function<void(const std::string &)> onNote;
};

/// Imports the ONNX model in `path` (BadInput naming the file on error).
Model importOnnx(const std::string &path,
                 const OnnxImportOptions &options = {});

/// Imports a parsed ONNX model; `fileName` names it in errors.
Model importOnnx(const onnx::ModelProto &model, const std::string &fileName,
                 const OnnxImportOptions &options = {});

/// The ONNX model in `path`, parsed (BadInput naming the file when it is
/// none: truncated, empty, an Adjoint model or a text file).
onnx::ModelProto readOnnxModel(const std::string &path);

/// The names of `model`'s graph inputs that no initializer gives (the
/// inputs a caller feeds).
std::vector<std::string> onnxInputNames(const onnx::ModelProto &model);

/// Converts an ONNX tensor to an Adjoint tensor (BadInput for a dtype
/// Adjoint lacks, external data or a size that does not match the dims).
Tensor tensorFromOnnx(const onnx::TensorProto &t, const std::string &what);

/// Reads a serialized onnx.TensorProto file (the conformance suite's
/// input_N.pb and output_N.pb).
Tensor loadOnnxTensor(const std::string &path);

/// Makes loadModel accept `.onnx` files (imported with default options).
void registerOnnxLoader();

} // namespace adjoint
