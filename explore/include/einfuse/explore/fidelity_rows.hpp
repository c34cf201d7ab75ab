// The fidelity study's tables (fidelity.hpp runs it; docs/explore.md, "The fidelity study"):
// one row per (design, model, length, setting) holding the closed form's latency and the
// simulator's cycles with every array's busy cycles and stalls by cause, written as
// fidelity.csv (the ladder), masking.csv and sensitivity.csv, merged across shards, and
// summarised as tables (fidelity.md and a section of report.html). Nothing here simulates.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace einfuse::explore::fidelity {

/// The causes of isa::StallCause, in its order (the CSV's column order).
enum class Cause : std::size_t { producer, buffer_port, dram, downstream_space, barrier, fill_drain };
inline constexpr std::size_t kCauses = 6;
inline constexpr std::array<const char*, kCauses> kCauseNames = {"producer", "buffer_port", "dram",
                                                                 "downstream_space", "barrier", "fill_drain"};

/// What one array did in a run: busy, and every other cycle charged to one cause.
struct ArrayTime {
  std::uint64_t busy = 0;
  std::array<std::uint64_t, kCauses> stalls{};
  std::uint64_t total() const;  ///< busy + Σ stalls: the run's cycles when the run finished
  std::uint64_t stall(Cause c) const { return stalls[static_cast<std::size_t>(c)]; }
  bool operator==(const ArrayTime&) const = default;
};

struct Row {
  std::string design;   ///< "fusemax", "arch", "flat" (paper::design_name)
  std::string model;    ///< "BERT", "XLM", ...
  std::string seq_len;  ///< "1K", "4K", ... (paper::length_label)
  std::string setting;  ///< what was simulated: a ladder rung, "rung:variant" (masking), a knob (sensitivity)
  std::string status;   ///< "ok", or "deadlock" (the run could not finish; cycles and times are 0)
  std::uint64_t cycles = 0;                 ///< simulated cycles of the whole layer
  std::uint64_t cost_cycles = 0;            ///< the closed form (mapper::evaluate), corrected model
  std::uint64_t cost_published_cycles = 0;  ///< the same in the published model
  std::uint64_t cost_dram_cycles = 0;       ///< the closed form's DRAM time
  std::uint64_t cost_busy_2d = 0, cost_busy_1d = 0;  ///< the closed form's busy cycles per array
  ArrayTime sim_2d, sim_1d;                 ///< the simulator's, per array
  std::uint64_t dram_bytes = 0;             ///< moved by the simulated DMA
  std::string note;                         ///< how the layer was run; for a deadlock, why

  double ratio() const;    ///< cycles / cost_cycles (0 for a deadlock)
  double util_2d() const;  ///< sim_2d.busy / cycles (0 for a deadlock)
  double util_1d() const;
  double cost_util_2d() const;  ///< cost_busy_2d / cost_cycles
  double cost_util_1d() const;
  bool operator==(const Row&) const = default;
};

/// The study's three tables.
struct Tables {
  std::vector<Row> ladder;       ///< fidelity.csv: every design, model, length and ladder rung
  std::vector<Row> masking;      ///< masking.csv: causal masking, real tiles vs uniform spreading
  std::vector<Row> sensitivity;  ///< sensitivity.csv: FuseMax under other buffer and channel sizes
  bool operator==(const Tables&) const = default;
};

/// The CSV header of all three files (exact; docs/explore.md):
///   design,model,seq_len,setting,status,cycles,ratio,util_2d,util_1d,cost_cycles,
///   cost_published_cycles,cost_dram_cycles,cost_busy_2d,cost_busy_1d,cost_util_2d,
///   cost_util_1d,busy_2d,producer_2d,...,fill_drain_2d,busy_1d,producer_1d,...,
///   fill_drain_1d,dram_bytes,note
/// ratio and the utilisations are written for the reader (17 significant digits) and
/// recomputed, not trusted, when the file is read back.
void write_csv(std::ostream& out, const std::vector<Row>& rows);
/// Strict: throws std::runtime_error naming file:line and the column on a wrong header, a
/// wrong number of fields, a malformed number or an unknown status.
std::vector<Row> read_csv(std::istream& in, const std::string& file);

/// The order every table is kept in, whatever the order the rows were made or merged in:
/// design (fusemax, arch, flat, then others by name), model (BERT, TrXL, T5, XLM, then
/// others by name), length by value, setting (the study's order, then others by name).
void sort_rows(std::vector<Row>& rows);
void sort_tables(Tables& t);

/// Concatenates shards' tables and sorts them; a (design, model, seq_len, setting) given
/// twice in one table is an error naming it.
Tables merge(const std::vector<Tables>& shards);

/// A table of text for the summary: rendered as markdown (fidelity.md) and as HTML (the
/// report), so both say the same thing.
struct TextTable {
  std::string id;       ///< anchor in the report
  std::string title;
  std::string caption;  ///< one paragraph: what the table shows, how to read it
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  ///< by column: right-aligned
};

/// The summary tables (docs/explore.md lists them): the ladder's cycles and ratios, the
/// utilisations beside the closed form's, each step's gap split by cause, FLAT's overlap,
/// causal masking, the sensitivity of +Binding to buffer and channel sizes.
std::vector<TextTable> summary_tables(const Tables& t);

/// fidelity.md: the summary tables as markdown, with a line on how the study was run.
std::string render_markdown(const Tables& t);

/// The report's section (inline SVG plots and the summary tables); "" when `t` is empty.
std::string render_report_section(const Tables& t);

}  // namespace einfuse::explore::fidelity
