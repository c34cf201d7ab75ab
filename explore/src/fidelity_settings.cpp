// The fidelity study's settings (fidelity_settings.hpp).
#include "fidelity_settings.hpp"

#include <algorithm>
#include <cstdint>

namespace einfuse::explore::fidelity::detail {
namespace {

sim::SimOptions options(sim::OpTiming timing, sim::Channels channels, sim::DramModel dram,
                        sim::ReductionTiming reduction = sim::ReductionTiming::occupies_array) {
  sim::SimOptions o;
  o.op_timing = timing;
  o.reduction = reduction;
  o.channels = channels;
  o.dram = dram;
  return o;
}

std::string number_name(double v) {
  const auto whole = static_cast<std::int64_t>(v);
  return static_cast<double>(whole) == v ? std::to_string(whole) : std::to_string(v);
}

// A capacity as a name: 256KiB, 1MiB, 32MiB.
std::string bytes_name(std::uint64_t bytes) {
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + "MiB" : std::to_string(bytes >> 10) + "KiB";
}

}  // namespace

const std::vector<Rung>& ladder() {
  using sim::Channels;
  using sim::DramModel;
  using sim::OpTiming;
  const auto pipelined = sim::ReductionTiming::pipelined;
  static const std::vector<Rung> rungs = {
      {"list_schedule", "", "the cost model's op timing, an ideal DRAM and unbounded channels: the list-scheduled stream",
       options(OpTiming::cost_model, Channels::unbounded, DramModel::ideal)},
      {"structural", "list_schedule",
       "structural op timing: spatial reductions run through a chain that occupies the array (the RTL's), the exp's "
       "subtraction, result registers",
       options(OpTiming::structural, Channels::unbounded, DramModel::ideal)},
      {"arch_channels", "structural",
       "the arch's channels: buffer banks and ports, prefetch depth and space, handoff buffers, DMA slots",
       options(OpTiming::structural, Channels::arch, DramModel::ideal)},
      {"hbm2", "arch_channels", "the HBM2 DRAM model (banks, rows, refresh) instead of the ideal pipe",
       options(OpTiming::structural, Channels::arch, DramModel::hbm2)},
      {"structural_pipelined", "structural",
       "structural, but each reduction chain has registers of its own: the array is free, the result D cycles late",
       options(OpTiming::structural, Channels::unbounded, DramModel::ideal, pipelined)},
      {"hbm2_pipelined", "hbm2", "every effect, with the reductions pipelined as in structural_pipelined",
       options(OpTiming::structural, Channels::arch, DramModel::hbm2, pipelined)},
  };
  return rungs;
}

const Rung& top_rung() { return ladder()[3]; }

const std::vector<std::string>& masking_variants() {
  static const std::vector<std::string> v = {"real_mask", "uniform", "dense"};
  return v;
}

std::string masking_setting(const std::string& rung, const std::string& variant) { return rung + ":" + variant; }

const std::vector<Knob>& knobs() {
  static const std::vector<Knob> list = [] {
    std::vector<Knob> k;
    auto add = [&](const std::string& group, double value, std::function<void(mapper::ArchSpec&, sim::SimOptions&)> apply,
                   std::function<bool(const mapper::ArchSpec&)> shipped, const std::string& shown) {
      k.push_back({group + "=" + shown, group, value, std::move(apply), std::move(shipped)});
    };
    for (int n : {1, 2, 4, 8, 16})
      add("banks", n, [n](mapper::ArchSpec& a, sim::SimOptions&) { a.global_buffer.banks = n; },
          [n](const mapper::ArchSpec& a) { return a.global_buffer.banks == n; }, number_name(n));
    for (int n : {1, 2, 4})
      add("ports", n, [n](mapper::ArchSpec& a, sim::SimOptions&) { a.global_buffer.ports = n; },
          [n](const mapper::ArchSpec& a) { return a.global_buffer.ports == n; }, number_name(n));
    for (int n : {1, 2, 4, 8})
      add("prefetch", n, [n](mapper::ArchSpec& a, sim::SimOptions&) { a.dma.prefetch_tiles = n; },
          [n](const mapper::ArchSpec& a) { return a.dma.prefetch_tiles == n; }, number_name(n));
    for (int n : {1, 2, 4, 8, 16})
      add("handoff", n, [n](mapper::ArchSpec& a, sim::SimOptions&) { a.handoff.tiles = n; },
          [n](const mapper::ArchSpec& a) { return a.handoff.tiles == n; }, number_name(n));
    for (std::uint64_t kib : {256u, 512u, 1024u, 4096u, 16384u, 32768u, 65536u}) {
      const std::uint64_t bytes = kib << 10;
      add("buffer", static_cast<double>(bytes) / (1 << 20),
          [bytes](mapper::ArchSpec&, sim::SimOptions& o) { o.buffer_bytes = bytes; },
          [bytes](const mapper::ArchSpec& a) { return static_cast<std::uint64_t>(a.global_buffer.capacity_bytes) == bytes; },
          bytes_name(bytes));
    }
    // Every channel at the largest value swept: how much of the gap the channels explain.
    k.push_back({"generous", "generous", 0,
                 [](mapper::ArchSpec& a, sim::SimOptions&) {
                   a.global_buffer.banks = 16;
                   a.global_buffer.ports = 4;
                   a.dma.prefetch_tiles = 8;
                   a.handoff.tiles = 16;
                 },
                 [](const mapper::ArchSpec&) { return false; }});
    return k;
  }();
  return list;
}

std::size_t setting_rank(const std::string& setting) {
  std::vector<std::string> order;
  for (const Rung& r : ladder()) order.push_back(r.name);
  for (const Rung& r : ladder())
    for (const std::string& v : masking_variants()) order.push_back(masking_setting(r.name, v));
  for (const Knob& k : knobs()) order.push_back(k.name);
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), setting) - order.begin());
}

}  // namespace einfuse::explore::fidelity::detail
