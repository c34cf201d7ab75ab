// Lowering step 1: where every tensor lives (docs/isa.md, address map).
// DRAM: each tensor has a region of elements x data_bytes bytes, aligned to 4 KiB, in tensor
// order, stored tile-major: the tile with index (i_0, i_1, ...) in the Schedule's loops that
// index the tensor is the ordinal row-major over those loops, at ordinal x tile bytes.
// Buffer: each tensor with a buffer footprint (the cost model's, CostReport::tensors) has a
// region of whole rows, in tensor order from row 0; its tiles take slots round-robin.
#pragma once

#include <cstdint>
#include <vector>

#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::isa {

struct TensorAddresses {
  std::uint64_t dram_base = 0, dram_bytes = 0;
  std::uint64_t dram_tile_bytes = 0;   ///< bytes of one tile in the tile-major layout
  std::vector<int> loops;              ///< Schedule loops that index the tensor
  std::uint64_t buffer_row = 0, buffer_rows = 0;  ///< region (rows = 0: not in the buffer)
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
  /// The DRAM byte address of tensor t's tile at `loop_index` (a Schedule op's).
  std::uint64_t dram_address(int t, const std::vector<std::int64_t>& loop_index) const;
  /// Rows a tile of `bytes` spans, and the first row of its `slot`-th use (round-robin in the
  /// tensor's region).
  std::uint64_t tile_rows(int t, std::uint64_t bytes) const;
  std::uint64_t buffer_row(int t, std::uint64_t bytes, std::uint64_t slot) const;

 private:
  std::vector<TensorAddresses> tensors_;
  std::vector<std::int64_t> factors_;
  std::uint64_t row_bytes_ = 1, buffer_rows_ = 0, dram_end_ = 0;
};

/// The per-tensor buffer footprints of a cost report, in Workload tensor order.
std::vector<std::uint64_t> buffer_footprints(const mapper::CostReport& report);

}  // namespace einfuse::isa
