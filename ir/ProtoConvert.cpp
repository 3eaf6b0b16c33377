//===- ProtoConvert.cpp - Conversion between the wire format and the IR ---===//
//
// toProto writes a Model as the protobuf message of proto/adjoint.proto;
// fromProto reads one back, checking everything a file can get wrong and
// naming the file, node, op and shapes in each error. Tensor bytes are
// little-endian in the file whatever the host's order.
//
//===----------------------------------------------------------------------===//
#include "ir/ProtoConvert.h"

#include "ir/ModelIO.h"

#include "ir/ByteOrder.h"
#include "ir/Error.h"
#include "ir/ShapeInference.h"
#include "ir/SymbolicDim.h"
#include "ir/Verifier.h"
#include "proto/adjoint.pb.h"

#include <map>

namespace adjoint {

namespace {

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

proto::DType toProtoDType(DType t) {
  switch (t) {
  case DType::F32:
    return proto::F32;
  case DType::F64:
    return proto::F64;
  case DType::I32:
    return proto::I32;
  case DType::I64:
    return proto::I64;
  case DType::Bool:
    return proto::BOOL;
  case DType::U8:
    return proto::U8;
  }
  __builtin_unreachable();
}

/// The dtype of a wire value (an open enum: any int may arrive).
DType fromProtoDType(int value, const std::string &what) {
  if (value == proto::DTYPE_UNSPECIFIED)
    badInput(what, ": dtype is unspecified");
  for (DType t : kAllDTypes)
    if ((int)toProtoDType(t) == value)
      return t;
  badInput(what, ": unknown dtype ", value);
}

constexpr std::pair<InitSpec::Kind, proto::Initializer::Kind> kInitKinds[] = {
    {InitSpec::Kind::Zeros, proto::Initializer::ZEROS},
    {InitSpec::Kind::Ones, proto::Initializer::ONES},
    {InitSpec::Kind::Constant, proto::Initializer::CONSTANT},
    {InitSpec::Kind::Uniform, proto::Initializer::UNIFORM},
    {InitSpec::Kind::Normal, proto::Initializer::NORMAL},
    {InitSpec::Kind::GlorotUniform, proto::Initializer::GLOROT_UNIFORM},
    {InitSpec::Kind::GlorotNormal, proto::Initializer::GLOROT_NORMAL},
    {InitSpec::Kind::HeUniform, proto::Initializer::HE_UNIFORM},
    {InitSpec::Kind::HeNormal, proto::Initializer::HE_NORMAL},
};

//===----------------------------------------------------------------------===//
// IR -> proto
//===----------------------------------------------------------------------===//

void toProtoType(const TensorType &t, proto::TensorType *out) {
  out->set_dtype(toProtoDType(t.dtype));
  for (int64_t d : t.shape)
    out->add_dims(isSymbolic(d) ? dimCoefficient(d) : d);
  if (!isStatic(t.shape))
    for (int64_t d : t.shape)
      out->add_dim_symbols(isSymbolic(d) ? symbolName(dimSymbol(d)) : "");
}

std::string littleEndianBytes(const Tensor &t) {
  std::string bytes(t.byteSize(), '\0');
  copyLittleEndian(reinterpret_cast<std::byte *>(bytes.data()), t.bytes(),
                   (size_t)t.numElements(), dtypeSize(t.dtype()));
  return bytes;
}

} // namespace

void toProtoTensor(const Tensor &t, proto::Tensor *out) {
  out->set_dtype(toProtoDType(t.dtype()));
  for (int64_t d : t.shape())
    out->add_dims(d);
  out->set_raw_data(littleEndianBytes(t));
}

namespace {

void toProtoInit(const InitSpec &spec, proto::Initializer *out) {
  for (auto &[kind, protoKind] : kInitKinds)
    if (kind == spec.kind)
      out->set_kind(protoKind);
  // Only the fields the kind uses, so that files stay minimal.
  using K = InitSpec::Kind;
  switch (spec.kind) {
  case K::Zeros:
  case K::Ones:
    break;
  case K::Constant:
    out->set_value(spec.value);
    break;
  case K::Uniform:
    out->set_seed(spec.seed);
    out->set_low(spec.low);
    out->set_high(spec.high);
    break;
  case K::Normal:
    out->set_seed(spec.seed);
    out->set_mean(spec.mean);
    out->set_stddev(spec.stddev);
    break;
  case K::GlorotUniform:
  case K::GlorotNormal:
  case K::HeUniform:
  case K::HeNormal:
    out->set_seed(spec.seed);
    break;
  }
}

} // namespace

namespace {
void writeGraph(const Graph &g, proto::Graph *pg);
Graph readGraph(const proto::Graph &pg);
} // namespace

void toProtoAttr(const std::string &name, const AttrValue &value,
                 proto::Attribute *out) {
  out->set_name(name);
  switch (attrKindOf(value)) {
  case AttrKind::Int:
    out->set_i(std::get<int64_t>(value));
    return;
  case AttrKind::Float:
    out->set_f(std::get<double>(value));
    return;
  case AttrKind::Bool:
    out->set_b(std::get<bool>(value));
    return;
  case AttrKind::String:
    out->set_s(std::get<std::string>(value));
    return;
  case AttrKind::DType:
    out->set_dtype(toProtoDType(std::get<DType>(value)));
    return;
  case AttrKind::Ints: {
    // mutable_*() first, so that an empty list is still a set value.
    proto::IntList *list = out->mutable_ints();
    const auto &values = std::get<std::vector<int64_t>>(value);
    bool symbolic = name == "shape" && !isStatic(values);
    for (int64_t v : values) {
      bool sym = symbolic && isSymbolic(v);
      list->add_values(sym ? dimCoefficient(v) : v);
      if (symbolic)
        list->add_symbols(sym ? symbolName(dimSymbol(v)) : "");
    }
    return;
  }
  case AttrKind::Floats: {
    proto::FloatList *list = out->mutable_floats();
    for (double v : std::get<std::vector<double>>(value))
      list->add_values(v);
    return;
  }
  case AttrKind::Tensor:
    toProtoTensor(std::get<Tensor>(value), out->mutable_tensor());
    return;
  case AttrKind::Graph:
    writeGraph(*std::get<SubGraph>(value), out->mutable_graph());
    return;
  }
}

//===----------------------------------------------------------------------===//
// proto -> IR
//===----------------------------------------------------------------------===//

namespace {

/// The checked type of wire `dtype` and `dims`.
TensorType typeOf(int dtype,
                  const google::protobuf::RepeatedField<int64_t> &dims,
                  const std::string &what) {
  TensorType t;
  t.dtype = fromProtoDType(dtype, what);
  // Checked before copying, so a million dims make no million-long message.
  if ((size_t)dims.size() > kMaxRank)
    badInput(what, ": rank ", dims.size(), " exceeds the maximum rank ",
             kMaxRank);
  t.shape.assign(dims.begin(), dims.end());
  // Symbols come from dim_symbols only: any negative number here is bad.
  for (int64_t d : t.shape)
    if (d < 0) {
      std::string dims;
      for (int64_t e : t.shape)
        dims += (dims.empty() ? "" : ",") + std::to_string(e);
      badInput(what, ": negative dimension in shape [", dims, "]");
    }
  checkType(t, what);
  return t;
}

TensorType fromProtoType(const proto::TensorType &p, const std::string &what) {
  TensorType t = typeOf(p.dtype(), p.dims(), what);
  if (p.dim_symbols_size() > (int)t.rank())
    badInput(what, ": ", p.dim_symbols_size(), " dimension symbols for rank ",
             t.rank());
  for (int i = 0; i < p.dim_symbols_size(); ++i) {
    const std::string &name = p.dim_symbols(i);
    if (name.empty())
      continue;
    std::optional<int64_t> sym = parseDim(name);
    if (!sym || !isSymbolic(*sym) || dimCoefficient(*sym) != 1)
      badInput(what, ": '", name, "' is no symbol name (an identifier or ?)");
    if (t.shape[i] < 1 || t.shape[i] > kMaxSymbolCoefficient)
      badInput(what, ": symbolic dimension ", i, " (", name,
               ") needs a multiplier from 1 to ", kMaxSymbolCoefficient,
               ", not ", t.shape[i]);
    t.shape[i] = symbolicDim(dimSymbol(*sym), t.shape[i]);
  }
  checkType(t, what);
  return t;
}

/// A tensor of `type` from little-endian `raw`, which must hold exactly its
/// bytes; the size is checked before anything is allocated.
Tensor fromRawData(const TensorType &type, const std::string &raw,
                   const std::string &what) {
  if ((uint64_t)raw.size() != (uint64_t)type.byteSize())
    badInput(what, ": ", typeStr(type), " needs ", type.byteSize(),
             " bytes of data, got ", raw.size());
  Tensor t(type);
  copyLittleEndian(t.bytes(), reinterpret_cast<const std::byte *>(raw.data()),
                   (size_t)t.numElements(), dtypeSize(type.dtype));
  if (type.dtype == DType::Bool)
    for (size_t i = 0; i < raw.size(); ++i)
      if (raw[i] != 0 && raw[i] != 1)
        badInput(what, ": bool element ", i, " is byte ", (int)(uint8_t)raw[i],
                 ", not 0 or 1");
  return t;
}

} // namespace

Tensor fromProtoTensor(const proto::Tensor &p, const std::string &what) {
  return fromRawData(typeOf(p.dtype(), p.dims(), what), p.raw_data(), what);
}

namespace {

InitSpec fromProtoInit(const proto::Initializer &p, const std::string &what) {
  InitSpec spec;
  bool known = false;
  for (auto &[kind, protoKind] : kInitKinds)
    if ((int)protoKind == (int)p.kind()) {
      spec.kind = kind;
      known = true;
    }
  if (!known)
    badInput(what, p.kind() == proto::Initializer::KIND_UNSPECIFIED
                       ? ": initializer kind is unspecified"
                       : strCat(": unknown initializer kind ", (int)p.kind()));
  // Absent fields take InitSpec's defaults (value 0, U(0, 1), N(0, 1)).
  spec.seed = p.seed();
  if (p.has_value())
    spec.value = p.value();
  if (p.has_low())
    spec.low = p.low();
  if (p.has_high())
    spec.high = p.high();
  if (p.has_mean())
    spec.mean = p.mean();
  if (p.has_stddev())
    spec.stddev = p.stddev();
  return spec;
}

} // namespace

namespace {

/// The values of `list` with its symbols (a shape attribute's) applied.
std::vector<int64_t> symbolicInts(const proto::IntList &list,
                                  const std::string &what) {
  std::vector<int64_t> values(list.values().begin(), list.values().end());
  if (list.symbols_size() == 0)
    return values;
  if (list.symbols_size() != list.values_size())
    badInput(what, ": ", list.symbols_size(), " symbols for ",
             list.values_size(), " values");
  for (int i = 0; i < list.symbols_size(); ++i) {
    const std::string &name = list.symbols(i);
    if (name.empty())
      continue;
    std::optional<int64_t> sym = parseDim(name);
    if (!sym || !isSymbolic(*sym) || dimCoefficient(*sym) != 1)
      badInput(what, ": '", name, "' is no symbol name (an identifier or ?)");
    if (values[i] < 1 || values[i] > kMaxSymbolCoefficient)
      badInput(what, ": symbolic value ", i, " (", name,
               ") needs a multiplier from 1 to ", kMaxSymbolCoefficient,
               ", not ", values[i]);
    values[i] = symbolicDim(dimSymbol(*sym), values[i]);
  }
  return values;
}

} // namespace

// An int where a float is declared (and ints where floats are) is widened, as
// a file written by hand naturally says `f: 1` as `i: 1`.
AttrValue fromProtoAttr(const proto::Attribute &p, AttrKind wanted,
                        const std::string &what) {
  AttrValue value;
  switch (p.value_case()) {
  case proto::Attribute::kI:
    if (wanted == AttrKind::Float)
      value = (double)p.i();
    else
      value = (int64_t)p.i();
    break;
  case proto::Attribute::kF:
    value = p.f();
    break;
  case proto::Attribute::kB:
    value = p.b();
    break;
  case proto::Attribute::kS:
    value = p.s();
    break;
  case proto::Attribute::kDtype:
    value = fromProtoDType(p.dtype(), what);
    break;
  case proto::Attribute::kInts:
    if (wanted == AttrKind::Floats)
      value = std::vector<double>(p.ints().values().begin(),
                                  p.ints().values().end());
    else
      value = symbolicInts(p.ints(), what);
    break;
  case proto::Attribute::kFloats:
    value = std::vector<double>(p.floats().values().begin(),
                                p.floats().values().end());
    break;
  case proto::Attribute::kTensor:
    value = fromProtoTensor(p.tensor(), what);
    break;
  case proto::Attribute::kGraph:
    value = withContext(what, [&] {
      return SubGraph(std::make_shared<Graph>(readGraph(p.graph())));
    });
    break;
  case proto::Attribute::VALUE_NOT_SET:
    badInput(what, " has no value");
  }
  if (attrKindOf(value) != wanted)
    badInput(what, " must be ", attrKindName(wanted), ", not ",
             attrKindName(attrKindOf(value)));
  return value;
}

namespace {

/// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
/// points past U+10FFFF).
bool isValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto byte = [&](size_t k) { return (uint8_t)s[k]; };
    uint8_t c = byte(i);
    size_t n = c < 0x80           ? 1
               : (c >> 5) == 0x6  ? 2
               : (c >> 4) == 0xe  ? 3
               : (c >> 3) == 0x1e ? 4
                                  : 0;
    if (n == 0 || i + n > s.size())
      return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

/// Rejects any string field of `m` that is not UTF-8. The binary parser
/// checks this itself; the text-format parser does not, and such a string
/// could not be written back as binary.
void checkStrings(const google::protobuf::Message &m, const std::string &at) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection *r = m.GetReflection();
  std::vector<const FieldDescriptor *> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor *f : fields) {
    std::string name = at.empty() ? f->name() : at + "." + f->name();
    int count = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < count; ++i) {
      std::string where = f->is_repeated() ? strCat(name, "[", i, "]") : name;
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string &v =
            f->is_repeated() ? r->GetRepeatedStringReference(m, f, i, &scratch)
                             : r->GetStringReference(m, f, &scratch);
        if (!isValidUtf8(v))
          badInput("string field ", where, " is not valid UTF-8");
      } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
        checkStrings(f->is_repeated() ? r->GetRepeatedMessage(m, f, i)
                                      : r->GetMessage(m, f),
                     where);
      }
    }
  }
}

