// einfuse explore and einfuse merge run as a user runs them: the files they write, the
// summary, the exit codes, and scripts/sweep_parallel.sh giving the same bytes as one run.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "run_command.hpp"
#include "temp_file.hpp"

namespace {

namespace fs = std::filesystem;
using einfuse::test::CommandResult;

CommandResult cli(const std::string& args) { return einfuse::test::run_einfuse(args); }

std::string slurp(const fs::path& p) { return einfuse::test::read_file(p.string()); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("einfuse explore writes both modes and prints the worked example beside the paper's", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const fs::path out = fs::path(tmp.dir()) / "run";
  // One model, one length: the paper's worked example (BERT at 1K) and its Fig. 12 sweep.
  const CommandResult r = cli("explore --preset fusemax-paper --models BERT --seq 1K --quiet --out " + out.string());
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const char* f : {"attention.csv", "end2end.csv", "einsums.csv", "pareto.csv", "report.html", "mode.txt",
                        "published/attention.csv", "published/pareto.csv"}) {
    CHECK(fs::exists(out / f));
  }
  CHECK(slurp(out / "mode.txt") == "primary: corrected\nother: published\n");
  // Five designs at one point; the summary's BERT 1K line must carry the paper's 1,892,352
  // cycles (fusemax.md's worked example) for the published number and for ours.
  std::istringstream csv(slurp(out / "attention.csv"));
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  CHECK(rows == 1 + 5);
  CHECK(contains(r.out, "BERT 1K fusemax latency (cycles)              1,892,352            1,892,352            1,892,352"));
  CHECK(contains(r.out, "402,653,184"));
  CHECK(contains(r.out, (out / "report.html").string()));
  CHECK_FALSE(contains(r.out, "explore: "));  // --quiet: no progress

  const fs::path pub = fs::path(tmp.dir()) / "pub";
  const CommandResult p = cli("explore --preset fusemax-paper --models BERT --seq 1K --published-model --out " +
                                  pub.string());
  REQUIRE(p.code == 0);
  CHECK(slurp(pub / "mode.txt") == "primary: published\nother: corrected\n");
  // The primary of one is the other of the other: same rows, swapped folders.
  CHECK(slurp(pub / "attention.csv") == slurp(out / "published/attention.csv"));
  // Not a terminal here: progress is a line per ~10%, ending with the total (5 designs +
  // 6 array sizes, in each of the two modes).
  CHECK(contains(p.out, "explore: 22/22 points"));
}

TEST_CASE("einfuse explore rejects an unknown preset, a bad shard and an unknown length with exit 2", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const CommandResult preset = cli("explore --preset fusemax --out " + tmp.dir() + "/x");
  CHECK(preset.code == 2);
  CHECK(contains(preset.out, "unknown preset 'fusemax'; presets: fusemax-paper"));
  for (const char* shard : {"3/3", "1", "a/2", "0/0", "-1/2"}) {
    INFO(shard);
    const CommandResult r = cli("explore --preset fusemax-paper --shard " + std::string(shard) + " --out " + tmp.dir() + "/x");
    CHECK(r.code == 2);
    CHECK(contains(r.out, "--shard"));
  }
  // The paper has no FLAT dataflow at 3K: said before any point runs.
  const CommandResult seq = cli("explore --preset fusemax-paper --models BERT --seq 3K --out " + tmp.dir() + "/x");
  CHECK(seq.code == 2);
  CHECK(contains(seq.out, "no FLAT dataflow for BERT at 3K"));
  CHECK_FALSE(fs::exists(fs::path(tmp.dir()) / "x"));
}

TEST_CASE("einfuse merge of shards equals one run and reports bad shards with exit 1", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const fs::path dir(tmp.dir());
  const std::string grid = "explore --preset fusemax-paper --models BERT,XLM --seq 1K,4K --quiet ";
  REQUIRE(cli(grid + "--out " + (dir / "whole").string()).code == 0);
  std::string shards;
  for (int i = 0; i < 4; ++i) {
    const fs::path s = dir / ("shard-" + std::to_string(i));
    REQUIRE(cli(grid + "--shard " + std::to_string(i) + "/4 --out " + s.string()).code == 0);
    shards += ' ';
    shards += s.string();
  }
  const CommandResult m = cli("merge --out " + (dir / "merged").string() + shards);
  INFO(m.out);
  REQUIRE(m.code == 0);
  for (const char* f : {"attention.csv", "end2end.csv", "einsums.csv", "pareto.csv", "published/attention.csv",
                        "published/einsums.csv", "mode.txt", "report.html"}) {
    INFO(f);
    CHECK(slurp(dir / "merged" / f) == slurp(dir / "whole" / f));
  }

  const CommandResult dup = cli("merge --out " + (dir / "dup").string() + shards + " " + (dir / "shard-0").string());
  CHECK(dup.code == 1);
  CHECK(contains(dup.out, "duplicate"));
  const CommandResult missing = cli("merge --out " + (dir / "m2").string() + " " + (dir / "nope").string());
  CHECK(missing.code == 1);
  CHECK(contains(missing.out, "nope' is not a folder"));
  // A shard of the other primary mode.
  REQUIRE(cli(grid + "--published-model --shard 0/4 --out " + (dir / "pub-0").string()).code == 0);
  const CommandResult mode = cli("merge --out " + (dir / "m3").string() + " " + (dir / "pub-0").string() + " " +
                                     (dir / "shard-1").string());
  CHECK(mode.code == 1);
  CHECK(contains(mode.out, "mode"));
  CHECK_FALSE(fs::exists(dir / "m3" / "attention.csv"));
}

TEST_CASE("scripts/sweep_parallel.sh with 3 shards gives the bytes of one run", "[cli]") {
  if (std::system("command -v parallel >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: GNU parallel is not on PATH (apt-get install parallel, or scripts/setup.sh)");
    return;
  }
  const einfuse::test::TempFile tmp("", "unused");
  const fs::path dir(tmp.dir());
  REQUIRE(cli("explore --preset fusemax-paper --quiet --out " + (dir / "whole").string()).code == 0);
  const CommandResult r = einfuse::test::run_command("EINFUSE=" + std::string(EINFUSE_CLI) + " " +
                                                     std::string(EINFUSE_SOURCE_DIR) + "/scripts/sweep_parallel.sh 3 " +
                                                     (dir / "sweep").string());
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "merged 3 shards"));
  const std::string whole = slurp(dir / "whole" / "attention.csv");
  CHECK(whole.size() > 1000);
  CHECK(slurp(dir / "sweep" / "merged" / "attention.csv") == whole);
}

