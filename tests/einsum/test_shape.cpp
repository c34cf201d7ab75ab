// Binding sizes to ranks and parameters: `--shape` text, declared defaults, splits and
// derived (`let`) parameters, and the errors for missing, inconsistent or unknown sizes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/shape.hpp"

using namespace einfuse::einsum;

namespace {

std::int64_t extent(const Cascade& c, const BoundShape& s, const char* rank) {
  const auto r = c.find_rank(rank);
  REQUIRE(r.has_value());
  return s.extent(*r);
}

std::int64_t value(const Cascade& c, const BoundShape& s, const char* param) {
  const auto p = c.find_param(param);
  REQUIRE(p.has_value());
  return s.param_value[static_cast<std::size_t>(*p)];
}

// Binds `given` and returns the error; fails the test when binding succeeds.
CascadeError bind_error(const Cascade& c, const ShapeAssignment& given) {
  try {
    (void)bind_shape(c, given);
  } catch (const CascadeError& e) {
    INFO(e.what());
    CHECK_FALSE(e.expected().empty());
    return e;
  }
  FAIL("bind_shape accepted the shape");
  throw;  // unreachable: FAIL throws
}

CascadeError shape_text_error(const std::string& text) {
  try {
    (void)parse_shape_assignment(text);
  } catch (const CascadeError& e) {
    INFO(e.what());
    CHECK(e.file() == "--shape");
    CHECK_FALSE(e.expected().empty());
    return e;
  }
  FAIL("parse_shape_assignment accepted '" << text << "'");
  throw;
}

//   1 rank E = 64, P, M
//   2 split M -> M1, M0 by 256
//   3 input Q[e,p] : bf16
//   4 input K[e,m] : bf16
//   5 output S[m1,m0,p] : fp32
//   6 S[m1,m0,p] = Q[e,p] * K[e, m1*M0 + m0]
const char* const kSplit = R"(rank E = 64, P, M
split M -> M1, M0 by 256
input Q[e,p] : bf16
input K[e,m] : bf16
output S[m1,m0,p] : fp32
S[m1,m0,p] = Q[e,p] * K[e, m1*M0 + m0]
)";

}  // namespace

TEST_CASE("lengths accept K, M and G as powers of two", "[shape]") {
  CHECK(parse_length("512") == 512);
  CHECK(parse_length("4K") == 4096);
  CHECK(parse_length("4k") == 4096);
  CHECK(parse_length("1M") == 1048576);
  CHECK(parse_length("3M") == 3 * 1048576);
  CHECK(parse_length("2G") == std::int64_t{2} << 30);
  CHECK(parse_length("0") == 0);
}

TEST_CASE("shape text parses into names and sizes", "[shape]") {
  const ShapeAssignment s = parse_shape_assignment("P=4K,M=1M,E=64");
  REQUIRE(s.size() == 3);
  CHECK(s.at("P") == 4096);
  CHECK(s.at("M") == 1048576);
  CHECK(s.at("E") == 64);
}

TEST_CASE("malformed shape text names the column of the bad entry", "[shape]") {
  struct Bad {
    const char* text;
    std::uint32_t col;
    const char* message;
  };
  const Bad cases[] = {
      {"P=4096,M=4x", 10, "bad size for 'M'"},     // a bad suffix: the column of the size
      {"P=4096,M=4KB", 10, "bad size for 'M'"},    // one suffix letter only
      {"P=4096,M=", 10, "bad size for 'M'"},       // empty size
      {"P=4096,M=0", 10, "bad size for 'M'"},      // sizes are positive
      {"P=4096,M=-4", 10, "bad size for 'M'"},     // no sign
      {"P=4096,M4", 8, "malformed shape entry 'M4'"},  // no '='
      {"P=4096,=4", 8, "malformed shape entry '=4'"},  // no name
      {"P=4096,", 8, "malformed shape entry ''"},  // trailing comma
      {"", 1, "malformed shape entry ''"},
      {"P=4096,M=8,P=16", 12, "'P' is given twice"},
      {"P=99999999999999999999", 3, "length too large"},
      {"P=9999999999999G", 3, "length too large"},
  };
  for (const Bad& b : cases) {
    DYNAMIC_SECTION(b.text) {
      const CascadeError e = shape_text_error(b.text);
      CHECK(e.loc().line == 1);
      CHECK(e.loc().col == b.col);
      CHECK_THAT(e.message(), Catch::Contains(b.message));
      // The report shows the shape text with a caret under the entry.
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("--shape:1:" + std::to_string(b.col) + ": error: "));
      CHECK_THAT(std::string(e.what()), Catch::Contains(std::string(" 1 | ") + b.text));
    }
  }
}

