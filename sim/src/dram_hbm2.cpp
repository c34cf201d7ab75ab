// The HBM2 model behind the DMA (docs/dram.md). Pure C++ and event-free: every burst's
// commands are placed on its channel's timelines arithmetically from the state the earlier
// bursts left (open rows, the ACTs and column commands already placed), so a layer's ~1e7
// bursts cost no per-cycle loop.
//
// Each channel's controller holds `request_queue` requests and serves any whose bank is
// ready, each bank in arrival order: a request's commands may go before those of an earlier
// request to a busy bank, never before its own bank's earlier commands, and never before the
// controller could have held it (when the request `request_queue` places ahead has issued).
// Writes are posted: the controller takes up to `write_queue` of them per channel and writes
// them in one batch when the queue is full, when the channel has gone idle or at drain(), so
// reads and writes do not turn the bus around on every burst.
//
// Time inside is DRAM clock ticks (int64; "long ago" is a large negative number so that
// every max() below needs no special case). The DRAM clock is derived from the arch's
// bandwidth, so a channel streaming one burst per burst time moves exactly its share of it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dram_hbm2_timeline.hpp"
#include "einfuse/sim/dram.hpp"

namespace einfuse::sim {
namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;
using hbm2::Tick;
using hbm2::kNone;

constexpr u64 kNoRow = ~u64{0};

/// The parameters in whole DRAM clocks, and the command-to-command gaps derived from them
/// (the same formulas as DRAMsim3's timing.cc, so the reference points compare like with like).
struct Clocks {
  Tick cl, cwl, rcd, rp, ras, wr, rtp, wtr_s, wtr_l, rrd_s, rrd_l, faw, rfc, refi;
  Tick burst;               ///< clocks one burst occupies the data bus (BL / 2)
  Tick write_to_precharge;  ///< write command to PRE: write data in, then tWR
  hbm2::ActRules acts;
  hbm2::ColumnRules columns;

  /// ps_num / ps_den: DRAM clocks per picosecond.
  Clocks(const mapper::Hbm2Params& h, u128 ps_num, u128 ps_den) {
    // A controller programs each minimum time as ceil(t / tCK) clocks (JEDEC's rounding
    // rule); tREFI is a maximum, so it is rounded down.
    const auto clocks_of = [&](double ns, bool round_up) {
      const u128 ps = static_cast<u128>(std::llround(ns * 1000.0));
      return static_cast<Tick>((ps * ps_num + (round_up ? ps_den - 1 : 0)) / ps_den);
    };
    const auto ck = [&](double ns) { return clocks_of(ns, true); };
    cl = ck(h.t_cl_ns), cwl = ck(h.t_cwl_ns), rcd = ck(h.t_rcd_ns), rp = ck(h.t_rp_ns), ras = ck(h.t_ras_ns);
    wr = ck(h.t_wr_ns), rtp = ck(h.t_rtp_ns), wtr_s = ck(h.t_wtr_s_ns), wtr_l = ck(h.t_wtr_l_ns);
    rrd_s = ck(h.t_rrd_s_ns), rrd_l = ck(h.t_rrd_l_ns), faw = ck(h.t_faw_ns), rfc = ck(h.t_rfc_ns);
    refi = std::max(rfc + 1, clocks_of(h.t_refi_ns, false));
    burst = h.burst_length / 2;
    write_to_precharge = cwl + burst + wr;
    acts = {rrd_s, rrd_l, faw};
    const Tick cas_to_cas_s = std::max<Tick>(burst, h.t_ccd_s_ck);
    columns = {cas_to_cas_s, std::max<Tick>(burst, h.t_ccd_l_ck),
               std::max(cas_to_cas_s, cl + burst + h.bus_turnaround_ck - cwl), cwl + burst + wtr_s, cwl + burst + wtr_l};
  }
};

/// Where a burst lives. The address mapping's fields are mixed-radix digits of the burst
/// index (address / burst bytes), the row the most significant and unbounded.
struct Location {
  std::array<u64, 4> digit{};  ///< the four fields below the row, least significant first
  u64 row = 0;
};

class AddressMap {
 public:
  explicit AddressMap(const mapper::Hbm2Params& h) {
    // "robgbachco": ro, then the four others from most to least significant.
    for (int i = 0; i < 4; ++i) {
      const std::string field = h.address_mapping.substr(2 * (4 - i), 2);
      const u64 radix = field == "bg"   ? static_cast<u64>(h.bank_groups)
                        : field == "ba" ? static_cast<u64>(h.banks_per_group)
                        : field == "ch" ? static_cast<u64>(h.channels)
                                        : static_cast<u64>(h.row_bytes / (h.bus_bits / 8 * h.burst_length));
      radix_[i] = radix;
      if (field == "bg") group_ = i;
      if (field == "ba") bank_ = i;
      if (field == "ch") channel_ = i;
    }
  }
  Location locate(u64 burst_index) const {
    Location l;
    for (int i = 0; i < 4; ++i) {
      l.digit[i] = burst_index % radix_[i];
      burst_index /= radix_[i];
    }
    l.row = burst_index;
    return l;
  }
  /// The next burst's location, without a division: sequential bursts are the common case.
  void advance(Location& l) const {
    for (int i = 0; i < 4; ++i) {
      if (++l.digit[i] < radix_[i]) return;
      l.digit[i] = 0;
    }
    ++l.row;
  }
  int channel(const Location& l) const { return static_cast<int>(l.digit[channel_]); }
  int group(const Location& l) const { return static_cast<int>(l.digit[group_]); }
  int bank(const Location& l) const { return static_cast<int>(l.digit[bank_]); }

