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

// --- driver -------------------------------------------------------------------------------

std::vector<std::int64_t> squeeze(const std::vector<std::int64_t>& ext) {
  std::vector<std::int64_t> out;
  for (std::int64_t e : ext) {
    if (e != 1) out.push_back(e);
  }
  return out;
}

std::string extents_text(const std::vector<std::int64_t>& ext) {
  std::string s = "[";
  for (std::size_t i = 0; i < ext.size(); ++i) s += (i ? ", " : "") + std::to_string(ext[i]);
  return s + "]";
}

void set_init_slice(DenseTensor& t, const std::vector<bool>& iterative, double init) {
  for (std::size_t s = 0; s < iterative.size(); ++s) {
    if (!iterative[s]) continue;
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < s; ++i) outer *= uidx(t.extents[i]);
    for (std::size_t i = s + 1; i < t.extents.size(); ++i) inner *= uidx(t.extents[i]);
    const std::size_t ext = uidx(t.extents[s]);
    for (std::size_t o = 0; o < outer; ++o) std::fill_n(t.data.begin() + static_cast<std::ptrdiff_t>(o * ext * inner), inner, init);
  }
}

class Driver {
 public:
  Driver(const Cascade& c, const BoundShape& shape, const RunOptions& options)
      : c_(c), shape_(shape), options_(options) {}

  TensorMap run(const TensorMap& inputs) {
    allocate(inputs);
    for (const auto& group : evaluation_order(c_)) run_group(group);
    TensorMap result;
    for (std::size_t t = 0; t < c_.tensors.size(); ++t) {
      const Tensor& tensor = c_.tensors[t];
      if (tensor.role == Tensor::Role::output ||
          (options_.keep_intermediates && tensor.role == Tensor::Role::intermediate)) {
        result.emplace(tensor.name, std::move(store_.tensors[t]));
      }
    }
    return result;
  }

