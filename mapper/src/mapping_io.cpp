// Reading and writing a Mapping as YAML (docs/mapping.md). The reader is as strict as the
// arch-spec reader: unknown, repeated and missing keys are errors at every level, and every
// value's type and range is checked, each error pointing at its node. Whether the names
// exist in a cascade and an arch is not checked here: that is validate_mapping's job
// (cost_model.hpp), which knows both.
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/mapper/mapping.hpp"
#include "yaml_strict.hpp"

namespace einfuse::mapper {
namespace {

using einfuse::einsum::CascadeError;
using einfuse::einsum::SourceLoc;
using einfuse::einsum::SourceText;
using yaml_strict::Fields;
using yaml_strict::join;
using yaml_strict::loc_of;
using yaml_strict::OrderedFields;

constexpr std::int64_t kMaxFactor = std::int64_t{1} << 62;

const std::vector<std::string> kTopKeys = {"name",         "cascade",      "arch",    "bindings", "spatial",
                                           "dram_loops",   "buffer_loops", "tensors", "overlap"};
const std::vector<std::string> kResidencies = {"buffer", "stream", "registers", "dram"};
const std::vector<std::string> kMemoryPolicies = {"overlapped", "per_stage"};

// Einsum, tensor and rank names are spelled as in a cascade: a letter or _, then letters,
// digits or _ (docs/language.md, "Names").
bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (const char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

const Binding* find_in(const std::vector<Binding>& bindings, const std::string& einsum) {
  for (const Binding& b : bindings) {
    if (b.einsum == einsum) return &b;
  }
  return nullptr;
}

class MappingReader : yaml_strict::Reader {
 public:
  using Reader::Reader;

  Mapping read() {
    const YAML::Node root = load_root("a mapping file", "docs/mapping.md");
    const Fields f = fields(root, "a mapping file", kTopKeys, {"name", "cascade", "arch", "bindings"});
    Mapping m;
    m.name = text(f.at("name").value, "name");
    m.cascade = text(f.at("cascade").value, "cascade");
    m.arch = text(f.at("arch").value, "arch");
    read_bindings(f.at("bindings").value, m.bindings);
    if (const auto it = f.find("spatial"); it != f.end()) read_spatial(it->second.value, m.spatial);
    if (const auto it = f.find("dram_loops"); it != f.end()) m.dram_loops = read_loops(it->second.value, "dram_loops");
    if (const auto it = f.find("buffer_loops"); it != f.end()) {
      m.buffer_loops = read_loops(it->second.value, "buffer_loops");
    }
    if (const auto it = f.find("tensors"); it != f.end()) read_tensors(it->second.value, m.tensors);
    if (const auto it = f.find("overlap"); it != f.end()) read_overlap(it->second.value, m.overlap);
    return m;
  }

 private:
  // `label` says which value this is in the message ("'einsum'", "an entry of 'rows'").
  std::string name(const YAML::Node& value, const std::string& label, const std::string& kind,
                   const std::string& example) {
    if (!value.IsScalar() || !is_identifier(value.Scalar())) {
      fail(loc_of(value), label + " must be " + kind + " name, not " + shown(value),
           kind + " name: a letter or _, then letters, digits or _ (e.g. " + example + ")");
    }
    return value.Scalar();
  }

  std::int64_t factor(const YAML::Node& value, const std::string& rank) {
    const std::int64_t v = positive(value, rank);
    if (v > kMaxFactor) {
      fail(loc_of(value), "'" + rank + "' = " + value.Scalar() + " is out of range",
           "a positive integer of at most 2^62 = " + std::to_string(kMaxFactor));
    }
    return v;
  }

  void read_bindings(const YAML::Node& node, std::vector<Binding>& out) {
    if (!node.IsSequence() || node.size() == 0) {
      fail(loc_of(node), "'bindings' must be a non-empty list of Einsum bindings, not " + shown(node),
           "'- {einsum: E, array: A, rows: [...], cols: [...]}' entries (docs/mapping.md)");
    }
    for (const YAML::Node& item : node) {
      const Fields f = fields(item, "a binding", {"einsum", "array", "rows", "cols", "stationary"}, {"einsum", "array"});
      Binding b;
      const YAML::Node& einsum = f.at("einsum").value;
      b.einsum = name(einsum, "'einsum'", "an Einsum", "QK");
      if (find_in(out, b.einsum)) {
        fail(loc_of(einsum), "Einsum '" + b.einsum + "' is bound twice", "one binding per Einsum");
      }
      b.array = text(f.at("array").value, "array");
      std::vector<std::string> laid;  // ranks on either axis, to catch one given twice
      if (const auto it = f.find("rows"); it != f.end()) b.rows = read_axis(it->second.value, "rows", b.einsum, laid);
      if (const auto it = f.find("cols"); it != f.end()) b.cols = read_axis(it->second.value, "cols", b.einsum, laid);
      if (const auto it = f.find("stationary"); it != f.end()) {
        b.stationary = name(it->second.value, "'stationary'", "a tensor", "K");
      }
      out.push_back(std::move(b));
    }
  }

  std::vector<std::string> read_axis(const YAML::Node& node, const std::string& key, const std::string& einsum,
                                     std::vector<std::string>& laid) {
    if (!node.IsSequence()) {
      fail(loc_of(node), "'" + key + "' must be a list of rank names, not " + shown(node), "e.g. " + key + ": [P]");
    }
    std::vector<std::string> ranks;
    for (const YAML::Node& item : node) {
      std::string rank = name(item, "an entry of '" + key + "'", "a rank", "M0");
      if (yaml_strict::contains(laid, rank)) {
        fail(loc_of(item), "rank '" + rank + "' is laid across the array twice in the binding of '" + einsum + "'",
             "each rank on one axis, once");
      }
      laid.push_back(rank);
      ranks.push_back(std::move(rank));
    }
    return ranks;
  }

  void read_spatial(const YAML::Node& node, std::vector<SpatialFactor>& out) {
    for (const auto& [rank, field] : named_entries(node, "spatial", "rank")) {
      name(field.key, "a key of 'spatial'", "a rank", "P");
      out.push_back(SpatialFactor{rank, factor(field.value, rank)});
    }
  }

  std::vector<Loop> read_loops(const YAML::Node& node, const std::string& key) {
    const std::string expected = "one 'RANK: FACTOR' pair per entry, e.g. - {B: 64}";
    if (!node.IsSequence()) fail(loc_of(node), "'" + key + "' must be a list of loops, not " + shown(node), expected);
    std::vector<Loop> loops;
    for (const YAML::Node& item : node) {
      if (!item.IsMap() || item.size() == 0) {
        fail(loc_of(item), "an entry of '" + key + "' must be one 'RANK: FACTOR' pair, not " + shown(item), expected);
      }
      // Not named_entries: a second key is wrong even when it repeats the first.
      auto entry = item.begin();
      const YAML::Node rank = entry->first;
      const YAML::Node value = entry->second;
      if (++entry != item.end()) {
        fail(loc_of(entry->first), "an entry of '" + key + "' has a second rank " + shown(entry->first), expected);
      }
      const std::string r = name(rank, "the rank of a loop in '" + key + "'", "a rank", "B");
      loops.push_back(Loop{r, factor(value, r)});
    }
    return loops;
  }

  void read_tensors(const YAML::Node& node, std::vector<TensorPlacement>& out) {
    for (const auto& [tensor, field] : named_entries(node, "tensors", "tensor")) {
      name(field.key, "a key of 'tensors'", "a tensor", "QK");
      TensorPlacement p;
      p.tensor = tensor;
      const YAML::Node& value = field.value;
      if (value.IsScalar()) {
        p.residency = residency(value, tensor);
      } else if (value.IsMap()) {
        const Fields pf = fields(value, "the placement of tensor '" + tensor + "'", {"residency", "spill", "in_place_of"},
                                 {"residency"});
        p.residency = residency(pf.at("residency").value, tensor);
        if (const auto it = pf.find("spill"); it != pf.end()) {
          const std::string expected = "the fraction spilled to DRAM, a number in [0, 1], e.g. 0.25";
          const YAML::Node& spill = it->second.value;
          p.spill_fraction = number(spill, "spill", expected);
          if (p.spill_fraction < 0 || p.spill_fraction > 1) {
            fail(loc_of(spill), "'spill' = " + spill.Scalar() + " of tensor '" + tensor + "' is outside [0, 1]", expected);
          }
        }
        if (const auto it = pf.find("in_place_of"); it != pf.end()) {
          p.in_place_of = name(it->second.value, "'in_place_of'", "a tensor", "QK");
        }
      } else {
        fail(loc_of(value), "tensor '" + tensor + "' must have a residency, not " + shown(value),
             "RESIDENCY or {residency: RESIDENCY, spill: FRACTION, in_place_of: TENSOR}; residency one of: " +
                 join(kResidencies));
      }
      out.push_back(std::move(p));
    }
  }

  Residency residency(const YAML::Node& value, const std::string& tensor) {
    if (value.IsScalar()) {
      for (std::size_t i = 0; i < kResidencies.size(); ++i) {
        if (value.Scalar() == kResidencies[i]) return static_cast<Residency>(i);
      }
    }
    fail(loc_of(value), "bad residency " + shown(value) + " for tensor '" + tensor + "'",
         "one of: " + join(kResidencies));
  }

  void read_overlap(const YAML::Node& node, Overlap& out) {
    const Fields f = fields(node, "overlap", {"memory", "interleave", "stages"}, {});
    if (const auto it = f.find("memory"); it != f.end()) {
      out.memory = choice(it->second.value, "memory", kMemoryPolicies) == "overlapped" ? Overlap::Memory::overlapped
                                                                                        : Overlap::Memory::per_stage;
    }
    if (const auto it = f.find("interleave"); it != f.end()) {
      out.interleave = choice(it->second.value, "interleave", {"true", "false"}) == "true";
    }
    if (const auto it = f.find("stages"); it != f.end()) read_stages(it->second.value, out.stages);
  }

  void read_stages(const YAML::Node& node, std::vector<std::vector<std::string>>& out) {
    const std::string expected = "a list of stages, each a list of Einsum names, e.g. [[QK, LM], [RM]]";
    if (!node.IsSequence()) fail(loc_of(node), "'stages' must be a list of lists, not " + shown(node), expected);
    std::vector<std::string> seen;
    for (const YAML::Node& stage : node) {
      if (!stage.IsSequence() || stage.size() == 0) {
        fail(loc_of(stage), "a stage must be a non-empty list of Einsum names, not " + shown(stage), expected);
      }
      std::vector<std::string> einsums;
      for (const YAML::Node& item : stage) {
        std::string e = name(item, "an entry of a stage", "an Einsum", "QK");
        if (yaml_strict::contains(seen, e)) {
          fail(loc_of(item), "Einsum '" + e + "' is in a stage twice", "each Einsum in exactly one stage");
        }
        seen.push_back(e);
        einsums.push_back(std::move(e));
      }
      out.push_back(std::move(einsums));
    }
  }
};

void emit_ranks(YAML::Emitter& out, const char* key, const std::vector<std::string>& ranks) {
  if (ranks.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& r : ranks) out << r;
  out << YAML::EndSeq;
}

void emit_loops(YAML::Emitter& out, const char* key, const std::vector<Loop>& loops) {
  if (loops.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const Loop& l : loops) out << YAML::Flow << YAML::BeginMap << YAML::Key << l.rank << YAML::Value << l.factor << YAML::EndMap;
  out << YAML::EndSeq;
}

}  // namespace

const char* residency_name(Residency r) {
  switch (r) {
    case Residency::buffer: return "buffer";
    case Residency::stream: return "stream";
    case Residency::registers: return "registers";
    case Residency::dram: return "dram";
  }
  return "?";
}

const Binding* Mapping::find_binding(const std::string& einsum) const { return find_in(bindings, einsum); }

const TensorPlacement* Mapping::find_tensor(const std::string& tensor) const {
  for (const TensorPlacement& t : tensors) {
    if (t.tensor == tensor) return &t;
  }
  return nullptr;
}

Mapping parse_mapping(const std::string& text, const std::string& file) { return MappingReader(file, text).read(); }

Mapping load_mapping(const std::string& path) {
  std::ifstream in;
  if (!std::filesystem::is_directory(path)) in.open(path, std::ios::binary);
  if (!in.is_open() || !in) {
    SourceText src{path, ""};
    throw CascadeError(&src, SourceLoc{}, "cannot open mapping '" + path + "'", "a readable .yaml file (docs/mapping.md)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_mapping(text.str(), path);
}

std::string to_yaml(const Mapping& m) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name;
  out << YAML::Key << "cascade" << YAML::Value << YAML::DoubleQuoted << m.cascade;
  out << YAML::Key << "arch" << YAML::Value << YAML::DoubleQuoted << m.arch;
  out << YAML::Key << "bindings" << YAML::Value << YAML::BeginSeq;
  for (const Binding& b : m.bindings) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "einsum" << YAML::Value << b.einsum;
    out << YAML::Key << "array" << YAML::Value << b.array;
    emit_ranks(out, "rows", b.rows);
    emit_ranks(out, "cols", b.cols);
    if (!b.stationary.empty()) out << YAML::Key << "stationary" << YAML::Value << b.stationary;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (!m.spatial.empty()) {
    out << YAML::Key << "spatial" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const SpatialFactor& s : m.spatial) out << YAML::Key << s.rank << YAML::Value << s.factor;
    out << YAML::EndMap;
  }
  emit_loops(out, "dram_loops", m.dram_loops);
  emit_loops(out, "buffer_loops", m.buffer_loops);
  if (!m.tensors.empty()) {
    out << YAML::Key << "tensors" << YAML::Value << YAML::BeginMap;
    for (const TensorPlacement& t : m.tensors) {
      out << YAML::Key << t.tensor << YAML::Value;
      if (t.spill_fraction == 0 && t.in_place_of.empty()) {
        out << residency_name(t.residency);
      } else {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "residency" << YAML::Value << residency_name(t.residency);
        if (t.spill_fraction != 0) out << YAML::Key << "spill" << YAML::Value << yaml_strict::exact(t.spill_fraction);
        if (!t.in_place_of.empty()) out << YAML::Key << "in_place_of" << YAML::Value << t.in_place_of;
        out << YAML::EndMap;
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "overlap" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "memory" << YAML::Value
      << (m.overlap.memory == Overlap::Memory::overlapped ? "overlapped" : "per_stage");
  out << YAML::Key << "interleave" << YAML::Value << m.overlap.interleave;
  out << YAML::Key << "stages" << YAML::Value;
  if (m.overlap.stages.empty()) out << YAML::Flow;  // "stages: []", not "[]" on a line of its own
  out << YAML::BeginSeq;
  for (const std::vector<std::string>& stage : m.overlap.stages) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const std::string& e : stage) out << e;
    out << YAML::EndSeq;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace einfuse::mapper
