// Finding, loading and writing arch specs (workloads/arch/*.yaml, docs/arch-spec.md). The
// strict reader is in arch_parse.cpp; this file holds what surrounds it: name resolution
// (mirroring einsum's model lookup, so `--arch fusemax` behaves like `--model bert`), the
// YAML dump that reads back to an equal spec, and the data-folder search.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"

#include "einfuse/einsum/data_dir.hpp"
#include "hbm2_keys.hpp"

namespace einfuse::mapper {
namespace {

namespace fs = std::filesystem;
using einfuse::einsum::SourceLoc;
using einfuse::einsum::SourceText;

// Shortest text that parses back to the same double, so a dump loses nothing.
std::string exact(double v) {
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), result.ptr);
}

void emit_counts(YAML::Emitter& out, const char* key, const std::map<std::string, int>& counts) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& [k, v] : counts) out << YAML::Key << k << YAML::Value << v;
  out << YAML::EndMap;
}

void emit_table(YAML::Emitter& out, const char* key, const std::map<std::string, double>& table) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : table) out << YAML::Key << k << YAML::Value << exact(v);
  out << YAML::EndMap;
}

}  // namespace

const PeArray* ArchSpec::find_array(std::string_view role) const {
  for (const PeArray& a : arrays) {
    if (a.role == role) return &a;
  }
  return nullptr;
}

ArchSpec load_arch(const std::string& path_or_name, const std::string& arch_dir) {
  const fs::path path = einsum::resolve_named_yaml(path_or_name, arch_dir, "--arch", "arch spec");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    SourceText src{path.string(), ""};
    throw CascadeError(&src, SourceLoc{}, "cannot open arch spec '" + path.string() + "'",
                       "a readable .yaml file (docs/arch-spec.md)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_arch(text.str(), path.string());
}

std::string to_yaml(const ArchSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << spec.name;
  out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << spec.source;
  out << YAML::Key << "clock_hz" << YAML::Value << spec.clock_hz;
  out << YAML::Key << "data_bytes" << YAML::Value << spec.data_bytes;
  out << YAML::Key << "arrays" << YAML::Value << YAML::BeginSeq;
  for (const PeArray& a : spec.arrays) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << a.name;
    out << YAML::Key << "role" << YAML::Value << YAML::DoubleQuoted << a.role;
    out << YAML::Key << "rows" << YAML::Value << a.rows;
    out << YAML::Key << "cols" << YAML::Value << a.cols;
    emit_counts(out, "ops", a.ops);
    out << YAML::Key << "exp_algorithm" << YAML::Value << a.exp_algorithm;
    if (!a.exp_sequence.empty()) emit_counts(out, "exp_sequence", a.exp_sequence);
    out << YAML::Key << "registers_per_pe" << YAML::Value << a.registers_per_pe;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "global_buffer" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "capacity_bytes" << YAML::Value << spec.global_buffer.capacity_bytes;
  out << YAML::Key << "row_bits" << YAML::Value << spec.global_buffer.row_bits;
  out << YAML::Key << "banks" << YAML::Value << spec.global_buffer.banks;
  out << YAML::Key << "ports" << YAML::Value << spec.global_buffer.ports;
  out << YAML::EndMap;
  out << YAML::Key << "dram" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bandwidth_bytes_per_s" << YAML::Value << spec.dram.bandwidth_bytes_per_s;
  out << YAML::Key << "access_bits" << YAML::Value << spec.dram.access_bits;
  const Hbm2Params& h = spec.dram.hbm2;
  out << YAML::Key << "channels" << YAML::Value << h.channels;
  for (const auto& k : hbm2_keys::kInts) out << YAML::Key << k.key << YAML::Value << h.*k.field;
  for (const auto& k : hbm2_keys::kTimes) out << YAML::Key << k.key << YAML::Value << exact(h.*k.field);
  out << YAML::Key << "address_mapping" << YAML::Value << h.address_mapping;
  out << YAML::EndMap;
  out << YAML::Key << "dma" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "outstanding" << YAML::Value << spec.dma.outstanding;
  out << YAML::Key << "prefetch_tiles" << YAML::Value << spec.dma.prefetch_tiles;
  out << YAML::EndMap;
  out << YAML::Key << "handoff" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "tiles" << YAML::Value << spec.handoff.tiles;
  out << YAML::EndMap;
  emit_table(out, "energy_pj", spec.energy_pj);
  emit_table(out, "area_um2", spec.area_um2);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string default_arch_dir() { return einsum::find_workloads_dir("arch"); }

}  // namespace einfuse::mapper
