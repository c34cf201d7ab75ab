// einfuse map FILE --arch A (--model M --seq N | --shape ...): searches the mapspace for the
// best mapping of a cascade on an arch (docs/search.md), prints its cost report and what a
// multi-pass cascade costs in passes, and can save the mapping for `einfuse cost` to replay.
#include <fmt/format.h>

#include <iostream>

#include "cascade_json.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "cost_report_output.hpp"
#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/search.hpp"

namespace einfuse::cli {
namespace {


struct MapOptions {
  std::string file;
  std::string arch;
  ShapeOptions shape;
  std::string objective = "latency";
  std::string strategy = "exhaustive";
  std::string out;
  double time_limit_s = 5.0;
  std::uint64_t seed = 1;
  bool keys_down_rows = false;
  bool published_model = false;
  bool json = false;
};

int run_map(const MapOptions& o) {
  const auto objective = mapper::parse_objective(o.objective);
  const auto strategy = mapper::parse_strategy(o.strategy);
  if (!objective || !strategy) {
    std::cerr << "einfuse map: error: "
              << (!objective ? "--objective '" + o.objective + "': expected latency, energy, edp or pareto"
                             : "--strategy '" + o.strategy + "': expected exhaustive, brute-force, random or local")
              << "\n";
    return kBadInput;
  }
  const LoadedCascade lc = load_cascade(o.file, o.shape);
  const mapper::ArchSpec arch = mapper::load_arch(o.arch, mapper::default_arch_dir());
  mapper::SearchOptions so;
  so.objective = *objective;
  so.strategy = *strategy;
  so.time_limit_s = o.time_limit_s;
  so.seed = o.seed;
  so.cost = o.published_model ? mapper::CostOptions::published() : mapper::CostOptions{};
  so.space.keys_down_rows = o.keys_down_rows;
  const mapper::SearchResult r = mapper::search(lc.cascade, lc.shape, arch, so);
  if (!r.found) {
    std::cerr << "einfuse map: " << lc.cascade.name << " cannot be mapped on " << arch.name << ": " << r.reason << "\n";
    return kCheckFailed;
  }
  mapper::Mapping mapping = r.mapping;
  if (mapping.name.empty()) mapping.name = lc.cascade.name + " on " + arch.name;
  if (!o.out.empty()) {
    einsum::write_file_safely(o.out, mapper::to_yaml(mapping));
  }
  const Costed c{o.file, lc.cascade.name, arch, mapping, o.published_model ? "published" : "corrected", r.report};
  const auto& st = r.stats;
  if (o.json) {
    nlohmann::json j = cost_report_json(c);
    j["search"] = {{"strategy", mapper::strategy_name(so.strategy)},
                   {"objective", mapper::objective_name(so.objective)},
                   {"tiling", r.tiling},
                   {"evaluated", st.evaluated},
                   {"infeasible", st.infeasible},
                   {"pruned", st.pruned},
                   {"mapspace_points", st.mapspace_points},
                   {"seconds", st.seconds},
                   {"optimum_proven", st.complete && so.strategy == mapper::Strategy::exhaustive}};
    j["passes"] = nlohmann::json::array();
    for (const auto& p : r.passes) j["passes"].push_back({{"rank", p.rank}, {"passes", p.passes}, {"summary", p.summary}});
    j["pareto"] = nlohmann::json::array();
    for (const auto& p : r.pareto) j["pareto"].push_back({{"latency_cycles", p.latency_cycles}, {"energy_pj", p.energy_pj}});
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  std::cout << fmt::format("search: {} for {}, {} of {:.3g} mapspace points costed, {} pruned subtrees, {} did not fit, "
                           "{:.3f} s{}\n",
                           mapper::strategy_name(so.strategy), mapper::objective_name(so.objective),
                           with_commas(st.evaluated), st.mapspace_points, with_commas(st.pruned), with_commas(st.infeasible),
                           st.seconds,
                           st.complete && so.strategy == mapper::Strategy::exhaustive ? " (optimum proven)"
                           : st.budget_exhausted                                      ? " (budget spent: best found)"
                                                                                      : "");
  std::cout << "tiling: " << r.tiling << "\n";
  for (const auto& p : r.passes) std::cout << "passes: " << p.summary << "\n";
  if (so.objective == mapper::Objective::pareto) {
    std::cout << "pareto front (latency cycles, energy pJ):\n";
    for (const auto& p : r.pareto) std::cout << fmt::format("  {:>20} {:>16.6g}\n", with_commas(p.latency_cycles), p.energy_pj);
  }
  if (!o.out.empty()) std::cout << "mapping written to " << o.out << "\n";
  std::cout << "\n";
  print_cost_report(c);
  return kOk;
}

}  // namespace

void add_map_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<MapOptions>();
  CLI::App* cmd = app.add_subcommand(
      "map",
      "Search for the best mapping of a cascade on an arch (bindings, tilings, residencies, overlap),\n"
      "print its cost report and, for a multi-pass cascade, what its passes cost; --out saves the\n"
      "mapping (YAML) for `einfuse cost` to replay. Exit 1 when no mapping exists (the reason is\n"
      "printed). docs/search.md.\n\n"
      "Examples:\n"
      "  einfuse map workloads/attention/fusemax_paper.ein --arch fusemax --model BERT --seq 1K --out m.yaml\n"
      "  einfuse map workloads/attention/softmax_3pass.ein --arch flat --model BERT --seq 64K\n"
      "  einfuse map workloads/attention/causal_1pass.ein --arch fusemax --shape P=4K,M=4K --objective pareto");
  cmd->add_option("FILE", o->file, "cascade file (.ein)")->required();
  cmd->add_option("--arch", o->arch, "arch spec: a name in workloads/arch (fusemax, flat, unfused) or a .yaml path")
      ->required();
  o->shape.add_to(*cmd);
  cmd->add_option("--objective", o->objective, "latency (default), energy, edp, or pareto (the latency/energy front)");
  cmd->add_option("--strategy", o->strategy,
                  "exhaustive (default: branch and bound, proves the optimum), brute-force, random, local");
  cmd->add_option("--time-limit", o->time_limit_s, "seconds at most (default 5)");
  cmd->add_option("--seed", o->seed, "seed of the random and local strategies (default 1)");
  cmd->add_flag("--keys-down-rows", o->keys_down_rows,
                "hold the search to FuseMax's dataflow: one key per 2D-array row; Einsums without a key "
                "rank run on the 1D array");
  cmd->add_flag("--published-model", o->published_model, "the paper's cost model with its known quirks");
  cmd->add_option("--out", o->out, "write the best mapping as YAML (docs/mapping.md)");
  cmd->add_flag("--json", o->json, "print the report and the search statistics as one JSON object");
  cmd->callback([o, &action] { action = [o] { return run_map(*o); }; });
}

}  // namespace einfuse::cli
