// The steps that lower one Schedule tile op to commands, one file each (docs/isa.md):
//   address_map.cpp      where tensors live (address_map.hpp)
//   lower_transfers.cpp  the op's DMA loads and stores
//   lower_compute.cpp    its array command: opcode, operand rows, cycles, actions
//   lower_tokens.cpp     which earlier commands it waits for
// Program (program.hpp) runs them in order over the Schedule's stream.
#pragma once

#include <cstdint>
#include <vector>

#include "einfuse/isa/address_map.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::isa {

/// One load per tensor the op fetches from DRAM (in the order of op.transfers), ids from
/// `next_id` on. A load lands in the tensor's buffer slot of this tile and waits for nothing:
/// the DMA prefetches in program order.
std::vector<Command> lower_loads(const mapper::TileOp& op, const AddressMap& map, std::uint64_t next_id);

/// One store per tensor the op writes to DRAM, waiting for the end of `compute`.
std::vector<Command> lower_stores(const mapper::TileOp& op, const AddressMap& map, std::uint64_t compute,
                                  std::uint64_t next_id);

/// The op's array command (no waits yet): unit and opcode from the array and the Einsum,
/// operands (reads, then the result) with their buffer rows and bytes.
Command lower_compute(const mapper::TileOp& op, const mapper::Workload& w, const mapper::ArchSpec& arch,
                      const AddressMap& map, std::uint64_t id);

/// Op id -> the id of its array command, for the ops a later dependency may still name (the
/// latest of each Einsum and each array, the last per array of the current and the previous
/// stage instance: docs/schedule.md). Constant memory.
class TokenTable {
 public:
  TokenTable() = default;
  TokenTable(std::size_t einsums, std::size_t arrays);
  void record(const mapper::TileOp& op, std::uint64_t command);
  /// Throws std::logic_error for an op no dependency may name (a stream that broke its contract).
  std::uint64_t command_of(std::uint64_t op) const;

 private:
  struct Entry {
    std::uint64_t op, command;
  };
  std::vector<Entry> live_;
  std::vector<std::int64_t> last_einsum_, last_array_, inst_last_, prev_inst_;
  int inst_stage_ = -1;
};

/// The waits of an op's array command: the results of its loads and of the array commands
/// of its data and barrier dependencies. The previous op on the same array needs no token:
/// a unit runs its commands in program order.
std::vector<Wait> compute_waits(const mapper::TileOp& op, const TokenTable& tokens, const std::vector<Command>& loads);

}  // namespace einfuse::isa
