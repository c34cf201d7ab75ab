// The DRAM behind the DMA (docs/dram.md): a backend is asked to move one transfer at a time
// and answers when its last byte has moved. The simulator's DramChannel module owns one.
//
//   ideal  the arch's bandwidth, no latency: bytes move in the order they are reserved
//          (the published model's pipe; tests compare it with mapper::simulate exactly)
//   hbm2   our HBM2 model: channels, banks, open-page row buffers, read/write turnaround,
//          refresh, bursts; parameters from the arch spec, defaults from the datasheet
//   none   infinitely fast
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "einfuse/mapper/arch_spec.hpp"

namespace einfuse::sim {

/// What a backend counted over a run.
struct DramStats {
  std::uint64_t reads = 0, writes = 0;          ///< bursts
  std::uint64_t read_bytes = 0, write_bytes = 0;
  std::uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t turnarounds = 0;                ///< read<->write switches on a channel's bus
};

class DramBackend {
 public:
  virtual ~DramBackend() = default;
  virtual std::string name() const = 0;
  /// A transfer of `bytes` at byte `address`, handed to the DRAM at accelerator cycle `now`.
  /// Calls come in non-decreasing `now`. Returns the accelerator cycle (>= now) at which the
  /// last byte has moved.
  virtual std::uint64_t transfer(std::uint64_t now, std::uint64_t address, std::uint64_t bytes, bool write) = 0;
  virtual DramStats stats() const = 0;
};

}  // namespace einfuse::sim
