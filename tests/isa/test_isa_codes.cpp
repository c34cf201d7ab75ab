// The names and codes isa/ keeps once: blocks, opcodes, and the RTL arrays' command codes,
// whose Verilog includes in rtl/arrays must equal the text generated from the C++ list.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/isa/array_commands.hpp"
#include "einfuse/isa/blocks.hpp"
#include "einfuse/isa/opcode.hpp"
#include "einfuse/isa/run_result.hpp"

using namespace einfuse::isa;

TEST_CASE("isa: the rtl command includes are generated from the C++ list", "[isa]") {
  for (const CommandTable* t : command_tables()) {
    const std::string path = std::string(EINFUSE_SOURCE_DIR) + "/rtl/arrays/" + t->file;
    const std::string generated = verilog_include(*t);
    if (const char* regen = std::getenv("EINFUSE_REGEN_ISA_CODES"); regen && std::string(regen) == "1") {
      einfuse::einsum::write_file_safely(path, generated);
      WARN("rewrote " << path);
    }
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    INFO(path << " differs from isa/src/array_commands.cpp; regenerate with EINFUSE_REGEN_ISA_CODES=1");
    CHECK(ss.str() == generated);
    // Codes are distinct and fit the width; every code appears in the text.
    std::set<int> seen;
    for (const CommandCode& c : t->codes) {
      CHECK(seen.insert(c.code).second);
      CHECK(c.code < (1 << t->bits));
      CHECK(generated.find("= 3'd" + std::to_string(c.code) + ";") != std::string::npos);
    }
  }
}

TEST_CASE("isa: the C++ enums carry the table's codes", "[isa]") {
  auto code = [](const CommandTable& t, const char* name) {
    for (const CommandCode& c : t.codes)
      if (std::string(c.name) == name) return static_cast<int>(c.code);
    FAIL("no command " << name);
    return -1;
  };
  const CommandTable& t2 = pe2d_command_table();
  CHECK(code(t2, "nop") == static_cast<int>(Pe2dCommand::nop));
  CHECK(code(t2, "mac_first") == static_cast<int>(Pe2dCommand::mac_first));
  CHECK(code(t2, "mac") == static_cast<int>(Pe2dCommand::mac));
  CHECK(code(t2, "max_reduce") == static_cast<int>(Pe2dCommand::max_reduce));
  CHECK(code(t2, "sub_exp") == static_cast<int>(Pe2dCommand::sub_exp));
  CHECK(code(t2, "sum_reduce") == static_cast<int>(Pe2dCommand::sum_reduce));
  CHECK(code(t2, "mac_sum_stream") == static_cast<int>(Pe2dCommand::mac_sum_stream));
  const CommandTable& t1 = pe1d_command_table();
  CHECK(code(t1, "init") == static_cast<int>(Pe1dCommand::init));
  CHECK(code(t1, "max_merge") == static_cast<int>(Pe1dCommand::max_merge));
  CHECK(code(t1, "exp_diff") == static_cast<int>(Pe1dCommand::exp_diff));
  CHECK(code(t1, "scale_add") == static_cast<int>(Pe1dCommand::scale_add));
  CHECK(code(t1, "recip") == static_cast<int>(Pe1dCommand::recip));
  CHECK(code(t1, "scale_add_entry") == static_cast<int>(Pe1dCommand::scale_add_entry));
  CHECK(code(t1, "normalize_entry") == static_cast<int>(Pe1dCommand::normalize_entry));
  const CommandTable& tm = pe2d_micro_op_table();
  CHECK(code(tm, "mac_first") == static_cast<int>(Pe2dMicroOp::mac_first));
  CHECK(code(tm, "sum") == static_cast<int>(Pe2dMicroOp::sum));
  CHECK(code(tm, "mac_sum") == static_cast<int>(Pe2dMicroOp::mac_sum));
}

TEST_CASE("isa: block and opcode names round-trip", "[isa]") {
  std::set<std::string> names;
  for (Block b : all_blocks()) {
    CHECK(parse_block(block_name(b)) == b);
    CHECK(names.insert(block_name(b)).second);
  }
  CHECK(std::string(module_name(Block::pe2d_array)) == "Pe2dArray");
  CHECK_THROWS_WITH(parse_block("pe3d_array"), Catch::Contains("known: controller"));
  for (int f = 0; f < 3; ++f)
    for (std::size_t k = 0; k < einfuse::mapper::kArrayOpCount; ++k) {
      const Opcode o{static_cast<Form>(f), static_cast<einfuse::mapper::ArrayOp>(k)};
      CHECK(parse_opcode(opcode_name(o)) == o);
      CHECK(opcode_from_code(opcode_code(o)) == o);
    }
  CHECK_THROWS(opcode_from_code(7));
  CHECK_THROWS(opcode_from_code(24));
  CHECK_THROWS_WITH(parse_opcode("reduce.sqrt"), Catch::Contains("unknown opcode"));
}

TEST_CASE("isa: a run result's JSON names every stall cause and unit", "[isa]") {
  RunResult r;
  r.executor = "sim";
  r.mode = "timing";
  r.cycles = 1234;
  UnitActivity u;
  u.name = "pe2d";
  u.block = Block::pe2d_array;
  u.busy_cycles = 1000;
  u.stalls[static_cast<std::size_t>(StallCause::dram)] = 34;
  u.actions[static_cast<std::size_t>(einfuse::mapper::ArrayOp::mac)] = 77;
  r.units.push_back(u);
  const std::string j = to_json(r);
  for (const char* key : {"\"cycles\": 1234", "\"block\": \"pe2d_array\"", "\"dram\": 34", "\"mac\": 77",
                          "\"fill_drain\": 0", "\"downstream_space\": 0", "\"slice_scale\": 1"})
    CHECK(j.find(key) != std::string::npos);
}
