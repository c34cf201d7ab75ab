// Handoff buffers between the arrays (docs/sim.md): the result tiles a producer on one array
// hands to a consumer on another wait in a buffer of `handoff.tiles` tiles (arch spec). A
// producer's command starts only when the tile it made that many commands earlier has been
// taken: every consumer command issued for it has ended, and the consumers have moved on to
// a later tile (or the stream has ended). With the cost model's assumptions the buffer is
// unbounded.
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim_state.hpp"

namespace einfuse::sim::detail {

class Handoff {
 public:
  Handoff(const isa::Program& program, bool bounded);
  /// The controller issued an array command.
  void compute_issued(const isa::Command& c);
  /// No more commands.
  void stream_ended();
  /// A token was set.
  void command_ended(u64 id);
  /// Blocks the producer's array until its command may start; sets `blocked` meanwhile.
  void wait_for_room(const isa::Command& c, std::string& blocked);

 private:
  struct Tile {
    u64 open = 0;          ///< consumer commands issued for it and not ended
    bool taken = false;    ///< a consumer named it or a later tile of the producer
    bool released = false;
  };
  void try_release(u64 producer_command);
  const mapper::Workload& w_;
  bool bounded_;
  u64 tiles_;
  std::vector<int> array_of_;                      ///< by Einsum
  std::vector<char> handed_;                       ///< by Einsum: read by an Einsum on another array
  std::vector<std::deque<u64>> recent_;            ///< by Einsum: its commands, oldest released ones forgotten
  std::vector<u64> first_seq_;                     ///< by Einsum: the seq of recent_.front()
  std::vector<u64> taken_upto_;                    ///< by Einsum: tiles before this seq are taken
  std::unordered_map<u64, int> einsum_of_;         ///< live producer commands
  std::unordered_map<u64, Tile> tile_;             ///< by producer command
  std::unordered_map<u64, u64> seq_of_;            ///< by producer command
  std::unordered_map<u64, std::vector<u64>> reads_;  ///< consumer command -> producer commands
  sc_core::sc_event released_;
};

}  // namespace einfuse::sim::detail
