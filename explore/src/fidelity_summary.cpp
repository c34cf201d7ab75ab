// The fidelity study's summary (fidelity_rows.hpp): tables of text computed from the rows,
// rendered as markdown here (fidelity.md) and as HTML by fidelity_report.cpp, so the two say
// the same thing. Every number is computed from the rows; nothing is typed in.
#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "einfuse/explore/fidelity_rows.hpp"
#include "fidelity_lookup.hpp"
#include "fidelity_settings.hpp"
#include "html.hpp"

namespace einfuse::explore::fidelity {
namespace {

using html::grouped;
using html::printf_f;

const std::string kDash = html::kDash;

using detail::find;
using detail::ok;
using detail::Point;
using detail::points_of;

std::string ratio_text(double v) { return printf_f(v, 2) + "x"; }

std::string cycles_with_ratio(const Row* r) {
  if (r == nullptr) return kDash;
  if (!ok(r)) return r->status;
  return grouped(r->cycles) + " (" + ratio_text(r->ratio()) + ")";
}

std::string utils(double u2, double u1) { return printf_f(u2, 3) + " / " + printf_f(u1, 3); }

std::string signed_count(std::int64_t v) {
  if (v == 0) return "0";
  std::string sign = v > 0 ? "+" : "-";
  return sign + grouped(static_cast<std::uint64_t>(v > 0 ? v : -v));
}

std::int64_t diff(std::uint64_t a, std::uint64_t b) { return static_cast<std::int64_t>(a) - static_cast<std::int64_t>(b); }

std::vector<std::string> rung_names() {
  std::vector<std::string> names;
  for (const detail::Rung& r : detail::ladder()) names.push_back(r.name);
  return names;
}

std::vector<bool> numeric_after(std::size_t text_columns, std::size_t columns) {
  std::vector<bool> n(columns, true);
  for (std::size_t i = 0; i < text_columns && i < columns; ++i) n[i] = false;
  return n;
}

// A table of one cell per (point, rung): the closed form's cell from the first rung's row,
// then `cell` of each rung's row (nullptr when the rung did not run).
template <class ClosedCell, class Cell>
TextTable ladder_table(std::string id, std::string title, std::string note, const std::vector<Row>& ladder,
                       ClosedCell closed, Cell cell) {
  TextTable t{std::move(id), std::move(title), std::move(note), {"design", "model", "seq_len", "closed form"}, {}, {}};
  for (const std::string& n : rung_names()) t.header.push_back(n);
  for (const Point& p : points_of(ladder)) {
    const Row* first = find(ladder, p, rung_names().front());
    std::vector<std::string> row = {std::get<0>(p), std::get<1>(p), std::get<2>(p), first ? closed(*first) : kDash};
    for (const std::string& n : rung_names()) row.push_back(cell(find(ladder, p, n)));
    t.rows.push_back(std::move(row));
  }
  t.numeric = numeric_after(3, t.header.size());
  return t;
}

TextTable cycles_table(const std::vector<Row>& ladder) {
  return ladder_table("fidelity-cycles", "Cycles: the closed form and each rung of the ladder",
                      "Simulated cycles of one layer's attention and, in brackets, the ratio to the closed form "
                      "(mapper::evaluate, corrected model; the published model's latency is the same at every "
                      "point). Each rung changes one effect of its base rung (the list above).",
                      ladder, [](const Row& r) { return grouped(r.cost_cycles); },
                      [](const Row* r) { return cycles_with_ratio(r); });
}

TextTable utilisation_table(const std::vector<Row>& ladder) {
  return ladder_table("fidelity-utilisation", "Utilisation of the 2D / 1D arrays",
                      "Busy cycles over the run's cycles, 2D / 1D. The closed form's column is the published model's "
                      "utilisation, which the paper reports (FuseMax BERT: 0.89 at 1K rising to 0.99; FLAT's 2D array "
                      "12.5%, 25% for XLM).",
                      ladder, [](const Row& r) { return utils(r.cost_util_2d(), r.cost_util_1d()); },
                      [](const Row* r) { return ok(r) ? utils(r->util_2d(), r->util_1d()) : r ? r->status : kDash; });
}

// Each step's gap, per array: Δcycles = Δbusy + Σ Δstalls (every cycle of a finished run is
// charged to busy or one cause). The first step starts from the closed form, whose idle
// cycles have no cause: they are the "closed-form idle" column.
TextTable gaps_table(const std::vector<Row>& ladder) {
  TextTable t{"fidelity-gaps", "Each step's gap, split by cause",
              "For each rung, the cycles it adds to its base rung (the first rung: to the closed form) and, "
              "per array, how the busy cycles and each stall cause changed. Per array the columns add up to "
              "the gap (for a layer extrapolated from 2 and 3 slices, up to the extrapolation's error). A "
              "step from or to a deadlocked run has no split.",
              {"design", "model", "seq_len", "step", "gap", "array", "busy"}, {}, {}};
  for (const char* c : kCauseNames) t.header.push_back(c);
  t.header.push_back("closed-form idle");
  for (const Point& p : points_of(ladder))
    for (const detail::Rung& rung : detail::ladder()) {
      const Row* now = find(ladder, p, rung.name);
      const bool first = rung.base.empty();
      const Row* before = first ? nullptr : find(ladder, p, rung.base);
      if (now == nullptr) continue;
      const std::vector<std::string> lead = {std::get<0>(p), std::get<1>(p), std::get<2>(p),
                                             (first ? "closed form" : rung.base) + " -> " + rung.name};
      if (!ok(now) || (!first && !ok(before))) {
        std::vector<std::string> row = lead;
        row.push_back(!ok(now) ? now->status : "after a " + (before ? before->status : std::string("missing run")));
        row.resize(t.header.size(), kDash);
        t.rows.push_back(std::move(row));
        continue;
      }
      const std::uint64_t base = first ? now->cost_cycles : before->cycles;
      for (const auto& [name, time, cost_busy] :
           {std::tuple{"2d", &Row::sim_2d, &Row::cost_busy_2d}, std::tuple{"1d", &Row::sim_1d, &Row::cost_busy_1d}}) {
        const ArrayTime& a = now->*time;
        if (a.total() == 0) continue;  // the arch has no such array
        std::vector<std::string> row = lead;
        row.push_back(signed_count(diff(now->cycles, base)));
        row.push_back(name);
        const ArrayTime b = first ? ArrayTime{now->*cost_busy, {}} : before->*time;
        row.push_back(signed_count(diff(a.busy, b.busy)));
        for (std::size_t c = 0; c < kCauses; ++c) row.push_back(signed_count(diff(a.stalls[c], b.stalls[c])));
        row.push_back(first ? signed_count(-diff(now->cost_cycles, now->*cost_busy)) : "0");
        t.rows.push_back(std::move(row));
      }
    }
  t.numeric = numeric_after(4, t.header.size());
  t.numeric[5] = false;
  return t;
}

// The cause with most cycles in an array's stalls.
std::string top_cause(const ArrayTime& a) {
  const auto it = std::max_element(a.stalls.begin(), a.stalls.end());
  if (*it == 0) return "none";
  return std::string(kCauseNames[static_cast<std::size_t>(it - a.stalls.begin())]) + " " + grouped(*it);
}

TextTable flat_table(const std::vector<Row>& ladder) {
  TextTable t{"fidelity-flat", "FLAT: does max(2D, 1D, DRAM) hold?",
              "The published model takes FLAT's latency as the largest of its 2D time, 1D time and DRAM time "
              "(perfect overlap). 2D + 1D is the latency with no overlap between the arrays. The last column "
              "names the largest stall of the array the closed form says binds, at the last rung that finished.",
              {"model", "seq_len", "2D busy", "1D busy", "DRAM", "closed form", "2D + 1D"}, {}, {}};
  for (const std::string& n : rung_names()) t.header.push_back(n);
  t.header.push_back("binding array's largest stall");
  for (const Point& p : points_of(ladder)) {
    if (std::get<0>(p) != "flat") continue;
    const Row* first = find(ladder, p, rung_names().front());
    if (first == nullptr) continue;
    const bool two_d = first->cost_busy_2d >= first->cost_busy_1d;
    const std::uint64_t binding = std::max(first->cost_busy_2d, first->cost_busy_1d);
    std::string bound = binding >= first->cost_dram_cycles ? (two_d ? "2D" : "1D") : "DRAM";
    std::vector<std::string> row = {std::get<1>(p),
                                    std::get<2>(p),
                                    grouped(first->cost_busy_2d),
                                    grouped(first->cost_busy_1d),
                                    grouped(first->cost_dram_cycles),
                                    grouped(first->cost_cycles) + " (" + bound + ")",
                                    grouped(first->cost_busy_2d + first->cost_busy_1d)};
    const Row* last = nullptr;
    for (const std::string& n : rung_names()) {
      const Row* r = find(ladder, p, n);
      row.push_back(cycles_with_ratio(r));
      if (ok(r)) last = r;
    }
    row.push_back(last ? last->setting + ": " + top_cause(two_d ? last->sim_2d : last->sim_1d) : kDash);
    t.rows.push_back(std::move(row));
  }
  t.numeric = numeric_after(2, t.header.size());
  t.numeric.back() = false;
  return t;
}

TextTable masking_table(const std::vector<Row>& masking) {
  TextTable t{"fidelity-masking", "Causal masking: real tiles vs uniform spreading",
              "causal_1pass.ein on FuseMax's paper mapping, each tile costed from the real mask (all-masked "
              "tiles skipped) or with the masked points spread uniformly over the tiles (as the Schedule and "
              "the closed form spread them), beside the unmasked softmax_1pass.ein on the same mapping.",
              {"model", "seq_len", "rung", "closed form causal", "uniform", "real mask", "real / uniform",
               "closed form dense", "dense", "real / dense", "closed form causal / dense"},
              {},
              {}};
  std::vector<std::pair<std::string, std::string>> points;
  for (const Row& r : masking)
    if (std::find(points.begin(), points.end(), std::pair{r.model, r.seq_len}) == points.end())
      points.emplace_back(r.model, r.seq_len);
  auto cell = [](const Row* r) { return r == nullptr ? kDash : ok(r) ? grouped(r->cycles) : r->status; };
  auto quotient = [](const Row* a, const Row* b) {
    return ok(a) && ok(b) && b->cycles ? printf_f(static_cast<double>(a->cycles) / static_cast<double>(b->cycles), 3) : kDash;
  };
  for (const auto& [model, len] : points)
    for (const std::string& rung : rung_names()) {
      const Point p{"fusemax", model, len};
      const Row* real = find(masking, p, detail::masking_setting(rung, "real_mask"));
      const Row* uniform = find(masking, p, detail::masking_setting(rung, "uniform"));
      const Row* dense = find(masking, p, detail::masking_setting(rung, "dense"));
      if (real == nullptr && uniform == nullptr && dense == nullptr) continue;
      const Row* any = real ? real : uniform ? uniform : dense;
      const std::string cost_causal = real ? grouped(real->cost_cycles) : uniform ? grouped(uniform->cost_cycles) : kDash;
      const std::string cost_ratio =
          (real || uniform) && dense ? printf_f(static_cast<double>((real ? real : uniform)->cost_cycles) /
                                                    static_cast<double>(dense->cost_cycles),
                                                3)
                                     : kDash;
      t.rows.push_back({any->model, any->seq_len, rung, cost_causal, cell(uniform), cell(real), quotient(real, uniform),
                        dense ? grouped(dense->cost_cycles) : kDash, cell(dense), quotient(real, dense), cost_ratio});
    }
  t.numeric = numeric_after(3, t.header.size());
  return t;
}

TextTable sensitivity_table(const std::vector<Row>& rows) {
  TextTable t{"fidelity-sensitivity", "Sensitivity to buffer and channel sizes",
              "FuseMax (+Binding) and FLAT at the top rung (structural timing, the arch's channels, HBM2) with one knob changed "
              "from the arch spec: the global buffer's banks and ports, the DMA's prefetch depth, the handoff "
              "buffers between the arrays, the buffer's capacity; `generous` sets every channel to the "
              "largest value swept; \"(arch spec)\" marks the arch spec's own value. A deadlock (the buffer too small "
              "for what a stage holds) is a result.",
              {"design", "model", "seq_len", "setting", "cycles", "ratio", "util 2D", "util 1D", "2D buffer_port",
               "2D producer", "2D downstream_space", "1D buffer_port", "1D producer"},
              {},
              {}};
  for (const Row& r : rows) {
    if (!ok(&r)) {
      std::vector<std::string> row = {r.design, r.model, r.seq_len, r.setting, r.status};
      row.resize(t.header.size(), kDash);
      t.rows.push_back(std::move(row));
      continue;
    }
    const bool shipped = r.note.ends_with(detail::kAsShipped);
    t.rows.push_back({r.design, r.model, r.seq_len, r.setting + (shipped ? " (arch spec)" : ""), grouped(r.cycles),
                      ratio_text(r.ratio()), printf_f(r.util_2d(), 3), printf_f(r.util_1d(), 3),
                      grouped(r.sim_2d.stall(Cause::buffer_port)), grouped(r.sim_2d.stall(Cause::producer)),
                      grouped(r.sim_2d.stall(Cause::downstream_space)), grouped(r.sim_1d.stall(Cause::buffer_port)),
                      grouped(r.sim_1d.stall(Cause::producer))});
  }
  t.numeric = numeric_after(4, t.header.size());
  return t;
}

TextTable deadlock_table(const Tables& t) {
  TextTable d{"fidelity-deadlocks", "Runs that deadlocked",
              "Every unit waited for something only another waiting unit could give; the simulator names the "
              "cycle and what each unit waited for.",
              {"table", "design", "model", "seq_len", "setting", "what the units waited for"},
              {},
              {}};
  for (const auto& [name, rows] : {std::pair{"fidelity", &t.ladder}, std::pair{"masking", &t.masking},
                                   std::pair{"sensitivity", &t.sensitivity}})
    for (const Row& r : *rows)
      if (!ok(&r)) d.rows.push_back({name, r.design, r.model, r.seq_len, r.setting, r.note});
  d.numeric.assign(d.header.size(), false);
  return d;
}

// A table row: "| a | b |" with any '|' in a cell escaped.
std::string markdown_row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& text : cells) {
    out += ' ';
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c == '\n' ? ' ' : c;
    }
    out += " |";
  }
  return out + "\n";
}

}  // namespace

