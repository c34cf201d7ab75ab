// The exploration report (explore_result.hpp, docs/explore.md): one self-contained HTML
// page with the headline numbers (published vs ours, both cost-model modes) and the
// FuseMax paper's Figures 6-12 as inline SVG. The report computes every "ours" number from
// the rows itself rather than taking it from the explorer, so what it shows is exactly what
// the CSVs beside it say. Missing data never aborts the report: a section says what it
// lacks instead.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/explore/explore_result.hpp"
#include "html.hpp"
#include "svg_plot.hpp"

namespace einfuse::explore {
namespace {

using svg::escape_xml;
using html::figure;
using html::grouped;
using html::kDash;
using html::kNaN;
using html::missing;
using html::printf_f;
using html::printf_g;

/// Values in order of first appearance.
template <typename Rows, typename Get>
std::vector<std::string> first_seen(const Rows& rows, Get get) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    const std::string v = get(r);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

using Point = std::pair<std::string, std::string>;  // (model, seq_len)

std::vector<Point> points_of(const std::vector<DesignRow>& rows) {
  std::vector<Point> out;
  for (const DesignRow& r : rows) {
    const Point p{r.model, r.seq_len};
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

std::string point_name(const Point& p) { return p.first + " " + p.second; }

const DesignRow* find_row(const std::vector<DesignRow>& rows, const std::string& model,
                          const std::string& seq, const std::string& design) {
  for (const DesignRow& r : rows) {
    if (r.model == model && r.seq_len == seq && r.design == design) return &r;
  }
  return nullptr;
}

/// FuseMax over FLAT at one point; NaN where either row is missing.
struct Ratio {
  double speedup = kNaN;  ///< flat latency / fusemax latency
  double energy = kNaN;   ///< fusemax energy / flat energy
};

Ratio fusemax_over_flat(const std::vector<DesignRow>& rows, const Point& p) {
  const DesignRow* flat = find_row(rows, p.first, p.second, "flat");
  const DesignRow* fuse = find_row(rows, p.first, p.second, "fusemax");
  if (flat == nullptr || fuse == nullptr) return {};
  return {flat->latency_s / fuse->latency_s, fuse->energy_pj / flat->energy_pj};
}

// Arithmetic mean over the points that have both designs (the paper averages its 24).
std::optional<Ratio> mean_ratio(const std::vector<DesignRow>& rows) {
  double speedup = 0, energy = 0;
  int n = 0;
  for (const Point& p : points_of(rows)) {
    const Ratio r = fusemax_over_flat(rows, p);
    if (std::isnan(r.speedup)) continue;
    speedup += r.speedup;
    energy += r.energy;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return Ratio{speedup / n, energy / n};
}

enum class Kind { Speedup, EnergyShare, Fraction, Seconds, Bytes };

/// Our value for a published key: known says whether the key is one the report computes.
struct Ours {
  bool known = false;
  Kind kind = Kind::Speedup;
  std::optional<double> value;
};

Ours compute(const std::string& what, const ExploreRun& run) {
  const auto mean = [&](const std::vector<DesignRow>& rows, bool speedup) {
    Ours o{true, speedup ? Kind::Speedup : Kind::EnergyShare, std::nullopt};
    if (const auto m = mean_ratio(rows)) o.value = speedup ? m->speedup : m->energy;
    return o;
  };
  if (what == "mean attention speedup fusemax/flat") return mean(run.attention, true);
  if (what == "mean attention energy fusemax/flat") return mean(run.attention, false);
  if (what == "mean end2end speedup fusemax/flat") return mean(run.end2end, true);
  if (what == "mean end2end energy fusemax/flat") return mean(run.end2end, false);
  const DesignRow* bert = find_row(run.attention, "BERT", "1K", "fusemax");
  const auto field = [&](Kind kind, double DesignRow::*member) {
    Ours o{true, kind, std::nullopt};
    if (bert != nullptr) o.value = bert->*member;
    return o;
  };
  if (what == "BERT 1K fusemax 2D utilisation") return field(Kind::Fraction, &DesignRow::util_2d);
  if (what == "BERT 1K fusemax latency") return field(Kind::Seconds, &DesignRow::latency_s);
  if (what == "BERT 1K fusemax traffic") {
    Ours o{true, Kind::Bytes, std::nullopt};
    if (bert != nullptr) o.value = static_cast<double>(bert->traffic_bytes);
    return o;
  }
  return {};
}

std::string with_unit(const std::string& number, const std::string& unit) {
  if (unit.empty()) return number;
  if (unit == "x" || unit == "%") return number + unit;
  return number + " " + unit;
}

std::string format_published(const PublishedNumber& p) {
  const bool whole = std::fabs(p.value) < 1e15 && p.value == std::floor(p.value);
  const std::string number = whole && p.value >= 0 ? grouped(static_cast<std::uint64_t>(p.value))
                                                   : printf_g(p.value, 6);
  return with_unit(number, p.unit);
}

// Ours in the published number's unit where the two can be compared directly.
std::string format_ours(const Ours& o, const std::string& unit) {
  if (!o.known || !o.value) return kDash;
  const double v = *o.value;
  switch (o.kind) {
    case Kind::Speedup: return printf_f(v, 2) + "x";
    case Kind::EnergyShare: return printf_f(v * 100, 1) + "%";
    case Kind::Fraction: return unit == "%" ? printf_f(v * 100, 1) + "%" : printf_f(v, 4);
    case Kind::Bytes: return grouped(static_cast<std::uint64_t>(v)) + " bytes";
    case Kind::Seconds: {
      const std::pair<const char*, double> scales[] = {
          {"s", 1}, {"ms", 1e3}, {"us", 1e6}, {"\xC2\xB5s", 1e6}, {"ns", 1e9}};
      for (const auto& [name, scale] : scales) {
        if (unit == name) return printf_g(v * scale, 5) + " " + unit;
      }
      return printf_g(v, 5) + " s";
    }
  }
  return kDash;
}

std::string mode_note(const std::string& mode) {
  if (mode == "published") return "the paper's model with its quirks";
  if (mode == "corrected") return "the default model";
  return "a cost-model mode";
}

// --- sections -----------------------------------------------------------------------------

std::string headline(const ExploreResult& result) {
  const ExploreRun& p = result.primary;
  const ExploreRun* o = result.other ? &*result.other : nullptr;
  std::string h = "<h2 id=\"headline\">Headline numbers</h2>\n";
  if (result.published.empty()) {
    h += missing("No published numbers were given for this preset.");
  } else {
    h += "<table>\n<tr><th>what</th><th>published</th><th>ours (" + escape_xml(p.mode) + ")</th>";
    if (o) h += "<th>ours (" + escape_xml(o->mode) + ")</th>";
    h += "<th>source</th></tr>\n";
    for (const PublishedNumber& n : result.published) {
      h += "<tr><td>" + escape_xml(n.what) + "</td><td class=\"num\">" +
           escape_xml(format_published(n)) + "</td><td class=\"num\">" +
           escape_xml(format_ours(compute(n.what, p), n.unit)) + "</td>";
      if (o) h += "<td class=\"num\">" + escape_xml(format_ours(compute(n.what, *o), n.unit)) + "</td>";
      h += "<td>" + escape_xml(n.source) + "</td></tr>\n";
    }
    h += "</table>\n";
  }

  // FuseMax over FLAT at every point, both scopes and both modes side by side.
  std::vector<const ExploreRun*> runs{&p};
  if (o) runs.push_back(o);
  for (const auto& [scope, table] : {std::pair<const char*, std::vector<DesignRow> ExploreRun::*>{
                                         "Attention", &ExploreRun::attention},
                                     {"End to end", &ExploreRun::end2end}}) {
    std::vector<Point> points;
    for (const ExploreRun* r : runs) {
      for (const Point& pt : points_of(r->*table)) {
        if (std::find(points.begin(), points.end(), pt) == points.end()) points.push_back(pt);
      }
    }
    h += "<h3>" + std::string(scope) + ": FuseMax over FLAT per point</h3>\n";
    if (points.empty()) {
      h += missing(std::string("No ") + scope + " rows.");
      continue;
    }
    h += "<table>\n<tr><th>model</th><th>seq_len</th>";
    for (const ExploreRun* r : runs) {
      h += "<th>speedup (" + escape_xml(r->mode) + ")</th><th>energy (" + escape_xml(r->mode) + ")</th>";
    }
    h += "</tr>\n";
    for (const Point& pt : points) {
      h += "<tr><td>" + escape_xml(pt.first) + "</td><td>" + escape_xml(pt.second) + "</td>";
      for (const ExploreRun* r : runs) {
        const Ratio q = fusemax_over_flat(r->*table, pt);
        const bool have = !std::isnan(q.speedup);
        h += "<td class=\"num\">" + (have ? printf_f(q.speedup, 2) + "x" : kDash) +
             "</td><td class=\"num\">" + (have ? printf_f(q.energy * 100, 1) + "%" : kDash) + "</td>";
      }
      h += "</tr>\n";
    }
    h += "</table>\n";
  }
  return h;
}

std::string fig6(const ExploreRun& run) {
  std::string h = "<h2 id=\"fig6\">Fig. 6: utilisation of the 2D and 1D arrays (attention)</h2>\n";
  if (run.attention.empty()) return h + missing("No attention rows: Figure 6 needs attention.csv.");
  const auto designs = first_seen(run.attention, [](const DesignRow& r) { return r.design; });
  for (const std::string& model : first_seen(run.attention, [](const DesignRow& r) { return r.model; })) {
    svg::BarChart c;
    c.title = model + ": array utilisation";
    c.x_label = "sequence length";
    c.y_label = "utilisation (busy / latency)";
    c.y_max_at_least = 1;
    for (const DesignRow& r : run.attention) {
      if (r.model == model && std::find(c.categories.begin(), c.categories.end(), r.seq_len) ==
                                  c.categories.end()) {
        c.categories.push_back(r.seq_len);
      }
    }
    for (const std::string& d : designs) {
      for (const bool two_d : {true, false}) {
        c.series.push_back(d + (two_d ? " 2D" : " 1D"));
        std::vector<double> v;
        for (const std::string& seq : c.categories) {
          const DesignRow* r = find_row(run.attention, model, seq, d);
          v.push_back(r == nullptr ? kNaN : two_d ? r->util_2d : r->util_1d);
        }
        c.values.push_back(std::move(v));
      }
    }
    h += figure(svg::render_bar_chart(c));
  }
  return h;
}

std::string fig7(const ExploreRun& run) {
  std::string h = "<h2 id=\"fig7\">Fig. 7: per-Einsum share of 2D-array cycles (fusemax)</h2>\n";
  std::vector<const EinsumRow*> rows;
  for (const EinsumRow& r : run.einsums) {
    if (r.design == "fusemax" && r.array == "2d") rows.push_back(&r);
  }
  if (rows.empty()) {
    return h + missing("No einsums.csv rows for design 'fusemax' on array '2d': Figure 7 needs them.");
  }
  svg::BarChart c;
  c.title = "fusemax: share of 2D-array cycles per Einsum";
  c.x_label = "model, sequence length";
  c.y_label = "share of 2D cycles";
  c.stacked = true;
  c.y_max_at_least = 1;
  std::vector<Point> points;
  for (const EinsumRow* r : rows) {
    const Point p{r->model, r->seq_len};
    if (std::find(points.begin(), points.end(), p) == points.end()) points.push_back(p);
    if (std::find(c.series.begin(), c.series.end(), r->einsum) == c.series.end()) c.series.push_back(r->einsum);
  }
  for (const Point& p : points) c.categories.push_back(point_name(p));
  c.values.assign(c.series.size(), std::vector<double>(points.size(), kNaN));
  for (std::size_t pi = 0; pi < points.size(); ++pi) {
    double total = 0;
    for (const EinsumRow* r : rows) {
      if (Point{r->model, r->seq_len} == points[pi]) total += static_cast<double>(r->cycles);
    }
    for (const EinsumRow* r : rows) {
      if (Point{r->model, r->seq_len} != points[pi] || total <= 0) continue;
      const auto si = static_cast<std::size_t>(
          std::find(c.series.begin(), c.series.end(), r->einsum) - c.series.begin());
      const double share = static_cast<double>(r->cycles) / total;
      c.values[si][pi] = std::isnan(c.values[si][pi]) ? share : c.values[si][pi] + share;
    }
  }
  return h + figure(svg::render_bar_chart(c));
}

// Figs. 8-9 (attention) and 10-11 (end to end): every design over the unfused baseline.
std::string over_unfused(const std::vector<DesignRow>& rows, const std::string& id,
                         const std::string& scope, const std::string& file, int fig_speedup) {
  const std::string figs = std::to_string(fig_speedup) + "\xE2\x80\x93" + std::to_string(fig_speedup + 1);
  std::string h = "<h2 id=\"" + id + "\">Figs. " + figs + ": speedup and energy over unfused (" +
                  scope + ")</h2>\n";
  if (rows.empty()) return h + missing("No " + scope + " rows: Figures " + figs + " need " + file + ".");
  std::vector<Point> points, left_out;
  for (const Point& p : points_of(rows)) {
    (find_row(rows, p.first, p.second, "unfused") ? points : left_out).push_back(p);
  }
  std::vector<std::string> designs;
  for (const std::string& d : first_seen(rows, [](const DesignRow& r) { return r.design; })) {
    if (d != "unfused") designs.push_back(d);
  }
  if (points.empty()) {
    return h + missing("No 'unfused' rows in " + file + ": Figures " + figs +
                       " are relative to unfused and cannot be drawn.");
  }
  if (designs.empty()) return h + missing("Only 'unfused' rows in " + file + ": nothing to compare.");
  svg::BarChart speed, energy;
  speed.title = scope + ": speedup over unfused";
  speed.y_label = "unfused latency / latency";
  speed.log_y = true;
  energy.title = scope + ": energy relative to unfused";
  energy.y_label = "energy / unfused energy";
  for (svg::BarChart* c : {&speed, &energy}) {
    c->x_label = "model, sequence length";
    c->series = designs;
    for (const Point& p : points) c->categories.push_back(point_name(p));
  }
  for (const std::string& d : designs) {
    std::vector<double> s, e;
    for (const Point& p : points) {
      const DesignRow* base = find_row(rows, p.first, p.second, "unfused");
      const DesignRow* r = find_row(rows, p.first, p.second, d);
      s.push_back(r ? base->latency_s / r->latency_s : kNaN);
      e.push_back(r ? r->energy_pj / base->energy_pj : kNaN);
    }
    speed.values.push_back(std::move(s));
    energy.values.push_back(std::move(e));
  }
  h += figure(svg::render_bar_chart(speed)) + figure(svg::render_bar_chart(energy));
  if (!left_out.empty()) {
    std::string names;
    for (const Point& p : left_out) names += (names.empty() ? "" : ", ") + point_name(p);
    h += missing("Left out (no 'unfused' row): " + names + ".");
  }
  return h;
}

std::string fig12(const ExploreRun& run) {
  std::string h = "<h2 id=\"fig12\">Fig. 12: area vs latency over array sizes</h2>\n";
  if (run.pareto.empty()) return h + missing("No pareto.csv rows: Figure 12 needs the array-size sweep.");
  svg::XyChart c;
  c.title = "Area vs latency (labels: PE array side)";
  c.x_label = "area (\xC2\xB5m\xC2\xB2)";
  c.y_label = "latency (s)";
  c.log_x = c.log_y = true;
  for (const std::string& model : first_seen(run.pareto, [](const ParetoRow& r) { return r.model; })) {
    std::vector<const ParetoRow*> pts;
    for (const ParetoRow& r : run.pareto) {
      if (r.model == model) pts.push_back(&r);
    }
    // Joined in array-size order, so the line traces the sweep.
    std::stable_sort(pts.begin(), pts.end(),
                     [](const ParetoRow* a, const ParetoRow* b) { return a->pe_dim < b->pe_dim; });
    svg::XySeries s;
    s.name = model;
    for (const ParetoRow* r : pts) {
      s.x.push_back(r->area_um2);
      s.y.push_back(r->latency_s);
      s.labels.push_back(std::to_string(r->pe_dim));
    }
    c.series.push_back(std::move(s));
  }
  return h + figure(svg::render_xy_chart(c));
}

std::string links(const ExploreResult& result) {
  std::string h = "<h2 id=\"data\">Data</h2>\n<ul>\n";
  const auto run_links = [&](const ExploreRun& run, const std::string& prefix) {
    std::string s = "<li>" + escape_xml(run.mode) + " (" + escape_xml(mode_note(run.mode)) + "):";
    for (const char* f : {"attention.csv", "end2end.csv", "einsums.csv", "pareto.csv"}) {
      const std::string path = prefix + f;
      s += " <a href=\"" + escape_xml(path) + "\">" + escape_xml(path) + "</a>";
    }
    return s + "</li>\n";
  };
  if (result.has_runs()) h += run_links(result.primary, "");
  if (result.other) h += run_links(*result.other, result.other->mode + "/");
  if (result.fidelity) {
    h += "<li>fidelity study:";
    for (const char* f : {"fidelity.csv", "masking.csv", "sensitivity.csv", "fidelity.md"})
      h += std::string(" <a href=\"") + f + "\">" + f + "</a>";
    h += "</li>\n";
  }
  h += "</ul>\n";
  if (!result.has_runs()) return h + "<p>Schemas: docs/explore.md.</p>\n";
  h += "<p>Column sets: ";
  h += "<b>" + escape_xml(result.primary.mode) + "</b> (primary): " + escape_xml(mode_note(result.primary.mode));
  if (result.other) {
    h += "; <b>" + escape_xml(result.other->mode) + "</b>: " + escape_xml(mode_note(result.other->mode));
  }
  h += ". Schemas: docs/explore.md.</p>\n";
  return h;
}

const char* const kStyle =
    "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}"
    "th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".missing{color:#a33;font-style:italic}.fig{overflow-x:auto;margin:0.5em 0 1em}"
    ".note{color:#555}";

}  // namespace

std::string render_report_html(const ExploreResult& result) {
  const ExploreRun& run = result.primary;
  std::string names = result.preset;
  if (result.fidelity) names += (names.empty() ? "" : ", ") + std::string("fidelity study");
  const std::string title = "Einfuse exploration" + (names.empty() ? std::string() : ": " + names);
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                  escape_xml(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + escape_xml(title) + "</h1>\n";
  if (result.has_runs()) {
    h += "<p class=\"note\">Primary mode: <b>" + escape_xml(run.mode) + "</b> (" +
         escape_xml(mode_note(run.mode)) + ")";
    if (result.other) {
      h += "; other mode: <b>" + escape_xml(result.other->mode) + "</b> (" +
           escape_xml(mode_note(result.other->mode)) + ")";
    }
    h += ". The figures show the primary mode.</p>\n";
    h += headline(result);
    h += fig6(run);
    h += fig7(run);
    h += over_unfused(run.attention, "fig8", "attention", "attention.csv", 8);
    h += over_unfused(run.end2end, "fig10", "end to end", "end2end.csv", 10);
    h += fig12(run);
  }
  if (result.fidelity) h += fidelity::render_report_section(*result.fidelity);
  h += links(result);
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace einfuse::explore