/// "%name", or "#index" for a node whose result has no name.
std::string nodeRef(const proto::Node &n, int index) {
  return n.result().empty() ? strCat("#", index) : "%" + n.result();
}

/// Rejects every node whose op is unknown, listing all of them at once:
/// "unknown ops: foo (nodes %3, %7), bar (node %9)".
void checkOpNames(const proto::Graph &p) {
  std::vector<std::pair<std::string, std::vector<std::string>>> unknown;
  for (int i = 0; i < p.nodes_size(); ++i) {
    const proto::Node &n = p.nodes(i);
    if (n.op().empty())
      badInput("node ", nodeRef(n, i), " has no op");
    if (parseOpName(n.op()))
      continue;
    auto it = std::find_if(unknown.begin(), unknown.end(),
                           [&](auto &entry) { return entry.first == n.op(); });
    if (it == unknown.end())
      it = unknown.insert(unknown.end(), {n.op(), {}});
    it->second.push_back(nodeRef(n, i));
  }
  if (unknown.empty())
    return;
  std::string list;
  for (const auto &[op, nodes] : unknown) {
    list += strCat(list.empty() ? "" : ", ", op, " (node",
                   nodes.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < nodes.size(); ++i)
      list += (i ? ", " : "") + nodes[i];
    list += ")";
  }
  badInput(unknown.size() > 1 ? "unknown ops: " : "unknown op: ", list);
}

