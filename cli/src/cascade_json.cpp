#include "cascade_json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace einfuse::cli {
using einsum::Cascade;
using einsum::Einsum;
using einsum::Rank;
using einsum::Tensor;

namespace {

std::string rank_kind(Rank::Kind k) {
  switch (k) {
    case Rank::Kind::plain: return "rank";
    case Rank::Kind::batch: return "batch";
    case Rank::Kind::split_part: return "split_part";
  }
  return "rank";
}

// JSON has no infinities: they are written as the strings "inf" and "-inf".
nlohmann::json json_number(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  return v;
}

std::string role_name(Tensor::Role r) {
  switch (r) {
    case Tensor::Role::input: return "input";
    case Tensor::Role::output: return "output";
    case Tensor::Role::intermediate: return "intermediate";
  }
  return "intermediate";
}

std::string slot_list(const Cascade& c, const Tensor& t, bool iterative_marks) {
  std::string s;
  for (std::size_t i = c.batch_ranks.size(); i < t.ranks.size(); ++i) {
    if (!s.empty()) s += ",";
    s += c.ranks[static_cast<std::size_t>(t.ranks[i])].index;
    if (iterative_marks && t.iterative[i]) s += "+1";
  }
  return s;
}

}  // namespace

std::string with_commas(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string einsum_text(const Cascade& c, const Einsum& e) {
  const Tensor& t = c.tensors[static_cast<std::size_t>(e.output)];
  std::string s = t.name + "[" + slot_list(c, t, true) + "] = ";
  auto var = [&](einsum::RankId r) { return c.ranks[static_cast<std::size_t>(r)].index; };
  if (e.populate != Einsum::Populate::none) {
    s += std::string(e.populate == Einsum::Populate::topk ? "topk(" : "filter(") + var(e.source_var) +
         " -> " + var(e.target_var) + ") ";
  } else if (!e.outer_vars.empty()) {
    s += std::string(reduce_op_name(e.outer_op)) + "(";
    for (std::size_t i = 0; i < e.outer_vars.size(); ++i) {
      if (i) s += ",";
      s += var(e.outer_vars[i]);
    }
    s += ") ";
  }
  s += to_string(c, *e.body);
  if (e.where) s += " where " + to_string(c, *e.where);
  if (e.init) {
    einsum::Expr init;
    init.value = *e.init;
    s += " init " + to_string(c, init);
  }
  return s;
}

nlohmann::json ranks_json(const Cascade& c, const einsum::BoundShape& shape) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t r = 0; r < c.ranks.size(); ++r) {
    const Rank& rank = c.ranks[r];
    nlohmann::json j{{"name", rank.name}, {"index", rank.index}, {"kind", rank_kind(rank.kind)},
                     {"extent", shape.rank_extent[r]}};
    if (rank.kind == Rank::Kind::split_part) {
      j["split_of"] = c.ranks[static_cast<std::size_t>(rank.split_of)].name;
      j["level"] = rank.split_level;
    }
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json tensors_json(const Cascade& c, const einsum::BoundShape& shape) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t t = 0; t < c.tensors.size(); ++t) {
    const Tensor& tensor = c.tensors[t];
    nlohmann::json slots = nlohmann::json::array();
    for (std::size_t s = 0; s < tensor.ranks.size(); ++s) {
      slots.push_back({{"rank", c.ranks[static_cast<std::size_t>(tensor.ranks[s])].name},
                       {"extent", shape.slot_extent(c, static_cast<einsum::TensorId>(t), s)},
                       {"iterative", static_cast<bool>(tensor.iterative[s])}});
    }
    out.push_back({{"name", tensor.name},
                   {"role", role_name(tensor.role)},
                   {"dtype", std::string(einsum::dtype_name(tensor.dtype))},
                   {"acc", std::string(einsum::dtype_name(tensor.acc))},
                   {"default", json_number(tensor.default_value)},
                   {"slots", slots},
                   {"elements", shape.elements(c, static_cast<einsum::TensorId>(t))}});
  }
  return out;
}

