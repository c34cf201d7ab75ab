// The 1D array's commands (pe1d.v, pe1d_array.v, docs/rtl-arrays.md). Included inside a module.
localparam [2:0] V_NOP   = 3'd0;
localparam [2:0] V_INIT  = 3'd1;
localparam [2:0] V_RM    = 3'd2;
localparam [2:0] V_PRM   = 3'd3;
localparam [2:0] V_RD    = 3'd4;
localparam [2:0] V_RECIP = 3'd5;
