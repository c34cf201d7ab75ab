// A Mapping lowered to the stream of tile operations the arrays execute: for every tile
// iteration of the mapping's DRAM- and buffer-level loops, for every Einsum in stage order,
// "Einsum e runs its tile of this iteration on array a for c cycles", with the bytes that tile
// moves and the ids of the earlier operations it waits for. This is what the SystemC model
// consumes; the closed-form cost model (cost_model.hpp) is the closed form of this stream, and
// simulate() below replays it so tests can hold the two against each other (docs/schedule.md
// has the contract and the agreement table).
//
// The stream is produced lazily from loop counters: a 1M-token shape has billions of tile
// operations, and a Stream holds O(#loops + #Einsums + #tensors x #stages) state whatever the
// number of tiles. Nothing here allocates per operation once a TileOp's vectors have grown.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::mapper {

/// Bytes one tile operation moves for one tensor.
struct TileTransfer {
  int tensor = -1;                        ///< Workload tensor index
  std::uint64_t dram_read_bytes = 0;      ///< fetched from DRAM before the op may start
  std::uint64_t dram_write_bytes = 0;     ///< written to DRAM after the op ends
  std::uint64_t buffer_read_bytes = 0;    ///< operand reads (multicast counted once) + staging of DRAM writes
  std::uint64_t buffer_write_bytes = 0;   ///< result writes + staging of DRAM reads
};

/// One operation of the stream. Ids are the positions in the stream (0, 1, 2, ...); every
/// dependency names an earlier id.
struct TileOp {
  std::uint64_t id = 0;
  int einsum = -1;           ///< Workload Einsum index
  int array = -1;            ///< ArchSpec::arrays index
  int stage = 0;             ///< index into the mapping's overlap.stages (0 when it has none)
  int pass = 0;              ///< traversal of the pass-forcing loop this op belongs to
  /// Sweep of the inner loops the op belongs to: (stage when stage-major) x outer iteration
  /// x pass, numbered in stream order. Each sweep fills and drains its own pipeline.
  std::uint64_t sweep = 0;
  std::uint64_t tile = 0;    ///< tile iteration whose data the op works on (row-major over the loops)
  std::vector<std::int64_t> loop_index;  ///< that iteration's index in each loop (dram_loops then buffer_loops)
  std::uint64_t points = 0;        ///< iteration-space points of the Einsum in this tile
  std::uint64_t array_tiles = 0;   ///< array-tile steps (points x folds / PEs of one spatial tile)
  std::uint64_t cycles = 0;        ///< busy cycles of the array
  /// Cycles after `cycles` before the result is visible to other ops: the spatial reduction's
  /// latency, exposed only when the mapping does not interleave (0 otherwise). The array itself
  /// is free after `cycles`.
  std::uint64_t drain_cycles = 0;
  /// PEs a spatial reduction of this Einsum runs through (the product of its reduced ranks'
  /// spatial extents; 0 when nothing is reduced across PEs): the result's latency after the
  /// last issue whether or not interleaving hides it from the array.
  std::uint64_t reduction_depth = 0;
  /// This tile's share of the Einsum's ops, by ArrayOp: summed over the stream, exactly
  /// WorkloadEinsum::ops.
  std::array<std::uint64_t, kArrayOpCount> actions{};
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;     ///< sums over `transfers`
  std::uint64_t buffer_read_bytes = 0, buffer_write_bytes = 0;  ///< sums over `transfers`
  std::vector<TileTransfer> transfers;  ///< one entry per tensor touched with a non-zero count
  /// Wait for the result (end + drain) of: the latest earlier op of each producer Einsum of a
  /// tensor this op reads, and, for an iterative Einsum, its own previous op.
  std::vector<std::uint64_t> data_deps;
  /// Wait for the end of the previous op on the same array (arrays run their ops in stream
  /// order). Absent for an array's first op.
  bool has_array_dep = false;
  std::uint64_t array_dep = 0;
  /// Stage barrier: wait for the result of the last op on each array of the previous stage
  /// instance (a maximal run of ops with one stage index). Set on the first op of an array in
  /// an instance when the stage index grew, or wrapped around without interleaving.
  std::vector<std::uint64_t> barrier_deps;
};

