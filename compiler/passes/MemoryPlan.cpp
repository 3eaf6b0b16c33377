//===- MemoryPlan.cpp - One arena for every intermediate of a graph -------===//
//
// Live ranges come from the group order of the fusion plan. In-place pairs
// are chained first: a value that overwrites a dying input joins that
// input's buffer, and each chain becomes one block whose live range is the
// union of its members'. Blocks are then placed by best fit, as TFLite's
// arena planner does: each block, in some order, takes the smallest gap
// between the blocks already placed whose lives overlap its own, or goes
// above them all. As XLA's heap simulator does, several orders are tried
// (largest first, earliest first, longest-lived first) and the smallest
// arena wins.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/MemoryPlan.h"

#include "ir/Error.h"
#include "ir/Specialize.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <numeric>
#include <sstream>
#include <unordered_set>

namespace adjoint {

namespace {

int64_t alignUp(int64_t n) {
  return (n + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

/// Whether `v` is a node result computed at run time (not a constant).
bool isComputed(const Value *v) {
  const Node *def = v->definingNode();
  return v->kind() == ValueKind::NodeResult && def &&
         def->op() != OpKind::Constant;
}

/// Every value that needs a buffer, in definition order, with its size and
/// live range; no offsets, no reuse.
std::vector<BufferAssignment>
liveRanges(const Graph &g, const FusionPlan &plan,
           const std::unordered_set<const Value *> &pinned,
           const std::function<int64_t(const Value *)> &sizeOf = nullptr) {
  std::vector<BufferAssignment> buffers;
  std::unordered_map<const Value *, int> index;
  int lastGroup = (int)plan.groups.size() - 1;
  for (int i = 0; i <= lastGroup; ++i)
    for (const Value *v : plan.groups[i].outputs) {
      if (!isComputed(v) || pinned.count(v))
        continue;
      if (!index.emplace(v, (int)buffers.size()).second)
        internalError("memory plan: %", v->name(), " is written by groups ",
                      buffers[index.at(v)].first, " and ", i);
      BufferAssignment b;
      b.value = v;
      b.size = sizeOf ? sizeOf(v) : v->type().byteSize();
      b.first = b.last = i;
      buffers.push_back(b);
    }
  for (int i = 0; i <= lastGroup; ++i)
    for (const Value *v : plan.groups[i].inputs)
      if (auto it = index.find(v); it != index.end())
        buffers[it->second].last = std::max(buffers[it->second].last, i);
  for (const Output &o : g.outputs())
    if (auto it = index.find(o.value); it != index.end())
      buffers[it->second].last = lastGroup;
  return buffers;
}

bool contains(const std::vector<const Value *> &values, const Value *v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool isInPlaceCandidate(const FusionGroup &group, const Value *out,
                        const Value *in) {
  return std::find(group.inPlaceCandidates.begin(),
                   group.inPlaceCandidates.end(),
                   std::make_pair(out, in)) != group.inPlaceCandidates.end();
}

/// A run of buffers that share bytes: a value and those written in place
/// over it, one after the other.
struct Block {
  int64_t size = 0; ///< aligned
  int first = 0, last = 0;
  int64_t offset = 0;
};

bool livesOverlap(int aFirst, int aLast, int bFirst, int bLast) {
  return aFirst <= bLast && bFirst <= aLast;
}

/// Places `blocks` in `order` by best fit; returns the arena size.
int64_t placeBestFit(std::vector<Block> &blocks,
                     const std::vector<int> &order) {
  std::vector<int> placed;
  int64_t arena = 0;
  std::vector<const Block *> live;
  for (int idx : order) {
    Block &b = blocks[idx];
    live.clear();
    for (int p : placed)
      if (blocks[p].size > 0 &&
          livesOverlap(b.first, b.last, blocks[p].first, blocks[p].last))
        live.push_back(&blocks[p]);
    std::sort(live.begin(), live.end(), [](const Block *x, const Block *y) {
      return x->offset < y->offset;
    });
    int64_t best = -1, bestGap = std::numeric_limits<int64_t>::max();
    int64_t end = 0; // the top of the live blocks below the current one
    for (const Block *p : live) {
      int64_t gap = p->offset - end;
      if (gap >= b.size && gap < bestGap) {
        best = end;
        bestGap = gap;
      }
      end = std::max(end, p->offset + p->size);
    }
    b.offset = best >= 0 ? best : end;
    arena = std::max(arena, b.offset + b.size);
    placed.push_back(idx);
  }
  return arena;
}

std::string rangeStr(const BufferAssignment &b) {
  return "[" + std::to_string(b.first) + ", " + std::to_string(b.last) + "]";
}

std::string describe(const BufferAssignment &b) {
  return "%" + b.value->name() + " (offset " + std::to_string(b.offset) + ", " +
         std::to_string(b.size) + " bytes, groups " + rangeStr(b) + ")";
}

} // namespace

MemoryPlan planMemory(const Graph &g, const FusionPlan &plan,
                      const std::vector<const Value *> &pinned) {
  return planMemory(g, plan, pinned, nullptr);
}

MemoryPlan planMemory(const Graph &g, const FusionPlan &plan,
                      const std::vector<const Value *> &pinned,
                      const std::function<int64_t(const Value *)> &sizeOf) {
  requireStatic(g, "memory planning");
  MemoryPlan mem;
  mem.pinned = pinned;
  std::unordered_set<const Value *> pinnedSet(pinned.begin(), pinned.end());
  mem.buffers = liveRanges(g, plan, pinnedSet, sizeOf);
  for (size_t i = 0; i < mem.buffers.size(); ++i)
    mem.indexOf[mem.buffers[i].value] = (int)i;
  std::unordered_set<const Value *> graphOutputs;
  for (const Output &o : g.outputs())
    graphOutputs.insert(o.value);

  // In-place chains: blockOf[i] is the block of buffer i.
  std::vector<int> blockOf(mem.buffers.size(), -1);
  std::vector<Block> blocks;
  std::unordered_set<const Value *> donated;
  for (size_t i = 0; i < mem.buffers.size(); ++i) {
    BufferAssignment &b = mem.buffers[i];
    const FusionGroup &group = plan.groups[b.first];
    for (const auto &[out, in] : group.inPlaceCandidates) {
      if (out != b.value)
        continue;
      auto it = mem.indexOf.find(in);
      if (it == mem.indexOf.end())
        continue;
      const BufferAssignment &donor = mem.buffers[it->second];
      if (donor.last != b.first || donor.size != b.size ||
          graphOutputs.count(in) || donated.count(in) ||
          !contains(group.inputs, in))
        continue;
      donated.insert(in);
      b.reuses = in;
      blockOf[i] = blockOf[it->second];
      Block &block = blocks[blockOf[i]];
      block.last = std::max(block.last, b.last);
      break;
    }
    if (blockOf[i] < 0) {
      blockOf[i] = (int)blocks.size();
      blocks.push_back({alignUp(b.size), b.first, b.last, 0});
    }
    mem.totalBytes += alignUp(b.size);
  }

  {
    std::unordered_set<const Value *> outputs;
    for (const Output &o : g.outputs())
      outputs.insert(o.value);
    for (const auto &node : g.nodes())
      if (node->op() != OpKind::Constant && !outputs.count(node->result()))
        mem.graphIntermediateBytes +=
            alignUp((int64_t)node->result()->type().byteSize());
  }

  // Offsets: the best of several orders.
  std::vector<int> bySize(blocks.size());
  std::iota(bySize.begin(), bySize.end(), 0);
  auto sortedBy = [&](auto less) {
    std::vector<int> order = bySize;
    // Ties go to the block defined first.
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      if (less(blocks[a], blocks[b]) || less(blocks[b], blocks[a]))
        return less(blocks[a], blocks[b]);
      return a < b;
    });
    return order;
  };
  std::vector<std::vector<int>> orders = {
      sortedBy([](const Block &a, const Block &b) {
        return a.size != b.size ? a.size > b.size : a.first < b.first;
      }),
      sortedBy([](const Block &a, const Block &b) {
        return a.first != b.first ? a.first < b.first : a.size > b.size;
      }),
      sortedBy([](const Block &a, const Block &b) {
        int la = a.last - a.first, lb = b.last - b.first;
        return la != lb ? la > lb : a.size > b.size;
      }),
  };
  std::vector<Block> best;
  mem.arenaBytes = std::numeric_limits<int64_t>::max();
  for (const std::vector<int> &order : orders) {
    std::vector<Block> trial = blocks;
    int64_t arena = placeBestFit(trial, order);
    if (arena < mem.arenaBytes) {
      mem.arenaBytes = arena;
      best = std::move(trial);
    }
  }
  for (size_t i = 0; i < mem.buffers.size(); ++i)
    mem.buffers[i].offset = best[blockOf[i]].offset;
  return mem;
}

void checkMemoryPlan(const Graph &g, const FusionPlan &plan,
                     const MemoryPlan &mem) {
  std::unordered_set<const Value *> pinned(mem.pinned.begin(),
                                           mem.pinned.end());
  std::vector<BufferAssignment> expected = liveRanges(g, plan, pinned);
  for (const BufferAssignment &want : expected) {
    auto it = mem.indexOf.find(want.value);
    if (it == mem.indexOf.end() || it->second < 0 ||
        it->second >= (int)mem.buffers.size() ||
        mem.buffers[it->second].value != want.value)
      internalError("memory plan: %", want.value->name(), " (",
                    typeStr(want.value->type()), ", written by group ",
                    want.first, ") has no buffer");
    const BufferAssignment &b = mem.buffers[it->second];
    if (b.size != want.size)
      internalError("memory plan: ", describe(b), " holds ",
                    typeStr(b.value->type()), " of ", want.size, " bytes");
    if (b.first != want.first || b.last != want.last)
      internalError("memory plan: ", describe(b), " lives over groups ",
                    rangeStr(want));
  }
  if (mem.buffers.size() != expected.size() ||
      mem.indexOf.size() != expected.size())
    internalError("memory plan: ", mem.buffers.size(), " buffers for ",
                  expected.size(), " materialized intermediates");

  for (const BufferAssignment &b : mem.buffers) {
    if (b.offset % kBufferAlignment != 0)
      internalError("memory plan: ", describe(b), " is not aligned to ",
                    kBufferAlignment, " bytes");
    if (b.offset < 0 || b.offset + b.size > mem.arenaBytes)
      internalError("memory plan: ", describe(b), " is outside the arena of ",
                    mem.arenaBytes, " bytes");
    if (!b.reuses)
      continue;
    auto it = mem.indexOf.find(b.reuses);
    if (it == mem.indexOf.end())
      internalError("memory plan: ", describe(b), " reuses %", b.reuses->name(),
                    ", which has no buffer");
    const BufferAssignment &donor = mem.buffers[it->second];
    if (!isInPlaceCandidate(plan.groups[b.first], b.value, donor.value) ||
        !contains(plan.groups[b.first].inputs, donor.value))
      internalError("memory plan: ", describe(b), " reuses ", describe(donor),
                    " but group ", b.first, " lists no such in-place pair");
    if (donor.last != b.first || donor.offset != b.offset ||
        donor.size != b.size)
      internalError("memory plan: ", describe(b), " reuses ", describe(donor),
                    ", which does not die where it starts at the same place");
  }

  // Pairs alive at once must not share bytes, except an in-place pair at
  // the group where the one dies and the other is written. Sorted by
  // offset, each buffer is compared with those that start below its end.
  std::vector<const BufferAssignment *> byOffset;
  for (const BufferAssignment &b : mem.buffers)
    if (b.size > 0)
      byOffset.push_back(&b);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const BufferAssignment *a, const BufferAssignment *b) {
              return a->offset < b->offset;
            });
  auto inPlacePair = [](const BufferAssignment &a, const BufferAssignment &b) {
    return (b.reuses == a.value && a.last == b.first) ||
           (a.reuses == b.value && b.last == a.first);
  };
  for (size_t i = 0; i < byOffset.size(); ++i) {
    const BufferAssignment &a = *byOffset[i];
    for (size_t j = i + 1;
         j < byOffset.size() && byOffset[j]->offset < a.offset + a.size; ++j) {
      const BufferAssignment &b = *byOffset[j];
      if (livesOverlap(a.first, a.last, b.first, b.last) && !inPlacePair(a, b))
        internalError("memory plan: ", describe(a), " and ", describe(b),
                      " share bytes while both are live");
    }
  }
}

