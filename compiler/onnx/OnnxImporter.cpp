//===- OnnxImporter.cpp - Import ONNX models into Adjoint's IR ------------===//
#include "compiler/onnx/OnnxImporter.h"

#include "compiler/onnx/OnnxContext.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/Flops.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"
#include "ir/Specialize.h"
#include "proto/adjoint.pb.h"

#include <google/protobuf/stubs/logging.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace adjoint {

namespace {

using namespace onnximport;

/// Opsets of the default domain that the converters implement. Before
/// opset 7 the converters read the older forms of the ops that changed
/// (broadcast attributes, attributes that became inputs); the attributes of
/// still older forms (consumed_inputs) are reported unsupported as any
/// unknown attribute is.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 17;

std::string onnxDTypeName(int32_t t) {
  std::string name =
      onnx::TensorProto::DataType_Name((onnx::TensorProto::DataType)t);
  for (char &c : name)
    c = (char)std::tolower((unsigned char)c);
  return name.empty() ? "dtype " + std::to_string(t) : name;
}

/// The node's name for messages: its own, else its first output, else its
/// index.
std::string nodeLabel(const onnx::NodeProto &n, size_t index) {
  if (!n.name().empty())
    return n.name();
  if (n.output_size() && !n.output(0).empty())
    return n.output(0);
  return "#" + std::to_string(index);
}

struct UnsupportedList {
  /// (op, reason) -> node names, in order of first appearance.
  std::vector<
      std::pair<std::pair<std::string, std::string>, std::vector<std::string>>>
      items;
  size_t nodes = 0;
  void add(const std::string &op, const std::string &reason,
           const std::string &node) {
    ++nodes;
    for (auto &[key, names] : items)
      if (key.first == op && key.second == reason) {
        names.push_back(node);
        return;
      }
    items.push_back({{op, reason}, {node}});
  }
  std::string message(size_t totalNodes) const {
    std::string s = strCat("unsupported: ", nodes, " of ", totalNodes,
                           " nodes cannot be imported");
    for (const auto &[key, names] : items) {
      s += strCat("; ", key.first, " x", names.size(), " (");
      for (size_t i = 0; i < names.size() && i < 5; ++i)
        s += (i ? ", '" : "'") + names[i] + "'";
      if (names.size() > 5)
        s += strCat(", ", names.size() - 5, " more");
      s += "): " + key.second;
    }
    return s;
  }
};

class Importer : public ValueSource {
public:
  Importer(const onnx::ModelProto &model, const std::string &fileName,
           const OnnxImportOptions &options)
      : model_(model), proto_(model.graph()), file_(fileName),
        options_(options),
        graph_(model.graph().name().empty() ? "main" : model.graph().name()),
        b_(graph_) {}

  Model run();

  Value *value(const std::string &name) override;
  std::optional<Tensor> staticValue(const std::string &name) override;
  void define(const std::string &name, Value *v) override { values_[name] = v; }
  Builder &builder() override { return b_; }
  ImportedBody importBody(const onnx::GraphProto &body,
                          const std::vector<TensorType> &inputTypes) override;

private:
  /// The importer of `body`, a subgraph of `parent`'s graph.
  Importer(Importer &parent, const onnx::GraphProto &body)
      : model_(parent.model_), proto_(body), file_(parent.file_),
        options_(parent.options_),
        graph_(body.name().empty() ? "body" : body.name()), b_(graph_),
        opset_(parent.opset_), parent_(&parent) {}
  static const ConverterTable &converters();
  int64_t findOpset();
  void addGraphInputs();
  void convertNode(const onnx::NodeProto &n, size_t index,
                   const ConverterTable &table);
  void fold(size_t firstNode);
  Model prune();

