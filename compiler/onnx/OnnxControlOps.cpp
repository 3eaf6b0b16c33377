//===- OnnxControlOps.cpp - ONNX Scan and counted Loop as a scan ----------===//
//
// ONNX's Scan (opset 9 on) carries N states and stacks K per-step outputs;
// Adjoint's scan carries one state. So the states and the outputs of a
// step travel packed, flattened side by side in one vector: the body
// unpacks the states, runs the ONNX body, and packs the new states and the
// step's outputs; after the loop, the final states are the last row's
// state parts and each scan output is its columns of every row. Values of
// the enclosing graph that the body reads become invariant operands. A Loop
// whose trip count is known at import and whose condition stays true is
// the same scan, over the iteration numbers.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"
#include "ir/GraphCopy.h"
#include "ir/Scan.h"
#include "ir/SymbolicDim.h"

#include <onnx/onnx_pb.h>

namespace adjoint::onnximport {

namespace {

/// `v` flattened to one axis.
Value *flat(Builder &b, Value *v) {
  return b.reshape(v, {v->type().numElements()});
}

/// How the loop reads an input of the ONNX body.
struct Binding {
  enum Kind { State, Sequence, True } kind;
  size_t index = 0; ///< of the state or sequence
};

/// The loop of an ONNX Scan or Loop as one scan: the body unpacks the
/// states from the packed vector, reads each sequence's row, runs the ONNX
/// body, and packs the new states and the step's outputs (its outputs from
/// `firstOutput` on: `states.size()` states, then the scan outputs), which
/// become node outputs 0, 1, ... in that order.
void emitPackedScan(NodeContext &c, const std::vector<Value *> &states,
                    const std::vector<Value *> &seqs,
                    const ImportedBody &onnxBody,
                    const std::vector<Binding> &bindings, size_t firstOutput,
                    bool reverse) {
  Builder &b = c.b();
  const Graph &inner = *onnxBody.graph;
  size_t n = states.size();
  std::vector<const Value *> outs;
  for (size_t i = firstOutput; i < inner.outputs().size(); ++i)
    outs.push_back(inner.outputs()[i].value);
  if (outs.size() < n || outs.empty())
    unsupported(
        strCat("a body with ", outs.size(), " outputs for ", n, " states"));
  // Everything packed shares the dtype of the first state or output.
  DType dtype = outs[0]->type().dtype;
  std::vector<int64_t> sizes, offsets;
  int64_t packed = 0;
  for (const Value *o : outs) {
    // Packing counts elements: symbolic extents are imported fixed.
    if (!isStatic(o->type().shape))
      unsupported("a loop state or output of a symbolic shape");
    if (o->type().dtype != dtype)
      unsupported("states and scan outputs of different dtypes");
    offsets.push_back(packed);
    sizes.push_back(o->type().numElements());
    packed += sizes.back();
  }
  for (size_t i = 0; i < n; ++i)
    if (outs[i]->type() != states[i]->type())
      unsupported("a state whose type changes in the body");

  // The body of the scan: (packed, rows..., captures...) -> packed.
  auto body = std::make_shared<Graph>(inner.name());
  Builder bb(*body);
  Value *carried = bb.input("packed", {dtype, {packed}});
  auto freeName = [&](const Value *v) {
    return body->findValue(v->name()) ? body->freshName() : v->name();
  };
  ValueMap map;
  for (size_t i = 0; i < bindings.size(); ++i) {
    const Value *in = inner.inputs()[i];
    const Binding &bind = bindings[i];
    if (bind.kind == Binding::State) {
      Value *part = bb.slice(carried, {offsets[bind.index]},
                             {offsets[bind.index] + sizes[bind.index]});
      map[in] = bb.reshape(part, in->type().shape);
    } else if (bind.kind == Binding::True) {
      map[in] = bb.constant(Tensor::scalar(DType::Bool, 1));
    }
  }
  // Sequence rows are inputs after the packed state, in sequence order.
  for (size_t j = 0; j < seqs.size(); ++j)
    for (size_t i = 0; i < bindings.size(); ++i)
      if (bindings[i].kind == Binding::Sequence && bindings[i].index == j)
        map[inner.inputs()[i]] =
            bb.input(freeName(inner.inputs()[i]), inner.inputs()[i]->type());
  for (size_t i = bindings.size(); i < inner.inputs().size(); ++i)
    map[inner.inputs()[i]] =
        bb.input(freeName(inner.inputs()[i]), inner.inputs()[i]->type());
  inlineNodes(bb, inner, map);
  std::vector<Value *> parts;
  for (const Value *o : outs)
    parts.push_back(flat(bb, map.at(o)));
  bb.output("packed", parts.size() == 1 ? parts[0] : bb.concat(parts, 0));

  std::vector<Value *> init;
  for (Value *s : states)
    init.push_back(flat(b, s));
  int64_t outputs = 0; // the scan outputs' part starts as zeros
  for (size_t i = n; i < outs.size(); ++i)
    outputs += sizes[i];
  if (outputs > 0)
    init.push_back(b.broadcastTo(b.scalar(dtype, 0), {outputs}));
  std::vector<Value *> operands = {init.size() == 1 ? init[0]
                                                    : b.concat(init, 0)};
  operands.insert(operands.end(), seqs.begin(), seqs.end());
  operands.insert(operands.end(), onnxBody.captures.begin(),
                  onnxBody.captures.end());
  Attributes a;
  a.set("body", SubGraph(body));
  a.set("sequences", (int64_t)seqs.size());
  a.set("reverse", reverse);
  Value *result = b.op(OpKind::Scan, operands, std::move(a));
  int64_t length = result->type().shape[0];
  int64_t last = reverse ? 0 : length - 1;
  for (size_t i = 0; i < outs.size(); ++i) {
    int64_t from = offsets[i], to = from + sizes[i];
    const Shape &shape = outs[i]->type().shape;
    if (i < n) {
      c.setOutput(
          i, b.reshape(b.slice(result, {last, from}, {last + 1, to}), shape));
    } else {
      Shape stacked = shape;
      stacked.insert(stacked.begin(), length);
      c.setOutput(i,
                  b.reshape(b.slice(result, {0, from}, {length, to}), stacked));
    }
  }
}

void convertScan(NodeContext &c) {
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
  std::vector<Binding> bindings;
  for (int64_t i = 0; i < n; ++i) {
    states.push_back(c.input((size_t)i));
    bodyTypes.push_back(states.back()->type());
    bindings.push_back({Binding::State, (size_t)i});
  }
  for (int64_t i = n; i < n + m; ++i) {
    Value *s = c.input((size_t)i);
    if (s->type().rank() < 1)
      unsupported("a scalar scan input");
    bindings.push_back({Binding::Sequence, seqs.size()});
    seqs.push_back(s);
    bodyTypes.push_back(sliceType(s->type()));
  }
  ImportedBody onnxBody = c.attrBody("body", bodyTypes);
  if ((int64_t)onnxBody.graph->outputs().size() != n + k)
    unsupported(strCat("a body with ", onnxBody.graph->outputs().size(),
                       " outputs for ", n, " states and ", k, " scan outputs"));
  emitPackedScan(c, states, seqs, onnxBody, bindings, 0, reverse);
}

/// A counted Loop: a trip count known when the model is imported, and a
/// condition that stays true (absent, or a constant true in, passed
/// through by the body or a constant true out). The iteration number is
/// a sequence 0, 1, ... of the scan; the loop-carried values are its
/// states and the scan outputs its stacked rows, as for Scan.
void convertLoop(NodeContext &c) {
  if (!c.hasInput(0))
    unsupported("a Loop without a trip count (it would stop on its "
                "condition, which a counted scan cannot)");
  int64_t trips = c.staticInt(0, "the trip count of a Loop");
  if (trips <= 0)
    unsupported(strCat("a Loop of ", trips, " trips"));
  if (c.hasInput(1) &&
      c.staticScalar(1, "the condition of a Loop").elementAsDouble(0) == 0)
    unsupported("a Loop whose condition is false from the start");
  std::vector<Value *> states;
  std::vector<TensorType> bodyTypes = {{DType::I64, {}}, {DType::Bool, {}}};
  std::vector<Binding> bindings = {{Binding::Sequence, 0}, {Binding::True, 0}};
  for (size_t i = 2; i < c.numInputs(); ++i) {
    states.push_back(c.input(i));
    bodyTypes.push_back(states.back()->type());
    bindings.push_back({Binding::State, i - 2});
  }
  ImportedBody onnxBody = c.attrBody("body", bodyTypes);
  const Graph &inner = *onnxBody.graph;
  if (inner.outputs().size() != 1 + c.numOutputs() ||
      c.numOutputs() < states.size())
    unsupported(strCat("a Loop body with ", inner.outputs().size(),
                       " outputs for a node of ", c.numOutputs(),
                       " outputs and ", states.size(), " carried values"));
  // The condition out must be the condition in (an output that is an
  // input comes through a stop_gradient) or a constant true.
  const Value *cond = inner.outputs()[0].value;
  const Node *def = cond->definingNode();
  if (def && def->op() == OpKind::StopGradient) {
    cond = def->operand(0);
    def = cond->definingNode();
  }
  bool alwaysTrue = cond == inner.inputs()[1] ||
                    (def && def->op() == OpKind::Constant &&
                     def->attr().getTensor("value").numElements() == 1 &&
                     def->attr().getTensor("value").elementAsDouble(0) != 0);
  if (!alwaysTrue)
    unsupported("a Loop whose body computes its condition (it may stop "
                "early, which a counted scan cannot)");
  Value *iterations = c.b().iota(DType::I64, {trips}, 0);
  emitPackedScan(c, states, {iterations}, onnxBody, bindings, 1, false);
}

} // namespace

void addControlConverters(ConverterTable &t) {
  t["Scan"] = convertScan;
  t["Loop"] = convertLoop;
}

} // namespace adjoint::onnximport