 private:
  bool rounds() const { return options_.numerics != Numerics::fp64; }

  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) const {
    throw CascadeError(c_.source.get(), loc, message, expected);
  }

  void allocate(const TensorMap& inputs) {
    std::string input_names;
    for (TensorId t : c_.inputs()) input_names += (input_names.empty() ? "" : ", ") + c_.tensors[uidx(t)].name;
    for (const auto& [name, value] : inputs) {
      const auto t = c_.find_tensor(name);
      if (!t || c_.tensors[uidx(*t)].role != Tensor::Role::input) {
        fail({}, "'" + name + "' is not an input of cascade '" + c_.name + "'", "inputs named " + input_names);
      }
    }
    const std::size_t n = c_.tensors.size();
    store_.tensors.resize(n);
    store_.strides.resize(n);
    store_.storage.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Tensor& tensor = c_.tensors[i];
      const auto t = static_cast<TensorId>(i);
      const std::vector<std::int64_t> ext = tensor_extents(c_, shape_, t);
      const DType storage = effective_storage(tensor, options_);
      store_.storage[i] = storage;
      auto round = [&](double x) { return rounds() ? detail::round_to_dtype(storage, x) : x; };
      if (tensor.role == Tensor::Role::input) {
        const auto it = inputs.find(tensor.name);
        if (it == inputs.end()) fail(tensor.loc, "input '" + tensor.name + "' was not given", "a tensor for every input (" + input_names + ")");
        const DenseTensor& given = it->second;
        if (squeeze(given.extents) != squeeze(ext) || given.data.size() != DenseTensor::element_count(ext)) {
          fail(tensor.loc, "input '" + tensor.name + "' has extents " + extents_text(given.extents),
               "extents " + extents_text(ext) + " (slots in declaration order, batch ranks first)");
        }
        if (is_integer(tensor.dtype)) check_integers(tensor, given);
        DenseTensor copy(ext);
        copy.data = given.data;
        if (rounds()) detail::round_array(storage, copy.data);
        store_.tensors[i] = std::move(copy);
      } else {
        store_.tensors[i] = DenseTensor(ext, round(tensor.default_value));
        const Einsum& e = c_.einsums[uidx(tensor.producer)];
        if (e.init) set_init_slice(store_.tensors[i], tensor.iterative, round(*e.init));
      }
      store_.strides[i] = store_.tensors[i].strides();
    }
  }

  // An i32 input indexes other tensors: a fraction or an out-of-range value is a mistake
  // in the data, not something to truncate silently.
  void check_integers(const Tensor& tensor, const DenseTensor& given) const {
    for (std::size_t k = 0; k < given.data.size(); ++k) {
      const double v = given.data[k];
      if (!(v == std::floor(v) && v >= -2147483648.0 && v <= 2147483647.0)) {
        fail(tensor.loc, "input '" + tensor.name + "' is i32 but element " + std::to_string(k) + " is " + std::to_string(v),
             "integers in [-2^31, 2^31)");
      }
    }
  }

  std::vector<detail::VarRange> full_ranges() const {
    std::vector<detail::VarRange> r(c_.ranks.size());
    for (std::size_t v = 0; v < r.size(); ++v) r[v] = {0, shape_.rank_extent[v]};
    return r;
  }

  void run_group(const std::vector<EinsumId>& group) {
    RankId step = -1;
    for (EinsumId id : group) step = std::max(step, c_.einsums[uidx(id)].step_var);
    std::vector<detail::VarRange> ranges = full_ranges();
    if (step < 0) {
      for (EinsumId id : group) run_einsum(id, ranges);
    } else {
      // Every member finishes step r before any member starts step r+1.
      for (std::int64_t r = 0; r < shape_.extent(step); ++r) {
        ranges[uidx(step)] = {r, r + 1};
        for (EinsumId id : group) run_einsum(id, ranges);
      }
    }
    for (EinsumId id : group) check_i32_result(c_.einsums[uidx(id)]);
  }

  // An i32 result is computed exactly in int64 / double; a value outside the i32 range
  // would wrap on the hardware's integer units (and beyond 2^53 is no longer exact here),
  // so it is an error at the Einsum, as an out-of-range i32 input is. Infinities are
  // reduction identities or defaults (they read as index -1), not overflows.
  void check_i32_result(const Einsum& e) const {
    const Tensor& out = c_.tensors[uidx(e.output)];
    if (!is_integer(out.dtype) || e.populate != Einsum::Populate::none) return;
    const DenseTensor& t = store_.tensors[uidx(e.output)];
    for (std::size_t k = 0; k < t.data.size(); ++k) {
      const double v = t.data[k];
      if (std::isfinite(v) && v != out.default_value && !(v >= -2147483648.0 && v <= 2147483647.0)) {
        fail(e.loc, "i32 result '" + out.name + "' overflows: element " + std::to_string(k) + " is " + std::to_string(v),
             "values in [-2^31, 2^31) for an i32 tensor, or a floating-point type for '" + out.name + "'");
      }
    }
  }

  detail::EinsumNumerics numerics_of(const Einsum& e) const {
    const Tensor& out = c_.tensors[uidx(e.output)];
    detail::EinsumNumerics num;
    num.mode = options_.numerics;
    num.storage = effective_storage(out, options_);
    num.acc = effective_acc(out, options_);
    const auto exp = options_.exp_algorithm_by_einsum.find(e.label);
    num.exp = exp != options_.exp_algorithm_by_einsum.end() ? exp->second : options_.exp_algorithm;
    if (is_integer(out.dtype) && e.populate == Einsum::Populate::none) {
      // Integer Einsums (counts, index arithmetic) are exact in every mode: the hardware
      // does them on integer units, not on the fp32 datapath.
      num.mode = Numerics::fp64;
    }
    if (e.populate != Einsum::Populate::none) {
      // Scores are not stored; they are computed in the arithmetic of the accelerator
      // (fp32) or of the precision override's accumulator.
      num.acc = options_.precision == DType::fp64 ? DType::fp64 : DType::fp32;
    }
    return num;
  }

  void run_einsum(EinsumId id, const std::vector<detail::VarRange>& ranges) {
    const Einsum& e = c_.einsums[uidx(id)];
    const detail::EinsumTask task{c_, shape_, e, store_, ranges, numerics_of(e)};
    if (e.populate != Einsum::Populate::none) {
      detail::run_populate(task);
      return;
    }
    if (options_.numerics == Numerics::fp64 && options_.contraction_fast_path && detail::run_contraction(task)) {
      return;
    }
    detail::run_dense_job(task, detail::einsum_job(task));
  }

  const Cascade& c_;
  const BoundShape& shape_;
  const RunOptions& options_;
  detail::TensorStore store_;
};

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
  return Driver(c, shape, options).run(inputs);
}

bool contraction_fast_path_applies(const Cascade& c, const BoundShape& shape, EinsumId id) {
  std::vector<detail::VarRange> ranges(c.ranks.size());
  for (std::size_t v = 0; v < ranges.size(); ++v) ranges[v] = {0, shape.rank_extent[v]};
  // Members of an iterative group run one step at a time: the step variable is fixed.
  for (const auto& group : evaluation_order(c)) {
    if (std::find(group.begin(), group.end(), id) == group.end()) continue;
    for (EinsumId m : group) {
      const RankId step = c.einsums[uidx(m)].step_var;
      if (step >= 0) ranges[uidx(step)] = {0, 1};
    }
  }
  return detail::contraction_applies(c, shape, c.einsums[uidx(id)], ranges);
}

}  // namespace einfuse::einsum
