// Malformed cascades: each text is a small cascade that is valid except for one fault. The
// error must name the exact line and column of the fault, say what is wrong (a phrase of
// message()) and what was expected (expected() is never empty).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/shape.hpp"

using namespace einfuse::einsum;

namespace {

struct ErrorCase {
  const char* name;
  std::string text;
  std::uint32_t line;
  std::uint32_t col;
  const char* message;  ///< a fragment of CascadeError::message()
};

// Runs one case; reports the full diagnostic when the parser accepts the text or reports
// a different error.
void check_error(const ErrorCase& c) {
  try {
    (void)parse_cascade(c.text);
    FAIL_CHECK("accepted a malformed cascade:\n" << c.text);
  } catch (const CascadeError& e) {
    INFO(e.what());
    CHECK(e.loc().line == c.line);
    CHECK(e.loc().col == c.col);
    CHECK(e.loc().length >= 1);
    CHECK_THAT(e.message(), Catch::Contains(c.message));
    CHECK_FALSE(e.expected().empty());
    // what() is the formatted report: file:line:col, the message and the expectation.
    const std::string head = "<string>:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": error: ";
    CHECK_THAT(std::string(e.what()), Catch::StartsWith(head));
    CHECK_THAT(std::string(e.what()), Catch::Contains("expected: " + e.expected()));
  }
}

// The well-formed cascade most cases start from (line numbers below count from 1):
//   1 rank E = 64, P, M
//   2 input Q[e,p] : fp32
//   3 input K[e,m] : fp32
//   4 output S[m,p] : fp32
//   5 S[m,p] = Q[e,p] * K[e,m]
const char* const kBase = R"(rank E = 64, P, M
input Q[e,p] : fp32
input K[e,m] : fp32
output S[m,p] : fp32
S[m,p] = Q[e,p] * K[e,m]
)";

// The base cascade with its Einsum (line 5) replaced.
std::string with_einsum(const std::string& einsum) {
  return "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n" +
         einsum + "\n";
}

// An iterative cascade: R[m1+1,p] carries a running maximum over the blocks m1 of M.
//   1 rank P, M
//   2 split M -> M1, M0 by 4
//   3 input X[m1,m0,p] : fp32
//   4 output R[m1,p] : fp32
//   5 R[m1+1,p] = max(R[m1,p], X[m1,m0,p]) init -inf
std::string with_iterative(const std::string& einsum) {
  return "rank P, M\nsplit M -> M1, M0 by 4\ninput X[m1,m0,p] : fp32\noutput R[m1,p] : fp32\n" +
         einsum + "\n";
}

// A populate cascade: the indices of the 4 largest scores of each column.
//   1 rank P, M, J = 4
//   2 input X[m,p] : fp32
//   3 output Sel[j,p] : i32
//   4 Sel[j,p] = topk(m -> j) X[m,p]
std::string with_populate(const std::string& einsum, const std::string& out_decl = "output Sel[j,p] : i32") {
  return "rank P, M, J = 4\ninput X[m,p] : fp32\n" + out_decl + "\n" + einsum + "\n";
}

