// Random sampling (search.hpp): every dimension drawn uniformly, until the budget is spent.
// A baseline for the other strategies and a cheap way to populate a Pareto front.
#include <random>

#include "einfuse/mapper/search.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::idx;

class RandomSampling final : public SearchStrategy {
 public:
  const char* name() const override { return "random"; }
  void run(SearchContext& ctx) override {
    const Mapspace& s = ctx.space();
    std::mt19937_64 rng(ctx.options().seed);
    auto pick = [&](std::size_t n) { return static_cast<int>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)); };
    while (!ctx.out_of_budget()) {
      MapPoint p = s.first_point(pick(s.tilings().size()));
      const Tiling& t = s.tilings()[idx(p.tiling)];
      p.overlap = pick(s.overlaps().size());
      for (std::size_t e = 0; e < p.binding.size(); ++e) p.binding[e] = pick(t.bindings[e].size());
      for (std::size_t i = 0; i < p.residency.size(); ++i) p.residency[i] = pick(t.residencies[i].size());
      ctx.evaluate(p);
    }
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> make_random() { return std::make_unique<RandomSampling>(); }

}  // namespace einfuse::mapper
