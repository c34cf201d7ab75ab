// The 1D array's commands (pe1d.v, pe1d_array.v, docs/rtl-arrays.md). Included inside a module.
// Generated from isa/src/array_commands.cpp (EINFUSE_REGEN_ISA_CODES=1 ctest -R isa); do not edit.
localparam [2:0] V_NOP             = 3'd0;  // idle
localparam [2:0] V_INIT            = 3'd1;  // rm = -inf, rd = 0, every rnv entry = 0
localparam [2:0] V_MAX_MERGE       = 3'd2;  // rm' = max(rm, x)
localparam [2:0] V_EXP_DIFF        = 3'd3;  // prm = exp(rm_old - rm')
localparam [2:0] V_SCALE_ADD       = 3'd4;  // rd = rd x prm + x
localparam [2:0] V_RECIP           = 3'd5;  // rcp = 1 / rd
localparam [2:0] V_SCALE_ADD_ENTRY = 3'd6;  // rnv[f] = rnv[f] x prm + x
localparam [2:0] V_NORMALIZE_ENTRY = 3'd7;  // av = rnv[f] x rcp, 0 where rd = 0
