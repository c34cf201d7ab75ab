// GENERATED from exp_unit_constants() (einsum/src/numeric_units.cpp) by
// tests/rtl/rtl_unit_tables.hpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1
// rtl_tests "[fp32_exp]". Included inside module fp32_exp.
localparam [31:0] EXP_LOG2E = 32'h3FB8AA3B;
localparam [31:0] EXP_C0 = 32'h3F800000;
localparam [31:0] EXP_C1 = 32'h3F3171B5;
localparam [31:0] EXP_C2 = 32'h3E773BDF;
// T[i] = 2^(i/64) rounded to fp32
function [31:0] exp_table;
  input [5:0] i;
  begin
    case (i)
      6'd0: exp_table = 32'h3F800000;
      6'd1: exp_table = 32'h3F8164D2;
      6'd2: exp_table = 32'h3F82CD87;
      6'd3: exp_table = 32'h3F843A29;
      6'd4: exp_table = 32'h3F85AAC3;
      6'd5: exp_table = 32'h3F871F62;
      6'd6: exp_table = 32'h3F88980F;
      6'd7: exp_table = 32'h3F8A14D5;
      6'd8: exp_table = 32'h3F8B95C2;
      6'd9: exp_table = 32'h3F8D1ADF;
      6'd10: exp_table = 32'h3F8EA43A;
      6'd11: exp_table = 32'h3F9031DC;
      6'd12: exp_table = 32'h3F91C3D3;
      6'd13: exp_table = 32'h3F935A2B;
      6'd14: exp_table = 32'h3F94F4F0;
      6'd15: exp_table = 32'h3F96942D;
      6'd16: exp_table = 32'h3F9837F0;
      6'd17: exp_table = 32'h3F99E046;
      6'd18: exp_table = 32'h3F9B8D3A;
      6'd19: exp_table = 32'h3F9D3EDA;
      6'd20: exp_table = 32'h3F9EF532;
      6'd21: exp_table = 32'h3FA0B051;
      6'd22: exp_table = 32'h3FA27043;
      6'd23: exp_table = 32'h3FA43516;
      6'd24: exp_table = 32'h3FA5FED7;
      6'd25: exp_table = 32'h3FA7CD94;
      6'd26: exp_table = 32'h3FA9A15B;
      6'd27: exp_table = 32'h3FAB7A3A;
      6'd28: exp_table = 32'h3FAD583F;
      6'd29: exp_table = 32'h3FAF3B79;
      6'd30: exp_table = 32'h3FB123F6;
      6'd31: exp_table = 32'h3FB311C4;
      6'd32: exp_table = 32'h3FB504F3;
      6'd33: exp_table = 32'h3FB6FD92;
      6'd34: exp_table = 32'h3FB8FBAF;
      6'd35: exp_table = 32'h3FBAFF5B;
      6'd36: exp_table = 32'h3FBD08A4;
      6'd37: exp_table = 32'h3FBF179A;
      6'd38: exp_table = 32'h3FC12C4D;
      6'd39: exp_table = 32'h3FC346CD;
      6'd40: exp_table = 32'h3FC5672A;
      6'd41: exp_table = 32'h3FC78D75;
      6'd42: exp_table = 32'h3FC9B9BE;
      6'd43: exp_table = 32'h3FCBEC15;
      6'd44: exp_table = 32'h3FCE248C;
      6'd45: exp_table = 32'h3FD06334;
      6'd46: exp_table = 32'h3FD2A81E;
      6'd47: exp_table = 32'h3FD4F35B;
      6'd48: exp_table = 32'h3FD744FD;
      6'd49: exp_table = 32'h3FD99D16;
      6'd50: exp_table = 32'h3FDBFBB8;
      6'd51: exp_table = 32'h3FDE60F5;
      6'd52: exp_table = 32'h3FE0CCDF;
      6'd53: exp_table = 32'h3FE33F89;
      6'd54: exp_table = 32'h3FE5B907;
      6'd55: exp_table = 32'h3FE8396A;
      6'd56: exp_table = 32'h3FEAC0C7;
      6'd57: exp_table = 32'h3FED4F30;
      6'd58: exp_table = 32'h3FEFE4BA;
      6'd59: exp_table = 32'h3FF28177;
      6'd60: exp_table = 32'h3FF5257D;
      6'd61: exp_table = 32'h3FF7D0DF;
      6'd62: exp_table = 32'h3FFA83B3;
      6'd63: exp_table = 32'h3FFD3E0C;
    endcase
  end
endfunction
