//===- HeaderWriter.cpp - The C/C++ header of a compiled model ------------===//
#include "compiler/aot/HeaderWriter.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"

#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace adjoint::aot {

namespace {

std::string upper(std::string s) {
  for (char &c : s)
    c = (char)std::toupper((unsigned char)c);
  return s;
}

std::string cType(DType t) {
  switch (t) {
  case DType::F32:
    return "float";
  case DType::F64:
    return "double";
  case DType::I32:
    return "int32_t";
  case DType::I64:
    return "int64_t";
  case DType::Bool:
    return "bool";
  case DType::U8:
    return "uint8_t";
  }
  __builtin_unreachable();
}

/// Identifiers the C++ class declares itself, and C++ keywords.
const std::set<std::string> &reservedMembers() {
  static const std::set<std::string> names = {"run",
                                              "step",
                                              "arena",
                                              "batch",
                                              "batch_",
                                              "offsets_",
                                              "arena_",
                                              "run_batch",
                                              "base",
                                              "kArenaBytes",
                                              "kStepArenaBytes",
                                              "base_",
                                              "storage_",
                                              "at",
                                              "bool",
                                              "break",
                                              "case",
                                              "char",
                                              "class",
                                              "const",
                                              "default",
                                              "delete",
                                              "do",
                                              "double",
                                              "else",
                                              "enum",
                                              "float",
                                              "for",
                                              "if",
                                              "int",
                                              "long",
                                              "new",
                                              "operator",
                                              "private",
                                              "public",
                                              "return",
                                              "short",
                                              "signed",
                                              "sizeof",
                                              "static",
                                              "struct",
                                              "switch",
                                              "template",
                                              "this",
                                              "typedef",
                                              "union",
                                              "unsigned",
                                              "void",
                                              "volatile",
                                              "while"};
  return names;
}

/// One buffer the C++ class holds.
struct Buffer {
  std::string ident; ///< accessor name
  std::string macro; ///< NAME_<MACRO>_BYTES ...
  AotTensor tensor;
  int64_t offset = 0;
  bool output = false;
};

int64_t align64(int64_t n) { return (n + 63) / 64 * 64; }

/// Gives each tensor a unique identifier; `prefix` starts the accessor and
/// the macro (step_ / STEP_).
std::vector<Buffer> buffersOf(const std::vector<AotTensor> &tensors,
                              bool output, const std::string &prefix,
                              std::set<std::string> &used) {
  std::vector<Buffer> out;
  for (const AotTensor &t : tensors) {
    std::string ident = prefix + tensorIdentifier(t.name);
    while (used.count(ident) || reservedMembers().count(ident))
      ident += "_";
    used.insert(ident);
    out.push_back({ident, upper(ident), t, 0, output});
  }
  return out;
}

/// The shape, -1 where the batch goes.
std::string shapeText(const TensorType &t) {
  std::string s;
  for (int64_t d : t.shape)
    s += (s.empty() ? "" : ", ") + std::to_string(isSymbolic(d) ? -1 : d);
  return s;
}

/// The bytes of a tensor of a model compiled for every batch at a batch of
/// one (its bytes per example when it holds the batch) and whether it does.
std::pair<int64_t, bool> bytesPerExample(const TensorType &t) {
  int64_t bytes = (int64_t)dtypeSize(t.dtype);
  bool batched = false;
  for (int64_t d : t.shape) {
    batched |= isSymbolic(d);
    bytes *= isSymbolic(d) ? dimCoefficient(d) : d;
  }
  return {bytes, batched};
}

void describeTensor(std::ostringstream &os, const std::string &name,
                    const Buffer &b) {
  const TensorType &t = b.tensor.type;
  os << "/* " << (b.output ? "output" : "input") << " '" << b.tensor.name
     << "': " << typeStr(t) << " */\n";
  std::string m = name + "_" + b.macro;
  if (isStatic(t.shape)) {
    os << "#define " << m << "_BYTES " << t.byteSize() << "\n";
  } else {
    auto [bytes, batched] = bytesPerExample(t);
    os << "#define " << m << "_BYTES(batch) ((size_t)"
       << (batched ? "(batch) * " : "") << bytes << ")\n";
  }
  os << "#define " << m << "_DTYPE ADJOINT_DTYPE_"
     << upper(std::string(dtypeName(t.dtype))) << "\n";
  os << "#define " << m << "_RANK " << t.shape.size() << "\n";
  if (!t.shape.empty())
    os << "static const int64_t " << name << "_" << b.ident << "_shape["
       << t.shape.size() << "] = {" << shapeText(t) << "};\n";
}

std::string withCommas(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = (int)s.size() - 3; i > 0; i -= 3)
    s.insert((size_t)i, ",");
  return s;
}

