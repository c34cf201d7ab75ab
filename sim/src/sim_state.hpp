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

/// The tokens: when each command's end and result are (or will be) visible, by command id
/// (ids are dense: 0, 1, 2, ... in program order). 17 bytes a command for the whole run. A
/// unit waiting for a token not yet known registers its own event, notified when it is set.
class TokenBoard {
 public:
  void set(u64 id, u64 end, u64 result, bool load = false) {
    mark(id, end, result, load);
    if (auto it = waiters_.find(id); it != waiters_.end()) {
      for (sc_core::sc_event* e : it->second) e->notify(sc_core::SC_ZERO_TIME);
      waiters_.erase(it);
    }
    makespan = std::max(makespan, result);
    ++done;
    done_event.notify(sc_core::SC_ZERO_TIME);
    if (on_set) on_set(id);
  }
  /// A command without a token of its own (a fence): known at once, not counted as done.
  void skip(u64 id) { mark(id, 0, 0, false); }
  bool known(u64 id) const { return id < flags_.size() && (flags_[id] & kKnown); }
  /// The first command whose token is not known yet.
  u64 oldest_unknown() const { return low_; }
  /// Blocks the calling thread until the wait is met, waking on the caller's own `event`;
  /// true when it was a load's token.
  bool wait_for(const isa::Wait& w, sc_core::sc_event& event) {
    while (!known(w.command)) {
      waiters_[w.command].push_back(&event);
      sc_core::wait(event);
    }
    wait_until(w.result ? result_[w.command] : end_[w.command]);
    return flags_[w.command] & kLoad;
  }
  u64 makespan = 0, done = 0;
  sc_core::sc_event done_event;
  /// Called with every token as it is set (the DMA releases the stores waiting for it).
  std::function<void(u64)> on_set;

 private:
  static constexpr std::uint8_t kKnown = 1, kLoad = 2;
  void mark(u64 id, u64 end, u64 result, bool load) {
    grow(id);
    end_[id] = end;
    result_[id] = result;
    flags_[id] = kKnown | (load ? kLoad : 0);
    while (low_ < flags_.size() && (flags_[low_] & kKnown)) ++low_;
  }
  void grow(u64 id) {
    if (id < flags_.size()) return;
    const std::size_t n = std::max<std::size_t>(id + 1, flags_.size() * 2);
    end_.resize(n);
    result_.resize(n);
    flags_.resize(n);
  }
  std::vector<u64> end_, result_;
  std::vector<std::uint8_t> flags_;
  u64 low_ = 0;
  std::unordered_map<u64, std::vector<sc_core::sc_event*>> waiters_;
};

/// A command queue between the controller and a unit, bounded or not.
class CommandQueue {
 public:
  explicit CommandQueue(std::size_t depth) : depth_(depth) {}
  bool full() const { return depth_ != 0 && q_.size() >= depth_; }
  bool empty() const { return q_.empty(); }
  const std::deque<isa::Command>& items() const { return q_; }
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
class BufferTags;

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
  BufferTags* tags = nullptr;       ///< what each buffer slot holds (hazard check)
  /// By unit (result order): what it waits for now (read only for a deadlock report, so it
  /// is kept as pointers while a command waits for a token, text otherwise).
  struct Waiting {
    const isa::Command* command = nullptr;  ///< the command that waits
    const isa::Wait* wait = nullptr;        ///< for this token, or
    std::string text;                       ///< for this (empty: not blocked)
    void clear() {
      command = nullptr;
      wait = nullptr;
      text.clear();
    }
  };
  std::vector<Waiting> waiting;
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
