// Direct references for the attention cascades in workloads/attention: softmax attention
// computed the textbook way (scores, softmax over the visible keys, weighted sum of V) per
// (batch, head), independent of any cascade, for the interpreter and later levels to be
// compared against.
//
// Tensor layout: flat, row-major, in the cascade's slot order with the batch ranks first.
//   Q   [B][H][E][P]     (Q[e,p] with batch B, H;  gqa_1pass: Q[h,e,p] with batch B)
//   K   [B][G][E][M]     (K[e,m];  gqa_1pass: K[g,e,m])
//   V   [B][G][F][M]     (V[f,m];  gqa_1pass: V[g,f,m])
//   out [B][H][F][P]     (AV[f,p]; gqa_1pass: AV[h,f,p])
// G = H for every cascade but gqa_1pass, so the interpreter's input and output buffers can
// be passed as they are. Query head h reads KV head h / (H / G) (consecutive query heads
// share a KV head). The 1/sqrt(E) scale is not applied, as in the cascades.
//
// Masks say which keys a query sees; the masks of the cascades are provided (bottom-right
// aligned: query p sits at key position p + (M - P)). A query that sees no key outputs 0.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum::reference {

/// Sizes of one attention problem. kv_heads = heads unless the model groups its KV heads.
struct AttentionDims {
  std::int64_t batch = 1;     ///< B
  std::int64_t heads = 1;     ///< H: query heads
  std::int64_t kv_heads = 1;  ///< G: key/value heads; must divide H
  std::int64_t e = 64;        ///< E: query/key head dimension
  std::int64_t f = 64;        ///< F: value head dimension
  std::int64_t p = 1;         ///< P: queries
  std::int64_t m = 1;         ///< M: keys

  std::size_t q_size() const { return count(batch * heads * e * p); }
  std::size_t k_size() const { return count(batch * kv_heads * e * m); }
  std::size_t v_size() const { return count(batch * kv_heads * f * m); }
  std::size_t out_size() const { return count(batch * heads * f * p); }
  /// The KV head that query head h reads.
  std::int64_t kv_head_of(std::int64_t h) const { return h / (heads / kv_heads); }

 private:
  static std::size_t count(std::int64_t n) { return static_cast<std::size_t>(n); }
};

/// mask(p, m): whether query p sees key m. An empty mask lets every query see every key.
using Mask = std::function<bool(std::int64_t p, std::int64_t m)>;

/// Bottom-right causal (causal_1pass.ein): m <= p + (M - P).
inline Mask causal_mask(std::int64_t P, std::int64_t M) {
  return [shift = M - P](std::int64_t p, std::int64_t m) { return m <= p + shift; };
}

/// Causal sliding window of W keys, the query's own position included (window_1pass.ein):
/// m <= p + (M - P) and p + (M - P) - m < W.
inline Mask window_mask(std::int64_t P, std::int64_t M, std::int64_t W) {
  return [shift = M - P, W](std::int64_t p, std::int64_t m) {
    return m <= p + shift && p + shift - m < W;
  };
}

namespace detail {

inline void check_dims(const AttentionDims& d, std::size_t q, std::size_t k, std::size_t v) {
  if (d.batch <= 0 || d.heads <= 0 || d.kv_heads <= 0 || d.e <= 0 || d.f <= 0 || d.p <= 0 || d.m <= 0) {
    throw std::invalid_argument("reference attention: every size must be positive");
  }
  if (d.heads % d.kv_heads != 0) {
    throw std::invalid_argument("reference attention: kv_heads must divide heads");
  }
  if (q != d.q_size() || k != d.k_size() || v != d.v_size()) {
    throw std::invalid_argument("reference attention: Q, K or V has the wrong number of elements (Q " +
                                std::to_string(q) + " vs " + std::to_string(d.q_size()) + ", K " +
                                std::to_string(k) + " vs " + std::to_string(d.k_size()) + ", V " +
                                std::to_string(v) + " vs " + std::to_string(d.v_size()) + ")");
  }
}

inline std::size_t at(std::int64_t i) { return static_cast<std::size_t>(i); }

// Offsets of the (b, h) block of Q/out and of the (b, g) block of K/V.
inline std::int64_t q_block(const AttentionDims& d, std::int64_t b, std::int64_t h) {
  return (b * d.heads + h) * d.e * d.p;
}
inline std::int64_t out_block(const AttentionDims& d, std::int64_t b, std::int64_t h) {
  return (b * d.heads + h) * d.f * d.p;
}
inline std::int64_t k_block(const AttentionDims& d, std::int64_t b, std::int64_t g) {
  return (b * d.kv_heads + g) * d.e * d.m;
}
inline std::int64_t v_block(const AttentionDims& d, std::int64_t b, std::int64_t g) {
  return (b * d.kv_heads + g) * d.f * d.m;
}

}  // namespace detail

