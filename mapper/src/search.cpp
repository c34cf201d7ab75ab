// search(): builds the mapspace, runs a strategy, and turns the best point into a Mapping, a
// full CostReport, the Pareto front and the pass-count consequences (search.hpp,
// docs/search.md). The bookkeeping every strategy shares lives in SearchContext.
#include "einfuse/mapper/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "einfuse/einsum/passes.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::idx;

}  // namespace

const char* objective_name(Objective o) {
  switch (o) {
    case Objective::latency: return "latency";
    case Objective::energy: return "energy";
    case Objective::edp: return "edp";
    case Objective::pareto: return "pareto";
  }
  return "?";
}

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::exhaustive: return "exhaustive";
    case Strategy::brute_force: return "brute-force";
    case Strategy::random: return "random";
    case Strategy::local: return "local";
  }
  return "?";
}

std::optional<Objective> parse_objective(const std::string& text) {
  for (Objective o : {Objective::latency, Objective::energy, Objective::edp, Objective::pareto})
    if (text == objective_name(o)) return o;
  return std::nullopt;
}

std::optional<Strategy> parse_strategy(const std::string& text) {
  for (Strategy s : {Strategy::exhaustive, Strategy::brute_force, Strategy::random, Strategy::local})
    if (text == strategy_name(s)) return s;
  return std::nullopt;
}

std::unique_ptr<SearchStrategy> make_strategy(Strategy s) {
  switch (s) {
    case Strategy::exhaustive: return make_exhaustive(true);
    case Strategy::brute_force: return make_exhaustive(false);
    case Strategy::random: return make_random();
    case Strategy::local: return make_local();
  }
  return make_exhaustive(true);
}

SearchContext::SearchContext(const Mapspace& space, const SearchOptions& options)
    : space_(space), options_(options), start_(std::chrono::steady_clock::now()),
      best_value_(std::numeric_limits<double>::infinity()) {}

double SearchContext::value(std::uint64_t latency, double energy) const {
  switch (options_.objective) {
    case Objective::energy: return energy;
    case Objective::edp: return static_cast<double>(latency) * energy;
    case Objective::latency:
    case Objective::pareto: return static_cast<double>(latency);
  }
  return static_cast<double>(latency);
}

bool SearchContext::cannot_improve(const Bound& b) const {
  if (options_.objective == Objective::pareto)
    return std::any_of(front_.begin(), front_.end(), [&](const ParetoPoint& q) {
      return q.latency_cycles <= b.latency_cycles && q.energy_pj <= b.energy_pj;
    });
  // A bound equal to the best is cut too: ties (many bindings reach the same latency) are
  // broken by energy only among the points visited, which keeps a search under a second.
  return value(b.latency_cycles, b.energy_pj) >= best_value_;
}

double SearchContext::evaluate(const MapPoint& given) {
  ++stats_.evaluated;
  std::optional<MapPoint> resolved;
  if (!options_.enumerate_residency) {
    resolved = space_.resolve(given);
    if (!resolved) {
      ++stats_.infeasible;
      return std::numeric_limits<double>::infinity();
    }
  }
  const MapPoint& p = resolved ? *resolved : given;
  const std::optional<CostSummary> c = space_.evaluate(p);
  if (!c) {
    ++stats_.infeasible;
    return std::numeric_limits<double>::infinity();
  }
  const double v = value(c->latency_cycles, c->energy_pj);
  const bool better =
      v < best_value_ ||
      (v == best_value_ && ((options_.objective == Objective::latency || options_.objective == Objective::pareto)
                                ? c->energy_pj < best_energy_
                                : options_.objective == Objective::energy && c->latency_cycles < best_latency_));
  if (better) {
    best_value_ = v;
    best_latency_ = c->latency_cycles;
    best_energy_ = c->energy_pj;
    best_ = p;
  }
  // Pareto front: insert unless weakly dominated; drop what the new point dominates.
  const bool dominated = std::any_of(front_.begin(), front_.end(), [&](const ParetoPoint& q) {
    return q.latency_cycles <= c->latency_cycles && q.energy_pj <= c->energy_pj;
  });
  if (!dominated) {
    front_.erase(std::remove_if(front_.begin(), front_.end(),
                                [&](const ParetoPoint& q) {
                                  return c->latency_cycles <= q.latency_cycles && c->energy_pj <= q.energy_pj;
                                }),
                 front_.end());
    const auto at = std::lower_bound(front_.begin(), front_.end(), c->latency_cycles,
                                     [](const ParetoPoint& q, std::uint64_t l) { return q.latency_cycles < l; });
    front_.insert(at, ParetoPoint{c->latency_cycles, c->energy_pj, p});
  }
  return v;
}

bool SearchContext::out_of_budget() {
  if (stats_.budget_exhausted) return true;
  if (stats_.evaluated >= options_.max_evaluations) stats_.budget_exhausted = true;
  // The clock is read every 64 calls: reading it costs about as much as a bound.
  if ((++tick_ & 63u) == 0 &&
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > options_.time_limit_s)
    stats_.budget_exhausted = true;
  return stats_.budget_exhausted;
}

