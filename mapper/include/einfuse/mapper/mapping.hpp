// A Mapping says how a cascade runs on an architecture: which array each Einsum is bound to
// and which ranks it lays across the PEs, how every rank is tiled between DRAM, the global
// buffer and the arrays, where each tensor lives, and how the arrays and DRAM overlap in
// time. It is data (YAML in and out, schema in docs/mapping.md), so a mapping found by
// search can be saved, edited and replayed by the cost model, the simulator and the RTL run.
//
// Ranks are named as the cascade declares them (P, M1, M0, B, H, E, F), Einsums and tensors
// by their names. Nothing here knows about FuseMax: the paper's designs are mappings like any
// other (mapper/paper_designs.hpp builds them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::mapper {

/// One Einsum's place on the hardware.
struct Binding {
  std::string einsum;              ///< the Einsum, by its output tensor's name
  std::string array;               ///< an array of the arch spec, by name
  /// Ranks laid across the array's rows / columns (several ranks on one axis multiply).
  /// Each contributes its spatial factor (Mapping::spatial; the whole extent of the rank if
  /// it has none). A rank may appear on one axis only; a 1D array has no rows.
  std::vector<std::string> rows;
  std::vector<std::string> cols;
  /// The operand (a tensor the Einsum reads or writes) held in the PEs' registers while the
  /// innermost loops it does not depend on run: FLAT's "weight" (K, V) or "output" (QK, AV)
  /// stationarity. A stationary operand that bypasses the buffer is still not re-fetched
  /// across those loops. Empty: none.
  std::string stationary;
  bool operator==(const Binding&) const = default;
};

/// A loop over the tiles of one rank, at the DRAM level (its body holds one buffer tile) or
/// the buffer level (its body holds one array tile).
struct Loop {
  std::string rank;
  std::int64_t factor = 1;  ///< number of iterations; must divide what remains of the rank
  bool operator==(const Loop&) const = default;
};

/// The spatial (per-array-tile) factor of a rank: how many of its indices one array tile
/// covers. Shared by every Einsum that lays the rank across an array.
struct SpatialFactor {
  std::string rank;
  std::int64_t factor = 1;
  bool operator==(const SpatialFactor&) const = default;
};

/// Where a tensor is kept. Inputs and outputs always have their home in DRAM; their
/// residency says where the working copy lives.
enum class Residency {
  buffer,     ///< a DRAM-level tile is held in the global buffer across the buffer-level loops
  stream,     ///< passes through the buffer one array tile at a time (array to array)
  registers,  ///< stays in the PE registers of the array that produces and consumes it
  dram,       ///< bypasses the buffer: written to / re-read from DRAM at every use
};
const char* residency_name(Residency r);

struct TensorPlacement {
  std::string tensor;
  Residency residency = Residency::buffer;
  /// Fraction of a buffer-resident intermediate that does not fit and goes to DRAM and back
  /// (FLAT's "proportion spilled"); 0 for a mapping that fits.
  double spill_fraction = 0.0;
  /// Overwrites the named tensor's storage element by element (FLAT's softmax turns the
  /// logits QK into the weights A in place): takes no buffer space of its own. Empty: none.
  std::string in_place_of;
  bool operator==(const TensorPlacement&) const = default;
};

/// How the arrays and DRAM overlap in time.
struct Overlap {
  enum class Memory {
    overlapped,  ///< latency = max(compute, DRAM time) over the whole run
    per_stage,   ///< each stage waits for its own DRAM traffic: Σ max(stage compute, stage DRAM)
  };
  Memory memory = Memory::overlapped;
  /// Stages in order; each lists Einsums. Within a stage the arrays run in parallel (a stage
  /// takes the longest array's sum of cycles); stages run one after another. Empty: one stage
  /// holding every Einsum (perfect overlap of the arrays). Every Einsum appears exactly once.
  std::vector<std::vector<std::string>> stages;
  /// True: consecutive tiles are interleaved across the stages (one array works on tile i+1
  /// while the other finishes tile i), so reduction-network latency is hidden. False: each
  /// array tile waits for a spatial reduction's result before the next stage can use it.
  bool interleave = true;
  bool operator==(const Overlap&) const = default;
};

struct Mapping {
  std::string name;     ///< display name ("fusemax-paper/fusemax BERT 1K")
  std::string cascade;  ///< the cascade's name (checked against the cascade it is used with)
  std::string arch;     ///< the arch spec's name (checked likewise)
  std::vector<Binding> bindings;          ///< one per Einsum
  std::vector<SpatialFactor> spatial;     ///< ranks with a spatial factor below their extent
  std::vector<Loop> dram_loops;           ///< outermost first
  std::vector<Loop> buffer_loops;         ///< outermost first
  std::vector<TensorPlacement> tensors;   ///< tensors not listed: `buffer`
  Overlap overlap;

  const Binding* find_binding(const std::string& einsum) const;
  const TensorPlacement* find_tensor(const std::string& tensor) const;
  bool operator==(const Mapping&) const = default;
};

/// Reads a mapping (YAML). Throws CascadeError with file:line:col on a syntax error, an
/// unknown, repeated or missing key, or a value of the wrong type or range. Whether the
/// mapping fits a cascade and an arch is the cost model's check (validate_mapping).
Mapping parse_mapping(const std::string& text, const std::string& file = "<string>");
Mapping load_mapping(const std::string& path);

/// The mapping as YAML that parse_mapping reads back to an equal Mapping.
std::string to_yaml(const Mapping& mapping);

}  // namespace einfuse::mapper
