// The 2D array's commands (pe2d_array.v, docs/rtl-arrays.md). Included inside a module.
localparam [2:0] CMD_NOP      = 3'd0;
localparam [2:0] CMD_QK_FIRST = 3'd1;
localparam [2:0] CMD_QK       = 3'd2;
localparam [2:0] CMD_LM       = 3'd3;
localparam [2:0] CMD_SLN      = 3'd4;
localparam [2:0] CMD_SLD      = 3'd5;
