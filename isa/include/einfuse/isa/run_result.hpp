// What an executor of a Program reports (sim/ and rtl/ alike, docs/isa.md): cycles, what each
// unit did and why it waited, traffic per tensor, action counts, energy. One type, one JSON
// form, so runs of the two executors (and of the cost model) compare field by field.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "einfuse/isa/blocks.hpp"
#include "einfuse/mapper/cost_model.hpp"

namespace einfuse::isa {

/// Why a unit was not busy (docs/isa.md): waiting for a producer's result, for a buffer port
/// or bank, for DRAM, for space downstream (a full queue or handoff buffer), at a stage
/// barrier or fence, and pipeline fill/drain (before its first and after its last command).
enum class StallCause : std::uint8_t { producer, buffer_port, dram, downstream_space, barrier, fill_drain };
inline constexpr std::size_t kStallCauseCount = 6;
const char* stall_cause_name(StallCause c);  ///< "producer", "buffer_port", ...

struct UnitActivity {
  std::string name;  ///< the arch's array name, or the block name for the other units
  Block block = Block::controller;
  std::uint64_t commands = 0;
  std::uint64_t busy_cycles = 0;
  std::array<std::uint64_t, kStallCauseCount> stalls{};
  std::array<std::uint64_t, mapper::kArrayOpCount> actions{};  ///< by ArrayOp (arrays only)
};

struct TensorCounts {
  std::string name;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0, dram_accesses = 0;
  std::uint64_t buffer_read_bytes = 0, buffer_write_bytes = 0;
};

struct RunResult {
  std::string executor;  ///< "sim", "rtl"
  std::string mode;      ///< "timing" or "data"
  std::uint64_t cycles = 0;
  std::uint64_t commands = 0;
  /// Slices the run executed and the factor its counts were scaled by (identical (batch,
  /// head) slices simulated once): 1 and 1 for a whole run.
  std::uint64_t slices_run = 1, slice_scale = 1;
  std::vector<UnitActivity> units;
  std::vector<TensorCounts> tensors;
  std::uint64_t dram_bytes = 0;
  /// Reads that found another tile in their buffer slot (docs/sim.md, "Buffer contents"):
  /// on a real buffer the command would have computed with the wrong data. The first few
  /// described in `hazards`.
  std::uint64_t buffer_hazards = 0;
  std::vector<std::string> hazards;
  /// What the DRAM model counted (bursts, row hits, misses, conflicts, refreshes, bus
  /// turnarounds), by name; empty for the ideal pipe.
  std::map<std::string, std::uint64_t> dram_counters;
  std::map<std::string, double> energy_pj_by_action;
  double energy_pj = 0;
};

/// The JSON object of a result (keys as the fields; stalls and actions as objects by name).
std::string to_json(const RunResult& r, int indent = 2);

}  // namespace einfuse::isa