TEST_CASE("einfuse explore --study: a bad study or a missing one is exit 2 with the known names", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string out = " --out " + tmp.dir() + "/x";
  const CommandResult study = cli("explore --study fidelty" + out);
  CHECK(study.code == 2);
  CHECK(contains(study.out, "unknown study 'fidelty'; studies: fidelity"));
  const CommandResult none = cli("explore" + out);
  CHECK(none.code == 2);
  CHECK(contains(none.out, "give one of --preset (fusemax-paper) or --study (fidelity)"));
  const CommandResult both = cli("explore --preset fusemax-paper --study fidelity" + out);
  CHECK(both.code == 2);
  const CommandResult published = cli("explore --study fidelity --published-model" + out);
  CHECK(published.code == 2);
  CHECK(contains(published.out, "--published-model applies to --preset"));
  CHECK_FALSE(fs::exists(fs::path(tmp.dir()) / "x"));
}

TEST_CASE("einfuse merge of fidelity shards equals one run, and merges beside a preset", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const fs::path dir(tmp.dir());
  // One model at 1K: the ladder, masking and sensitivity at that length (about a second).
  const std::string study = "explore --study fidelity --models BERT --seq 1K --quiet ";
  const CommandResult whole = cli(study + "--out " + (dir / "whole").string());
  INFO(whole.out);
  REQUIRE(whole.code == 0);
  CHECK(contains(whole.out, "fusemax  BERT   1K         1,892,352"));  // the closed form of the paper's worked example
  std::string shards;
  for (int i = 0; i < 3; ++i) {
    const fs::path s = dir / ("shard-" + std::to_string(i));
    REQUIRE(cli(study + "--shard " + std::to_string(i) + "/3 --out " + s.string()).code == 0);
    shards += ' ';
    shards += s.string();
  }
  const CommandResult m = cli("merge --out " + (dir / "merged").string() + shards);
  INFO(m.out);
  REQUIRE(m.code == 0);
  CHECK(contains(m.out, "fidelity study: 18 ladder, 18 masking"));
  for (const char* f : {"fidelity.csv", "masking.csv", "sensitivity.csv", "fidelity.md", "report.html"}) {
    INFO(f);
    CHECK(slurp(dir / "merged" / f) == slurp(dir / "whole" / f));
  }
  CHECK_FALSE(fs::exists(dir / "merged" / "mode.txt"));

  // A preset's folder and a study's merge into one folder whose report has both.
  REQUIRE(cli("explore --preset fusemax-paper --models BERT --seq 1K --quiet --out " + (dir / "paper").string()).code == 0);
  const CommandResult both = cli("merge --out " + (dir / "both").string() + " " + (dir / "paper").string() + " " +
                                 (dir / "whole").string());
  INFO(both.out);
  REQUIRE(both.code == 0);
  CHECK(slurp(dir / "both" / "attention.csv") == slurp(dir / "paper" / "attention.csv"));
  CHECK(slurp(dir / "both" / "fidelity.csv") == slurp(dir / "whole" / "fidelity.csv"));
  const std::string html = slurp(dir / "both" / "report.html");
  CHECK(contains(html, "<h2 id=\"headline\">"));
  CHECK(contains(html, "<h2 id=\"fidelity\">"));
}
