#include "einfuse/isa/address_map.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace einfuse::isa {
namespace {

using u64 = std::uint64_t;
constexpr u64 kDramAlign = 4096;

u64 ceil_div(u64 a, u64 b) { return (a + b - 1) / b; }

// A loop over rank r indexes a tensor with slot rank q when they are the same rank or one is
// split from the other (a loop over M1 tiles a tensor indexed by M).
bool indexes(const mapper::Workload& w, int loop_rank, const std::vector<int>& ranks) {
  const auto root = [&](int q) { return w.root[static_cast<std::size_t>(q)]; };
  return std::any_of(ranks.begin(), ranks.end(),
                     [&](int q) { return q == loop_rank || root(q) == loop_rank || root(loop_rank) == q; });
}

}  // namespace

AddressMap::AddressMap(const mapper::Schedule& s, const std::vector<u64>& footprint) {
  const mapper::Workload& w = s.workload();
  const mapper::ArchSpec& arch = s.arch();
  row_bytes_ = std::max<u64>(1, static_cast<u64>(arch.global_buffer.row_bits) / 8);
  buffer_rows_ = static_cast<u64>(arch.global_buffer.capacity_bytes) / row_bytes_;
  for (const mapper::ScheduleLoop& l : s.loops()) factors_.push_back(l.factor);
  tensors_.resize(w.tensors.size());
  u64 dram = 0, row = 0;
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    TensorAddresses& a = tensors_[t];
    a.dram_base = dram;
    a.dram_bytes = w.tensors[t].elements * static_cast<u64>(arch.data_bytes);
    dram += ceil_div(std::max<u64>(a.dram_bytes, 1), kDramAlign) * kDramAlign;
    u64 tiles = 1;
    for (std::size_t j = 0; j < s.loops().size(); ++j)
      if (s.loops()[j].factor > 1 && indexes(w, s.loops()[j].rank_id, w.tensors[t].ranks)) {
        a.loops.push_back(static_cast<int>(j));
        tiles *= static_cast<u64>(s.loops()[j].factor);
      }
    a.dram_tile_bytes = std::max<u64>(1, a.dram_bytes / tiles);
    const u64 fp = t < footprint.size() ? footprint[t] : 0;
    a.buffer_row = row;
    a.buffer_rows = ceil_div(fp, row_bytes_);
    row += a.buffer_rows;
  }
  dram_end_ = dram;
  if (row > buffer_rows_)
    throw std::invalid_argument("address map: the tensors' buffer regions need " + std::to_string(row) + " rows of " +
                                std::to_string(row_bytes_) + " bytes; the buffer has " + std::to_string(buffer_rows_));
}

u64 AddressMap::dram_address(int t, const std::vector<std::int64_t>& loop_index) const {
  const TensorAddresses& a = tensor(t);
  u64 ordinal = 0;
  for (int j : a.loops) {
    const auto uj = static_cast<std::size_t>(j);
    ordinal = ordinal * static_cast<u64>(factors_[uj]) + (uj < loop_index.size() ? static_cast<u64>(loop_index[uj]) : 0);
  }
  return a.dram_base + (a.dram_bytes ? (ordinal * a.dram_tile_bytes) % a.dram_bytes : 0);
}

u64 AddressMap::tile_rows(int t, u64 bytes) const {
  const TensorAddresses& a = tensor(t);
  return std::min(a.buffer_rows, ceil_div(bytes, row_bytes_));
}

u64 AddressMap::buffer_row(int t, u64 bytes, u64 slot) const {
  const TensorAddresses& a = tensor(t);
  const u64 rows = tile_rows(t, bytes);
  if (rows == 0) return a.buffer_row;
  const u64 slots = std::max<u64>(1, a.buffer_rows / rows);
  return a.buffer_row + (slot % slots) * rows;
}

std::vector<u64> buffer_footprints(const mapper::CostReport& report) {
  std::vector<u64> out;
  for (const mapper::TensorTraffic& t : report.tensors) out.push_back(t.buffer_footprint_bytes);
  return out;
}

}  // namespace einfuse::isa
