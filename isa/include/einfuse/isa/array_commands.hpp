// The commands the RTL arrays decode (rtl/arrays), kept in one list here: the C++ driver uses
// the enums, and the Verilog includes (pe2d_cmds.vh, pe1d_ops.vh, pe2d_ops.vh) are generated
// from the tables below (tests/isa checks the files in the tree equal the generated text;
// EINFUSE_REGEN_ISA_CODES=1 rewrites them). Names say the operation, not the Einsum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace einfuse::isa {

/// The 2D array's commands (pe2d_array.v).
enum class Pe2dCommand : std::uint8_t {
  nop = 0,
  mac_first = 1,   ///< first beat of a contraction: acc = q x k
  mac = 2,         ///< further beats: acc += q x k
  max_reduce = 3,  ///< the column maximum of acc down the PE chain (N cycles)
  sub_exp = 4,     ///< acc = exp(acc - rm), rm per column (sub, then the exp sequence)
  sum_reduce = 5,  ///< the column sum of acc down the PE chain (N cycles)
  /// the column sums of bf16(acc) x v for a stream of F vectors v, one per cycle, through the
  /// pipelined PE chain (F + N - 1 cycles)
  mac_sum_stream = 6,
};
/// The 1D array's commands (pe1d_array.v, pe1d.v).
enum class Pe1dCommand : std::uint8_t {
  nop = 0,
  init = 1,             ///< rm = -inf, rd = 0, every rnv entry = 0
  max_merge = 2,        ///< rm' = max(rm, x); the old rm kept
  exp_diff = 3,         ///< prm = exp(rm_old - rm')
  scale_add = 4,        ///< rd = rd x prm + x
  recip = 5,            ///< rcp = 1 / rd
  scale_add_entry = 6,  ///< rnv[f] = rnv[f] x prm + x (register-file entry f)
  normalize_entry = 7,  ///< av = rnv[f] x rcp, 0 where rd = 0
};
/// The micro-ops the 2D array broadcasts to its PEs (pe2d.v).
enum class Pe2dMicroOp : std::uint8_t {
  nop = 0,
  mac_first = 1,
  mac = 2,
  sub = 3,
  exp = 4,
  max = 5,
  sum = 6,
  mac_sum = 7,  ///< red = red_in + bf16(acc) x v (one step of the SLNV chain)
};

struct CommandCode {
  const char* name;  ///< lower case; the Verilog constant is PREFIX + upper case
  std::uint8_t code;
  const char* meaning;
};

/// One Verilog include: its file, what it is, the constants' prefix and width, the codes.
struct CommandTable {
  const char* file;     ///< under rtl/arrays
  const char* comment;  ///< the file's first lines
  const char* prefix;   ///< "CMD_", "V_", "PE_"
  int bits = 3;
  std::vector<CommandCode> codes;
};

const CommandTable& pe2d_command_table();
const CommandTable& pe1d_command_table();
const CommandTable& pe2d_micro_op_table();
const std::vector<const CommandTable*>& command_tables();

/// The include's text: the comment, then `localparam [B-1:0] PREFIX_NAME = B'dCODE;` per code.
std::string verilog_include(const CommandTable& table);

}  // namespace einfuse::isa
