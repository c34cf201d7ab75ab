#include "einfuse/isa/opcode.hpp"

#include <stdexcept>

namespace einfuse::isa {
namespace {

using mapper::ArrayOp;
using mapper::kArrayOpCount;

constexpr const char* kForms[] = {"map", "reduce", "scan"};

}  // namespace

std::string opcode_name(Opcode o) {
  return std::string(kForms[static_cast<int>(o.form)]) + "." + mapper::array_op_name(o.op);
}

Opcode parse_opcode(std::string_view name) {
  for (int f = 0; f < 3; ++f)
    for (std::size_t k = 0; k < kArrayOpCount; ++k) {
      const Opcode o{static_cast<Form>(f), static_cast<ArrayOp>(k)};
      if (name == opcode_name(o)) return o;
    }
  throw std::invalid_argument("unknown opcode '" + std::string(name) + "' (form.op, e.g. reduce.mac)");
}

std::uint8_t opcode_code(Opcode o) { return static_cast<std::uint8_t>(static_cast<int>(o.form) * 8 + static_cast<int>(o.op)); }

Opcode opcode_from_code(std::uint8_t code) {
  if (code / 8 > 2 || code % 8 >= kArrayOpCount) throw std::invalid_argument("no opcode has code " + std::to_string(code));
  return {static_cast<Form>(code / 8), static_cast<ArrayOp>(code % 8)};
}

Opcode classify(const mapper::WorkloadEinsum& e) {
  Opcode o;
  o.form = !e.sequential_ranks.empty() ? Form::scan : !e.reduced_ranks.empty() ? Form::reduce : Form::map;
  for (ArrayOp op : {ArrayOp::exp, ArrayOp::divide, ArrayOp::mac, ArrayOp::max, ArrayOp::min, ArrayOp::cmp, ArrayOp::add})
    if (e.ops[static_cast<std::size_t>(op)] > 0) {
      o.op = op;
      return o;
    }
  return o;  // an Einsum without ops (a copy): map.add, which the arrays run as a move
}

}  // namespace einfuse::isa
