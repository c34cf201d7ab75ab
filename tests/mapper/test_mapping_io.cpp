// Mappings as data (docs/mapping.md): a mapping survives a dump and reload unchanged, the
// optional keys take their documented defaults, the worked example of the docs reads back to
// the FuseMax BERT 1K mapping, and every malformed mapping is rejected with the line, column
// and reason of its first problem.
#include <catch2/catch.hpp>

#include "expect_load_error.hpp"
#include "temp_file.hpp"
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "einfuse/einsum/diagnostics.hpp"
#include "einfuse/mapper/mapping.hpp"

using namespace einfuse::mapper;
using einfuse::einsum::CascadeError;

namespace {

using einfuse::test::replace;
using einfuse::test::TempFile;

// Line numbers matter: the error tests below point into this text.
const char* const kGood =
    "name: \"tiny mapping\"\n"                                 // 1
    "cascade: tiny\n"                                          // 2
    "arch: Tiny\n"                                             // 3
    "bindings:\n"                                              // 4
    "  - {einsum: QK, array: a2, rows: [M0], cols: [P], stationary: K}\n"  // 5
    "  - einsum: LM\n"                                         // 6
    "    array: a1\n"                                          // 7
    "    cols: [P]\n"                                          // 8
    "spatial: {P: 4, M0: 2}\n"                                 // 9
    "dram_loops:\n"                                            // 10
    "  - {B: 2}\n"                                             // 11
    "  - {P: 1}\n"                                             // 12
    "buffer_loops: [{P: 4}, {P: 2}]\n"                         // 13
    "tensors:\n"                                               // 14
    "  QK: registers\n"                                        // 15
    "  LM: stream\n"                                           // 16
    "  A: {residency: buffer, spill: 0.25}\n"                  // 17
    "  SLN: {residency: dram, in_place_of: QK}\n"              // 18
    "overlap:\n"                                               // 19
    "  memory: per_stage\n"                                    // 20
    "  interleave: false\n"                                    // 21
    "  stages:\n"                                              // 22
    "    - [QK]\n"                                             // 23
    "    - [LM]\n";                                            // 24

const char* const kMinimal =
    "name: m\n"
    "cascade: c\n"
    "arch: a\n"
    "bindings: [{einsum: E, array: pe1d}]\n";

Binding bind(const std::string& einsum, const std::string& array, std::vector<std::string> rows,
             std::vector<std::string> cols, const std::string& stationary = {}) {
  Binding b;
  b.einsum = einsum;
  b.array = array;
  b.rows = std::move(rows);
  b.cols = std::move(cols);
  b.stationary = stationary;
  return b;
}

TensorPlacement place(const std::string& tensor, Residency residency, double spill = 0.0,
                      const std::string& in_place_of = {}) {
  TensorPlacement p;
  p.tensor = tensor;
  p.residency = residency;
  p.spill_fraction = spill;
  p.in_place_of = in_place_of;
  return p;
}

// Loads `text` from a file and checks that it fails at line:col with `fragment` in the message.
void expect_error(const std::string& text, std::uint32_t line, std::uint32_t col, const std::string& fragment) {
  TempFile f(text, "mapping.yaml");
  einfuse::test::expect_load_error([&] { load_mapping(f.path()); }, f.path(), line, col, fragment, text);
}

// The FuseMax 1-pass mapping of BERT at 1K (docs/mapping.md, the worked example).
Mapping fusemax_bert_1k() {
  Mapping m;
  m.name = "fusemax BERT 1K";
  m.cascade = "fusemax_paper";
  m.arch = "FuseMax";
  for (const char* e : {"QK", "LM", "RM", "SLN", "PRM", "SPD", "SLD", "RD", "SPNV", "SLNV", "RNV", "AV"}) {
    const std::string einsum = e;
    const bool on_2d = einsum == "QK" || einsum == "LM" || einsum == "SLN" || einsum == "SLD" || einsum == "SLNV";
    m.bindings.push_back(on_2d ? bind(einsum, "pe2d", {"M0"}, {"P"}) : bind(einsum, "pe1d", {}, {"P"}));
  }
  m.spatial = {{"P", 256}};
  m.dram_loops = {{"B", 64}, {"H", 12}, {"P", 1}, {"M1", 4}};
  m.buffer_loops = {{"P", 4}};
  m.tensors = {place("QK", Residency::registers), place("SLN", Residency::registers)};
  m.overlap.memory = Overlap::Memory::overlapped;
  m.overlap.stages = {{"QK", "LM", "RD", "RNV", "AV"}, {"RM"}, {"SLN", "SLD", "PRM", "SPD"}, {"SLNV", "SPNV"}};
  m.overlap.interleave = true;
  return m;
}

void check_round_trip(const Mapping& m) {
  const std::string dumped = to_yaml(m);
  INFO(dumped);
  const Mapping again = parse_mapping(dumped, "<dump>");
  CHECK(again == m);
  CHECK(to_yaml(again) == dumped);
}

}  // namespace

