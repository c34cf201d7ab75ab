// GENERATED from recip_unit_constants() (einsum/src/numeric_units.cpp) by
// tests/rtl/rtl_unit_tables.hpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1
// rtl_tests "[fp32_recip]". Included inside module fp32_recip.
// seed[i] = 1/(1 + (i + 1/2)/64) rounded to fp32
function [31:0] recip_seed;
  input [5:0] i;
  begin
    case (i)
      6'd0: recip_seed = 32'h3F7E03F8;
      6'd1: recip_seed = 32'h3F7A232D;
      6'd2: recip_seed = 32'h3F76603E;
      6'd3: recip_seed = 32'h3F72B9D6;
      6'd4: recip_seed = 32'h3F6F2EB7;
      6'd5: recip_seed = 32'h3F6BBDB3;
      6'd6: recip_seed = 32'h3F6865AC;
      6'd7: recip_seed = 32'h3F652598;
      6'd8: recip_seed = 32'h3F61FC78;
      6'd9: recip_seed = 32'h3F5EE95C;
      6'd10: recip_seed = 32'h3F5BEB62;
      6'd11: recip_seed = 32'h3F5901B2;
      6'd12: recip_seed = 32'h3F562B81;
      6'd13: recip_seed = 32'h3F53680D;
      6'd14: recip_seed = 32'h3F50B6A0;
      6'd15: recip_seed = 32'h3F4E168A;
      6'd16: recip_seed = 32'h3F4B8728;
      6'd17: recip_seed = 32'h3F4907DA;
      6'd18: recip_seed = 32'h3F46980C;
      6'd19: recip_seed = 32'h3F443730;
      6'd20: recip_seed = 32'h3F41E4BC;
      6'd21: recip_seed = 32'h3F3FA030;
      6'd22: recip_seed = 32'h3F3D6910;
      6'd23: recip_seed = 32'h3F3B3EE7;
      6'd24: recip_seed = 32'h3F392144;
      6'd25: recip_seed = 32'h3F370FBB;
      6'd26: recip_seed = 32'h3F3509E7;
      6'd27: recip_seed = 32'h3F330F63;
      6'd28: recip_seed = 32'h3F311FD4;
      6'd29: recip_seed = 32'h3F2F3ADE;
      6'd30: recip_seed = 32'h3F2D602B;
      6'd31: recip_seed = 32'h3F2B8F6A;
      6'd32: recip_seed = 32'h3F29C84A;
      6'd33: recip_seed = 32'h3F280A81;
      6'd34: recip_seed = 32'h3F2655C4;
      6'd35: recip_seed = 32'h3F24A9CF;
      6'd36: recip_seed = 32'h3F23065E;
      6'd37: recip_seed = 32'h3F216B31;
      6'd38: recip_seed = 32'h3F1FD80A;
      6'd39: recip_seed = 32'h3F1E4CAD;
      6'd40: recip_seed = 32'h3F1CC8E1;
      6'd41: recip_seed = 32'h3F1B4C70;
      6'd42: recip_seed = 32'h3F19D723;
      6'd43: recip_seed = 32'h3F1868C8;
      6'd44: recip_seed = 32'h3F17012E;
      6'd45: recip_seed = 32'h3F15A025;
      6'd46: recip_seed = 32'h3F144581;
      6'd47: recip_seed = 32'h3F12F114;
      6'd48: recip_seed = 32'h3F11A2B4;
      6'd49: recip_seed = 32'h3F105A38;
      6'd50: recip_seed = 32'h3F0F177A;
      6'd51: recip_seed = 32'h3F0DDA52;
      6'd52: recip_seed = 32'h3F0CA29C;
      6'd53: recip_seed = 32'h3F0B7034;
      6'd54: recip_seed = 32'h3F0A42F8;
      6'd55: recip_seed = 32'h3F091AC7;
      6'd56: recip_seed = 32'h3F07F781;
      6'd57: recip_seed = 32'h3F06D905;
      6'd58: recip_seed = 32'h3F05BF37;
      6'd59: recip_seed = 32'h3F04A9FA;
      6'd60: recip_seed = 32'h3F039930;
      6'd61: recip_seed = 32'h3F028CC0;
      6'd62: recip_seed = 32'h3F01848E;
      6'd63: recip_seed = 32'h3F008081;
    endcase
  end
endfunction
