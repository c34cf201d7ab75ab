// einfuse explore --preset fusemax-paper: the FuseMax paper's evaluation through the cost
// model (explore/paper_grid.hpp), in the chosen cost-model mode and the other one beside it,
// written as CSVs and report.html (docs/explore.md). einfuse explore --study fidelity: the
// closed form against the simulator (explore/fidelity.hpp). `--shard i/n` runs one slice of
// the work so that `einfuse merge` (or scripts/sweep_parallel.sh) can put the slices together.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>

#include "cascade_json.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/explore/explore_result.hpp"
#include "einfuse/explore/fidelity.hpp"
#include "einfuse/explore/paper_grid.hpp"

namespace einfuse::cli {
namespace {

namespace paper = explore::paper;

const char* const kPresets[] = {"fusemax-paper"};
const char* const kStudies[] = {"fidelity"};

struct ExploreOptions {
  std::string preset;
  std::string study;
  std::string out;
  bool published_model = false;
  std::string shard;
  std::vector<std::string> models;
  std::vector<std::string> seqs;
  bool quiet = false;
};

struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
};

// "i/n" with 0 <= i < n; nullopt on anything else.
std::optional<Shard> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  Shard s;
  try {
    std::size_t used_i = 0, used_n = 0;
    const std::string i = text.substr(0, slash), n = text.substr(slash + 1);
    if (i.find_first_not_of("0123456789") != std::string::npos || n.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    s.index = std::stoull(i, &used_i);
    s.count = std::stoull(n, &used_n);
    if (used_i != i.size() || used_n != n.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (s.count == 0 || s.index >= s.count) return std::nullopt;
  return s;
}

// One updating line on a terminal; on a pipe or a file (CI logs, GNU parallel) a line per
// ~10% instead, so the log is not a wall of carriage returns.
class Progress {
 public:
  Progress(std::size_t total, bool quiet) : total_(total), quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}
  void update(std::size_t done) {
    if (quiet_ || total_ == 0) return;
    if (tty_) {
      std::cerr << fmt::format("\rexplore: {}/{} points", done, total_) << std::flush;
      if (done == total_) std::cerr << "\n";
      return;
    }
    const std::size_t decile = done * 10 / total_;
    if (decile > last_decile_ || done == total_) {
      last_decile_ = decile;
      std::cerr << fmt::format("explore: {}/{} points\n", done, total_);
    }
  }

 private:
  std::size_t total_;
  bool quiet_;
  bool tty_;
  std::size_t last_decile_ = 0;
};

// --- the closing summary: the report's headline numbers, computed the way the report does
// (docs/explore.md, "Report"), with the BERT 1K worked example in cycles.

const explore::DesignRow* find_row(const std::vector<explore::DesignRow>& rows, const std::string& model,
                                  const std::string& seq, const std::string& design) {
  for (const auto& r : rows)
    if (r.model == model && r.seq_len == seq && r.design == design) return &r;
  return nullptr;
}

// Mean over (model, length) of flat/fusemax latency (speedup) or fusemax/flat energy.
std::optional<double> mean_over_flat(const std::vector<explore::DesignRow>& rows, bool speedup) {
  double sum = 0;
  int n = 0;
  for (const auto& r : rows) {
    if (r.design != "fusemax") continue;
    const explore::DesignRow* flat = find_row(rows, r.model, r.seq_len, "flat");
    if (flat == nullptr) continue;
    sum += speedup ? flat->latency_s / r.latency_s : r.energy_pj / flat->energy_pj;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

struct Headline {
  std::string what;
  std::string published;
  std::function<std::string(const explore::ExploreRun&)> ours;
};

std::vector<Headline> headlines(std::int64_t clock_hz) {
  std::vector<Headline> h;
  for (const explore::PublishedNumber& p : paper::published_numbers()) {
    Headline line{p.what, {}, {}};
    if (p.unit == "x" || p.unit == "%") {
      const bool speedup = p.unit == "x";
      const bool attention = p.what.find("attention") != std::string::npos;
      line.published = fmt::format("{:g}{}", p.value, p.unit);
      line.ours = [speedup, attention](const explore::ExploreRun& run) {
        const auto v = mean_over_flat(attention ? run.attention : run.end2end, speedup);
        if (!v) return std::string("-");
        return speedup ? fmt::format("{:.2f}x", *v) : fmt::format("{:.1f}%", *v * 100);
      };
    } else if (p.unit == "s") {
      // The worked example is quoted in cycles; the rows hold seconds at the arch's clock.
      line.what = "BERT 1K fusemax latency (cycles)";
      line.published = with_commas(static_cast<std::uint64_t>(std::llround(p.value * static_cast<double>(clock_hz))));
      line.ours = [clock_hz](const explore::ExploreRun& run) {
        const auto* r = find_row(run.attention, "BERT", "1K", "fusemax");
        return r ? with_commas(static_cast<std::uint64_t>(std::llround(r->latency_s * static_cast<double>(clock_hz))))
                 : std::string("-");
      };
    } else if (p.unit == "bytes") {
      line.what = "BERT 1K fusemax DRAM bytes";
      line.published = with_commas(static_cast<std::uint64_t>(p.value));
      line.ours = [](const explore::ExploreRun& run) {
        const auto* r = find_row(run.attention, "BERT", "1K", "fusemax");
        return r ? with_commas(r->traffic_bytes) : std::string("-");
      };
    } else {
      line.published = fmt::format("{:.4f}", p.value);
      line.ours = [](const explore::ExploreRun& run) {
        const auto* r = find_row(run.attention, "BERT", "1K", "fusemax");
        return r ? fmt::format("{:.4f}", r->util_2d) : std::string("-");
      };
    }
    h.push_back(std::move(line));
  }
  return h;
}

void print_summary(const explore::ExploreResult& result, std::int64_t clock_hz) {
  const std::string primary = "ours (" + result.primary.mode + ")";
  const std::string other = result.other ? "ours (" + result.other->mode + ")" : "";
  std::cout << fmt::format("{:<40} {:>14} {:>20} {:>20}\n", "headline", "published", primary, other);
  for (const Headline& h : headlines(clock_hz)) {
    std::cout << fmt::format("{:<40} {:>14} {:>20} {:>20}\n", h.what, h.published, h.ours(result.primary),
                             result.other ? h.ours(*result.other) : "");
  }
}

// --- the command

template <std::size_t N>
std::string names_of(const char* const (&names)[N]) {
  std::string s;
  for (const char* p : names) s += (s.empty() ? "" : ", ") + std::string(p);
  return s;
}

template <std::size_t N>
bool known(const char* const (&names)[N], const std::string& name) {
  for (const char* p : names)
    if (name == p) return true;
  return false;
}

class BadInput : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The models and lengths to run (--models, --seq). Every model must load and have a FLAT
// dataflow at every length before an hour-long sweep starts, not at the first point that
// needs it.
void choose_points(const ExploreOptions& o, const mapper::paper::Context& ctx, std::vector<std::string>& models,
                   std::vector<std::int64_t>& seq_lens) {
  if (!o.models.empty()) models = o.models;
  if (!o.seqs.empty()) {
    seq_lens.clear();
    for (const std::string& s : o.seqs) {
      try {
        seq_lens.push_back(einsum::parse_length(s));
      } catch (const std::invalid_argument& e) {
        throw BadInput(fmt::format("--seq '{}': {} (expected 1K, 64K, 1M, ...)", s, e.what()));
      }
    }
  }
  for (std::string& name : models) {
    const einsum::ModelSpec m = einsum::load_model(name, ctx.models_dir);
    name = m.name;
    for (std::int64_t len : seq_lens) {
      try {
        (void)ctx.flat_dataflow(m.name, mapper::paper::length_label(len));
      } catch (const std::exception& e) {
        throw BadInput(e.what());
      }
    }
  }
}

// The study's cycles table (the first of its summary) as text: the ladder at a glance.
void print_study_summary(const explore::fidelity::Tables& tables) {
  const auto summary = explore::fidelity::summary_tables(tables);
  if (summary.empty()) return;
  const explore::fidelity::TextTable& t = summary.front();
  std::vector<std::size_t> width(t.header.size(), 0);
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    width[c] = t.header[c].size();
    for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
  }
  // Numbers right-aligned, text left-aligned (headers as their column), two spaces between.
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c)
      text += (c ? "  " : "") + (t.numeric[c] ? fmt::format("{:>{}}", cells[c], width[c])
                                              : fmt::format("{:<{}}", cells[c], width[c]));
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::cout << text << "\n";
  };
  std::cout << t.title << "\n";
  line(t.header);
  for (const auto& row : t.rows) line(row);
}

int run_study(const ExploreOptions& o, const Shard& shard) {
  if (o.published_model) throw BadInput("--published-model applies to --preset (the study reports both models' latency)");
  mapper::paper::Context ctx = mapper::paper::Context::load_default();
  explore::fidelity::Config config;
  choose_points(o, ctx, config.models, config.seq_lens);
  // The masking and sensitivity parts run on the first model, at those of their lengths that
  // --seq names (all of them without --seq).
  config.focus_model = config.models.front();
  if (!o.seqs.empty())
    for (std::vector<std::int64_t>* lens : {&config.masking_seq_lens, &config.sensitivity_seq_lens})
      std::erase_if(*lens, [&](std::int64_t n) {
        return std::find(config.seq_lens.begin(), config.seq_lens.end(), n) == config.seq_lens.end();
      });
  const std::size_t total = explore::fidelity::study_items(config);
  std::size_t mine = 0;
  for (std::size_t i = shard.index; i < total; i += shard.count) ++mine;
  Progress progress(mine, o.quiet);
  const auto start = std::chrono::steady_clock::now();
  explore::ExploreResult result;
  result.fidelity = explore::fidelity::run_study(ctx, config, shard.index, shard.count,
                                                 [&](std::size_t done, std::size_t) { progress.update(done); });
  explore::write_explore_dir(o.out, result);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("explore --study {}: {} rows{} in {:.1f} s\n", o.study, mine,
                           shard.count > 1 ? fmt::format(", shard {}/{} of {}", shard.index, shard.count, total)
                                           : std::string(),
                           seconds);
  print_study_summary(*result.fidelity);
  if (shard.count > 1) std::cout << "(a shard: `einfuse merge` the shards)\n";
  std::cout << "summary: " << (std::filesystem::path(o.out) / "fidelity.md").string() << "\n";
  std::cout << "report: " << (std::filesystem::path(o.out) / "report.html").string() << "\n";
  return kOk;
}

int run_preset(const ExploreOptions& o, const Shard& shard) {
  mapper::paper::Context ctx = mapper::paper::Context::load_default();
  paper::Grid grid;
  choose_points(o, ctx, grid.models, grid.seq_lens);

  std::size_t mine = 0;
  for (std::size_t i = shard.index; i < paper::grid_items(grid); i += shard.count) ++mine;
  Progress progress(2 * mine, o.quiet);
  const auto start = std::chrono::steady_clock::now();
  explore::ExploreResult result;
  result.preset = o.preset;
  result.published = paper::published_numbers();
  // Primary mode first, then the other; progress counts both as one run.
  result.primary = paper::run_grid(ctx, grid, o.published_model, shard.index, shard.count,
                                   [&](std::size_t done, std::size_t) { progress.update(done); });
  result.other = paper::run_grid(ctx, grid, !o.published_model, shard.index, shard.count,
                                 [&](std::size_t done, std::size_t) { progress.update(mine + done); });
  explore::write_explore_dir(o.out, result);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << fmt::format("explore {}: {} points x 2 modes ({} primary){} in {:.2f} s\n", o.preset, mine,
                           result.primary.mode,
                           shard.count > 1 ? fmt::format(", shard {}/{} of {}", shard.index, shard.count,
                                                         paper::grid_items(grid))
                                           : std::string(),
                           seconds);
  print_summary(result, ctx.arch("fusemax").clock_hz);
  if (shard.count > 1) std::cout << "(a shard: the means cover only its points; `einfuse merge` the shards)\n";
  std::cout << "report: " << (std::filesystem::path(o.out) / "report.html").string() << "\n";
  return kOk;
}

int run_explore(const ExploreOptions& o) {
  auto bad = [](const std::string& message) {
    std::cerr << "einfuse explore: error: " << message << "\n";
    return kBadInput;
  };
  if (o.preset.empty() == o.study.empty())
    return bad(fmt::format("give one of --preset ({}) or --study ({})", names_of(kPresets), names_of(kStudies)));
  if (!o.preset.empty() && !known(kPresets, o.preset))
    return bad(fmt::format("unknown preset '{}'; presets: {}", o.preset, names_of(kPresets)));
  if (!o.study.empty() && !known(kStudies, o.study))
    return bad(fmt::format("unknown study '{}'; studies: {}", o.study, names_of(kStudies)));
  Shard shard;
  if (!o.shard.empty()) {
    const auto s = parse_shard(o.shard);
    if (!s) return bad(fmt::format("--shard '{}' must be I/N with 0 <= I < N, e.g. 0/4", o.shard));
    shard = *s;
  }
  try {
    return o.study.empty() ? run_preset(o, shard) : run_study(o, shard);
  } catch (const BadInput& e) {
    return bad(e.what());
  }
}

}  // namespace

