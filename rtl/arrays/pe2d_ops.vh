// The 2D array's PE micro-ops (pe2d.v), broadcast by the array's controller (pe2d_array.v).
// Included inside a module.
localparam [2:0] PE_NOP      = 3'd0;
localparam [2:0] PE_QK_FIRST = 3'd1;
localparam [2:0] PE_QK       = 3'd2;
localparam [2:0] PE_SUB      = 3'd3;
localparam [2:0] PE_EXP      = 3'd4;
localparam [2:0] PE_MAX      = 3'd5;
localparam [2:0] PE_SUM      = 3'd6;
