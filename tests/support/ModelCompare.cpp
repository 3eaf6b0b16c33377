//===- ModelCompare.cpp - Structural comparison of models -----------------===//
#include "tests/support/ModelCompare.h"

#include "ir/Error.h"

namespace adjoint::testing {

namespace {

std::string valueDifference(const Value *a, const Value *b,
                            const std::string &what) {
  if (a->name() != b->name())
    return strCat(what, ": %", a->name(), " vs %", b->name());
  if (a->type() != b->type())
    return strCat(what, " %", a->name(), ": ", typeStr(a->type()), " vs ",
                  typeStr(b->type()));
  return "";
}

} // namespace

std::string modelDifference(const Model &a, const Model &b) {
  const Graph &ga = a.graph, &gb = b.graph;
  if (ga.name() != gb.name())
    return strCat("graph name: ", ga.name(), " vs ", gb.name());
  if (ga.inputs().size() != gb.inputs().size())
    return strCat("input count: ", ga.inputs().size(), " vs ",
                  gb.inputs().size());
  for (size_t i = 0; i < ga.inputs().size(); ++i)
    if (std::string d = valueDifference(ga.inputs()[i], gb.inputs()[i],
                                        strCat("input ", i));
        !d.empty())
      return d;
  if (ga.params().size() != gb.params().size())
    return strCat("parameter count: ", ga.params().size(), " vs ",
                  gb.params().size());
  for (size_t i = 0; i < ga.params().size(); ++i) {
    const Param &pa = ga.params()[i], &pb = gb.params()[i];
    if (std::string d =
            valueDifference(pa.value, pb.value, strCat("parameter ", i));
        !d.empty())
      return d;
    if (!pa.data.identical(pb.data))
      return strCat("parameter %", pa.value->name(), ": data differs");
    if (pa.init != pb.init)
      return strCat("parameter %", pa.value->name(), ": recipe differs");
  }
  if (ga.nodes().size() != gb.nodes().size())
    return strCat("node count: ", ga.nodes().size(), " vs ", gb.nodes().size());
  for (size_t i = 0; i < ga.nodes().size(); ++i) {
    const Node &na = *ga.nodes()[i], &nb = *gb.nodes()[i];
    std::string what = strCat("node ", i, " (", na.describe(), ")");
    if (na.op() != nb.op())
      return strCat(what, ": op ", opName(nb.op()));
    if (std::string d = valueDifference(na.result(), nb.result(), what);
        !d.empty())
      return d;
    if (na.operands().size() != nb.operands().size())
      return strCat(what, ": operand count differs");
    for (size_t j = 0; j < na.operands().size(); ++j)
      if (na.operand(j)->name() != nb.operand(j)->name())
        return strCat(what, ": operand ", j, " %", na.operand(j)->name(),
                      " vs %", nb.operand(j)->name());
    if (!(na.attrs() == nb.attrs()))
      return strCat(what, ": attributes differ");
  }
  if (ga.outputs().size() != gb.outputs().size())
    return strCat("output count: ", ga.outputs().size(), " vs ",
                  gb.outputs().size());
  for (size_t i = 0; i < ga.outputs().size(); ++i) {
    const Output &oa = ga.outputs()[i], &ob = gb.outputs()[i];
    if (oa.name != ob.name || oa.value->name() != ob.value->name())
      return strCat("output ", i, ": ", oa.name, " = %", oa.value->name(),
                    " vs ", ob.name, " = %", ob.value->name());
  }
  if (a.training != b.training)
    return "training spec differs";
  return "";
}

} // namespace adjoint::testing
