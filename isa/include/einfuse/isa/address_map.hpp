// Lowering step 1: where every tensor lives (docs/isa.md, address map).
//
// A tensor's *tile* is its box under every loop of the Schedule: what one op reads or writes
// of it. Tiles are numbered by their *ordinal*, row-major over the loops that index the
// tensor (the loop's rank, or a rank split from it or it from).
// DRAM: each tensor has a region of elements x data_bytes bytes, aligned to 4 KiB, in tensor
// order, stored tile-major: tile k at k x tile bytes. A fetch of a larger (DRAM-level) tile is
// a run of consecutive tiles.
// Buffer: each tensor with a buffer footprint (the cost model's, CostReport::tensors) has a
// region of whole rows, in tensor order from row 0, cut into slots of one tile; tile k lives in
// slot k mod slots, so every op that touches a tile names the same rows. A tensor that
// overwrites another in place (FLAT's A over QK) shares its host's region. A buffer-resident
// tensor fetched from DRAM gets `dma.prefetch_tiles` times its footprint when the buffer has
// room, so the next fetch can land while the current one is read.
#pragma once

#include <cstdint>
#include <vector>

#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::isa {

struct TensorAddresses {
  std::uint64_t dram_base = 0, dram_bytes = 0;
  std::uint64_t tile_bytes = 0;        ///< one tile (in DRAM and in a buffer slot)
  std::vector<int> loops;              ///< Schedule loops that index the tensor
  std::uint64_t buffer_row = 0, buffer_rows = 0;  ///< region (rows = 0: not in the buffer)
  std::uint64_t tile_rows = 0;         ///< rows of one slot
  std::uint64_t slots = 0;             ///< tiles the region holds at once
  int host = -1;                       ///< in place of this tensor (its region), or -1
};

class AddressMap {
 public:
  AddressMap() = default;
  /// `buffer_footprint_bytes` by tensor. Throws std::invalid_argument when the regions need
  /// more rows than the buffer has.
  AddressMap(const mapper::Schedule& schedule, const std::vector<std::uint64_t>& buffer_footprint_bytes);

  const TensorAddresses& tensor(int t) const { return tensors_[static_cast<std::size_t>(t)]; }
  std::uint64_t row_bytes() const { return row_bytes_; }
  std::uint64_t buffer_rows() const { return buffer_rows_; }
  std::uint64_t dram_end() const { return dram_end_; }
  /// The ordinal of tensor t's tile at `loop_index` (a Schedule op's).
  std::uint64_t tile_ordinal(int t, const std::vector<std::int64_t>& loop_index) const;
  /// The DRAM byte address of tensor t's tile at `loop_index`.
  std::uint64_t dram_address(int t, const std::vector<std::int64_t>& loop_index) const;
  /// The first buffer row of tile `ordinal` of tensor t (its slot).
  std::uint64_t buffer_row(int t, std::uint64_t ordinal) const;
  /// The slot tile `ordinal` of tensor t takes in its region.
  std::uint64_t slot(int t, std::uint64_t ordinal) const;

 private:
  std::vector<TensorAddresses> tensors_;
  std::vector<std::int64_t> factors_;
  std::uint64_t row_bytes_ = 1, buffer_rows_ = 0, dram_end_ = 0;
};

/// The per-tensor buffer footprints of a cost report, in Workload tensor order.
std::vector<std::uint64_t> buffer_footprints(const mapper::CostReport& report);

}  // namespace einfuse::isa
