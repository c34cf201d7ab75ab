// The mapspace of a cascade on an architecture: every Mapping the search may try, as a
// product of small discrete dimensions (a tiling, an overlap policy, a binding per Einsum, a
// residency per tensor), with the facts a search needs to prune it (best-case cycles and
// energy of every binding choice, the least DRAM traffic and buffer footprint of every
// tiling). Which choices exist follows physical rules the cost model does not check by
// itself (a running state must stay in the buffer across the loop it is carried over; a
// tensor live across passes over a DRAM-tiled rank can only be re-read from DRAM); what a
// chosen point costs is the cost model's business. Rules and dimensions: docs/search.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::mapper {

/// How the arrays and DRAM overlap (Mapping::overlap), as one dimension of the mapspace.
enum class OverlapPolicy {
  pipelined,  ///< one stage: every array busy at once across interleaved tiles; DRAM overlapped
  layered,    ///< a stage per dependency layer of one tile, interleaved; DRAM overlapped
  layered_waiting,  ///< the same layers, not interleaved: reductions' latency exposed
  serial,     ///< one Einsum per stage, each waiting for its own DRAM traffic (unfused kernels)
};
const char* overlap_policy_name(OverlapPolicy p);

struct MapspaceOptions {
  std::vector<OverlapPolicy> overlaps = {OverlapPolicy::pipelined, OverlapPolicy::layered,
                                         OverlapPolicy::layered_waiting, OverlapPolicy::serial};
  bool allow_registers = true;     ///< intermediates may stay in the PE registers
  bool allow_dram_bypass = true;   ///< inputs, outputs and carried state may bypass the buffer
  int layouts_per_array = 3;       ///< spatial layouts kept per (Einsum, array), fastest first
  /// FuseMax's dataflow: each row of a 2D array holds one key, so an Einsum bound to a 2D
  /// array lays down its rows a rank it reduces or the finest part of a split rank (the key
  /// within a tile, M0), and an Einsum without one
  /// runs on a 1D array. Off, the search may also put such Einsums on the 2D array (one row of
  /// it, or F down the rows), which the cost model accepts and which balances the arrays.
  bool keys_down_rows = false;
};

/// One way to run an Einsum: an array and the ranks across its rows and columns, with its
/// busy cycles and compute energy (ops + register file) at this tiling.
struct BindingChoice {
  int array = -1;
  std::vector<int> rows, cols;  ///< RankIds
  std::uint64_t cycles = 0;
  std::uint64_t pes = 0;        ///< PEs one array tile occupies
  double energy_pj = 0;
};

/// Where the sequential (iterated, reduced) rank is looped.
enum class LoopLevel { none, dram, buffer };

/// Why a tensor's residency choices are restricted (reported with the result).
enum class TensorRule {
  free,        ///< registers (same array) or stream
  reused,      ///< read again across a loop it does not depend on: buffer, or re-read from DRAM
  carried,     ///< a running state or accumulator across the sequential loop: buffer or DRAM
  live,        ///< live across passes over the sequential rank: held whole in the buffer, or DRAM
};
const char* tensor_rule_name(TensorRule r);

/// Loop nest and spatial factors shared by every Einsum, with what follows from them.
struct Tiling {
  std::vector<Loop> dram_loops, buffer_loops;
  std::vector<SpatialFactor> spatial;
  int sequential_rank = -1;            ///< RankId looped as the pass rank (M1, M, S...), -1 none
  LoopLevel sequential_level = LoopLevel::none;
  std::vector<std::vector<BindingChoice>> bindings;  ///< by Einsum: fastest first
  std::vector<std::vector<Residency>> residencies;   ///< by tensor: preferred first
  std::vector<TensorRule> rules;                     ///< by tensor
  std::vector<std::uint64_t> footprint_bytes;        ///< by tensor: [buffer, stream] tile bytes
  std::vector<std::uint64_t> stream_bytes;
  std::uint64_t min_dram_bytes = 0;   ///< least DRAM traffic of any point of this tiling
  std::uint64_t min_buffer_bytes = 0; ///< least buffer footprint of any point of this tiling
  std::string description;            ///< "B H P/4 | M1 || P/16" for reports
};

/// A point of the mapspace: an index into each dimension.
struct MapPoint {
  int tiling = 0;
  int overlap = 0;
  std::vector<int> binding;    ///< by Einsum, into Tiling::bindings[e]
  std::vector<int> residency;  ///< by tensor, into Tiling::residencies[t]
};

/// Lower bounds of every point that completes a partial one.
struct Bound {
  std::uint64_t latency_cycles = 0;
  double energy_pj = 0;
};

class Mapspace {
 public:
  /// `cascade` must outlive the Mapspace. Throws CascadeError like make_workload.
  Mapspace(const einsum::Cascade& cascade, const einsum::BoundShape& shape, const ArchSpec& arch,
           MapspaceOptions options = {}, CostOptions cost = {});

  const Workload& workload() const { return workload_; }
  const ArchSpec& arch() const { return arch_; }
  const einsum::Cascade& cascade() const { return *cascade_; }
  const CostOptions& cost_options() const { return cost_; }
  const std::vector<Tiling>& tilings() const { return tilings_; }  ///< feasible ones only
  const std::vector<OverlapPolicy>& overlaps() const { return options_.overlaps; }
  std::size_t einsum_count() const { return workload_.einsums.size(); }
  std::size_t tensor_count() const { return workload_.tensors.size(); }

  /// Empty when the mapspace holds at least one candidate; else exactly why it holds none
  /// (an op no array executes, the smallest tiles overflowing the buffer, ...).
  const std::string& why_empty() const { return why_empty_; }
  /// Number of points (a double: it can be astronomically large).
  double size() const;

  /// The point's Mapping, ready for the cost model and for YAML.
  Mapping mapping(const MapPoint& p) const;
  /// Cost of a point; nullopt when it does not fit (capacity, registers on two arrays).
  std::optional<CostSummary> evaluate(const MapPoint& p) const;
  /// Lower bounds of every completion of `p` in which Einsums order[0..assigned) are bound as
  /// p says and every other choice is free.
  Bound bound(const MapPoint& p, const std::vector<int>& order, std::size_t assigned) const;
  /// `p` with every residency resolved by rule from its bindings: the preferred choice that
  /// is legal (registers only on one array and within its register file), then the largest
  /// tiles that can go to DRAM moved there until the buffer holds the rest. nullopt when even
  /// that does not fit. The default strategies search bindings and resolve residencies.
  std::optional<MapPoint> resolve(MapPoint p) const;
  /// The point made of the first (preferred) choice of every dimension.
  MapPoint first_point(int tiling) const;

  std::uint64_t dram_cycles(std::uint64_t bytes) const;

 private:
  void build_tilings();
  void add_tiling(std::vector<Loop> dram, std::vector<Loop> buffer, std::vector<SpatialFactor> spatial, int seq,
                  LoopLevel level);

  const einsum::Cascade* cascade_;
  Workload workload_;
  ArchSpec arch_;
  MapspaceOptions options_;
  CostOptions cost_;
  std::vector<Tiling> tilings_;
  std::string why_empty_;
  std::vector<std::vector<int>> live_roots_;
  std::vector<int> layer_;  ///< by Einsum: its dependency layer within one tile  ///< by tensor: root ranks it is live across passes of
  std::string smallest_overflow_;            ///< the least-overflowing tiling's capacity message
  std::uint64_t smallest_overflow_bytes_ = 0;
};

}  // namespace einfuse::mapper