  const onnx::ModelProto &model_;
  /// The graph imported: the model's, or a subgraph.
  const onnx::GraphProto &proto_;
  std::string file_;
  const OnnxImportOptions &options_;
  Graph graph_;
  Builder b_;
  int64_t opset_ = 0;
  std::unordered_map<std::string, Value *> values_;
  std::unordered_map<std::string, Tensor> known_;
  std::unordered_map<const Value *, Tensor> folded_;
  std::unordered_set<std::string> poisoned_;
  UnsupportedList unsupported_;
  /// For a subgraph: the importer of the graph around it, and the values
  /// of it (and of the graphs around that) the subgraph reads.
  Importer *parent_ = nullptr;
  std::vector<Value *> captures_;
};

int64_t Importer::findOpset() {
  int64_t opset = -1;
  for (const auto &o : model_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0)
    badInput(file_, ": unsupported: the model imports no opset of the "
                    "default ONNX domain");
  if (opset < kMinOpset || opset > kMaxOpset)
    badInput(file_, ": unsupported: opset ", opset, " (supported: ", kMinOpset,
             " to ", kMaxOpset, ")");
  return opset;
}

void Importer::addGraphInputs() {
  const onnx::GraphProto &g = model_.graph();
  std::unordered_set<std::string> used;
  for (const auto &n : g.node())
    for (const auto &in : n.input())
      used.insert(in);
  for (const auto &o : g.output())
    used.insert(o.name());

  std::unordered_set<std::string> initialized;
  for (const auto &t : g.initializer()) {
    initialized.insert(t.name());
    Tensor data;
    try {
      data = tensorFromOnnx(t, "initializer '" + t.name() + "'");
    } catch (const Error &e) {
      unsupported_.add("initializer", e.what(), t.name());
      poisoned_.insert(t.name());
      continue;
    }
    known_[t.name()] = data;
    // Float initializers are trainable parameters; the others (shapes,
    // indices) are constants made where they are used.
    if (isFloat(data.dtype()) && used.count(t.name()))
      values_[t.name()] = b_.param(t.name(), data);
  }
  for (const auto &in : g.input()) {
    const std::string &name = in.name();
    if (initialized.count(name))
      continue;
    if (auto it = options_.inputValues.find(name);
        it != options_.inputValues.end()) {
      known_[name] = it->second;
    }
    auto fail = [&](const std::string &reason) {
      unsupported_.add("input", reason, name);
      poisoned_.insert(name);
    };
    if (!in.type().has_tensor_type()) {
      fail("a graph input that is not a tensor");
      continue;
    }
    const auto &tt = in.type().tensor_type();
    std::optional<DType> dtype = dtypeFromOnnx(tt.elem_type());
    if (!dtype) {
      fail("dtype " + onnxDTypeName(tt.elem_type()));
      continue;
    }
    Shape shape;
    if (auto it = options_.inputShapes.find(name);
        it != options_.inputShapes.end()) {
      shape = it->second;
    } else if (!tt.has_shape()) {
      fail("the input has no shape (give it with --input-shape)");
      continue;
    } else if (auto negative = std::find_if(
                   tt.shape().dim().begin(), tt.shape().dim().end(),
                   [](const auto &d) {
                     return d.has_dim_value() && d.dim_value() < 0;
                   });
               negative != tt.shape().dim().end()) {
      fail(strCat("the negative dimension ", negative->dim_value(), " (axis ",
                  negative - tt.shape().dim().begin(), ")"));
      continue;
    } else {
      std::string symbolic;
      for (const auto &d : tt.shape().dim()) {
        if (!d.has_dim_value())
          symbolic += strCat(symbolic.empty() ? "" : ", ",
                             d.has_dim_param() ? "'" + d.dim_param() + "'"
                                               : std::string("unnamed"),
                             " (axis ", shape.size(), ")");
        shape.push_back(d.has_dim_value() ? d.dim_value() : 1);
      }
      // Reached when the import with symbols kept did not hold (an op
      // computed with the extent).
      if (!symbolic.empty() && options_.onNote)
        options_.onNote(
            strCat(file_, ": input '", name, "' has the symbolic dimension",
                   symbolic.find(',') == std::string::npos ? " " : "s ",
                   symbolic, ", fixed to 1 because the graph computes with ",
                   symbolic.find(',') == std::string::npos ? "it" : "them",
                   ": ", typeStr({*dtype, shape}),
                   " (give another shape with "
                   "--input-shape ",
                   name, "=DxDx...)"));
    }
    values_[name] = b_.input(name, {*dtype, shape});
  }
  // A shape or value for an input the graph does not have is a mistake
  // (a typo, or a model other than the one meant), not something to skip.
  std::set<std::string> inputs;
  std::string names;
  for (const auto &in : g.input())
    if (!initialized.count(in.name())) {
      inputs.insert(in.name());
      names += (names.empty() ? "" : ", ") + in.name();
    }
  for (const auto &[name, shape] : options_.inputShapes)
    if (!inputs.count(name))
      badInput(file_, ": a shape is given for '", name,
               "', which is not an input of the graph (its inputs: ",
               names.empty() ? std::string("none") : names, ")");
  for (const auto &[name, value] : options_.inputValues)
    if (!inputs.count(name))
      badInput(file_, ": a value is given for '", name,
               "', which is not an input of the graph (its inputs: ",
               names.empty() ? std::string("none") : names, ")");
}

Value *Importer::value(const std::string &name) {
  if (auto it = values_.find(name); it != values_.end())
    return it->second;
  if (auto it = known_.find(name); it != known_.end())
    return values_[name] = b_.constant(it->second);
  if (parent_) {
    // A value of an enclosing graph: its data when known, else an input of
    // the body that the loop passes whole.
    if (std::optional<Tensor> data = parent_->staticValue(name))
      return values_[name] = b_.constant(*data);
    Value *outer = parent_->value(name);
    captures_.push_back(outer);
    return values_[name] =
               b_.input(graph_.findValue(name) ? graph_.freshName() : name,
                        outer->type());
  }
  badInput(file_, ": value '", name, "' is used but never defined");
}

ImportedBody Importer::importBody(const onnx::GraphProto &body,
                                  const std::vector<TensorType> &inputTypes) {
  if (body.input_size() != (int)inputTypes.size())
    unsupported(strCat("a body with ", body.input_size(), " inputs, expected ",
                       inputTypes.size()));
  Importer sub(*this, body);
  for (const auto &t : body.initializer())
    try {
      sub.known_[t.name()] =
          tensorFromOnnx(t, "initializer '" + t.name() + "'");
    } catch (const Error &e) {
      unsupported(e.what());
    }
  for (int i = 0; i < body.input_size(); ++i)
    sub.values_[body.input(i).name()] =
        sub.b_.input(body.input(i).name(), inputTypes[(size_t)i]);
  for (int i = 0; i < body.node_size(); ++i)
    sub.convertNode(body.node(i), (size_t)i, converters());
  if (sub.unsupported_.nodes)
    unsupported("its body: " +
                sub.unsupported_.message((size_t)body.node_size()));
  for (const auto &o : body.output()) {
    Value *v = sub.value(o.name());
    if (v->kind() != ValueKind::NodeResult)
      v = sub.b_.op(OpKind::StopGradient, {v});
    sub.graph_.addOutput(o.name(), v);
  }
  return {std::make_shared<Graph>(std::move(sub.graph_)), sub.captures_};
}

std::optional<Tensor> Importer::staticValue(const std::string &name) {
  if (auto it = known_.find(name); it != known_.end())
    return it->second;
  auto v = values_.find(name);
  if (v == values_.end())
    return std::nullopt;
  if (auto it = folded_.find(v->second); it != folded_.end())
    return it->second;
  return std::nullopt;
}

void Importer::fold(size_t firstNode) {
  const auto &nodes = graph_.nodes();
  for (size_t i = firstNode; i < nodes.size(); ++i) {
    const Node &n = *nodes[i];
    if (n.op() == OpKind::Constant) {
      folded_[n.result()] = std::get<Tensor>(*n.attrs().find("value"));
      continue;
    }
    // Large results, and products that would take long to compute, stay
    // computations (a fuzzed model folded a 2048^3 matmul).
    if (!isStatic(n.result()->type().shape) ||
        n.result()->type().numElements() > kMaxFoldElements ||
        nodeFlops(n) > kMaxFoldFlops)
      continue;
    std::vector<Tensor> operands;
    for (Value *v : n.operands()) {
      auto it = folded_.find(v);
      if (it == folded_.end())
        break;
      operands.push_back(it->second);
    }
    if (operands.size() != n.operands().size())
      continue;
    try {
      folded_[n.result()] =
          evaluate(n.op(), operands, n.attrs(), n.result()->type());
    } catch (const Error &) {
      // A data-dependent error (a gather index out of range) is left for
      // run time, where it names the node.
    }
  }
}

void Importer::convertNode(const onnx::NodeProto &n, size_t index,
                           const ConverterTable &table) {
  std::string label = nodeLabel(n, index);
  auto poison = [&] {
    for (const auto &out : n.output())
      poisoned_.insert(out);
  };
  if (!n.domain().empty() && n.domain() != "ai.onnx") {
    unsupported_.add(n.op_type(), "domain '" + n.domain() + "'", label);
    return poison();
  }
  auto it = table.find(n.op_type());
  if (it == table.end()) {
    unsupported_.add(n.op_type(), "op not supported", label);
    return poison();
  }
  for (const auto &in : n.input())
    if (poisoned_.count(in))
      return poison();
  NodeContext ctx(n, opset_, *this);
  size_t first = graph_.nodes().size();
  try {
    it->second(ctx);
    ctx.checkAllAttributesRead();
    // An output a converter left unset (or set to nothing, as MaxPool's
    // Indices) cannot be used (found by fuzz_LoadOnnx).
    for (size_t i = 0; i < (size_t)n.output_size(); ++i)
      if (!n.output(i).empty() &&
          (!values_.count(n.output(i)) || !values_.at(n.output(i))))
        unsupported("output " + std::to_string(i) + " is not produced");
  } catch (const Unsupported &e) {
    unsupported_.add(n.op_type(), e.what(), label);
    return poison();
  } catch (const Error &e) {
    badInput(file_, ": node '", label, "' (", n.op_type(), "): ", e.what());
  }
  fold(first);
}

/// A copy of the graph with only what the outputs need, so that shape
/// computations folded at import leave nothing behind. Inputs are kept
/// unless their values were given and no node reads them.
Model Importer::prune() {
  std::unordered_set<const Value *> live;
  for (const Output &o : graph_.outputs())
    live.insert(o.value);
  const auto &nodes = graph_.nodes();
  for (size_t i = nodes.size(); i-- > 0;)
    if (live.count(nodes[i]->result()))
      for (Value *v : nodes[i]->operands())
        live.insert(v);
  Model m{Graph(graph_.name()), std::nullopt};
  Graph &g = m.graph;
  std::unordered_map<const Value *, Value *> map;
  for (Value *in : graph_.inputs())
    if (live.count(in) || !options_.inputValues.count(in->name()))
      map[in] = g.addInput(in->name(), in->type());
  for (const Param &p : graph_.params())
    if (live.count(p.value))
      map[p.value] = g.addParam(p.value->name(), p.data);
  for (const auto &n : nodes) {
    if (!live.count(n->result()))
      continue;
    std::vector<Value *> operands;
    for (Value *v : n->operands())
      operands.push_back(map.at(v));
    map[n->result()] = g.addNode(n->op(), operands, n->attrs(),
                                 n->result()->name(), n->result()->type())
                           ->result();
  }
  for (const Output &o : graph_.outputs())
    g.addOutput(o.name, map.at(o.value));
  return m;
}

const ConverterTable &Importer::converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    addMathConverters(t);
    addShapeConverters(t);
    addNnConverters(t);
    addReduceConverters(t);
    addRnnConverters(t);
    addIndexConverters(t);
    addResizeConverters(t);
    addScatterConverters(t);
    addControlConverters(t);
    return t;
  }();
  return table;
}

