//===- ModelIO.cpp - Model files in all three forms -----------------------===//
#include "ir/ModelIO.h"

#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/TextFormat.h"
#include "proto/adjoint.pb.h"

#include <cctype>
#include <climits>
#include <filesystem>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <map>
#include <mutex>

namespace adjoint {

namespace {

namespace pb = google::protobuf;

/// Protobuf's parsers stop at 2 GiB (sizes are `int`).
constexpr uint64_t kProtobufLimit = INT_MAX;

/// Captures what protobuf logs while it parses (it reports invalid UTF-8 in
/// string fields that way), so the text joins our error instead of going to
/// stderr. Protobuf's log handler is process-wide, hence the lock.
class ProtobufLogCapture {
public:
  ProtobufLogCapture() : lock_(mutex()) {
    sink() = &messages_;
    previous_ = pb::SetLogHandler(&handle);
  }
  ProtobufLogCapture(const ProtobufLogCapture &) = delete;
  ProtobufLogCapture &operator=(const ProtobufLogCapture &) = delete;
  ~ProtobufLogCapture() {
    pb::SetLogHandler(previous_);
    sink() = nullptr;
  }
  /// The first captured message, cut to its first sentence and lowercased
  /// as our messages are, or "" if there was none.
  std::string detail() const {
    if (messages_.empty())
      return "";
    std::string s = messages_.front();
    for (std::string_view end : {" when parsing", ". "})
      if (size_t at = s.find(end); at != std::string::npos)
        s.resize(at);
    while (!s.empty() && (s.back() == '.' || s.back() == ' '))
      s.pop_back();
    if (s.size() > 1 && std::isupper((unsigned char)s[0]) &&
        !std::isupper((unsigned char)s[1]))
      s[0] = (char)std::tolower((unsigned char)s[0]);
    return s;
  }

private:
  static std::mutex &mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::string> *&sink() {
    static std::vector<std::string> *s = nullptr;
    return s;
  }
  static void handle(pb::LogLevel, const char *, int,
                     const std::string &message) {
    if (sink())
      sink()->push_back(message);
  }

  std::lock_guard<std::mutex> lock_;
  std::vector<std::string> messages_;
  pb::LogHandler *previous_;
};

/// Collects text-format syntax errors as "FILE:LINE:COL: message".
class TextErrorCollector : public pb::io::ErrorCollector {
public:
  explicit TextErrorCollector(const std::string &fileName)
      : fileName_(fileName) {}
  void AddError(int line, pb::io::ColumnNumber column,
                const std::string &message) override {
    // Protobuf counts lines and columns from 0; people count from 1.
    if (first_.empty())
      first_ = strCat(fileName_, ":", line + 1, ":", column + 1, ": ",
                      lowercaseFirst(message));
  }
  const std::string &first() const { return first_; }

private:
  static std::string lowercaseFirst(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' &&
        !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
      s[0] = (char)(s[0] - 'A' + 'a');
    while (!s.empty() && s.back() == '.')
      s.pop_back();
    return s;
  }
  std::string fileName_;
  std::string first_;
};

Model loadBinary(const std::string &path) {
  std::string bytes =
      readFile(path, {kProtobufLimit, "the 2 GiB limit of binary protobuf"});
  if (bytes.empty())
    badInput(path, ": the file is empty");
  proto::Model p;
  {
    ProtobufLogCapture capture;
    if (!p.ParseFromString(bytes)) {
      std::string detail = capture.detail();
      badInput(path, ": not a valid binary protobuf model (",
               detail.empty() ? "the file is truncated or corrupt; a "
                                "text-format model ends in .pbtxt"
                              : detail,
               ")");
    }
  }
  bytes = std::string();
  return fromProto(p, path);
}

Model loadProtoText(const std::string &path) {
  std::string text = readFile(
      path, {kProtobufLimit, "the 2 GiB limit of protobuf text format"});
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    badInput(path, ": the file is empty");
  proto::Model p;
  TextErrorCollector errors(path);
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  {
    ProtobufLogCapture capture;
    if (!parser.ParseFromString(text, &p)) {
      if (!errors.first().empty())
        badInput(errors.first());
      std::string detail = capture.detail();
      badInput(path, ": not a valid protobuf text-format model",
               detail.empty() ? "" : " (" + detail + ")");
    }
  }
  return fromProto(p, path);
}

std::string serializeBinary(const Model &m, const std::string &path) {
  proto::Model p = toProto(m);
  size_t size = p.ByteSizeLong();
  if (size > kProtobufLimit)
    failed(path, ": the model is ", size,
           " bytes, over the 2 GiB limit of binary protobuf");
  std::string bytes;
  ProtobufLogCapture capture;
  if (!p.SerializeToString(&bytes) || !capture.detail().empty())
    failed(path, ": cannot serialize the model",
           capture.detail().empty() ? "" : " (" + capture.detail() + ")");
  return bytes;
}

std::string serializeProtoText(const Model &m, const std::string &path) {
  proto::Model p = toProto(m);
  pb::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  std::string text = "# proto-file: proto/adjoint.proto\n"
                     "# proto-message: adjoint.proto.Model\n";
  std::string body;
  if (!printer.PrintToString(p, &body))
    failed(path, ": cannot print the model as protobuf text format");
  return text + body;
}

} // namespace

ModelFormat modelFormatOf(const std::string &path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".pb")
    return ModelFormat::Binary;
  if (ext == ".pbtxt")
    return ModelFormat::ProtoText;
  if (ext == ".adj")
    return ModelFormat::TextIR;
  badInput(path, ": ",
           ext.empty() ? std::string("no file extension")
                       : "unknown file extension '" + ext + "'",
           " (a model file ends in .pb, .pbtxt or .adj)");
}

