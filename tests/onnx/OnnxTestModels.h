//===- OnnxTestModels.h - Building small ONNX models in tests ---*- C++ -*-===//
//
// Helpers that fill onnx::ModelProto messages (the classes libonnx-dev
// generates), so tests write the ONNX models they import.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Tensor.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace adjoint::testing {

/// A model of `opset` with an empty graph named "g".
inline onnx::ModelProto makeOnnxModel(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("adjoint-tests");
  auto *o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

/// Declares a tensor value of `elemType` (onnx::TensorProto::FLOAT, ...);
/// a negative extent is the symbolic dimension "N".
inline void declareValue(onnx::ValueInfoProto *v, const std::string &name,
                         int32_t elemType, const std::vector<int64_t> &dims) {
  v->set_name(name);
  auto *tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elemType);
  auto *shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto *dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

inline void addOnnxInput(onnx::ModelProto &m, const std::string &name,
                         int32_t elemType, const std::vector<int64_t> &dims) {
  declareValue(m.mutable_graph()->add_input(), name, elemType, dims);
}

inline void addOnnxOutput(onnx::ModelProto &m, const std::string &name,
                          int32_t elemType, const std::vector<int64_t> &dims) {
  declareValue(m.mutable_graph()->add_output(), name, elemType, dims);
}

inline onnx::NodeProto *addOnnxNode(onnx::ModelProto &m, const std::string &op,
                                    const std::vector<std::string> &inputs,
                                    const std::vector<std::string> &outputs,
                                    const std::string &name = "") {
  auto *n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto &i : inputs)
    n->add_input(i);
  for (const auto &o : outputs)
    n->add_output(o);
  return n;
}

inline void setIntAttr(onnx::NodeProto *n, const std::string &name, int64_t v) {
  auto *a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

inline void setIntsAttr(onnx::NodeProto *n, const std::string &name,
                        const std::vector<int64_t> &v) {
  auto *a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v)
    a->add_ints(x);
}

/// `t` as an ONNX tensor named `name` (raw data, f32 or i64 only).
inline onnx::TensorProto toOnnxTensor(const std::string &name,
                                      const Tensor &t) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(t.dtype() == DType::F32 ? onnx::TensorProto::FLOAT
                                          : onnx::TensorProto::INT64);
  for (int64_t d : t.shape())
    p.add_dims(d);
  p.set_raw_data(std::string((const char *)t.bytes(), t.byteSize()));
  return p;
}

inline void addOnnxInitializer(onnx::ModelProto &m, const std::string &name,
                               const Tensor &t) {
  *m.mutable_graph()->add_initializer() = toOnnxTensor(name, t);
}

inline void writeOnnxModel(const onnx::ModelProto &m, const std::string &path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  m.SerializeToOstream(&out);
}

} // namespace adjoint::testing
