// The DRAM behind the DMA (docs/dram.md): a backend is asked to move one transfer at a time
// and answers when its last byte has moved. The simulator's DramChannel module owns one.
//
//   ideal  the arch's bandwidth, no latency: bytes move in the order they are reserved
//          (the published model's pipe; tests compare it with mapper::simulate exactly)
//   hbm2   our HBM2 model: channels, banks, open-page row buffers, read/write turnaround,
//          refresh, bursts; parameters from the arch spec, defaults from the datasheet
//   none   infinitely fast
//   dramsim3  DRAMsim3 behind the same interface, only when built with EINFUSE_DRAMSIM3_DIR
#pragma once

#include <cstdint>
#include <functional>
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
  /// A write counts as moved when the memory controller has taken it (a posted write, as
  /// controllers do); hbm2 writes it to the DRAM later, in batches (docs/dram.md).
  virtual std::uint64_t transfer(std::uint64_t now, std::uint64_t address, std::uint64_t bytes, bool write) = 0;
  /// Writes every posted write still held by the controller; returns the cycle (>= now) at
  /// which all writes so far have reached the DRAM. Call it once at the end of a run to
  /// charge the last stores. Backends that hold nothing back return `now`.
  virtual std::uint64_t drain(std::uint64_t now) { return now; }
  virtual DramStats stats() const = 0;
};

/// A command the hbm2 model has placed, for traces and for checking the model against the
/// timing rules. Times are DRAM clocks (tCK = 2 x channels x bus bytes / bandwidth). Commands
/// are reported as they are placed, which is not time order: a later request may go before
/// an earlier one to a busy bank. Refreshes are not reported; they are at fixed times
/// (docs/dram.md).
struct DramCommand {
  enum class Kind { activate, precharge, read, write };
  Kind kind;
  std::int64_t tick;
  int channel, bank_group, bank;  ///< bank: within its group
  std::uint64_t row;
};
using DramCommandSink = std::function<void(const DramCommand&)>;

/// The HBM2 model (docs/dram.md) with `arch.dram.hbm2`'s parameters, at the peak
/// `arch.dram.bandwidth_bytes_per_s`, answering in cycles of `arch.clock_hz`; each command it
/// places goes to `on_command` if given. Pure C++: no SystemC, so it can be driven from tests
/// and tools too. Throws std::invalid_argument on parameters the arch parser would refuse.
std::unique_ptr<DramBackend> make_hbm2_backend(const mapper::ArchSpec& arch, DramCommandSink on_command = {});

/// DRAMsim3 with its `config_file` (e.g. configs/HBM2_8Gb_x128.ini), writing its statistics
/// to `output_dir` (empty: the system's temporary folder); cycles of `arch.clock_hz`, but the
/// memory and its bandwidth are the config file's. Only when built with EINFUSE_DRAMSIM3_DIR
/// (docs/dram.md: it serialises overlapping transfers); otherwise throws std::runtime_error.
std::unique_ptr<DramBackend> make_dramsim3_backend(const mapper::ArchSpec& arch, const std::string& config_file,
                                                   const std::string& output_dir = {});

}  // namespace einfuse::sim
