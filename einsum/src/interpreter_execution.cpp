// The interpreter's execution state (interpreter_internal.hpp): checks the inputs, allocates
// every tensor (defaults, init slices) and runs one Einsum, or one step of an iterative group,
// over given ranges on the right engine. interpret() runs the whole evaluation order;
// TileExecution (tile_execution.hpp) runs it a tile at a time.
#include <algorithm>
#include <cmath>
#include <string>

#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

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

}  // namespace

Execution::Execution(const Cascade& c, const BoundShape& shape, const RunOptions& options)
    : c_(c), shape_(shape), options_(options) {}


void Execution::fail(SourceLoc loc, const std::string& message, const std::string& expected) const {
  throw CascadeError(c_.source.get(), loc, message, expected);
}

void Execution::allocate(const TensorMap& inputs) {
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
    auto round = [&](double x) { return rounds() ? round_to_dtype(storage, x) : x; };
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
      if (rounds()) round_array(storage, copy.data);
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
void Execution::check_integers(const Tensor& tensor, const DenseTensor& given) const {
  for (std::size_t k = 0; k < given.data.size(); ++k) {
    const double v = given.data[k];
    if (!(v == std::floor(v) && v >= -2147483648.0 && v <= 2147483647.0)) {
      fail(tensor.loc, "input '" + tensor.name + "' is i32 but element " + std::to_string(k) + " is " + std::to_string(v),
           "integers in [-2^31, 2^31)");
    }
  }
}

std::vector<VarRange> Execution::full_ranges() const {
  std::vector<VarRange> r(c_.ranks.size());
  for (std::size_t v = 0; v < r.size(); ++v) r[v] = {0, shape_.rank_extent[v]};
  return r;
}

void Execution::run_group(const std::vector<EinsumId>& group) {
  RankId step = -1;
  for (EinsumId id : group) step = std::max(step, c_.einsums[uidx(id)].step_var);
  std::vector<VarRange> ranges = full_ranges();
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
void Execution::check_i32_result(const Einsum& e) const {
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

EinsumNumerics Execution::numerics_of(const Einsum& e) const {
  const Tensor& out = c_.tensors[uidx(e.output)];
  EinsumNumerics num;
  num.mode = options_.numerics;
  num.storage = effective_storage(out, options_);
  num.acc = effective_acc(out, options_);
  const auto exp = options_.exp_algorithm_by_einsum.find(e.label);
  num.exp = exp != options_.exp_algorithm_by_einsum.end() ? exp->second : options_.exp_algorithm;
  num.mac_fast_path = options_.hardware_fast_path;
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

void Execution::run_einsum(EinsumId id, const std::vector<VarRange>& ranges) {
  const Einsum& e = c_.einsums[uidx(id)];
  const EinsumTask task{c_, shape_, e, store_, ranges, numerics_of(e)};
  if (e.populate != Einsum::Populate::none) {
    run_populate(task);
    return;
  }
  if (options_.numerics == Numerics::fp64 && options_.contraction_fast_path && run_contraction(task)) {
    return;
  }
  run_dense_job(task, einsum_job(task));
}

TensorMap Execution::results(bool keep_intermediates) {
  TensorMap result;
  for (std::size_t t = 0; t < c_.tensors.size(); ++t) {
    const Tensor& tensor = c_.tensors[t];
    if (tensor.role == Tensor::Role::output || (keep_intermediates && tensor.role == Tensor::Role::intermediate)) {
      result.emplace(tensor.name, std::move(store_.tensors[t]));
    }
  }
  return result;
}

}  // namespace einfuse::einsum::detail
