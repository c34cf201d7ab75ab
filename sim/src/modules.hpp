// The SystemC modules of the sim/ level (private: only sim/src includes systemc.h).
#pragma once

#include <systemc>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "einfuse/isa/run_result.hpp"
#include "einfuse/sim/simulator.hpp"

namespace einfuse::sim::detail {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;

inline sc_core::sc_time cycles(u64 n) { return sc_core::sc_time(static_cast<double>(n), sc_core::SC_NS); }
inline u64 now_cycles() { return static_cast<u64>(sc_core::sc_time_stamp().value() / cycles(1).value()); }

/// The tokens: when each command's end and result are (or will be) visible. Kept for the
/// whole run (a few dozen bytes per command); forgetting the ones no later command names is
/// the next step for long runs.
class TokenBoard {
 public:
  struct Token {
    bool known = false;
    bool load = false;  ///< a DMA load's token (stall attribution: dram, not producer)
    u64 end = 0, result = 0;
    sc_core::sc_event known_event;
  };
  Token& at(u64 id) {
    auto& p = tokens_[id];
    if (!p) p = std::make_unique<Token>();
    return *p;
  }
  void set(u64 id, u64 end, u64 result, bool load = false) {
    Token& t = at(id);
    t.known = true;
    t.load = load;
    t.end = end;
    t.result = result;
    t.known_event.notify(sc_core::SC_ZERO_TIME);
    makespan = std::max(makespan, result);
    ++done;
    done_event.notify(sc_core::SC_ZERO_TIME);
  }
  /// Blocks the calling thread until the wait is met; true when it was a load's token.
  bool wait_for(const isa::Wait& w) {
    Token& t = at(w.command);
    while (!t.known) sc_core::wait(t.known_event);
    const u64 when = w.result ? t.result : t.end;
    const u64 now = now_cycles();
    if (when > now) sc_core::wait(cycles(when - now));
    return t.load;
  }
  u64 makespan = 0, done = 0;
  sc_core::sc_event done_event;

 private:
  std::unordered_map<u64, std::unique_ptr<Token>> tokens_;
};

/// A command queue between the controller and a unit, bounded or not.
class CommandQueue {
 public:
  explicit CommandQueue(std::size_t depth) : depth_(depth) {}
  bool full() const { return depth_ != 0 && q_.size() >= depth_; }
  void push(isa::Command c) {
    q_.push_back(std::move(c));
    pushed_.notify(sc_core::SC_ZERO_TIME);
  }
  bool empty() const { return q_.empty(); }
  isa::Command pop() {
    isa::Command c = std::move(q_.front());
    q_.pop_front();
    popped_.notify(sc_core::SC_ZERO_TIME);
    return c;
  }
  sc_core::sc_event pushed_, popped_;
  bool closed = false;

 private:
  std::size_t depth_;
  std::deque<isa::Command> q_;
};

/// The DRAM behind the DMA: the `ideal` model moves bytes in the order they are reserved at
/// the arch's bandwidth. Time is kept in exact ticks (a cycle is BW/g ticks, a byte clock/g),
/// so the only rounding is to whole cycles where a transfer completes.
class DramChannel : public sc_core::sc_module {
 public:
  DramChannel(sc_core::sc_module_name n, const mapper::ArchSpec& arch, DramModel model) : sc_module(n), model_(model) {
    const u64 bw = static_cast<u64>(arch.dram.bandwidth_bytes_per_s), clock = static_cast<u64>(arch.clock_hz);
    const u64 g = std::gcd(bw, clock);
    cycle_ticks_ = bw / g;
    byte_ticks_ = clock / g;
  }
  /// Reserves `bytes`; returns the tick at which the channel has moved them.
  u128 reserve(u64 bytes) {
    if (model_ == DramModel::none) return 0;
    pointer_ += static_cast<u128>(bytes) * byte_ticks_;
    return pointer_;
  }
  u128 ticks(u64 cycle) const { return static_cast<u128>(cycle) * cycle_ticks_; }
  u128 transfer_ticks(u64 bytes) const { return model_ == DramModel::none ? 0 : static_cast<u128>(bytes) * byte_ticks_; }
  u64 to_cycles(u128 t) const { return static_cast<u64>((t + cycle_ticks_ - 1) / cycle_ticks_); }
  /// A fence: the channel starts again from `cycle` (everything before is done).
  void restart(u64 cycle) { pointer_ = ticks(cycle); }

 private:
  DramModel model_;
  u128 cycle_ticks_ = 1, byte_ticks_ = 1, pointer_ = 0;
};

}  // namespace einfuse::sim::detail
