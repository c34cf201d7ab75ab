// What the trace writers share (trace.hpp): the tracks of a trace and the little text
// formatting they need. No SystemC here: the writers are plain C++.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/sim/observer.hpp"

namespace einfuse::sim::detail {

/// One track of a trace: a unit, or one more lane of a unit whose slices overlap.
struct TraceLane {
  std::string unit;
  isa::Block block = isa::Block::controller;
  std::size_t unit_index = 0;  ///< the unit's place in the trace (result order)
  std::size_t lane = 0;        ///< 0 for the unit's first track, 1, 2, ... for more
  std::uint64_t last_end = 0;  ///< the end of the last slice placed on it
};

/// The tracks of a trace. A viewer draws one slice at a time per track (Perfetto drops
/// slices that overlap without nesting; a VCD signal has one value), but a unit may run
/// slices that overlap: the DMA's loads and stores run side by side. Each slice goes on the
/// unit's first lane that is free at its start, else on a new lane. Slices of one unit arrive
/// in order of their end, so each lane's slices are in time order and never overlap.
class TraceTracks {
 public:
  /// Declares the arch's arrays, then the dma, in the result's order (empty tracks included,
  /// so every run of an arch has the same tracks in the same order).
  explicit TraceTracks(const mapper::ArchSpec& arch);
  /// The lane (index into lanes()) that takes `a`; `created` tells whether it is new.
  std::size_t place(const Activity& a, bool& created);
  const std::vector<TraceLane>& lanes() const { return lanes_; }

  /// The lane's name for a person: "dma", then "dma (2)", ...
  static std::string display_name(const TraceLane& lane);
  /// The same as an identifier (VCD scopes): other characters become '_'; "dma_2".
  static std::string identifier(const TraceLane& lane);

 private:
  std::size_t add_lane(std::string_view unit, isa::Block block, std::size_t unit_index);
  struct Unit {
    std::string name;
    std::vector<std::size_t> lanes;
  };
  std::vector<Unit> units_;
  std::vector<TraceLane> lanes_;
};

/// `text` as an identifier (VCD scope names): characters other than letters, digits and '_'
/// become '_'; "_" for an empty text.
std::string as_identifier(std::string_view text);
/// `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);
/// An unsigned integer in decimal.
void append_uint(std::string& out, std::uint64_t v);

}  // namespace einfuse::sim::detail
