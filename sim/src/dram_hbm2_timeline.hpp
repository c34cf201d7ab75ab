// The command timelines of one HBM2 channel (docs/dram.md): the ACTs and the column
// commands (READ/WRITE) already placed, kept sorted by time, and the search for the earliest
// time a new command fits between them. A controller that serves any ready bank places a
// later request's commands before an earlier request's when its bank is ready first, so a
// command goes into the first gap that honours every spacing rule with the commands on both
// sides, not only after the last one. Private to einfuse_sim; no SystemC.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace einfuse::sim::hbm2 {

using Tick = std::int64_t;  ///< DRAM clocks
/// "Never": far enough in the past that adding any spacing to it stays in the past.
inline constexpr Tick kNone = -(Tick{1} << 60);

struct Command {
  Tick at;
  int group;  ///< bank group
  bool write; ///< for column commands
};

/// Commands sorted by time. Those too old to constrain any future command are dropped in
/// batches, so the list stays about as long as the controller's window.
///
/// A busy channel's timeline is packed: from the oldest command on, each is too close to
/// the next for a command to fit between them. The search for a gap would walk that whole
/// run for every new command; the timeline remembers where the run ends, so it jumps.
class Timeline {
 public:
  /// Two commands closer than `tight` leave no room between them (twice the least spacing).
  /// (The default, 1, never skips.) `groups`: bank groups.
  explicit Timeline(Tick tight = 1, int groups = 1)
      : tight_(tight), latest_of_group_(static_cast<std::size_t>(groups), {kNone, kNone}) {}

  // Past the last command only the latest of each kind constrains a new one: a search that
  // gets there is done in O(1) (the common case, a stream appending at the tail).
  Tick last_at() const { return latest_[0] > latest_[1] ? latest_[0] : latest_[1]; }
  Tick latest(bool write) const { return latest_[write]; }
  Tick latest_in_group(int group, bool write) const { return latest_of_group_[static_cast<std::size_t>(group)][write]; }
  /// The fourth latest command (for tFAW), kNone if fewer.
  Tick fourth_latest() const { return four_latest_[0]; }

  /// The first command at or after `t`.
  std::size_t first_from(Tick t) const {
    return static_cast<std::size_t>(std::lower_bound(commands_.begin() + static_cast<std::ptrdiff_t>(start_),
                                                     commands_.end(), t,
                                                     [](const Command& c, Tick x) { return c.at < x; }) -
                                    commands_.begin());
  }
  std::size_t end() const { return commands_.size(); }
  std::size_t begin() const { return start_; }
  const Command& operator[](std::size_t i) const { return commands_[i]; }
  /// Where a search for room at `t` may start: t, or the last command of the packed run
  /// from the oldest command, if t falls inside that run.
  Tick skip_packed(Tick t) const {
    if (packed_end_ < commands_.size() && start_ < commands_.size() && t >= commands_[start_].at &&
        t < commands_[packed_end_].at) {
      return commands_[packed_end_].at;
    }
    return t;
  }
  /// Inserts in time order; returns its index.
  std::size_t insert(const Command& c) {
    const std::size_t i = first_from(c.at + 1);
    commands_.insert(commands_.begin() + static_cast<std::ptrdiff_t>(i), c);
    latest_[c.write] = std::max(latest_[c.write], c.at);
    Tick& in_group = latest_of_group_[static_cast<std::size_t>(c.group)][c.write];
    in_group = std::max(in_group, c.at);
    if (c.at > four_latest_[0]) {  // keep the four latest, ascending
      std::size_t k = 0;
      while (k + 1 < four_latest_.size() && four_latest_[k + 1] < c.at) {
        four_latest_[k] = four_latest_[k + 1];
        ++k;
      }
      four_latest_[k] = c.at;
    }
    // Only an insertion before the run's first command can land inside the run (there is no
    // room elsewhere in it); then the run is measured again.
    if (i <= packed_end_) packed_end_ = start_;
    extend_packed();
    return i;
  }
  /// No command will be placed before `t` again.
  void forget_before(Tick t) {
    start_ = first_from(t);
    if (start_ >= 256) {
      commands_.erase(commands_.begin(), commands_.begin() + static_cast<std::ptrdiff_t>(start_));
      packed_end_ = packed_end_ >= start_ ? packed_end_ - start_ : 0;
      start_ = 0;
    }
    extend_packed();
  }

 private:
  void extend_packed() {
    if (packed_end_ < start_) packed_end_ = start_;
    while (packed_end_ + 1 < commands_.size() && commands_[packed_end_ + 1].at - commands_[packed_end_].at < tight_) {
      ++packed_end_;
    }
  }

