// The Perfetto / Chrome trace-event JSON writer (trace.hpp, docs/trace.md). The file is the
// Trace Event Format's object form: {"traceEvents": [...], "otherData": {...}}. Each slice is
// a complete event ("ph": "X", "ts" and "dur"), each track a thread of one process (the
// accelerator) named by "M" metadata events. Events need not be in time order in this format,
// so each is written as it arrives: memory stays constant however long the run.
#include <cstdint>
#include <string>

#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/isa/opcode.hpp"
#include "einfuse/sim/trace.hpp"
#include "trace_tracks.hpp"

namespace einfuse::sim {
namespace {

using detail::append_json_string;
using detail::append_uint;

class PerfettoTrace final : public Observer {
 public:
  PerfettoTrace(const std::string& path, const mapper::ArchSpec& arch)
      : file_(path), tracks_(arch), arch_name_(arch.name), clock_hz_(arch.clock_hz) {
    // One process, pid 1: the accelerator.
    file_.write("{\"traceEvents\":[\n");
    begin_event();
    event_ += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":";
    append_json_string(event_, arch_name_ + " (einfuse sim)");
    event_ += "}}";
    for (std::size_t lane = 0; lane < tracks_.lanes().size(); ++lane) {
      begin_event();
      name_lane(lane);
    }
    flush_event();
  }

  void on_activity(const Activity& a) override {
    bool created = false;
    const std::size_t lane = tracks_.place(a, created);
    if (created) {  // a unit's slices overlap: one more track for it
      begin_event();
      name_lane(lane);
    }
    begin_event();
    event_ += "{\"name\":";
    append_json_string(event_, a.label.empty() ? a.unit : a.label);
    event_ += ",\"cat\":";
    append_json_string(event_, isa::block_name(a.block));
    event_ += ",\"ph\":\"X\",\"ts\":";
    append_uint(event_, a.start);
    event_ += ",\"dur\":";
    append_uint(event_, a.end - a.start);
    event_ += ",\"pid\":1,\"tid\":";
    append_uint(event_, lane + 1);
    event_ += ",\"args\":{";
    if (a.command) append_args(*a.command);
    event_ += "}}";
    flush_event();
    ++slices_;
  }

  void on_finish(std::uint64_t cycles) override {
    // otherData values are strings: viewers show them as given and some accept no other type.
    std::string tail = "\n],\n\"otherData\":{\"producer\":\"einfuse sim\",\"arch\":";
    append_json_string(tail, arch_name_);
    tail += ",\"time_unit\":\"1 us on the viewer's axis is 1 cycle\",\"clock_hz\":\"";
    append_uint(tail, static_cast<std::uint64_t>(clock_hz_ > 0 ? clock_hz_ : 0));
    tail += "\",\"cycles\":\"";
    append_uint(tail, cycles);
    tail += "\",\"slices\":\"";
    append_uint(tail, slices_);
    tail += "\"}}\n";
    file_.write(tail);
    file_.commit();
  }

 private:
  void begin_event() {
    if (!first_) event_ += ",\n";
    first_ = false;
  }
  void flush_event() {
    file_.write(event_);
    event_.clear();
  }

  // A track: its name, and its place (a unit's lanes together, units in result order).
  void name_lane(std::size_t lane) {
    const detail::TraceLane& l = tracks_.lanes()[lane];
    event_ += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":";
    append_uint(event_, lane + 1);
    event_ += ",\"args\":{\"name\":";
    append_json_string(event_, detail::TraceTracks::display_name(l));
    event_ += "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":";
    append_uint(event_, lane + 1);
    event_ += ",\"args\":{\"sort_index\":";
    append_uint(event_, l.unit_index * 1000 + l.lane);
    event_ += "}}";
  }

  // What the viewer shows when a slice is selected: the command and what it moved or ran.
  void append_args(const isa::Command& c) {
    event_ += "\"command\":";
    append_uint(event_, c.id);
    event_ += ",\"kind\":";
    append_json_string(event_, isa::command_kind_name(c.kind));
    switch (c.kind) {
      case isa::CommandKind::compute:
        event_ += ",\"opcode\":";
        append_json_string(event_, isa::opcode_name(c.opcode));
        event_ += ",\"tile\":";
        append_uint(event_, c.tile);
        event_ += ",\"points\":";
        append_uint(event_, c.points);
        event_ += ",\"cycles\":";
        append_uint(event_, c.cycles);
        event_ += ",\"drain\":";
        append_uint(event_, c.drain_cycles);
        break;
      case isa::CommandKind::load:
      case isa::CommandKind::store:
        event_ += ",\"bytes\":";
        append_uint(event_, c.bytes);
        event_ += ",\"dram_address\":";
        append_uint(event_, c.dram_address);
        event_ += ",\"buffer_row\":";
        append_uint(event_, c.buffer_row);
        break;
      case isa::CommandKind::fence:
        event_ += ",\"stage\":";
        append_uint(event_, static_cast<std::uint64_t>(c.stage));
        break;
    }
  }

  einsum::OutputFile file_;
  detail::TraceTracks tracks_;
  std::string arch_name_;
  std::int64_t clock_hz_;
  std::string event_;  ///< the event being formatted (reused: no allocation per slice)
  bool first_ = true;
  std::uint64_t slices_ = 0;
};

}  // namespace

std::unique_ptr<Observer> make_perfetto_trace(const std::string& path, const mapper::ArchSpec& arch) {
  return std::make_unique<PerfettoTrace>(path, arch);
}

}  // namespace einfuse::sim
