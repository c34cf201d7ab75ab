// The DMA (docs/sim.md): loads (DRAM -> buffer) in program order, and stores (buffer -> DRAM)
// in the order their data becomes ready. The controller hands every transfer to accept()
// when it issues it.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dram_channel.hpp"
#include "sim_state.hpp"

namespace einfuse::sim::detail {

class Dma : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Dma);
  Dma(sc_core::sc_module_name n, RunState& s, DramChannel& dram, std::size_t unit);
  /// Takes a load or store in program order. On the pipe its bytes are reserved now.
  void accept(isa::Command c);
  /// No more commands: the engines finish what they hold and stop.
  void close();
  /// A token was set: the stores waiting for it are ready.
  void token_set(u64 id);
  /// The transfers it holds and has not started (for a deadlock report).
  void pending(std::vector<const isa::Command*>& out) const;

 private:
  struct Transfer {
    isa::Command command;
    u128 slot = 0;  ///< the pipe: the tick its bytes have moved
  };
  class Queue {
   public:
    void push(Transfer t) {
      q_.push_back(std::move(t));
      pushed.notify(sc_core::SC_ZERO_TIME);
    }
    bool wait_nonempty() {
      while (q_.empty() && !closed) sc_core::wait(pushed);
      return !q_.empty();
    }
    Transfer pop() {
      Transfer t = std::move(q_.front());
      q_.pop_front();
      return t;
    }
    const std::deque<Transfer>& items() const { return q_; }
    sc_core::sc_event pushed;
    bool closed = false;

   private:
    std::deque<Transfer> q_;
  };
  void loads();
  void stores();
  /// Waits until fewer than the arch's `dma.outstanding` transfers are in flight (bounded
  /// channels only); `done` is pushed by the caller once known.
  void acquire_slot(std::string& blocked);
  /// Moves a transfer's bytes from now; returns the cycle they have moved.
  u64 move(const Transfer& t);
  void account(const isa::Command& c, u64 start, u64 end);

  RunState& s_;
  DramChannel& dram_;
  std::size_t unit_;
  Queue loads_, ready_stores_;
  std::unordered_map<u64, std::vector<Transfer>> waiting_stores_;  ///< by the command they wait for
  std::vector<u64> in_flight_;  ///< completion cycles of transfers in flight (a min-heap)
  u64 outstanding_ = 0;         ///< 0: no bound
  std::string label_;
};

}  // namespace einfuse::sim::detail