Model Importer::run() {
  opset_ = findOpset();
  addGraphInputs();
  const onnx::GraphProto &g = model_.graph();
  for (int i = 0; i < g.node_size(); ++i)
    convertNode(g.node(i), (size_t)i, converters());
  if (unsupported_.nodes)
    badInput(file_, ": ", unsupported_.message((size_t)g.node_size()));
  for (const auto &o : g.output()) {
    Value *v = value(o.name());
    // An output that is an input or a parameter gets a node of its own.
    if (v->kind() != ValueKind::NodeResult)
      v = b_.op(OpKind::StopGradient, {v});
    graph_.addOutput(o.name(), v);
  }
  return prune();
}

} // namespace

namespace onnximport {

std::optional<DType> dtypeFromOnnx(int64_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::DOUBLE:
    return DType::F64;
  case onnx::TensorProto::INT32:
    return DType::I32;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::BOOL:
    return DType::Bool;
  case onnx::TensorProto::UINT8:
    return DType::U8;
  default:
    return std::nullopt;
  }
}

int64_t normalizeAxis(int64_t axis, int64_t rank, const std::string &what) {
  if (axis < -rank || axis >= rank)
    unsupported(strCat(what, " ", axis, " is out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

const Shape &staticShapeOf(Value *v, const std::string &what) {
  if (!isStatic(v->type().shape))
    unsupported(
        strCat(what, " of the symbolic shape ", shapeStr(v->type().shape)));
  return v->type().shape;
}

void requireFloat(Value *v, const std::string &what) {
  if (!isFloat(v->type().dtype))
    unsupported(strCat(what, " of dtype ", dtypeName(v->type().dtype),
                       " (only float)"));
}

} // namespace onnximport

namespace {
/// How many elements `t` holds in the typed field of `dtype`.
int64_t storedElements(const onnx::TensorProto &t, DType dtype) {
  switch (dtype) {
  case DType::F32:
    return t.float_data_size();
  case DType::F64:
    return t.double_data_size();
  case DType::I64:
    return t.int64_data_size();
  case DType::I32:
  case DType::Bool:
  case DType::U8:
    break;
  }
  return t.int32_data_size();
}
} // namespace

Tensor tensorFromOnnx(const onnx::TensorProto &t, const std::string &what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    badInput(what, ": unsupported: external data");
  std::optional<DType> dtype = dtypeFromOnnx(t.data_type());
  if (!dtype)
    badInput(what, ": unsupported: dtype ", onnxDTypeName(t.data_type()));
  Shape shape(t.dims().begin(), t.dims().end());
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 0)
      badInput(what, ": the negative dimension ", shape[i], " (axis ", i, ")");
  TensorType type{*dtype, shape};
  checkType(type, what);
  int64_t n = type.numElements();
  auto mismatch = [&](int64_t got) {
    badInput(what, ": holds ", got, " elements, but its dims ", shapeStr(shape),
             " need ", n);
  };
  // The data's size is checked before anything is allocated: a few bytes
  // of file may declare terabytes of dims.
  int64_t given = t.has_raw_data()
                      ? (int64_t)(t.raw_data().size() / dtypeSize(*dtype))
                      : storedElements(t, *dtype);
  if (given != n ||
      (t.has_raw_data() && t.raw_data().size() != (size_t)type.byteSize()))
    mismatch(given);
  Tensor out(type);
  if (t.has_raw_data()) {
    // A bool byte other than 0 or 1 is no bool: reading it is undefined.
    if (*dtype == DType::Bool)
      for (int64_t i = 0; i < n; ++i)
        if (auto byte = (unsigned char)t.raw_data()[(size_t)i]; byte > 1)
          badInput(what, ": bool element ", i, " holds byte ", (int)byte,
                   " (only 0 or 1)");
    if (n)
      std::memcpy(out.bytes(), t.raw_data().data(), out.byteSize());
    return out;
  }
  auto copy = [&](const auto &field) {
    for (int64_t i = 0; i < n; ++i)
      out.setElementFromDouble(i, (double)field.Get((int)i));
  };
  switch (*dtype) {
  case DType::F32:
    copy(t.float_data());
    break;
  case DType::F64:
    copy(t.double_data());
    break;
  case DType::I64:
    for (int64_t i = 0; i < n; ++i)
      out.data<int64_t>()[i] = t.int64_data((int)i);
    break;
  case DType::I32:
  case DType::Bool:
  case DType::U8:
    copy(t.int32_data());
    break;
  }
  return out;
}

Tensor loadOnnxTensor(const std::string &path) {
  std::string bytes = readFile(path);
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes))
    badInput(path, ": not a valid onnx.TensorProto file");
  return tensorFromOnnx(t, path);
}