/// Softmax attention in fp64: for every (b, h) and query p,
///   S[m] = sum_e Q[e,p] K[e,m] over the visible keys m,
///   A[m] = exp(S[m] - max S) / sum exp(S - max S),   out[f,p] = sum_m A[m] V[f,m];
/// out[., p] = 0 when p sees no key. Uses Eigen products, so its rounding differs from a
/// cascade's (compare with a relative tolerance, e.g. relative_error() <= 1e-12).
inline std::vector<double> attention(const AttentionDims& d, const std::vector<double>& q,
                                     const std::vector<double>& k, const std::vector<double>& v,
                                     const Mask& mask = {}) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ColMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
  detail::check_dims(d, q.size(), k.size(), v.size());
  std::vector<double> out(d.out_size(), 0.0);
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  for (std::int64_t b = 0; b < d.batch; ++b) {
    for (std::int64_t h = 0; h < d.heads; ++h) {
      const std::int64_t g = d.kv_head_of(h);
      Eigen::Map<const RowMajor> Q(q.data() + detail::q_block(d, b, h), d.e, d.p);
      Eigen::Map<const RowMajor> K(k.data() + detail::k_block(d, b, g), d.e, d.m);
      Eigen::Map<const RowMajor> V(v.data() + detail::v_block(d, b, g), d.f, d.m);
      Eigen::Map<RowMajor> O(out.data() + detail::out_block(d, b, h), d.f, d.p);
      ColMajor S = K.transpose() * Q;  // S(m, p)
      for (std::int64_t p = 0; p < d.p; ++p) {
        double row_max = kNegInf;
        for (std::int64_t m = 0; m < d.m; ++m) {
          if (mask && !mask(p, m)) {
            S(m, p) = kNegInf;
          } else {
            row_max = std::max(row_max, S(m, p));
          }
        }
        if (row_max == kNegInf) {  // no visible key: the column of A is 0
          S.col(p).setZero();
          continue;
        }
        double sum = 0.0;
        for (std::int64_t m = 0; m < d.m; ++m) {
          S(m, p) = S(m, p) == kNegInf ? 0.0 : std::exp(S(m, p) - row_max);
          sum += S(m, p);
        }
        S.col(p) /= sum;
      }
      O = V * S;
    }
  }
  return out;
}

/// A rounding function: maps a double to the nearest value of some narrower format.
using Rounding = double (*)(double);
/// The identity rounding (fp64).
inline double exact(double x) { return x; }

/// The same attention computed naively in a target precision, as the FlashAttention test
/// rule wants it ("the naive run in the target precision"): the inputs, the scores S, the
/// probabilities A and the output are stored with `Store` (bf16, fp16, ...); every
/// arithmetic result (each product and running sum of a dot product, the exps, the sum and
/// the division of the softmax) is rounded with `Acc` (fp32, say). Plain loops in a fixed
/// order (e, then m), no Eigen. With Store = Acc = exact it is the fp64 reference again,
/// up to summation order.
template <Rounding Store, Rounding Acc = exact>
std::vector<double> attention_in_precision(const AttentionDims& d, const std::vector<double>& q,
                                           const std::vector<double>& k, const std::vector<double>& v,
                                           const Mask& mask = {}) {
  detail::check_dims(d, q.size(), k.size(), v.size());
  using detail::at;
  std::vector<double> out(d.out_size(), 0.0);
  std::vector<double> scores(at(d.m));
  std::vector<char> visible(at(d.m));
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  for (std::int64_t b = 0; b < d.batch; ++b) {
    for (std::int64_t h = 0; h < d.heads; ++h) {
      const std::int64_t g = d.kv_head_of(h);
      const std::int64_t qo = detail::q_block(d, b, h), ko = detail::k_block(d, b, g);
      const std::int64_t vo = detail::v_block(d, b, g), oo = detail::out_block(d, b, h);
      for (std::int64_t p = 0; p < d.p; ++p) {
        double row_max = kNegInf;
        for (std::int64_t m = 0; m < d.m; ++m) {
          visible[at(m)] = !mask || mask(p, m);
          if (!visible[at(m)]) continue;
          double s = 0.0;
          for (std::int64_t e = 0; e < d.e; ++e) {
            s = Acc(s + Acc(Store(q[at(qo + e * d.p + p)]) * Store(k[at(ko + e * d.m + m)])));
          }
          scores[at(m)] = Store(s);
          row_max = std::max(row_max, scores[at(m)]);
        }
        if (row_max == kNegInf) continue;  // no visible key: output stays 0
        double sum = 0.0;
        for (std::int64_t m = 0; m < d.m; ++m) {
          if (!visible[at(m)]) continue;
          scores[at(m)] = Acc(std::exp(Acc(scores[at(m)] - row_max)));
          sum = Acc(sum + scores[at(m)]);
        }
        for (std::int64_t m = 0; m < d.m; ++m) {
          if (visible[at(m)]) scores[at(m)] = Store(Acc(scores[at(m)] / sum));
        }
        for (std::int64_t f = 0; f < d.f; ++f) {
          double acc = 0.0;
          for (std::int64_t m = 0; m < d.m; ++m) {
            if (!visible[at(m)]) continue;
            acc = Acc(acc + Acc(scores[at(m)] * Store(v[at(vo + f * d.m + m)])));
          }
          out[at(oo + f * d.p + p)] = Store(acc);
        }
      }
    }
  }
  return out;
}

