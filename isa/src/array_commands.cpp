#include "einfuse/isa/array_commands.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace einfuse::isa {

const CommandTable& pe2d_command_table() {
  static const CommandTable t{
      "pe2d_cmds.vh",
      "The 2D array's commands (pe2d_array.v, docs/rtl-arrays.md).",
      "CMD_",
      3,
      {{"nop", 0, "idle"},
       {"mac_first", 1, "first beat of a contraction: acc = q x k"},
       {"mac", 2, "further beats: acc += q x k"},
       {"max_reduce", 3, "column maximum of acc down the PE chain"},
       {"sub_exp", 4, "acc = exp(acc - rm), rm per column"},
       {"sum_reduce", 5, "column sum of acc down the PE chain"},
       {"mac_sum_stream", 6, "column sums of bf16(acc) x v, one f per cycle, systolic"}}};
  return t;
}

const CommandTable& pe1d_command_table() {
  static const CommandTable t{"pe1d_ops.vh",
                              "The 1D array's commands (pe1d.v, pe1d_array.v, docs/rtl-arrays.md).",
                              "V_",
                              3,
                              {{"nop", 0, "idle"},
                               {"init", 1, "rm = -inf, rd = 0, every rnv entry = 0"},
                               {"max_merge", 2, "rm' = max(rm, x)"},
                               {"exp_diff", 3, "prm = exp(rm_old - rm')"},
                               {"scale_add", 4, "rd = rd x prm + x"},
                               {"recip", 5, "rcp = 1 / rd"},
                               {"scale_add_entry", 6, "rnv[f] = rnv[f] x prm + x"},
                               {"normalize_entry", 7, "av = rnv[f] x rcp, 0 where rd = 0"}}};
  return t;
}

const CommandTable& pe2d_micro_op_table() {
  static const CommandTable t{"pe2d_ops.vh",
                              "The 2D array's PE micro-ops (pe2d.v), broadcast by the array's controller (pe2d_array.v).",
                              "PE_",
                              3,
                              {{"nop", 0, "idle"},
                               {"mac_first", 1, "acc = a x b"},
                               {"mac", 2, "acc += a x b"},
                               {"sub", 3, "acc -= rm"},
                               {"exp", 4, "one step of the exp MAC sequence"},
                               {"max", 5, "red = max(red_in, acc)"},
                               {"sum", 6, "red = red_in + acc"},
                               {"mac_sum", 7, "red = red_in + bf16(acc) x v"}}};
  return t;
}

const std::vector<const CommandTable*>& command_tables() {
  static const std::vector<const CommandTable*> all = {&pe2d_command_table(), &pe1d_command_table(),
                                                       &pe2d_micro_op_table()};
  return all;
}

std::string verilog_include(const CommandTable& t) {
  std::string out = "// " + std::string(t.comment) +
                    " Included inside a module.\n// Generated from isa/src/array_commands.cpp "
                    "(EINFUSE_REGEN_ISA_CODES=1 ctest -R isa); do not edit.\n";
  std::size_t width = 0;
  for (const CommandCode& c : t.codes) width = std::max(width, std::strlen(t.prefix) + std::strlen(c.name));
  const std::string bits = std::to_string(t.bits);
  for (const CommandCode& c : t.codes) {
    std::string name = t.prefix;
    for (const char* p = c.name; *p; ++p) name += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
    name.resize(width, ' ');
    out += "localparam [" + std::to_string(t.bits - 1) + ":0] " + name + " = " + bits + "'d" + std::to_string(c.code) +
           ";  // " + c.meaning + "\n";
  }
  return out;
}

}  // namespace einfuse::isa
