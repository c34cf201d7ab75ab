// The simulator's traces (sim/trace.hpp, docs/trace.md): synthetic slices fed to the writers
// and read back (the JSON with nlohmann::json, the VCD with a small reader below), a failed
// run that leaves no file, and a real run whose trace has one slice per command.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/sim/simulator.hpp"
#include "einfuse/sim/trace.hpp"
#include "paper_fixture.hpp"
#include "temp_file.hpp"

using namespace einfuse;
namespace fs = std::filesystem;
using u64 = std::uint64_t;

namespace {

mapper::ArchSpec two_arrays() {
  mapper::ArchSpec a;
  a.name = "Tiny";
  a.clock_hz = 940'000'000;
  a.arrays = {{"pe2d", "2d", 4, 4, {}, "none", {}, 0}, {"pe1d", "1d", 1, 4, {}, "none", {}, 0}};
  return a;
}

struct Fed {
  std::string unit;
  isa::Block block;
  isa::Command command;
  std::string label;
  u64 start, end;
};

// Slices as the simulator would report them: per unit in order of their end, the units
// interleaved out of time order. The DMA's load and store overlap (two engines).
std::vector<Fed> sample_slices() {
  auto compute = [](u64 id) {
    isa::Command c;
    c.id = id;
    c.kind = isa::CommandKind::compute;
    c.tile = id;
    c.cycles = 7;
    return c;
  };
  auto transfer = [](u64 id, isa::CommandKind kind) {
    isa::Command c;
    c.id = id;
    c.kind = kind;
    c.unit = isa::Block::dma;
    c.bytes = 4096;
    return c;
  };
  return {
      {"pe2d", isa::Block::pe2d_array, compute(1), "reduce.mac QK", 4, 10},
      {"dma", isa::Block::dma, transfer(0, isa::CommandKind::load), "load Q", 0, 4},
      {"pe1d", isa::Block::pe1d_array, compute(2), "scan.max RM", 10, 13},
      {"pe2d", isa::Block::pe2d_array, compute(3), "map.exp SLN", 13, 25},
      {"dma", isa::Block::dma, transfer(5, isa::CommandKind::store), "store AV", 2, 12},  // overlaps the next load
      {"dma", isa::Block::dma, transfer(4, isa::CommandKind::load), "load K", 4, 14},
      {"pe1d", isa::Block::pe1d_array, compute(6), "scan.add RD", 25, 25},  // zero length
  };
}

void feed(sim::Observer& o, const std::vector<Fed>& slices, bool finish = true) {
  o.on_start(slices.size());
  for (const Fed& f : slices) o.on_activity({f.unit, f.block, &f.command, f.label, f.start, f.end});
  if (finish) o.on_finish(30);
}

// Per track (tid): its name, and its slices as (ts, dur, name) in file order.
struct PerfettoTracks {
  std::map<u64, std::string> names;
  std::map<u64, std::vector<nlohmann::json>> slices;
  std::size_t slice_count = 0;
};

PerfettoTracks read_perfetto(const nlohmann::json& j) {
  PerfettoTracks t;
  for (const nlohmann::json& e : j.at("traceEvents")) {
    REQUIRE(e.at("pid") == 1);
    if (e.at("ph") == "M" && e.at("name") == "thread_name") t.names[e.at("tid").get<u64>()] = e.at("args").at("name");
    if (e.at("ph") == "X") {
      t.slices[e.at("tid").get<u64>()].push_back(e);
      ++t.slice_count;
    }
  }
  return t;
}

// A viewer draws one slice at a time per track: on every track, sorted by start, each slice
// ends before the next starts.
void check_no_overlap(const PerfettoTracks& t) {
  for (auto [tid, slices] : t.slices) {
    std::sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) { return a.at("ts") < b.at("ts"); });
    for (std::size_t i = 1; i < slices.size(); ++i) {
      INFO("track " << t.names.at(tid));
      CHECK(slices[i - 1].at("ts").get<u64>() + slices[i - 1].at("dur").get<u64>() <= slices[i].at("ts").get<u64>());
    }
  }
}

