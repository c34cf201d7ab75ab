// The GlobalBuffer module (docs/sim.md): the one on-chip buffer, as a resource the other
// modules reserve. Two things bound the run when the channels are the arch's:
//   ports and banks  every array command reads and writes its operands' rows, every DMA
//                    transfer writes (a load) or reads (a store) its rows; a bank serves
//                    `ports` row accesses per cycle, rows interleaved over the banks;
//   space            a DRAM tile lands only in free space: each load opens a generation of
//                    its tensor that holds the tile's bytes until a newer fetch of the tensor
//                    has been issued and every command that read this one has ended; at most
//                    `prefetch_tiles` generations of one tensor (per stage) are held at once.
// Values are not stored here: data mode keeps tensors by coordinates (tile_kernels.hpp).
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "einfuse/isa/address_map.hpp"
#include "sim_state.hpp"

namespace einfuse::sim::detail {

class GlobalBuffer : public sc_core::sc_module {
 public:
  /// `bounded`: enforce ports, banks and space (else every request is served at once).
  /// `tile_bytes`: the space DRAM tiles share (the buffer less the intermediates' regions).
  GlobalBuffer(sc_core::sc_module_name n, const isa::Program& program, std::uint64_t tile_bytes, bool bounded);

  // --- ports and banks ---------------------------------------------------------------------
  /// The cycle by which the buffer has served an array command's operand accesses, the
  /// command starting at `start`.
  u64 serve_operands(u64 start, const isa::Command& c);
  /// The cycle by which it has served a DMA transfer's rows, starting at `start`.
  u64 serve_transfer(u64 start, const isa::Command& c);

  // --- space for DRAM tiles -------------------------------------------------------------------
  /// The controller issued a load: a new generation of its tensor.
  void load_issued(const isa::Command& load);
  /// The controller issued an array command: it reads the current generation of every
  /// fetched tensor among its operands.
  void compute_issued(const isa::Command& c);
  /// No more commands: every generation is the last of its tensor.
  void stream_ended();
  /// A token was set: the generations the command read may be freed.
  void command_ended(u64 id);
  /// Blocks the DMA until the load's tile may land (depth and free bytes); sets what it
  /// waits for in `blocked` while it does.
  void wait_for_room(const isa::Command& load, std::string& blocked);
  /// What holds the buffer's space now (for a deadlock report).
  std::string space_report() const;

 private:
  struct Generation {
    int tensor = -1;
    u64 seq = 0;      ///< its place among the generations of its (tensor, stage)
    std::size_t history = 0;
    u64 load = 0, bytes = 0;
    u64 readers = 0;  ///< issued readers not yet ended
    bool superseded = false, landed = false, freed = false;
  };
  void try_free(Generation& g);
  std::size_t key(int tensor, int stage) const { return static_cast<std::size_t>(tensor) * stages_ + static_cast<std::size_t>(stage); }
  /// Adds `accesses` row accesses spread over `rows` rows from `row`; returns when served.
  u64 reserve(u64 start, u64 row, u64 rows, u64 accesses);

  const isa::AddressMap& map_;
  const mapper::Workload& w_;
  std::size_t stages_;
  bool bounded_;
  u64 row_bytes_, banks_, ports_;
  std::vector<u64> bank_free_;  ///< by bank: the access slot (cycle x ports) it is free from
  u64 capacity_ = 0, used_ = 0;
  u64 depth_ = 2;
  std::unordered_map<u64, Generation> gens_;  ///< live generations, by load command id
  /// By (tensor, stage): its generations in issue order, from seq `first` on; the older ones
  /// are freed and forgotten.
  struct History {
    u64 first = 0;
    std::deque<u64> loads;
  };
  std::vector<History> history_;
  bool freed_seq(const History& h, u64 seq) const;
  void forget(History& h);
  std::unordered_map<u64, std::vector<u64>> reads_of_;     ///< compute command -> generations it reads
  sc_core::sc_event freed_;
};

}  // namespace einfuse::sim::detail