std::vector<TextTable> summary_tables(const Tables& t) {
  std::vector<TextTable> out;
  if (!t.ladder.empty()) {
    out.push_back(cycles_table(t.ladder));
    out.push_back(utilisation_table(t.ladder));
    out.push_back(gaps_table(t.ladder));
    TextTable flat = flat_table(t.ladder);
    if (!flat.rows.empty()) out.push_back(std::move(flat));
  }
  if (!t.masking.empty()) out.push_back(masking_table(t.masking));
  if (!t.sensitivity.empty()) out.push_back(sensitivity_table(t.sensitivity));
  TextTable deadlocks = deadlock_table(t);
  if (!deadlocks.rows.empty()) out.push_back(std::move(deadlocks));
  return out;
}

std::string render_markdown(const Tables& t) {
  std::string md = "# Fidelity study\n\nThe closed-form cost model against the SystemC simulator, one effect at a "
                   "time (docs/explore.md, \"The fidelity study\"; the reading: docs/sim-fidelity.md). The ladder's "
                   "rungs, each changing one effect of its base:\n\n";
  for (const detail::Rung& r : detail::ladder())
    md += "- `" + r.name + "`" + (r.base.empty() ? std::string() : " (on `" + r.base + "`)") + ": " + r.adds + "\n";
  md += "\nData: fidelity.csv, masking.csv, sensitivity.csv (one row per design, model, length and setting).\n";
  for (const TextTable& table : summary_tables(t)) {
    md += "\n## " + table.title + "\n\n" + table.caption + "\n\n" + markdown_row(table.header) + "|";
    for (std::size_t c = 0; c < table.header.size(); ++c) md += table.numeric[c] ? " ---: |" : " --- |";
    md += "\n";
    for (const auto& row : table.rows) md += markdown_row(row);
  }
  return md;
}

}  // namespace einfuse::explore::fidelity