TEST_CASE("mapping: every key of the schema is read", "[mapping]") {
  const Mapping m = parse_mapping(kGood, "tiny.yaml");
  CHECK(m.name == "tiny mapping");
  CHECK(m.cascade == "tiny");
  CHECK(m.arch == "Tiny");
  REQUIRE(m.bindings.size() == 2);
  CHECK(m.bindings[0] == bind("QK", "a2", {"M0"}, {"P"}, "K"));
  CHECK(m.bindings[1] == bind("LM", "a1", {}, {"P"}));
  // Written order is kept, not sorted.
  CHECK(m.spatial == std::vector<SpatialFactor>{{"P", 4}, {"M0", 2}});
  CHECK(m.dram_loops == std::vector<Loop>{{"B", 2}, {"P", 1}});
  // A rank may be tiled at several levels.
  CHECK(m.buffer_loops == std::vector<Loop>{{"P", 4}, {"P", 2}});
  REQUIRE(m.tensors.size() == 4);
  CHECK(m.tensors[0] == place("QK", Residency::registers));
  CHECK(m.tensors[1] == place("LM", Residency::stream));
  CHECK(m.tensors[2] == place("A", Residency::buffer, 0.25));
  CHECK(m.tensors[3] == place("SLN", Residency::dram, 0.0, "QK"));
  CHECK(m.overlap.memory == Overlap::Memory::per_stage);
  CHECK_FALSE(m.overlap.interleave);
  CHECK(m.overlap.stages == std::vector<std::vector<std::string>>{{"QK"}, {"LM"}});

  REQUIRE(m.find_binding("LM") != nullptr);
  CHECK(m.find_binding("LM")->array == "a1");
  CHECK(m.find_binding("AV") == nullptr);
  REQUIRE(m.find_tensor("A") != nullptr);
  CHECK(m.find_tensor("A")->spill_fraction == 0.25);
  CHECK(m.find_tensor("AV") == nullptr);
}

TEST_CASE("mapping: optional keys take their defaults", "[mapping]") {
  const Mapping m = parse_mapping(kMinimal);
  REQUIRE(m.bindings.size() == 1);
  CHECK(m.bindings[0].rows.empty());
  CHECK(m.bindings[0].cols.empty());
  CHECK(m.bindings[0].stationary.empty());
  CHECK(m.spatial.empty());
  CHECK(m.dram_loops.empty());
  CHECK(m.buffer_loops.empty());
  CHECK(m.tensors.empty());
  CHECK(m.overlap == Overlap{});
  CHECK(m.overlap.memory == Overlap::Memory::overlapped);
  CHECK(m.overlap.stages.empty());
  CHECK(m.overlap.interleave);
  // An empty overlap mapping and empty lists are the defaults too.
  const Mapping same = parse_mapping(std::string(kMinimal) +
                                     "spatial: {}\ndram_loops: []\nbuffer_loops: []\ntensors: {}\noverlap: {stages: []}\n");
  CHECK(same == m);
  // A placement's spill defaults to 0 and in_place_of to none.
  const Mapping placed = parse_mapping(std::string(kMinimal) + "tensors: {A: {residency: stream}}\n");
  CHECK(placed.tensors.at(0) == place("A", Residency::stream));
  check_round_trip(m);
}

TEST_CASE("mapping: a mapping survives dump and reload unchanged", "[mapping]") {
  check_round_trip(parse_mapping(kGood));
  check_round_trip(fusemax_bert_1k());

  // Text that needs quoting, names YAML reads as something else, doubles with no short
  // decimal form and the largest factor all survive.
  Mapping m = parse_mapping(kGood);
  m.name = "a: \"quoted\" # name";
  m.cascade = "null";
  m.arch = "true";
  m.bindings[0].array = "pe 2d: #1";
  m.bindings[1].einsum = "null";
  m.tensors[0].tensor = "Null";
  m.tensors[1].in_place_of = "true";
  m.tensors[2].spill_fraction = 0.1 + 0.2;
  m.tensors[3].spill_fraction = 5e-324;
  m.spatial[0].factor = std::int64_t{1} << 62;
  m.overlap.stages = {{"null", "QK"}};
  check_round_trip(m);

  // And equality notices a difference anywhere.
  Mapping changed = parse_mapping(kGood);
  CHECK(changed == parse_mapping(kGood));
  changed.tensors[2].spill_fraction = 0.5;
  CHECK_FALSE(changed == parse_mapping(kGood));
}