// The VCD's value changes: per "scope.var", the (time, value) list, and the times in order.
struct Vcd {
  std::string header;
  std::vector<u64> times;
  std::map<std::string, std::vector<std::pair<u64, std::string>>> changes;
  std::string value_at(const std::string& var, u64 t) const {
    std::string v = "?";
    for (const auto& [when, value] : changes.at(var))
      if (when <= t) v = value;
    return v;
  }
};

Vcd read_vcd(const std::string& text) {
  Vcd vcd;
  std::istringstream in(text);
  std::map<std::string, std::string> var_of_code;
  std::vector<std::string> scopes;
  std::string line;
  u64 now = 0;
  bool body = false;
  while (std::getline(in, line)) {
    if (!body) {
      vcd.header += line + "\n";
      std::istringstream words(line);
      std::string w, type, size, code, name;
      words >> w;
      if (w == "$scope") {
        words >> type >> name;
        scopes.push_back(name);
      } else if (w == "$upscope") {
        scopes.pop_back();
      } else if (w == "$var") {
        words >> type >> size >> code >> name;
        var_of_code[code] = scopes.back() + "." + name;
      } else if (w == "$enddefinitions") {
        body = true;
      }
      continue;
    }
    if (line.empty() || line[0] == '$') continue;
    if (line[0] == '#') {
      now = std::stoull(line.substr(1));
      vcd.times.push_back(now);
    } else if (line[0] == 'b') {
      const auto space = line.find(' ');
      const std::string bits = line.substr(1, space - 1);
      vcd.changes[var_of_code.at(line.substr(space + 1))].emplace_back(
          now, bits == "x" ? "x" : std::to_string(std::stoull(bits, nullptr, 2)));
    } else {
      vcd.changes[var_of_code.at(line.substr(1))].emplace_back(now, line.substr(0, 1));
    }
  }
  return vcd;
}

}  // namespace

TEST_CASE("sim: the Perfetto trace has one slice per activity on one track per unit", "[sim][trace]") {
  test::TempFile tmp("", "unused");
  const std::string path = tmp.dir() + "/run.json";
  const std::vector<Fed> slices = sample_slices();
  {
    auto trace = sim::make_perfetto_trace(path, two_arrays());
    feed(*trace, slices, false);
    CHECK_FALSE(fs::exists(path));  // only the temporary until the run ends
    trace->on_finish(30);
  }
  CHECK(test::names_in(tmp.dir()) == std::vector<std::string>{"run.json", "unused"});
  const nlohmann::json j = nlohmann::json::parse(test::read_file(path));
  const PerfettoTracks t = read_perfetto(j);
  // The arch's arrays and the DMA in result order; the DMA's overlapping store on a second track.
  CHECK(t.names == std::map<u64, std::string>{{1, "pe2d"}, {2, "pe1d"}, {3, "dma"}, {4, "dma (2)"}});
  CHECK(t.slice_count == slices.size());
  check_no_overlap(t);
  REQUIRE(t.slices.at(1).size() == 2);
  const nlohmann::json& qk = t.slices.at(1)[0];
  CHECK(qk.at("name") == "reduce.mac QK");
  CHECK(qk.at("cat") == "pe2d_array");
  CHECK(qk.at("ts") == 4);  // cycles: the viewer's microseconds
  CHECK(qk.at("dur") == 6);
  CHECK(qk.at("args").at("command") == 1);
  CHECK(qk.at("args").at("kind") == "compute");
  CHECK(qk.at("args").at("cycles") == 7);
  REQUIRE(t.slices.at(4).size() == 1);
  CHECK(t.slices.at(4)[0].at("name") == "store AV");
  CHECK(t.slices.at(4)[0].at("args").at("bytes") == 4096);
  CHECK(t.slices.at(3).size() == 2);  // the loads, back to back
  CHECK(t.slices.at(2).back().at("dur") == 0);
  CHECK(j.at("otherData").at("cycles") == "30");
  CHECK(j.at("otherData").at("clock_hz") == "940000000");
  CHECK(j.at("otherData").at("arch") == "Tiny");
}

