// Passes over each rank (docs/passes.md): the softmax family and the rules one by one.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include "analysis_cascades.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/passes.hpp"

using namespace einfuse::einsum;
namespace tc = einfuse::test_cascades;

namespace {

// Pass of every Einsum over rank `rank`, by Einsum label.
std::map<std::string, int> pass_table(const Cascade& c, const PassAnalysis& pa, const char* rank) {
  const RankPasses* rp = pa.find(*c.find_rank(rank));
  REQUIRE(rp != nullptr);
  std::map<std::string, int> out;
  for (std::size_t e = 0; e < c.einsums.size(); ++e) out[c.einsums[e].label] = rp->einsum_pass[e];
  return out;
}

bool traverses_m(const Cascade& c, const char* einsum) {
  return traverses(c, c.einsums[static_cast<std::size_t>(tc::einsum_of(c, einsum))], *c.find_rank("M"));
}

}  // namespace

TEST_CASE("3-pass softmax: GM and SD each need all of M", "[passes]") {
  const Cascade c = parse_cascade(tc::kSoftmax3Pass);
  const PassAnalysis pa = analyse_passes(c);
  CHECK(pa.passes("M") == 3);
  // QK and GM read only M-fibres being traversed; SN needs GM (complete), SD follows SN;
  // A needs SD (complete), AV follows A.
  const std::map<std::string, int> expected = {{"QK", 1}, {"GM", 1}, {"SN", 2}, {"SD", 2}, {"A", 3}, {"AV", 3}};
  CHECK(pass_table(c, pa, "M") == expected);
  // Every Einsum of the 3-pass cascade iterates m.
  for (const auto& e : c.einsums) CHECK(traverses(c, e, *c.find_rank("M")));
  // Nothing summarises P, E or F before reusing them.
  CHECK(pa.passes("P") == 1);
  CHECK(pa.passes("E") == 1);
  CHECK(pa.passes("F") == 1);
  // Batch ranks and ranks no input carries are not analysed.
  CHECK(pa.passes("B") == -1);
  CHECK(pa.find(*c.find_rank("H")) == nullptr);
  CHECK(pa.einsum_pass[static_cast<std::size_t>(tc::einsum_of(c, "SN"))].at(*c.find_rank("M")) == 2);
}

TEST_CASE("2-pass softmax: the global max and sum run between the passes", "[passes]") {
  const Cascade c = parse_cascade(tc::kSoftmax2Pass);
  const PassAnalysis pa = analyse_passes(c);
  CHECK(pa.passes("M") == 2);
  // GM = max over m1 of LM is a summary of tile maxima: it iterates only the coarsest
  // part, so it does not traverse M and takes the pass of its input (1).
  CHECK_FALSE(traverses_m(c, "GM"));
  CHECK_FALSE(traverses_m(c, "SD"));
  CHECK(traverses_m(c, "LM"));
  const std::map<std::string, int> expected = {{"QK", 1}, {"LM", 1}, {"SLN", 1}, {"SLD", 1},
                                               {"GM", 1}, {"SD", 1}, {"A", 2},   {"AV", 2}};
  CHECK(pass_table(c, pa, "M") == expected);
}

TEST_CASE("1-pass cascades traverse M once", "[passes]") {
  SECTION("FuseMax, as in the language documentation") {
    const Cascade c = parse_cascade(tc::kSoftmax1Pass);
    const PassAnalysis pa = analyse_passes(c);
    CHECK(pa.passes("M") == 1);
    // The running max/sum read a prefix (slice m1 or m1+1), never the final slice, and
    // AV reads the final slices RNV[f,M1,p], RD[M1,p] but does not traverse M.
    const std::map<std::string, int> expected = {{"QK", 1},  {"LM", 1}, {"RM", 1},   {"SLN", 1}, {"PRM", 1},
                                                 {"SLD", 1}, {"RD", 1}, {"SLNV", 1}, {"RNV", 1}, {"AV", 1}};
    CHECK(pass_table(c, pa, "M") == expected);
    CHECK_FALSE(traverses_m(c, "RM"));
    CHECK_FALSE(traverses_m(c, "AV"));
    CHECK(pa.passes("F") == 1);
  }
  SECTION("the 12-Einsum paper form") { CHECK(analyse_passes(parse_cascade(tc::kFuseMax12)).passes("M") == 1); }
  SECTION("causal") { CHECK(analyse_passes(parse_cascade(tc::kCausal1Pass)).passes("M") == 1); }
  SECTION("sliding window") { CHECK(analyse_passes(parse_cascade(tc::kWindow1Pass)).passes("M") == 1); }
  SECTION("grouped-query attention") {
    const PassAnalysis pa = analyse_passes(parse_cascade(tc::kGqa1Pass));
    CHECK(pa.passes("M") == 1);
    CHECK(pa.passes("H") == 1);
    CHECK(pa.passes("G") == 0);  // K and V carry G, but every Einsum reaches it through h/R
  }
}

