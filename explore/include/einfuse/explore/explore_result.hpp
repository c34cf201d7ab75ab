// The rows a design-space exploration produces, their CSV files, and the HTML report.
// `einfuse explore` fills an ExploreResult (a preset's runs, one per cost-model mode, and/or a
// study's tables), writes the CSVs (schema in docs/explore.md) and renders report.html;
// `einfuse merge` reads the CSVs of several shards back and does the same. Nothing here
// evaluates a mapping.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/explore/fidelity_rows.hpp"

namespace einfuse::explore {

/// One design at one (model, length): a row of attention.csv / end2end.csv.
struct DesignRow {
  std::string model;      ///< "BERT", "TrXL", "T5", "XLM", or any model name
  std::string seq_len;    ///< "1K", "4K", ... "1M" (format_length of the length)
  std::string design;     ///< "unfused", "flat", "cascade", "arch", "fusemax", or any name
  double latency_s = 0;
  double energy_pj = 0;
  std::uint64_t traffic_bytes = 0;  ///< DRAM reads + writes
  double util_2d = 0;     ///< busy / latency of the 2D array (0 when it has none)
  double util_1d = 0;
  bool operator==(const DesignRow&) const = default;
};

/// Cycles one Einsum keeps one array busy (for the per-Einsum share of 2D time, Fig. 7).
struct EinsumRow {
  std::string model;
  std::string seq_len;
  std::string design;
  std::string einsum;
  std::string array;      ///< array role: "2d" or "1d"
  std::uint64_t cycles = 0;
  bool operator==(const EinsumRow&) const = default;
};

/// One point of the array-size sweep (Fig. 12): a row of pareto.csv.
struct ParetoRow {
  std::string model;
  std::int64_t pe_dim = 0;  ///< side of the square 2D array (and PEs of the 1D array)
  double latency_s = 0;
  double area_um2 = 0;
  bool operator==(const ParetoRow&) const = default;
};

/// Everything one cost-model mode produced.
struct ExploreRun {
  std::string mode;  ///< "published" (the paper's model, quirks on) or "corrected"
  std::vector<DesignRow> attention;
  std::vector<DesignRow> end2end;
  std::vector<EinsumRow> einsums;
  std::vector<ParetoRow> pareto;
};

/// A number the paper publishes, for the published-vs-ours columns of the report.
struct PublishedNumber {
  std::string what;   ///< "mean attention speedup of fusemax over flat"
  double value = 0;   ///< 6.7
  std::string unit;   ///< "x", "%", "cycles", "bytes"
  std::string source; ///< "FuseMax (MICRO 2024), Sec. VI, via shared/reference/fusemax.md"
};

struct ExploreResult {
  std::string preset;          ///< "fusemax-paper"; empty when only a study ran
  ExploreRun primary;          ///< the mode the user asked for (--published-model or not)
  std::optional<ExploreRun> other;  ///< the other mode, shown beside it in the report
  std::vector<PublishedNumber> published;
  /// The fidelity study's tables, when it ran (fidelity.hpp).
  std::optional<fidelity::Tables> fidelity;

  /// A preset ran: `primary` (and `other`) hold its runs. A folder with only a study has no
  /// mode.txt and an empty primary mode.
  bool has_runs() const { return !primary.mode.empty(); }
};

/// CSV headers (exact; tests and users depend on them):
///   attention.csv / end2end.csv: model,seq_len,design,latency_s,energy_pj,traffic_bytes,util_2d,util_1d
///   einsums.csv:                 model,seq_len,design,einsum,array,cycles
///   pareto.csv:                  model,pe_dim,latency_s,area_um2
/// Doubles are written with 17 significant digits so a merge reproduces them exactly.
void write_design_csv(std::ostream& out, const std::vector<DesignRow>& rows);
void write_einsum_csv(std::ostream& out, const std::vector<EinsumRow>& rows);
void write_pareto_csv(std::ostream& out, const std::vector<ParetoRow>& rows);

/// Readers for `einfuse merge`: throw std::runtime_error naming file:line and the column on
/// a wrong header, a wrong number of fields or a malformed number.
std::vector<DesignRow> read_design_csv(std::istream& in, const std::string& file);
std::vector<EinsumRow> read_einsum_csv(std::istream& in, const std::string& file);
std::vector<ParetoRow> read_pareto_csv(std::istream& in, const std::string& file);

/// Writes, when a preset ran, DIR/{attention,end2end,einsums,pareto}.csv for `primary` and,
/// when `other` is set, the same files under DIR/<other.mode>/, then DIR/mode.txt; when the
/// fidelity study ran, DIR/{fidelity,masking,sensitivity}.csv and DIR/fidelity.md; then
/// DIR/report.html. The folder is written whole or not at all (einsum::OutputFolder): an
/// earlier explore output at DIR (it has a mode.txt or a fidelity.csv) is replaced, any other
/// non-empty DIR is refused. Throws std::invalid_argument when there is nothing to write.
void write_explore_dir(const std::string& dir, const ExploreResult& result);

/// Reads what write_explore_dir wrote (for merge): the runs when DIR has a mode.txt, the study
/// when it has a fidelity.csv. `preset` and `published` are not stored in the CSVs and are
/// left for the caller to fill.
ExploreResult read_explore_dir(const std::string& dir);

/// Concatenates shards' rows in the order given and sorts them by (model order of first
/// appearance, length, design order of first appearance); duplicates (same key) are an
/// error naming the key.
ExploreRun merge_runs(const std::vector<ExploreRun>& shards);

/// The HTML report: for a preset, the headline table (published vs ours, both modes), the
/// paper's Figures 6-12 as inline SVG plots (utilisation per array, per-Einsum share of 2D
/// time, speedup and energy over unfused for attention and end to end, area vs latency); for
/// the fidelity study, its section (fidelity_rows.hpp); and links to the CSVs.
/// Self-contained (no script, no external resource).
std::string render_report_html(const ExploreResult& result);

}  // namespace einfuse::explore
