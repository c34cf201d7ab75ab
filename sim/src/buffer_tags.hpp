// What the global buffer holds, tile by tile (docs/sim.md, "Buffer contents"): every slot of
// the address map (docs/isa.md) remembers which tile of which tensor was written there and
// when. A load writes the tiles it brings when it lands, an array command its result tile
// when it ends; an array command checks, when it ends, that each operand tile it read from
// the buffer was in its slot when it started and still is. A read that finds another tile is
// a hazard: on a real buffer the command would have computed with the wrong data. The run
// result counts them and describes the first few. Streamed tensors and running values are not
// checked (buffer_tags.cpp says why).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "sim_state.hpp"

namespace einfuse::sim::detail {

class BufferTags {
 public:
  explicit BufferTags(const isa::Program& program);
  /// A load's tiles landed at cycle `done`.
  void landed(const isa::Command& load, u64 done);
  /// An array command ran [start, end): checks its reads, then writes its result tile.
  void ran(const isa::Command& c, u64 start, u64 end);
  u64 hazards() const { return hazards_; }
  const std::vector<std::string>& described() const { return described_; }

 private:
  struct Tag {
    int tensor = -1;
    u64 ordinal = 0;
    u64 time = 0;
  };
  void write(u64 row, int tensor, u64 ordinal, u64 time);
  void hazard(std::string text);
  const isa::Program& p_;
  /// By buffer row (a slot's first row): the writes there, oldest first (a few at most).
  std::unordered_map<u64, std::vector<Tag>> slots_;
  /// By (Einsum, tensor): whether the Einsum's op reads exactly the tile its loop indices
  /// name (it iterates every loop that indexes the tensor); otherwise it reads several and
  /// is not checked.
  std::vector<std::vector<char>> checked_;
  u64 hazards_ = 0;
  std::vector<std::string> described_;
};

}  // namespace einfuse::sim::detail
