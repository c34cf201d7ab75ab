// The VCD writer (trace.hpp, docs/trace.md): per track a 1-bit `busy` and a 64-bit `command`
// (the id of the command running, x when idle), for a waveform viewer beside the RTL's.
//
// A VCD lists value changes in time order, but slices of different units arrive out of
// order (observer.hpp). So every slice is held until on_finish: kVcdSliceBytes (24) bytes
// each, in a deque per track (no doubling on growth), at most max_slices. Within one track
// the slices are in time order and never overlap (TraceTracks), so the file is written by
// merging the tracks' sequences: no sort, no second copy.
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/sim/trace.hpp"
#include "trace_tracks.hpp"

namespace einfuse::sim {
namespace {

using detail::append_uint;
using u64 = std::uint64_t;

constexpr u64 kNoCommand = std::numeric_limits<u64>::max();  ///< a slice without a command: x

struct Slice {
  u64 start, end, command;
};
static_assert(sizeof(Slice) == kVcdSliceBytes);

// A VCD identifier: printable ASCII '!'..'~' as base-94 digits.
std::string vcd_code(std::size_t n) {
  std::string code;
  do {
    code += static_cast<char>('!' + n % 94);
    n /= 94;
  } while (n > 0);
  return code;
}

class VcdTrace final : public Observer {
 public:
  VcdTrace(const std::string& path, const mapper::ArchSpec& arch, u64 max_slices)
      : file_(path), tracks_(arch), arch_name_(arch.name), clock_hz_(arch.clock_hz), max_slices_(max_slices) {}

  void on_activity(const Activity& a) override {
    if (held_ >= max_slices_) {
      throw std::runtime_error("VCD trace '" + file_.path() + "': more than " + std::to_string(max_slices_) +
                               " slices (" + std::to_string(kVcdSliceBytes) +
                               " bytes each, held until the run ends because a VCD is written in time "
                               "order); trace a smaller shape, or write the Perfetto trace, which is streamed");
    }
    bool created = false;
    const std::size_t lane = tracks_.place(a, created);
    if (lane >= slices_.size()) slices_.resize(lane + 1);
    slices_[lane].push_back({a.start, a.end, a.command ? a.command->id : kNoCommand});
    ++held_;
  }

  void on_finish(u64 cycles) override {
    if (slices_.size() < tracks_.lanes().size()) slices_.resize(tracks_.lanes().size());
    write_header();
    write_changes(cycles);
    file_.write(out_);
    file_.commit();
  }

 private:
  struct State {
    bool busy = false;
    u64 command = kNoCommand;
    bool operator==(const State&) const = default;
  };

  void write_header() {
    out_ += "$version einfuse sim $end\n$comment arch ";
    out_ += arch_name_;
    out_ += ", clock ";
    append_uint(out_, static_cast<u64>(clock_hz_ > 0 ? clock_hz_ : 0));
    out_ += " Hz; one time unit is one cycle $end\n$timescale 1ns $end\n$scope module ";
    out_ += detail::as_identifier(arch_name_.empty() ? "accelerator" : arch_name_);
    out_ += " $end\n";
    for (std::size_t lane = 0; lane < tracks_.lanes().size(); ++lane) {
      out_ += "$scope module " + detail::TraceTracks::identifier(tracks_.lanes()[lane]) + " $end\n";
      out_ += "$var wire 1 " + vcd_code(2 * lane) + " busy $end\n";
      out_ += "$var integer 64 " + vcd_code(2 * lane + 1) + " command $end\n$upscope $end\n";
    }
    out_ += "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n";
    for (std::size_t lane = 0; lane < tracks_.lanes().size(); ++lane) write_state(lane, State{}, State{}, true);
    out_ += "$end\n";
  }

  // The lines for what changed on `lane` from `was` to `now` (everything when `all`).
  void write_state(std::size_t lane, const State& was, const State& now, bool all) {
    if (all || now.busy != was.busy) {
      out_ += now.busy ? '1' : '0';
      out_ += vcd_code(2 * lane);
      out_ += '\n';
    }
    if (all || now.command != was.command) {
      out_ += 'b';
      if (now.command == kNoCommand) {
        out_ += 'x';
      } else {
        int bit = 63;
        while (bit > 0 && ((now.command >> bit) & 1) == 0) --bit;
        for (; bit >= 0; --bit) out_ += ((now.command >> bit) & 1) ? '1' : '0';
      }
      out_ += ' ';
      out_ += vcd_code(2 * lane + 1);
      out_ += '\n';
    }
  }

  // Merges the tracks' start/end sequences in time order. At one time a track may end a
  // slice and start the next (or start and end a zero-length one): only its final value
  // there is written, and a time where nothing changes gets no line.
  void write_changes(u64 cycles) {
    const std::size_t lanes = slices_.size();
    std::vector<std::size_t> index(lanes, 0);
    std::vector<char> at_end(lanes, 0);
    std::vector<State> written(lanes), state(lanes);
    auto next_time = [&](std::size_t l) {
      const Slice& s = slices_[l][index[l]];
      return at_end[l] ? s.end : s.start;
    };
    using Entry = std::pair<u64, std::size_t>;  // (time of the track's next change, track)
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> next;
    for (std::size_t l = 0; l < lanes; ++l)
      if (!slices_[l].empty()) next.emplace(slices_[l][0].start, l);
    std::vector<std::size_t> touched;
    u64 last = 0;
    while (!next.empty()) {
      const u64 t = next.top().first;
      touched.clear();
      while (!next.empty() && next.top().first == t) {
        const std::size_t l = next.top().second;
        next.pop();
        while (index[l] < slices_[l].size() && next_time(l) == t) {
          const Slice& s = slices_[l][index[l]];
          if (at_end[l]) {
            state[l] = State{};
            ++index[l];
          } else {
            state[l] = State{true, s.command};
          }
          at_end[l] = !at_end[l];
        }
        touched.push_back(l);
        if (index[l] < slices_[l].size()) next.emplace(next_time(l), l);
      }
      const std::size_t before = out_.size();
      if (t != 0) {  // time 0 is open already: the header's #0 and $dumpvars
        out_ += '#';
        append_uint(out_, t);
        out_ += '\n';
      }
      const std::size_t header = out_.size();
      for (std::size_t l : touched) {
        write_state(l, written[l], state[l], false);
        written[l] = state[l];
      }
      if (out_.size() == header) out_.resize(before);  // nothing changed at t
      else last = t;
      if (out_.size() > (std::size_t{1} << 20)) {
        file_.write(out_);
        out_.clear();
      }
    }
    // The waveform runs to the end of the run.
    if (cycles > last) {
      out_ += '#';
      append_uint(out_, cycles);
      out_ += '\n';
    }
  }

  einsum::OutputFile file_;
  detail::TraceTracks tracks_;
  std::string arch_name_;
  std::int64_t clock_hz_;
  u64 max_slices_;
  u64 held_ = 0;
  std::vector<std::deque<Slice>> slices_;  ///< by track
  std::string out_;                        ///< text not yet handed to file_
};

}  // namespace

std::unique_ptr<Observer> make_vcd_trace(const std::string& path, const mapper::ArchSpec& arch, u64 max_slices) {
  return std::make_unique<VcdTrace>(path, arch, max_slices);
}

}  // namespace einfuse::sim
