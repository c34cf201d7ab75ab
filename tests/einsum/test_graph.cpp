// Dependency graph: edges, step reads, components, evaluation order, cycle errors, DOT.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "analysis_cascades.hpp"
#include "einfuse/einsum/graph.hpp"
#include "einfuse/einsum/parser.hpp"

using namespace einfuse::einsum;
using einfuse::test_cascades::einsum_of;
using StepRead = DependencyEdge::StepRead;

namespace {

std::vector<std::string> labels(const Cascade& c, const std::vector<EinsumId>& ids) {
  std::vector<std::string> out;
  for (EinsumId id : ids) out.push_back(c.einsums[static_cast<std::size_t>(id)].label);
  return out;
}

std::vector<std::vector<std::string>> order_labels(const Cascade& c) {
  std::vector<std::vector<std::string>> out;
  for (const auto& group : evaluation_order(c)) out.push_back(labels(c, group));
  return out;
}

// Parses `text` expecting a cycle error; returns it.
CascadeError cycle_error(const std::string& text) {
  try {
    (void)parse_cascade(text);
  } catch (const CascadeError& e) {
    return e;
  }
  FAIL("expected a dependency cycle error");
  throw std::logic_error("unreachable");
}

const char* kHeader = R"(
rank P = 4, M = 8, N = 8
input L[m,p]
)";

}  // namespace

TEST_CASE("edges of the 1-pass cascade follow its reads", "[graph]") {
  const Cascade c = parse_cascade(einfuse::test_cascades::kSoftmax1Pass);
  const DependencyGraph g = dependency_graph(c);
  auto id = [&](const char* n) { return einsum_of(c, n); };

  CHECK(labels(c, g.consumers[id("QK")]) == std::vector<std::string>{"LM", "SLN"});
  CHECK(labels(c, g.producers[id("AV")]) == std::vector<std::string>{"RD", "RNV"});
  // Sorted by EinsumId (source order), RD's own output included.
  CHECK(labels(c, g.producers[id("RD")]) == std::vector<std::string>{"PRM", "SLD", "RD"});
  // LM<-QK; RM<-RM,LM; SLN<-QK,RM; PRM<-RM; SLD<-SLN; RD<-PRM,RD,SLD; SLNV<-SLN;
  // RNV<-PRM,RNV,SLNV; AV<-RNV,RD: 16 Einsum-to-Einsum edges (inputs are not Einsums).
  CHECK(g.edges.size() == 16);

  // Self-edges exactly for the three iterative Einsums.
  for (std::size_t e = 0; e < c.einsums.size(); ++e) {
    const bool self = g.find_edge(static_cast<EinsumId>(e), static_cast<EinsumId>(e)) != nullptr;
    CHECK(self == (c.einsums[e].step_var >= 0));
  }
  CHECK(g.find_edge(id("RM"), id("RM"))->step_read == StepRead::previous_slice);
  CHECK(g.find_edge(id("RM"), id("SLN"))->step_read == StepRead::same_slice);
  // PRM reads RM[m1,p] and RM[m1+1,p]: the same-slice read decides.
  CHECK(g.find_edge(id("RM"), id("PRM"))->step_read == StepRead::same_slice);
  CHECK(g.find_edge(id("RNV"), id("AV"))->step_read == StepRead::other);  // final slice M1
  CHECK(g.find_edge(id("QK"), id("LM"))->step_read == StepRead::none);
  CHECK(g.find_edge(id("LM"), id("QK")) == nullptr);
}

TEST_CASE("components are numbered in a topological order", "[graph]") {
  for (const char* text : {einfuse::test_cascades::kSoftmax1Pass, einfuse::test_cascades::kFuseMax12,
                           einfuse::test_cascades::kLandmarkTopk, einfuse::test_cascades::kSoftmax3Pass}) {
    const Cascade c = parse_cascade(text);
    const DependencyGraph g = dependency_graph(c);
    for (const auto& e : g.edges) {
      if (e.producer == e.consumer) continue;
      CHECK(g.component[static_cast<std::size_t>(e.producer)] <= g.component[static_cast<std::size_t>(e.consumer)]);
    }
    std::size_t members = 0;
    for (const auto& comp : g.components) members += comp.size();
    CHECK(members == c.einsums.size());
  }
}

TEST_CASE("the 12-Einsum FuseMax cascade has two legal two-Einsum cycles", "[graph]") {
  const Cascade c = parse_cascade(einfuse::test_cascades::kFuseMax12);
  const DependencyGraph g = dependency_graph(c);
  auto comp = [&](const char* n) { return g.component[static_cast<std::size_t>(einsum_of(c, n))]; };
  CHECK(comp("SPD") == comp("RD"));
  CHECK(comp("SPNV") == comp("RNV"));
  CHECK(comp("RD") != comp("RNV"));
  CHECK(g.components.size() == 10);
  const auto order = order_labels(c);
  const std::vector<std::vector<std::string>> expected = {
      {"QK"}, {"LM"}, {"RM"}, {"SLN"}, {"PRM"}, {"SLD"}, {"SPD", "RD"}, {"SLNV"}, {"SPNV", "RNV"}, {"AV"}};
  CHECK(order == expected);
}