void readInputs(const proto::Graph &p, Graph &g) {
  for (int i = 0; i < p.inputs_size(); ++i) {
    const proto::Input &in = p.inputs(i);
    if (in.name().empty())
      badInput("input #", i, " has no name");
    std::string what = "input %" + in.name();
    if (!in.has_type())
      badInput(what, " has no type");
    g.addInput(in.name(), fromProtoType(in.type(), what));
  }
}

void readParams(const proto::Graph &p, Graph &g) {
  uint64_t memory = physicalMemory(), recipeBytes = 0;
  for (int i = 0; i < p.params_size(); ++i) {
    const proto::Parameter &param = p.params(i);
    if (param.name().empty())
      badInput("parameter #", i, " has no name");
    std::string what = "parameter %" + param.name();
    if (!param.has_type())
      badInput(what, " has no type");
    TensorType type = fromProtoType(param.type(), what);
    switch (param.init_case()) {
    case proto::Parameter::kRawData:
      g.addParam(param.name(), fromRawData(type, param.raw_data(), what));
      break;
    case proto::Parameter::kInitializer: {
      InitSpec spec = fromProtoInit(param.initializer(), what);
      recipeBytes += (uint64_t)type.byteSize();
      if (recipeBytes > memory)
        badInput(what, ": initializing ", typeStr(type), " (", type.byteSize(),
                 " bytes) would exceed this machine's ", memory,
                 " bytes of memory");
      g.addParam(param.name(), type, spec);
      break;
    }
    case proto::Parameter::INIT_NOT_SET:
      badInput(what, " has neither raw_data nor an initializer");
    }
  }
}