 private:
  std::array<u64, 4> radix_{};
  int group_ = 0, bank_ = 0, channel_ = 0;  ///< which digit is which field
};

/// One burst as the channel's controller sees it.
struct Access {
  Tick arrival;
  int group, bank;  ///< bank: index within the channel (group x banks_per_group + bank in group)
  u64 row;
  bool write;
};

struct Bank {
  u64 open_row = kNoRow;
  Tick pre_ready = kNone;     ///< earliest PRE: tRAS after ACT, tRTP after a read, tWR after write data
  Tick last_command = kNone;  ///< its latest command: its next ones come later (arrival order)
};

struct Channel {
  int index = 0;
  std::vector<Bank> banks;
  hbm2::Timeline acts, columns;
  /// The request_queue latest column commands, sorted: a new request enters the
  /// controller's queue when the request that many places ahead has issued. (A new command is
  /// nearly always the latest, so a sorted deque beats a heap.)
  std::deque<Tick> latest_columns;
  Tick refresh_phase = 0;        ///< this channel's refreshes start at phase + k x tREFI, k >= 1
  Tick interval = 0;             ///< the refresh interval last looked up (interval_of)
  Tick busy_until = kNone;       ///< end of the last data burst placed
  Tick writes_done = kNone;      ///< end of the last write burst placed
  Tick last_column = kNone;      ///< the latest column command placed
  std::vector<Access> posted;    ///< writes taken but not yet written, in arrival order
  std::deque<Tick> free_slots;   ///< when each free write-queue slot became free, oldest first
};

class Hbm2Backend final : public DramBackend {
 public:
  Hbm2Backend(const mapper::ArchSpec& arch, DramCommandSink on_command)
      : h_(checked(arch)),
        on_command_(std::move(on_command)),
        burst_bytes_(static_cast<u64>(h_.bus_bits / 8 * h_.burst_length)),
        // One DRAM clock moves 2 x bus bytes on each channel, so tCK = 2 x channels x bus
        // bytes / BW seconds; keep it as an exact fraction.
        bytes_per_tick_(static_cast<u128>(2) * static_cast<u64>(h_.channels) * static_cast<u64>(h_.bus_bits / 8)),
        clocks_(h_, static_cast<u64>(arch.dram.bandwidth_bytes_per_s), bytes_per_tick_ * 1'000'000'000'000ULL),
        map_(h_) {
    const u128 num = bytes_per_tick_ * static_cast<u64>(arch.clock_hz);
    const u128 den = static_cast<u64>(arch.dram.bandwidth_bytes_per_s);
    const u128 g = gcd128(num, den);
    cycles_per_tick_num_ = num / g;
    cycles_per_tick_den_ = den / g;
    channels_.resize(static_cast<std::size_t>(h_.channels));
    for (std::size_t c = 0; c < channels_.size(); ++c) {
      Channel& ch = channels_[c];
      ch.index = static_cast<int>(c);
      ch.banks.resize(static_cast<std::size_t>(h_.bank_groups * h_.banks_per_group));
      ch.free_slots.assign(static_cast<std::size_t>(h_.write_queue), kNone);
      ch.acts = hbm2::Timeline(2 * std::min(clocks_.rrd_s, clocks_.rrd_l), h_.bank_groups);
      ch.columns = hbm2::Timeline(2 * clocks_.columns.narrowest(), h_.bank_groups);
      // Controllers stagger the channels' refreshes so that they do not all stall at once.
      ch.refresh_phase = clocks_.refi * static_cast<Tick>(c) / static_cast<Tick>(channels_.size());
    }
  }