std::vector<ErrorCase> error_cases() {
  return {
      // ---- lexical errors ----------------------------------------------------------------
      {"stray character", with_einsum("S[m,p] = Q[e,p] * K[e,m] $"), 5, 26, "unexpected character '$'"},
      {"stray non-ASCII byte", with_einsum("S[m,p] = Q[e,p] * K[e,m] \xc3\xa9"), 5, 26,
       "unexpected character byte 0xc3"},
      {"malformed number 2x", with_einsum("S[m,p] = Q[e,p] * 2x"), 5, 19, "malformed number '2x'"},
      {"malformed number 1.5.3", with_einsum("S[m,p] = Q[e,p] * 1.5.3"), 5, 19, "malformed number '1.5.3'"},
      {"malformed number 1e", with_einsum("S[m,p] = Q[e,p] * 1e"), 5, 19, "malformed number '1e'"},
      {"number out of range", with_einsum("S[m,p] = Q[e,p] * 1e999"), 5, 19, "number 1e999 is out of range"},
      {"integer too large", with_einsum("S[m,p] = Q[e,p] * 99999999999999999999"), 5, 19,
       "integer 99999999999999999999 is too large"},
      {"backslash in the middle of a line", with_einsum("S[m,p] = Q[e,p] \\ * K[e,m]"), 5, 17,
       "stray '\\' in the middle of a line"},

      // ---- syntax errors -----------------------------------------------------------------
      {"missing '='", with_einsum("S[m,p] Q[e,p] * K[e,m]"), 5, 8, "expected '=' after the left side"},
      {"missing ']' in a read", with_einsum("S[m,p] = Q[e,p * K[e,m]"), 5, 24,
       "expected ']' closing the index list of 'Q'"},
      {"missing ']' on the left side", with_einsum("S[m,p = Q[e,p] * K[e,m]"), 5, 7,
       "expected ']' closing the left side, found '='"},
      {"missing ')'", with_einsum("S[m,p] = (Q[e,p] * K[e,m]"), 5, 26, "expected ')', found end of line"},
      {"missing operand", with_einsum("S[m,p] = Q[e,p] * "), 5, 19, "expected an operand, found end of line"},
      {"two statements on one line", "rank E = 64, P, M\ninput Q[e,p] : fp32 input K[e,m] : fp32\n", 2, 21,
       "unexpected name 'input' after the statement"},
      {"missing ':' before a type", "rank E = 64, P, M\ninput Q[e,p] fp32\n", 2, 14,
       "expected ':' before the type, found name 'fp32'"},
      {"non-integer rank extent", "rank E = 6.4, P, M\n", 1, 10, "expected the rank's default extent"},
      {"chained comparison", with_einsum("S[m,p] = Q[e,p] * K[e,m] where m < p < 5"), 5, 38,
       "comparisons do not chain"},
      {"init value is not a number", with_iterative("R[m1+1,p] = max(R[m1,p], X[m1,m0,p]) init foo"), 5, 43,
       "expected an init value"},

      // ---- left side -----------------------------------------------------------------------
      {"left index m+2", with_einsum("S[m+2,p] = Q[e,p] * K[e,m]"), 5, 5, "must be written 'm+1'"},
      {"left index m-1", with_einsum("S[m-1,p] = Q[e,p] * K[e,m]"), 5, 4,
       "left-side index must be a plain index variable, found '-'"},
      {"expression on the left side", with_einsum("S[m*2,p] = Q[e,p] * K[e,m]"), 5, 4,
       "left-side index must be a plain index variable, found '*'"},
      {"number on the left side", with_einsum("S[0,p] = Q[e,p] * K[e,m]"), 5, 3,
       "expected an index variable, found number 0"},
      {"left index variable twice", with_einsum("S[m,m] = Q[e,p] * K[e,m]"), 5, 5,
       "index variable 'm' appears twice"},
      {"batch variable written explicitly",
       "batch B = 1\nrank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n"
       "S[b,m,p] = Q[e,p] * K[e,m]\n",
       6, 3, "batch rank variable 'b' is implicit in the left side"},
      {"batch variable in a declaration",
       "batch B = 1\nrank E = 64, P, M\ninput Q[b,e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n"
       "S[m,p] = Q[e,p] * K[e,m]\n",
       3, 9, "batch rank variable 'b' is implicit in a tensor declaration"},

      // ---- names -----------------------------------------------------------------------------
      {"undefined tensor", with_einsum("S[m,p] = Q[e,p] * KK[e,m]"), 5, 19, "undefined tensor 'KK'"},
      {"undefined index variable on the left", with_einsum("S[m,q] = Q[e,p] * K[e,m]"), 5, 5,
       "undefined index variable 'q'"},
      {"undefined index variable in a reduction", with_einsum("S[m,p] = max(q) Q[e,p] * K[e,m]"), 5, 14,
       "undefined index variable 'q'"},
      {"undefined name", with_einsum("S[m,p] = Q[e,p] * K[e,m] * Scale"), 5, 28, "undefined name 'Scale'"},
      {"rank read with brackets", with_einsum("S[m,p] = Q[e,p] * K[e,m] * M[m]"), 5, 28,
       "'M' is not a tensor and cannot be indexed"},
      {"tensor read with parentheses", with_einsum("S[m,p] = Q(e,p) * K[e,m]"), 5, 10,
       "tensor 'Q' is read with '(' ')'"},
      {"function used without arguments", with_einsum("S[m,p] = Q[e,p] * K[e,m] * exp"), 5, 28,
       "function 'exp' used without arguments"},
      {"too many indices", with_einsum("S[m,p] = Q[e,p] * K[e,m,p]"), 5, 19,
       "tensor 'K' used with 3 indices but it has 2"},
      {"too few indices", with_einsum("S[m,p] = Q[e,p] * K[m]"), 5, 19,
       "tensor 'K' used with 1 indices but it has 2"},
      {"variable of another rank in a slot", with_einsum("S[m,p] = Q[e,p] * K[p,m]"), 5, 21,
       "slot 1 is rank E but 'p' is of rank P"},
      {"rank name starting lowercase", "rank E = 64, p, M\n", 1, 14,
       "rank name 'p' must start with an uppercase letter"},
      {"split part starting lowercase", "rank P, M\nsplit M -> m1, M0 by 4\n", 2, 12,
       "rank name 'm1' must start with an uppercase letter"},
      {"rank redefined", "rank E = 64, P, M, E\n", 1, 20, "'E' is already defined"},
      {"tensor redefined", "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput Q[e,m] : fp32\n", 3, 7,
       "'Q' is already defined"},
      {"param redefined", "param W = 4, W\n", 1, 14, "'W' is already defined"},
      {"param named like a rank", "rank E = 64, P, M\nparam M = 4\n", 2, 7, "'M' is already defined"},
      {"rank whose variable is taken", "param m = 3\nrank M\n", 2, 6,
       "the index variable 'm' of rank M clashes with another name"},
      {"reserved word as a tensor", "rank E = 64, P, M\ninput exp[e,p] : fp32\n", 2, 7,
       "'exp' is a reserved word and cannot name a tensor"},
      {"reserved word as a param", "param max = 4\n", 1, 7, "'max' is a reserved word and cannot name a parameter"},
      {"reserved word assigned", with_einsum("where[m,p] = Q[e,p]"), 5, 1, "'where' is not a tensor name"},
      {"second cascade name", "cascade a\ncascade b\n", 2, 1, "a second 'cascade' name"},
      {"second default type", "default fp32\ndefault bf16\n", 2, 1, "a second 'default' type statement"},
      {"batch after a tensor", "rank E = 64, P\ninput Q[e,p] : fp32\nbatch B = 2\n", 3, 1,
       "batch ranks must be declared before any tensor"},
      {"non-positive rank extent", "rank E = 0, P, M\n", 1, 6, "rank E has a non-positive extent"},

      // ---- reductions and functions ------------------------------------------------------
      {"reduction over a variable not in the expression",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\noutput S[p] : fp32\nS[p] = max(m) Q[e,p]\n", 4, 12,
       "reduction over 'm', which is not in the expression"},
      {"reduction over a left-side variable", with_einsum("S[m,p] = max(p) Q[e,p] * K[e,m]"), 5, 14,
       "'p' is on the left side; it cannot be reduced"},
      {"variable reduced twice", "rank E = 64, P, M\ninput K[e,m] : fp32\noutput S[p] : fp32\nS[p] = max(m, m) K[e,m] + p\n",
       4, 15, "'m' is reduced twice"},
      {"reduction in the middle of an expression",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[p] : fp32\n"
       "S[p] = 2 * max(m) K[e,m] * Q[e,p]\n",
       5, 19, "a reduction like 'max(...) X' may only open the right side"},
      {"sum(...) as a call",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[p] : fp32\nS[p] = Q[e,p] + sum(m, e)\n",
       5, 17, "'sum(...)' is a reduction and may only open the right side"},
      {"unknown function", with_einsum("S[m,p] = tanh(Q[e,p] * K[e,m])"), 5, 10, "unknown function 'tanh'"},
      {"max with one argument, not a reduction", with_einsum("S[m,p] = max(Q[e,p]) * K[e,m]"), 5, 10,
       "'max' takes 2 argument(s), found 1"},
      {"min with one argument inside an expression", with_einsum("S[m,p] = K[e,m] + min(Q[e,p])"), 5, 19,
       "'min' takes 2 argument(s), found 1"},
      {"exp with two arguments", with_einsum("S[m,p] = exp(Q[e,p], K[e,m])"), 5, 10,
       "'exp' takes 1 argument(s), found 2"},
      {"select with two arguments", with_einsum("S[m,p] = select(m < p, Q[e,p] * K[e,m])"), 5, 10,
       "'select' takes 3 argument(s), found 2"},
      {"clamp with two arguments", with_einsum("S[m,p] = Q[e,p] * K[e, clamp(m, 0)]"), 5, 24,
       "'clamp' takes 3 argument(s), found 2"},

      // ---- iterative ranks and cycles ------------------------------------------------------
      {"iterative Einsum without init", with_iterative("R[m1+1,p] = max(R[m1,p], X[m1,m0,p])"), 5, 1,
       "iterative Einsum 'R' has no 'init' value"},
      {"init without r+1", with_iterative("R[m1,p] = max(m0) X[m1,m0,p] init 0"), 5, 30,
       "'init' is only allowed on an iterative Einsum"},
      {"two r+1 slots", with_iterative("R[m1+1,p+1] = max(R[m1,p], X[m1,m0,p]) init 0"), 5, 8,
       "only one left-side index may be written 'r+1'"},
      {"own output read at r+1", with_iterative("R[m1+1,p] = max(R[m1+1,p], X[m1,m0,p]) init 0"), 5, 19,
       "must read its own output at 'm1' (the previous slice)"},
      {"own output read at other coordinates", with_iterative("R[m1+1,p] = max(R[m1,0], X[m1,m0,p]) init 0"), 5, 22,
       "must read its own output at the same coordinates"},
      {"non-iterative self-read", with_einsum("S[m,p] = Q[e,p] * K[e,m] + S[m,p]"), 5, 28,
       "'S' reads itself: a dependency cycle outside an iterative rank"},

      // ---- tensors and outputs -------------------------------------------------------------
      {"input assigned", with_einsum("K[e,m] = Q[e,p]\nS[m,p] = Q[e,p] * K[e,m]"), 5, 1,
       "input tensor 'K' cannot be assigned"},
      {"tensor assigned twice", with_einsum("T[m,p] = Q[e,p] * K[e,m]\nT[m,p] = Q[e,p] + K[e,m]\nS[m,p] = T[m,p]"), 6,
       1, "tensor 'T' is assigned twice (first at line 5)"},
      {"output never assigned",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\noutput Z[p] : fp32\n"
       "S[m,p] = Q[e,p] * K[e,m]\n",
       5, 8, "output 'Z' is never assigned"},
      {"output read but never assigned",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\noutput S[e,p] : fp32\noutput Z[e,p] : fp32\nS[e,p] = Q[e,p] + Z[e,p]\n",
       5, 19, "output 'Z' is read but never assigned"},
      {"output slots in another order", with_einsum("S[p,m] = Q[e,p] * K[e,m]"), 5, 1,
       "output 'S' is assigned with slots [p,m] but declared with [m,p]"},
      {"no output declared", "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\nS[m,p] = Q[e,p] * K[e,m]\n",
       4, 1, "the cascade declares no output"},
      {"tensor declared but never assigned", "rank P, M\ninput X[m,p] : fp32\noutput T[m,p] : fp32\ntensor U : fp32\nT[m,p] = X[m,p]\n",
       4, 8, "tensor 'U' is declared but never assigned"},
      {"empty cascade: only declarations",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n", 1, 1,
       "empty cascade: no Einsum"},
      {"empty cascade: only comments", "# nothing here\n   # nor here\n\n", 1, 1, "empty cascade: no Einsum"},
      {"empty cascade: empty file", "", 1, 1, "empty cascade: no Einsum"},

      // ---- types -----------------------------------------------------------------------------
      {"unknown dtype", "rank E = 64, P, M\ninput Q[e,p] : fp8\n", 2, 16, "unknown type 'fp8'"},
      {"unknown accumulator dtype", "rank E = 64, P, M\ninput Q[e,p] : bf16 acc fp128\n", 2, 25,
       "unknown type 'fp128'"},
      {"accumulator narrower than storage", "rank E = 64, P, M\noutput S[e,p] : fp32 acc bf16\n", 2, 26,
       "accumulator bf16 is narrower than storage fp32"},
      {"i32 accumulator for float storage", "rank E = 64, P, M\noutput S[e,p] : fp32 acc i32\n", 2, 26,
       "dtype mismatch: accumulator i32 for storage fp32"},
      {"float accumulator for i32 storage", "rank E = 64, P, M\noutput S[e,p] : i32 acc fp32\n", 2, 25,
       "dtype mismatch: accumulator fp32 for storage i32"},
      {"float tensor used as a gather index",
       "rank E = 64, P, M, J\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\ninput Sel[j,p] : fp32\noutput S[j,p] : fp32\n"
       "S[j,p] = Q[e,p] * K[e, Sel[j,p]]\n",
       6, 24, "index 2 of 'K' is real-valued"},
      {"real-valued index expression", with_einsum("S[m,p] = Q[e,p] * K[e, m*0.5]"), 5, 24,
       "index 2 of 'K' is real-valued"},
      {"'%' with a real operand", with_einsum("S[m,p] = Q[e,p] * K[e,m] % 2"), 5, 26, "'%' needs integer operands"},
      {"where clause that is not a predicate", with_einsum("S[m,p] = Q[e,p] * K[e,m] where Q[e,p] * 2"), 5, 32,
       "a 'where' mask must be a predicate"},
      {"real expression into an i32 tensor", "rank P, M\ninput X[m,p] : fp32\noutput T[m,p] : i32\nT[m,p] = X[m,p] * 2\n",
       4, 10, "'T' is i32 but the expression is real-valued"},

      // ---- populate operators --------------------------------------------------------------
      {"topk into a non-i32 tensor", with_populate("Sel[j,p] = topk(m -> j) X[m,p]", "output Sel[j,p] : fp32"), 4, 1,
       "topk produces indices but 'Sel' is fp32"},
      {"filter into a non-i32 tensor", with_populate("Sel[j,p] = filter(m -> j) X[m,p] > 0", "output Sel[j,p] : bf16"),
       4, 1, "filter produces indices but 'Sel' is bf16"},
      {"topk target not on the left side", with_populate("Sel[p] = topk(m -> j) X[m,p]", "output Sel[p] : i32"), 4, 20,
       "'j' is not on the left side"},
      {"topk source on the left side", with_populate("Sel[j,m,p] = topk(m -> j) X[m,p]", "output Sel[j,m,p] : i32"), 4,
       19, "'m' is on the left side; it cannot be selected from"},
      {"topk source not in the expression", with_populate("Sel[j,p] = topk(m -> j) X[0,p]"), 4, 17,
       "'m' does not occur in the expression it selects from"},
      {"topk target used in the expression", with_populate("Sel[j,p] = topk(m -> j) X[m,p] * j"), 4, 22,
       "'j' receives the selected indices and cannot be used in the expression"},
      {"iterative topk", with_populate("Sel[j+1,p] = topk(m -> j) X[m,p] init 0"), 4, 1, "topk cannot be iterative"},

      // ---- splits and derived parameters ---------------------------------------------------
      {"split of an undefined rank", "rank P, M\nsplit N -> N1, N0 by 4\n", 2, 7, "undefined rank 'N'"},
      {"split into 3 parts with 1 factor", "rank P, M\nsplit M -> M2, M1, M0 by 4\n", 2, 26,
       "split of M into 3 parts needs 2 'by' factor(s), found 1"},
      {"split into 2 parts with 2 factors", "rank P, M\nsplit M -> M1, M0 by 4, 8\n", 2, 22,
       "split of M into 2 parts needs 1 'by' factor(s), found 2"},
      {"split into 1 part", "rank P, M\nsplit M -> M1 by 4\n", 2, 1, "a split needs at least two parts"},
      {"split of a batch rank", "batch B = 2\nrank P, M\nsplit B -> B1, B0 by 2\n", 3, 7, "rank B cannot be split"},
      {"split of a split part", "rank P, M\nsplit M -> M1, M0 by 4\nsplit M0 -> M01, M00 by 2\n", 3, 7,
       "rank M0 cannot be split"},
      {"rank split twice", "rank P, M\nsplit M -> M1, M0 by 4\nsplit M -> M3, M2 by 4\n", 3, 7,
       "rank M is already split"},
      {"index variable in a split factor", "rank P, M\nsplit M -> M1, M0 by p\n", 2, 22,
       "index variable 'p' in a split factor"},
      {"real split factor", "rank P, M\nsplit M -> M1, M0 by 2.5\n", 2, 22, "a split factor must be an integer"},
      {"split without '->'", "rank P, M\nsplit M M1, M0 by 4\n", 2, 9, "expected '->', found name 'M1'"},
      {"split without 'by'", "rank P, M\nsplit M -> M1, M0 256\n", 2, 19, "expected 'by' and the split factor"},
      {"let with a tensor read", "rank E = 64, P, M\ninput Q[e,p] : fp32\nlet R = Q[e,p]\n", 3, 9,
       "tensor read in a 'let' definition"},
      {"let with an index variable", "rank E = 64, P, M\nlet R = p + 1\n", 2, 9,
       "index variable 'p' in a 'let' definition"},
      {"let with a function call", "rank E = 64, P, M\nlet R = exp(P)\n", 2, 9, "function call in a 'let' definition"},
      {"let with a real value", "rank E = 64, P, M\nlet R = P / 2.0\n", 2, 11, "a 'let' definition must be an integer"},
  };
}

}  // namespace