namespace {

/// The symbol an ONNX dim_param names: the name made an identifier, or `?`
/// for a dimension with neither a value nor a name.
int64_t onnxSymbol(const onnx::TensorShapeProto::Dimension &d) {
  if (!d.has_dim_param() || d.dim_param().empty())
    return symbolicDim(internSymbol("?"));
  std::string name = d.dim_param();
  for (char &c : name)
    if (!std::isalnum((unsigned char)c) && c != '_')
      c = '_';
  if (std::isdigit((unsigned char)name[0]))
    name = "_" + name;
  return symbolicDim(internSymbol(name));
}

/// The shapes, with symbols, of the graph inputs that have symbolic
/// dimensions and no shape in `options`.
std::map<std::string, Shape>
symbolicInputShapes(const onnx::GraphProto &g,
                    const OnnxImportOptions &options) {
  std::set<std::string> initialized;
  for (const auto &t : g.initializer())
    initialized.insert(t.name());
  std::map<std::string, Shape> out;
  for (const auto &in : g.input()) {
    if (initialized.count(in.name()) || options.inputShapes.count(in.name()) ||
        !in.type().has_tensor_type() || !in.type().tensor_type().has_shape())
      continue;
    Shape shape;
    bool symbolic = false;
    for (const auto &d : in.type().tensor_type().shape().dim()) {
      // A negative extent is refused by the import with fixed extents.
      if (d.has_dim_value() && d.dim_value() < 0)
        return {};
      symbolic |= !d.has_dim_value();
      shape.push_back(d.has_dim_value() ? d.dim_value() : onnxSymbol(d));
    }
    if (symbolic)
      out[in.name()] = shape;
  }
  return out;
}

Model importWith(const onnx::ModelProto &model, const std::string &fileName,
                 const OnnxImportOptions &options) {
  Importer importer(model, fileName, options);
  Model m = importer.run();
  verifyModel(m);
  return m;
}

/// The model imported with its symbolic dimensions kept, when that import
/// is the same graph as the static imports at two sizes of them (an import
/// that computed with an extent, Shape feeding a Reshape say, would
/// differ); nullopt otherwise.
std::optional<Model> importSymbolic(const onnx::ModelProto &model,
                                    const std::string &fileName,
                                    const OnnxImportOptions &options,
                                    const std::map<std::string, Shape> &shapes,
                                    std::vector<std::string> &notes) {
  OnnxImportOptions symbolic = options;
  symbolic.onNote = [&](const std::string &note) { notes.push_back(note); };
  for (const auto &[name, shape] : shapes)
    symbolic.inputShapes[name] = shape;
  try {
    Model m = importWith(model, fileName, symbolic);
    for (int64_t size : {2, 3}) {
      SymbolValues values;
      for (SymbolId s : graphSymbols(m.graph))
        values[s] = size;
      OnnxImportOptions fixed = options;
      fixed.onNote = nullptr;
      for (const auto &[name, shape] : shapes)
        fixed.inputShapes[name] = bindShape(shape, values);
      Model want = importWith(model, fileName, fixed);
      Model got{specialize(m.graph, values), m.training};
      if (!graphsIdentical(got.graph, want.graph, /*reshapeTargets=*/false))
        return std::nullopt;
    }
    return m;
  } catch (const Error &) {
    return std::nullopt;
  }
}

} // namespace

