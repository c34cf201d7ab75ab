#include "handoff.hpp"

#include <algorithm>

namespace einfuse::sim::detail {

Handoff::Handoff(const isa::Program& program, bool bounded)
    : w_(program.schedule().workload()), bounded_(bounded) {
  const mapper::Schedule& s = program.schedule();
  tiles_ = static_cast<u64>(std::max(1, s.arch().handoff.tiles));
  for (std::size_t e = 0; e < w_.einsums.size(); ++e) array_of_.push_back(s.array_of(static_cast<int>(e)));
  // A tile is handed over when its consumer on another array takes it in the same sweep.
  // Stage-major kernels (each stage sweeps the whole nest first) and later passes keep whole
  // tensors in the buffer or DRAM instead: no handoff buffer sits between them.
  handed_.assign(w_.einsums.size(), 0);
  if (!s.stage_major())
    for (std::size_t e = 0; e < w_.einsums.size(); ++e)
      for (int consumer : w_.tensors[static_cast<std::size_t>(w_.einsums[e].output)].consumers)
        if (array_of_[static_cast<std::size_t>(consumer)] != array_of_[e] && s.pass_of(consumer) == s.pass_of(static_cast<int>(e)))
          handed_[e] = 1;
  recent_.resize(w_.einsums.size());
  first_seq_.assign(w_.einsums.size(), 0);
  taken_upto_.assign(w_.einsums.size(), 0);
}

void Handoff::compute_issued(const isa::Command& c) {
  if (!bounded_) return;
  // As a consumer: the tiles it reads from producers on other arrays.
  for (const isa::Wait& wt : c.waits) {
    auto p = einsum_of_.find(wt.command);
    if (!wt.result || p == einsum_of_.end() || array_of_[static_cast<std::size_t>(p->second)] == c.array) continue;
    ++tile_[wt.command].open;
    reads_[c.id].push_back(wt.command);
    // Every earlier tile of that producer has been passed by (marked once, in order).
    const auto e = static_cast<std::size_t>(p->second);
    const u64 upto = seq_of_.at(wt.command);
    for (; taken_upto_[e] <= upto; ++taken_upto_[e]) {
      const u64 tile = recent_[e][taken_upto_[e] - first_seq_[e]];
      tile_[tile].taken = true;
      try_release(tile);
    }
  }
  // As a producer.
  const auto e = static_cast<std::size_t>(c.einsum);
  if (!handed_[e]) return;
  einsum_of_[c.id] = c.einsum;
  seq_of_[c.id] = first_seq_[e] + recent_[e].size();
  tile_[c.id];
  recent_[e].push_back(c.id);
}

void Handoff::stream_ended() {
  for (auto& [id, t] : tile_) t.taken = true;
  std::vector<u64> ids;
  for (const auto& [id, t] : tile_) ids.push_back(id);
  for (u64 id : ids) try_release(id);
}

void Handoff::command_ended(u64 id) {
  auto it = reads_.find(id);
  if (it == reads_.end()) return;
  for (u64 p : it->second) {
    --tile_[p].open;
    try_release(p);
  }
  reads_.erase(it);
}

void Handoff::try_release(u64 p) {
  auto it = tile_.find(p);
  if (it == tile_.end()) return;  // released and forgotten
  Tile& t = it->second;
  if (t.released || !t.taken || t.open > 0) return;
  t.released = true;
  released_.notify(sc_core::SC_ZERO_TIME);
  // Forget released tiles at the front of their producer's list.
  const auto e = static_cast<std::size_t>(einsum_of_.at(p));
  while (recent_[e].size() > tiles_ && tile_.at(recent_[e].front()).released && first_seq_[e] < taken_upto_[e]) {
    const u64 old = recent_[e].front();
    tile_.erase(old);
    seq_of_.erase(old);
    einsum_of_.erase(old);
    recent_[e].pop_front();
    ++first_seq_[e];
  }
}

void Handoff::wait_for_room(const isa::Command& c, std::string& blocked) {
  if (!bounded_ || !handed_[static_cast<std::size_t>(c.einsum)]) return;
  const auto e = static_cast<std::size_t>(c.einsum);
  const u64 seq = seq_of_.at(c.id);
  if (seq < tiles_) return;
  const u64 target = seq - tiles_;
  for (;;) {
    if (target < first_seq_[e]) break;  // forgotten: released
    const u64 id = recent_[e][target - first_seq_[e]];
    if (tile_.at(id).released) break;
    blocked = "room in the handoff buffer of " + w_.einsums[e].name + " (" + std::to_string(tiles_) +
              " tiles; the tile of command " + std::to_string(id) + " is not taken yet)";
    sc_core::wait(released_);
  }
  blocked.clear();
}

}  // namespace einfuse::sim::detail
