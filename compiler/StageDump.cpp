//===- StageDump.cpp - Every stage of a compilation, written to a directory
//===//
#include "compiler/StageDump.h"

#include "compiler/Graphviz.h"
#include "compiler/passes/FusionPlan.h"
#include "ir/DotPrinter.h"
#include "ir/Error.h"
#include "ir/FileIO.h"
#include "ir/GraphCopy.h"
#include "ir/TextFormat.h"

#include <cstdio>
#include <filesystem>

namespace adjoint {

namespace {

void writeText(const std::filesystem::path &path, std::string_view text) {
  writeFileAtomically(path.string(), text);
}

/// `index` as two digits at least.
std::string stageNumber(size_t index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02zu", index);
  return buf;
}

} // namespace

StageText captureStage(std::string_view pass, const Graph &g,
                       const FusionPlan *fusion) {
  StageText stage;
  stage.pass = std::string(pass);
  Model m{copyGraph(g), std::nullopt};
  stage.ir = printModel(m);
  if (fusion)
    stage.ir += "\n" + printFusionPlan(*fusion);
  if (!fusion) {
    stage.dot = printDot(g);
    return stage;
  }
  // Groups of more than one node as clusters; each rejected fusion as a
  // note on its consumer.
  DotOptions dot;
  for (size_t i = 0; i < fusion->groups.size(); ++i) {
    const FusionGroup &group = fusion->groups[i];
    if (group.nodes.size() > 1)
      dot.clusters.push_back({"kernel " + std::to_string(i) + " (" +
                                  groupKindName(group.kind) + ")",
                              group.nodes});
  }
  for (const FusionDecision &d : fusion->rejected) {
    std::string &note = dot.notes[d.consumer];
    note += (note.empty() ? "" : "\n") + std::string("not fused with %") +
            d.producer->result()->name() + ": " + d.reason;
  }
  stage.dot = printDot(g, dot);
  return stage;
}

void writeCompileDump(const std::string &dir, const std::string &graphName,
                      const CompileDump &dump) {
  std::filesystem::path root = dir;
  std::error_code ec;
  std::filesystem::create_directories(root / "kernels", ec);
  if (ec)
    failed("cannot create the dump directory ", dir, ": ", ec.message());
  bool haveGraphviz = true;
  for (size_t i = 0; i < dump.stages.size(); ++i) {
    const StageText &stage = dump.stages[i];
    std::string base = stageNumber(i) + "-" + stage.pass;
    writeText(root / (base + ".txt"), stage.ir);
    if (haveGraphviz) {
      try {
        writeText(root / (base + ".svg"), renderSvg(stage.dot));
        continue;
      } catch (const Error &) {
        haveGraphviz = false; // no `dot`: DOT text instead of pictures
      }
    }
    writeText(root / (base + ".dot"), stage.dot);
  }
  if (!dump.memoryPlan.empty())
    writeText(root / "memory-plan.txt", dump.memoryPlan);
  writeText(root / "llvm-before.ll", dump.code.llvmBefore);
  writeText(root / "llvm-after.ll", dump.code.llvmAfter);
  for (const auto &[name, text] : dump.code.kernelsBefore)
    writeText(root / "kernels" / (name + ".before.ll"), text);
  for (const auto &[name, text] : dump.code.kernelsAfter)
    writeText(root / "kernels" / (name + ".after.ll"), text);
  writeText(root / (graphName + ".s"), dump.code.assembly);
}

} // namespace adjoint
