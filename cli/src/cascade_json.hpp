// The machine-readable description of a cascade and its analyses (`einfuse check --json`).
// The format is documented in docs/cli.md.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/footprint.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::cli {

nlohmann::json ranks_json(const einsum::Cascade& c, const einsum::BoundShape& shape);
nlohmann::json tensors_json(const einsum::Cascade& c, const einsum::BoundShape& shape);
nlohmann::json einsums_json(const einsum::Cascade& c);
nlohmann::json footprint_json(const einsum::Cascade& c, const einsum::Footprint& fp);
void print_footprint_table(std::ostream& out, const einsum::Cascade& c, const einsum::Footprint& fp);
/// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t v);
/// One Einsum as cascade text: `LM[m1,p] = max(m0) QK[m1,m0,p]`.
std::string einsum_text(const einsum::Cascade& c, const einsum::Einsum& e);

}  // namespace einfuse::cli
