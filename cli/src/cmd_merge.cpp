// einfuse merge --out DIR SHARD_DIR...: puts the folders written by `einfuse explore
// --shard i/n` back together (docs/explore.md, "Merge") and writes one folder as an
// unsharded run would have. Shards of a preset and of a study may be given together: the
// merged folder and its report then hold both.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/explore/explore_result.hpp"
#include "einfuse/explore/paper_grid.hpp"

namespace einfuse::cli {
namespace {

namespace fs = std::filesystem;
namespace paper = explore::paper;

struct MergeOptions {
  std::string out;
  std::vector<std::string> shards;
};

// merge_runs orders models and designs by first appearance, which depends on how the items
// were dealt to the shards (shard 0 of 3 sees unfused, arch, flat, ... first). The preset
// knows its own order, so re-sort by it: the merged files then equal an unsharded run's
// byte for byte, however the work was split. Names the preset does not know keep merge_runs'
// order after the known ones (the sorts are stable).
class PresetOrder {
 public:
  PresetOrder() {
    const paper::Grid grid;
    for (std::size_t i = 0; i < grid.models.size(); ++i) models_[grid.models[i]] = i;
    const auto& designs = mapper::paper::all_designs();
    for (std::size_t i = 0; i < designs.size(); ++i) designs_[mapper::paper::design_name(designs[i])] = i;
  }
  std::size_t model(const std::string& m) const { return rank(models_, m); }
  std::size_t design(const std::string& d) const { return rank(designs_, d); }

  template <class Row>
  void sort_design_rows(std::vector<Row>& rows) const {
    std::stable_sort(rows.begin(), rows.end(), [this](const Row& a, const Row& b) {
      return std::tuple(model(a.model), einsum::parse_length(a.seq_len), design(a.design)) <
             std::tuple(model(b.model), einsum::parse_length(b.seq_len), design(b.design));
    });
  }
  void sort(explore::ExploreRun& run) const {
    sort_design_rows(run.attention);
    sort_design_rows(run.end2end);
    sort_design_rows(run.einsums);
    std::stable_sort(run.pareto.begin(), run.pareto.end(), [this](const auto& a, const auto& b) {
      return std::tuple(model(a.model), a.pe_dim) < std::tuple(model(b.model), b.pe_dim);
    });
  }

 private:
  static std::size_t rank(const std::map<std::string, std::size_t>& order, const std::string& name) {
    const auto it = order.find(name);
    return it == order.end() ? order.size() : it->second;
  }
  std::map<std::string, std::size_t> models_, designs_;
};

int fail(std::string message) {
  if (message.rfind("merge: ", 0) == 0) message.erase(0, 7);  // merge_runs' own prefix
  std::cerr << "einfuse merge: error: " << message << "\n";
  return kCheckFailed;
}

int run_merge(const MergeOptions& o) {
  std::vector<explore::ExploreRun> primaries, others;
  std::vector<explore::fidelity::Tables> studies;
  std::string first_with_runs;
  for (const std::string& dir : o.shards) {
    if (!fs::is_directory(dir)) return fail("'" + dir + "' is not a folder (a shard written by `einfuse explore --shard`)");
    explore::ExploreResult shard;
    try {
      shard = explore::read_explore_dir(dir);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    if (shard.fidelity) studies.push_back(std::move(*shard.fidelity));
    if (!shard.has_runs()) continue;
    // Either every shard of the preset ran the other mode or none did: a half-covered other
    // mode would make a report whose two columns describe different grids.
    if (!primaries.empty() && shard.other.has_value() != !others.empty()) {
      return fail(fmt::format("'{}' {} the other cost-model mode but '{}' {}", dir,
                              shard.other ? "has" : "lacks", first_with_runs, others.empty() ? "lacks it" : "has it"));
    }
    if (primaries.empty()) first_with_runs = dir;
    primaries.push_back(std::move(shard.primary));
    if (shard.other) others.push_back(std::move(*shard.other));
  }
  explore::ExploreResult merged;
  const PresetOrder order;
  try {
    if (!primaries.empty()) {
      merged.preset = "fusemax-paper";
      merged.published = paper::published_numbers();
      merged.primary = explore::merge_runs(primaries);
      order.sort(merged.primary);
      if (!others.empty()) {
        merged.other = explore::merge_runs(others);
        order.sort(*merged.other);
      }
    }
    if (!studies.empty()) merged.fidelity = explore::fidelity::merge(studies);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  explore::write_explore_dir(o.out, merged);
  std::cout << fmt::format("merged {} shards", o.shards.size());
  if (merged.has_runs())
    std::cout << fmt::format(" ({}{}): {} attention, {} end2end, {} einsums, {} pareto rows", merged.primary.mode,
                             merged.other ? " + " + merged.other->mode : "", merged.primary.attention.size(),
                             merged.primary.end2end.size(), merged.primary.einsums.size(), merged.primary.pareto.size());
  if (merged.fidelity)
    std::cout << fmt::format("{}fidelity study: {} ladder, {} masking, {} sensitivity rows", merged.has_runs() ? "; " : ": ",
                             merged.fidelity->ladder.size(), merged.fidelity->masking.size(),
                             merged.fidelity->sensitivity.size());
  std::cout << "\nreport: " << (fs::path(o.out) / "report.html").string() << "\n";
  return kOk;
}

}  // namespace

void add_merge_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Merge the folders written by `einfuse explore --shard I/N` into one folder with the\n"
      "same CSVs and report as an unsharded run (a preset's shards, a study's, or both). Exit 1\n"
      "on a missing or malformed shard, a row given by two shards, or shards of different modes.\n\n"
      "Examples:\n"
      "  einfuse merge --out /tmp/sweep/merged /tmp/sweep/shard-*\n"
      "  scripts/sweep_parallel.sh 8 /tmp/sweep   # explore 8 shards under GNU parallel, then merge");
  cmd->add_option("--out", o->out, "output folder, written whole (an earlier explore/merge folder there is replaced, any "
                  "other non-empty folder refused)")->required();
  cmd->add_option("SHARD_DIR", o->shards, "folders written by `einfuse explore --shard`")->required();
  cmd->callback([o, &action] { action = [o] { return run_merge(*o); }; });
}

}  // namespace einfuse::cli
