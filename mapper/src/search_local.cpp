// Local search (search.hpp): per tiling whose bound can still win, start from the preferred
// choice of every dimension and descend coordinate by coordinate (overlap, each binding,
// each residency) while that improves; then restart from the best point with a few
// dimensions redrawn at random, until the budget is spent. Coordinate moves alone stall on
// a makespan (moving one Einsum off the busiest array can make the other the busiest), so
// each restart redraws three bindings at once before descending again.
#include <random>

#include "einfuse/mapper/search.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::idx;

class LocalSearch final : public SearchStrategy {
 public:
  const char* name() const override { return "local"; }

  void run(SearchContext& ctx) override {
    const Mapspace& s = ctx.space();
    std::mt19937_64 rng(ctx.options().seed);
    std::vector<int> all(s.einsum_count());
    for (std::size_t e = 0; e < all.size(); ++e) all[e] = static_cast<int>(e);
    for (std::size_t ti = 0; ti < s.tilings().size() && !ctx.out_of_budget(); ++ti) {
      MapPoint p = s.first_point(static_cast<int>(ti));
      if (ctx.cannot_improve(s.bound(p, all, 0))) { ctx.note_pruned(); continue; }
      descend(ctx, p);
    }
    // Restarts: perturb the best point and descend again.
    for (int round = 0; round < 200 && ctx.best() && !ctx.out_of_budget(); ++round) {
      MapPoint p = *ctx.best();
      const Tiling& t = s.tilings()[idx(p.tiling)];
      auto pick = [&](std::size_t n) { return static_cast<int>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)); };
      for (int k = 0; k < 3; ++k) {
        const std::size_t e = idx(pick(p.binding.size()));
        p.binding[e] = pick(t.bindings[e].size());
      }
      descend(ctx, p);
    }
  }

 private:
  // Coordinate descent from p; evaluates every neighbour of the current point.
  static void descend(SearchContext& ctx, MapPoint p) {
    const Mapspace& s = ctx.space();
    const Tiling& t = s.tilings()[idx(p.tiling)];
    double current = ctx.evaluate(p);
    for (bool improved = true; improved && !ctx.out_of_budget();) {
      improved = false;
      auto attempt = [&](int& slot, std::size_t n) {
        const int keep = slot;
        for (std::size_t c = 0; c < n && !ctx.out_of_budget(); ++c) {
          if (static_cast<int>(c) == keep) continue;
          slot = static_cast<int>(c);
          const double v = ctx.evaluate(p);
          if (v < current) { current = v; improved = true; return; }
        }
        slot = keep;
      };
      attempt(p.overlap, s.overlaps().size());
      for (std::size_t e = 0; e < p.binding.size(); ++e) attempt(p.binding[e], t.bindings[e].size());
      if (ctx.options().enumerate_residency)
        for (std::size_t i = 0; i < p.residency.size(); ++i) attempt(p.residency[i], t.residencies[i].size());
    }
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> make_local() { return std::make_unique<LocalSearch>(); }

}  // namespace einfuse::mapper
