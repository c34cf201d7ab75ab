#include "controller.hpp"

#include "einfuse/sim/observer.hpp"

namespace einfuse::sim::detail {
namespace {
constexpr u64 kProgressEvery = 4096;  ///< commands between progress reports
}

Controller::Controller(sc_core::sc_module_name n, RunState& s, std::vector<ArrayUnit*> arrays, Dma& dma,
                       DramChannel& dram, std::size_t unit)
    : sc_module(n), s_(s), arrays_(std::move(arrays)), dma_(dma), dram_(dram), unit_(unit) {
  SC_THREAD(run);
}

// Every command issued before is done (and every result visible); the DRAM pipe restarts.
void Controller::fence() {
  s_.controller_wait = isa::StallCause::barrier;
  while (s_.tokens.done < s_.issued) sc_core::wait(s_.tokens.done_event);
  wait_until(s_.tokens.makespan);
  dram_.restart(now_cycles());
  s_.controller_wait = isa::StallCause::fill_drain;
}

void Controller::issue_compute(isa::Command c) {
  ArrayUnit& a = *arrays_[static_cast<std::size_t>(c.array)];
  if (a.queue.full()) {
    s_.controller_wait = isa::StallCause::downstream_space;
    while (a.queue.full()) sc_core::wait(a.queue.popped);
    s_.controller_wait = isa::StallCause::fill_drain;
  }
  a.queue.push(std::move(c));
}

void Controller::run() {
  isa::UnitActivity& stats = s_.result->units[unit_];
  isa::Program::Stream stream = s_.program->stream();
  isa::Command c;
  while (stream.next(c)) {
    ++stats.commands;
    if (s_.options.observer && stats.commands % kProgressEvery == 0) s_.options.observer->on_progress(stats.commands, now_cycles());
    if (c.kind == isa::CommandKind::fence) {
      fence();
      continue;
    }
    ++s_.issued;
    if (c.kind == isa::CommandKind::compute) issue_compute(std::move(c));
    else dma_.accept(std::move(c));
    // Let the units see the command before the next is issued (delta cycle).
    sc_core::wait(sc_core::SC_ZERO_TIME);
  }
  for (ArrayUnit* a : arrays_) a->queue.close();
  dma_.close();
}

}  // namespace einfuse::sim::detail
