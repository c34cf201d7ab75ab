// A small SVG chart writer for the exploration report (explore_report.cpp): grouped and
// stacked bar charts and x/y (scatter + line) charts, with axes, ticks, a legend and a
// title. Private to einfuse_explore. Output is a pure function of the input: coordinates are
// printed with fixed precision and nothing depends on time, locale settings or addresses,
// so the same chart always gives byte-identical text (the report's determinism rests on it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace einfuse::explore::svg {

/// Text made safe for XML/HTML content and attribute values (& < > " ').
std::string escape_xml(std::string_view text);

/// Bars: one group per category, one bar per series (grouped) or one stacked bar per
/// category (stacked). values[s][c] is series s at category c; NaN or infinity means "no
/// value" and draws nothing (as does a value <= 0 on a log axis).
struct BarChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> categories;
  std::vector<std::string> series;
  std::vector<std::vector<double>> values;
  bool stacked = false;  ///< stack the series of a category (linear axis only)
  bool log_y = false;    ///< decade ticks; ignored for stacked charts
  double y_max_at_least = 0;  ///< e.g. 1 for utilisation, so a low chart keeps its scale
  int value_digits = 3;  ///< significant digits of a bar's hover text
};

std::string render_bar_chart(const BarChart& chart);

/// One series of an x/y chart: points joined in the order given, each with an optional
/// label drawn beside it (labels may be empty or shorter than the points).
struct XySeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<std::string> labels;
};

struct XyChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<XySeries> series;
  bool log_x = false;
  bool log_y = false;
  bool lines = true;  ///< join each series' points
};

std::string render_xy_chart(const XyChart& chart);

}  // namespace einfuse::explore::svg
