// The exploration CSVs (explore_result.hpp, docs/explore.md): writers, strict readers (the
// dialect is csv.hpp's), the output folder (write_explore_dir / read_explore_dir) and the
// shard merge.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/explore/explore_result.hpp"
#include "csv.hpp"

namespace einfuse::explore {
namespace {

namespace fs = std::filesystem;
using csv::Columns;
using csv::field;
using csv::number;
using csv::write_line;

const Columns kDesignColumns = {"model",         "seq_len", "design",  "latency_s", "energy_pj",
                                "traffic_bytes", "util_2d", "util_1d"};
const Columns kEinsumColumns = {"model", "seq_len", "design", "einsum", "array", "cycles"};
const Columns kParetoColumns = {"model", "pe_dim", "latency_s", "area_um2"};

// --- the output folder ------------------------------------------------------------------

// Mode names become folder names and the mode.txt entries, so only plain names pass.
void check_mode_name(const std::string& mode, const std::string& where) {
  const bool ok = !mode.empty() && std::all_of(mode.begin(), mode.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
  if (!ok) {
    throw std::runtime_error(where + ": mode name '" + mode +
                             "' must be non-empty letters, digits, '-' or '_'");
  }
}

// One run's tables under `prefix` ("" or "MODE/") in the folder being written.
void write_run_files(const einsum::OutputFolder& folder, const std::string& prefix, const ExploreRun& run) {
  std::ostringstream attention, end2end, einsums, pareto;
  write_design_csv(attention, run.attention);
  write_design_csv(end2end, run.end2end);
  write_einsum_csv(einsums, run.einsums);
  write_pareto_csv(pareto, run.pareto);
  folder.write_file(prefix + "attention.csv", attention.str());
  folder.write_file(prefix + "end2end.csv", end2end.str());
  folder.write_file(prefix + "einsums.csv", einsums.str());
  folder.write_file(prefix + "pareto.csv", pareto.str());
}

ExploreRun read_run_files(const fs::path& dir, const std::string& mode) {
  ExploreRun run;
  run.mode = mode;
  run.attention = csv::read_file(dir / "attention.csv", read_design_csv);
  run.end2end = csv::read_file(dir / "end2end.csv", read_design_csv);
  run.einsums = csv::read_file(dir / "einsums.csv", read_einsum_csv);
  run.pareto = csv::read_file(dir / "pareto.csv", read_pareto_csv);
  return run;
}

// The fidelity study's tables and their files (fidelity_rows.hpp).
const std::pair<const char*, std::vector<fidelity::Row> fidelity::Tables::*> kFidelityFiles[] = {
    {"fidelity.csv", &fidelity::Tables::ladder},
    {"masking.csv", &fidelity::Tables::masking},
    {"sensitivity.csv", &fidelity::Tables::sensitivity}};

void write_fidelity_files(const einsum::OutputFolder& folder, const fidelity::Tables& t) {
  for (const auto& [file, table] : kFidelityFiles) {
    std::ostringstream out;
    fidelity::write_csv(out, t.*table);
    folder.write_file(file, out.str());
  }
  folder.write_file("fidelity.md", fidelity::render_markdown(t));
}

fidelity::Tables read_fidelity_files(const fs::path& dir) {
  fidelity::Tables t;
  for (const auto& [file, table] : kFidelityFiles) t.*table = csv::read_file(dir / file, fidelity::read_csv);
  return t;
}

// --- merge ------------------------------------------------------------------------------

/// Names in order of first appearance: the stable order merge sorts by.
class FirstSeen {
 public:
  void add(const std::string& name) { index_.emplace(name, index_.size()); }
  std::size_t operator[](const std::string& name) const { return index_.at(name); }

 private:
  std::map<std::string, std::size_t> index_;
};

std::int64_t length_of(const std::string& label, const std::string& table, const std::string& model) {
  try {
    return einsum::parse_length(label);
  } catch (const std::invalid_argument&) {
    throw std::runtime_error("merge: " + table + " row of model '" + model + "': seq_len '" +
                             label + "' is not a length (1K, 64K, 1M or a plain number)");
  }
}

std::vector<DesignRow> merge_design(const std::vector<ExploreRun>& shards,
                                    std::vector<DesignRow> ExploreRun::*table,
                                    const std::string& name, const FirstSeen& models,
                                    const FirstSeen& designs) {
  using Key = std::tuple<std::size_t, std::int64_t, std::size_t>;
  std::vector<std::pair<Key, DesignRow>> rows;
  std::set<Key> seen;
  for (const ExploreRun& shard : shards) {
    for (const DesignRow& r : shard.*table) {
      const Key key{models[r.model], length_of(r.seq_len, name, r.model), designs[r.design]};
      if (!seen.insert(key).second) {
        throw std::runtime_error("merge: duplicate " + name + " row for model '" + r.model +
                                 "', seq_len '" + r.seq_len + "', design '" + r.design + "'");
      }
      rows.emplace_back(key, r);
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<DesignRow> out;
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace

void write_design_csv(std::ostream& out, const std::vector<DesignRow>& rows) {
  write_line(out, kDesignColumns);
  for (const DesignRow& r : rows) {
    write_line(out, {field(r.model), field(r.seq_len), field(r.design), number(r.latency_s),
                     number(r.energy_pj), std::to_string(r.traffic_bytes), number(r.util_2d),
                     number(r.util_1d)});
  }
}

void write_einsum_csv(std::ostream& out, const std::vector<EinsumRow>& rows) {
  write_line(out, kEinsumColumns);
  for (const EinsumRow& r : rows) {
    write_line(out, {field(r.model), field(r.seq_len), field(r.design), field(r.einsum),
                     field(r.array), std::to_string(r.cycles)});
  }
}

void write_pareto_csv(std::ostream& out, const std::vector<ParetoRow>& rows) {
  write_line(out, kParetoColumns);
  for (const ParetoRow& r : rows) {
    write_line(out, {field(r.model), std::to_string(r.pe_dim), number(r.latency_s),
                     number(r.area_um2)});
  }
}

std::vector<DesignRow> read_design_csv(std::istream& in, const std::string& file) {
  csv::Reader csv(in, file, kDesignColumns);
  std::vector<DesignRow> rows;
  while (csv.row()) {
    DesignRow r;
    r.model = csv.text(0);
    r.seq_len = csv.length(1);
    r.design = csv.text(2);
    r.latency_s = csv.real(3);
    r.energy_pj = csv.real(4);
    r.traffic_bytes = csv.integer<std::uint64_t>(5, "a non-negative integer");
    r.util_2d = csv.real(6);
    r.util_1d = csv.real(7);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<EinsumRow> read_einsum_csv(std::istream& in, const std::string& file) {
  csv::Reader csv(in, file, kEinsumColumns);
  std::vector<EinsumRow> rows;
  while (csv.row()) {
    EinsumRow r;
    r.model = csv.text(0);
    r.seq_len = csv.length(1);
    r.design = csv.text(2);
    r.einsum = csv.text(3);
    r.array = csv.text(4);
    r.cycles = csv.integer<std::uint64_t>(5, "a non-negative integer");
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<ParetoRow> read_pareto_csv(std::istream& in, const std::string& file) {
  csv::Reader csv(in, file, kParetoColumns);
  std::vector<ParetoRow> rows;
  while (csv.row()) {
    ParetoRow r;
    r.model = csv.text(0);
    r.pe_dim = csv.integer<std::int64_t>(1, "an integer");
    r.latency_s = csv.real(2);
    r.area_um2 = csv.real(3);
    rows.push_back(std::move(r));
  }
  return rows;
}

void write_explore_dir(const std::string& dir, const ExploreResult& result) {
  if (!result.has_runs() && !result.fidelity) throw std::invalid_argument("explore: nothing to write to " + dir);
  if (result.has_runs()) {
    check_mode_name(result.primary.mode, "primary run");
    if (result.other) check_mode_name(result.other->mode, "other run");
  }
  einsum::OutputFolder folder(dir);
  if (result.has_runs()) {
    write_run_files(folder, "", result.primary);
    std::string mode_txt = "primary: " + result.primary.mode + "\n";
    if (result.other) {
      write_run_files(folder, result.other->mode + "/", *result.other);
      mode_txt += "other: " + result.other->mode + "\n";
    }
    folder.write_file("mode.txt", mode_txt);
  }
  if (result.fidelity) write_fidelity_files(folder, *result.fidelity);
  folder.write_file("report.html", render_report_html(result));
  // A folder with a mode.txt or a fidelity.csv is an earlier explore or merge output: it is
  // replaced whole (no stale mode subfolder survives). Anything else non-empty is not ours
  // to delete.
  std::error_code ec;
  const bool ours = fs::is_regular_file(fs::path(dir) / "mode.txt", ec) ||
                    fs::is_regular_file(fs::path(dir) / kFidelityFiles[0].first, ec);
  folder.commit(ours ? einsum::OutputFolder::Existing::replace : einsum::OutputFolder::Existing::refuse);
}

ExploreResult read_explore_dir(const std::string& dir) {
  const fs::path root(dir);
  const fs::path mode_path = root / "mode.txt";
  ExploreResult result;
  std::error_code ec;
  const bool study = fs::is_regular_file(root / kFidelityFiles[0].first, ec);
  if (study) result.fidelity = read_fidelity_files(root);
  if (study && !fs::exists(mode_path, ec)) return result;  // a study alone
  std::ifstream in(mode_path, std::ios::binary);
  if (!in) throw std::runtime_error(mode_path.string() + ": cannot open (not an explore folder?)");
  std::string primary, other, line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = mode_path.string() + ":" + std::to_string(line_no);
    std::string* slot = line.rfind("primary: ", 0) == 0 ? &primary
                        : line.rfind("other: ", 0) == 0 ? &other
                                                        : nullptr;
    if (slot == nullptr) {
      throw std::runtime_error(where + ": expected 'primary: MODE' or 'other: MODE', got '" + line + "'");
    }
    if (!slot->empty()) throw std::runtime_error(where + ": '" + line + "' given twice");
    *slot = line.substr(line.find(' ') + 1);
    check_mode_name(*slot, where);
  }
  if (primary.empty()) throw std::runtime_error(mode_path.string() + ": no 'primary: MODE' line");
  result.primary = read_run_files(root, primary);
  if (!other.empty()) result.other = read_run_files(root / other, other);
  return result;
}

ExploreRun merge_runs(const std::vector<ExploreRun>& shards) {
  ExploreRun out;
  if (shards.empty()) return out;
  out.mode = shards.front().mode;
  FirstSeen models, designs;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const ExploreRun& s = shards[i];
    if (s.mode != out.mode) {
      throw std::runtime_error("merge: shard " + std::to_string(i + 1) + " has mode '" + s.mode +
                               "' but shard 1 has '" + out.mode + "'");
    }
    for (const auto* table : {&s.attention, &s.end2end}) {
      for (const DesignRow& r : *table) {
        models.add(r.model);
        designs.add(r.design);
      }
    }
    for (const EinsumRow& r : s.einsums) {
      models.add(r.model);
      designs.add(r.design);
    }
    for (const ParetoRow& r : s.pareto) models.add(r.model);
  }
  out.attention = merge_design(shards, &ExploreRun::attention, "attention", models, designs);
  out.end2end = merge_design(shards, &ExploreRun::end2end, "end2end", models, designs);

  // Einsum rows keep their given order inside one (model, length, design): the cascade's.
  using EKey = std::tuple<std::size_t, std::int64_t, std::size_t>;
  std::vector<std::pair<EKey, EinsumRow>> einsums;
  std::set<std::tuple<std::size_t, std::int64_t, std::size_t, std::string, std::string>> seen;
  for (const ExploreRun& s : shards) {
    for (const EinsumRow& r : s.einsums) {
      const EKey key{models[r.model], length_of(r.seq_len, "einsums", r.model), designs[r.design]};
      if (!seen.insert({std::get<0>(key), std::get<1>(key), std::get<2>(key), r.einsum, r.array}).second) {
        throw std::runtime_error("merge: duplicate einsums row for model '" + r.model +
                                 "', seq_len '" + r.seq_len + "', design '" + r.design +
                                 "', einsum '" + r.einsum + "', array '" + r.array + "'");
      }
      einsums.emplace_back(key, r);
    }
  }
  std::stable_sort(einsums.begin(), einsums.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, row] : einsums) out.einsums.push_back(std::move(row));

  std::vector<std::pair<std::pair<std::size_t, std::int64_t>, ParetoRow>> pareto;
  std::set<std::pair<std::size_t, std::int64_t>> seen_pareto;
  for (const ExploreRun& s : shards) {
    for (const ParetoRow& r : s.pareto) {
      const std::pair<std::size_t, std::int64_t> key{models[r.model], r.pe_dim};
      if (!seen_pareto.insert(key).second) {
        throw std::runtime_error("merge: duplicate pareto row for model '" + r.model +
                                 "', pe_dim " + std::to_string(r.pe_dim));
      }
      pareto.emplace_back(key, r);
    }
  }
  std::stable_sort(pareto.begin(), pareto.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, row] : pareto) out.pareto.push_back(std::move(row));
  return out;
}

}  // namespace einfuse::explore
