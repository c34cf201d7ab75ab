// The opcode of an array command: what the array does to a tile, named for the operation, not
// for the Einsum it came from. A form (map: one output per point; reduce: a reduction over
// ranks; scan: a running value stepped through a rank) and the op that dominates its cost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "einfuse/mapper/cost_model.hpp"

namespace einfuse::isa {

enum class Form : std::uint8_t { map, reduce, scan };

struct Opcode {
  Form form = Form::map;
  mapper::ArrayOp op = mapper::ArrayOp::add;
  bool operator==(const Opcode&) const = default;
};

/// "map.exp", "reduce.mac", "scan.max", ...
std::string opcode_name(Opcode o);
/// The inverse of opcode_name; throws std::invalid_argument for an unknown name.
Opcode parse_opcode(std::string_view name);
/// One byte: form x 8 + op (docs/isa.md, encoding).
std::uint8_t opcode_code(Opcode o);
/// Throws std::invalid_argument for a byte no opcode has.
Opcode opcode_from_code(std::uint8_t code);

/// The opcode of an Einsum's tile: scan when it steps a running value (sequential ranks),
/// reduce when it reduces ranks, else map; the op is the first it uses of exp, divide, mac,
/// max, min, cmp, add (the costliest first; a reduction's combining op when it has no other).
Opcode classify(const mapper::WorkloadEinsum& einsum);

}  // namespace einfuse::isa