void add_explore_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<ExploreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explore",
      "Run a preset's design-space exploration through the cost model, in the chosen mode and\n"
      "the other beside it, and write attention.csv, end2end.csv, einsums.csv, pareto.csv and\n"
      "report.html; or run a study of the cost model against the simulator: --study fidelity\n"
      "writes fidelity.csv, masking.csv, sensitivity.csv, fidelity.md and report.html\n"
      "(docs/explore.md).\n\n"
      "Examples:\n"
      "  einfuse explore --preset fusemax-paper --out /tmp/fusemax\n"
      "  einfuse explore --preset fusemax-paper --out /tmp/bert --models BERT --seq 1K,64K\n"
      "  einfuse explore --preset fusemax-paper --shard 3/16 --out /tmp/sweep/shard-3\n"
      "  einfuse explore --study fidelity --out /tmp/fidelity            # BERT, XLM at 1K to 64K\n"
      "  einfuse explore --study fidelity --seq 1K,4K --out /tmp/quick     # a few seconds\n"
      "  einfuse explore --study fidelity --shard 0/8 --out /tmp/fid/shard-0");
  cmd->add_option("--preset", o->preset, "what to explore: fusemax-paper");
  cmd->add_option("--study", o->study, "a study instead of a preset: fidelity (the closed form against the simulator)");
  cmd->add_option("--out", o->out, "output folder, written whole (an earlier explore/merge folder there is replaced, any "
                  "other non-empty folder refused)")->required();
  cmd->add_flag("--published-model", o->published_model,
                "primary mode: the paper's model with its known quirks (default: the corrected model)");
  cmd->add_option("--shard", o->shard, "run only shard I of N (0-based): items I, I+N, ...; merge with `einfuse merge`");
  cmd->add_option("--models", o->models,
                  "models to run (default BERT,TrXL,T5,XLM; the study: BERT,XLM, masking and sensitivity on the first)")
      ->delimiter(',');
  cmd->add_option("--seq", o->seqs,
                  "sequence lengths (default 1K,4K,16K,64K,256K,1M; the study: 1K,4K,16K,64K, masking and "
                  "sensitivity 1K,4K, those of them given here)")
      ->delimiter(',');
  cmd->add_flag("--quiet", o->quiet, "no progress on stderr");
  cmd->callback([o, &action] { action = [o] { return run_explore(*o); }; });
}

}  // namespace einfuse::cli
