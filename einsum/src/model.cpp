// Model files (docs/models.md): strict YAML reading, so a typo in a key or a value is an
// error with its position rather than a silently different shape.
#include "einfuse/einsum/model.hpp"

#include "einfuse/einsum/data_dir.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

namespace einfuse::einsum {
namespace {

namespace fs = std::filesystem;

// yaml-cpp marks are 0-based; a mark of -1 means "unknown".
SourceLoc loc_of(const YAML::Mark& mark, std::size_t length = 1) {
  if (mark.line < 0 || mark.column < 0) return SourceLoc{};
  return SourceLoc{static_cast<std::uint32_t>(mark.line + 1),
                   static_cast<std::uint32_t>(mark.column + 1),
                   static_cast<std::uint32_t>(std::max<std::size_t>(length, 1))};
}

std::size_t scalar_length(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar().size() : 1;
}

// Reads one model file; every check reports the position of the offending node.
class ModelReader {
 public:
  ModelReader(std::string path, std::string text)
      : source_(std::make_shared<SourceText>(SourceText{std::move(path), std::move(text)})) {}

  ModelSpec read() {
    YAML::Node root;
    try {
      root = YAML::Load(source_->text);
    } catch (const YAML::ParserException& e) {
      fail(loc_of(e.mark), "YAML syntax error: " + e.msg, "a mapping of 'key: value' lines (docs/models.md)");
    }
    if (!root.IsMap()) {
      fail(root.IsDefined() && !root.IsNull() ? loc_of(root.Mark()) : SourceLoc{1, 1, 1},
           "a model file must be a mapping of keys to values", "'key: value' lines (docs/models.md)");
    }
    ModelSpec m;
    m.file = source_->name;
    std::set<std::string> seen;
    for (const auto& entry : root) {
      const YAML::Node key = entry.first;
      const YAML::Node value = entry.second;
      if (!key.IsScalar()) fail(loc_of(key.Mark()), "a model key must be a plain name", expected_keys());
      const std::string& k = key.Scalar();
      const SourceLoc kloc = loc_of(key.Mark(), k.size());
      if (!seen.insert(k).second) fail(kloc, "key '" + k + "' is given twice", "each key once");
      if (k == "name") m.name = text(value, k);
      else if (k == "source") m.source = text(value, k);
      else if (k == "batch") m.batch = positive(value, k);
      else if (k == "heads") m.heads = positive(value, k);
      else if (k == "kv_heads") m.kv_heads = positive(value, k);
      else if (k == "head_dim") m.head_dim = positive(value, k);
      else if (k == "value_dim") m.value_dim = positive(value, k);
      else if (k == "d_model") m.d_model = positive(value, k);
      else if (k == "ffn_hidden") m.ffn_hidden = positive(value, k);
      else if (k == "window") m.window = positive(value, k);
      else fail(kloc, "unknown key '" + k + "' in a model file", expected_keys());
    }
    for (const char* required : kRequired) {
      if (!seen.count(required)) {
        fail(loc_of(root.Mark()), "missing key '" + std::string(required) + "'",
             "every one of: " + required_list() + " (and optionally window)");
      }
    }
    if (m.heads % m.kv_heads != 0) {
      fail(loc_of(root["kv_heads"].Mark(), scalar_length(root["kv_heads"])),
           "heads = " + std::to_string(m.heads) + " is not a multiple of kv_heads = " + std::to_string(m.kv_heads),
           "kv_heads dividing heads (each KV head serves heads / kv_heads query heads)");
    }
    return m;
  }

 private:
  static constexpr std::array<const char*, 9> kRequired = {
      "name", "source", "batch", "heads", "kv_heads", "head_dim", "value_dim", "d_model", "ffn_hidden"};

  static std::string required_list() {
    std::string out;
    for (const char* k : kRequired) out += (out.empty() ? "" : ", ") + std::string(k);
    return out;
  }
  static std::string expected_keys() { return "one of: " + required_list() + ", window"; }

  std::string text(const YAML::Node& value, const std::string& key) {
    if (!value.IsScalar() || value.Scalar().empty()) {
      fail(loc_of(value.Mark(), scalar_length(value)), "'" + key + "' must be a non-empty text", "a string");
    }
    return value.Scalar();
  }

  std::int64_t positive(const YAML::Node& value, const std::string& key) {
    const SourceLoc loc = loc_of(value.Mark(), scalar_length(value));
    if (!value.IsScalar()) fail(loc, "'" + key + "' must be a positive integer", "a positive integer, e.g. 64");
    const std::string& s = value.Scalar();
    std::int64_t v = 0;
    bool ok = !s.empty();
    for (char ch : s) {
      if (!std::isdigit(static_cast<unsigned char>(ch)) ||
          v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        ok = false;
        break;
      }
      v = v * 10 + (ch - '0');
    }
    if (!ok || v <= 0) {
      fail(loc, "bad value '" + s + "' for '" + key + "'", "a positive integer, e.g. 64");
    }
    return v;
  }

  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) {
    throw CascadeError(source_.get(), loc, message, expected);
  }

  std::shared_ptr<const SourceText> source_;
};

}  // namespace

ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir) {
  const fs::path path = resolve_named_yaml(name_or_path, models_dir, "--model", "model");
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {  // a directory opens as an empty stream
    SourceText src{path.string(), ""};
    throw CascadeError(&src, SourceLoc{}, "cannot open model file '" + path.string() + "'",
                       "a readable .yaml file (docs/models.md)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ModelReader(path.string(), text.str()).read();
}

ShapeAssignment model_shape(const ModelSpec& model, std::int64_t seq_len, const Cascade& cascade) {
  if (seq_len <= 0) {
    SourceText src{"--seq", std::to_string(seq_len)};
    throw CascadeError(&src, SourceLoc{1, 1, 1}, "sequence length must be positive", "a length like 512, 4K or 1M");
  }
  // A name the cascade can take a size for: a rank that is not a split part, or a
  // parameter that is not derived with `let`.
  auto settable = [&](const char* name) {
    if (auto r = cascade.find_rank(name)) {
      return cascade.ranks[static_cast<std::size_t>(*r)].kind != Rank::Kind::split_part;
    }
    if (auto p = cascade.find_param(name)) return cascade.params[static_cast<std::size_t>(*p)].definition == nullptr;
    return false;
  };
  ShapeAssignment out;
  auto set = [&](const char* name, std::int64_t value) {
    if (settable(name)) out[name] = value;
  };
  set("B", model.batch);
  set("H", model.heads);
  set("G", model.kv_heads);
  set("E", model.head_dim);
  set("F", model.value_dim);
  set("D", model.d_model);
  set("S", model.ffn_hidden);
  set("M", seq_len);
  // A cascade that declares `rank P = 1` is a decode step: one new query per sequence
  // against a cache of seq_len keys. Every other cascade is self-attention over seq_len.
  bool decode = false;
  if (auto p = cascade.find_rank("P")) {
    decode = cascade.ranks[static_cast<std::size_t>(*p)].default_extent == std::optional<std::int64_t>(1);
  }
  set("P", decode ? 1 : seq_len);
  if (model.window) set("W", *model.window);
  return out;
}

std::string default_models_dir() { return find_workloads_dir("models"); }

}  // namespace einfuse::einsum
