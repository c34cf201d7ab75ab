// isa::Program: a mapper::Schedule lowered to the commands the hardware's controller issues
// (docs/isa.md). Per tile op of the Schedule: a DMA load per tensor it fetches, one array
// command, a DMA store per tensor it writes back; per stage region of per_stage memory a
// fence. Every command signals a token (its id) when it is done; a command waits for the
// tokens it lists. Commands of one unit (an array, the DMA) run in program order.
//
// Each lowering step is its own file (lowering.hpp); this assembles them.
//
// Like the Schedule the Program is a lazy stream: a 1M-token shape has billions of commands
// and the stream holds O(#arrays + #Einsums + #tensors) state.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "einfuse/isa/address_map.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/isa/blocks.hpp"
#include "einfuse/isa/lowering.hpp"
#include "einfuse/isa/opcode.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::isa {

/// The lowered program of a Schedule. Refers to the Schedule, which must outlive it.
class Program {
 public:
  /// `buffer_footprint_bytes` by tensor (buffer_footprints(cost report)). Throws
  /// std::invalid_argument when the tensors' buffer regions do not fit (AddressMap).
  Program(const mapper::Schedule& schedule, const std::vector<std::uint64_t>& buffer_footprint_bytes);

  class Stream {
   public:
    explicit Stream(const Program& p);
    /// Fills `c` with the next command; false at the end.
    bool next(Command& c);

   private:
    void lower_next_op();
    const Program* p_;
    mapper::Schedule::Stream ops_;
    mapper::TileOp op_;
    std::vector<Command> pending_;  ///< the commands of the current op, not yet handed out
    std::size_t pending_pos_ = 0;
    std::uint64_t next_id_ = 0;
    int region_stage_ = -1;
    bool ops_done_ = false;
    TokenTable tokens_;
  };
  Stream stream() const { return Stream(*this); }

  const mapper::Schedule& schedule() const { return *schedule_; }
  const AddressMap& addresses() const { return addresses_; }

 private:
  const mapper::Schedule* schedule_;
  AddressMap addresses_;
};

}  // namespace einfuse::isa