TEST_CASE("the base cascades of the error table are valid", "[errors]") {
  CHECK_NOTHROW(parse_cascade(kBase));
  CHECK(with_einsum("S[m,p] = Q[e,p] * K[e,m]") == kBase);
  CHECK_NOTHROW(parse_cascade(with_iterative("R[m1+1,p] = max(R[m1,p], X[m1,m0,p]) init -inf")));
  CHECK_NOTHROW(parse_cascade(with_populate("Sel[j,p] = topk(m -> j) X[m,p]")));
  CHECK_NOTHROW(parse_cascade(with_populate("Sel[j,p] = filter(m -> j) X[m,p] > 0")));
}

TEST_CASE("malformed cascades report the fault's line, column and cause", "[errors]") {
  const std::vector<ErrorCase> cases = error_cases();
  REQUIRE(cases.size() >= 45);
  for (const ErrorCase& c : cases) {
    DYNAMIC_SECTION(c.name) { check_error(c); }
  }
}

TEST_CASE("a dependency cycle between Einsums is reported in data-flow order", "[errors][cycles]") {
  // A -> B -> A: neither Einsum is iterative, so the cycle never steps back a slice.
  const std::vector<ErrorCase> cases = {
      {"two-Einsum cycle",
       "rank E = 64, P, M\ninput Q[e,p] : fp32\noutput B[m,p] : fp32\nA[m,p] = Q[e,p] + B[m,p]\nB[m,p] = A[m,p] * 2\n",
       4, 1, "dependency cycle outside an iterative rank: A -> B -> A"},
      {"three-Einsum cycle",
       "rank P, M\ninput X[m,p] : fp32\noutput C[m,p] : fp32\nA[m,p] = X[m,p] + C[m,p]\nB[m,p] = A[m,p] * 2\n"
       "C[m,p] = exp(B[m,p])\n",
       4, 1, "dependency cycle outside an iterative rank: A -> B -> C -> A"},
  };
  for (const ErrorCase& c : cases) {
    DYNAMIC_SECTION(c.name) { check_error(c); }
  }
}

