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
  u64 dram = 0;
  std::vector<u64> rows(w.tensors.size(), 0);
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    TensorAddresses& a = tensors_[t];
    a.dram_base = dram;
    a.dram_bytes = w.tensors[t].elements * static_cast<u64>(arch.data_bytes);
    dram += ceil_div(std::max<u64>(a.dram_bytes, 1), kDramAlign) * kDramAlign;
    for (std::size_t j = 0; j < s.loops().size(); ++j)
      if (s.loops()[j].factor > 1 && indexes(w, s.loops()[j].rank_id, w.tensors[t].ranks)) a.loops.push_back(static_cast<int>(j));
    a.tile_bytes = std::max<u64>(1, s.op_tile_bytes(static_cast<int>(t)));
    a.host = s.in_place_host(static_cast<int>(t));
    rows[t] = ceil_div(t < footprint.size() ? footprint[t] : 0, row_bytes_);
  }
  dram_end_ = dram;
  // Double buffering of what is fetched and held whole (buffer residency): when it fits.
  const u64 depth = static_cast<u64>(std::max(1, arch.dma.prefetch_tiles));
  std::vector<u64> fetched_rows = rows;
  u64 total = 0, total_fetched = 0;
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const bool fetched = w.tensors[t].role != einsum::Tensor::Role::intermediate &&
                         s.residency_of(static_cast<int>(t)) == mapper::Residency::buffer;
    if (fetched) fetched_rows[t] = rows[t] * depth;
    total += rows[t];
    total_fetched += fetched_rows[t];
  }
  if (total_fetched <= buffer_rows_) rows = fetched_rows;
  else if (total > buffer_rows_)
    throw std::invalid_argument("address map: the tensors' buffer regions need " + std::to_string(total) + " rows of " +
                                std::to_string(row_bytes_) + " bytes; the buffer has " + std::to_string(buffer_rows_));
  u64 row = 0;
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    TensorAddresses& a = tensors_[t];
    a.buffer_row = row;
    a.buffer_rows = rows[t];
    row += rows[t];
  }
  for (TensorAddresses& a : tensors_) {
    if (a.host >= 0) {
      a.buffer_row = tensors_[static_cast<std::size_t>(a.host)].buffer_row;
      a.buffer_rows = tensors_[static_cast<std::size_t>(a.host)].buffer_rows;
    }
    a.tile_rows = std::min(a.buffer_rows, ceil_div(a.tile_bytes, row_bytes_));
    a.slots = a.tile_rows ? std::max<u64>(1, a.buffer_rows / a.tile_rows) : 0;
  }
}

u64 AddressMap::tile_ordinal(int t, const std::vector<std::int64_t>& loop_index) const {
  u64 ordinal = 0;
  for (int j : tensor(t).loops) {
    const auto uj = static_cast<std::size_t>(j);
    ordinal = ordinal * static_cast<u64>(factors_[uj]) + (uj < loop_index.size() ? static_cast<u64>(loop_index[uj]) : 0);
  }
  return ordinal;
}

u64 AddressMap::dram_address(int t, const std::vector<std::int64_t>& loop_index) const {
  const TensorAddresses& a = tensor(t);
  return a.dram_base + (a.dram_bytes ? (tile_ordinal(t, loop_index) * a.tile_bytes) % a.dram_bytes : 0);
}

u64 AddressMap::slot(int t, u64 ordinal) const {
  const TensorAddresses& a = tensor(t);
  return a.slots ? ordinal % a.slots : 0;
}

u64 AddressMap::buffer_row(int t, u64 ordinal) const { return tensor(t).buffer_row + slot(t, ordinal) * tensor(t).tile_rows; }

std::vector<u64> buffer_footprints(const mapper::CostReport& report) {
  std::vector<u64> out;
  for (const mapper::TensorTraffic& t : report.tensors) out.push_back(t.buffer_footprint_bytes);
  return out;
}

}  // namespace einfuse::isa