/// A loop of the lowered nest.
struct ScheduleLoop {
  std::string rank;
  int rank_id = -1;
  std::int64_t factor = 1;
  bool dram_level = true;  ///< false: a buffer-level loop
};

class Schedule {
 public:
  /// Lowers a mapping. Throws MappingError when validate_mapping() finds problems, and
  /// std::invalid_argument for a mapping the lowering cannot express (per_stage memory with a
  /// consumer staged before its producer; a loop over a split rank's root, M, while tensors
  /// are indexed by its parts, M1 and M0).
  Schedule(Workload workload, ArchSpec arch, const Mapping& mapping);

  /// Produces the ops one by one. Copyable; each copy continues independently. Refers to its
  /// Schedule, which must outlive it (and not move).
  class Stream {
   public:
    Stream() = default;  ///< an exhausted stream
    explicit Stream(const Schedule& s);
    /// Fills `op` with the next operation; false at the end (op unchanged).
    bool next(TileOp& op);

   private:
    struct TensorStageState {
      std::uint64_t last_key = ~std::uint64_t{0};
      std::uint64_t events = 0;  ///< spilled transfers so far (spread evenly over the events)
    };
    bool emit(int e, std::uint64_t tile, TileOp& op);
    void decode(std::uint64_t outer, std::uint64_t inner);
    std::uint64_t key(const std::vector<int>& key_loops) const;

    const Schedule* s_ = nullptr;
    // Position: sweep (stage group x outer iteration x pass), slot in the sweep, Einsum in the slot.
    std::size_t group_ = 0;
    std::uint64_t outer_ = 0;
    int pass_ = 0;
    std::uint64_t slot_ = 0;
    std::size_t order_pos_ = 0;
    bool done_ = true;
    std::vector<std::int64_t> index_;          ///< decoded loop indices of the current op's tile
    std::uint64_t next_id_ = 0;
    std::vector<std::int64_t> last_of_einsum_;  ///< latest op id per Einsum, -1 none
    std::vector<std::int64_t> last_of_array_;
    std::vector<std::int64_t> instance_last_;   ///< last op per array in the current stage instance
    std::vector<std::int64_t> barrier_;         ///< last op per array in the previous instance
    int instance_stage_ = -1;
    bool barrier_active_ = false;
    std::vector<TensorStageState> tensor_state_;  ///< [tensor x stage] DRAM fetch state
    std::vector<std::uint64_t> write_events_;     ///< spilled writes so far, by tensor
    std::vector<std::uint64_t> runs_;             ///< ops emitted so far, by Einsum
    std::uint64_t decoded_ = ~std::uint64_t{0};   ///< tile index_ holds
  };

  Stream stream() const { return Stream(*this); }

  /// Input iterator over the stream, for range-for.
  class iterator {
   public:
    using value_type = TileOp;
    using difference_type = std::ptrdiff_t;
    iterator() = default;  ///< the end
    explicit iterator(const Schedule& s) : stream_(s), live_(true) { ++*this; }
    const TileOp& operator*() const { return op_; }
    const TileOp* operator->() const { return &op_; }
    iterator& operator++() {
      live_ = stream_.next(op_);
      return *this;
    }
    bool operator==(const iterator& o) const { return live_ == o.live_; }

   private:
    Stream stream_;
    TileOp op_;
    bool live_ = false;
  };
  iterator begin() const { return iterator(*this); }
  iterator end() const { return iterator(); }

  /// Number of ops the stream produces (computed, not counted).
  std::uint64_t op_count() const;
  /// Tile iterations of the loop nest (product of all loop factors).
  std::uint64_t tile_iterations() const { return outer_count_ * inner_count_; }

