// The progress bar of `einfuse sim` (progress.hpp).
#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <iostream>

#include "cascade_json.hpp"

namespace einfuse::cli {
namespace {

// At most ~10 redraws a second: enough to look live, few enough to cost nothing.
constexpr std::chrono::milliseconds kRedrawEvery{100};
constexpr int kBarWidth = 24;

// 1234 -> "1.2k", 5600000 -> "5.6M": a rate that fits the line.
std::string short_number(double v) {
  if (v >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

}  // namespace

SimProgress::SimProgress() : SimProgress(std::cerr, isatty(STDERR_FILENO) != 0) {}

SimProgress::SimProgress(std::ostream& out, bool terminal)
    : out_(out), terminal_(terminal), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

SimProgress::~SimProgress() { erase(); }

void SimProgress::on_start(std::uint64_t expected_commands) {
  expected_ = expected_commands;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void SimProgress::on_progress(std::uint64_t issued, std::uint64_t now) {
  if (!terminal_) return;
  const auto t = std::chrono::steady_clock::now();
  if (t - last_draw_ < kRedrawEvery) return;
  last_draw_ = t;
  // "\033[K" clears what a longer earlier line left to the right.
  out_ << '\r' << line(issued, expected_, std::chrono::duration<double>(t - start_).count(), now) << "\033[K"
       << std::flush;
  drawn_ = true;
}

// The result follows on stdout: the bar goes, it was only there while the run was.
void SimProgress::on_finish(std::uint64_t) { erase(); }

void SimProgress::erase() {
  if (!drawn_) return;
  out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

std::string SimProgress::line(std::uint64_t issued, std::uint64_t expected, double seconds, std::uint64_t cycle) {
  const double rate = seconds > 0 ? static_cast<double>(issued) / seconds : 0;
  const std::string speed = fmt::format("{} commands/s  cycle {}", short_number(rate), with_commas(cycle));
  if (expected == 0 || issued > expected) return fmt::format("sim {} commands  {}", with_commas(issued), speed);
  const double done = static_cast<double>(issued) / static_cast<double>(expected);
  const int filled = static_cast<int>(done * kBarWidth);
  std::string eta = "--:--:--";
  if (rate > 0) {
    const auto left = static_cast<std::uint64_t>(std::ceil(static_cast<double>(expected - issued) / rate));
    eta = fmt::format("{}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
  }
  return fmt::format("sim [{}{}] {:5.1f}%  {}  ETA {}", std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kBarWidth - filled), '-'), 100 * done, speed, eta);
}

}  // namespace einfuse::cli