TEST_CASE("sim: the VCD holds busy and command per track, in time order", "[sim][trace]") {
  test::TempFile tmp("", "unused");
  const std::string path = tmp.dir() + "/run.vcd";
  {
    auto trace = sim::make_vcd_trace(path, two_arrays());
    feed(*trace, sample_slices());
  }
  const Vcd vcd = read_vcd(test::read_file(path));
  CHECK(vcd.header.find("$timescale 1ns $end") != std::string::npos);
  CHECK(vcd.header.find("$scope module Tiny $end") != std::string::npos);
  for (const char* scope : {"pe2d", "pe1d", "dma", "dma_2"}) {
    CHECK(vcd.header.find(std::string("$scope module ") + scope + " $end") != std::string::npos);
  }
  CHECK(std::is_sorted(vcd.times.begin(), vcd.times.end()));
  CHECK(std::adjacent_find(vcd.times.begin(), vcd.times.end()) == vcd.times.end());  // each time once
  CHECK(vcd.times.back() == 30);  // the run's end

  // pe2d: idle, command 1 over [4, 10), idle, command 3 over [13, 25), idle.
  CHECK(vcd.value_at("pe2d.busy", 3) == "0");
  CHECK(vcd.value_at("pe2d.command", 3) == "x");
  CHECK(vcd.value_at("pe2d.busy", 4) == "1");
  CHECK(vcd.value_at("pe2d.command", 9) == "1");
  CHECK(vcd.value_at("pe2d.busy", 10) == "0");
  CHECK(vcd.value_at("pe2d.command", 13) == "3");
  CHECK(vcd.value_at("pe2d.busy", 25) == "0");
  // dma: load 0 then load 4 back to back: busy stays 1 at 4, only the command changes.
  CHECK(vcd.value_at("dma.command", 3) == "0");
  CHECK(vcd.value_at("dma.command", 4) == "4");
  const auto& dma_busy = vcd.changes.at("dma.busy");
  CHECK(std::none_of(dma_busy.begin(), dma_busy.end(), [](const auto& c) { return c.first == 4; }));
  CHECK(vcd.value_at("dma_2.command", 2) == "5");
  CHECK(vcd.value_at("dma_2.busy", 12) == "0");
  // A zero-length slice changes nothing a waveform could show.
  CHECK(vcd.value_at("pe1d.busy", 25) == "0");
}

TEST_CASE("sim: a trace of a failed run leaves no file", "[sim][trace]") {
  test::TempFile tmp("", "unused");
  for (const char* name : {"run.json", "run.vcd"}) {
    const std::string path = tmp.dir() + "/" + name;
    {
      auto trace = std::string(name) == "run.json" ? sim::make_perfetto_trace(path, two_arrays())
                                                   : sim::make_vcd_trace(path, two_arrays());
      feed(*trace, sample_slices(), false);  // the run throws: no on_finish
    }
    CHECK(test::names_in(tmp.dir()) == std::vector<std::string>{"unused"});
  }
  // An unwritable path fails when the trace is made, before any simulation.
  const std::string missing = tmp.dir() + "/no/such/folder/run.json";
  CHECK_THROWS_WITH(sim::make_perfetto_trace(missing, two_arrays()), Catch::Contains(missing));
}

