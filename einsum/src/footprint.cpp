// Tensor footprints and buffering across passes (footprint.hpp, docs/passes.md).
#include "einfuse/einsum/footprint.hpp"

#include <algorithm>

namespace einfuse::einsum {
namespace {

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

std::uint64_t add_checked(const Cascade& c, const Tensor& t, std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    throw CascadeError(c.source.get(), t.loc, "count overflows 64 bits (bytes of " + t.name + ")", "smaller sizes");
  }
  return r;
}

bool contains(const std::vector<RankId>& v, RankId r) { return std::find(v.begin(), v.end(), r) != v.end(); }

}  // namespace

const RankBuffering* Footprint::find(RankId r) const {
  for (const auto& b : ranks) {
    if (b.rank == r) return &b;
  }
  return nullptr;
}

Footprint analyse_footprint(const Cascade& c, const BoundShape& shape, const PassAnalysis& passes) {
  Footprint out;
  for (std::size_t i = 0; i < c.tensors.size(); ++i) {
    const Tensor& t = c.tensors[i];
    TensorFootprint f;
    f.tensor = static_cast<TensorId>(i);
    f.elements = shape.elements(c, f.tensor);
    if (__builtin_mul_overflow(f.elements, std::uint64_t{dtype_bytes(t.dtype)}, &f.bytes)) {
      throw CascadeError(c.source.get(), t.loc, "count overflows 64 bits (bytes of " + t.name + ")", "smaller sizes");
    }
    for (RankId r : t.ranks) {
      if (!contains(f.grows_with, c.root_rank(r))) f.grows_with.push_back(c.root_rank(r));
    }
    std::uint64_t& total = t.role == Tensor::Role::input    ? out.input_bytes
                           : t.role == Tensor::Role::output ? out.output_bytes
                                                            : out.intermediate_bytes;
    total = add_checked(c, t, total, f.bytes);
    out.tensors.push_back(std::move(f));
  }

  for (const RankPasses& rp : passes.ranks) {
    RankBuffering b;
    b.rank = rp.rank;
    b.passes = rp.passes;
    for (std::size_t i = 0; i < c.tensors.size(); ++i) {
      const Tensor& t = c.tensors[i];
      if (t.producer < 0) continue;  // inputs stay where they are and are re-read
      const int made = rp.einsum_pass[idx(t.producer)];
      // Made before the first pass (pass 0), a tensor is like an input: any mapping,
      // 1-pass included, holds or re-reads it, so it is not a cost of extra passes.
      if (made < 1) continue;
      bool live = false;
      for (std::size_t e = 0; e < c.einsums.size() && !live; ++e) {
        if (static_cast<EinsumId>(e) == t.producer) continue;
        live = rp.einsum_pass[e] > made && contains(c.einsums[e].reads, static_cast<TensorId>(i));
      }
      if (!live) continue;
      TensorFootprint& f = out.tensors[i];
      f.live_across_passes.push_back(rp.rank);
      b.live.push_back(f.tensor);
      b.bytes_live = add_checked(c, t, b.bytes_live, f.bytes);
      if (contains(f.grows_with, rp.rank)) b.bytes_growing = add_checked(c, t, b.bytes_growing, f.bytes);
    }
    out.ranks.push_back(std::move(b));
  }
  return out;
}

Footprint analyse_footprint(const Cascade& c, const BoundShape& shape) {
  return analyse_footprint(c, shape, analyse_passes(c));
}

}  // namespace einfuse::einsum
