// Search over the mapspace (mapspace.hpp) for the best Mapping of a cascade on an
// architecture: one entry point, search(), with the strategy, the objective and the budget in
// SearchOptions. Strategies share one small interface (SearchStrategy) and one bookkeeper
// (SearchContext) that evaluates points, keeps the best and the Pareto front, and counts.
// Usage and a worked example: docs/search.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "einfuse/mapper/mapspace.hpp"

namespace einfuse::mapper {

enum class Objective { latency, energy, edp, pareto };
enum class Strategy {
  exhaustive,  ///< branch and bound over every dimension; proves the optimum when it finishes
  brute_force, ///< every point, no pruning (tests and small spaces)
  random,      ///< uniform samples
  local,       ///< greedy start per tiling, then coordinate descent with random restarts
};
const char* objective_name(Objective o);
const char* strategy_name(Strategy s);
/// "latency"/"energy"/"edp"/"pareto", "exhaustive"/"brute-force"/"random"/"local"; nullopt
/// when the text names none (for the CLI).
std::optional<Objective> parse_objective(const std::string& text);
std::optional<Strategy> parse_strategy(const std::string& text);

struct SearchOptions {
  Strategy strategy = Strategy::exhaustive;
  Objective objective = Objective::latency;
  std::uint64_t max_evaluations = 2'000'000;  ///< cost-model calls at most
  double time_limit_s = 5.0;                  ///< wall clock at most (checked every few calls)
  std::uint64_t seed = 1;                     ///< random and local strategies
  /// False (default): residencies are resolved by rule from the bindings (Mapspace::resolve)
  /// and strategies search tilings, overlaps and bindings. True: every residency choice is a
  /// dimension of its own (2^tensors more points; for small spaces and tests).
  bool enumerate_residency = false;
  CostOptions cost;
  MapspaceOptions space;
};

struct SearchStats {
  std::uint64_t evaluated = 0;   ///< points costed by the cost model
  std::uint64_t infeasible = 0;  ///< of those (or rejected before), points that did not fit
  std::uint64_t pruned = 0;      ///< subtrees cut by a lower bound
  double mapspace_points = 0;    ///< size of the mapspace
  std::size_t tilings = 0;       ///< feasible tilings
  double seconds = 0;
  bool complete = false;         ///< the strategy covered the space (exhaustive: optimum proven)
  bool budget_exhausted = false;
};

struct ParetoPoint {
  std::uint64_t latency_cycles = 0;
  double energy_pj = 0;
  MapPoint point;
};

/// A tensor live across passes over a rank, and what the chosen mapping does about it.
struct LiveTensor {
  std::string tensor;
  std::uint64_t bytes = 0;       ///< whole tensor at this shape
  bool grows_with_rank = false;  ///< O(M): it grows with the rank traversed
  Residency residency = Residency::buffer;
  std::string consequence;       ///< "held whole in the buffer (N bytes per tile)", "re-read from DRAM"
};

struct PassNote {
  std::string rank;              ///< the root rank (M)
  int passes = 0;
  std::vector<LiveTensor> live;
  std::string summary;           ///< one line for reports
};

struct SearchResult {
  bool found = false;
  std::string reason;            ///< when !found: exactly why no legal mapping exists
  Mapping mapping;               ///< best by the objective (pareto: the fastest of the front)
  CostReport report;
  MapPoint point;
  std::string tiling;            ///< the tiling's description
  std::vector<ParetoPoint> pareto;  ///< latency ascending, energy descending; non-dominated
  std::vector<PassNote> passes;  ///< one per rank traversed more than once
  SearchStats stats;
};

/// Keeps score for a strategy: evaluates points, tracks the best and the Pareto front,
/// counts, and says when the budget is spent.
class SearchContext {
 public:
  SearchContext(const Mapspace& space, const SearchOptions& options);
  const Mapspace& space() const { return space_; }
  const SearchOptions& options() const { return options_; }
  /// Costs a point and records it; returns its objective value (+inf when it does not fit).
  /// Unless options().enumerate_residency, the point's residencies are resolved first.
  double evaluate(const MapPoint& p);
  /// The objective of a lower bound (latency, energy or their product).
  double value(std::uint64_t latency, double energy) const;
  /// True when a point bounded below by `b` cannot beat the best (for pareto: cannot enter
  /// the front). Equal counts as cannot: among points of equal objective the first found
  /// wins unless a later one is visited anyway (then the tie-break, energy for latency and
  /// latency for energy, decides).
  bool cannot_improve(const Bound& b) const;
  bool out_of_budget();
  void note_pruned(std::uint64_t n = 1) { stats_.pruned += n; }
  void note_infeasible() { ++stats_.infeasible; }
  double best_value() const { return best_value_; }
  const std::optional<MapPoint>& best() const { return best_; }
  const std::vector<ParetoPoint>& pareto() const { return front_; }
  SearchStats& stats() { return stats_; }

 private:
  const Mapspace& space_;
  const SearchOptions& options_;
  std::chrono::steady_clock::time_point start_;
  double best_value_;
  std::uint64_t best_latency_ = 0;
  double best_energy_ = 0;
  std::optional<MapPoint> best_;
  std::vector<ParetoPoint> front_;
  SearchStats stats_;
  unsigned tick_ = 0;
};

/// A search strategy: walks the mapspace, asking the context to evaluate points.
class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  virtual const char* name() const = 0;
  /// Sets ctx.stats().complete when it covered the whole space.
  virtual void run(SearchContext& ctx) = 0;
};
std::unique_ptr<SearchStrategy> make_exhaustive(bool prune);
std::unique_ptr<SearchStrategy> make_random();
std::unique_ptr<SearchStrategy> make_local();
std::unique_ptr<SearchStrategy> make_strategy(Strategy s);

/// Finds the best mapping of `cascade` at `shape` on `arch`. Never throws for a cascade that
/// cannot be mapped: returns found = false with the reason. Throws CascadeError only where
/// make_workload does (a count that overflows).
SearchResult search(const einsum::Cascade& cascade, const einsum::BoundShape& shape, const ArchSpec& arch,
                    const SearchOptions& options = {});
/// The same over a mapspace built beforehand (to search one space with several strategies).
SearchResult search(const Mapspace& space, const SearchOptions& options);

}  // namespace einfuse::mapper