TEST_CASE("splits derive the extents of their parts", "[shape]") {
  const Cascade c = parse_cascade(kSplit);
  const BoundShape s = bind_shape(c, parse_shape_assignment("P=1K,M=4K"));
  CHECK(extent(c, s, "E") == 64);  // declared default
  CHECK(extent(c, s, "P") == 1024);
  CHECK(extent(c, s, "M") == 4096);
  CHECK(extent(c, s, "M1") == 16);  // M / 256
  CHECK(extent(c, s, "M0") == 256);
  // S[m1,m0,p] holds M1 * M0 * P elements.
  CHECK(s.elements(c, *c.find_tensor("S")) == 16u * 256u * 1024u);
}

TEST_CASE("a given size overrides the declared default", "[shape]") {
  const Cascade c = parse_cascade(kSplit);
  const BoundShape s = bind_shape(c, {{"E", 128}, {"P", 8}, {"M", 512}});
  CHECK(extent(c, s, "E") == 128);
  CHECK(extent(c, s, "M1") == 2);
}

TEST_CASE("multi-level splits take one factor per inner part", "[shape]") {
  const Cascade c = parse_cascade(R"(rank P, M
split M -> M2, M1, M0 by 16, 256
input K[m,p] : fp32
output S[m2,m1,m0,p] : fp32
S[m2,m1,m0,p] = K[(m2*M1 + m1)*M0 + m0, p]
)");
  const BoundShape s = bind_shape(c, {{"P", 4}, {"M", 16384}});
  CHECK(extent(c, s, "M2") == 4);  // 16384 / (16 * 256)
  CHECK(extent(c, s, "M1") == 16);
  CHECK(extent(c, s, "M0") == 256);
  const Rank& m0 = c.ranks[static_cast<std::size_t>(*c.find_rank("M0"))];
  CHECK(m0.split_level == 2);
  CHECK(m0.split_parts == 3);
  CHECK(m0.split_of == *c.find_rank("M"));

  // 6144 is a multiple of 256 but not of 16 * 256.
  const CascadeError e = bind_error(c, {{"P", 4}, {"M", 6144}});
  CHECK_THAT(e.message(), Catch::Contains("rank M = 6144 is not divisible by its split factor 4096"));
  CHECK(e.loc().line == 1);
  CHECK(e.loc().col == 9);  // the declaration of M
}

TEST_CASE("let-derived parameters and split factors from sizes", "[shape]") {
  const Cascade c = parse_cascade(R"(batch B = 1, H = 8
rank E = 64, P, M, G = 2
let R = H / G
param W = 3
let L = (M - P) % W + R * 2
split M -> M1, M0 by R * 16
input Q[e,p] : bf16
input K[e,m] : bf16
output S[m1,m0,p] : fp32
S[m1,m0,p] = Q[e,p] * K[e, m1*M0 + m0] where m1*M0 + m0 <= p + L
)");
  const BoundShape s = bind_shape(c, parse_shape_assignment("P=100,M=128"));
  CHECK(value(c, s, "R") == 4);
  CHECK(value(c, s, "W") == 3);
  CHECK(value(c, s, "L") == (128 - 100) % 3 + 8);
  CHECK(extent(c, s, "M0") == 64);
  CHECK(extent(c, s, "M1") == 2);
  // A given parameter overrides its default, and derived ones follow.
  const BoundShape s2 = bind_shape(c, {{"P", 100}, {"M", 128}, {"W", 5}, {"H", 16}});
  CHECK(value(c, s2, "R") == 8);
  CHECK(value(c, s2, "L") == (128 - 100) % 5 + 16);
  CHECK(extent(c, s2, "M0") == 128);
}

TEST_CASE("constant expressions use floor division and floor modulo", "[shape]") {
  const Cascade c = parse_cascade(R"(rank P = 4
param N = 7
let D = (0 - N) / 2
let Q = (0 - N) % 3
let Z = N % (0 - 3)
let O = (0 - 9000000000000000000 - 223372036854775808) % -1
input X[p] : fp32
output S[p] : fp32
S[p] = X[p] * (D + Q + Z + O)
)");
  const BoundShape s = bind_shape(c, {});
  CHECK(value(c, s, "D") == -4);
  CHECK(value(c, s, "Q") == 2);
  CHECK(value(c, s, "Z") == -2);
  CHECK(value(c, s, "O") == 0);
}

TEST_CASE("constant expressions take integer literals up to 2^63 - 1 exactly", "[shape]") {
  const Cascade c = parse_cascade(R"(rank P = 4
param U = 1
let T = U * 9223372036854775807
let N = -9223372036854775808
let D = 9007199254740993 - 9007199254740992
input X[p] : fp32
output S[p] : fp32
S[p] = X[p] * (T + N + D)
)");
  const BoundShape s = bind_shape(c, {});
  CHECK(value(c, s, "T") == INT64_MAX);
  CHECK(value(c, s, "N") == INT64_MIN);
  CHECK(value(c, s, "D") == 1);
  const CascadeError e = bind_error(c, {{"U", 2}});
  CHECK(e.message() == "size overflows 64 bits");
  CHECK(e.loc().line == 3);
}