  const Workload& workload() const { return w_; }
  const ArchSpec& arch() const { return arch_; }
  const std::vector<ScheduleLoop>& loops() const { return loops_; }
  int stage_count() const { return static_cast<int>(stages_.size()); }
  int pass_count() const { return passes_; }
  int pass_of(int einsum) const { return einsums_[static_cast<std::size_t>(einsum)].pass; }
  /// The ArchSpec::arrays index the Einsum is bound to.
  int array_of(int einsum) const { return einsums_[static_cast<std::size_t>(einsum)].array; }
  /// Where a tensor lives (the mapping's residency), the tensor whose storage it overwrites in
  /// place (-1: none), the bytes one DRAM fetch of it moves, and the bytes of its tile under
  /// every loop (what one op reads or writes of it).
  Residency residency_of(int tensor) const { return tensors_[static_cast<std::size_t>(tensor)].residency; }
  int in_place_host(int tensor) const { return tensors_[static_cast<std::size_t>(tensor)].in_place_host; }
  std::uint64_t fetch_tile_bytes(int tensor) const { return tensors_[static_cast<std::size_t>(tensor)].fetch_tile_bytes; }
  std::uint64_t op_tile_bytes(int tensor) const { return tensors_[static_cast<std::size_t>(tensor)].write_tile_bytes; }
  /// Slots an Einsum trails the first stage's Einsums by: its producers run later in the slot
  /// (a software pipeline across tile iterations, as FuseMax's +Binding stages ask).
  int lag_of(int einsum) const { return einsums_[static_cast<std::size_t>(einsum)].lag; }
  /// True for per_stage memory: every stage sweeps the whole nest before the next one starts.
  bool stage_major() const { return stage_major_; }
  bool per_stage_memory() const { return stage_major_; }
  /// Sweeps of the inner loops (outer iterations x passes, x stages when stage-major): each
  /// has its own pipeline fill and drain.
  std::uint64_t sweeps() const;

  /// What an op of `einsum` with these actions (by ArrayOp) and points costs on its array:
  /// the one formula every op of the stream uses (docs/schedule.md, "A tile operation").
  struct OpTime {
    std::uint64_t cycles = 0, array_tiles = 0, drain_cycles = 0;
  };
  OpTime op_time(int einsum, const std::array<std::uint64_t, kArrayOpCount>& actions, std::uint64_t points) const;
  /// The index range of every rank (by RankId) in the tile iteration with these loop
  /// indices: each loop over a rank cuts the rank's current range into `factor` blocks,
  /// outermost loop first; a rank no loop names is whole. (A loop over a split part says
  /// nothing here about its root's variable, nor the other way round.)
  std::vector<einsum::IndexRange> tile_box(const std::vector<std::int64_t>& loop_index) const;

 private:
  friend class Stream;
  struct EinsumPlan {
    int array = -1, stage = 0, order = 0, pass = 0, lag = 0;
    std::uint64_t tile_rows = 1, tile_cols = 1, folds = 1, spatial_pes = 1;
    std::uint64_t reduction_depth = 0;
    bool drain_exposed = false;
    bool iterative = false;
    std::vector<std::uint64_t> cycles_per_op;  ///< by ArrayOp
    std::vector<char> iterates;                 ///< by loop
    std::vector<char> at_last;                  ///< by loop, for loops it does not iterate
    std::vector<char> completes_on_last;        ///< by loop: output tile done at the loop's last index
    std::uint64_t runs = 1;                     ///< ops over the whole stream
    std::vector<int> producers;                 ///< Einsums whose outputs it reads (not itself)
    struct Read {
      int tensor;
      std::uint64_t multicast;
    };
    std::vector<Read> reads;
  };
  struct TensorPlan {
    Residency residency = Residency::buffer;
    double spill = 0;
    bool homed_in_dram = false, bypass = false, stationary = false;
    int in_place_host = -1;               ///< the tensor whose storage it overwrites
    std::vector<int> ranks;               ///< every rank that indexes it (as the cost model's reuse rule)
    std::vector<int> dram_key_loops;      ///< loops whose indices name the DRAM tile it fetches
    std::uint64_t fetch_tile_bytes = 0;   ///< bytes of one such fetch
    std::uint64_t spill_bytes = 0;        ///< round(bytes x spill), the closed form's amount
    std::uint64_t fetch_events = 1;       ///< distinct fetch keys (spread of spilled bytes)
    std::uint64_t write_tile_bytes = 0;   ///< one finished output tile (all loops)
    std::uint64_t init_slice_bytes = 0;   ///< the init slice of an iterative tensor, per tile
    int iterative_loop_rank = -1;         ///< rank of the iterative slot, -1 none
    std::uint64_t write_events = 1;       ///< finished output tiles over the run
    std::vector<int> read_pass;           ///< by stage: pass whose ops fetch it, -1 not read
  };

