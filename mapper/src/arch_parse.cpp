// Reading an arch spec (docs/arch-spec.md) strictly: every mapping's keys are checked
// against the schema at every level, every value's type and range, and the cross-checks the
// cost model relies on (exp has cycles, every executed op has an energy). Each error points
// at the node that caused it, so a wrong spec is fixed in one look.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"

namespace einfuse::mapper {
namespace {

using einfuse::einsum::SourceLoc;
using einfuse::einsum::SourceText;

// yaml-cpp marks are 0-based; a mark of -1 means "unknown".
SourceLoc loc_of(const YAML::Mark& mark, std::size_t length = 1) {
  if (mark.line < 0 || mark.column < 0) return SourceLoc{};
  return SourceLoc{static_cast<std::uint32_t>(mark.line + 1), static_cast<std::uint32_t>(mark.column + 1),
                   static_cast<std::uint32_t>(std::max<std::size_t>(length, 1))};
}

SourceLoc loc_of(const YAML::Node& node) {
  return loc_of(node.Mark(), node.IsScalar() ? node.Scalar().size() : 1);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Keys that name an action or a unit but are not ops.
const std::vector<std::string> kEnergyExtras = {"dram_access", "buffer_read_row", "buffer_write_row",
                                                "register_read", "register_write"};
const std::vector<std::string> kAreaExtras = {"register", "pe2d", "pe1d"};
const std::vector<std::string> kRoles = {"2d", "1d"};
const std::vector<std::string> kExpAlgorithms = {"table", "mac_sequence", "none"};

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One entry of a mapping: the key node (for "where is it") and its value.
struct Field {
  YAML::Node key;
  YAML::Node value;
};
using Fields = std::map<std::string, Field>;

class ArchReader {
 public:
  ArchReader(std::string file, std::string text)
      : source_(std::make_shared<SourceText>(SourceText{std::move(file), std::move(text)})) {}

  ArchSpec read() {
    YAML::Node root;
    try {
      root = YAML::Load(source_->text);
    } catch (const YAML::ParserException& e) {
      fail(loc_of(e.mark), "YAML syntax error: " + e.msg, "a mapping of 'key: value' lines (docs/arch-spec.md)");
    }
    if (!root.IsMap()) {
      fail(root.IsDefined() && !root.IsNull() ? loc_of(root.Mark()) : SourceLoc{1, 1, 1},
           "an arch spec must be a mapping of keys to values", "'key: value' lines (docs/arch-spec.md)");
    }
    const Fields f = fields(root, "an arch spec",
                            {"name", "source", "clock_hz", "data_bytes", "arrays", "global_buffer", "dram",
                             "energy_pj", "area_um2"},
                            {"name", "source", "clock_hz", "data_bytes", "arrays", "global_buffer", "dram",
                             "energy_pj", "area_um2"});
    ArchSpec spec;
    spec.name = text(f.at("name").value, "name");
    spec.source = text(f.at("source").value, "source");
    spec.clock_hz = positive(f.at("clock_hz").value, "clock_hz");
    spec.data_bytes = positive_int(f.at("data_bytes").value, "data_bytes");
    read_arrays(f.at("arrays").value, spec);
    read_buffer(f.at("global_buffer").value, spec);
    read_dram(f.at("dram").value, spec.dram);
    spec.energy_pj = read_table(f.at("energy_pj").value, "energy_pj", concat(known_ops(), kEnergyExtras), "pJ");
    check_energies(f.at("energy_pj").value, spec);
    spec.area_um2 = read_table(f.at("area_um2").value, "area_um2", concat(known_ops(), kAreaExtras), "µm²");
    return spec;
  }

 private:
  // Checks that `node` is a mapping whose keys are each in `allowed`, given once, with every
  // one of `required` present; the missing-key error points at the mapping itself.
  Fields fields(const YAML::Node& node, const std::string& where, const std::vector<std::string>& allowed,
                const std::vector<std::string>& required) {
    if (!node.IsMap()) fail(loc_of(node), where + " must be a mapping", "indented 'key: value' lines, one of: " + join(allowed));
    Fields out;
    for (const auto& entry : node) {
      const YAML::Node key = entry.first;
      if (!key.IsScalar()) fail(loc_of(key), "a key in " + where + " must be a plain name", "one of: " + join(allowed));
      const std::string& k = key.Scalar();
      if (!contains(allowed, k)) fail(loc_of(key), "unknown key '" + k + "' in " + where, "one of: " + join(allowed));
      if (out.count(k)) fail(loc_of(key), "key '" + k + "' is given twice in " + where, "each key once");
      out.emplace(k, Field{key, entry.second});
    }
    for (const std::string& r : required) {
      if (!out.count(r)) fail(loc_of(node.Mark()), "missing key '" + r + "' in " + where, "every one of: " + join(required));
    }
    return out;
  }

  void read_arrays(const YAML::Node& node, ArchSpec& spec) {
    if (!node.IsSequence() || node.size() == 0) {
      fail(loc_of(node), "'arrays' must be a non-empty list of PE arrays", "'- name: ...' entries (docs/arch-spec.md)");
    }
    std::set<std::string> names;
    for (const YAML::Node& item : node) {
      PeArray a = read_array(item);
      if (!names.insert(a.name).second) {
        fail(loc_of(item["name"]), "a second array named '" + a.name + "'", "a name not used by another array");
      }
      spec.arrays.push_back(std::move(a));
    }
  }

  PeArray read_array(const YAML::Node& node) {
    const Fields f = fields(node, "a PE array",
                            {"name", "role", "rows", "cols", "ops", "exp_algorithm", "exp_sequence", "registers_per_pe"},
                            {"name", "role", "rows", "cols", "ops", "exp_algorithm", "registers_per_pe"});
    PeArray a;
    a.name = text(f.at("name").value, "name");
    const std::string where = "array '" + a.name + "'";
    a.role = choice(f.at("role").value, "role", kRoles);
    a.rows = positive_int(f.at("rows").value, "rows");
    a.cols = positive_int(f.at("cols").value, "cols");
    if (a.role == "1d" && a.rows != 1) {
      fail(loc_of(f.at("rows").value), where + " has role 1d but rows = " + std::to_string(a.rows),
           "rows: 1 for a 1D array (its PEs are the cols)");
    }
    a.registers_per_pe = positive_int(f.at("registers_per_pe").value, "registers_per_pe");
    const YAML::Node& ops = f.at("ops").value;
    const Fields op_fields = fields(ops, "the ops of " + where, known_ops(), {});
    if (op_fields.empty()) fail(loc_of(ops), where + " lists no ops", "op: cycles entries, e.g. 'mac: 1'");
    for (const auto& [op, field] : op_fields) a.ops[op] = positive_int(field.value, op + " cycles");

    const YAML::Node& algorithm = f.at("exp_algorithm").value;
    a.exp_algorithm = choice(algorithm, "exp_algorithm", kExpAlgorithms);
    const bool computes_exp = a.exp_algorithm != "none";
    if (computes_exp && !a.supports("exp")) {
      fail(loc_of(algorithm), where + " computes exp ('" + a.exp_algorithm + "') but its ops give no cycles for exp",
           "an 'exp: CYCLES' entry in ops, or exp_algorithm: none");
    }
    if (!computes_exp && a.supports("exp")) {
      fail(loc_of(op_fields.at("exp").key), where + " lists exp in its ops but exp_algorithm is 'none'",
           "exp_algorithm: table or mac_sequence, or no exp entry");
    }
    const auto sequence = f.find("exp_sequence");
    if (a.exp_algorithm == "mac_sequence") {
      if (sequence == f.end()) {
        fail(loc_of(algorithm), where + " computes exp as a mac_sequence but gives no exp_sequence",
             "exp_sequence: {op: count, ...}, e.g. {mac: 6, add: 1}");
      }
      read_exp_sequence(sequence->second.value, op_fields.at("exp").value, where, a);
    } else if (sequence != f.end()) {
      fail(loc_of(sequence->second.key), where + " gives an exp_sequence but exp_algorithm is '" + a.exp_algorithm + "'",
           "exp_sequence only with exp_algorithm: mac_sequence");
    }
    return a;
  }

  // The ops one exp is composed of; their cycles must add up to the exp cycles, otherwise
  // latency and energy would be charged for two different exps.
  void read_exp_sequence(const YAML::Node& node, const YAML::Node& exp_cycles, const std::string& where, PeArray& a) {
    const Fields seq = fields(node, "the exp_sequence of " + where, known_ops(), {});
    if (seq.empty()) fail(loc_of(node), "the exp_sequence of " + where + " is empty", "op: count entries, e.g. mac: 6");
    std::int64_t cycles = 0;
    std::string sum;
    for (const auto& [op, field] : seq) {
      if (op == "exp" || !a.supports(op)) {
        fail(loc_of(field.key), "the exp_sequence of " + where + " uses '" + op + "', which the array does not execute",
             "ops listed in the array's ops, other than exp");
      }
      const int count = positive_int(field.value, "exp_sequence " + op);
      a.exp_sequence[op] = count;
      cycles += static_cast<std::int64_t>(count) * a.ops.at(op);
      sum += (sum.empty() ? "" : " + ") + std::to_string(count) + " " + op;
    }
    if (cycles != a.ops.at("exp")) {
      fail(loc_of(exp_cycles), where + ": exp takes " + std::to_string(a.ops.at("exp")) + " cycles but its exp_sequence (" +
                                   sum + ") takes " + std::to_string(cycles),
           "exp cycles equal to the sum of the sequence's op cycles");
    }
  }

  void read_buffer(const YAML::Node& node, ArchSpec& spec) {
    const std::vector<std::string> keys = {"capacity_bytes", "row_bits", "banks", "ports"};
    const Fields f = fields(node, "global_buffer", keys, keys);
    GlobalBuffer& b = spec.global_buffer;
    b.capacity_bytes = positive(f.at("capacity_bytes").value, "capacity_bytes");
    b.row_bits = positive_int(f.at("row_bits").value, "row_bits");
    b.banks = positive_int(f.at("banks").value, "banks");
    b.ports = positive_int(f.at("ports").value, "ports");
    // Row accesses move whole elements; a row that splits one would need a partial access.
    if (b.row_bits % (8 * spec.data_bytes) != 0) {
      fail(loc_of(f.at("row_bits").value),
           "row_bits = " + std::to_string(b.row_bits) + " does not hold a whole number of " +
               std::to_string(spec.data_bytes) + "-byte elements",
           "a multiple of " + std::to_string(8 * spec.data_bytes));
    }
  }

  void read_dram(const YAML::Node& node, Dram& d) {
    const std::vector<std::string> keys = {"bandwidth_bytes_per_s", "access_bits"};
    const Fields f = fields(node, "dram", keys, keys);
    d.bandwidth_bytes_per_s = positive(f.at("bandwidth_bytes_per_s").value, "bandwidth_bytes_per_s");
    d.access_bits = positive_int(f.at("access_bits").value, "access_bits");
  }

  std::map<std::string, double> read_table(const YAML::Node& node, const std::string& where,
                                           const std::vector<std::string>& allowed, const std::string& unit) {
    std::map<std::string, double> out;
    for (const auto& [k, field] : fields(node, where, allowed, {})) out[k] = positive_real(field.value, k, unit);
    return out;
  }

  // The cost model charges every action it counts; a missing entry would silently cost 0.
  void check_energies(const YAML::Node& node, const ArchSpec& spec) {
    for (const std::string& k : kEnergyExtras) {
      if (!spec.energy_pj.count(k)) {
        fail(loc_of(node.Mark()), "missing key '" + k + "' in energy_pj", "every one of: " + join(kEnergyExtras) +
                                                                               ", and each op an array executes");
      }
    }
    for (const PeArray& a : spec.arrays) {
      for (const auto& [op, cycles] : a.ops) {
        // A composed exp is charged as the ops it is made of.
        if (op == "exp" && a.exp_algorithm == "mac_sequence") continue;
        if (!spec.energy_pj.count(op)) {
          fail(loc_of(node.Mark()), "energy_pj has no entry for '" + op + "', which array '" + a.name + "' executes",
               "'" + op + ": PJ' in energy_pj");
        }
      }
    }
  }

  std::string text(const YAML::Node& value, const std::string& key) {
    if (!value.IsScalar() || value.Scalar().empty()) fail(loc_of(value), "'" + key + "' must be a non-empty text", "a string");
    return value.Scalar();
  }

  std::string choice(const YAML::Node& value, const std::string& key, const std::vector<std::string>& allowed) {
    if (!value.IsScalar() || !contains(allowed, value.Scalar())) {
      fail(loc_of(value), "bad value " + shown(value) + " for '" + key + "'", "one of: " + join(allowed));
    }
    return value.Scalar();
  }

  static std::string shown(const YAML::Node& value) {
    if (value.IsScalar()) return "'" + value.Scalar() + "'";
    return value.IsMap() ? "(a mapping)" : value.IsSequence() ? "(a list)" : "(nothing)";
  }

  std::int64_t positive(const YAML::Node& value, const std::string& key) {
    const std::string expected = "a positive integer, e.g. 256";
    if (!value.IsScalar()) fail(loc_of(value), "'" + key + "' must be an integer, not " + shown(value), expected);
    const std::string& s = value.Scalar();
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) fail(loc_of(value), "'" + key + "' = " + s + " is out of range", expected);
    if (ec != std::errc{} || end != s.data() + s.size()) {
      fail(loc_of(value), "'" + key + "' must be an integer, not '" + s + "'", expected);
    }
    if (v <= 0) fail(loc_of(value), "'" + key + "' must be positive, not " + s, expected);
    return v;
  }

  int positive_int(const YAML::Node& value, const std::string& key) {
    const std::int64_t v = positive(value, key);
    if (v > std::numeric_limits<int>::max()) {
      fail(loc_of(value), "'" + key + "' = " + std::to_string(v) + " is out of range",
           "at most " + std::to_string(std::numeric_limits<int>::max()));
    }
    return static_cast<int>(v);
  }

  double positive_real(const YAML::Node& value, const std::string& key, const std::string& unit) {
    const std::string expected = "a positive number of " + unit + ", e.g. 17.1645";
    if (!value.IsScalar()) fail(loc_of(value), "'" + key + "' must be a number, not " + shown(value), expected);
    const std::string& s = value.Scalar();
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
      fail(loc_of(value), "'" + key + "' must be a number, not '" + s + "'", expected);
    }
    if (v <= 0) fail(loc_of(value), "'" + key + "' must be positive, not " + s, expected);
    return v;
  }

  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) {
    throw CascadeError(source_.get(), loc, message, expected);
  }

  std::shared_ptr<const SourceText> source_;
};

}  // namespace

const std::vector<std::string>& known_ops() {
  static const std::vector<std::string> ops = {"mac", "add", "max", "min", "cmp", "divide", "exp"};
  return ops;
}

ArchSpec parse_arch(const std::string& text, const std::string& file) { return ArchReader(file, text).read(); }

}  // namespace einfuse::mapper
