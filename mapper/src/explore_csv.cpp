// The exploration CSVs (explore_result.hpp, docs/explore.md): writers, strict readers,
// the output folder (write_explore_dir / read_explore_dir) and the shard merge.
// Readers are strict because `einfuse merge` trusts what it reads: a truncated or
// hand-edited shard must fail with the file, line and column, not yield a quietly wrong
// report. Doubles are written with 17 significant digits so a merge reproduces them bit
// for bit.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
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
#include "einfuse/mapper/explore_result.hpp"

namespace einfuse::mapper {
namespace {

namespace fs = std::filesystem;
using Columns = std::vector<std::string>;

const Columns kDesignColumns = {"model",         "seq_len", "design",  "latency_s", "energy_pj",
                                "traffic_bytes", "util_2d", "util_1d"};
const Columns kEinsumColumns = {"model", "seq_len", "design", "einsum", "array", "cycles"};
const Columns kParetoColumns = {"model", "pe_dim", "latency_s", "area_um2"};

std::string join(const Columns& cols) {
  std::string s;
  for (const std::string& c : cols) s += (s.empty() ? "" : ",") + c;
  return s;
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// RFC 4180 quoting, only where needed: model and design names are free text.
std::string field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_line(std::ostream& out, const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
  out << line << '\n';
}

/// Splits CSV text into records (quoted fields may hold commas, quotes and newlines) and
/// turns each into typed values, reporting file:line and the column on any fault.
class CsvReader {
 public:
  CsvReader(std::istream& in, std::string file, const Columns& cols)
      : text_(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
        file_(std::move(file)),
        cols_(cols) {
    if (text_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;  // a spreadsheet's UTF-8 mark
    std::vector<std::string> header;
    if (!next(header)) fail("empty file, expected the header '" + join(cols_) + "'");
    for (std::size_t i = 0; i < std::max(header.size(), cols_.size()); ++i) {
      if (i >= header.size()) {
        fail("column '" + cols_[i] + "': missing from the header (expected '" + join(cols_) + "')");
      }
      if (i >= cols_.size()) {
        fail("column " + std::to_string(i + 1) + ": unexpected header '" + header[i] +
             "' (expected '" + join(cols_) + "')");
      }
      if (header[i] != cols_[i]) {
        fail("column " + std::to_string(i + 1) + ": expected header '" + cols_[i] + "', got '" +
             header[i] + "' (expected '" + join(cols_) + "')");
      }
    }
  }

  /// The next data row, checked for its field count; false at the end of the file.
  bool row() {
    if (!next(fields_)) return false;
    if (fields_.size() < cols_.size()) {
      fail("column '" + cols_[fields_.size()] + "': missing (expected " +
           std::to_string(cols_.size()) + " fields, got " + std::to_string(fields_.size()) + ")");
    }
    if (fields_.size() > cols_.size()) {
      fail("column " + std::to_string(cols_.size() + 1) + ": unexpected extra field '" +
           fields_[cols_.size()] + "' (expected " + std::to_string(cols_.size()) + " fields)");
    }
    return true;
  }

  std::string text(std::size_t i) const {
    if (fields_[i].empty()) bad(i, "a non-empty text");
    return fields_[i];
  }

  std::string length(std::size_t i) const {
    try {
      (void)einsum::parse_length(fields_[i]);
    } catch (const std::invalid_argument&) {
      bad(i, "a length such as 1K, 64K, 1M or 4096");
    }
    return fields_[i];
  }

  double real(std::size_t i) const {
    const std::string& f = fields_[i];
    double v = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc{} || end != f.data() + f.size()) bad(i, "a number");
    return v;
  }

  template <typename Int>
  Int integer(std::size_t i, const char* what) const {
    const std::string& f = fields_[i];
    Int v = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc{} || end != f.data() + f.size()) bad(i, what);
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(file_ + ":" + std::to_string(record_line_) + ": " + what);
  }
  [[noreturn]] void bad(std::size_t i, const std::string& expected) const {
    fail("column '" + cols_[i] + "': expected " + expected + ", got '" + fields_[i] + "'");
  }

  // One record; a CR before a line end is dropped (files saved on Windows).
  bool next(std::vector<std::string>& out) {
    out.clear();
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    std::string cur;
    bool quoted = false;      // inside "..."
    bool was_quoted = false;  // the current field was a quoted one (text after it is an error)
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (quoted) {
        if (c == '"' && pos_ < text_.size() && text_[pos_] == '"') {
          cur += '"';
          ++pos_;
        } else if (c == '"') {
          quoted = false;
        } else {
          if (c == '\n') ++line_;
          cur += c;
        }
        continue;
      }
      if (c == '\n') {
        ++line_;
        break;
      }
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') continue;
      if (c == ',') {
        out.push_back(std::move(cur));
        cur.clear();
        was_quoted = false;
        continue;
      }
      if (was_quoted) {
        fail("column " + std::to_string(out.size() + 1) + ": text after a closing quote");
      }
      if (c == '"') {
        if (!cur.empty()) fail("column " + std::to_string(out.size() + 1) + ": stray '\"' in a field");
        quoted = was_quoted = true;
        continue;
      }
      cur += c;
    }
    if (quoted) fail("column " + std::to_string(out.size() + 1) + ": unterminated quoted field");
    out.push_back(std::move(cur));
    return true;
  }

  std::string text_;
  std::string file_;
  const Columns& cols_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int record_line_ = 1;
  std::vector<std::string> fields_;
};

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

template <typename Reader>
auto read_file(const fs::path& path, Reader reader) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open (missing file?)");
  return reader(in, path.string());
}

ExploreRun read_run_files(const fs::path& dir, const std::string& mode) {
  ExploreRun run;
  run.mode = mode;
  run.attention = read_file(dir / "attention.csv", read_design_csv);
  run.end2end = read_file(dir / "end2end.csv", read_design_csv);
  run.einsums = read_file(dir / "einsums.csv", read_einsum_csv);
  run.pareto = read_file(dir / "pareto.csv", read_pareto_csv);
  return run;
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
  CsvReader csv(in, file, kDesignColumns);
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
  CsvReader csv(in, file, kEinsumColumns);
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
  CsvReader csv(in, file, kParetoColumns);
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
  check_mode_name(result.primary.mode, "primary run");
  if (result.other) check_mode_name(result.other->mode, "other run");
  einsum::OutputFolder folder(dir);
  write_run_files(folder, "", result.primary);
  std::string mode_txt = "primary: " + result.primary.mode + "\n";
  if (result.other) {
    write_run_files(folder, result.other->mode + "/", *result.other);
    mode_txt += "other: " + result.other->mode + "\n";
  }
  folder.write_file("mode.txt", mode_txt);
  folder.write_file("report.html", render_report_html(result));
  // A folder with a mode.txt is an earlier explore or merge output: it is replaced whole
  // (no stale mode subfolder survives). Anything else non-empty is not ours to delete.
  std::error_code ec;
  const bool ours = fs::is_regular_file(fs::path(dir) / "mode.txt", ec);
  folder.commit(ours ? einsum::OutputFolder::Existing::replace : einsum::OutputFolder::Existing::refuse);
}

ExploreResult read_explore_dir(const std::string& dir) {
  const fs::path root(dir);
  const fs::path mode_path = root / "mode.txt";
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
  ExploreResult result;
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

}  // namespace einfuse::mapper