  std::string name() const override { return "hbm2"; }

  u64 transfer(u64 now, u64 address, u64 bytes, bool write) override {
    // The contract (dram.hpp): a caller going back in time has its events out of order.
    if (now < last_now_) throw std::logic_error("hbm2 backend: transfer() called with a decreasing 'now'");
    last_now_ = now;
    if (bytes == 0) return now;
    (write ? stats_.write_bytes : stats_.read_bytes) += bytes;
    const Tick arrival = ticks_at(now);
    const u64 first = address / burst_bytes_, last = (address + bytes - 1) / burst_bytes_;
    Location loc = map_.locate(first);
    Tick done = arrival;
    for (u64 b = first;; ++b) {
      Channel& ch = channels_[static_cast<std::size_t>(map_.channel(loc))];
      const int group = map_.group(loc);
      const Access a{arrival, group, group * h_.banks_per_group + map_.bank(loc), loc.row, write};
      // A controller that found its channel idle would have written its posted writes then.
      if (!ch.posted.empty() && ch.busy_until <= arrival) write_posted(ch);
      done = std::max(done, write ? post(ch, a) : place(ch, a));
      if (b == last) break;
      map_.advance(loc);
    }
    return std::max(now, cycles_at(done));
  }

  u64 drain(u64 now) override {
    Tick done = ticks_at(now);
    for (Channel& ch : channels_) {
      write_posted(ch);
      done = std::max(done, ch.writes_done);
    }
    return std::max(now, cycles_at(done));
  }

  DramStats stats() const override {
    DramStats s = stats_;
    // Every refresh due before a channel's last command has been carried out.
    for (const Channel& ch : channels_) {
      if (ch.last_column >= ch.refresh_phase + clocks_.refi) {
        s.refreshes += static_cast<u64>((ch.last_column - ch.refresh_phase) / clocks_.refi);
      }
    }
    return s;
  }

 private:
  // --- the controller ------------------------------------------------------------------------

  /// Takes a write into the channel's queue; returns when it was taken (when a slot was free).
  Tick post(Channel& ch, const Access& a) {
    if (ch.free_slots.empty()) write_posted(ch);
    const Tick taken = std::max(a.arrival, ch.free_slots.front());
    ch.free_slots.pop_front();
    ch.posted.push_back(Access{taken, a.group, a.bank, a.row, true});
    return taken;
  }

  /// Writes the queued writes in order; each frees its slot when its command issues.
  void write_posted(Channel& ch) {
    for (const Access& w : ch.posted) {
      const Tick end = place(ch, w);
      ch.free_slots.push_back(end - clocks_.cwl - clocks_.burst);
    }
    ch.posted.clear();
  }

  // --- refresh: all-bank REF at phase + k x tREFI (k >= 1), nothing issues for tRFC after ------

  /// The start of the refresh interval holding `t` (phase for t before the first refresh,
  /// which is no refresh). Times cluster, so the last answer is kept: no division mostly.
  Tick interval_of(Channel& ch, Tick t) const {
    if (t < ch.interval || t >= ch.interval + clocks_.refi) {
      ch.interval = t < ch.refresh_phase ? ch.refresh_phase
                                         : ch.refresh_phase + (t - ch.refresh_phase) / clocks_.refi * clocks_.refi;
    }
    return ch.interval;
  }
  /// The first refresh that starts after `t`.
  Tick refresh_after(Channel& ch, Tick t) const { return interval_of(ch, t) + clocks_.refi; }
  /// `t`, or the end of the refresh `t` falls in.
  Tick outside_refresh(Channel& ch, Tick t) const {
    const Tick start = interval_of(ch, t);
    return start > ch.refresh_phase && t < start + clocks_.rfc ? start + clocks_.rfc : t;
  }