TEST_CASE("mapping: the dump of the worked example", "[mapping]") {
  const std::string dumped = to_yaml(fusemax_bert_1k());
  CHECK(dumped.find("  - {einsum: QK, array: pe2d, rows: [M0], cols: [P]}\n") != std::string::npos);
  CHECK(dumped.find("  - {einsum: RM, array: pe1d, cols: [P]}\n") != std::string::npos);
  CHECK(dumped.find("spatial: {P: 256}\n") != std::string::npos);
  CHECK(dumped.find("  - {M1: 4}\n") != std::string::npos);
  CHECK(dumped.find("  QK: registers\n") != std::string::npos);
  CHECK(dumped.find("    - [SLNV, SPNV]\n") != std::string::npos);
  // Overlap is always written, even at its defaults.
  CHECK(to_yaml(parse_mapping(kMinimal)).find("overlap:\n  memory: overlapped\n  interleave: true\n  stages: []\n") !=
        std::string::npos);
}

TEST_CASE("mapping: the example in docs/mapping.md is the FuseMax BERT 1K mapping", "[mapping]") {
  std::ifstream in(std::string(EINFUSE_SOURCE_DIR) + "/docs/mapping.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto heading = doc.find("## Worked example");
  REQUIRE(heading != std::string::npos);
  const auto begin = doc.find("```yaml\n", heading);
  REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```", begin + 8);
  const Mapping example = parse_mapping(doc.substr(begin + 8, end - begin - 8), "docs/mapping.md");
  CHECK(example == fusemax_bert_1k());
  // The docs say the block is the dump, byte for byte.
  CHECK(doc.substr(begin + 8, end - begin - 8) == to_yaml(example));
}

TEST_CASE("mapping: residency names", "[mapping]") {
  CHECK(std::string(residency_name(Residency::buffer)) == "buffer");
  CHECK(std::string(residency_name(Residency::stream)) == "stream");
  CHECK(std::string(residency_name(Residency::registers)) == "registers");
  CHECK(std::string(residency_name(Residency::dram)) == "dram");
}

TEST_CASE("mapping: the test's own mapping is well-formed and its file loads", "[mapping]") {
  TempFile f(kGood, "mapping.yaml");
  CHECK(load_mapping(f.path()) == parse_mapping(kGood));
}

TEST_CASE("malformed mappings: files and YAML", "[mapping]") {
  const std::string missing = "/nonexistent/einfuse/mapping.yaml";
  try {
    load_mapping(missing);
    FAIL("no error for a missing file");
  } catch (const CascadeError& e) {
    CHECK(e.file() == missing);
    CHECK(e.message() == "cannot open mapping '" + missing + "'");
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
  }
  TempFile dir("", "x.yaml");
  CHECK_THROWS_WITH(load_mapping(dir.dir()), Catch::Contains("cannot open mapping"));

  expect_error(replace(kGood, "spatial: {P: 4, M0: 2}", "spatial: {P: 4, M0: 2"), 10, 11, "YAML syntax error");
  expect_error("- a\n- b\n", 1, 1, "a mapping file must be a mapping");
  expect_error("", 1, 1, "a mapping file must be a mapping");
  // parse_mapping names "<string>" when it is given no file.
  try {
    parse_mapping("name: [");
    FAIL("no error for bad YAML");
  } catch (const CascadeError& e) {
    CHECK(e.file() == "<string>");
  }
}

TEST_CASE("malformed mappings: keys", "[mapping]") {
  expect_error(std::string(kGood) + "colour: red\n", 25, 1, "unknown key 'colour' in a mapping file");
  expect_error(replace(kGood, "stationary: K}", "stationary: K, colour: 1}"), 5, 67, "unknown key 'colour' in a binding");
  expect_error(replace(kGood, "  interleave: false\n", "  interleave: false\n  pipeline: 2\n"), 22, 3,
               "unknown key 'pipeline' in overlap");
  expect_error(replace(kGood, "spill: 0.25", "spil: 0.25"), 17, 26, "unknown key 'spil' in the placement of tensor 'A'");
  expect_error(replace(kGood, "arch: Tiny\n", "arch: Tiny\narch: Other\n"), 4, 1,
               "key 'arch' is given twice in a mapping file");
  expect_error(replace(kGood, "array: a2, rows", "array: a2, array: a3, rows"), 5, 29,
               "key 'array' is given twice in a binding");
  expect_error(replace(kGood, "name: \"tiny mapping\"\n", ""), 1, 1, "missing key 'name' in a mapping file");
  expect_error(replace(kGood, "cascade: tiny\n", ""), 1, 1, "missing key 'cascade' in a mapping file");
  expect_error(replace(kGood, "arch: Tiny\n", ""), 1, 1, "missing key 'arch' in a mapping file");
  expect_error(replace(kGood,
                       "bindings:\n  - {einsum: QK, array: a2, rows: [M0], cols: [P], stationary: K}\n"
                       "  - einsum: LM\n    array: a1\n    cols: [P]\n",
                       ""),
               1, 1, "missing key 'bindings' in a mapping file");
  expect_error(replace(kGood, "{einsum: QK, array", "{array"), 5, 5, "missing key 'einsum' in a binding");
  expect_error(replace(kGood, "    array: a1\n", ""), 6, 5, "missing key 'array' in a binding");
  expect_error(replace(kGood, "{residency: buffer, spill: 0.25}", "{spill: 0.25}"), 17, 6,
               "missing key 'residency' in the placement of tensor 'A'");
}

TEST_CASE("malformed mappings: bindings", "[mapping]") {
  const std::string bindings =
      "bindings:\n  - {einsum: QK, array: a2, rows: [M0], cols: [P], stationary: K}\n  - einsum: LM\n    array: a1\n    cols: [P]\n";
  expect_error(replace(kGood, bindings, "bindings: []\n"), 4, 11, "'bindings' must be a non-empty list");
  expect_error(replace(kGood, bindings, "bindings: {einsum: QK}\n"), 4, 11, "not (a mapping)");
  expect_error(replace(kGood, "rows: [M0]", "rows: [[M0]]"), 5, 36, "an entry of 'rows' must be a rank name, not (a list)");
  expect_error(replace(kGood, "rows: [M0]", "rows: [1M]"), 5, 36, "must be a rank name, not '1M'");
  expect_error(replace(kGood, "rows: [M0]", "rows: M0"), 5, 35, "'rows' must be a list of rank names, not 'M0'");
  expect_error(replace(kGood, "rows: [M0]", "rows: [P]"), 5, 47,
               "rank 'P' is laid across the array twice in the binding of 'QK'");
  expect_error(replace(kGood, "stationary: K}", "stationary: 1K}"), 5, 64, "'stationary' must be a tensor name, not '1K'");
  expect_error(replace(kGood, "einsum: QK,", "einsum: \"Q K\","), 5, 14, "'einsum' must be an Einsum name, not 'Q K'");
  expect_error(replace(kGood, "  - einsum: LM", "  - einsum: QK"), 6, 13, "Einsum 'QK' is bound twice");
  expect_error(replace(kGood, "name: \"tiny mapping\"", "name: \"\""), 1, 7, "'name' must be a non-empty text");
  expect_error(replace(kGood, "cascade: tiny", "cascade: [tiny]"), 2, 10, "'cascade' must be a non-empty text");
}

TEST_CASE("malformed mappings: spatial factors and loops", "[mapping]") {
  expect_error(replace(kGood, "{P: 4, M0: 2}", "{P: 4, P: 2}"), 9, 17, "rank 'P' is given twice in spatial");
  expect_error(replace(kGood, "{P: 4, M0", "{P: 0, M0"), 9, 14, "'P' must be positive, not 0");
  expect_error(replace(kGood, "M0: 2}", "0M: 2}"), 9, 17, "a key of 'spatial' must be a rank name, not '0M'");
  expect_error(replace(kGood, "spatial: {P: 4, M0: 2}", "spatial: [P]"), 9, 10, "spatial must be a mapping");
  expect_error(replace(kGood, "{B: 2}", "{B: 0}"), 11, 9, "'B' must be positive, not 0");
  expect_error(replace(kGood, "{B: 2}", "{B: -1}"), 11, 9, "'B' must be positive, not -1");
  expect_error(replace(kGood, "{B: 2}", "{B: 1.5}"), 11, 9, "'B' must be an integer, not '1.5'");
  expect_error(replace(kGood, "{B: 2}", "{B: x}"), 11, 9, "'B' must be an integer, not 'x'");
  expect_error(replace(kGood, "{B: 2}", "{B: \"x\"}"), 11, 9, "'B' must be an integer, not 'x'");
  expect_error(replace(kGood, "{B: 2}", "{B: [2]}"), 11, 9, "'B' must be an integer, not (a list)");
  expect_error(replace(kGood, "{B: 2}", "{B: 4611686018427387905}"), 11, 9, "'B' = 4611686018427387905 is out of range");
  expect_error(replace(kGood, "{B: 2}", "{B: 99999999999999999999}"), 11, 9, "is out of range");
  expect_error(replace(kGood, "{B: 2}", "{B: 2, H: 3}"), 11, 12, "an entry of 'dram_loops' has a second rank 'H'");
  expect_error(replace(kGood, "{B: 2}", "{B: 2, B: 3}"), 11, 12, "an entry of 'dram_loops' has a second rank 'B'");
  expect_error(replace(kGood, "  - {B: 2}", "  - B"), 11, 5, "an entry of 'dram_loops' must be one 'RANK: FACTOR' pair");
  expect_error(replace(kGood, "  - {B: 2}", "  - {}"), 11, 5, "must be one 'RANK: FACTOR' pair, not (a mapping)");
  expect_error(replace(kGood, "dram_loops:\n  - {B: 2}\n  - {P: 1}\n", "dram_loops: {B: 2}\n"), 10, 13,
               "'dram_loops' must be a list of loops");
  expect_error(replace(kGood, "{P: 2}]", "{2P: 2}]"), 13, 25,
               "the rank of a loop in 'buffer_loops' must be a rank name, not '2P'");
}

TEST_CASE("malformed mappings: tensors", "[mapping]") {
  expect_error(replace(kGood, "  QK: registers", "  QK: cache"), 15, 7, "bad residency 'cache' for tensor 'QK'");
  expect_error(replace(kGood, "residency: buffer", "residency: cache"), 17, 18, "bad residency 'cache' for tensor 'A'");
  expect_error(replace(kGood, "  LM: stream", "  QK: stream"), 16, 3, "tensor 'QK' is given twice in tensors");
  expect_error(replace(kGood, "  LM: stream", "  LM: [stream]"), 16, 7, "tensor 'LM' must have a residency, not (a list)");
  expect_error(replace(kGood, "spill: 0.25", "spill: 1.5"), 17, 33, "'spill' = 1.5 of tensor 'A' is outside [0, 1]");
  expect_error(replace(kGood, "spill: 0.25", "spill: -0.1"), 17, 33, "'spill' = -0.1 of tensor 'A' is outside [0, 1]");
  expect_error(replace(kGood, "spill: 0.25", "spill: lots"), 17, 33, "'spill' must be a number, not 'lots'");
  expect_error(replace(kGood, "spill: 0.25", "spill: .nan"), 17, 33, "'spill' must be a number");
  expect_error(replace(kGood, "in_place_of: QK", "in_place_of: [QK]"), 18, 39,
               "'in_place_of' must be a tensor name, not (a list)");
  expect_error(replace(kGood, "  QK: registers", "  Q-K: registers"), 15, 3, "a key of 'tensors' must be a tensor name");
}

TEST_CASE("malformed mappings: overlap", "[mapping]") {
  expect_error(replace(kGood, "memory: per_stage", "memory: bogus"), 20, 11, "bad value 'bogus' for 'memory'");
  expect_error(replace(kGood, "interleave: false", "interleave: maybe"), 21, 15, "bad value 'maybe' for 'interleave'");
  expect_error(replace(kGood, "    - [QK]", "    - QK"), 23, 7, "a stage must be a non-empty list of Einsum names, not 'QK'");
  expect_error(replace(kGood, "  stages:\n    - [QK]\n    - [LM]\n", "  stages: QK\n"), 22, 11,
               "'stages' must be a list of lists, not 'QK'");
  expect_error(replace(kGood, "    - [LM]", "    - []"), 24, 7, "a stage must be a non-empty list");
  expect_error(replace(kGood, "    - [LM]", "    - [LM, QK]"), 24, 12, "Einsum 'QK' is in a stage twice");
  expect_error(replace(kGood, "    - [LM]", "    - [{LM: 1}]"), 24, 8, "an entry of a stage must be an Einsum name");
  expect_error(replace(kGood, "overlap:\n  memory: per_stage\n  interleave: false\n  stages:\n    - [QK]\n    - [LM]\n",
                       "overlap: true\n"), 19, 10, "overlap must be a mapping");
}