TEST_CASE("regressions found by fuzzing raise CascadeError", "[errors][fuzz]") {
  const std::string header = "rank P\ninput Q[p] : fp32\noutput S[p] : fp32\n";
  const std::vector<ErrorCase> cases = {
      // std::stod threw std::out_of_range for a literal beyond double's range.
      {"init value out of range", with_iterative("R[m1+1,p] = max(R[m1,p], X[m1,m0,p]) init 4e-3445444444444444"), 5,
       43, "number 4e-3445444444444444 is out of range"},
      {"huge exponent in an expression", header + "S[p] = Q[p] * 1e400", 4, 15, "number 1e400 is out of range"},
      // Recursive descent overflowed the stack on deep nesting (parser and resolver).
      {"deeply nested parentheses", header + "S[p] = " + std::string(4000, '(') + "Q[p]" + std::string(4000, ')'), 4,
       208, "expression nested too deeply"},
      {"long unary chain", header + "S[p] = " + std::string(4000, '-') + "Q[p]", 4, 207,
       "expression nested too deeply"},
      {"long operator chain", [&] {
         std::string t = header + "S[p] = Q[p]";
         for (int i = 0; i < 20000; ++i) t += "+Q[p]";
         return t;
       }(),
       4, 1005, "expression nested too deeply"},
      {"deeply nested calls", header + "S[p] = " + [] {
         std::string t;
         for (int i = 0; i < 3000; ++i) t += "exp(";
         return t;
       }() + "Q[p]" + std::string(3000, ')'),
       4, 808, "expression nested too deeply"},
  };
  for (const ErrorCase& c : cases) {
    DYNAMIC_SECTION(c.name) { check_error(c); }
  }
}