  /// The earliest time >= t that `fits` accepts and no refresh blocks: a command pushed out of
  /// a refresh must be spaced from the others again.
  template <class Fits>
  Tick settle(Channel& ch, Tick t, Fits&& fits) const {
    for (;;) {
      const Tick moved = outside_refresh(ch, fits(t));
      if (moved == t) return t;
      t = moved;
    }
  }

  /// Places one burst's commands on the channel; returns when its last byte has moved.
  Tick place(Channel& ch, const Access& a) {
    const Clocks& k = clocks_;
    Bank& bank = ch.banks[static_cast<std::size_t>(a.bank)];
    Tick earliest = std::max({a.arrival, queue_entry(ch), bank.last_command});
    // A refresh closes every row. The bank's commands for this access go either all before
    // the first refresh after its last command, or all after it.
    const Tick bank_refresh = refresh_after(ch, bank.last_command);
    for (int attempt = 0;; ++attempt) {
      earliest = outside_refresh(ch, earliest);
      const bool open = bank.open_row != kNoRow && earliest < bank_refresh;
      const bool hit = open && bank.open_row == a.row;
      Tick pre = kNone, act = kNone, column_ready = earliest;
      if (!hit) {
        // A conflict first closes the open row: PRE waits only for this bank.
        if (open) pre = std::max(earliest, bank.pre_ready);
        act = settle(ch, std::max(earliest, pre + k.rp), [&](Tick t) { return k.acts.earliest(ch.acts, t, a.group); });
        column_ready = act + k.rcd;
      }
      const hbm2::Command column_command{0, a.group, a.write};
      const Tick column =
          settle(ch, column_ready, [&](Tick t) { return k.columns.earliest(ch.columns, t, column_command); });
      // No refresh may fall between ACT and column command, nor, while the access uses the
      // open row (to read it or to close it), since the bank's last command. A burst that does
      // not fit between two refreshes even from the start of an interval postpones the next
      // refresh, as JEDEC allows; only a t_refi_ns barely above t_rfc_ns gets there.
      const Tick interrupt = open ? bank_refresh : refresh_after(ch, act);
      if (column >= interrupt && attempt < 2) {
        earliest = interrupt;
        continue;
      }
      commit(ch, bank, a, hit, open, pre, act, column);
      return column + (a.write ? k.cwl : k.cl) + k.burst;
    }
  }

  void commit(Channel& ch, Bank& bank, const Access& a, bool hit, bool open, Tick pre, Tick act, Tick column) {
    const Clocks& k = clocks_;
    if (on_command_) {
      const auto report = [&](DramCommand::Kind kind, Tick at) {
        on_command_(DramCommand{kind, at, ch.index, a.group, a.bank % h_.banks_per_group, a.row});
      };
      if (!hit && open) report(DramCommand::Kind::precharge, pre);
      if (!hit) report(DramCommand::Kind::activate, act);
      report(a.write ? DramCommand::Kind::write : DramCommand::Kind::read, column);
    }
    if (hit) {
      ++stats_.row_hits;
    } else {
      ++(open ? stats_.row_conflicts : stats_.row_misses);
      ch.acts.insert({act, a.group, false});
      bank.open_row = a.row;
      bank.pre_ready = act + k.ras;
    }
    const std::size_t i = ch.columns.insert({column, a.group, a.write});
    // Turnarounds: the new command's direction against its neighbours', minus the switch it
    // splits (if any).
    const bool has_prev = i > ch.columns.begin(), has_next = i + 1 < ch.columns.end();
    const auto differs = [&](std::size_t x, std::size_t y) { return ch.columns[x].write != ch.columns[y].write; };
    stats_.turnarounds += static_cast<u64>(has_prev && differs(i - 1, i)) + static_cast<u64>(has_next && differs(i, i + 1));
    stats_.turnarounds -= static_cast<u64>(has_prev && has_next && differs(i - 1, i + 1));
    bank.last_command = column;
    ch.last_column = std::max(ch.last_column, column);
    Tick end;
    if (a.write) {
      ++stats_.writes;
      bank.pre_ready = std::max(bank.pre_ready, column + k.write_to_precharge);
      end = column + k.cwl + k.burst;
      ch.writes_done = std::max(ch.writes_done, end);
    } else {
      ++stats_.reads;
      bank.pre_ready = std::max(bank.pre_ready, column + k.rtp);
      end = column + k.cl + k.burst;
    }
    ch.busy_until = std::max(ch.busy_until, end);
    auto& latest = ch.latest_columns;
    latest.insert(std::upper_bound(latest.rbegin(), latest.rend(), column, std::greater<>()).base(), column);
    if (latest.size() > static_cast<std::size_t>(h_.request_queue)) latest.pop_front();
    // No request, read or posted write, is placed before it could enter the queue: commands
    // older than that no longer constrain anything.
    const Tick floor = queue_entry(ch);
    ch.acts.forget_before(floor - std::max({k.faw, k.rrd_s, k.rrd_l}));
    ch.columns.forget_before(floor - k.columns.widest());
  }

