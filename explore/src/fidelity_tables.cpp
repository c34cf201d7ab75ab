// The fidelity study's rows (fidelity_rows.hpp): derived numbers, the CSV form (the dialect is
// csv.hpp's), the one order the tables are kept in, and the shard merge.
#include <algorithm>
#include <numeric>
#include <ostream>
#include <set>
#include <stdexcept>
#include <tuple>

#include "csv.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/explore/fidelity_rows.hpp"
#include "fidelity_settings.hpp"

namespace einfuse::explore::fidelity {
namespace {

double share(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

csv::Columns make_columns() {
  csv::Columns c = {"design",       "model",        "seq_len",      "setting",
                    "status",       "cycles",       "ratio",        "util_2d",
                    "util_1d",      "cost_cycles",  "cost_published_cycles", "cost_dram_cycles",
                    "cost_busy_2d", "cost_busy_1d", "cost_util_2d", "cost_util_1d"};
  for (const char* array : {"2d", "1d"}) {
    c.push_back(std::string("busy_") + array);
    for (const char* cause : kCauseNames) c.push_back(std::string(cause) + "_" + array);
  }
  c.push_back("dram_bytes");
  c.push_back("note");
  return c;
}

const csv::Columns& csv_columns() {
  static const csv::Columns c = make_columns();
  return c;
}

// The position of a name in a known list, the unknown ones after it.
std::size_t rank_in(const std::vector<std::string>& known, const std::string& name) {
  return static_cast<std::size_t>(std::find(known.begin(), known.end(), name) - known.begin());
}

using Key = std::tuple<std::size_t, std::string, std::size_t, std::string, std::int64_t, std::size_t, std::string>;

Key key_of(const Row& r) {
  static const std::vector<std::string> designs = {"fusemax", "arch", "flat"};
  static const std::vector<std::string> models = {"BERT", "TrXL", "T5", "XLM"};
  return {rank_in(designs, r.design), r.design,  rank_in(models, r.model), r.model, einsum::parse_length(r.seq_len),
          detail::setting_rank(r.setting), r.setting};
}

std::string describe(const Row& r) {
  return "design '" + r.design + "', model '" + r.model + "', seq_len '" + r.seq_len + "', setting '" + r.setting + "'";
}

}  // namespace

std::uint64_t ArrayTime::total() const { return std::accumulate(stalls.begin(), stalls.end(), busy); }

double Row::ratio() const { return share(cycles, cost_cycles); }
double Row::util_2d() const { return share(sim_2d.busy, cycles); }
double Row::util_1d() const { return share(sim_1d.busy, cycles); }
double Row::cost_util_2d() const { return share(cost_busy_2d, cost_cycles); }
double Row::cost_util_1d() const { return share(cost_busy_1d, cost_cycles); }

void write_csv(std::ostream& out, const std::vector<Row>& rows) {
  csv::write_line(out, csv_columns());
  for (const Row& r : rows) {
    std::vector<std::string> f = {csv::field(r.design),
                                  csv::field(r.model),
                                  csv::field(r.seq_len),
                                  csv::field(r.setting),
                                  csv::field(r.status),
                                  std::to_string(r.cycles),
                                  csv::number(r.ratio()),
                                  csv::number(r.util_2d()),
                                  csv::number(r.util_1d()),
                                  std::to_string(r.cost_cycles),
                                  std::to_string(r.cost_published_cycles),
                                  std::to_string(r.cost_dram_cycles),
                                  std::to_string(r.cost_busy_2d),
                                  std::to_string(r.cost_busy_1d),
                                  csv::number(r.cost_util_2d()),
                                  csv::number(r.cost_util_1d())};
    for (const ArrayTime* t : {&r.sim_2d, &r.sim_1d}) {
      f.push_back(std::to_string(t->busy));
      for (std::uint64_t s : t->stalls) f.push_back(std::to_string(s));
    }
    f.push_back(std::to_string(r.dram_bytes));
    f.push_back(csv::field(r.note));
    csv::write_line(out, f);
  }
}

std::vector<Row> read_csv(std::istream& in, const std::string& file) {
  csv::Reader csv(in, file, csv_columns());
  std::vector<Row> rows;
  while (csv.row()) {
    Row r;
    r.design = csv.text(0);
    r.model = csv.text(1);
    r.seq_len = csv.length(2);
    r.setting = csv.text(3);
    r.status = csv.text(4);
    const char* count = "a non-negative integer";
    r.cycles = csv.integer<std::uint64_t>(5, count);
    for (std::size_t i : {6, 7, 8, 14, 15}) (void)csv.real(i);  // derived: recomputed from the counts
    r.cost_cycles = csv.integer<std::uint64_t>(9, count);
    r.cost_published_cycles = csv.integer<std::uint64_t>(10, count);
    r.cost_dram_cycles = csv.integer<std::uint64_t>(11, count);
    r.cost_busy_2d = csv.integer<std::uint64_t>(12, count);
    r.cost_busy_1d = csv.integer<std::uint64_t>(13, count);
    std::size_t i = 16;
    for (ArrayTime* t : {&r.sim_2d, &r.sim_1d}) {
      t->busy = csv.integer<std::uint64_t>(i++, count);
      for (std::uint64_t& s : t->stalls) s = csv.integer<std::uint64_t>(i++, count);
    }
    r.dram_bytes = csv.integer<std::uint64_t>(i++, count);
    r.note = csv.raw(i);
    if (r.status != "ok" && r.status != "deadlock") csv.fail("column 'status': expected ok or deadlock, got '" + r.status + "'");
    rows.push_back(std::move(r));
  }
  return rows;
}

void sort_rows(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return key_of(a) < key_of(b); });
}

void sort_tables(Tables& t) {
  for (std::vector<Row>* rows : {&t.ladder, &t.masking, &t.sensitivity}) sort_rows(*rows);
}

Tables merge(const std::vector<Tables>& shards) {
  Tables out;
  for (const auto& [name, table] : {std::pair{"fidelity.csv", &Tables::ladder}, std::pair{"masking.csv", &Tables::masking},
                                    std::pair{"sensitivity.csv", &Tables::sensitivity}}) {
    std::set<Key> seen;
    for (const Tables& s : shards)
      for (const Row& r : s.*table) {
        if (!seen.insert(key_of(r)).second)
          throw std::runtime_error(std::string("merge: duplicate ") + name + " row for " + describe(r));
        (out.*table).push_back(r);
      }
  }
  sort_tables(out);
  return out;
}

}  // namespace einfuse::explore::fidelity
