// Exploration results (explore_result.hpp, docs/explore.md): the CSVs read back bit for
// bit, malformed CSVs are rejected naming file:line and column, merge orders and
// de-duplicates shards, the output folder round-trips, and the HTML report computes its
// headline numbers from the rows, draws every figure, escapes text and is deterministic.
#include <catch2/catch.hpp>

#include "temp_file.hpp"

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/explore/explore_result.hpp"

using namespace einfuse::explore;

namespace {

namespace fs = std::filesystem;

const std::string kDesignHeader =
    "model,seq_len,design,latency_s,energy_pj,traffic_bytes,util_2d,util_1d\n";
const std::string kEinsumHeader = "model,seq_len,design,einsum,array,cycles\n";
const std::string kParetoHeader = "model,pe_dim,latency_s,area_um2\n";

DesignRow drow(std::string model, std::string seq, std::string design, double latency,
               double energy = 1, std::uint64_t traffic = 0, double u2 = 0, double u1 = 0) {
  return {std::move(model), std::move(seq), std::move(design), latency, energy, traffic, u2, u1};
}

// The message of the std::runtime_error `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

std::string design_error(const std::string& text) {
  return error_of([&] {
    std::istringstream in(text);
    read_design_csv(in, "f.csv");
  });
}

bool bit_equal(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

ExploreRun sample_run(const std::string& mode) {
  ExploreRun r;
  r.mode = mode;
  r.attention = {drow("BERT", "1K", "flat", 0.1, 1.0 / 3, 402653184, 0.125, 1),
                 drow("BERT", "1K", "fusemax", 2.0131e-3, 5e-324, 0, 0.88962765957446810, 0.9999999999999999),
                 drow("odd, \"name\"", "1M", "x", -0.0, 1e300, std::numeric_limits<std::uint64_t>::max(), 1e-17, 3)};
  r.end2end = {drow("T5", "64K", "unfused", 12345.678901234567, 6.02214076e23, 7, 0.5, 0.25)};
  r.einsums = {{"BERT", "1K", "fusemax", "QK", "2d", 12288}, {"BERT", "1K", "fusemax", "RM", "1d", 3}};
  r.pareto = {{"BERT", 16, 1.25e-1, 3.3e5}, {"BERT", 512, 7.0000000000000007e-4, 4.8e9}};
  return r;
}

}  // namespace

TEST_CASE("explore CSVs have the documented headers", "[explore]") {
  std::ostringstream d, e, p;
  write_design_csv(d, {});
  write_einsum_csv(e, {});
  write_pareto_csv(p, {});
  CHECK(d.str() == kDesignHeader);
  CHECK(e.str() == kEinsumHeader);
  CHECK(p.str() == kParetoHeader);
}

TEST_CASE("explore CSVs round-trip exactly", "[explore]") {
  const ExploreRun run = sample_run("corrected");
  std::stringstream d, e, p;
  write_design_csv(d, run.attention);
  write_einsum_csv(e, run.einsums);
  write_pareto_csv(p, run.pareto);
  CHECK(d.str().find("0.10000000000000001") != std::string::npos);  // 17 significant digits
  CHECK(d.str().find("\"odd, \"\"name\"\"\"") != std::string::npos);  // quoted free text
  const auto design = read_design_csv(d, "a.csv");
  const auto einsums = read_einsum_csv(e, "e.csv");
  const auto pareto = read_pareto_csv(p, "p.csv");
  REQUIRE(design == run.attention);
  CHECK(einsums == run.einsums);
  REQUIRE(pareto == run.pareto);
  for (std::size_t i = 0; i < design.size(); ++i) {
    CHECK(bit_equal(design[i].latency_s, run.attention[i].latency_s));  // -0.0 stays -0.0
    CHECK(bit_equal(design[i].energy_pj, run.attention[i].energy_pj));
    CHECK(bit_equal(design[i].util_2d, run.attention[i].util_2d));
    CHECK(bit_equal(design[i].util_1d, run.attention[i].util_1d));
  }
  CHECK(bit_equal(pareto[1].latency_s, run.pareto[1].latency_s));
}

TEST_CASE("explore CSV readers accept CRLF and quoted newlines", "[explore]") {
  std::istringstream crlf("model,pe_dim,latency_s,area_um2\r\nBERT,16,1,2\r\n");
  CHECK(read_pareto_csv(crlf, "p.csv") == std::vector<ParetoRow>{{"BERT", 16, 1, 2}});
  // A quoted newline spans two lines: the fault on the next record is on line 4.
  const std::string text = kDesignHeader + "\"two\nlines\",1K,flat,1,1,1,0,0\nBERT,1K,flat,bad,1,1,0,0\n";
  CHECK(design_error(text) == "f.csv:4: column 'latency_s': expected a number, got 'bad'");
}

TEST_CASE("malformed explore CSVs name file, line and column", "[explore]") {
  const std::string good = "BERT,1K,flat,1,2,3,0.5,0.5\n";
  SECTION("header") {
    CHECK(design_error("") ==
          "f.csv:1: empty file, expected the header "
          "'model,seq_len,design,latency_s,energy_pj,traffic_bytes,util_2d,util_1d'");
    CHECK(design_error(einfuse::test::replace(kDesignHeader, "design", "desgn") + good)
              .rfind("f.csv:1: column 3: expected header 'design', got 'desgn'", 0) == 0);
    CHECK(design_error(einfuse::test::replace(kDesignHeader, ",util_1d", "") + good)
              .rfind("f.csv:1: column 'util_1d': missing from the header", 0) == 0);
    CHECK(design_error(einfuse::test::replace(kDesignHeader, "util_1d", "util_1d,x") + good)
              .rfind("f.csv:1: column 9: unexpected header 'x'", 0) == 0);
  }
  SECTION("field count") {
    CHECK(design_error(kDesignHeader + good + "BERT,4K,flat,1,2,3,0.5\n") ==
          "f.csv:3: column 'util_1d': missing (expected 8 fields, got 7)");
    CHECK(design_error(kDesignHeader + "BERT,4K,flat,1,2,3,0.5,0.5,9\n") ==
          "f.csv:2: column 9: unexpected extra field '9' (expected 8 fields)");
    CHECK(design_error(kDesignHeader + "\n" + good) ==
          "f.csv:2: column 'seq_len': missing (expected 8 fields, got 1)");
  }
  SECTION("numbers and texts") {
    CHECK(design_error(kDesignHeader + good + "BERT,1K,flat,abc,2,3,0.5,0.5\n") ==
          "f.csv:3: column 'latency_s': expected a number, got 'abc'");
    CHECK(design_error(kDesignHeader + "BERT,1K,flat,1.5x,2,3,0.5,0.5\n") ==
          "f.csv:2: column 'latency_s': expected a number, got '1.5x'");
    CHECK(design_error(kDesignHeader + "BERT,1K,flat,1,,3,0.5,0.5\n") ==
          "f.csv:2: column 'energy_pj': expected a number, got ''");
    CHECK(design_error(kDesignHeader + "BERT,1K,flat,1,2,-1,0.5,0.5\n") ==
          "f.csv:2: column 'traffic_bytes': expected a non-negative integer, got '-1'");
    CHECK(design_error(kDesignHeader + "BERT,1K,flat,1,2,3, 0.5,0.5\n") ==
          "f.csv:2: column 'util_2d': expected a number, got ' 0.5'");
    CHECK(design_error(kDesignHeader + "BERT,abc,flat,1,2,3,0.5,0.5\n") ==
          "f.csv:2: column 'seq_len': expected a length such as 1K, 64K, 1M or 4096, got 'abc'");
    CHECK(design_error(kDesignHeader + ",1K,flat,1,2,3,0.5,0.5\n") ==
          "f.csv:2: column 'model': expected a non-empty text, got ''");
    CHECK(design_error(kDesignHeader + "\"BERT,1K,flat,1,2,3,0.5,0.5\n") ==
          "f.csv:2: column 1: unterminated quoted field");
  }
  SECTION("einsum and pareto files") {
    std::istringstream e(kEinsumHeader + "BERT,1K,fusemax,QK,2d,1.5\n");
    CHECK(error_of([&] { read_einsum_csv(e, "e.csv"); }) ==
          "e.csv:2: column 'cycles': expected a non-negative integer, got '1.5'");
    std::istringstream p(kParetoHeader + "BERT,16,1,2\nBERT,x,1,2\n");
    CHECK(error_of([&] { read_pareto_csv(p, "p.csv"); }) ==
          "p.csv:3: column 'pe_dim': expected an integer, got 'x'");
  }
}

TEST_CASE("merge_runs orders rows stably and rejects duplicates", "[explore]") {
  ExploreRun a, b;
  a.mode = b.mode = "corrected";
  a.attention = {drow("T5", "4K", "flat", 1), drow("BERT", "64K", "fusemax", 2)};
  b.attention = {drow("BERT", "1M", "flat", 3), drow("BERT", "1K", "fusemax", 4),
                 drow("T5", "2048", "fusemax", 5), drow("BERT", "1K", "flat", 6)};
  a.einsums = {{"BERT", "4K", "fusemax", "SLN", "2d", 1}, {"BERT", "4K", "fusemax", "QK", "2d", 2}};
  b.einsums = {{"BERT", "1K", "fusemax", "SLN", "2d", 3}};
  a.pareto = {{"BERT", 512, 1, 1}, {"T5", 16, 1, 1}};
  b.pareto = {{"BERT", 16, 1, 1}};
  const ExploreRun m = merge_runs({a, b});
  CHECK(m.mode == "corrected");
  std::vector<std::string> order;
  for (const DesignRow& r : m.attention) order.push_back(r.model + " " + r.seq_len + " " + r.design);
  // Models and designs by first appearance (T5 then BERT; flat then fusemax), lengths by value.
  CHECK(order == std::vector<std::string>{"T5 2048 fusemax", "T5 4K flat", "BERT 1K flat",
                                          "BERT 1K fusemax", "BERT 64K fusemax", "BERT 1M flat"});
  REQUIRE(m.einsums.size() == 3);
  CHECK(m.einsums[0].seq_len == "1K");
  CHECK(m.einsums[1].einsum == "SLN");  // the cascade's order inside one point is kept
  CHECK(m.einsums[2].einsum == "QK");
  REQUIRE(m.pareto.size() == 3);
  CHECK(m.pareto[0].model == "T5");
  CHECK(m.pareto[1].pe_dim == 16);
  CHECK(m.pareto[2].pe_dim == 512);
  CHECK(merge_runs({}).attention.empty());

  SECTION("duplicates name their key") {
    ExploreRun c = b;
    CHECK(error_of([&] { merge_runs({a, b, c}); }) ==
          "merge: duplicate attention row for model 'BERT', seq_len '1M', design 'flat'");
    c = ExploreRun{};
    c.mode = "corrected";
    c.end2end = {drow("BERT", "1K", "flat", 1), drow("BERT", "1024", "flat", 1)};  // same length
    CHECK(error_of([&] { merge_runs({c}); }) ==
          "merge: duplicate end2end row for model 'BERT', seq_len '1024', design 'flat'");
    c.end2end.clear();
    c.einsums = {{"BERT", "1K", "fusemax", "QK", "2d", 1}};
    CHECK(error_of([&] { merge_runs({c, c}); }) ==
          "merge: duplicate einsums row for model 'BERT', seq_len '1K', design 'fusemax', "
          "einsum 'QK', array '2d'");
    CHECK(error_of([&] { merge_runs({a, a}); }).find("merge: duplicate") == 0);
    c.einsums.clear();
    c.pareto = {{"BERT", 256, 1, 1}, {"BERT", 256, 2, 2}};
    CHECK(error_of([&] { merge_runs({c}); }) == "merge: duplicate pareto row for model 'BERT', pe_dim 256");
  }
  SECTION("mismatched modes and bad lengths") {
    ExploreRun c;
    c.mode = "published";
    CHECK(error_of([&] { merge_runs({a, c}); }) ==
          "merge: shard 2 has mode 'published' but shard 1 has 'corrected'");
    c.mode = "corrected";
    c.attention = {drow("BERT", "long", "flat", 1)};
    CHECK(error_of([&] { merge_runs({c}); }).find("seq_len 'long' is not a length") != std::string::npos);
  }
}

TEST_CASE("write_explore_dir and read_explore_dir round-trip", "[explore]") {
  einfuse::test::TempFile tmp("", "unused.txt");
  const std::string dir = tmp.dir() + "/out/nested";  // created by the writer
  ExploreResult result;
  result.preset = "fusemax-paper";
  result.primary = sample_run("corrected");
  result.other = sample_run("published");
  result.other->pareto.clear();
  write_explore_dir(dir, result);

  for (const char* f : {"attention.csv", "end2end.csv", "einsums.csv", "pareto.csv", "report.html",
                        "mode.txt", "published/attention.csv", "published/pareto.csv"}) {
    CHECK(fs::is_regular_file(fs::path(dir) / f));
  }
  for (const auto& entry : fs::recursive_directory_iterator(tmp.dir())) {
    CHECK(entry.path().extension() != ".tmp");
  }
  std::ifstream mode_txt(fs::path(dir) / "mode.txt");
  std::stringstream mode_text;
  mode_text << mode_txt.rdbuf();
  CHECK(mode_text.str() == "primary: corrected\nother: published\n");

  const ExploreResult back = read_explore_dir(dir);
  CHECK(back.primary.mode == "corrected");
  CHECK(back.primary.attention == result.primary.attention);
  CHECK(back.primary.end2end == result.primary.end2end);
  CHECK(back.primary.einsums == result.primary.einsums);
  CHECK(back.primary.pareto == result.primary.pareto);
  REQUIRE(back.other.has_value());
  CHECK(back.other->mode == "published");
  CHECK(back.other->attention == result.other->attention);
  CHECK(back.other->pareto.empty());
  CHECK(back.preset.empty());  // not stored: the caller fills it

  // Rewritten without the other mode, the folder is replaced whole: no stale subfolder.
  result.other.reset();
  write_explore_dir(dir, result);
  CHECK_FALSE(read_explore_dir(dir).other.has_value());
  CHECK_FALSE(fs::exists(fs::path(dir) / "published"));
  // A non-empty folder that is not an explore output is not ours to replace.
  const std::string other_dir = tmp.dir() + "/not-explore";
  fs::create_directories(other_dir);
  std::ofstream(other_dir + "/notes.txt") << "mine\n";
  CHECK(error_of([&] { write_explore_dir(other_dir, result); }).find("it exists and is not an empty folder") !=
        std::string::npos);
  CHECK(einfuse::test::read_file(other_dir + "/notes.txt") == "mine\n");

  CHECK(error_of([&] { read_explore_dir(tmp.dir()); }).find("mode.txt: cannot open") != std::string::npos);
  result.primary.mode = "../x";
  CHECK(error_of([&] { write_explore_dir(dir, result); }).find("mode name '../x'") != std::string::npos);
}

namespace {

ExploreResult report_result() {
  ExploreResult r;
  r.preset = "tiny";
  r.primary.mode = "published";
  // Speedups of fusemax over flat: 2 at 1K, 8/2 = 4 at 4K -> mean 3.00x.
  // Energy shares: 50/100 and 80/100 -> mean 65.0%.
  r.primary.attention = {
      drow("BERT", "1K", "unfused", 8, 400, 9, 0.1, 0.2),
      drow("BERT", "1K", "flat", 2 * 2.0131e-3, 100, 9, 0.125, 1),
      drow("BERT", "1K", "fusemax", 2.0131e-3, 50, 402653184, 0.8896, 1),
      drow("BERT", "4K", "unfused", 32, 800, 9, 0.1, 0.2),
      drow("BERT", "4K", "flat", 8, 100, 9, 0.125, 1),
      drow("BERT", "4K", "fusemax", 2, 80, 9, 0.99, 1)};
  r.primary.end2end = r.primary.attention;
  r.primary.einsums = {{"BERT", "1K", "fusemax", "QK", "2d", 30}, {"BERT", "1K", "fusemax", "SLN", "2d", 70},
                       {"BERT", "1K", "fusemax", "RM", "1d", 5}};
  r.primary.pareto = {{"BERT", 256, 2e-3, 1.2e9}, {"BERT", 16, 1.0, 5e6}};
  r.other = r.primary;
  r.other->mode = "corrected";
  r.other->attention[1].latency_s = 4 * 2.0131e-3;  // speedup 4 at 1K: mean 4.00x there
  r.published = {{"mean attention speedup fusemax/flat", 6.7, "x", "paper"},
                 {"mean attention energy fusemax/flat", 79, "%", "paper"},
                 {"BERT 1K fusemax 2D utilisation", 0.8896, "", "paper"},
                 {"BERT 1K fusemax latency", 2.0131, "ms", "paper"},
                 {"BERT 1K fusemax traffic", 402653184, "bytes", "paper"},
                 {"something we do not compute", 1, "x", "paper"}};
  return r;
}

// The text of the section whose <h2> has `id`, up to the next <h2>.
std::string section(const std::string& html, const std::string& id) {
  const auto start = html.find("<h2 id=\"" + id + "\"");
  REQUIRE(start != std::string::npos);
  return html.substr(start, html.find("<h2", start + 1) - start);
}

}  // namespace

TEST_CASE("the explore report computes headline numbers and draws every figure", "[explore]") {
  const ExploreResult r = report_result();
  const std::string html = render_report_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace

  const std::string head = section(html, "headline");
  CHECK(head.find("<th>ours (published)</th><th>ours (corrected)</th>") != std::string::npos);
  CHECK(head.find("<td class=\"num\">6.7x</td><td class=\"num\">3.00x</td><td class=\"num\">4.00x</td>") !=
        std::string::npos);
  CHECK(head.find("<td class=\"num\">79%</td><td class=\"num\">65.0%</td>") != std::string::npos);
  CHECK(head.find("<td class=\"num\">0.8896</td><td class=\"num\">0.8896</td>") != std::string::npos);
  CHECK(head.find("<td class=\"num\">2.0131 ms</td>") != std::string::npos);
  CHECK(head.find("<td class=\"num\">402,653,184 bytes</td><td class=\"num\">402,653,184 bytes</td>") !=
        std::string::npos);
  CHECK(head.find("something we do not compute</td><td class=\"num\">1x</td><td class=\"num\">\xE2\x80\x94</td>") !=
        std::string::npos);
  CHECK(head.find("<td>BERT</td><td>4K</td><td class=\"num\">4.00x</td><td class=\"num\">80.0%</td>") !=
        std::string::npos);

  for (const char* id : {"fig6", "fig7", "fig8", "fig10", "fig12"}) {
    INFO(id);
    CHECK(section(html, id).find("<svg") != std::string::npos);
    CHECK(section(html, id).find("class=\"missing\"") == std::string::npos);
  }
  CHECK(section(html, "data").find("<a href=\"corrected/pareto.csv\">") != std::string::npos);
  CHECK(render_report_html(r) == html);  // deterministic
}

TEST_CASE("the explore report survives missing data and escapes text", "[explore]") {
  SECTION("missing rows") {
    ExploreResult r;
    r.primary.mode = "corrected";
    r.primary.attention = {drow("BERT", "1K", "flat", 4), drow("BERT", "1K", "fusemax", 2)};
    const std::string html = render_report_html(r);
    CHECK(section(html, "fig8").find("No &#39;unfused&#39; rows in attention.csv") != std::string::npos);
    CHECK(section(html, "fig10").find("No end to end rows") != std::string::npos);
    CHECK(section(html, "fig7").find("No einsums.csv rows") != std::string::npos);
    CHECK(section(html, "fig12").find("No pareto.csv rows") != std::string::npos);
    CHECK(section(html, "fig6").find("<svg") != std::string::npos);
    CHECK(render_report_html(ExploreResult{}).find("</html>") != std::string::npos);
  }
  SECTION("escaping") {
    ExploreResult r = report_result();
    for (DesignRow& row : r.primary.attention) row.model = "<&>";
    for (ParetoRow& row : r.primary.pareto) row.model = "<&>";
    r.preset = "a\"b";
    const std::string html = render_report_html(r);
    CHECK(html.find("<&>") == std::string::npos);
    CHECK(html.find("&lt;&amp;&gt;") != std::string::npos);
    CHECK(html.find("a&quot;b") != std::string::npos);
  }
}