  Workload w_;
  ArchSpec arch_;
  std::vector<ScheduleLoop> loops_;
  std::vector<std::vector<int>> stages_;
  std::vector<EinsumPlan> einsums_;
  std::vector<TensorPlan> tensors_;
  std::vector<int> slot_order_;  ///< Einsums in slot order (stage, then listing)
  bool stage_major_ = false, interleave_ = true;
  int passes_ = 1, max_lag_ = 0;
  std::size_t split_ = 0;        ///< loops [0, split_) are outside the passes
  std::uint64_t outer_count_ = 1, inner_count_ = 1;

  bool depends(const std::vector<int>& ranks, int rank) const;
  std::uint64_t slot_tile(int rank, bool all_loops) const;
};

/// What simulate() measured: the totals the closed form states, summed op by op, and the
/// makespan of list scheduling the stream.
struct ScheduleTotals {
  std::uint64_t ops = 0;
  std::vector<std::uint64_t> einsum_cycles;     ///< by Workload Einsum
  std::vector<std::uint64_t> einsum_array_tiles;
  std::vector<std::uint64_t> einsum_ops;
  std::vector<std::uint64_t> array_busy;        ///< by ArchSpec array
  std::vector<std::uint64_t> tensor_dram_read, tensor_dram_write;  ///< by tensor
  std::vector<std::uint64_t> tensor_buffer_read, tensor_buffer_write;
  std::uint64_t dram_bytes = 0;
  std::uint64_t buffer_read_bytes = 0, buffer_write_bytes = 0;
  std::uint64_t compute_makespan_cycles = 0;    ///< with DRAM infinitely fast
  std::uint64_t makespan_cycles = 0;            ///< with DRAM at the arch's bandwidth
  std::uint64_t dram_cycles = 0;                ///< ceil(dram_bytes at the bandwidth)
  /// Largest serial time of one tile iteration (Σ cycles + drains of the ops of one tile):
  /// the unit the pipeline fill/drain bounds are stated in.
  std::uint64_t max_tile_cycles = 0;
  /// Largest DRAM time of one op's transfers (reads + writes): what a cold start waits for
  /// before the first op and the last write adds after the last op.
  std::uint64_t max_op_dram_cycles = 0;
  /// Σ over sweeps of the busiest array's cycles in that sweep: the compute time when arrays
  /// overlap within a sweep but not across (an array runs its ops in stream order, so it
  /// cannot start the next sweep's work while another array finishes this one's).
  std::uint64_t sweep_serial_cycles = 0;
};

/// List-schedules the stream: an op starts when its dependencies allow (data and barrier
/// deps: their end + drain; the array dep: its end) and, with DRAM modelled, when the channel
/// has delivered every byte of the stream up to and including this op's reads (the channel
/// moves the stream's bytes in order at full bandwidth, reads prefetched without a bound on
/// buffering). Writes leave after the op ends. Under per_stage memory each stage is a region
/// that starts when the previous one has finished, DRAM included, on a cycle boundary.
ScheduleTotals simulate(const Schedule& schedule);

}  // namespace einfuse::mapper