TEST_CASE("sim: the VCD refuses more slices than it may hold, saying why", "[sim][trace]") {
  test::TempFile tmp("", "unused");
  const std::string path = tmp.dir() + "/run.vcd";
  {
    auto trace = sim::make_vcd_trace(path, two_arrays(), 3);
    CHECK_THROWS_WITH(feed(*trace, sample_slices()),
                      "VCD trace '" + path +
                          "': more than 3 slices (24 bytes each, held until the run ends because a VCD is written "
                          "in time order); trace a smaller shape, or write the Perfetto trace, which is streamed");
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("sim: the fan-out passes every call to every observer in order", "[sim][trace]") {
  struct Recorder : sim::Observer {
    explicit Recorder(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
    void on_start(u64 n) override { log_.push_back(name_ + " start " + std::to_string(n)); }
    void on_activity(const sim::Activity& a) override { log_.push_back(name_ + " " + std::string(a.label)); }
    void on_progress(u64 issued, u64) override { log_.push_back(name_ + " progress " + std::to_string(issued)); }
    void on_finish(u64 c) override { log_.push_back(name_ + " finish " + std::to_string(c)); }
    std::vector<std::string>& log_;
    std::string name_;
  };
  std::vector<std::string> log;
  sim::FanOut fan;
  CHECK(fan.empty());
  fan.add(std::make_unique<Recorder>(log, "a"));
  fan.add(nullptr);  // ignored
  fan.add(std::make_unique<Recorder>(log, "b"));
  fan.on_start(2);
  fan.on_activity({"pe2d", isa::Block::pe2d_array, nullptr, "x", 0, 1});
  fan.on_progress(1, 1);
  fan.on_finish(5);
  CHECK(log == std::vector<std::string>{"a start 2", "b start 2", "a x", "b x", "a progress 1", "b progress 1",
                                        "a finish 5", "b finish 5"});
}

TEST_CASE("sim: a run's Perfetto trace has one slice per command", "[sim][trace]") {
  auto& ctx = test::paper_context();
  einsum::ModelSpec m = test::paper_model("BERT");
  m.batch = 1;
  m.heads = m.kv_heads = 1;
  m.head_dim = m.value_dim = 64;
  const auto d = mapper::paper::attention_design(ctx, mapper::paper::Design::fusemax, m, 1024, false);
  const einsum::Cascade& cascade = ctx.cascade(d.cascade);
  const mapper::Workload w = mapper::make_workload(cascade, einsum::bind_shape(cascade, d.shape));
  const mapper::CostReport cost = mapper::evaluate(w, d.arch, d.mapping, d.options);
  const mapper::Schedule s(w, d.arch, d.mapping);
  const isa::Program p(s, isa::buffer_footprints(cost));

  test::TempFile tmp("", "unused");
  const std::string json_path = tmp.dir() + "/fusemax.json", vcd_path = tmp.dir() + "/fusemax.vcd";
  sim::FanOut traces;
  traces.add(sim::make_perfetto_trace(json_path, d.arch));
  traces.add(sim::make_vcd_trace(vcd_path, d.arch));
  sim::SimOptions o;
  o.observer = &traces;
  const isa::RunResult r = sim::simulate(p, o);

  const PerfettoTracks t = read_perfetto(nlohmann::json::parse(test::read_file(json_path)));
  check_no_overlap(t);
  // Per unit (a track and its extra lanes): one slice per command it ran, each as long as
  // the unit was busy with it for the arrays.
  std::map<std::string, u64> slices, busy;
  for (const auto& [tid, events] : t.slices) {
    const std::string unit = t.names.at(tid).substr(0, t.names.at(tid).find(" ("));
    for (const auto& e : events) {
      ++slices[unit];
      busy[unit] += e.at("dur").get<u64>();
    }
  }
  u64 commands = 0;
  for (const isa::UnitActivity& u : r.units) {
    if (u.block == isa::Block::controller) continue;
    INFO(u.name);
    CHECK(slices[u.name] == u.commands);
    if (u.block != isa::Block::dma) CHECK(busy[u.name] == u.busy_cycles);
    commands += u.commands;
  }
  CHECK(t.slice_count == commands);

  const Vcd vcd = read_vcd(test::read_file(vcd_path));
  CHECK(std::is_sorted(vcd.times.begin(), vcd.times.end()));
  CHECK(vcd.times.back() == r.cycles);
}