Attributes readAttrs(const proto::Node &n, OpKind op, const std::string &desc) {
  const OpDef &def = opDef(op);
  Attributes attrs;
  for (const proto::Attribute &a : n.attrs()) {
    if (a.name().empty())
      badInput(desc, ": an attribute has no name");
    const AttrSpec *spec = def.findAttr(a.name());
    if (!spec)
      badInput(desc, ": unknown attribute '", a.name(), "' for op ", def.name);
    if (attrs.find(a.name()))
      badInput(desc, ": attribute '", a.name(), "' is given twice");
    attrs.set(a.name(), fromProtoAttr(a, spec->kind,
                                      strCat(desc, ": attribute '", a.name(),
                                             "' of op ", def.name)));
  }
  return attrs;
}

void readNodes(const proto::Graph &p, Graph &g) {
  // Where each result is first defined, to tell a use before the definition
  // (a cycle, or nodes out of order) from a name that means nothing.
  std::map<std::string, int, std::less<>> definedAt;
  for (int i = 0; i < p.nodes_size(); ++i)
    definedAt.try_emplace(p.nodes(i).result(), i);

  for (int i = 0; i < p.nodes_size(); ++i) {
    const proto::Node &n = p.nodes(i);
    OpKind op = *parseOpName(n.op());
    std::string desc = strCat("node ", nodeRef(n, i), " (", n.op(), ")");
    if (n.result().empty())
      badInput(desc, ": the result has no name");

    std::vector<Value *> operands;
    std::vector<TensorType> types;
    for (int k = 0; k < n.operands_size(); ++k) {
      const std::string &name = n.operands(k);
      if (name.empty())
        badInput(desc, ": operand ", k, " has an empty name");
      Value *v = g.findValue(name);
      if (!v) {
        auto it = definedAt.find(name);
        if (it != definedAt.end() && it->second == i)
          badInput(desc, ": operand %", name,
                   " is the node's own result (a cycle)");
        if (it != definedAt.end() && it->second > i)
          badInput(desc, ": operand %", name,
                   " is used before it is defined (by node %", name, " (",
                   p.nodes(it->second).op(),
                   ") later on): the graph has a cycle or its nodes are not "
                   "in topological order");
        badInput(desc, ": operand %", name, " names no value");
      }
      operands.push_back(v);
      types.push_back(v->type());
    }
    Attributes attrs = readAttrs(n, op, desc);
    TensorType inferred =
        withContext(desc, [&] { return inferType(op, types, attrs); });
    if (n.has_type()) {
      TensorType declared = fromProtoType(n.type(), desc + ": declared type");
      if (declared != inferred)
        badInput(desc, ": declared type ", typeStr(declared),
                 " but the operands give ", typeStr(inferred));
    }
    withContext(desc, [&] {
      g.addNode(op, std::move(operands), std::move(attrs), n.result(),
                inferred);
    });
  }
}