/// The result of top-k chunk-selection attention.
struct TopkAttention {
  std::vector<double> out;             ///< [B][H][F][P], as attention()
  std::vector<std::int64_t> selected;  ///< [B][H][J][P]: the chunks each query kept (Sel[j,p])
};

/// Top-k chunk-selection attention, done directly (topk_landmark.ein): keys are cut into
/// C = M / chunk chunks of `chunk` keys; chunk c is summarised by the mean of its keys,
/// Kc[e,c] = (sum_t K[e, c*chunk+t]) / chunk (summed in t order, then divided, as the
/// cascade's KS and Kc do, so both sides score chunks with the same roundings); each
/// query scores every chunk, CS[c] = sum_e Q[e,p] Kc[e,c] (in e order), keeps
/// the `keep` best ordered by (score descending, index ascending), and runs softmax
/// attention over the keep*chunk keys of those chunks only.
/// With `selection` ([B][H][J][P], e.g. the interpreter's Sel) the chunks are taken from it
/// instead, so outputs can be compared on the same selection even where near-ties made
/// the two sides pick differently; `selected` then echoes it.
inline TopkAttention topk_chunk_attention(const AttentionDims& d, const std::vector<double>& q,
                                          const std::vector<double>& k, const std::vector<double>& v,
                                          std::int64_t chunk, std::int64_t keep,
                                          const std::vector<std::int64_t>* selection = nullptr) {
  detail::check_dims(d, q.size(), k.size(), v.size());
  using detail::at;
  if (chunk <= 0 || d.m % chunk != 0) {
    throw std::invalid_argument("topk_chunk_attention: M must be a positive multiple of the chunk length");
  }
  const std::int64_t C = d.m / chunk;
  if (keep <= 0 || keep > C) throw std::invalid_argument("topk_chunk_attention: need 1 <= keep <= M / chunk");
  const std::size_t sel_size = at(d.batch * d.heads * keep * d.p);
  if (selection && selection->size() != sel_size) {
    throw std::invalid_argument("topk_chunk_attention: selection must have B*H*J*P elements");
  }
  TopkAttention result;
  result.out.assign(d.out_size(), 0.0);
  result.selected.assign(sel_size, 0);
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  const auto divisor = static_cast<double>(chunk);
  std::vector<double> means(at(d.e * C));
  std::vector<double> chunk_score(at(C));
  std::vector<std::int64_t> order(at(C));
  std::vector<double> weights(at(keep * chunk));
  for (std::int64_t b = 0; b < d.batch; ++b) {
    for (std::int64_t h = 0; h < d.heads; ++h) {
      const std::int64_t g = d.kv_head_of(h);
      const std::int64_t qo = detail::q_block(d, b, h), ko = detail::k_block(d, b, g);
      const std::int64_t vo = detail::v_block(d, b, g), oo = detail::out_block(d, b, h);
      const std::int64_t so = (b * d.heads + h) * keep * d.p;
      for (std::int64_t e = 0; e < d.e; ++e) {
        for (std::int64_t c = 0; c < C; ++c) {
          double s = 0.0;
          for (std::int64_t t = 0; t < chunk; ++t) s += k[at(ko + e * d.m + c * chunk + t)];
          means[at(e * C + c)] = s / divisor;
        }
      }
      for (std::int64_t p = 0; p < d.p; ++p) {
        if (selection) {
          for (std::int64_t j = 0; j < keep; ++j) {
            const std::int64_t c = (*selection)[at(so + j * d.p + p)];
            if (c < 0 || c >= C) throw std::invalid_argument("topk_chunk_attention: selected chunk out of range");
            order[at(j)] = c;
          }
        } else {
          for (std::int64_t c = 0; c < C; ++c) {
            double s = 0.0;
            for (std::int64_t e = 0; e < d.e; ++e) s += q[at(qo + e * d.p + p)] * means[at(e * C + c)];
            chunk_score[at(c)] = s;
          }
          std::iota(order.begin(), order.end(), std::int64_t{0});
          std::stable_sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
            return chunk_score[at(x)] > chunk_score[at(y)];  // stable: ties keep index order
          });
        }
        for (std::int64_t j = 0; j < keep; ++j) result.selected[at(so + j * d.p + p)] = order[at(j)];
        // Softmax over the selected keys, in selection order.
        auto key = [&](std::int64_t i) { return order[at(i / chunk)] * chunk + i % chunk; };
        const std::int64_t n = keep * chunk;
        double row_max = kNegInf;
        for (std::int64_t i = 0; i < n; ++i) {
          double s = 0.0;
          for (std::int64_t e = 0; e < d.e; ++e) s += q[at(qo + e * d.p + p)] * k[at(ko + e * d.m + key(i))];
          weights[at(i)] = s;
          row_max = std::max(row_max, s);
        }
        double sum = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
          weights[at(i)] = std::exp(weights[at(i)] - row_max);
          sum += weights[at(i)];
        }
        for (std::int64_t i = 0; i < n; ++i) weights[at(i)] /= sum;
        for (std::int64_t f = 0; f < d.f; ++f) {
          double acc = 0.0;
          for (std::int64_t i = 0; i < n; ++i) acc += weights[at(i)] * v[at(vo + f * d.m + key(i))];
          result.out[at(oo + f * d.p + p)] = acc;
        }
      }
    }
  }
  return result;
}

