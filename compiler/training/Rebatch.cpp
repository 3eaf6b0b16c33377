//===- Rebatch.cpp - A model at another batch size ------------------------===//
//
// Re-batching sets the batch symbol (specialize()); a static batch is made a
// symbol first (generalizeBatch(), ir/Specialize.h), so that no rule here
// follows the batch through the ops: symbolic shape inference does.
//
//===----------------------------------------------------------------------===//
#include "compiler/training/Rebatch.h"

#include "ir/Error.h"
#include "ir/Specialize.h"

namespace adjoint {

Graph rebatch(const Graph &g, const std::string &features, int64_t batch) {
  const Value *f = g.findValue(features);
  if (!f || f->kind() != ValueKind::Input || f->type().rank() == 0)
    badInput("model ", g.name(), " has no input %", features,
             " of rank >= 1 to take the batch from");
  int64_t b = f->type().shape[0];
  if (batch <= 0 || (isSymbolic(b) && batch % dimCoefficient(b) != 0))
    badInput("the batch of model ", g.name(), " is ", dimStr(b),
             ": it cannot be ", batch);
  if (isSymbolic(b))
    return specialize(g, {{dimSymbol(b), batch / dimCoefficient(b)}});
  SymbolId symbol = internSymbol("batch");
  return withContext(
      strCat("model ", g.name(), " cannot be re-batched to ", batch), [&] {
        return specialize(generalizeBatch(g, features, symbol),
                          {{symbol, batch}});
      });
}

std::string batchInput(const Model &m) {
  std::string name = m.training && !m.training->features.empty()
                         ? m.training->features
                     : m.graph.inputs().empty() ? ""
                                                : m.graph.inputs()[0]->name();
  const Value *v = name.empty() ? nullptr : m.graph.findValue(name);
  if (!v || v->kind() != ValueKind::Input || v->type().rank() == 0)
    badInput("model ", m.graph.name(),
             " has no input with a batch dimension "
             "(a features input of rank >= 1)");
  return name;
}

Model rebatch(const Model &m, int64_t batch) {
  Model out{rebatch(m.graph, batchInput(m), batch), m.training};
  if (out.training && out.training->batchSize != 0)
    out.training->batchSize = batch;
  return out;
}

} // namespace adjoint