TEST_CASE("evaluation order inside a group follows same-step reads, not the text", "[graph]") {
  SECTION("a non-iterative member is computed before the iterative one reading it") {
    const Cascade c = parse_cascade(std::string(kHeader) + R"(
output O[p]
RD[m+1,p] = SPD[m,p] + L[m,p]   init 0
SPD[m,p]  = 0.5 * RD[m,p]
O[p]      = RD[M,p]
)");
    CHECK(order_labels(c) == std::vector<std::vector<std::string>>{{"SPD", "RD"}, {"O"}});
  }
  SECTION("an iterative member reading another's slice m+1 comes after it") {
    const Cascade c = parse_cascade(std::string(kHeader) + R"(
output O[p]
Y[m+1,p] = Y[m,p] * X[m+1,p]          init 1
X[m+1,p] = X[m,p] + L[m,p] + Y[m,p]   init 0
O[p]     = X[M,p] + Y[M,p]
)");
    CHECK(order_labels(c) == std::vector<std::vector<std::string>>{{"X", "Y"}, {"O"}});
  }
  SECTION("an acyclic cascade keeps its source order") {
    const Cascade c = parse_cascade(einfuse::test_cascades::kSoftmax3Pass);
    CHECK(order_labels(c) ==
          std::vector<std::vector<std::string>>{{"QK"}, {"GM"}, {"SN"}, {"SD"}, {"A"}, {"AV"}});
  }
}

TEST_CASE("illegal cycles are reported at an Einsum with the cycle spelled out", "[graph]") {
  SECTION("a cycle without an iterative rank") {
    const CascadeError e = cycle_error(std::string(kHeader) + R"(
output O[p]
A[m,p] = B[m,p] + L[m,p]
B[m,p] = A[m,p] * 2
O[p]   = A[m,p]
)");
    CHECK(e.message() == "dependency cycle outside an iterative rank: A -> B -> A");
    CHECK(e.loc().line == 6);  // A's line: the first Einsum of the cycle
  }
  SECTION("a member that needs the whole iterative rank (a final slice) breaks the step") {
    const CascadeError e = cycle_error(std::string(kHeader) + R"(
output O[p]
X[m+1,p] = X[m,p] + Z[p]   init 0
Z[p]     = X[M,p]
O[p]     = Z[p]
)");
    CHECK(e.message() == "dependency cycle outside an iterative rank: Z -> X -> Z");
    CHECK(e.loc().line == 7);
  }
  SECTION("a member stepping with the rank but reading the final slice inside the cycle") {
    // Z has m on its left side, so it steps with X, but X[M,p] is X after every step.
    const CascadeError e = cycle_error(std::string(kHeader) + R"(
output O[p]
X[m+1,p] = X[m,p] + Z[m,p]   init 0
Z[m,p]   = X[M,p] + L[m,p]
O[p]     = X[M,p]
)");
    CHECK(e.message() ==
          "dependency cycle outside an iterative rank: Z -> X -> Z (Z reads X at a slice other than the "
          "step's m or m+1)");
    CHECK(e.loc().line == 7);
  }
  SECTION("members stepping over different ranks") {
    const CascadeError e = cycle_error(std::string(kHeader) + R"(
output O[p]
X[m+1,p] = X[m,p] + Y[N,p]   init 0
Y[n+1,p] = Y[n,p] + X[M,p]   init 0
O[p]     = X[M,p]
)");
    CHECK(e.message() == "dependency cycle outside an iterative rank: X -> Y -> X");
  }
  SECTION("a cycle through reads of the current slice only") {
    const CascadeError e = cycle_error(std::string(kHeader) + R"(
output O[p]
X[m+1,p] = X[m,p] + Y[m+1,p]   init 0
Y[m+1,p] = Y[m,p] * X[m+1,p]   init 1
O[p]     = X[M,p]
)");
    CHECK(e.message() == "dependency cycle within one step of iterative rank M: X -> Y -> X");
    CHECK(e.loc().line == 6);
  }
  SECTION("check_cycles accepts every shipped-style cascade") {
    for (const char* text : {einfuse::test_cascades::kSoftmax1Pass, einfuse::test_cascades::kFuseMax12,
                             einfuse::test_cascades::kCausal1Pass, einfuse::test_cascades::kLandmarkTopk}) {
      CHECK_NOTHROW(check_cycles(parse_cascade(text)));
    }
  }
}

TEST_CASE("DOT output has one node per Einsum and input and one edge per dependency", "[graph]") {
  const Cascade c = parse_cascade(einfuse::test_cascades::kSoftmax1Pass);
  const std::string dot = to_dot(c);
  CHECK(dot.rfind("digraph \"softmax_1pass\" {", 0) == 0);
  CHECK(dot.find("\"in:Q\" [shape=ellipse") != std::string::npos);
  const std::string rm = "e" + std::to_string(einsum_of(c, "RM"));
  CHECK(dot.find(rm + " -> " + rm + " [label=\"RM\", style=dashed];") != std::string::npos);
  CHECK(dot.find("label=\"AV\", peripheries=2") != std::string::npos);
  std::size_t arrows = 0;
  for (std::size_t pos = dot.find("->"); pos != std::string::npos; pos = dot.find("->", pos + 2)) ++arrows;
  // 16 Einsum edges + Q->QK, K->QK, V->SLNV.
  CHECK(arrows == 19);
}
