// Model files (workloads/models/*.yaml, docs/models.md): the shipped models carry the
// published numbers, the loader finds them by name, rejects every malformed file with the
// position of the problem, and model_shape() sizes only what a cascade declares.
#include <catch2/catch.hpp>

#include "temp_file.hpp"
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/parser.hpp"

using namespace einfuse::einsum;

namespace {

using TempModel = einfuse::test::TempFile;
using einfuse::test::replace;

const std::string kModels = std::string(EINFUSE_SOURCE_DIR) + "/workloads/models";
const std::string kCascades = std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention";

const char* const kGood =
    "# a comment\n"
    "name: Tiny\n"
    "source: \"made up for a test\"\n"
    "batch: 2\n"
    "heads: 4\n"
    "kv_heads: 2\n"
    "head_dim: 16\n"
    "value_dim: 8\n"
    "d_model: 64\n"
    "ffn_hidden: 256\n";

// Loads `text` and returns the error it raises (fails the test when there is none).
CascadeError load_error(const std::string& text) {
  TempModel m(text);
  try {
    load_model(m.path(), m.dir());
  } catch (const CascadeError& e) {
    CHECK(e.file() == m.path());
    return e;
  }
  FAIL("no error for:\n" << text);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the FuseMax workloads carry the published table", "[model]") {
  // shared/reference/fusemax.md, "Workloads": batch 64; H, E = F, D, S.
  struct Row {
    const char* file;
    const char* name;
    std::int64_t h, e, d, s;
  };
  for (const Row& row : {Row{"bert", "BERT", 12, 64, 768, 3072}, Row{"trxl", "TrXL", 16, 64, 1024, 4096},
                         Row{"t5", "T5", 8, 64, 512, 2048}, Row{"xlm", "XLM", 16, 128, 2048, 8192}}) {
    INFO(row.file);
    const ModelSpec m = load_model(row.file, kModels);
    CHECK(m.name == row.name);
    CHECK(m.batch == 64);
    CHECK(m.heads == row.h);
    CHECK(m.kv_heads == row.h);
    CHECK(m.head_dim == row.e);
    CHECK(m.value_dim == row.e);
    CHECK(m.d_model == row.d);
    CHECK(m.ffn_hidden == row.s);
    CHECK_FALSE(m.window.has_value());
    CHECK(m.source.find("FuseMax") != std::string::npos);
  }
}

TEST_CASE("the modern models: Llama 3 8B and Mistral 7B", "[model]") {
  // Llama 3 paper, Table 3 (8B); Mistral 7B paper, Table 1.
  const ModelSpec llama = load_model("llama3_8b", kModels);
  CHECK(llama.batch == 1);
  CHECK(llama.heads == 32);
  CHECK(llama.kv_heads == 8);
  CHECK(llama.head_dim == 128);
  CHECK(llama.value_dim == 128);
  CHECK(llama.d_model == 4096);
  CHECK(llama.ffn_hidden == 14336);
  CHECK(llama.heads * llama.head_dim == llama.d_model);
  CHECK_FALSE(llama.window.has_value());
  const ModelSpec mistral = load_model("mistral_7b", kModels);
  CHECK(mistral.kv_heads == 8);
  CHECK(mistral.ffn_hidden == 14336);
  REQUIRE(mistral.window.has_value());
  CHECK(*mistral.window == 4096);
}

TEST_CASE("a bare model name is found case-insensitively; a path is read as it is", "[model]") {
  for (const char* name : {"BERT", "bert", "Bert", "bErT"}) CHECK(load_model(name, kModels).heads == 12);
  for (const char* name : {"llama3_8b", "Llama3-8B", "LLAMA3_8B"}) CHECK(load_model(name, kModels).kv_heads == 8);
  CHECK(load_model(kModels + "/t5.yaml", "/nonexistent").heads == 8);
  try {
    load_model("gpt5", kModels);
    FAIL("no error for an unknown model");
  } catch (const CascadeError& e) {
    CHECK(e.message().find("no model 'gpt5'") != std::string::npos);
    CHECK(e.expected().find("bert") != std::string::npos);
    CHECK(e.expected().find("llama3_8b") != std::string::npos);
  }
  CHECK_THROWS_AS(load_model(kModels + "/missing.yaml", kModels), CascadeError);
  // A directory opens as an empty stream: an open error, not "must be a mapping".
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "einfuse_test_dir.yaml";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(load_model(dir.string(), kModels), Catch::Contains("cannot open model file"));
  std::filesystem::remove(dir);
}

TEST_CASE("a well-formed model file loads", "[model]") {
  TempModel m(kGood);
  const ModelSpec spec = load_model(m.path(), m.dir());
  CHECK(spec.name == "Tiny");
  CHECK(spec.source == "made up for a test");
  CHECK(spec.batch == 2);
  CHECK(spec.heads == 4);
  CHECK(spec.kv_heads == 2);
  CHECK(spec.head_dim == 16);
  CHECK(spec.value_dim == 8);
  CHECK(spec.d_model == 64);
  CHECK(spec.ffn_hidden == 256);
  CHECK(spec.file == m.path());
  CHECK(load_model("TINY", m.dir()).heads == 4);  // found by name in its folder
  TempModel w(std::string(kGood) + "window: 128\n");
  CHECK(load_model(w.path(), w.dir()).window == std::optional<std::int64_t>(128));
}

TEST_CASE("an unknown key is an error at the key", "[model]") {
  const CascadeError e = load_error(replace(kGood, "heads: 4", "haeds: 4"));
  CHECK(e.loc().line == 5);
  CHECK(e.loc().col == 1);
  CHECK(e.message() == "unknown key 'haeds' in a model file");
  CHECK(e.expected().find("kv_heads") != std::string::npos);
  CHECK(std::string(e.what()).find(":5:1: error: unknown key 'haeds'") != std::string::npos);
  CHECK(std::string(e.what()).find(" 5 | haeds: 4") != std::string::npos);
}

TEST_CASE("a missing key is an error naming it", "[model]") {
  for (const char* key : {"name", "source", "batch", "heads", "kv_heads", "head_dim", "value_dim", "d_model", "ffn_hidden"}) {
    INFO(key);
    std::string text;
    std::istringstream lines(kGood);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(std::string(key) + ":", 0) != 0) text += line + "\n";
    }
    const CascadeError e = load_error(text);
    CHECK(e.message() == "missing key '" + std::string(key) + "'");
    CHECK(e.loc().line >= 1);
  }
}