  /// The earliest a new request can be in the controller's queue: when the request
  /// request_queue places ahead of it has issued its column command.
  Tick queue_entry(const Channel& ch) const {
    return ch.latest_columns.size() < static_cast<std::size_t>(h_.request_queue) ? kNone : ch.latest_columns.front();
  }

  // --- time conversion ------------------------------------------------------------------------

  /// The parser's checks again, for specs built in code: a bad one would divide by zero.
  static const mapper::Hbm2Params& checked(const mapper::ArchSpec& arch) {
    const mapper::Hbm2Params& h = arch.dram.hbm2;
    const bool ok = arch.clock_hz > 0 && arch.dram.bandwidth_bytes_per_s > 0 && h.channels > 0 && h.bus_bits >= 8 &&
                    h.bus_bits % 8 == 0 && h.burst_length >= 2 && h.burst_length % 2 == 0 && h.bank_groups > 0 &&
                    h.banks_per_group > 0 && h.row_bytes > 0 && h.row_bytes % (h.bus_bits / 8 * h.burst_length) == 0 &&
                    h.request_queue > 0 && h.write_queue > 0 && h.t_refi_ns > h.t_rfc_ns && h.address_mapping.size() == 10 &&
                    h.t_ccd_l_ck >= h.t_ccd_s_ck && h.t_rrd_l_ns >= h.t_rrd_s_ns && h.t_wtr_l_ns >= h.t_wtr_s_ns;
    if (!ok) throw std::invalid_argument("hbm2 backend: the arch's dram parameters are out of range (docs/dram.md)");
    return h;
  }
  static u128 gcd128(u128 a, u128 b) {
    while (b != 0) a = std::exchange(b, a % b);
    return a;
  }
  /// The first DRAM clock at or after accelerator cycle `now`. A DMA calls many times at the
  /// same cycle, so the last answer is kept.
  Tick ticks_at(u64 now) {
    if (now != cached_cycle_) {
      cached_cycle_ = now;
      cached_tick_ = static_cast<Tick>((static_cast<u128>(now) * cycles_per_tick_den_ + cycles_per_tick_num_ - 1) /
                                       cycles_per_tick_num_);
    }
    return cached_tick_;
  }
  /// The first accelerator cycle at or after DRAM clock `t` (rounded up: never early).
  u64 cycles_at(Tick t) const {
    return static_cast<u64>((static_cast<u128>(t) * cycles_per_tick_num_ + cycles_per_tick_den_ - 1) /
                            cycles_per_tick_den_);
  }

  mapper::Hbm2Params h_;
  DramCommandSink on_command_;
  u64 burst_bytes_;
  u128 bytes_per_tick_;
  Clocks clocks_;
  AddressMap map_;
  std::vector<Channel> channels_;
  u128 cycles_per_tick_num_ = 1, cycles_per_tick_den_ = 1;  ///< accelerator cycles per DRAM clock
  u64 last_now_ = 0;
  u64 cached_cycle_ = ~u64{0};
  Tick cached_tick_ = 0;
  DramStats stats_;
};

}  // namespace

std::unique_ptr<DramBackend> make_hbm2_backend(const mapper::ArchSpec& arch, DramCommandSink on_command) {
  return std::make_unique<Hbm2Backend>(arch, std::move(on_command));
}

}  // namespace einfuse::sim
