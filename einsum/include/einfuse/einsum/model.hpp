// Model shapes: one YAML file per model in workloads/models (schema in docs/models.md)
// gives batch, heads, head dims and layer widths; model_shape() turns a model and a
// sequence length into sizes for one cascade.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

/// One model's attention layer, as read from workloads/models/NAME.yaml.
struct ModelSpec {
  std::string name;             ///< display name, e.g. "BERT"
  std::string source;           ///< where the numbers come from (paper, table, config)
  std::int64_t batch = 0;       ///< sequences processed together
  std::int64_t heads = 0;       ///< query heads H
  std::int64_t kv_heads = 0;    ///< key/value heads G (= heads without GQA/MQA)
  std::int64_t head_dim = 0;    ///< E: query/key head dimension
  std::int64_t value_dim = 0;   ///< F: value head dimension
  std::int64_t d_model = 0;     ///< D: hidden size (input of the Q/K/V projections)
  std::int64_t ffn_hidden = 0;  ///< S: hidden size of the feed-forward block
  std::optional<std::int64_t> window;  ///< W: sliding-window length, if the model has one
  std::string file;             ///< the file it was read from
};

/// Loads a model. `name_or_path` is a path to a .yaml file (it contains a '/' or ends in
/// .yaml/.yml), or a bare name matched case-insensitively against the file stems in
/// `models_dir`, with '-' and '_' treated alike ("BERT", "bert", "Llama3-8B" ->
/// llama3_8b.yaml). Throws CascadeError with file:line:col on a YAML syntax error, an
/// unknown or repeated key, a missing key, or a bad value; and naming the available
/// models when a name matches none.
ModelSpec load_model(const std::string& name_or_path, const std::string& models_dir);

/// Sizes for `cascade` from a model and a sequence length, only for the names the cascade
/// declares as a rank (not a split part) or a non-derived parameter:
///   B = batch, H = heads, G = kv_heads, E = head_dim, F = value_dim, D = d_model,
///   S = ffn_hidden, M = seq_len,
///   P = seq_len (self-attention prefill), or 1 when the cascade declares `rank P = 1`
///   (a decode cascade), W = window when the model has one.
/// `--shape` entries are applied on top by the caller.
ShapeAssignment model_shape(const ModelSpec& model, std::int64_t seq_len, const Cascade& cascade);

/// Where the model files live, the first that exists of:
///   $EINFUSE_DATA_DIR/workloads/models,
///   workloads/models in a folder above the running executable (a build tree), or
///   share/einfuse/workloads/models beside its bin/ (an install),
///   the source tree this library was built from (EINFUSE_SOURCE_DIR).
/// Returns the last candidate when none exists, so the error names a real path.
std::string default_models_dir();

}  // namespace einfuse::einsum