Model importOnnx(const onnx::ModelProto &model, const std::string &fileName,
                 const OnnxImportOptions &options) {
  std::map<std::string, Shape> shapes =
      symbolicInputShapes(model.graph(), options);
  if (!shapes.empty()) {
    std::vector<std::string> notes;
    if (std::optional<Model> m =
            importSymbolic(model, fileName, options, shapes, notes)) {
      if (options.onNote)
        for (const std::string &note : notes)
          options.onNote(note);
      return std::move(*m);
    }
  }
  return importWith(model, fileName, options);
}

Model importOnnx(const std::string &path, const OnnxImportOptions &options) {
  return importOnnx(readOnnxModel(path), path, options);
}

std::vector<std::string> onnxInputNames(const onnx::ModelProto &model) {
  std::set<std::string> initialized;
  for (const auto &t : model.graph().initializer())
    initialized.insert(t.name());
  std::vector<std::string> names;
  for (const auto &in : model.graph().input())
    if (!initialized.count(in.name()))
      names.push_back(in.name());
  return names;
}

onnx::ModelProto readOnnxModel(const std::string &path) {
  std::string bytes = readFile(path);
  if (bytes.empty())
    badInput(path, ": the file is empty");
  onnx::ModelProto model;
  bool parsed = model.ParseFromString(bytes);
  // Protobuf's wire format lets one message parse as another: an Adjoint
  // .pb renamed .onnx parses as an ONNX model with no opset and no graph.
  if (!parsed || (model.opset_import_size() == 0 && !model.has_graph())) {
    proto::Model adjointModel;
    // Only a guess: what protobuf would log about it (invalid UTF-8 in a
    // string field) is nobody's business.
    google::protobuf::LogSilencer quiet;
    if (adjointModel.ParseFromString(bytes) && adjointModel.has_graph() &&
        adjointModel.graph().nodes_size() > 0)
      badInput(path, ": this is an Adjoint model (binary protobuf), not an "
                     "ONNX model: name it .pb");
    bool text = std::all_of(
        bytes.begin(), bytes.begin() + std::min<size_t>(bytes.size(), 512),
        [](char c) {
          return c == '\n' || c == '\t' || c == '\r' || (c >= 32 && c < 127);
        });
    if (text)
      badInput(path, ": a text file, not an ONNX model (ONNX models are "
                     "binary protobuf; Adjoint's text formats are .pbtxt and "
                     ".adj)");
    if (!parsed)
      badInput(path, ": not a valid ONNX model (the file is truncated or "
                     "corrupt)");
  }
  return model;
}

void registerOnnxLoader() {
  registerModelLoader(".onnx", [](const std::string &path) {
    OnnxImportOptions options;
    options.onNote = [](const std::string &note) {
      std::fprintf(stderr, "adjoint: note: %s\n", note.c_str());
    };
    return importOnnx(path, options);
  });
}

} // namespace adjoint
