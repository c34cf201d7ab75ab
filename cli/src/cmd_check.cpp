// einfuse check FILE: validate a cascade and print its analyses.
#include <fmt/format.h>

#include <iostream>

#include "cascade_json.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/footprint.hpp"
#include "einfuse/einsum/graph.hpp"
#include "einfuse/einsum/op_counts.hpp"
#include "einfuse/einsum/passes.hpp"

namespace einfuse::cli {
namespace {

struct CheckOptions {
  std::string file;
  ShapeOptions shape;
  bool json = false;
  bool dot = false;
};

nlohmann::json analysis_json(const LoadedCascade& lc, const einsum::PassAnalysis& passes,
                             const einsum::CascadeOps& ops, const einsum::Footprint& fp) {
  const auto& c = lc.cascade;
  nlohmann::json j;
  j["cascade"] = c.name;
  j["file"] = c.source->name;
  j["ranks"] = ranks_json(c, lc.shape);
  j["tensors"] = tensors_json(c, lc.shape);
  j["passes"] = passes.passes_by_rank;
  j["ops"] = ops.total.by_name();
  nlohmann::json einsums = einsums_json(c);
  for (std::size_t e = 0; e < c.einsums.size(); ++e) {
    einsums[e]["points"] = ops.einsums[e].points;
    einsums[e]["ops"] = ops.einsums[e].ops.by_name();
    nlohmann::json pass = nlohmann::json::object();
    for (const auto& [rank, p] : passes.einsum_pass[e]) pass[c.ranks[static_cast<std::size_t>(rank)].name] = p;
    einsums[e]["pass"] = pass;
  }
  j["einsums"] = einsums;
  j["footprint"] = footprint_json(c, fp);
  return j;
}

void print_text(const LoadedCascade& lc, const einsum::PassAnalysis& passes,
                const einsum::CascadeOps& ops, const einsum::Footprint& fp) {
  const auto& c = lc.cascade;
  std::cout << fmt::format("cascade {} ({})\n\n", c.name, c.source->name);
  std::cout << "ranks:";
  for (std::size_t r = 0; r < c.ranks.size(); ++r) {
    std::cout << fmt::format(" {}={}", c.ranks[r].name, lc.shape.rank_extent[r]);
  }
  if (!c.params.empty()) {
    std::cout << "\nparameters:";
    for (std::size_t p = 0; p < c.params.size(); ++p) {
      std::cout << fmt::format(" {}={}", c.params[p].name, lc.shape.param_value[p]);
    }
  }
  std::cout << "\n\npasses:";
  for (const auto& [rank, n] : passes.passes_by_rank) std::cout << fmt::format(" {}={}", rank, n);
  std::cout << "\n\n";

  std::vector<std::string> pass_ranks;
  for (const auto& rp : passes.ranks) pass_ranks.push_back(c.ranks[static_cast<std::size_t>(rp.rank)].name);
  std::cout << fmt::format("{:<3} {:<58} {:>22}  {}\n", "#", "einsum", "points", "pass(" + fmt::format("{}", fmt::join(pass_ranks, ",")) + ")  ops");
  for (std::size_t e = 0; e < c.einsums.size(); ++e) {
    std::string text = einsum_text(c, c.einsums[e]);
    if (text.size() > 58) text = text.substr(0, 55) + "...";
    std::vector<std::string> ps;
    for (const auto& rp : passes.ranks) ps.push_back(std::to_string(rp.einsum_pass[e]));
    std::string op_text;
    for (const auto& [kind, n] : ops.einsums[e].ops.by_name()) op_text += fmt::format(" {}={}", kind, with_commas(n));
    std::cout << fmt::format("{:<3} {:<58} {:>22}  {:<8}{}\n", e, text, with_commas(ops.einsums[e].points),
                             fmt::format("{}", fmt::join(ps, ",")), op_text);
  }
  std::cout << "\ntotal ops:";
  for (const auto& [kind, n] : ops.total.by_name()) std::cout << fmt::format(" {}={}", kind, with_commas(n));
  std::cout << "\n\n";
  print_footprint_table(std::cout, c, fp);
}

int run_check(const CheckOptions& o) {
  const LoadedCascade lc = load_cascade(o.file, o.shape);
  if (o.dot) {
    std::cout << einsum::to_dot(lc.cascade);
    return kOk;
  }
  const einsum::PassAnalysis passes = einsum::analyse_passes(lc.cascade);
  const einsum::CascadeOps ops = einsum::count_ops(lc.cascade, lc.shape);
  const einsum::Footprint fp = einsum::analyse_footprint(lc.cascade, lc.shape, passes);
  if (o.json) {
    std::cout << analysis_json(lc, passes, ops, fp).dump(2) << "\n";
  } else {
    print_text(lc, passes, ops, fp);
  }
  return kOk;
}

}  // namespace

void add_check_command(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Validate a cascade and print its ranks, tensors, Einsums, passes over each rank, exact\n"
      "op counts and footprints.\n\n"
      "Examples:\n"
      "  einfuse check workloads/attention/softmax_3pass.ein --shape P=1K,M=1K\n"
      "  einfuse check workloads/attention/causal_1pass.ein --model BERT --seq 1M --json\n"
      "  einfuse check workloads/attention/softmax_1pass.ein --shape P=1K,M=1K --dot | dot -Tsvg");
  cmd->add_option("FILE", options->file, "cascade file (.ein)")->required();
  options->shape.add_to(*cmd);
  cmd->add_flag("--json", options->json,
                "print one JSON object: ranks, tensors, passes {rank: n}, ops {kind: n}, einsums, footprint");
  cmd->add_flag("--dot", options->dot, "print the dependency graph as Graphviz DOT");
  cmd->callback([options, &action] { action = [options] { return run_check(*options); }; });
}

}  // namespace einfuse::cli
