// The observers' shared pieces (trace.hpp, trace_tracks.hpp): the fan-out and the tracks.
#include <charconv>
#include <cstdio>

#include "einfuse/sim/trace.hpp"
#include "trace_tracks.hpp"

namespace einfuse::sim {

void FanOut::add(std::unique_ptr<Observer> observer) {
  if (observer) observers_.push_back(std::move(observer));
}

void FanOut::on_start(std::uint64_t expected_commands) {
  for (auto& o : observers_) o->on_start(expected_commands);
}

void FanOut::on_activity(const Activity& a) {
  for (auto& o : observers_) o->on_activity(a);
}

void FanOut::on_progress(std::uint64_t issued, std::uint64_t now) {
  for (auto& o : observers_) o->on_progress(issued, now);
}

void FanOut::on_finish(std::uint64_t cycles) {
  for (auto& o : observers_) o->on_finish(cycles);
}

namespace detail {

TraceTracks::TraceTracks(const mapper::ArchSpec& arch) {
  for (const mapper::PeArray& a : arch.arrays) add_lane(a.name, isa::array_block(a), units_.size());
  add_lane("dma", isa::Block::dma, units_.size());
}

std::size_t TraceTracks::add_lane(std::string_view unit, isa::Block block, std::size_t unit_index) {
  if (unit_index == units_.size()) units_.push_back({std::string(unit), {}});
  Unit& u = units_[unit_index];
  lanes_.push_back({u.name, block, unit_index, u.lanes.size(), 0});
  u.lanes.push_back(lanes_.size() - 1);
  return lanes_.size() - 1;
}

std::size_t TraceTracks::place(const Activity& a, bool& created) {
  created = false;
  std::size_t unit = 0;
  while (unit < units_.size() && units_[unit].name != a.unit) ++unit;  // a handful of units
  if (unit < units_.size()) {
    for (std::size_t lane : units_[unit].lanes) {
      if (lanes_[lane].last_end <= a.start) {
        lanes_[lane].last_end = a.end;
        return lane;
      }
    }
  }
  created = true;
  const std::size_t lane = add_lane(a.unit, a.block, unit);
  lanes_[lane].last_end = a.end;
  return lane;
}

std::string TraceTracks::display_name(const TraceLane& lane) {
  return lane.lane == 0 ? lane.unit : lane.unit + " (" + std::to_string(lane.lane + 1) + ")";
}

std::string TraceTracks::identifier(const TraceLane& lane) {
  return as_identifier(lane.lane == 0 ? lane.unit : lane.unit + "_" + std::to_string(lane.lane + 1));
}

std::string as_identifier(std::string_view text) {
  std::string id(text);
  for (char& c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!plain) c = '_';
  }
  return id.empty() ? "_" : id;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;  // UTF-8 passes through unchanged
    }
  }
  out += '"';
}

void append_uint(std::string& out, std::uint64_t v) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, end);
}

}  // namespace detail
}  // namespace einfuse::sim