TEST_CASE("shape errors name the rank or parameter", "[shape]") {
  SECTION("missing rank size") {
    const Cascade c = parse_cascade(kSplit);
    const CascadeError e = bind_error(c, {{"M", 512}});
    CHECK_THAT(e.message(), Catch::Contains("rank P has no size"));
    CHECK(e.loc().line == 1);
    CHECK(e.loc().col == 14);  // `P` in `rank E = 64, P, M`
  }
  SECTION("size not divisible by the split") {
    const Cascade c = parse_cascade(kSplit);
    const CascadeError e = bind_error(c, {{"P", 8}, {"M", 1000}});
    CHECK_THAT(e.message(), Catch::Contains("rank M = 1000 is not divisible by its split factor 256"));
    CHECK(e.loc().line == 1);
    CHECK(e.loc().col == 17);
  }
  SECTION("unknown name in --shape") {
    const Cascade c = parse_cascade(kSplit);
    const CascadeError e = bind_error(c, {{"P", 8}, {"M", 512}, {"X", 4}});
    CHECK(e.file() == "--shape");
    CHECK_THAT(e.message(), Catch::Contains("'X' is not a rank or parameter"));
    CHECK_THAT(e.expected(), Catch::Contains("E, P, M"));
  }
  SECTION("giving a split part") {
    const Cascade c = parse_cascade(kSplit);
    const CascadeError e = bind_error(c, {{"P", 8}, {"M", 512}, {"M0", 64}});
    CHECK(e.file() == "--shape");
    CHECK_THAT(e.message(), Catch::Contains("rank M0 is a split part; its size comes from the split of M"));
  }
  SECTION("giving a derived parameter") {
    const Cascade c = parse_cascade(
        "rank P = 4, G = 2\nlet R = P / G\ninput X[p] : fp32\noutput S[p] : fp32\nS[p] = X[p] * R\n");
    const CascadeError e = bind_error(c, {{"R", 3}});
    CHECK_THAT(e.message(), Catch::Contains("parameter R is derived ('let') and cannot be given"));
  }
  SECTION("parameter without a value") {
    const Cascade c = parse_cascade("rank P = 4\nparam W\ninput X[p] : fp32\noutput S[p] : fp32\nS[p] = X[p] * W\n");
    const CascadeError e = bind_error(c, {});
    CHECK_THAT(e.message(), Catch::Contains("parameter W has no value"));
    CHECK(e.loc().line == 2);
    CHECK(e.loc().col == 7);
  }
  SECTION("division by zero in a derived parameter") {
    const Cascade c = parse_cascade(
        "rank P = 4\nparam Z = 0\nlet R = P / Z\ninput X[p] : fp32\noutput S[p] : fp32\nS[p] = X[p] * R\n");
    const CascadeError e = bind_error(c, {});
    CHECK_THAT(e.message(), Catch::Contains("division by zero"));
    CHECK(e.loc().line == 3);
    CHECK(e.loc().col == 11);
  }
  SECTION("a split factor that refers back to the split") {
    const Cascade c = parse_cascade(
        "rank P = 4, M\nsplit M -> M1, M0 by M1\ninput X[m,p] : fp32\noutput S[m,p] : fp32\nS[m,p] = X[m,p]\n");
    const CascadeError e = bind_error(c, {{"M", 64}});
    CHECK_THAT(e.message(), Catch::Contains("depends on itself"));
  }
  SECTION("a non-positive split factor") {
    const Cascade c = parse_cascade(
        "rank P = 4, M\nsplit M -> M1, M0 by P - 4\ninput X[m,p] : fp32\noutput S[m,p] : fp32\nS[m,p] = X[m,p]\n");
    const CascadeError e = bind_error(c, {{"M", 64}});
    CHECK_THAT(e.message(), Catch::Contains("split factor for M0 is 0"));
    CHECK(e.loc().line == 2);
  }
  SECTION("a tensor with more than 2^64 elements") {
    const Cascade c = parse_cascade(
        "rank E, P, M\ninput X[e,m,p] : fp32\noutput S[e,m,p] : fp32\nS[e,m,p] = X[e,m,p]\n");
    const CascadeError e = bind_error(c, parse_shape_assignment("E=1G,P=1G,M=1G"));
    CHECK_THAT(e.message(), Catch::Contains("more than 2^64 elements"));
  }
}
