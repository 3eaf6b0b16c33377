//===- OnnxControlOps.cpp - ONNX Scan as a scan ---------------------------===//
//
// ONNX's Scan (opset 9 on) carries N states and stacks K per-step outputs;
// Adjoint's scan carries one state. So the states and the outputs of a
// step travel packed, flattened side by side in one vector: the body
// unpacks the states, runs the ONNX body, and packs the new states and the
// step's outputs; after the loop, the final states are the last row's
// state parts and each scan output is its columns of every row. Values of
// the enclosing graph that the body reads become invariant operands.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/SymbolicDim.h"

#include <onnx/onnx_pb.h>

namespace adjoint::onnximport {

namespace {

/// `v` flattened to one axis.
Value *flat(Builder &b, Value *v) {
  return b.reshape(v, {v->type().numElements()});
}

void convertScan(NodeContext &c) {
  Builder &b = c.b();
  if (c.opset() < 9)
    unsupported("Scan of opset 8 (a batch axis and sequence_lens)");
  int64_t m = c.attrInt("num_scan_inputs");
  int64_t n = (int64_t)c.numInputs() - m;
  if (m < 1 || n < 0)
    unsupported(
        strCat("num_scan_inputs ", m, " of ", c.numInputs(), " inputs"));
  auto zeros = [](int64_t count) { return std::vector<int64_t>(count, 0); };
  std::vector<int64_t> inAxes = c.attrInts("scan_input_axes", zeros(m));
  std::vector<int64_t> inDirs = c.attrInts("scan_input_directions", zeros(m));
  int64_t k = (int64_t)c.numOutputs() - n;
  if (k < 0 || n + k == 0)
    unsupported(strCat(c.numOutputs(), " outputs for ", n, " states"));
  std::vector<int64_t> outAxes =
      c.attrInts("scan_output_axes", zeros(std::max<int64_t>(k, 0)));
  std::vector<int64_t> outDirs =
      c.attrInts("scan_output_directions", zeros(std::max<int64_t>(k, 0)));
  for (int64_t a : inAxes)
    if (a != 0)
      unsupported("a scan input axis other than 0");
  for (int64_t a : outAxes)
    if (a != 0)
      unsupported("a scan output axis other than 0");
  // One direction for every input and output.
  std::vector<int64_t> dirs = inDirs;
  dirs.insert(dirs.end(), outDirs.begin(), outDirs.end());
  bool reverse = !dirs.empty() && dirs[0] == 1;
  for (int64_t d : dirs)
    if (d != dirs[0] || (d != 0 && d != 1))
      unsupported("scan directions that differ between inputs and outputs");

  std::vector<Value *> states, seqs;
  std::vector<TensorType> bodyTypes;
  for (int64_t i = 0; i < n; ++i) {
    states.push_back(c.input((size_t)i));
    bodyTypes.push_back(states.back()->type());
  }
  for (int64_t i = n; i < n + m; ++i) {
    Value *s = c.input((size_t)i);
    if (s->type().rank() < 1)
      unsupported("a scalar scan input");
    seqs.push_back(s);
    TensorType slice = s->type();
    slice.shape.erase(slice.shape.begin());
    bodyTypes.push_back(slice);
  }
  ImportedBody onnxBody = c.attrBody("body", bodyTypes);
  const Graph &inner = *onnxBody.graph;
  if ((int64_t)inner.outputs().size() != n + k)
    unsupported(strCat("a body with ", inner.outputs().size(), " outputs for ",
                       n, " states and ", k, " scan outputs"));
  // Everything packed shares the dtype of the first state or output.
  DType dtype = inner.outputs()[0].value->type().dtype;
  std::vector<int64_t> sizes, offsets;
  int64_t packed = 0;
  for (const Output &o : inner.outputs()) {
    // Packing counts elements: symbolic extents are imported fixed.
    if (!isStatic(o.value->type().shape))
      unsupported("a scan state or output of a symbolic shape");
    if (o.value->type().dtype != dtype)
      unsupported("states and scan outputs of different dtypes");
    offsets.push_back(packed);
    sizes.push_back(o.value->type().numElements());
    packed += sizes.back();
  }
  for (int64_t i = 0; i < n; ++i)
    if (inner.outputs()[(size_t)i].value->type() != states[(size_t)i]->type())
      unsupported("a state whose type changes in the body");

  // The body of the scan: (packed, slices..., captures...) -> packed.
  auto body = std::make_shared<Graph>(inner.name());
  Builder bb(*body);
  Value *carried = bb.input("packed", {dtype, {packed}});
  ValueMap map;
  for (int64_t i = 0; i < n; ++i) {
    const Shape &shape = states[(size_t)i]->type().shape;
    Value *part = bb.slice(carried, {offsets[(size_t)i]},
                           {offsets[(size_t)i] + sizes[(size_t)i]});
    map[inner.inputs()[(size_t)i]] = bb.reshape(part, shape);
  }
  for (size_t i = (size_t)n; i < inner.inputs().size(); ++i)
    map[inner.inputs()[i]] = bb.input(body->findValue(inner.inputs()[i]->name())
                                          ? body->freshName()
                                          : inner.inputs()[i]->name(),
                                      inner.inputs()[i]->type());
  inlineNodes(bb, inner, map);
  std::vector<Value *> parts;
  for (const Output &o : inner.outputs())
    parts.push_back(flat(bb, map.at(o.value)));
  bb.output("packed", parts.size() == 1 ? parts[0] : bb.concat(parts, 0));

  std::vector<Value *> init;
  for (Value *s : states)
    init.push_back(flat(b, s));
  int64_t outputs = 0; // the scan outputs' part starts as zeros
  for (int64_t i = n; i < n + k; ++i)
    outputs += sizes[(size_t)i];
  if (outputs > 0)
    init.push_back(b.broadcastTo(b.scalar(dtype, 0), {outputs}));
  std::vector<Value *> operands = {init.size() == 1 ? init[0]
                                                    : b.concat(init, 0)};
  operands.insert(operands.end(), seqs.begin(), seqs.end());
  operands.insert(operands.end(), onnxBody.captures.begin(),
                  onnxBody.captures.end());
  Attributes a;
  a.set("body", SubGraph(body));
  a.set("sequences", m);
  a.set("reverse", reverse);
  Value *rows = b.op(OpKind::Scan, operands, std::move(a));
  int64_t length = rows->type().shape[0];
  int64_t last = reverse ? 0 : length - 1;
  for (int64_t i = 0; i < n + k; ++i) {
    int64_t from = offsets[(size_t)i], to = from + sizes[(size_t)i];
    const Shape &shape = inner.outputs()[(size_t)i].value->type().shape;
    if (i < n) {
      c.setOutput(
          (size_t)i,
          b.reshape(b.slice(rows, {last, from}, {last + 1, to}), shape));
    } else {
      Shape stacked = shape;
      stacked.insert(stacked.begin(), length);
      c.setOutput((size_t)i,
                  b.reshape(b.slice(rows, {0, from}, {length, to}), stacked));
    }
  }
}

} // namespace

void addControlConverters(ConverterTable &t) { t["Scan"] = convertScan; }

} // namespace adjoint::onnximport
