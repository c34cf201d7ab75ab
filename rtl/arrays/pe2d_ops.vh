// The 2D array's PE micro-ops (pe2d.v), broadcast by the array's controller (pe2d_array.v). Included inside a module.
// Generated from isa/src/array_commands.cpp (EINFUSE_REGEN_ISA_CODES=1 ctest -R isa); do not edit.
localparam [2:0] PE_NOP       = 3'd0;  // idle
localparam [2:0] PE_MAC_FIRST = 3'd1;  // acc = a x b
localparam [2:0] PE_MAC       = 3'd2;  // acc += a x b
localparam [2:0] PE_SUB       = 3'd3;  // acc -= rm
localparam [2:0] PE_EXP       = 3'd4;  // one step of the exp MAC sequence
localparam [2:0] PE_MAX       = 3'd5;  // red = max(red_in, acc)
localparam [2:0] PE_SUM       = 3'd6;  // red = red_in + acc
localparam [2:0] PE_MAC_SUM   = 3'd7;  // red = red_in + bf16(acc) x v