/// The sizes of a bound cascade from workloads/attention: ranks B, H, G, E, F, P, M by
/// name; a rank the cascade lacks is 1, and G defaults to H (one KV head per head).
inline AttentionDims dims_of(const Cascade& c, const BoundShape& shape) {
  auto extent = [&](const char* name, std::int64_t fallback) {
    const auto r = c.find_rank(name);
    return r ? shape.extent(*r) : fallback;
  };
  AttentionDims d;
  d.batch = extent("B", 1);
  d.heads = extent("H", 1);
  d.kv_heads = extent("G", d.heads);
  d.e = extent("E", 1);
  d.f = extent("F", 1);
  d.p = extent("P", 1);
  d.m = extent("M", 1);
  return d;
}

/// The direct reference output of a shipped cascade, chosen by the cascade's name, on the
/// cascade's inputs Q, K, V (flat, in the layout above, e.g. DenseTensor::data):
///   softmax_3pass, softmax_2pass, softmax_1pass, gqa_1pass, decode_splitkv -> attention()
///   causal_1pass -> attention() with causal_mask(P, M)
///   window_1pass -> attention() with window_mask(P, M, W)
///   topk_landmark -> topk_chunk_attention() with chunk = extent of T, keep = extent of J
/// Throws std::invalid_argument for any other cascade.
inline std::vector<double> reference_for(const Cascade& c, const BoundShape& shape, const std::vector<double>& q,
                                         const std::vector<double>& k, const std::vector<double>& v) {
  const AttentionDims d = dims_of(c, shape);
  const std::string& name = c.name;
  if (name == "softmax_3pass" || name == "softmax_2pass" || name == "softmax_1pass" || name == "gqa_1pass" ||
      name == "decode_splitkv") {
    return attention(d, q, k, v);
  }
  if (name == "causal_1pass") return attention(d, q, k, v, causal_mask(d.p, d.m));
  if (name == "window_1pass") {
    const auto w = c.find_param("W");
    if (!w) throw std::invalid_argument("reference_for: window_1pass without a parameter W");
    return attention(d, q, k, v, window_mask(d.p, d.m, shape.param_value[static_cast<std::size_t>(*w)]));
  }
  if (name == "topk_landmark") {
    const auto t = c.find_rank("T");
    const auto j = c.find_rank("J");
    if (!t || !j) throw std::invalid_argument("reference_for: topk_landmark without ranks T and J");
    return topk_chunk_attention(d, q, k, v, shape.extent(*t), shape.extent(*j)).out;
  }
  throw std::invalid_argument("reference_for: no direct reference for cascade '" + name + "'");
}

/// The largest absolute difference between two equally sized tensors.
inline double max_abs_error(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) throw std::invalid_argument("max_abs_error: sizes differ");
  double err = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double diff = std::abs(got[i] - want[i]);
    if (std::isnan(diff)) return std::numeric_limits<double>::infinity();
    err = std::max(err, diff);
  }
  return err;
}

/// Norm-wise relative error: max |got - want| / max |want| (max |got - want| when want is
/// all zeros). NaN anywhere gives +inf, so a NaN never passes a tolerance check.
inline double relative_error(const std::vector<double>& got, const std::vector<double>& want) {
  const double err = max_abs_error(got, want);
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  return scale > 0.0 ? err / scale : err;
}

}  // namespace einfuse::einsum::reference
