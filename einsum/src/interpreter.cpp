// The interpreter's driver: checks the inputs, allocates every tensor (defaults, init
// slices), walks the evaluation order (graph.hpp) and runs each Einsum, or each step of an
// iterative group, on the right engine. Also the deterministic input generator.
#include "einfuse/einsum/interpreter.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "einfuse/einsum/graph.hpp"
#include "interpreter_internal.hpp"

namespace einfuse::einsum {

using detail::uidx;

DType effective_storage(const Tensor& t, const RunOptions& options) {
  if (options.precision && !is_integer(t.dtype)) return *options.precision;
  return t.dtype;
}

DType effective_acc(const Tensor& t, const RunOptions& options) {
  if (options.precision && !is_integer(t.dtype)) {
    return *options.precision == DType::fp64 ? DType::fp64 : DType::fp32;
  }
  return t.acc;
}

std::vector<std::int64_t> tensor_extents(const Cascade& c, const BoundShape& shape, TensorId t) {
  std::vector<std::int64_t> ext;
  for (std::size_t s = 0; s < c.tensors[uidx(t)].ranks.size(); ++s) ext.push_back(shape.slot_extent(c, t, s));
  return ext;
}

namespace {

// --- deterministic normal numbers -------------------------------------------------------
// splitmix64 for the bits; log and sin/cos from fixed series in plain double arithmetic
// (no libm, no FMA contraction: the build uses -ffp-contract=off), so every IEEE-754
// platform draws the same values.

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1]: 53 random bits, exact.
  double uniform() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
};

// log(u) for u in (0, 1]: u = m 2^k with m in [sqrt(1/2), sqrt(2)), log m by the atanh
// series (|s| <= 0.172, so 12 terms reach double precision).
double series_log(double u) {
  int k = 0;
  double m = std::frexp(u, &k);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752) {
    m *= 2.0;
    --k;
  }
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double sum = 0.0;
  for (int n = 23; n >= 1; n -= 2) sum = sum * s2 + 1.0 / n;
  return 2.0 * s * sum + k * 0.69314718055994531;
}

// sin and cos of 2 pi t for t in (0, 1]: the quadrant is split off exactly (4t is exact),
// the rest x in [0, pi/2) goes through Taylor series to degree 25 / 24.
void series_sincos_turns(double t, double& sin_out, double& cos_out) {
  const double q4 = 4.0 * t;
  const double quadrant = std::floor(q4);
  const double x = (q4 - quadrant) * 1.5707963267948966;
  const double x2 = x * x;
  // Horner form, innermost term first: sin x = x (1 - x2/(2*3) (1 - x2/(4*5) (...))) and
  // cos x = 1 - x2/(1*2) (1 - x2/(3*4) (...)).
  double sterm = 1.0, cterm = 1.0;
  for (int n = 24; n >= 2; n -= 2) {
    sterm = 1.0 - x2 / (n * (n + 1.0)) * sterm;
    cterm = 1.0 - x2 / ((n - 1.0) * n) * cterm;
  }
  const double s = x * sterm, c = cterm;
  switch (static_cast<int>(quadrant) & 3) {
    case 0: sin_out = s; cos_out = c; break;
    case 1: sin_out = c; cos_out = -s; break;
    case 2: sin_out = -s; cos_out = -c; break;
    default: sin_out = -c; cos_out = s; break;
  }
}

}  // namespace

TensorMap random_inputs(const Cascade& c, const BoundShape& shape, std::uint64_t seed, const RunOptions& options) {
  SplitMix64 rng{seed};
  TensorMap out;
  for (TensorId t : c.inputs()) {
    const Tensor& tensor = c.tensors[uidx(t)];
    DenseTensor d(tensor_extents(c, shape, t));
    if (is_integer(tensor.dtype)) {
      const auto bound = static_cast<std::uint64_t>(d.extents.empty() ? 1 : d.extents.back());
      for (double& x : d.data) x = static_cast<double>(rng.next() % bound);
    } else {
      for (std::size_t i = 0; i < d.data.size(); i += 2) {
        const double radius = std::sqrt(-2.0 * series_log(rng.uniform()));  // sqrt is exact IEEE
        double s = 0.0, co = 0.0;
        series_sincos_turns(rng.uniform(), s, co);
        d.data[i] = radius * co;
        if (i + 1 < d.data.size()) d.data[i + 1] = radius * s;
      }
      if (options.numerics != Numerics::fp64) detail::round_array(effective_storage(tensor, options), d.data);
    }
    out.emplace(tensor.name, std::move(d));
  }
  return out;
}

TensorMap interpret(const Cascade& c, const BoundShape& shape, const TensorMap& inputs, const RunOptions& options) {
  detail::Execution x(c, shape, options);
  x.allocate(inputs);
  for (const auto& group : evaluation_order(c)) x.run_group(group);
  return x.results(options.keep_intermediates);
}

namespace {

// The ranges interpret() runs Einsum `id` over: the whole shape, except that members of an
// iterative group run one step at a time (the step variable fixed).
std::vector<detail::VarRange> whole_run_ranges(const Cascade& c, const BoundShape& shape, EinsumId id) {
  std::vector<detail::VarRange> ranges(c.ranks.size());
  for (std::size_t v = 0; v < ranges.size(); ++v) ranges[v] = {0, shape.rank_extent[v]};
  for (const auto& group : evaluation_order(c)) {
    if (std::find(group.begin(), group.end(), id) == group.end()) continue;
    for (EinsumId m : group) {
      const RankId step = c.einsums[uidx(m)].step_var;
      if (step >= 0) ranges[uidx(step)] = {0, 1};
    }
  }
  return ranges;
}

}  // namespace

bool contraction_fast_path_applies(const Cascade& c, const BoundShape& shape, EinsumId id) {
  return detail::contraction_applies(c, shape, c.einsums[uidx(id)], whole_run_ranges(c, shape, id));
}

bool hardware_fast_path_applies(const Cascade& c, const BoundShape& shape, EinsumId id) {
  const Einsum& e = c.einsums[uidx(id)];
  const bool populate = e.populate != Einsum::Populate::none;
  if (is_integer(c.tensors[uidx(e.output)].dtype) && !populate) return false;  // exact integer arithmetic
  // The job run_dense_job is given: the Einsum's, or a populate Einsum's scores over its
  // other left-side variables and the candidates.
  detail::DenseJob job;
  for (RankId v : e.lhs_vars)
    if (!populate || v != e.target_var) job.out_vars.push_back(v);
  if (populate) job.out_vars.push_back(e.source_var);
  job.outer_vars = e.outer_vars;
  job.inner_vars = e.inner_vars;
  job.outer_op = e.outer_op;
  job.body = e.body;
  job.where = e.where;
  detail::EinsumNumerics num;
  num.mode = Numerics::hardware;
  return detail::mac_path_lanes(c, e.output, num, job, whole_run_ranges(c, shape, id)) > 0;
}

}  // namespace einfuse::einsum
