// `einfuse sim`'s progress bar (docs/trace.md): an observer of the run (sim/observer.hpp)
// that redraws one line on stderr, only when stderr is a terminal. A long run (a whole layer
// at a long sequence) then shows how far it is and how long is left, and a log or a pipe
// gets nothing: a wall of carriage returns helps no one reading it afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "einfuse/sim/observer.hpp"

namespace einfuse::cli {

class SimProgress final : public sim::Observer {
 public:
  /// Draws on `out` only when `terminal` (by default: on stderr, when it is a terminal).
  SimProgress();
  SimProgress(std::ostream& out, bool terminal);
  /// A run that threw leaves the line erased, so its error starts on a clean line.
  ~SimProgress() override;
  SimProgress(const SimProgress&) = delete;
  SimProgress& operator=(const SimProgress&) = delete;

  void on_start(std::uint64_t expected_commands) override;
  void on_activity(const sim::Activity&) override {}
  void on_progress(std::uint64_t issued, std::uint64_t now) override;
  void on_finish(std::uint64_t cycles) override;

  /// The line for `issued` of `expected` commands after `seconds`, at simulated cycle `cycle`:
  /// "sim [########------------]  33.3%  1.2M commands/s  cycle 4,096  ETA 0:00:12". Without
  /// a known total (0, or passed) it shows the count instead of the bar and no ETA.
  static std::string line(std::uint64_t issued, std::uint64_t expected, double seconds, std::uint64_t cycle);

 private:
  void erase();
  std::ostream& out_;
  bool terminal_;
  bool drawn_ = false;
  std::uint64_t expected_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace einfuse::cli