nlohmann::json einsums_json(const Cascade& c) {
  nlohmann::json out = nlohmann::json::array();
  auto names = [&](const std::vector<einsum::RankId>& vars) {
    nlohmann::json a = nlohmann::json::array();
    for (auto v : vars) a.push_back(c.ranks[static_cast<std::size_t>(v)].index);
    return a;
  };
  for (const Einsum& e : c.einsums) {
    nlohmann::json reads = nlohmann::json::array();
    for (auto t : e.reads) reads.push_back(c.tensors[static_cast<std::size_t>(t)].name);
    nlohmann::json j{{"output", e.label},
                     {"text", einsum_text(c, e)},
                     {"line", e.loc.line},
                     {"iteration_vars", names(e.iteration_vars)},
                     {"reduced_with_sum", names(e.inner_vars)},
                     {"reads", reads}};
    if (!e.outer_vars.empty()) {
      j["outer_reduction"] = {{"op", reduce_op_name(e.outer_op)}, {"vars", names(e.outer_vars)}};
    }
    if (e.step_var >= 0) j["iterative_over"] = c.ranks[static_cast<std::size_t>(e.step_var)].index;
    if (e.where) j["where"] = to_string(c, *e.where);
    if (e.populate != Einsum::Populate::none) {
      j["populate"] = e.populate == Einsum::Populate::topk ? "topk" : "filter";
    }
    out.push_back(std::move(j));
  }
  return out;
}

namespace {
nlohmann::json rank_names(const Cascade& c, const std::vector<einsum::RankId>& ranks) {
  nlohmann::json a = nlohmann::json::array();
  for (auto r : ranks) a.push_back(c.ranks[static_cast<std::size_t>(r)].name);
  return a;
}
}  // namespace

nlohmann::json footprint_json(const Cascade& c, const einsum::Footprint& fp) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : fp.tensors) {
    tensors.push_back({{"name", c.tensors[static_cast<std::size_t>(t.tensor)].name},
                       {"elements", t.elements},
                       {"bytes", t.bytes},
                       {"grows_with", rank_names(c, t.grows_with)},
                       {"live_across_passes", rank_names(c, t.live_across_passes)}});
  }
  nlohmann::json ranks = nlohmann::json::object();
  for (const auto& r : fp.ranks) {
    nlohmann::json live = nlohmann::json::array();
    for (auto t : r.live) live.push_back(c.tensors[static_cast<std::size_t>(t)].name);
    ranks[c.ranks[static_cast<std::size_t>(r.rank)].name] = {
        {"passes", r.passes}, {"live", live}, {"bytes_live", r.bytes_live}, {"bytes_growing", r.bytes_growing}};
  }
  return {{"tensors", tensors},
          {"ranks", ranks},
          {"input_bytes", fp.input_bytes},
          {"output_bytes", fp.output_bytes},
          {"intermediate_bytes", fp.intermediate_bytes}};
}

void print_footprint_table(std::ostream& out, const Cascade& c, const einsum::Footprint& fp) {
  out << fmt::format("{:<10} {:<12} {:>20} {:>20}  {:<14} {}\n", "tensor", "role", "elements", "bytes",
                     "grows with", "live across passes over");
  for (const auto& t : fp.tensors) {
    const Tensor& tensor = c.tensors[static_cast<std::size_t>(t.tensor)];
    std::string grows, live;
    for (auto r : t.grows_with) grows += (grows.empty() ? "" : ",") + c.ranks[static_cast<std::size_t>(r)].name;
    for (auto r : t.live_across_passes) live += (live.empty() ? "" : ",") + c.ranks[static_cast<std::size_t>(r)].name;
    out << fmt::format("{:<10} {:<12} {:>20} {:>20}  {:<14} {}\n", tensor.name, role_name(tensor.role),
                       with_commas(t.elements), with_commas(t.bytes), grows, live.empty() ? "-" : live);
  }
  for (const auto& r : fp.ranks) {
    if (r.passes < 2) continue;  // one pass keeps nothing between passes
    const std::string& name = c.ranks[static_cast<std::size_t>(r.rank)].name;
    out << fmt::format("\nkept between the {} passes over {}: {} bytes, {} of them in tensors that grow with {}",
                       r.passes, name, with_commas(r.bytes_live), with_commas(r.bytes_growing), name);
  }
  out << "\n";
}

}  // namespace einfuse::cli
