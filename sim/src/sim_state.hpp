// What the modules of one run share (private: only sim/src includes systemc.h): time in
// cycles, the token board, command queues, the options and the stall bookkeeping.
#pragma once

#include <systemc>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "einfuse/isa/program.hpp"
#include "einfuse/isa/run_result.hpp"
#include "einfuse/sim/simulator.hpp"

namespace einfuse::sim::detail {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;

/// Time is integer cycles, 1 ns of SystemC time each.
inline sc_core::sc_time cycles(u64 n) { return sc_core::sc_time(static_cast<double>(n), sc_core::SC_NS); }
inline u64 now_cycles() { return static_cast<u64>(sc_core::sc_time_stamp().value() / cycles(1).value()); }
inline void wait_until(u64 cycle) {
  const u64 now = now_cycles();
  if (cycle > now) sc_core::wait(cycles(cycle - now));
}

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
    labels.erase(id);
    Token& t = at(id);
    t.known = true;
    t.load = load;
    t.end = end;
    t.result = result;
    t.known_event.notify(sc_core::SC_ZERO_TIME);
    makespan = std::max(makespan, result);
    ++done;
    done_event.notify(sc_core::SC_ZERO_TIME);
    if (on_set) on_set(id);
  }
  bool known(u64 id) { return at(id).known; }
  /// Blocks the calling thread until the wait is met; true when it was a load's token.
  bool wait_for(const isa::Wait& w) {
    Token& t = at(w.command);
    while (!t.known) sc_core::wait(t.known_event);
    wait_until(w.result ? t.result : t.end);
    return t.load;
  }
  u64 makespan = 0, done = 0;
  sc_core::sc_event done_event;
  /// Called with every token as it is set (the DMA releases the stores waiting for it).
  std::function<void(u64)> on_set;
  /// What each issued, unfinished command is (for a deadlock report).
  std::unordered_map<u64, std::string> labels;
  std::string describe(u64 id) const {
    auto it = labels.find(id);
    return "command " + std::to_string(id) + (it == labels.end() ? "" : " (" + it->second + ")");
  }

 private:
  std::unordered_map<u64, std::unique_ptr<Token>> tokens_;
};

/// A command queue between the controller and a unit, bounded or not.
class CommandQueue {
 public:
  explicit CommandQueue(std::size_t depth) : depth_(depth) {}
  bool full() const { return depth_ != 0 && q_.size() >= depth_; }
  bool empty() const { return q_.empty(); }
  void push(isa::Command c) {
    q_.push_back(std::move(c));
    pushed.notify(sc_core::SC_ZERO_TIME);
  }
  isa::Command pop() {
    isa::Command c = std::move(q_.front());
    q_.pop_front();
    popped.notify(sc_core::SC_ZERO_TIME);
    return c;
  }
  void close() {
    closed_ = true;
    pushed.notify(sc_core::SC_ZERO_TIME);
  }
  /// Waits for a command; false once the queue is closed and empty.
  bool wait_nonempty() {
    while (q_.empty() && !closed_) sc_core::wait(pushed);
    return !q_.empty();
  }
  sc_core::sc_event pushed, popped;

 private:
  std::size_t depth_;
  bool closed_ = false;
  std::deque<isa::Command> q_;
};

class MaskedTiles;
class TileKernels;
class GlobalBuffer;
class Handoff;

/// The state of one run that every module sees.
struct RunState {
  const isa::Program* program = nullptr;
  SimOptions options;
  TokenBoard tokens;
  u64 issued = 0;
  bool stream_done = false;  ///< the controller has issued the whole Program
  /// What holds the controller back now (the cause an idle unit is charged).
  isa::StallCause controller_wait = isa::StallCause::fill_drain;
  isa::RunResult* result = nullptr;
  MaskedTiles* masks = nullptr;     ///< with the cascade: masked tiles costed from the mask
  TileKernels* kernels = nullptr;   ///< data mode: computes each tile's values
  GlobalBuffer* buffer = nullptr;
  Handoff* handoff = nullptr;
  /// By unit (result order): what it waits for now, empty when it is not blocked.
  std::vector<std::string> blocked;
  /// The first exception thrown by an observer or a kernel inside a process: the run stops
  /// and simulate() rethrows it as it was (SystemC would wrap it in a report).
  std::exception_ptr error;
  /// Runs `f`; an exception stops the simulation and is kept for simulate() to rethrow.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (...) {
      if (!error) error = std::current_exception();
      sc_core::sc_stop();
    }
  }
};

/// Charges the cycles since `from` to cause `c`.
inline void charge(isa::UnitActivity& u, isa::StallCause c, u64 from) {
  const u64 now = now_cycles();
  if (now > from) u.stalls[static_cast<std::size_t>(c)] += now - from;
}

/// Energy from the run's action counts and the arch's per-action table (energy.cpp).
void charge_energy(const mapper::ArchSpec& arch, isa::RunResult& r);

}  // namespace einfuse::sim::detail
