// SVG charts for the exploration report (svg_plot.hpp). Hand-written rather than a library
// because the report must be self-contained and byte-for-byte reproducible, and the three
// chart kinds it needs are small. Layout sizes are estimates (no font metrics are
// available): text is assumed ~6.5 px per character at the 11 px body font.
#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace einfuse::explore::svg {
namespace {

// Tableau 10: distinguishable, colour-blind tolerant, and fixed so reports compare.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr std::size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

constexpr double kCharW = 6.5;
constexpr double kPlotH = 260;
constexpr double kLeft = 72;
constexpr double kTop = 40;

const char* colour(std::size_t i) { return kPalette[i % kPaletteSize]; }

// Coordinates with two decimals: enough for a screen, and the fixed precision is what makes
// the output identical across runs.
std::string px(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string tick_text(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string value_text(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

double text_width(const std::string& s) { return kCharW * static_cast<double>(s.size()); }

double max_text_width(const std::vector<std::string>& texts) {
  double w = 0;
  for (const std::string& t : texts) w = std::max(w, text_width(t));
  return w;
}

/// One axis: its range, its ticks, and the mapping of a value to [0, 1] along it.
struct Axis {
  double lo = 0;
  double hi = 1;
  bool log = false;
  std::vector<double> ticks;

  double frac(double v) const {
    const double f = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return std::clamp(f, 0.0, 1.0);
  }
};

// 1, 2 or 5 times a power of ten, about a fifth of the span: readable round ticks.
Axis linear_axis(double dmin, double dmax, bool include_zero) {
  if (include_zero) {
    dmin = std::min(dmin, 0.0);
    dmax = std::max(dmax, 0.0);
  }
  if (!(dmax > dmin)) {  // one value: give it a unit of room (0 stays the floor)
    if (dmin != 0) dmin -= 0.5;
    dmax = dmin + 1;
  }
  const double raw = (dmax - dmin) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  Axis a;
  a.lo = std::floor(dmin / step) * step;
  a.hi = std::ceil(dmax / step) * step;
  if (!(a.hi > a.lo)) a.hi = a.lo + step;
  const long n = std::lround((a.hi - a.lo) / step);
  for (long i = 0; i <= n; ++i) {
    double t = a.lo + static_cast<double>(i) * step;
    if (std::fabs(t) < step * 1e-9) t = 0;  // 0.1 + 0.2 - 0.3 is not 0: snap the zero tick
    a.ticks.push_back(t);
  }
  return a;
}

// Whole decades; at most about ten labelled so a wide range stays legible.
Axis log_axis(double min_positive, double dmax) {
  if (!(min_positive > 0) || !std::isfinite(min_positive)) min_positive = 1;
  if (!(dmax >= min_positive) || !std::isfinite(dmax)) dmax = min_positive * 10;
  const int klo = static_cast<int>(std::floor(std::log10(min_positive)));
  int khi = static_cast<int>(std::ceil(std::log10(dmax)));
  if (khi <= klo) khi = klo + 1;
  Axis a;
  a.log = true;
  a.lo = std::pow(10.0, klo);
  a.hi = std::pow(10.0, khi);
  const int every = std::max(1, (khi - klo + 9) / 10);
  for (int k = klo; k <= khi; k += every) a.ticks.push_back(std::pow(10.0, k));
  return a;
}

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

void open_svg(std::string& s, double w, double h, const std::string& title) {
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(w) + "\" height=\"" + px(h) +
       "\" viewBox=\"0 0 " + px(w) + " " + px(h) +
       "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\n";
  s += "<title>" + escape_xml(title) + "</title>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" fill=\"#ffffff\"/>\n";
  s += "<text x=\"" + px(w / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" "
       "font-weight=\"bold\">" + escape_xml(title) + "</text>\n";
}

// Horizontal grid lines with their labels on the left, the y-axis title, and the frame.
void draw_y_axis(std::string& s, const Axis& y, double plot_w, const std::string& label) {
  for (double t : y.ticks) {
    const double py = kTop + kPlotH * (1 - y.frac(t));
    s += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(py) + "\" x2=\"" + px(kLeft + plot_w) +
         "\" y2=\"" + px(py) + "\" stroke=\"#dddddd\"/>\n";
    s += "<text x=\"" + px(kLeft - 6) + "\" y=\"" + px(py + 4) + "\" text-anchor=\"end\">" +
         escape_xml(tick_text(t)) + "</text>\n";
  }
  const double cy = kTop + kPlotH / 2;
  s += "<text x=\"14\" y=\"" + px(cy) + "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
       px(cy) + ")\">" + escape_xml(label) + "</text>\n";
  s += "<rect x=\"" + px(kLeft) + "\" y=\"" + px(kTop) + "\" width=\"" + px(plot_w) +
       "\" height=\"" + px(kPlotH) + "\" fill=\"none\" stroke=\"#333333\"/>\n";
}

// Legend entries stacked to the right of the plot; `marker` is "rect" or "circle".
void draw_legend(std::string& s, const std::vector<std::string>& names, double x,
                 const char* marker) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double y = kTop + 6 + 16 * static_cast<double>(i);
    if (std::string(marker) == "circle") {
      s += "<circle cx=\"" + px(x + 5) + "\" cy=\"" + px(y + 5) + "\" r=\"4\" fill=\"" +
           colour(i) + "\"/>\n";
    } else {
      s += "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"10\" height=\"10\" fill=\"" +
           colour(i) + "\"/>\n";
    }
    s += "<text x=\"" + px(x + 15) + "\" y=\"" + px(y + 9) + "\">" + escape_xml(names[i]) +
         "</text>\n";
  }
}

double legend_width(const std::vector<std::string>& names) {
  return names.empty() ? 0 : 30 + max_text_width(names);
}

double legend_height(std::size_t n) { return 16 * static_cast<double>(n) + 12; }

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_bar_chart(const BarChart& chart) {
  const std::size_t n_cat = chart.categories.size();
  const std::size_t n_ser = chart.series.size();
  const bool log = chart.log_y && !chart.stacked;
  auto value = [&](std::size_t s, std::size_t c) {
    return s < chart.values.size() && c < chart.values[s].size()
               ? chart.values[s][c]
               : std::numeric_limits<double>::quiet_NaN();
  };

  // Data extent: per bar, or per stacked total (only positive parts stack).
  double dmin = std::numeric_limits<double>::infinity();
  double dmax = -std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < n_cat; ++c) {
    double total = 0;
    for (std::size_t s = 0; s < n_ser; ++s) {
      const double v = value(s, c);
      if (!usable(v, log)) continue;
      if (chart.stacked) {
        if (v > 0) total += v;
      } else {
        dmin = std::min(dmin, v);
        dmax = std::max(dmax, v);
      }
    }
    if (chart.stacked) {
      dmin = std::min(dmin, total);
      dmax = std::max(dmax, total);
    }
  }
  if (!(dmax >= dmin)) dmin = dmax = log ? 1 : 0;  // nothing to draw
  dmax = std::max(dmax, chart.y_max_at_least);
  const Axis y = log ? log_axis(dmin, dmax) : linear_axis(dmin, dmax, true);

  // Long or many category labels are turned 40 degrees so they do not overlap.
  const double cat_w_text = max_text_width(chart.categories);
  const bool rotate = n_cat > 6 || cat_w_text > 60;
  const double bars_per_group = chart.stacked ? 1 : static_cast<double>(std::max<std::size_t>(n_ser, 1));
  const double plot_w =
      std::clamp(static_cast<double>(n_cat) * (bars_per_group * 9 + 12), 360.0, 1100.0);
  const double bottom = rotate ? 34 + cat_w_text * 0.65 : 44;
  const double legend_x = kLeft + plot_w + 16;
  const double width = legend_x + legend_width(chart.series) + 8;
  const double height = std::max(kTop + kPlotH + bottom + 16, kTop + legend_height(n_ser));

  std::string s;
  open_svg(s, width, height, chart.title);
  draw_y_axis(s, y, plot_w, chart.y_label);

  const double group_w = n_cat ? plot_w / static_cast<double>(n_cat) : plot_w;
  const double bar_w = group_w * 0.8 / bars_per_group;
  const double base_frac = log ? 0.0 : y.frac(0);
  for (std::size_t c = 0; c < n_cat; ++c) {
    const double gx = kLeft + group_w * static_cast<double>(c);
    double stack_top = 0;  // running total of a stacked bar
    for (std::size_t sr = 0; sr < n_ser; ++sr) {
      const double v = value(sr, c);
      if (!usable(v, log) || (chart.stacked && !(v > 0))) continue;
      double f0 = base_frac;
      double f1 = y.frac(v);
      double x = gx + group_w * 0.1 + bar_w * static_cast<double>(sr);
      if (chart.stacked) {
        f0 = y.frac(stack_top);
        stack_top += v;
        f1 = y.frac(stack_top);
        x = gx + group_w * 0.1;
      }
      const double top_y = kTop + kPlotH * (1 - std::max(f0, f1));
      const double h = kPlotH * std::fabs(f1 - f0);
      s += "<rect x=\"" + px(x) + "\" y=\"" + px(top_y) + "\" width=\"" + px(bar_w) +
           "\" height=\"" + px(h) + "\" fill=\"" + colour(sr) + "\"><title>" +
           escape_xml(chart.categories[c] + " / " + chart.series[sr] + ": " +
                      value_text(v, chart.value_digits)) +
           "</title></rect>\n";
    }
    // Category label under the middle of its group.
    const double lx = gx + group_w / 2;
    const double ly = kTop + kPlotH + 14;
    if (rotate) {
      s += "<text x=\"" + px(lx) + "\" y=\"" + px(ly) + "\" text-anchor=\"end\" transform=\"rotate(-40 " +
           px(lx) + " " + px(ly) + ")\">" + escape_xml(chart.categories[c]) + "</text>\n";
    } else {
      s += "<text x=\"" + px(lx) + "\" y=\"" + px(ly) + "\" text-anchor=\"middle\">" +
           escape_xml(chart.categories[c]) + "</text>\n";
    }
  }
  s += "<text x=\"" + px(kLeft + plot_w / 2) + "\" y=\"" + px(height - 6) +
       "\" text-anchor=\"middle\">" + escape_xml(chart.x_label) + "</text>\n";
  draw_legend(s, chart.series, legend_x, "rect");
  s += "</svg>\n";
  return s;
}

std::string render_xy_chart(const XyChart& chart) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  for (const XySeries& ser : chart.series) {
    for (std::size_t i = 0; i < std::min(ser.x.size(), ser.y.size()); ++i) {
      if (!usable(ser.x[i], chart.log_x) || !usable(ser.y[i], chart.log_y)) continue;
      xmin = std::min(xmin, ser.x[i]);
      xmax = std::max(xmax, ser.x[i]);
      ymin = std::min(ymin, ser.y[i]);
      ymax = std::max(ymax, ser.y[i]);
    }
  }
  if (!(xmax >= xmin)) xmin = xmax = ymin = ymax = 1;  // no point at all
  const Axis x = chart.log_x ? log_axis(xmin, xmax) : linear_axis(xmin, xmax, false);
  const Axis y = chart.log_y ? log_axis(ymin, ymax) : linear_axis(ymin, ymax, false);

  std::vector<std::string> names;
  for (const XySeries& ser : chart.series) names.push_back(ser.name);
  const double plot_w = 520;
  const double legend_x = kLeft + plot_w + 16;
  const double width = legend_x + legend_width(names) + 8;
  const double height = std::max(kTop + kPlotH + 60, kTop + legend_height(names.size()));

  std::string s;
  open_svg(s, width, height, chart.title);
  draw_y_axis(s, y, plot_w, chart.y_label);
  for (double t : x.ticks) {
    const double pxv = kLeft + plot_w * x.frac(t);
    s += "<line x1=\"" + px(pxv) + "\" y1=\"" + px(kTop) + "\" x2=\"" + px(pxv) + "\" y2=\"" +
         px(kTop + kPlotH) + "\" stroke=\"#dddddd\"/>\n";
    s += "<text x=\"" + px(pxv) + "\" y=\"" + px(kTop + kPlotH + 14) +
         "\" text-anchor=\"middle\">" + escape_xml(tick_text(t)) + "</text>\n";
  }
  s += "<text x=\"" + px(kLeft + plot_w / 2) + "\" y=\"" + px(kTop + kPlotH + 34) +
       "\" text-anchor=\"middle\">" + escape_xml(chart.x_label) + "</text>\n";

  for (std::size_t si = 0; si < chart.series.size(); ++si) {
    const XySeries& ser = chart.series[si];
    std::string points;
    std::string marks;
    for (std::size_t i = 0; i < std::min(ser.x.size(), ser.y.size()); ++i) {
      if (!usable(ser.x[i], chart.log_x) || !usable(ser.y[i], chart.log_y)) continue;
      const double cx = kLeft + plot_w * x.frac(ser.x[i]);
      const double cy = kTop + kPlotH * (1 - y.frac(ser.y[i]));
      if (!points.empty()) points += ' ';
      points += px(cx) + "," + px(cy);
      const std::string label = i < ser.labels.size() ? ser.labels[i] : "";
      marks += "<circle cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"3.5\" fill=\"" +
               colour(si) + "\"><title>" +
               escape_xml(ser.name + (label.empty() ? "" : " " + label) + ": (" +
                          value_text(ser.x[i], 4) + ", " + value_text(ser.y[i], 4) + ")") +
               "</title></circle>\n";
      if (!label.empty()) {
        marks += "<text x=\"" + px(cx + 5) + "\" y=\"" + px(cy - 5) + "\" font-size=\"9\">" +
                 escape_xml(label) + "</text>\n";
      }
    }
    if (chart.lines && !points.empty()) {
      s += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + colour(si) +
           "\" stroke-width=\"1.5\"/>\n";
    }
    s += marks;
  }
  draw_legend(s, names, legend_x, "circle");
  s += "</svg>\n";
  return s;
}

}  // namespace einfuse::explore::svg