  Tick tight_;
  std::array<Tick, 2> latest_{kNone, kNone};  ///< by direction (write)
  std::vector<std::array<Tick, 2>> latest_of_group_;
  std::array<Tick, 4> four_latest_{kNone, kNone, kNone, kNone};
  std::vector<Command> commands_;
  std::size_t start_ = 0;       ///< commands before this index are forgotten
  std::size_t packed_end_ = 0;  ///< the last command of the packed run from start_
};

/// ACT spacing: tRRD to every other ACT (the _l value within a bank group), and at most four
/// ACTs in any tFAW window.
struct ActRules {
  Tick rrd_s, rrd_l, faw;

  /// The earliest time >= t at which an ACT to `group` fits among `acts`.
  Tick earliest(const Timeline& acts, Tick t, int group) const {
    const Tick span = std::max({faw, rrd_s, rrd_l});
    t = acts.skip_packed(t);
    for (;;) {
      if (t >= acts.last_at()) {
        return std::max({t, acts.latest(false) + rrd_s, acts.latest_in_group(group, false) + rrd_l,
                         acts.fourth_latest() + faw});
      }
      const Tick moved = fit(acts, t, group, span);
      if (moved == t) return t;
      t = moved;
    }
  }

 private:
  // t itself if the ACT fits there, else a later time worth trying.
  Tick fit(const Timeline& acts, Tick t, int group, Tick span) const {
    const std::size_t next = acts.first_from(t);  // ACTs at >= t come after the new one
    for (std::size_t i = acts.first_from(t - span + 1); i < acts.end() && acts[i].at < t + span; ++i) {
      const Tick gap = acts[i].group == group ? rrd_l : rrd_s;
      const Tick distance = acts[i].at >= t ? acts[i].at - t : t - acts[i].at;
      if (distance < gap) return acts[i].at + gap;
    }
    // Every five consecutive ACTs, the new one among them, must span at least tFAW.
    const std::size_t lo = next >= acts.begin() + 4 ? next - 4 : acts.begin();
    for (std::size_t first = lo; first <= next; ++first) {
      const std::size_t before = next - first;  // ACTs of the window before the new one
      const std::size_t after = 4 - before;
      if (next + after > acts.end()) continue;
      const Tick window_start = before > 0 ? acts[first].at : t;
      const Tick window_end = after > 0 ? acts[next + after - 1].at : t;
      if (window_end - window_start >= faw) continue;
      // Move past the window's first ACT by tFAW, or, if the new ACT opens the window, past
      // the next ACT (the tRRD check then spaces it).
      return before > 0 ? window_start + faw : acts[next].at + 1;
    }
    return t;
  }
};

/// Column command spacing: tCCD between commands in the same direction (the _l value within
/// a bank group, never less than a burst), and the data bus turning around between reads and
/// writes.
struct ColumnRules {
  Tick cas_to_cas_s, cas_to_cas_l;
  Tick read_to_write;                     ///< read data out, bus turned, then write data in
  Tick write_to_read_s, write_to_read_l;  ///< write data in, then tWTR

  /// The least distance from column command `a` to a later `b`.
  Tick gap(const Command& a, const Command& b) const { return gap(a.group == b.group, a.write, b.write); }
  Tick gap(bool same_group, bool from_write, bool to_write) const {
    if (from_write == to_write) return same_group ? cas_to_cas_l : cas_to_cas_s;
    if (!from_write) return read_to_write;
    return same_group ? write_to_read_l : write_to_read_s;
  }
  Tick widest() const { return std::max({cas_to_cas_s, cas_to_cas_l, read_to_write, write_to_read_s, write_to_read_l}); }
  Tick narrowest() const { return std::min({cas_to_cas_s, cas_to_cas_l, read_to_write, write_to_read_s, write_to_read_l}); }

  /// The earliest time >= t at which `c` (its `at` ignored) fits among `columns`.
  Tick earliest(const Timeline& columns, Tick t, Command c) const {
    const Tick span = widest();
    t = columns.skip_packed(t);
    for (;;) {
      if (t >= columns.last_at()) {
        // The _l spacings are never below the _s ones (the arch parser checks), so the latest
        // command of each direction and of each direction in this group are all that count.
        for (const bool from_write : {false, true}) {
          t = std::max({t, columns.latest(from_write) + gap(false, from_write, c.write),
                        columns.latest_in_group(c.group, from_write) + gap(true, from_write, c.write)});
        }
        return t;
      }
      c.at = t;
      Tick moved = t;
      for (std::size_t i = columns.first_from(t - span + 1); i < columns.end() && columns[i].at < t + span; ++i) {
        const Command& other = columns[i];
        // A command at the same time or earlier comes before the new one; a later one after.
        const bool before = other.at <= t;
        if (before ? t - other.at < gap(other, c) : other.at - t < gap(c, other)) {
          moved = other.at + gap(other, c);
          break;
        }
      }
      if (moved == t) return t;
      t = moved;
    }
  }
};

}  // namespace einfuse::sim::hbm2
