// The fidelity study (explore/fidelity.hpp, docs/explore.md): at a tiny size it runs every
// part; every finished row charges each array's every cycle (busy + stalls = cycles); the
// ladder's first rung is the list-scheduled stream (mapper::simulate's makespan); deadlocks
// are rows, not exceptions; shards merge into the bytes of one run; the CSVs read back
// exactly and reject what a merge must not trust; the folder and the report carry the study.
// At the paper's sizes it runs under the ctest label `long` ([.long]: ctest -L long).
#include <catch2/catch.hpp>

#include "paper_fixture.hpp"
#include "temp_file.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/explore/explore_result.hpp"
#include "einfuse/explore/fidelity.hpp"
#include "einfuse/mapper/schedule.hpp"

using namespace einfuse;
using explore::fidelity::Row;
using explore::fidelity::Tables;

namespace {

namespace fs = std::filesystem;

// Every part at 1K on one batch element of two heads: small enough that every slice is
// simulated (no extrapolation), large enough for FuseMax's 4 x 4 tiles per slice.
explore::fidelity::Config tiny() {
  explore::fidelity::Config c;
  c.models = {"BERT"};
  c.seq_lens = {1 << 10};
  c.masking_seq_lens = {1 << 10};
  c.sensitivity_seq_lens = {1 << 10};
  c.batch = 1;
  c.heads = 2;
  return c;
}

const Tables& tiny_study() {
  static const Tables t = explore::fidelity::run_study(test::paper_context(), tiny());
  return t;
}

std::string csv_of(const std::vector<Row>& rows) {
  std::ostringstream s;
  explore::fidelity::write_csv(s, rows);
  return s.str();
}

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// Every row of every table: a finished run charges each array's every cycle; a deadlock has
// no cycles and says why. A layer extrapolated from 2 and 3 slices (sim/layer.hpp) holds it
// only within the extrapolation's error: a stall count that shrinks from 2 to 3 slices (the
// end of the run's fill/drain) is kept while the cycles are extrapolated, so the arrays
// charge up to (slices - 3) x that shrink more than the cycles (docs/sim-fidelity.md).
void check_rows(const Tables& t) {
  for (const std::vector<Row>* rows : {&t.ladder, &t.masking, &t.sensitivity})
    for (const Row& r : *rows) {
      INFO(r.design << " " << r.model << " " << r.seq_len << " " << r.setting << ": " << r.note);
      CHECK(r.cost_cycles > 0);
      // The two cost-model modes differ in energy only.
      CHECK(r.cost_published_cycles == r.cost_cycles);
      if (r.status == "ok") {
        CHECK(r.cycles > 0);
        if (r.note.find("extrapolated") == std::string::npos) {
          CHECK(r.sim_2d.total() == r.cycles);
          CHECK(r.sim_1d.total() == r.cycles);
        } else {
          for (const explore::fidelity::ArrayTime* a : {&r.sim_2d, &r.sim_1d}) {
            const double cycles = static_cast<double>(r.cycles);
            const double residue = (static_cast<double>(a->total()) - cycles) / cycles;
            if (a->total() != r.cycles)
              std::printf("%s %s %s %s: an array charges %+.3f%% of the extrapolated cycles\n", r.design.c_str(),
                          r.model.c_str(), r.seq_len.c_str(), r.setting.c_str(), 100 * residue);
            CHECK(std::abs(residue) < 0.01);
          }
        }
        CHECK(r.sim_2d.busy > 0);
        CHECK(r.sim_1d.busy > 0);
      } else {
        CHECK(r.status == "deadlock");
        CHECK(r.cycles == 0);
        CHECK(r.note.find("deadlock") != std::string::npos);
      }
    }
}

}  // namespace

TEST_CASE("the fidelity study runs every part at a tiny size", "[explore][fidelity]") {
  const Tables& t = tiny_study();
  const explore::fidelity::Config c = tiny();
  CHECK(t.ladder.size() + t.masking.size() + t.sensitivity.size() == explore::fidelity::study_items(c));
  CHECK(t.ladder.size() == 3 * 6);    // fusemax, arch, flat x four rungs and two siblings
  CHECK(t.masking.size() == 6 * 3);   // the rungs x real mask, uniform, dense
  CHECK(t.sensitivity.size() >= 20);  // banks, ports, prefetch, handoff, buffer, generous
  check_rows(t);
  // The rungs in the ladder's order, per design.
  CHECK(t.ladder[0].design == "fusemax");
  CHECK(t.ladder[0].setting == "list_schedule");
  CHECK(t.ladder[3].setting == "hbm2");
  CHECK(t.ladder[5].setting == "hbm2_pipelined");
  CHECK(t.ladder[6].design == "arch");
  CHECK(t.ladder[12].design == "flat");
  // A buffer a quarter of a megabyte cannot hold what FuseMax's stage needs: a result, not
  // an exception.
  bool deadlock = false;
  for (const Row& r : t.sensitivity) deadlock = deadlock || (r.setting == "buffer=256KiB" && r.status == "deadlock");
  CHECK(deadlock);
}