TEST_CASE("a bad value is an error at the value", "[model]") {
  struct Case {
    const char* from;
    const char* to;
    std::uint32_t line, col;
    const char* message;
  };
  for (const Case& c : {Case{"heads: 4", "heads: four", 5, 8, "bad value 'four' for 'heads'"},
                        Case{"batch: 2", "batch: 0", 4, 8, "bad value '0' for 'batch'"},
                        Case{"batch: 2", "batch: -2", 4, 8, "bad value '-2' for 'batch'"},
                        Case{"head_dim: 16", "head_dim: 16.0", 7, 11, "bad value '16.0' for 'head_dim'"},
                        Case{"d_model: 64", "d_model: [64]", 9, 10, "'d_model' must be a positive integer"},
                        Case{"name: Tiny", "name: [a, b]", 2, 7, "'name' must be a non-empty text"},
                        Case{"kv_heads: 2", "kv_heads: 3", 6, 11, "heads = 4 is not a multiple of kv_heads = 3"},
                        Case{"batch: 2", "batch: 99999999999999999999", 4, 8,
                             "bad value '99999999999999999999' for 'batch'"}}) {
    INFO(c.to);
    const CascadeError e = load_error(replace(kGood, c.from, c.to));
    CHECK(e.message() == c.message);
    CHECK(e.loc().line == c.line);
    CHECK(e.loc().col == c.col);
  }
  TempModel w(std::string(kGood) + "window: 0\n");
  CHECK_THROWS_WITH(load_model(w.path(), w.dir()), Catch::Contains(":11:9: error: bad value '0' for 'window'"));
}

TEST_CASE("malformed YAML, a repeated key and a non-mapping are errors with positions", "[model]") {
  const CascadeError syntax = load_error(replace(kGood, "heads: 4", "heads: [4"));
  CHECK(syntax.message().rfind("YAML syntax error", 0) == 0);
  CHECK(syntax.loc().known());
  const CascadeError twice = load_error(std::string(kGood) + "heads: 8\n");
  CHECK(twice.message() == "key 'heads' is given twice");
  CHECK(twice.loc().line == 11);
  CHECK(load_error("- a\n- b\n").message() == "a model file must be a mapping of keys to values");
  CHECK(load_error("").message() == "a model file must be a mapping of keys to values");
}

TEST_CASE("model_shape sizes exactly the names a cascade declares", "[model]") {
  const ModelSpec bert = load_model("bert", kModels);
  const Cascade one_pass = parse_cascade_file(kCascades + "/softmax_1pass.ein");
  const ShapeAssignment s = model_shape(bert, 1024, one_pass);
  CHECK(s == ShapeAssignment{{"B", 64}, {"H", 12}, {"E", 64}, {"F", 64}, {"P", 1024}, {"M", 1024}});
  const BoundShape bound = bind_shape(one_pass, s);
  CHECK(bound.extent(*one_pass.find_rank("M1")) == 4);

  // GQA: H and G are plain ranks there.
  const ModelSpec llama = load_model("llama3_8b", kModels);
  const Cascade gqa = parse_cascade_file(kCascades + "/gqa_1pass.ein");
  CHECK(model_shape(llama, 4096, gqa) ==
        ShapeAssignment{{"B", 1}, {"H", 32}, {"G", 8}, {"E", 128}, {"F", 128}, {"P", 4096}, {"M", 4096}});
  CHECK_NOTHROW(bind_shape(gqa, model_shape(llama, 4096, gqa)));

  // Decode (`rank P = 1`): one query against seq_len keys.
  const Cascade decode = parse_cascade_file(kCascades + "/decode_splitkv.ein");
  const ShapeAssignment ds = model_shape(llama, 8192, decode);
  CHECK(ds.at("P") == 1);
  CHECK(ds.at("M") == 8192);
  CHECK(ds.count("L") == 0);

  // The window comes from the model when both have one.
  const Cascade window = parse_cascade_file(kCascades + "/window_1pass.ein");
  CHECK(model_shape(load_model("mistral_7b", kModels), 16384, window).at("W") == 4096);
  CHECK(model_shape(bert, 1024, window).count("W") == 0);  // BERT has none: the default stays
  CHECK(model_shape(load_model("mistral_7b", kModels), 1024, one_pass).count("W") == 0);

  CHECK_THROWS_AS(model_shape(bert, 0, one_pass), CascadeError);
}

TEST_CASE("default_models_dir finds the shipped models", "[model]") {
  const std::string dir = default_models_dir();
  CHECK(std::filesystem::exists(std::filesystem::path(dir) / "bert.yaml"));
  CHECK(load_model("t5", dir).heads == 8);
}
