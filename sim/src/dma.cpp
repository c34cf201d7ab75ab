#include "dma.hpp"

#include <algorithm>

#include "einfuse/sim/observer.hpp"
#include "buffer_tags.hpp"
#include "global_buffer.hpp"

namespace einfuse::sim::detail {

Dma::Dma(sc_core::sc_module_name n, RunState& s, DramChannel& dram, std::size_t unit)
    : sc_module(n), s_(s), dram_(dram), unit_(unit) {
  if (s.options.channels == Channels::arch)
    outstanding_ = static_cast<u64>(std::max(1, s.program->schedule().arch().dma.outstanding));
  SC_THREAD(loads);
  SC_THREAD(stores);
}

void Dma::acquire_slot(std::string& blocked) {
  if (outstanding_ == 0) return;
  const auto later = std::greater<u64>();
  while (!in_flight_.empty() && in_flight_.front() <= now_cycles()) {
    std::pop_heap(in_flight_.begin(), in_flight_.end(), later);
    in_flight_.pop_back();
  }
  while (in_flight_.size() >= outstanding_) {
    blocked = "a free DMA slot (" + std::to_string(outstanding_) + " transfers in flight)";
    wait_until(in_flight_.front());
    std::pop_heap(in_flight_.begin(), in_flight_.end(), later);
    in_flight_.pop_back();
  }
}

void Dma::accept(isa::Command c) {
  Transfer t{std::move(c), 0};
  if (dram_.pipe()) t.slot = dram_.reserve(t.command.bytes);
  isa::TensorCounts& counts = s_.result->tensors[static_cast<std::size_t>(t.command.tensor)];
  (t.command.kind == isa::CommandKind::load ? counts.dram_read_bytes : counts.dram_write_bytes) += t.command.bytes;
  ++counts.dram_accesses;
  if (t.command.kind == isa::CommandKind::load) {
    loads_.push(std::move(t));
    return;
  }
  // A store waits for its array command's end (the tile streams out as it is produced).
  const u64 data = t.command.waits.front().command;
  if (s_.tokens.known(data)) ready_stores_.push(std::move(t));
  else waiting_stores_[data].push_back(std::move(t));
}

void Dma::token_set(u64 id) {
  auto it = waiting_stores_.find(id);
  if (it == waiting_stores_.end()) return;
  for (Transfer& t : it->second) ready_stores_.push(std::move(t));
  waiting_stores_.erase(it);
}

void Dma::pending(std::vector<const isa::Command*>& out) const {
  for (const Queue* q : {&loads_, &ready_stores_})
    for (const Transfer& t : q->items()) out.push_back(&t.command);
  for (const auto& [id, stores] : waiting_stores_)
    for (const Transfer& t : stores) out.push_back(&t.command);
}

void Dma::close() {
  for (Queue* q : {&loads_, &ready_stores_}) {
    q->closed = true;
    q->pushed.notify(sc_core::SC_ZERO_TIME);
  }
}

u64 Dma::move(const Transfer& t) {
  const isa::Command& c = t.command;
  if (!dram_.pipe()) return dram_.transfer(c.dram_address, c.bytes, c.kind == isa::CommandKind::store);
  // The pipe: a load has moved when the channel reaches its reservation; a store cannot
  // leave before its data exists, and then takes its transfer time.
  if (c.kind == isa::CommandKind::load) return std::max(now_cycles(), dram_.to_cycles(t.slot));
  const u128 after = dram_.ticks(now_cycles()) + dram_.transfer_ticks(c.bytes);
  return dram_.to_cycles(std::max(after, t.slot));
}

// Loads wait for nothing in the Program: the DMA prefetches in program order, as far as the
// buffer has room for the tiles and the DMA has free slots.
void Dma::loads() {
  isa::UnitActivity& stats = s_.result->units[unit_];
  RunState::Waiting& blocked = s_.waiting[unit_];
  while (loads_.wait_nonempty()) {
    const Transfer t = loads_.pop();
    blocked.command = &t.command;
    u64 from = now_cycles();
    if (s_.buffer) s_.buffer->wait_for_room(t.command, blocked.text);
    charge(stats, isa::StallCause::downstream_space, from);
    from = now_cycles();
    acquire_slot(blocked.text);
    charge(stats, isa::StallCause::dram, from);
    blocked.clear();
    const u64 start = now_cycles();
    u64 done = move(t);
    if (s_.buffer) done = std::max(done, s_.buffer->serve_transfer(start, t.command));
    if (outstanding_) {
      in_flight_.push_back(done);
      std::push_heap(in_flight_.begin(), in_flight_.end(), std::greater<u64>());
    }
    if (s_.tags) s_.tags->landed(t.command, done);
    s_.tokens.set(t.command.id, done, done, true);
    account(t.command, start, done);
  }
}

void Dma::stores() {
  // Stores still waiting for their data when the queues close are released by token_set.
  while (ready_stores_.wait_nonempty() || !waiting_stores_.empty()) {
    if (!ready_stores_.wait_nonempty()) {
      sc_core::wait(ready_stores_.pushed);
      continue;
    }
    const Transfer t = ready_stores_.pop();
    std::string blocked;  // a store waits only for a slot, never for another unit's work
    acquire_slot(blocked);
    const u64 start = now_cycles();
    const u64 served = s_.buffer ? s_.buffer->serve_transfer(start, t.command) : start;
    const u64 done = std::max(move(t), served);
    if (outstanding_) {
      in_flight_.push_back(done);
      std::push_heap(in_flight_.begin(), in_flight_.end(), std::greater<u64>());
    }
    s_.tokens.set(t.command.id, done, done);
    account(t.command, start, done);
  }
}

void Dma::account(const isa::Command& c, u64 start, u64 end) {
  isa::UnitActivity& stats = s_.result->units[unit_];
  ++stats.commands;
  const u64 transfer = dram_.to_cycles(dram_.transfer_ticks(c.bytes));
  stats.busy_cycles += transfer;
  if (s_.options.observer) {
    // The slice is the transfer itself (its bytes at the channel's rate, ending when they
    // have moved), not the time it waited in the DMA's queue.
    start = std::max(start, end > transfer ? end - transfer : 0);
    label_ = std::string(isa::command_kind_name(c.kind)) + " " +
             s_.program->schedule().workload().tensors[static_cast<std::size_t>(c.tensor)].name;
    s_.guarded([&] { s_.options.observer->on_activity({stats.name, stats.block, &c, label_, start, end}); });
  }
}

}  // namespace einfuse::sim::detail
