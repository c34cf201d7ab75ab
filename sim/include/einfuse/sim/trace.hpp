// The simulator's traces (docs/trace.md): observers (observer.hpp) that write what the units
// did to a file a person opens in a viewer. Both files are written safely
// (einsum/safe_write.hpp): under a temporary name from the start of the run, renamed into
// place by on_finish; a run that throws leaves no file.
//
//   Perfetto / Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing): one track per
//   unit, one slice per command, streamed to disk as the slices arrive (constant memory).
//   VCD (GTKWave, Surfer): per unit a `busy` bit and the running `command` id. A VCD must be
//   in time order and slices of different units arrive out of order, so it holds every slice
//   until the end (kVcdSliceBytes each, at most max_slices).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/sim/observer.hpp"

namespace einfuse::sim {

/// Several observers behind one (the trace files and the progress bar of one run): each call
/// goes to every observer, in the order they were added.
class FanOut final : public Observer {
 public:
  void add(std::unique_ptr<Observer> observer);
  bool empty() const { return observers_.empty(); }

  void on_start(std::uint64_t expected_commands) override;
  void on_activity(const Activity& a) override;
  void on_progress(std::uint64_t issued, std::uint64_t now) override;
  void on_finish(std::uint64_t cycles) override;

 private:
  std::vector<std::unique_ptr<Observer>> observers_;
};

/// A Perfetto / Chrome trace-event JSON file at `path`. Time is in cycles: the viewer's
/// "1 us" is one cycle (the clock is in the file's otherData). The temporary file is created
/// now, so an unwritable path fails before the run. Throws std::runtime_error naming `path`.
std::unique_ptr<Observer> make_perfetto_trace(const std::string& path, const mapper::ArchSpec& arch);

/// Bytes a VCD trace holds per slice until on_finish.
inline constexpr std::uint64_t kVcdSliceBytes = 24;
/// The default bound on the slices a VCD trace holds: 16 Mi slices, 384 MiB.
inline constexpr std::uint64_t kVcdMaxSlices = std::uint64_t{1} << 24;

/// A VCD file at `path`, timescale 1 ns = 1 cycle. More than `max_slices` slices throw
/// std::runtime_error from on_activity (the run stops; nothing is written) saying so.
std::unique_ptr<Observer> make_vcd_trace(const std::string& path, const mapper::ArchSpec& arch,
                                         std::uint64_t max_slices = kVcdMaxSlices);

}  // namespace einfuse::sim
