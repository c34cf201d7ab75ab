// The constant tables of the exp and reciprocal units, as Verilog include text, generated
// from the one numeric library (exp_unit_constants(), recip_unit_constants()). The checked-in
// rtl/units/fp32_exp_table.vh and rtl/units/fp32_recip_table.vh must equal these strings
// byte for byte: tests/rtl/test_rtl_exp_recip.cpp compares them (and rewrites them when
// EINFUSE_RTL_REGEN_TABLES=1), so the RTL tables provably are the C++ tables.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "einfuse/einsum/numeric.hpp"

namespace einfuse::rtl_tables {

inline std::string hex_literal(float x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "32'h%08X", static_cast<unsigned>(einsum::numeric::fp32_bits(x)));
  return buf;
}

inline std::string case_function(const std::string& name, const float* table, int entries, int index_bits) {
  std::string s = "function [31:0] " + name + ";\n  input [" + std::to_string(index_bits - 1) +
                  ":0] i;\n  begin\n    case (i)\n";
  for (int i = 0; i < entries; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "      %d'd%d: %s = %s;\n", index_bits, i, name.c_str(),
                  hex_literal(table[i]).c_str());
    s += line;
  }
  return s + "    endcase\n  end\nendfunction\n";
}

/// rtl/units/fp32_exp_table.vh: log2e, the quadratic's coefficients, T[i] = 2^(i/64).
inline std::string exp_table_vh() {
  namespace num = einsum::numeric;
  const num::ExpUnitConstants& k = num::exp_unit_constants();
  std::string s =
      "// GENERATED from exp_unit_constants() (einsum/src/numeric_units.cpp) by\n"
      "// tests/rtl/rtl_unit_tables.hpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1\n"
      "// rtl_tests \"[fp32_exp]\". Included inside module fp32_exp.\n";
  s += "localparam [31:0] EXP_LOG2E = " + hex_literal(k.log2e) + ";\n";
  for (int c = 0; c < 3; ++c) s += "localparam [31:0] EXP_C" + std::to_string(c) + " = " + hex_literal(k.coeff[c]) + ";\n";
  s += "// T[i] = 2^(i/64) rounded to fp32\n";
  return s + case_function("exp_table", k.table.data(), 1 << num::kExpTableBits, num::kExpTableBits);
}

/// rtl/units/fp32_recip_table.vh: seed[i] = 1/(1 + (i + 1/2)/64).
inline std::string recip_table_vh() {
  namespace num = einsum::numeric;
  const num::RecipUnitConstants& k = num::recip_unit_constants();
  std::string s =
      "// GENERATED from recip_unit_constants() (einsum/src/numeric_units.cpp) by\n"
      "// tests/rtl/rtl_unit_tables.hpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1\n"
      "// rtl_tests \"[fp32_recip]\". Included inside module fp32_recip.\n"
      "// seed[i] = 1/(1 + (i + 1/2)/64) rounded to fp32\n";
  return s + case_function("recip_seed", k.seed.data(), 1 << num::kRecipTableBits, num::kRecipTableBits);
}

}  // namespace einfuse::rtl_tables