TEST_CASE("nesting below the limit parses", "[errors][fuzz]") {
  const std::string header = "rank P\ninput Q[p] : fp32\noutput S[p] : fp32\n";
  std::string chain = header + "S[p] = Q[p]";
  for (int i = 0; i < 150; ++i) chain += " + Q[p]";
  CHECK_NOTHROW(parse_cascade(chain));
  CHECK_NOTHROW(parse_cascade(header + "S[p] = " + std::string(150, '(') + "Q[p]" + std::string(150, ')')));
}

TEST_CASE("constant expressions that overflow in shape binding raise CascadeError", "[errors][fuzz]") {
  // INT64_MIN / -1 and INT64_MIN % -1 trapped (SIGFPE) and -INT64_MIN was undefined.
  for (const char* def : {"(0 - 9000000000000000000 - 223372036854775808) / -1",
                          "-(0 - 9000000000000000000 - 223372036854775808)"}) {
    INFO(def);
    const Cascade c =
        parse_cascade(std::string("rank P = 4\nlet R = ") + def + "\ninput Q[p] : fp32\noutput S[p] : fp32\nS[p] = Q[p] * R\n");
    try {
      (void)bind_shape(c, {});
      FAIL_CHECK("no overflow reported");
    } catch (const CascadeError& e) {
      CHECK_THAT(e.message(), Catch::Contains("overflows"));
      CHECK(e.loc().line == 2);
    }
  }
}

TEST_CASE("a directory given as the cascade file is an open error, not an empty cascade", "[errors]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "einfuse_test_dir.ein";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(parse_cascade_file(dir.string()), Catch::Contains("cannot open cascade file"));
  std::filesystem::remove(dir);
}
