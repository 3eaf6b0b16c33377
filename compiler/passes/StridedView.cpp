//===- StridedView.cpp - Where a chain of views puts each element --------===//
#include "compiler/passes/StridedView.h"

#include "ir/ShapeInference.h"

namespace adjoint {

StridedView contiguousView(const Shape &shape) {
  StridedView view;
  view.axes.resize(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1)
      view.axes[d] = {{shape[d], stride}};
    stride *= shape[d];
  }
  return view;
}

std::vector<Mode> coalesce(const std::vector<Mode> &modes) {
  std::vector<Mode> out;
  for (const Mode &m : modes) {
    if (m.extent == 1)
      continue;
    if (!out.empty() && out.back().stride == m.extent * m.stride) {
      out.back() = {out.back().extent * m.extent, m.stride};
      continue;
    }
    out.push_back(m);
  }
  return out;
}

bool isViewOp(OpKind op) {
  return op == OpKind::Transpose || op == OpKind::Reshape ||
         op == OpKind::Slice;
}

namespace {

/// The modes of all axes, outermost first, regrouped into axes of `shape`:
/// a mode is split where an axis boundary falls inside it, which needs the
/// boundary to divide it.
std::optional<StridedView> reshapeView(const StridedView &view,
                                       const Shape &shape) {
  std::vector<Mode> all;
  for (const auto &axis : view.axes)
    all.insert(all.end(), axis.begin(), axis.end());
  all = coalesce(all);
  StridedView out{view.offset, {}};
  size_t next = 0;
  for (int64_t extent : shape) {
    std::vector<Mode> axis;
    for (int64_t left = extent; left != 1;) {
      if (next == all.size())
        return std::nullopt;
      Mode &m = all[next];
      if (left % m.extent == 0) { // the whole mode is inside the axis
        axis.push_back(m);
        left /= m.extent;
        ++next;
      } else if (m.extent % left == 0) { // the axis ends inside the mode
        axis.push_back({left, m.stride * (m.extent / left)});
        m.extent /= left;
        left = 1;
      } else {
        return std::nullopt;
      }
    }
    out.axes.push_back(std::move(axis));
  }
  if (next != all.size())
    return std::nullopt;
  return out;
}

std::optional<StridedView> sliceView(const StridedView &view, const Node &n) {
  const Shape &in = n.operand(0)->type().shape;
  const Shape &out = n.result()->type().shape;
  SliceDims dims = normalizeSlice(n.attr(), in);
  StridedView sliced = view;
  for (size_t d = 0; d < in.size(); ++d) {
    if (out[d] == in[d] && dims.step[d] == 1)
      continue;
    if (dims.step[d] < 1)
      return std::nullopt;
    std::vector<Mode> axis = coalesce(view.axes[d]);
    if (out[d] == 0 || axis.size() > 1)
      return std::nullopt;
    Mode m = axis.empty() ? Mode{1, 0} : axis.front();
    sliced.offset += dims.start[d] * m.stride;
    sliced.axes[d].clear();
    if (out[d] != 1)
      sliced.axes[d] = {{out[d], m.stride * dims.step[d]}};
  }
  return sliced;
}

} // namespace

std::optional<StridedView> applyView(const StridedView &view, const Node &n) {
  switch (n.op()) {
  case OpKind::Transpose: {
    std::vector<int64_t> perm = transposePerm(n.attr(), view.axes.size());
    StridedView out{view.offset, {}};
    for (int64_t p : perm)
      out.axes.push_back(view.axes[p]);
    return out;
  }
  case OpKind::Reshape:
    return reshapeView(view, n.result()->type().shape);
  case OpKind::Slice:
    return sliceView(view, n);
  default:
    return std::nullopt;
  }
}

} // namespace adjoint
