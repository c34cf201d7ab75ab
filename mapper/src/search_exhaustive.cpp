// Exhaustive search with branch and bound (search.hpp, docs/search.md). Tilings come cheapest
// DRAM traffic first; within one, Einsums are bound slowest first, each trying its fastest
// choice first, so a good incumbent appears early. A subtree is cut when its lower bound
// (Mapspace::bound: the compute bound of the bindings so far with the best case of the rest,
// and the tiling's least DRAM traffic) cannot beat the incumbent. Without pruning it is the
// brute force the tests compare against.
#include <algorithm>
#include <cstdint>

#include "einfuse/mapper/search.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::idx;

class Exhaustive final : public SearchStrategy {
 public:
  explicit Exhaustive(bool prune) : prune_(prune) {}
  const char* name() const override { return prune_ ? "exhaustive" : "brute-force"; }

  void run(SearchContext& ctx) override {
    ctx_ = &ctx;
    const Mapspace& s = ctx.space();
    for (std::size_t ti = 0; ti < s.tilings().size() && !ctx.out_of_budget(); ++ti) {
      const Tiling& t = s.tilings()[ti];
      point_ = s.first_point(static_cast<int>(ti));
      order_.resize(s.einsum_count());
      for (std::size_t e = 0; e < order_.size(); ++e) order_[e] = static_cast<int>(e);
      // Slowest Einsum first: its choice moves the bound the most.
      std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {
        return t.bindings[idx(a)].front().cycles > t.bindings[idx(b)].front().cycles;
      });
      choosable_.clear();
      if (ctx.options().enumerate_residency)
        for (std::size_t i = 0; i < s.tensor_count(); ++i)
          if (t.residencies[i].size() > 1) choosable_.push_back(static_cast<int>(i));
      if (prune_ && ctx.cannot_improve(s.bound(point_, order_, 0))) {
        ctx.note_pruned();
        continue;
      }
      for (std::size_t ov = 0; ov < s.overlaps().size() && !ctx.out_of_budget(); ++ov) {
        point_.overlap = static_cast<int>(ov);
        bind(0);
      }
    }
    ctx.stats().complete = !ctx.stats().budget_exhausted;
  }

 private:
  void bind(std::size_t i) {
    const Mapspace& s = ctx_->space();
    if (ctx_->out_of_budget()) return;
    if (i == order_.size()) {
      bound_ = s.bound(point_, order_, order_.size());
      reside(0);
      return;
    }
    const int e = order_[i];
    const auto& choices = s.tilings()[idx(point_.tiling)].bindings[idx(e)];
    for (std::size_t c = 0; c < choices.size(); ++c) {
      point_.binding[idx(e)] = static_cast<int>(c);
      if (prune_ && ctx_->cannot_improve(s.bound(point_, order_, i + 1))) {
        ctx_->note_pruned();
        continue;
      }
      bind(i + 1);
    }
    point_.binding[idx(e)] = 0;
  }

  void reside(std::size_t j) {
    if (ctx_->out_of_budget()) return;
    if (j == choosable_.size()) {
      ctx_->evaluate(point_);
      return;
    }
    const Mapspace& s = ctx_->space();
    const int t = choosable_[j];
    const auto& choices = s.tilings()[idx(point_.tiling)].residencies[idx(t)];
    for (std::size_t c = 0; c < choices.size(); ++c) {
      // Residency moves only DRAM traffic, energy and fit: once the bindings' bound cannot
      // beat the incumbent (an earlier leaf reached it), no residency will.
      if (prune_ && ctx_->cannot_improve(bound_)) {
        ctx_->note_pruned();
        break;
      }
      point_.residency[idx(t)] = static_cast<int>(c);
      if (choices[c] == Residency::registers && !same_array(t)) {
        ctx_->note_infeasible();
        continue;
      }
      reside(j + 1);
    }
    point_.residency[idx(t)] = 0;
  }

  bool same_array(int t) const {
    const Mapspace& s = ctx_->space();
    const Tiling& tl = s.tilings()[idx(point_.tiling)];
    const WorkloadTensor& wt = s.workload().tensors[idx(t)];
    if (wt.producer < 0) return false;
    const int a = tl.bindings[idx(wt.producer)][idx(point_.binding[idx(wt.producer)])].array;
    return std::all_of(wt.consumers.begin(), wt.consumers.end(),
                       [&](int c) { return tl.bindings[idx(c)][idx(point_.binding[idx(c)])].array == a; });
  }

  bool prune_;
  SearchContext* ctx_ = nullptr;
  MapPoint point_;
  std::vector<int> order_, choosable_;
  Bound bound_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_exhaustive(bool prune) { return std::make_unique<Exhaustive>(prune); }

}  // namespace einfuse::mapper