void checkModelOutput(const std::string &path, const std::string &what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    badInput(what, " ", path, ": is a directory, not a file");
  if (std::filesystem::path(path).extension() == ".onnx")
    badInput(what, " ", path,
             ": Adjoint reads ONNX files but does not write them; write "
             ".pb, .pbtxt or .adj");
  try {
    modelFormatOf(path);
  } catch (const Error &e) {
    badInput(what, " ", e.what());
  }
  checkWritableFile(path, what);
}

namespace {
std::map<std::string, ModelLoader> &modelLoaders() {
  static std::map<std::string, ModelLoader> loaders;
  return loaders;
}
} // namespace

void registerModelLoader(const std::string &extension, ModelLoader loader) {
  modelLoaders()[extension] = loader;
}

Model loadModel(const std::string &path) {
  auto &loaders = modelLoaders();
  auto it = loaders.find(std::filesystem::path(path).extension().string());
  if (it != loaders.end()) {
    Model m = it->second(path);
    verifyModel(m);
    return m;
  }
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext != ".pb" && ext != ".pbtxt" && ext != ".adj") {
    std::string accepted = ".pb, .pbtxt";
    for (const auto &[known, loader] : loaders)
      accepted += ", " + known;
    badInput(path, ": ",
             ext.empty() ? std::string("no file extension")
                         : "unknown file extension '" + ext + "'",
             " (a model file ends in ", accepted, " or .adj)");
  }
  switch (modelFormatOf(path)) {
  case ModelFormat::Binary:
    return loadBinary(path);
  case ModelFormat::ProtoText:
    return loadProtoText(path);
  case ModelFormat::TextIR:
    return parseModel(readFile(path), path);
  }
  __builtin_unreachable();
}

void saveModel(const Model &m, const std::string &path) {
  ModelFormat format = modelFormatOf(path);
  withContext(path + ": cannot save an invalid model", [&] { verifyModel(m); });
  std::string contents;
  switch (format) {
  case ModelFormat::Binary:
    contents = serializeBinary(m, path);
    break;
  case ModelFormat::ProtoText:
    contents = serializeProtoText(m, path);
    break;
  case ModelFormat::TextIR:
    contents = printModel(m);
    break;
  }
  writeFileAtomically(path, contents);
}

} // namespace adjoint