std::string printMemoryPlan(const MemoryPlan &mem) {
  std::vector<std::vector<std::string>> rows = {
      {"value", "type", "offset", "bytes", "live", "reuses"}};
  for (const BufferAssignment &b : mem.buffers)
    rows.push_back({"%" + b.value->name(), typeStr(b.value->type()),
                    std::to_string(b.offset), std::to_string(b.size),
                    rangeStr(b), b.reuses ? "%" + b.reuses->name() : ""});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto &row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  std::ostringstream os;
  for (const auto &row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      // Names and types left-aligned, numbers right-aligned.
      bool right = c == 2 || c == 3;
      std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (right ? pad + row[c] : row[c] + pad);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    os << line << "\n";
  }
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f",
                mem.totalBytes ? (double)mem.arenaBytes / mem.totalBytes : 0.0);
  os << "arena " << mem.arenaBytes << " bytes for " << mem.totalBytes
     << " bytes of intermediates (ratio " << ratio << ")\n";
  std::snprintf(ratio, sizeof ratio, "%.2f",
                mem.graphIntermediateBytes
                    ? (double)mem.arenaBytes / mem.graphIntermediateBytes
                    : 0.0);
  os << "the graph's intermediates, fused or not, sum to "
     << mem.graphIntermediateBytes << " bytes (ratio " << ratio << ")\n";
  return os.str();
}

} // namespace adjoint