/// Where the parameters live, for the header's memory comment.
std::string paramMemory(const AotInterface &api) {
  std::string where = api.externalWeights
                          ? "in a buffer " + api.name +
                                "_load_weights fills from the weights file (" +
                                withCommas(api.weightsBytes) + " bytes)"
                      : api.writableParams ? "of writable data"
                                           : "of read-only data";
  return withCommas(api.paramBytes) + " bytes " + where;
}

/// The dtype macros and the opening of extern "C".
void writePrologue(std::ostringstream &os, const std::string &guard) {
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n\n"
     << "#ifndef ADJOINT_DTYPE_F32\n"
     << "#define ADJOINT_DTYPE_F32 0\n#define ADJOINT_DTYPE_F64 1\n"
     << "#define ADJOINT_DTYPE_I32 2\n#define ADJOINT_DTYPE_I64 3\n"
     << "#define ADJOINT_DTYPE_BOOL 4\n#define ADJOINT_DTYPE_U8 5\n"
     << "#endif\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
}

/// The parameter accessors and NAME_load_weights.
void writeParamFunctions(std::ostringstream &os, const AotInterface &api) {
  const std::string &n = api.name;
  os << "/* Parameters, in the model's order: name, bytes, read and write. "
     << (api.writableParams
             ? ""
             : "They are\n   read-only data: " + n + "_set_param returns -1. ")
     << "Out-of-range indices\n   give NULL, 0 and -1. */\n"
     << "#define " << n << "_NUM_PARAMS " << api.params.size() << "\n"
     << "const char *" << n << "_param_name(int i);\n"
     << "size_t " << n << "_param_bytes(int i);\n"
     << "int " << n << "_get_param(int i, void *dst);\n"
     << "int " << n << "_set_param(int i, const void *src);\n";
  if (api.externalWeights)
    os << "\n/* Reads the weights file (" << api.weightsBytes
       << " bytes: each parameter in order, raw\n   little-endian, padded "
          "to 64 bytes) into the library; call it before\n   "
       << n
       << "_run. Returns 0, or -1 if the file cannot be read or has "
          "another size. */\n"
       << "#define " << n << "_WEIGHTS_BYTES " << api.weightsBytes << "\n"
       << "int " << n << "_load_weights(const char *path);\n";
}

