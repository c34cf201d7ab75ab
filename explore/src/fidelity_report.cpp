// The fidelity study's section of report.html (fidelity_rows.hpp): plots of the ladder's ratio
// to the closed form, of the arrays' utilisation, of causal masking and of the sensitivity
// sweep, then the summary tables (fidelity_summary.cpp) as HTML. Deterministic like the rest
// of the report: the same rows give the same bytes.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/explore/fidelity_rows.hpp"
#include "fidelity_lookup.hpp"
#include "fidelity_settings.hpp"
#include "html.hpp"
#include "svg_plot.hpp"

namespace einfuse::explore::fidelity {
namespace {

using html::figure;
using html::kNaN;
using svg::escape_xml;

using detail::find;
using detail::ok;
using detail::Point;
using detail::point_name;
using detail::point_of;
using detail::points_of;

// One design's chart: a value per (model, length) and rung, the closed form's first when
// `closed_form` gives one.
svg::BarChart design_chart(const std::vector<Row>& ladder, const std::string& design, double (Row::*value)() const,
                           double (Row::*closed_form)() const) {
  svg::BarChart c;
  c.x_label = "model, sequence length";
  c.y_max_at_least = 1;
  std::vector<Point> points = points_of(ladder);
  std::erase_if(points, [&](const Point& p) { return std::get<0>(p) != design; });
  for (const Point& p : points) c.categories.push_back(point_name(p, false));
  if (closed_form != nullptr) {
    c.series.push_back("closed form");
    std::vector<double> v;
    for (const Point& p : points) {
      const Row* r = find(ladder, p, detail::ladder().front().name);
      v.push_back(r ? (r->*closed_form)() : kNaN);
    }
    c.values.push_back(std::move(v));
  }
  for (const detail::Rung& rung : detail::ladder()) {
    c.series.push_back(rung.name);
    std::vector<double> v;
    for (const Point& p : points) {
      const Row* r = find(ladder, p, rung.name);
      v.push_back(ok(r) ? (r->*value)() : kNaN);
    }
    c.values.push_back(std::move(v));
  }
  return c;
}

// Per design: the ratio of each rung to the closed form, and the 2D array's utilisation
// beside the closed form's (the paper's).
std::string ladder_plots(const std::vector<Row>& ladder) {
  std::string h;
  std::vector<std::string> designs;
  for (const Point& p : points_of(ladder))
    if (std::find(designs.begin(), designs.end(), std::get<0>(p)) == designs.end()) designs.push_back(std::get<0>(p));
  for (const std::string& design : designs) {
    svg::BarChart ratio = design_chart(ladder, design, &Row::ratio, nullptr);
    ratio.title = design + ": simulated cycles / closed form, per rung (deadlocks not drawn)";
    ratio.y_label = "ratio to the closed form";
    svg::BarChart util = design_chart(ladder, design, &Row::util_2d, &Row::cost_util_2d);
    util.title = design + ": 2D-array utilisation, closed form and each rung";
    util.y_label = "2D busy / cycles";
    h += figure(svg::render_bar_chart(ratio)) + figure(svg::render_bar_chart(util));
  }
  return h;
}

std::string masking_plot(const std::vector<Row>& masking) {
  svg::BarChart c;
  c.title = "Causal masking: simulated cycles relative to the unmasked cascade";
  c.x_label = "sequence length, rung";
  c.y_label = "cycles / dense cycles";
  c.y_max_at_least = 1;
  std::vector<std::pair<Point, std::string>> cats;  // (point, rung)
  for (const Row& r : masking) {
    const std::pair<Point, std::string> cat{point_of(r), r.setting.substr(0, r.setting.find(':'))};
    if (std::find(cats.begin(), cats.end(), cat) == cats.end()) cats.push_back(cat);
  }
  for (const auto& [point, rung] : cats) c.categories.push_back(point_name(point, false) + " " + rung);
  for (const char* variant : {"uniform", "real_mask"}) {
    c.series.push_back(variant);
    std::vector<double> v;
    for (const auto& [point, rung] : cats) {
      const Row* r = find(masking, point, detail::masking_setting(rung, variant));
      const Row* dense = find(masking, point, detail::masking_setting(rung, "dense"));
      v.push_back(ok(r) && ok(dense) ? static_cast<double>(r->cycles) / static_cast<double>(dense->cycles) : kNaN);
    }
    c.values.push_back(std::move(v));
  }
  return figure(svg::render_bar_chart(c));
}

std::string sensitivity_plots(const std::vector<Row>& rows) {
  std::string h;
  for (const Point& point : points_of(rows)) {
    svg::XyChart c;
    c.title = point_name(point) + ": 2D utilisation as one knob changes (deadlocks not drawn)";
    c.x_label = "knob value (banks, ports, tiles; buffer in MiB)";
    c.y_label = "2D busy / cycles";
    c.log_x = true;
    for (const detail::Knob& k : detail::knobs()) {
      if (k.group == "generous") continue;
      auto it = std::find_if(c.series.begin(), c.series.end(), [&](const svg::XySeries& s) { return s.name == k.group; });
      if (it == c.series.end()) {
        c.series.push_back({k.group, {}, {}, {}});
        it = c.series.end() - 1;
      }
      if (const Row* r = find(rows, point, k.name); ok(r)) {
        it->x.push_back(k.value);
        it->y.push_back(r->util_2d());
        it->labels.push_back({});
      }
    }
    h += figure(svg::render_xy_chart(c));
  }
  return h;
}

std::string table_html(const TextTable& t) {
  std::string h = "<h3 id=\"" + escape_xml(t.id) + "\">" + escape_xml(t.title) + "</h3>\n<p class=\"note\">" +
                  escape_xml(t.caption) + "</p>\n<table>\n<tr>";
  for (const std::string& c : t.header) h += "<th>" + escape_xml(c) + "</th>";
  h += "</tr>\n";
  for (const auto& row : t.rows) {
    h += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c)
      h += std::string(t.numeric[c] ? "<td class=\"num\">" : "<td>") + escape_xml(row[c]) + "</td>";
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace

std::string render_report_section(const Tables& t) {
  if (t.ladder.empty() && t.masking.empty() && t.sensitivity.empty()) return {};
  std::string h = "<h2 id=\"fidelity\">Fidelity study: the closed form against the simulator</h2>\n";
  h += "<p class=\"note\">Each rung of the ladder changes one effect of its base rung:</p>\n<ul>\n";
  for (const detail::Rung& r : detail::ladder()) {
    h += "<li><b>" + escape_xml(r.name) + "</b>";
    if (!r.base.empty()) h += " (on " + escape_xml(r.base) + ")";
    h += ": " + escape_xml(r.adds) + "</li>\n";
  }
  h += "</ul>\n";
  if (!t.ladder.empty()) h += ladder_plots(t.ladder);
  if (!t.masking.empty()) h += masking_plot(t.masking);
  if (!t.sensitivity.empty()) h += sensitivity_plots(t.sensitivity);
  for (const TextTable& table : summary_tables(t)) h += table_html(table);
  return h;
}

}  // namespace einfuse::explore::fidelity
