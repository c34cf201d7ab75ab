// The DRAMsim3 backend (docs/dram.md): DRAMsim3 (github.com/umd-memsys/DRAMsim3) behind the
// DramBackend interface, to compare the hbm2 model with a cycle-driven simulator or to use
// another of DRAMsim3's memories. Compiled in only when CMake's EINFUSE_DRAMSIM3_DIR names a
// built DRAMsim3 checkout; without it the factory throws, so callers build everywhere.
//
// DRAMsim3 is cycle-driven and answers through callbacks, while transfer() must answer at
// once: the adapter runs DRAMsim3 until the transfer's last request has come back. A
// transfer's requests overlap each other, but a transfer issued while an earlier one is still
// in flight is seen by DRAMsim3 only once the earlier one has finished (its clock has moved
// on). So it serialises the DMA's outstanding transfers; use it for single streams.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "einfuse/sim/dram.hpp"

#ifdef EINFUSE_HAVE_DRAMSIM3
#include <dramsim3.h>
#endif

namespace einfuse::sim {

#ifdef EINFUSE_HAVE_DRAMSIM3
namespace {

class DramSim3Backend final : public DramBackend {
 public:
  DramSim3Backend(const mapper::ArchSpec& arch, const std::string& config_file, const std::string& output_dir)
      : clock_hz_(static_cast<double>(arch.clock_hz)) {
    const auto count = [this](std::uint64_t) { ++returned_; };
    memory_.reset(dramsim3::GetMemorySystem(config_file, output_dir, count, count));
    tck_ns_ = memory_->GetTCK();
    request_bytes_ = static_cast<std::uint64_t>(memory_->GetBusBits() / 8 * memory_->GetBurstLength());
  }

  std::string name() const override { return "dramsim3"; }

  std::uint64_t transfer(std::uint64_t now, std::uint64_t address, std::uint64_t bytes, bool write) override {
    if (bytes == 0) return now;
    (write ? stats_.write_bytes : stats_.read_bytes) += bytes;
    // DRAMsim3 cannot go back: a transfer that arrives before its clock starts at its clock.
    const auto arrival = static_cast<std::uint64_t>(std::ceil(static_cast<double>(now) * 1e9 / (clock_hz_ * tck_ns_)));
    while (clock_ < arrival) tick();
    const std::uint64_t issued_before = returned_;
    std::uint64_t issued = 0;
    for (std::uint64_t a = address / request_bytes_ * request_bytes_; a < address + bytes; a += request_bytes_) {
      while (!memory_->WillAcceptTransaction(a, write)) tick();
      memory_->AddTransaction(a, write);
      ++issued;
      ++(write ? stats_.writes : stats_.reads);
    }
    // Every earlier transfer has come back, so every callback from now on is this one's.
    while (returned_ - issued_before < issued) tick();
    const auto done = static_cast<std::uint64_t>(std::ceil(static_cast<double>(clock_) * tck_ns_ * clock_hz_ / 1e9));
    return std::max(now, done);
  }

  // DRAMsim3 takes writes at once and offers no way to ask when its write buffer has
  // emptied: the last writes are not charged.
  std::uint64_t drain(std::uint64_t now) override { return now; }

  // Row hits, refreshes and turnarounds are in DRAMsim3's own statistics files.
  DramStats stats() const override { return stats_; }

 private:
  void tick() {
    memory_->ClockTick();
    ++clock_;
  }

  double clock_hz_, tck_ns_ = 1;
  std::uint64_t request_bytes_ = 64, clock_ = 0, returned_ = 0;
  std::unique_ptr<dramsim3::MemorySystem> memory_;
  DramStats stats_;
};

}  // namespace
#endif

std::unique_ptr<DramBackend> make_dramsim3_backend(const mapper::ArchSpec& arch, const std::string& config_file,
                                                   const std::string& output_dir) {
#ifdef EINFUSE_HAVE_DRAMSIM3
  if (!std::filesystem::is_regular_file(config_file)) {
    throw std::invalid_argument("dramsim3 backend: no config file '" + config_file + "'");
  }
  return std::make_unique<DramSim3Backend>(arch, config_file,
                                           output_dir.empty() ? std::filesystem::temp_directory_path().string() : output_dir);
#else
  (void)arch, (void)config_file, (void)output_dir;
  throw std::runtime_error("einfuse was built without DRAMsim3: configure with -DEINFUSE_DRAMSIM3_DIR=<a built DRAMsim3 "
                           "checkout> (docs/dram.md)");
#endif
}

}  // namespace einfuse::sim