void readOutputs(const proto::Graph &p, Graph &g) {
  for (int i = 0; i < p.outputs_size(); ++i) {
    const proto::Output &o = p.outputs(i);
    if (o.name().empty())
      badInput("output #", i, " has no name");
    if (o.value().empty())
      badInput("output '", o.name(), "' names no value");
    Value *v = g.findValue(o.value());
    if (!v)
      badInput("output '", o.name(), "' names no value %", o.value());
    g.addOutput(o.name(), v);
  }
}

Graph readGraph(const proto::Graph &pg) {
  if (pg.name().empty())
    badInput("the graph has no name");
  checkOpNames(pg);
  Graph g(pg.name());
  readInputs(pg, g);
  readParams(pg, g);
  readNodes(pg, g);
  readOutputs(pg, g);
  return g;
}

Model readModel(const proto::Model &p) {
  checkStrings(p, "");
  uint32_t version = p.format_version() == 0 ? 1 : p.format_version();
  if (version > kFormatVersion)
    badInput("model format version ", version,
             " is newer than this adjoint supports (", kFormatVersion, ")");
  if (!p.has_graph())
    badInput("the model has no graph");
  Model m;
  m.graph = readGraph(p.graph());
  if (p.has_training())
    m.training = fromProtoTraining(p.training());
  verifyModel(m);
  return m;
}

} // namespace

