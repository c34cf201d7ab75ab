// Reading an arch spec (docs/arch-spec.md) strictly: every mapping's keys are checked
// against the schema at every level, every value's type and range, and the cross-checks the
// cost model relies on (exp has cycles, every executed op has an energy). Each error points
// at the node that caused it, so a wrong spec is fixed in one look.
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"
#include "hbm2_keys.hpp"
#include "yaml_strict.hpp"

namespace einfuse::mapper {
namespace {

using yaml_strict::contains;
using yaml_strict::Fields;
using yaml_strict::join;
using yaml_strict::loc_of;

// Keys that name an action or a unit but are not ops.
const std::vector<std::string> kEnergyExtras = {"dram_access", "buffer_read_row", "buffer_write_row",
                                                "register_read", "register_write"};
const std::vector<std::string> kAreaExtras = {"register", "pe2d", "pe1d"};
const std::vector<std::string> kRoles = {"2d", "1d"};
const std::vector<std::string> kExpAlgorithms = {"table", "mac_sequence", "none"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class ArchReader : yaml_strict::Reader {
 public:
  using Reader::Reader;

  ArchSpec read() {
    const YAML::Node root = load_root("an arch spec", "docs/arch-spec.md");
    const Fields f = fields(root, "an arch spec",
                            {"name", "source", "clock_hz", "data_bytes", "arrays", "global_buffer", "dram", "dma",
                             "handoff", "energy_pj", "area_um2"},
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
    if (const auto dma = f.find("dma"); dma != f.end()) read_dma(dma->second.value, spec.dma);
    if (const auto handoff = f.find("handoff"); handoff != f.end()) read_handoff(handoff->second.value, spec.handoff);
    spec.energy_pj = read_table(f.at("energy_pj").value, "energy_pj", concat(known_ops(), kEnergyExtras), "pJ");
    check_energies(f.at("energy_pj").value, spec);
    spec.area_um2 = read_table(f.at("area_um2").value, "area_um2", concat(known_ops(), kAreaExtras), "µm²");
    return spec;
  }

 private:
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
    std::vector<std::string> keys = {"bandwidth_bytes_per_s", "access_bits", "channels", "address_mapping"};
    for (const auto& k : hbm2_keys::kInts) keys.push_back(k.key);
    for (const auto& k : hbm2_keys::kTimes) keys.push_back(k.key);
    const Fields f = fields(node, "dram", keys, {"bandwidth_bytes_per_s", "access_bits"});
    d.bandwidth_bytes_per_s = positive(f.at("bandwidth_bytes_per_s").value, "bandwidth_bytes_per_s");
    d.access_bits = positive_int(f.at("access_bits").value, "access_bits");
    read_hbm2(f, d);
  }

  // The HBM2 model's parameters: each optional, checked as strictly as the required keys,
  // and against each other where a combination would make the model meaningless.
  void read_hbm2(const Fields& f, Dram& d) {
    Hbm2Params& h = d.hbm2;
    const auto given = [&](const char* key) -> const YAML::Node* {
      const auto it = f.find(key);
      return it == f.end() ? nullptr : &it->second.value;
    };
    for (const auto& k : hbm2_keys::kInts) {
      if (const YAML::Node* v = given(k.key)) h.*k.field = positive_int(*v, k.key);
    }
    for (const auto& k : hbm2_keys::kTimes) {
      if (const YAML::Node* v = given(k.key)) {
        h.*k.field = positive_real(*v, k.key, "ns");
        if (h.*k.field > hbm2_keys::kMaxTimeNs) {
          fail(loc_of(*v), std::string("'") + k.key + "' is longer than a second", "a time in ns, e.g. 14");
        }
      }
    }
    if (h.bus_bits % 8 != 0) {
      fail(loc_of(*given("bus_bits")), "bus_bits = " + std::to_string(h.bus_bits) + " is not whole bytes",
           "a multiple of 8, e.g. 128");
    }
    // Double data rate: a burst occupies burst_length / 2 clocks.
    if (h.burst_length % 2 != 0) {
      fail(loc_of(*given("burst_length")), "burst_length = " + std::to_string(h.burst_length) + " is odd",
           "an even number of transfers (two per clock), e.g. 4");
    }
    const int burst_bytes = h.bus_bits / 8 * h.burst_length;
    if (h.row_bytes % burst_bytes != 0) {
      const YAML::Node* at = given("row_bytes") ? given("row_bytes") : given("bus_bits") ? given("bus_bits") : given("burst_length");
      fail(loc_of(*at), "a row of " + std::to_string(h.row_bytes) + " bytes does not hold a whole number of " +
                            std::to_string(burst_bytes) + "-byte bursts",
           "row_bytes a multiple of bus_bits / 8 x burst_length");
    }
    // A refresh that lasts as long as its interval would leave no time to move data.
    if (h.t_refi_ns <= h.t_rfc_ns) {
      const YAML::Node* at = given("t_refi_ns") ? given("t_refi_ns") : given("t_rfc_ns");
      fail(loc_of(*at), "t_refi_ns = " + yaml_strict::exact(h.t_refi_ns) + " is not longer than t_rfc_ns = " +
                            yaml_strict::exact(h.t_rfc_ns) + ": the channel would never leave refresh",
           "t_refi_ns > t_rfc_ns (HBM2: 3900 and 260)");
    }
    // Within a bank group the spacing is the longer one (JEDEC's _L >= _S); the model's
    // shortcut for a command after all others relies on it.
    const auto long_not_shorter = [&](const char* long_key, double long_value, const char* short_key, double short_value) {
      if (long_value >= short_value) return;
      const YAML::Node* at = given(long_key) ? given(long_key) : given(short_key);
      fail(loc_of(*at), std::string(long_key) + " = " + yaml_strict::exact(long_value) + " is shorter than " + short_key +
                            " = " + yaml_strict::exact(short_value),
           std::string(long_key) + " >= " + short_key + " (the same bank group waits at least as long)");
    };
    long_not_shorter("t_ccd_l_ck", h.t_ccd_l_ck, "t_ccd_s_ck", h.t_ccd_s_ck);
    long_not_shorter("t_rrd_l_ns", h.t_rrd_l_ns, "t_rrd_s_ns", h.t_rrd_s_ns);
    long_not_shorter("t_wtr_l_ns", h.t_wtr_l_ns, "t_wtr_s_ns", h.t_wtr_s_ns);
    if (const YAML::Node* v = given("address_mapping")) h.address_mapping = read_address_mapping(*v);
    if (const YAML::Node* v = given("channels")) {
      h.channels = positive_int(*v, "channels");
    } else {
      // Whole stacks at no more than JESD235A's top data rate: the pin rate is then derived
      // from the bandwidth (docs/dram.md).
      const double stack_peak = hbm2_keys::kChannelsPerStack * (h.bus_bits / 8.0) * hbm2_keys::kMaxBitsPerPinPerS;
      const double stacks = std::ceil(static_cast<double>(d.bandwidth_bytes_per_s) / stack_peak);
      if (stacks * hbm2_keys::kChannelsPerStack > std::numeric_limits<int>::max()) {
        fail(loc_of(f.at("bandwidth_bytes_per_s").value), "the bandwidth needs more HBM2 channels than fit an int",
             "a bandwidth in bytes/s, e.g. 429496729600, or an explicit 'channels'");
      }
      h.channels = static_cast<int>(stacks) * hbm2_keys::kChannelsPerStack;
    }
  }

  std::string read_address_mapping(const YAML::Node& node) {
    const std::string mapping = text(node, "address_mapping");
    const std::vector<std::string> fields_wanted = {"ro", "bg", "ba", "ch", "co"};
    // The row is the most significant field: the model does not bound the rows of a bank,
    // so no field can sit above it.
    const std::string expected = "ro followed by bg, ba, ch, co in any order, each once, e.g. robgbachco";
    if (mapping.size() != 2 * fields_wanted.size() || mapping.compare(0, 2, "ro") != 0) {
      fail(loc_of(node), "bad address_mapping '" + mapping + "'", expected);
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < mapping.size(); i += 2) {
      const std::string field = mapping.substr(i, 2);
      if (!contains(fields_wanted, field) || !seen.insert(field).second) {
        fail(loc_of(node), "bad address_mapping '" + mapping + "': field '" + field + "' is unknown or repeated", expected);
      }
    }
    return mapping;
  }

  // Optional sections: a key left out keeps its default (arch_spec.hpp).
  void read_dma(const YAML::Node& node, DmaSpec& d) {
    const Fields f = fields(node, "dma", {"outstanding", "prefetch_tiles"}, {});
    if (const auto it = f.find("outstanding"); it != f.end()) d.outstanding = positive_int(it->second.value, "outstanding");
    if (const auto it = f.find("prefetch_tiles"); it != f.end()) {
      d.prefetch_tiles = positive_int(it->second.value, "prefetch_tiles");
    }
  }

  void read_handoff(const YAML::Node& node, HandoffSpec& h) {
    const Fields f = fields(node, "handoff", {"tiles"}, {});
    if (const auto it = f.find("tiles"); it != f.end()) h.tiles = positive_int(it->second.value, "tiles");
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

};

}  // namespace

const std::vector<std::string>& known_ops() {
  static const std::vector<std::string> ops = {"mac", "add", "max", "min", "cmp", "divide", "exp"};
  return ops;
}

ArchSpec parse_arch(const std::string& text, const std::string& file) { return ArchReader(file, text).read(); }

}  // namespace einfuse::mapper