/// The header of a model compiled for every batch: NAME_arena_bytes,
/// NAME_run_batch, and a C++ class that takes the batch.
std::string writeBatchHeader(const AotInterface &api,
                             const std::vector<Buffer> &runIn,
                             const std::vector<Buffer> &runOut) {
  const std::string &n = api.name;
  const std::string &N = api.batchSymbol;
  std::ostringstream os;
  std::string guard = "ADJOINT_MODEL_" + upper(n) + "_H";
  os << "/* " << n << ".h: the model " << api.modelPath
     << " compiled by `adjoint compile` for every batch " << N
     << ". Do not edit. */\n"
     << "/*\n * Target " << api.triple << ", CPU " << api.cpu << ".\n"
     << " * Link the object with libadjoint_runtime.a -lstdc++ -lm "
        "-lpthread.\n *\n * Memory it needs:\n"
     << " *   " << n << "_run_batch: an arena of " << n
     << "_arena_bytes(batch) = " << withCommas(api.run.arenaBytes) << " + "
     << withCommas(api.run.arenaBytesPerExample)
     << " * batch bytes per call, plus its inputs and outputs;\n"
     << " *   parameters: " << paramMemory(api) << ".\n */\n";
  writePrologue(os, guard);
  os << "#define " << n << "_NUM_INPUTS " << runIn.size() << "\n"
     << "#define " << n << "_NUM_OUTPUTS " << runOut.size() << "\n"
     << "/* The shapes hold -1 where the batch " << N
     << " goes; _BYTES(batch) is a\n   tensor's size at a batch. */\n";
  for (auto *list : {&runIn, &runOut})
    for (const Buffer &b : *list)
      describeTensor(os, n, b);
  os << "\n/* Scratch one call of " << n
     << "_run_batch needs at `batch` examples (64-byte\n   aligned), "
     << api.run.arenaBytes << " + " << api.run.arenaBytesPerExample
     << " * batch bytes; 0 for a batch below 1. */\n"
     << "size_t " << n << "_arena_bytes(int64_t batch);\n\n"
     << "/* Runs the model on `batch` examples (1 or more): inputs[i] and "
        "outputs[i]\n   point at caller-owned dense buffers of the shapes "
        "above, -1 being `batch`,\n   in that order; arena: "
     << n
     << "_arena_bytes(batch) bytes, 64-byte aligned,\n   or NULL for one "
        "allocated from the heap for the call. Returns 0; -1 for\n   a "
        "batch below 1 or a heap arena that cannot be allocated; or the "
        "failing\n   node's index + 1 on a data-dependent error (a gather "
        "index out of range). */\n"
     << "int " << n << "_run_batch(int64_t batch, const void *const *inputs, "
     << "void *const *outputs,\n    void *arena);\n\n";
  writeParamFunctions(os, api);
  size_t count = runIn.size() + runOut.size();
  os << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n\n"
     << "#include <cstddef>\n#include <cstdint>\n#include <memory>\n\n"
     << "namespace adjoint_model {\n\n"
     << "/* Owns a buffer for every input and output and the arena, for "
        "`batch`\n   examples. */\n"
     << "class " << n << " {\npublic:\n"
     << "  explicit " << n << "(int64_t batch) : batch_(batch < 1 ? 1 : batch) "
     << "{\n    const size_t bytes[] = {";
  for (auto *list : {&runIn, &runOut})
    for (const Buffer &b : *list) {
      std::string m = n + "_" + b.macro + "_BYTES";
      os << (isStatic(b.tensor.type.shape) ? m : m + "((size_t)batch_)")
         << ", ";
    }
  os << "0};\n    size_t at = 0;\n"
     << "    for (size_t i = 0; i < " << count << "; ++i) {\n"
     << "      offsets_[i] = at;\n"
     << "      at += ((bytes[i] ? bytes[i] : 1) + 63) / 64 * 64;\n    }\n"
     << "    arena_ = at;\n"
     << "    storage_.reset(new unsigned char[at + " << n
     << "_arena_bytes(batch_) + 64]);\n  }\n"
     << "  " << n << "(const " << n << " &) = delete;\n"
     << "  " << n << " &operator=(const " << n << " &) = delete;\n\n"
     << "  int64_t batch() const { return batch_; }\n";
  size_t index = 0;
  for (auto *list : {&runIn, &runOut})
    for (const Buffer &b : *list) {
      std::string t = cType(b.tensor.type.dtype);
      os << "  /* " << (b.output ? "output" : "input") << " '" << b.tensor.name
         << "': " << typeStr(b.tensor.type) << " */\n";
      if (!b.output)
        os << "  " << t << " *" << b.ident << "() { return reinterpret_cast<"
           << t << " *>(base() + offsets_[" << index << "]); }\n";
      os << "  const " << t << " *" << b.ident
         << "() const { return reinterpret_cast<const " << t
         << " *>(base() + offsets_[" << index << "]); }\n";
      ++index;
    }
  os << "\n  int run() {\n    const void *in[] = {";
  for (const Buffer &b : runIn)
    os << b.ident << "(), ";
  os << "nullptr};\n    void *out[] = {";
  for (size_t i = 0; i < runOut.size(); ++i)
    os << "base() + offsets_[" << runIn.size() + i << "], ";
  os << "nullptr};\n    return " << n
     << "_run_batch(batch_, in, out, base() + arena_);\n  }\n"
     << "\nprivate:\n"
     << "  unsigned char *base() const {\n"
     << "    uintptr_t p = reinterpret_cast<uintptr_t>(storage_.get());\n"
     << "    return reinterpret_cast<unsigned char *>((p + 63) & "
        "~uintptr_t(63));\n"
     << "  }\n"
     << "  int64_t batch_;\n  size_t offsets_[" << std::max<size_t>(count, 1)
     << "] = {};\n  size_t arena_ = 0;\n"
     << "  std::unique_ptr<unsigned char[]> storage_;\n"
     << "};\n\n} // namespace adjoint_model\n#endif /* __cplusplus */\n\n"
     << "#endif /* " << guard << " */\n";
  return os.str();
}

} // namespace

