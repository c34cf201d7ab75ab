#include "buffer_tags.hpp"

#include <algorithm>

namespace einfuse::sim::detail {
namespace {
constexpr std::size_t kDescribed = 8;  ///< hazards described in the result; the rest counted
}

BufferTags::BufferTags(const isa::Program& program) : p_(program) {
  const mapper::Schedule& s = program.schedule();
  const mapper::Workload& w = s.workload();
  checked_.assign(w.einsums.size(), std::vector<char>(w.tensors.size(), 0));
  for (std::size_t e = 0; e < w.einsums.size(); ++e)
    for (std::size_t t = 0; t < w.tensors.size(); ++t) {
      // Not checked: a streamed tensor flows through a window smaller than a tile while its
      // consumer runs (the tile-granular slots do not describe it), and a running value's
      // tile is named by the step that writes it while readers also read the step before.
      const std::uint64_t full = w.tensors[t].elements;
      std::uint64_t product = 1;
      for (int q : w.tensors[t].ranks) product *= static_cast<std::uint64_t>(w.extent[static_cast<std::size_t>(q)]);
      if (s.residency_of(static_cast<int>(t)) == mapper::Residency::stream || full != product) continue;
      bool all = true;
      for (int j : program.addresses().tensor(static_cast<int>(t)).loops) {
        const int r = s.loops()[static_cast<std::size_t>(j)].rank_id;
        const auto& ranks = w.einsums[e].iteration_ranks;
        all = all && std::any_of(ranks.begin(), ranks.end(), [&](int q) {
                return q == r || w.root[static_cast<std::size_t>(q)] == r || w.root[static_cast<std::size_t>(r)] == q;
              });
      }
      checked_[e][t] = all;
    }
}

void BufferTags::write(u64 row, int tensor, u64 ordinal, u64 time) {
  std::vector<Tag>& v = slots_[row];
  // Writes to a slot come in time order but for a load landing later than a write issued
  // after it; keep them sorted, and forget what no read can still look at.
  v.push_back({tensor, ordinal, time});
  for (std::size_t i = v.size() - 1; i > 0 && v[i - 1].time > v[i].time; --i) std::swap(v[i - 1], v[i]);
  // Writes before the last one already in place (at the current time) can no longer be
  // seen by a read that ends now or later.
  const u64 now = now_cycles();
  std::size_t keep = 0;
  while (keep + 1 < v.size() && v[keep + 1].time <= now) ++keep;
  if (keep > 0) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(keep));
}

void BufferTags::landed(const isa::Command& load, u64 done) {
  const isa::TensorAddresses& a = p_.addresses().tensor(load.tensor);
  if (a.buffer_rows == 0) return;  // bypasses the buffer
  const u64 first = (load.dram_address - a.dram_base) / a.tile_bytes;
  const u64 tiles = std::min<u64>(std::max<u64>(1, (load.bytes + a.tile_bytes - 1) / a.tile_bytes), a.slots);
  for (u64 i = 0; i < tiles; ++i) write(p_.addresses().buffer_row(load.tensor, first + i), load.tensor, first + i, done);
}

void BufferTags::ran(const isa::Command& c, u64 start, u64 end) {
  const mapper::Workload& w = p_.schedule().workload();
  const int out = w.einsums[static_cast<std::size_t>(c.einsum)].output;
  for (const isa::Operand& o : c.operands) {
    if (o.rows == 0 || o.read_bytes == 0 || o.tensor == out || !checked_[static_cast<std::size_t>(c.einsum)][static_cast<std::size_t>(o.tensor)])
      continue;
    const u64 want = p_.addresses().tile_ordinal(o.tensor, c.loop_index);
    const auto it = slots_.find(o.row);
    // The write in place when the read ended: it must be the tile read, there since the start.
    const Tag* at_end = nullptr;
    if (it != slots_.end())
      for (const Tag& t : it->second)
        if (t.time <= end) at_end = &t;
    if (at_end && at_end->tensor == o.tensor && at_end->ordinal == want && at_end->time <= start) continue;
    const std::string& name = w.tensors[static_cast<std::size_t>(o.tensor)].name;
    std::string found = "nothing";
    if (at_end)
      found = at_end->tensor == o.tensor && at_end->ordinal == want
                  ? "it only from cycle " + std::to_string(at_end->time)
                  : w.tensors[static_cast<std::size_t>(at_end->tensor)].name + " tile " + std::to_string(at_end->ordinal) +
                        " (written at cycle " + std::to_string(at_end->time) + ")";
    hazard("command " + std::to_string(c.id) + " (" + w.einsums[static_cast<std::size_t>(c.einsum)].name + ", cycles " +
           std::to_string(start) + "-" + std::to_string(end) + ") read " + name + " tile " + std::to_string(want) + " at row " +
           std::to_string(o.row) + " and found " + found);
  }
  const isa::Operand& result = c.operands.back();
  if (result.rows > 0 && result.write_bytes > 0)
    write(result.row, out, p_.addresses().tile_ordinal(out, c.loop_index), end);
}

void BufferTags::hazard(std::string text) {
  ++hazards_;
  if (described_.size() < kDescribed) described_.push_back(std::move(text));
}

}  // namespace einfuse::sim::detail