TEST_CASE("Landmark-style top-k retrieval needs two passes over M", "[passes]") {
  const Cascade c = parse_cascade(tc::kLandmarkTopk);
  const PassAnalysis pa = analyse_passes(c);
  CHECK(pa.passes("M") == 2);
  const auto m = pass_table(c, pa, "M");
  CHECK(m.at("Kc") == 1);   // chunk summaries: traverse every token of K
  CHECK(m.at("Sel") == 1);  // top-k over chunks c (the coarsest part): between passes
  CHECK_FALSE(traverses_m(c, "Sel"));
  CHECK(m.at("QKs") == 2);  // traverses the gathered tokens after the selection
  CHECK(m.at("SLNV") == 2);
  // The online softmax over the selected chunks steps over J, not a part of M: its
  // running max RM[j+1,p] is a prefix value, so SLN stays in pass 2.
  CHECK(m.at("SLN") == 2);
  // S reduces over e before the top-k, and QKs reduces over e again: a second pass over E.
  CHECK(pa.passes("E") == 2);
}

TEST_CASE("a gather through a selection over r waits for the selection", "[passes]") {
  // Top-k within each chunk: Sel keeps the chunk slot c (a variable), so reading it is
  // not a complete read; only the gather rule orders the gather after the selection.
  const std::string head = R"(
batch B = 1, H = 1
rank E = 8, P, M, J = 2
split M -> C, T by 4
input  Q[e,p]
input  K[e,m]
output O[c,j,t,p]
S[c,t,p]   = Q[e,p] * K[e, c*T+t]
Sel[c,j,p] = topk(t -> j) S[c,t,p]
)";
  SECTION("read in an index expression: a barrier") {
    const Cascade c = parse_cascade(head + "O[c,j,t,p] = Q[e,p] * K[e, c*T + (Sel[c,j,p] + t) % T]\n");
    CHECK(analyse_passes(c).passes("M") == 2);
  }
  SECTION("read as a value: no barrier") {
    const Cascade c = parse_cascade(head + "O[c,j,t,p] = Q[e,p] * K[e, c*T + t] * Sel[c,j,p]\n");
    CHECK(analyse_passes(c).passes("M") == 1);
  }
  SECTION("a selection computed from indices alone runs before the first pass") {
    // Blk reads no tensor, so it is pass 0 and the barrier puts the gather in pass 1.
    const Cascade c = parse_cascade(R"(
batch B = 1, H = 1
rank E = 8, P, M, J = 2
split M -> C, T by 4
input  Q[e,p]
input  K[e,m]
output O[j,t,p]
Blk[j,p]  = filter(c -> j) c*T <= p
O[j,t,p]  = Q[e,p] * K[e, Blk[j,p]*T + t]
)");
    const PassAnalysis pa = analyse_passes(c);
    CHECK(pa.passes("M") == 1);
    CHECK(pass_table(c, pa, "M").at("Blk") == 0);
  }
}

TEST_CASE("a complete read only counts when the reader traverses the rank", "[passes]") {
  // Z reads GM (complete over M) but iterates only p: it runs between passes, pass 1.
  // W then traverses M again reading Z, which depends on M and has no M slot: pass 2.
  const Cascade c = parse_cascade(R"(
batch B = 1, H = 1
rank P, M
input  X[m,p]
output W[m,p]
GM[p]  = max(m) X[m,p]
Z[p]   = GM[p] * 2
W[m,p] = X[m,p] - Z[p]
)");
  const PassAnalysis pa = analyse_passes(c);
  const std::map<std::string, int> expected = {{"GM", 1}, {"Z", 1}, {"W", 2}};
  CHECK(pass_table(c, pa, "M") == expected);
  CHECK(pa.passes("M") == 2);
}

TEST_CASE("shipped attention cascades have the documented passes over M", "[passes]") {
  // The numbers stated in each file's header comment and in docs/passes.md.
  const std::map<std::string, int> expected = {
      {"softmax_3pass", 3}, {"softmax_2pass", 2}, {"softmax_1pass", 1}, {"causal_1pass", 1},
      {"window_1pass", 1},  {"gqa_1pass", 1},     {"decode_splitkv", 1}, {"topk_landmark", 2}};
  for (const auto& [name, passes] : expected) {
    const std::string path = std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/" + name + ".ein";
    if (!std::ifstream(path)) {
      WARN("not shipped (yet): " << path);
      continue;
    }
    INFO(path);
    CHECK(analyse_passes(parse_cascade_file(path)).passes("M") == passes);
  }
}