TEST_CASE("the ladder's first rung is the list-scheduled stream", "[explore][fidelity]") {
  auto& ctx = test::paper_context();
  const explore::fidelity::Config c = tiny();
  for (const Row& r : tiny_study().ladder) {
    if (r.setting != "list_schedule") continue;
    INFO(r.design);
    einsum::ModelSpec m = test::paper_model("BERT");
    m.batch = c.batch;
    m.heads = m.kv_heads = c.heads;
    const auto d = mapper::paper::attention_design(ctx, mapper::paper::parse_design(r.design), m, 1 << 10, false);
    const einsum::Cascade& cascade = ctx.cascade(d.cascade);
    const mapper::Workload w = mapper::make_workload(cascade, einsum::bind_shape(cascade, d.shape));
    const mapper::ScheduleTotals s = mapper::simulate(mapper::Schedule(w, d.arch, d.mapping));
    REQUIRE(r.status == "ok");
    CHECK(r.cycles == s.makespan_cycles);
    CHECK(r.sim_2d.busy == r.cost_busy_2d);  // the cost model's op timing: the same busy cycles
    CHECK(r.sim_1d.busy == r.cost_busy_1d);
    CHECK(r.cycles >= r.cost_cycles);  // fill and drain only add
  }
}

TEST_CASE("fidelity shards merge into the bytes of one run", "[explore][fidelity]") {
  const Tables& whole = tiny_study();
  std::vector<Tables> shards;
  for (std::size_t i = 0; i < 3; ++i)
    shards.push_back(explore::fidelity::run_study(test::paper_context(), tiny(), i, 3));
  CHECK(shards[0].ladder.size() < whole.ladder.size());
  // Given in any order, the shards merge into the unsharded tables.
  const Tables merged = explore::fidelity::merge({shards[2], shards[0], shards[1]});
  CHECK(merged == whole);
  CHECK(csv_of(merged.ladder) == csv_of(whole.ladder));
  CHECK(explore::fidelity::render_markdown(merged) == explore::fidelity::render_markdown(whole));
  const std::string dup = error_of([&] { explore::fidelity::merge({shards[0], shards[1], shards[0]}); });
  CHECK(dup.find("merge: duplicate fidelity.csv row for design 'fusemax'") != std::string::npos);
}

TEST_CASE("fidelity CSVs read back exactly and reject what a merge must not trust", "[explore][fidelity]") {
  const Tables& t = tiny_study();
  for (const std::vector<Row>* rows : {&t.ladder, &t.masking, &t.sensitivity}) {
    std::istringstream in(csv_of(*rows));
    CHECK(explore::fidelity::read_csv(in, "f.csv") == *rows);
  }
  std::vector<Row> one = {t.ladder.front()};
  one[0].status = "maybe";
  std::istringstream status(csv_of(one));
  CHECK(error_of([&] { explore::fidelity::read_csv(status, "f.csv"); }) ==
        "f.csv:2: column 'status': expected ok or deadlock, got 'maybe'");
  std::istringstream header("design,model\n");
  CHECK(error_of([&] { explore::fidelity::read_csv(header, "f.csv"); }).find("f.csv:1: column 'seq_len': missing") !=
        std::string::npos);
}

TEST_CASE("an explore folder with only the study round-trips and its report draws the study", "[explore][fidelity]") {
  const einfuse::test::TempFile tmp("", "unused");
  const fs::path dir = fs::path(tmp.dir()) / "study";
  explore::ExploreResult r;
  r.fidelity = tiny_study();
  explore::write_explore_dir(dir.string(), r);
  for (const char* f : {"fidelity.csv", "masking.csv", "sensitivity.csv", "fidelity.md", "report.html"}) {
    INFO(f);
    CHECK(fs::exists(dir / f));
  }
  CHECK_FALSE(fs::exists(dir / "mode.txt"));
  const explore::ExploreResult back = explore::read_explore_dir(dir.string());
  CHECK_FALSE(back.has_runs());
  REQUIRE(back.fidelity);
  CHECK(*back.fidelity == tiny_study());
  // An earlier study folder is ours to replace.
  explore::write_explore_dir(dir.string(), back);

  const std::string html = explore::render_report_html(r);
  CHECK(html.find("<h2 id=\"fidelity\">") != std::string::npos);
  for (const char* id : {"fidelity-cycles", "fidelity-gaps", "fidelity-flat", "fidelity-masking", "fidelity-sensitivity",
                         "fidelity-deadlocks"}) {
    INFO(id);
    CHECK(html.find("<h3 id=\"" + std::string(id) + "\">") != std::string::npos);
  }
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("id=\"headline\"") == std::string::npos);  // no preset ran
  CHECK(html.find("<a href=\"fidelity.csv\">") != std::string::npos);
  CHECK(explore::render_report_html(r) == html);  // deterministic
  const std::string md = explore::fidelity::render_markdown(tiny_study());
  CHECK(md.find("| fusemax | BERT | 1K | closed form -> list_schedule |") != std::string::npos);
}

// The study at the paper's sizes (BERT and XLM at 1K, 4K, 16K and 64K, masking and sensitivity
// at 1K and 4K): about four minutes on one core. Prints the summary.
TEST_CASE("the fidelity study at the paper's sizes", "[.long][explore][fidelity]") {
  const auto start = std::chrono::steady_clock::now();
  const Tables t = explore::fidelity::run_study(test::paper_context(), explore::fidelity::Config{});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  check_rows(t);
  for (const Row& r : t.ladder)
    if (r.setting == "list_schedule") {
      INFO(r.design << " " << r.model << " " << r.seq_len);
      CHECK(r.ratio() >= 1.0);
      CHECK(r.ratio() < 1.1);  // the list-scheduled stream: fill and drain only
    }
  std::printf("%s\nfidelity study at the paper's sizes: %.1f s\n", explore::fidelity::render_markdown(t).c_str(), seconds);
}
