// The 2D array's commands (pe2d_array.v, docs/rtl-arrays.md). Included inside a module.
// Generated from isa/src/array_commands.cpp (EINFUSE_REGEN_ISA_CODES=1 ctest -R isa); do not edit.
localparam [2:0] CMD_NOP            = 3'd0;  // idle
localparam [2:0] CMD_MAC_FIRST      = 3'd1;  // first beat of a contraction: acc = q x k
localparam [2:0] CMD_MAC            = 3'd2;  // further beats: acc += q x k
localparam [2:0] CMD_MAX_REDUCE     = 3'd3;  // column maximum of acc down the PE chain
localparam [2:0] CMD_SUB_EXP        = 3'd4;  // acc = exp(acc - rm), rm per column
localparam [2:0] CMD_SUM_REDUCE     = 3'd5;  // column sum of acc down the PE chain
localparam [2:0] CMD_MAC_SUM_STREAM = 3'd6;  // column sums of bf16(acc) x v, one f per cycle, systolic
