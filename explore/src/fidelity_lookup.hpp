// Looking rows of the fidelity study up by point and setting, for its summary tables and its
// report section (fidelity_summary.cpp, fidelity_report.cpp). Private to einfuse_explore.
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "einfuse/explore/fidelity_rows.hpp"

namespace einfuse::explore::fidelity::detail {

using Point = std::tuple<std::string, std::string, std::string>;  // (design, model, seq_len)

inline Point point_of(const Row& r) { return {r.design, r.model, r.seq_len}; }

/// "fusemax BERT 1K", or without the design "BERT 1K".
inline std::string point_name(const Point& p, bool with_design = true) {
  return (with_design ? std::get<0>(p) + " " : std::string()) + std::get<1>(p) + " " + std::get<2>(p);
}

/// The points of `rows` in order of first appearance.
inline std::vector<Point> points_of(const std::vector<Row>& rows) {
  std::vector<Point> out;
  for (const Row& r : rows)
    if (std::find(out.begin(), out.end(), point_of(r)) == out.end()) out.push_back(point_of(r));
  return out;
}

inline const Row* find(const std::vector<Row>& rows, const Point& p, const std::string& setting) {
  for (const Row& r : rows)
    if (point_of(r) == p && r.setting == setting) return &r;
  return nullptr;
}

/// The row is there and its run finished.
inline bool ok(const Row* r) { return r != nullptr && r->status == "ok"; }

}  // namespace einfuse::explore::fidelity::detail
