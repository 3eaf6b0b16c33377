//===- Attention.cpp - The attention kernel -------------------------------===//
//
// The definition written out: for each batch entry and query, the scores
// against every key, their softmax (the largest score subtracted first) and
// the weighted sum of the values, all in double, rounded once at the end.
//
//===----------------------------------------------------------------------===//
#include "ir/interp/Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace adjoint::interp {

Tensor attention(const Tensor &q, const Tensor &k, const Tensor &v,
                 double scale, bool causal, const TensorType &resultType) {
  Tensor out(resultType);
  const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();
  size_t rank = qs.size();
  int64_t queries = qs[rank - 2], keys = ks[rank - 2], depth = qs[rank - 1],
          dv = vs[rank - 1];
  int64_t entries = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    entries *= qs[d];
  std::vector<double> scores(keys);
  for (int64_t e = 0; e < entries; ++e)
    for (int64_t i = 0; i < queries; ++i) {
      int64_t visible = causal ? std::min(keys, i + 1) : keys;
      double most = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < visible; ++j) {
        double dot = 0;
        for (int64_t p = 0; p < depth; ++p)
          dot += q.elementAsDouble((e * queries + i) * depth + p) *
                 k.elementAsDouble((e * keys + j) * depth + p);
        scores[j] = scale * dot;
        most = std::max(most, scores[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < visible; ++j) {
        scores[j] = std::exp(scores[j] - most);
        sum += scores[j];
      }
      for (int64_t c = 0; c < dv; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < visible; ++j)
          acc += scores[j] * v.elementAsDouble((e * keys + j) * dv + c);
        out.setElementFromDouble((e * queries + i) * dv + c, acc / sum);
      }
    }
  return out;
}

} // namespace adjoint::interp