std::string tensorIdentifier(const std::string &name) {
  std::string s = name;
  for (char &c : s)
    if (!std::isalnum((unsigned char)c))
      c = '_';
  if (s.empty() || std::isdigit((unsigned char)s[0]))
    s = "_" + s;
  return s;
}

std::string writeHeader(const AotInterface &api) {
  const std::string &n = api.name;
  std::set<std::string> used;
  std::vector<Buffer> runIn = buffersOf(api.run.inputs, false, "", used);
  std::vector<Buffer> runOut = buffersOf(api.run.outputs, true, "", used);
  std::vector<Buffer> stepIn, stepOut;
  // Step inputs that are run inputs of the same name and type share their
  // buffer in the C++ class.
  std::map<std::string, std::string> stepShares;
  if (api.step) {
    std::vector<AotTensor> own;
    for (const AotTensor &t : api.step->inputs) {
      bool shared = false;
      for (const Buffer &b : runIn)
        if (b.tensor.name == t.name && b.tensor.type == t.type) {
          stepShares[t.name] = b.ident;
          shared = true;
        }
      if (!shared)
        own.push_back(t);
    }
    stepIn = buffersOf(own, false, "step_", used);
    stepOut = buffersOf(api.step->outputs, true, "step_", used);
  }
  int64_t offset = 0;
  for (auto *list : {&runIn, &runOut, &stepIn, &stepOut})
    for (Buffer &b : *list) {
      b.offset = offset;
      offset += align64(std::max<int64_t>(b.tensor.type.byteSize(), 1));
    }
  int64_t arenaOffset = offset;
  if (!api.batchSymbol.empty())
    return writeBatchHeader(api, runIn, runOut);
  int64_t arenaBytes =
      std::max(api.run.arenaBytes, api.step ? api.step->arenaBytes : 0);
  int64_t classBytes = arenaOffset + arenaBytes;

  std::ostringstream os;
  std::string guard = "ADJOINT_MODEL_" + upper(n) + "_H";
  os << "/* " << n << ".h: the model " << api.modelPath
     << " compiled by `adjoint compile`. Do not edit. */\n"
     << "/*\n * Target " << api.triple << ", CPU " << api.cpu << ".\n"
     << " * Link the object with libadjoint_runtime.a -lstdc++ -lm "
        "-lpthread.\n *\n * Memory it needs:\n"
     << " *   " << n << "_run: an arena of " << withCommas(api.run.arenaBytes)
     << " bytes per call (" << n
     << "_ARENA_BYTES), plus its inputs and "
        "outputs;\n";
  if (api.step)
    os << " *   " << n << "_step: an arena of "
       << withCommas(api.step->arenaBytes) << " bytes per call (" << n
       << "_STEP_ARENA_BYTES);\n";
  os << " *   internal arena used when NULL is passed: "
     << withCommas(api.staticArenaBytes) << " bytes (zero-initialized data);\n"
     << " *   parameters: " << paramMemory(api) << ";\n";
  if (api.step)
    os << " *   optimizer state: " << withCommas(api.stateBytes)
       << " bytes of writable data;\n";
  os << " *   the C++ class " << n << " allocates " << withCommas(classBytes)
     << " bytes (every input and output, and the arena).\n */\n";
  writePrologue(os, guard);

  os << "#define " << n << "_NUM_INPUTS " << runIn.size() << "\n"
     << "#define " << n << "_NUM_OUTPUTS " << runOut.size() << "\n"
     << "/* scratch one call of " << n << "_run needs (64-byte aligned) */\n"
     << "#define " << n << "_ARENA_BYTES " << api.run.arenaBytes << "\n\n";
  for (auto *list : {&runIn, &runOut})
    for (const Buffer &b : *list)
      describeTensor(os, n, b);
  os << "\n/* Runs the model: inputs[i] and outputs[i] point at caller-owned "
        "dense\n   buffers, in the order above; arena: "
     << n
     << "_ARENA_BYTES bytes, 64-byte\n   aligned, or NULL for an internal "
        "static arena (then calls must not\n   overlap). Returns 0, or "
        "nonzero on a data-dependent error (a gather\n   index out of "
        "range). */\n"
     << "int " << n << "_run(const void *const *inputs, void *const *outputs, "
     << "void *arena);\n\n";
  if (api.step) {
    os << "#define " << n << "_STEP_NUM_INPUTS " << api.step->inputs.size()
       << "\n#define " << n << "_STEP_NUM_OUTPUTS " << api.step->outputs.size()
       << "\n#define " << n << "_STEP_ARENA_BYTES " << api.step->arenaBytes
       << "\n";
    std::set<std::string> stepUsed = used;
    std::vector<Buffer> in =
        buffersOf(api.step->inputs, false, "step_", stepUsed);
    for (const Buffer &b : in)
      describeTensor(os, n, b);
    for (const Buffer &b : stepOut)
      describeTensor(os, n, b);
    os << "\n/* One training step: forward, loss, backward and the optimizer's "
          "update of\n   the parameters and optimizer state, which live in "
          "the library and are\n   updated in place. inputs: the batch, in the "
          "order above; outputs: the\n   loss (and the accuracy when the "
          "model names its predictions). arena:\n   "
       << n << "_STEP_ARENA_BYTES bytes or NULL, as for " << n << "_run. */\n"
       << "int " << n << "_step(const void *const *inputs, void *const "
       << "*outputs, void *arena);\n\n";
  }
  writeParamFunctions(os, api);
  os << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n\n"
     << "#include <cstddef>\n#include <cstdint>\n#include <memory>\n\n"
     << "namespace adjoint_model {\n\n"
     << "/* Owns a buffer for every input and output and the arena. */\n"
     << "class " << n << " {\npublic:\n"
     << "  static constexpr size_t kArenaBytes = " << n << "_ARENA_BYTES;\n";
  if (api.step)
    os << "  static constexpr size_t kStepArenaBytes = " << n
       << "_STEP_ARENA_BYTES;\n";
  os << "\n  " << n << "() : storage_(new unsigned char[" << classBytes
     << " + 64]) {}\n"
     << "  " << n << "(const " << n << " &) = delete;\n"
     << "  " << n << " &operator=(const " << n << " &) = delete;\n\n";
  for (auto *list : {&runIn, &runOut, &stepIn, &stepOut})
    for (const Buffer &b : *list) {
      std::string t = cType(b.tensor.type.dtype);
      std::string cast = "reinterpret_cast<";
      os << "  /* " << (b.output ? "output" : "input") << " '" << b.tensor.name
         << "': " << typeStr(b.tensor.type) << " */\n";
      if (!b.output)
        os << "  " << t << " *" << b.ident << "() { return " << cast << t
           << " *>(base() + " << b.offset << "); }\n";
      os << "  const " << t << " *" << b.ident << "() const { return " << cast
         << "const " << t << " *>(base() + " << b.offset << "); }\n";
    }
  auto call = [&](const char *fn, const std::vector<AotTensor> &inputs,
                  const std::vector<Buffer> &outs, bool isStep) {
    os << "\n  int " << fn << "() {\n    const void *in[] = {";
    for (const AotTensor &t : inputs) {
      std::string ident;
      if (isStep && stepShares.count(t.name))
        ident = stepShares.at(t.name);
      for (const Buffer &b : isStep ? stepIn : runIn)
        if (ident.empty() && b.tensor.name == t.name)
          ident = b.ident;
      os << ident << "(), ";
    }
    os << "nullptr};\n    void *out[] = {";
    for (const Buffer &b : outs)
      os << "base() + " << b.offset << ", ";
    os << "nullptr};\n    return " << n << "_" << fn << "(in, out, base() + "
       << arenaOffset << ");\n  }\n";
  };
  call("run", api.run.inputs, runOut, false);
  if (api.step)
    call("step", api.step->inputs, stepOut, true);
  os << "\nprivate:\n"
     << "  unsigned char *base() const {\n"
     << "    uintptr_t p = reinterpret_cast<uintptr_t>(storage_.get());\n"
     << "    return reinterpret_cast<unsigned char *>((p + 63) & "
        "~uintptr_t(63));\n"
     << "  }\n"
     << "  std::unique_ptr<unsigned char[]> storage_;\n"
     << "};\n\n} // namespace adjoint_model\n#endif /* __cplusplus */\n\n"
     << "#endif /* " << guard << " */\n";
  return os.str();
}

} // namespace adjoint::aot
