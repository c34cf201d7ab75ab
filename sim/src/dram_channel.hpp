// The DramChannel module: the DRAM behind the DMA (docs/sim.md, docs/dram.md).
//
// `ideal` is a pipe: the arch's bandwidth, no latency, bytes moved in the order they are
// reserved, time kept in exact ticks (a cycle is BW/g ticks, a byte clock/g) so the only
// rounding is to whole cycles where a transfer completes. The DMA reserves every transfer
// when it issues it, in program order, which is what mapper::simulate's channel does.
// Any other model is a DramBackend asked at the time a transfer is ready to go.
#pragma once

#include <memory>
#include <numeric>

#include "einfuse/sim/dram.hpp"
#include "sim_state.hpp"

namespace einfuse::sim::detail {

class DramChannel : public sc_core::sc_module {
 public:
  DramChannel(sc_core::sc_module_name n, const mapper::ArchSpec& arch, DramModel model, std::shared_ptr<DramBackend> backend)
      : sc_module(n), model_(model), backend_(std::move(backend)) {
    const u64 bw = static_cast<u64>(arch.dram.bandwidth_bytes_per_s), clock = static_cast<u64>(arch.clock_hz);
    const u64 g = std::gcd(bw, clock);
    cycle_ticks_ = bw / g;
    byte_ticks_ = clock / g;
  }
  /// True for the in-order pipe (ideal, none): transfers are reserved when issued.
  bool pipe() const { return !backend_; }

  // --- the pipe -------------------------------------------------------------------------
  /// Reserves `bytes`; returns the tick at which the channel has moved them.
  u128 reserve(u64 bytes) {
    if (model_ == DramModel::none) return 0;
    pointer_ += static_cast<u128>(bytes) * byte_ticks_;
    return pointer_;
  }
  u128 ticks(u64 cycle) const { return static_cast<u128>(cycle) * cycle_ticks_; }
  u128 transfer_ticks(u64 bytes) const { return model_ == DramModel::none ? 0 : static_cast<u128>(bytes) * byte_ticks_; }
  u64 to_cycles(u128 t) const { return static_cast<u64>((t + cycle_ticks_ - 1) / cycle_ticks_); }
  /// A fence: the pipe starts again from `cycle` (everything before is done).
  void restart(u64 cycle) {
    if (pipe()) pointer_ = ticks(cycle);
  }

  // --- a backend --------------------------------------------------------------------------
  /// Moves one transfer starting now; returns the cycle its last byte has moved.
  u64 transfer(u64 address, u64 bytes, bool write) { return backend_->transfer(now_cycles(), address, bytes, write); }
  const DramBackend* backend() const { return backend_.get(); }

 private:
  DramModel model_;
  std::shared_ptr<DramBackend> backend_;
  u128 cycle_ticks_ = 1, byte_ticks_ = 1, pointer_ = 0;
};

}  // namespace einfuse::sim::detail