namespace {

// What each tensor live across passes costs the chosen mapping.
std::vector<PassNote> pass_notes(const Mapspace& space, const MapPoint& p, const CostReport& report) {
  const einsum::Cascade& c = space.cascade();
  const Workload& w = space.workload();
  const Tiling& t = space.tilings()[idx(p.tiling)];
  const einsum::PassAnalysis pa = einsum::analyse_passes(c);
  std::vector<PassNote> notes;
  for (const einsum::RankPasses& rp : pa.ranks) {
    // A rank the cascade traverses more than once, or the sequential rank of this tiling
    // when the loop-level analysis found tensors live across its traversals.
    std::vector<int> live;
    for (std::size_t i = 0; i < w.tensors.size(); ++i) {
      const bool by_cascade = rp.passes > 1 && w.tensors[i].producer >= 0 && rp.tensor_pass[i] >= 1 &&
                              std::any_of(w.tensors[i].consumers.begin(), w.tensors[i].consumers.end(),
                                          [&](int e) { return rp.traverses[idx(e)] && rp.einsum_pass[idx(e)] > rp.tensor_pass[i]; });
      const bool by_loop = t.sequential_rank >= 0 && w.root[idx(t.sequential_rank)] == rp.rank && t.rules[i] == TensorRule::live;
      if (by_cascade || by_loop) live.push_back(static_cast<int>(i));
    }
    if (live.empty()) continue;
    PassNote note;
    note.rank = c.ranks[idx(rp.rank)].name;
    note.passes = rp.passes;
    std::vector<std::string> parts;
    for (int i : live) {
      const WorkloadTensor& wt = w.tensors[idx(i)];
      LiveTensor lt;
      lt.tensor = wt.name;
      lt.bytes = wt.elements * static_cast<std::uint64_t>(space.arch().data_bytes);
      lt.grows_with_rank = std::any_of(wt.ranks.begin(), wt.ranks.end(), [&](int q) { return w.root[idx(q)] == rp.rank; });
      const Mapping m = space.mapping(p);
      lt.residency = m.find_tensor(wt.name) ? m.find_tensor(wt.name)->residency : Residency::buffer;
      const TensorTraffic* tt = nullptr;
      for (const TensorTraffic& x : report.tensors)
        if (x.tensor == wt.name) tt = &x;
      std::ostringstream s;
      switch (lt.residency) {
        case Residency::buffer:
          s << "held whole in the buffer (" << t.footprint_bytes[idx(i)] << " bytes per DRAM tile"
            << (lt.grows_with_rank ? ", O(" + note.rank + ")" : "") << ")";
          break;
        case Residency::dram:
          s << "spilled: written to DRAM once and re-read by the later pass ("
            << (tt ? tt->dram_write_bytes : 0) << " bytes written, " << (tt ? tt->dram_read_bytes : 0) << " read)";
          break;
        default:
          s << "held on chip whole: no loop cuts " << note.rank << " (" << residency_name(lt.residency) << ", "
            << t.stream_bytes[idx(i)] << " bytes per tile" << (lt.grows_with_rank ? ", O(" + note.rank + ")" : "") << ")";
      }
      lt.consequence = s.str();
      parts.push_back(lt.tensor + (lt.grows_with_rank ? " [O(" + note.rank + ")]" : "") + ": " + lt.consequence);
      note.live.push_back(std::move(lt));
    }
    std::ostringstream s;
    s << note.rank << ": " << note.passes << " pass" << (note.passes == 1 ? "" : "es")
      << (t.sequential_rank >= 0 ? " (sequential loop " + w.rank_names[idx(t.sequential_rank)] + ")" : "")
      << "; live across passes: ";
    for (std::size_t k = 0; k < parts.size(); ++k) s << (k ? "; " : "") << parts[k];
    note.summary = s.str();
    notes.push_back(std::move(note));
  }
  return notes;
}

}  // namespace

SearchResult search(const Mapspace& space, const SearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SearchResult result;
  result.stats.mapspace_points = space.size();
  result.stats.tilings = space.tilings().size();
  if (!space.why_empty().empty()) {
    result.reason = space.why_empty();
    return result;
  }
  SearchContext ctx(space, options);
  make_strategy(options.strategy)->run(ctx);
  result.stats = ctx.stats();
  result.stats.mapspace_points = space.size();
  result.stats.tilings = space.tilings().size();
  if (!ctx.best()) {
    // Every candidate was rejected by the cost model: report why the preferred one was.
    const MapPoint first = space.first_point(0);
    const auto problems = validate_mapping(space.workload(), space.arch(), space.mapping(first));
    std::ostringstream s;
    s << "no point of the mapspace fits " << space.arch().name;
    if (!problems.empty()) s << ": " << problems.front().where << ": " << problems.front().message;
    else s << " (the registers of one array cannot hold what its Einsums keep there)";
    if (result.stats.budget_exhausted) s << " (search stopped at its budget)";
    result.reason = s.str();
  } else {
    result.found = true;
    result.point = *ctx.best();
    result.mapping = space.mapping(result.point);
    result.report = evaluate(space.workload(), space.arch(), result.mapping, space.cost_options());
    result.tiling = space.tilings()[idx(result.point.tiling)].description;
    result.pareto = ctx.pareto();
    result.passes = pass_notes(space, result.point, result.report);
  }
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

SearchResult search(const einsum::Cascade& cascade, const einsum::BoundShape& shape, const ArchSpec& arch,
                    const SearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Mapspace space(cascade, shape, arch, options.space, options.cost);
  SearchResult r = search(space, options);
  r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace einfuse::mapper
