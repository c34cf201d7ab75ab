#include "global_buffer.hpp"

#include <algorithm>

namespace einfuse::sim::detail {

GlobalBuffer::GlobalBuffer(sc_core::sc_module_name n, const isa::Program& program, std::uint64_t tile_bytes, bool bounded)
    : sc_module(n),
      map_(program.addresses()),
      w_(program.schedule().workload()),
      stages_(static_cast<std::size_t>(std::max(1, program.schedule().stage_count()))),
      bounded_(bounded) {
  const mapper::ArchSpec& arch = program.schedule().arch();
  row_bytes_ = map_.row_bytes();
  banks_ = static_cast<u64>(std::max(1, arch.global_buffer.banks));
  ports_ = static_cast<u64>(std::max(1, arch.global_buffer.ports));
  bank_free_.assign(banks_, 0);
  capacity_ = tile_bytes;
  depth_ = static_cast<u64>(std::max(1, arch.dma.prefetch_tiles));
}

u64 GlobalBuffer::reserve(u64 start, u64 row, u64 rows, u64 accesses) {
  if (!bounded_ || accesses == 0) return start;
  // Consecutive rows sit in consecutive banks; the accesses are spread over the rows.
  const u64 touched = std::min<u64>(banks_, std::max<u64>(rows, 1));
  u64 served = start;
  for (u64 i = 0; i < touched; ++i) {
    const u64 share = accesses / touched + (i < accesses % touched ? 1 : 0);
    if (share == 0) continue;
    u64& free = bank_free_[(row + i) % banks_];
    free = std::max(free, start * ports_) + share;
    served = std::max(served, (free + ports_ - 1) / ports_);
  }
  return served;
}

u64 GlobalBuffer::serve_operands(u64 start, const isa::Command& c) {
  u64 served = start;
  for (const isa::Operand& o : c.operands) {
    if (o.rows == 0) continue;  // not in the buffer (registers, or DRAM bypass)
    const u64 accesses = (o.read_bytes + row_bytes_ - 1) / row_bytes_ + (o.write_bytes + row_bytes_ - 1) / row_bytes_;
    served = std::max(served, reserve(start, o.row, o.rows, accesses));
  }
  return served;
}

u64 GlobalBuffer::serve_transfer(u64 start, const isa::Command& c) {
  const u64 rows = std::min(map_.tensor(c.tensor).buffer_rows, (c.bytes + row_bytes_ - 1) / row_bytes_);
  return reserve(start, c.buffer_row, rows, (c.bytes + row_bytes_ - 1) / row_bytes_);
}

void GlobalBuffer::load_issued(const isa::Command& load) {
  if (!bounded_) return;
  const std::size_t k = key(load.tensor, load.stage);
  if (history_.size() <= k) history_.resize(k + 1);
  History& h = history_[k];
  if (!h.loads.empty()) {
    Generation& prev = gens_.at(h.loads.back());
    prev.superseded = true;
    try_free(prev);
  }
  Generation g;
  g.tensor = load.tensor;
  g.seq = h.first + h.loads.size();
  g.history = k;
  g.load = load.id;
  g.bytes = load.bytes;
  gens_.emplace(load.id, g);
  h.loads.push_back(load.id);
}

void GlobalBuffer::compute_issued(const isa::Command& c) {
  if (!bounded_) return;
  for (const isa::Operand& o : c.operands) {
    if (o.read_bytes == 0) continue;
    const std::size_t k = key(o.tensor, c.stage);
    if (k >= history_.size() || history_[k].loads.empty()) continue;
    Generation& g = gens_.at(history_[k].loads.back());
    ++g.readers;
    reads_of_[c.id].push_back(g.load);
  }
}

void GlobalBuffer::stream_ended() {
  for (History& h : history_)
    if (!h.loads.empty()) {
      Generation& g = gens_.at(h.loads.back());
      g.superseded = true;
      try_free(g);
    }
}

void GlobalBuffer::command_ended(u64 id) {
  auto it = reads_of_.find(id);
  if (it == reads_of_.end()) return;
  for (u64 load : it->second) {
    Generation& g = gens_.at(load);
    --g.readers;
    try_free(g);
  }
  reads_of_.erase(it);
}

void GlobalBuffer::try_free(Generation& g) {
  if (g.freed || !g.landed || !g.superseded || g.readers > 0) return;
  g.freed = true;
  used_ -= g.bytes;
  freed_.notify(sc_core::SC_ZERO_TIME);
  forget(history_[g.history]);
}

// Freed generations at the front of a history are no longer needed by anyone.
void GlobalBuffer::forget(History& h) {
  while (h.loads.size() > 1 && gens_.at(h.loads.front()).freed) {
    gens_.erase(h.loads.front());
    h.loads.pop_front();
    ++h.first;
  }
}

bool GlobalBuffer::freed_seq(const History& h, u64 seq) const { return seq < h.first || gens_.at(h.loads[seq - h.first]).freed; }

void GlobalBuffer::wait_for_room(const isa::Command& load, std::string& blocked) {
  if (!bounded_) return;
  const Generation& g = gens_.at(load.id);
  const History& h = history_[g.history];
  const std::string& name = w_.tensors[static_cast<std::size_t>(load.tensor)].name;
  // At most depth_ generations of this tensor held: the one depth_ back must be gone.
  while (g.seq >= depth_ && !freed_seq(h, g.seq - depth_)) {
    blocked = "room for tile " + std::to_string(g.seq) + " of " + name + " (prefetch depth " + std::to_string(depth_) +
              " tiles: tile " + std::to_string(g.seq - depth_) + " is still read)";
    sc_core::wait(freed_);
  }
  while (used_ + load.bytes > capacity_) {
    blocked = std::to_string(load.bytes) + " free bytes of the global buffer for " + name + " (" +
              std::to_string(capacity_ - used_) + " of " + std::to_string(capacity_) + " free for DRAM tiles)";
    sc_core::wait(freed_);
  }
  blocked.clear();
  used_ += load.bytes;
  Generation& landed = gens_.at(load.id);
  landed.landed = true;
  try_free(landed);
}

std::string GlobalBuffer::space_report() const {
  std::string out = "global buffer: " + std::to_string(used_) + " of " + std::to_string(capacity_) +
                    " bytes for DRAM tiles in use";
  for (const auto& [id, g] : gens_)
    if (g.landed && !g.freed)
      out += "; load " + std::to_string(id) + " (" + w_.tensors[static_cast<std::size_t>(g.tensor)].name + ", " + std::to_string(g.bytes) +
             " bytes) held by " + std::to_string(g.readers) + " unfinished readers" + (g.superseded ? "" : ", no newer fetch yet");
  return out;
}

}  // namespace einfuse::sim::detail
