#include "controller.hpp"

#include "einfuse/sim/observer.hpp"
#include "global_buffer.hpp"
#include "handoff.hpp"
#include "describe.hpp"

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
  s_.waiting[unit_].text = "a fence: every earlier command to finish";
  while (s_.tokens.done < s_.issued) sc_core::wait(s_.tokens.done_event);
  s_.waiting[unit_].clear();
  wait_until(s_.tokens.makespan);
  dram_.restart(now_cycles());
  s_.controller_wait = isa::StallCause::fill_drain;
}

void Controller::issue_compute(isa::Command c) {
  ArrayUnit& a = *arrays_[static_cast<std::size_t>(c.array)];
  if (a.queue.full()) {
    s_.controller_wait = isa::StallCause::downstream_space;
    s_.waiting[unit_].text = "room in the command queue of " + s_.result->units[static_cast<std::size_t>(c.array)].name +
                             " to issue " + describe_command(s_, c);
    while (a.queue.full()) sc_core::wait(a.queue.popped);
    s_.waiting[unit_].clear();
    s_.controller_wait = isa::StallCause::fill_drain;
  }
  if (s_.buffer) s_.buffer->compute_issued(c);
  if (s_.handoff) s_.handoff->compute_issued(c);
  a.queue.push(std::move(c));
}

void Controller::run() {
  isa::UnitActivity& stats = s_.result->units[unit_];
  isa::Program::Stream stream = s_.program->stream();
  isa::Command c;
  while (stream.next(c)) {
    ++stats.commands;
    if (c.kind == isa::CommandKind::fence) {
      fence();
      s_.tokens.skip(c.id);
      continue;
    }
    // The issue window: at most this many commands issued past the oldest unfinished one
    // (the memory the queues and tokens of a long run hold).
    if (s_.options.issue_window && c.id >= s_.tokens.oldest_unknown() + s_.options.issue_window) {
      s_.waiting[unit_].text = "room in the issue window";
      while (c.id >= s_.tokens.oldest_unknown() + s_.options.issue_window) sc_core::wait(s_.tokens.done_event);
      s_.waiting[unit_].clear();
    }
    ++s_.issued;
    if (c.kind == isa::CommandKind::compute) {
      // Progress in array commands: one per tile op, whose total the observer was given.
      if (s_.options.observer && ++computes_ % kProgressEvery == 0)
        s_.guarded([&] { s_.options.observer->on_progress(computes_, now_cycles()); });
      issue_compute(std::move(c));
    } else {
      if (c.kind == isa::CommandKind::load && s_.buffer) s_.buffer->load_issued(c);
      dma_.accept(std::move(c));
    }
    // Let the units see the command before the next is issued (delta cycle).
    sc_core::wait(sc_core::SC_ZERO_TIME);
  }
  s_.stream_done = true;
  if (s_.buffer) s_.buffer->stream_ended();
  if (s_.handoff) s_.handoff->stream_ended();
  for (ArrayUnit* a : arrays_) a->queue.close();
  dma_.close();
}

}  // namespace einfuse::sim::detail