void verifyModel(const Model &m) {
  verify(m.graph);
  if (m.training)
    withContext("training", [&] { verifyTrainingSpec(*m.training, m.graph); });
}

namespace {

void writeGraph(const Graph &g, proto::Graph *pg) {
  pg->set_name(g.name());
  for (const Value *v : g.inputs()) {
    proto::Input *in = pg->add_inputs();
    in->set_name(v->name());
    toProtoType(v->type(), in->mutable_type());
  }
  for (const Param &param : g.params()) {
    proto::Parameter *out = pg->add_params();
    out->set_name(param.value->name());
    toProtoType(param.value->type(), out->mutable_type());
    // A recipe is kept as a recipe: the file stays small and unchanged.
    if (param.init)
      toProtoInit(*param.init, out->mutable_initializer());
    else
      out->set_raw_data(littleEndianBytes(param.data));
  }
  for (const auto &node : g.nodes()) {
    proto::Node *out = pg->add_nodes();
    out->set_op(std::string(opName(node->op())));
    for (const Value *operand : node->operands())
      out->add_operands(operand->name());
    out->set_result(node->result()->name());
    toProtoType(node->result()->type(), out->mutable_type());
    for (const auto &[name, value] : node->attrs())
      toProtoAttr(name, value, out->add_attrs());
  }
  for (const Output &o : g.outputs()) {
    proto::Output *out = pg->add_outputs();
    out->set_name(o.name);
    out->set_value(o.value->name());
  }
}

} // namespace

proto::Model toProto(const Model &m) {
  proto::Model p;
  p.set_format_version(kFormatVersion);
  p.set_producer("adjoint");
  writeGraph(m.graph, p.mutable_graph());
  if (m.training)
    toProtoTraining(*m.training, p.mutable_training());
  return p;
}

Model fromProto(const proto::Model &p, const std::string &fileName) {
  return withContext(fileName, [&] { return readModel(p); });
}

} // namespace adjoint
