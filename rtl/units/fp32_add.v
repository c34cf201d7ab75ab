// fp32_add: a + b in IEEE binary32, bit-exact with add_fp32_hw (einfuse/einsum/numeric.hpp).
//   - DAZ: a subnormal input is read as zero of its sign.
//   - The exact sum is rounded to 24 significant bits, nearest even, as if the exponent range
//     were unbounded; a rounded magnitude above FLT_MAX is +-inf, one below 2^-126 is zero of
//     the sign of the result (FTZ).
//   - An exact zero sum is +0 unless both inputs are -0.
//   - Any NaN result (NaN input, inf - inf) is the canonical NaN 0x7FC00000.
// Datapath: order the operands by magnitude, align the smaller significand with three extra
// bits (guard, round, sticky; every bit shifted out is ORed into the sticky bit), add or
// subtract, normalise with a log shifter (leading-zero count), round to nearest even,
// then the special cases. Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module fp32_add #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire        out_valid,
    output wire [31:0] sum
);
  // --- unpack, DAZ ---------------------------------------------------------------------
  wire a_exp_ones = &a[30:23];
  wire b_exp_ones = &b[30:23];
  wire a_nan = a_exp_ones & (|a[22:0]);
  wire b_nan = b_exp_ones & (|b[22:0]);
  wire a_inf = a_exp_ones & ~(|a[22:0]);
  wire b_inf = b_exp_ones & ~(|b[22:0]);
  wire [30:0] a_mag = (a[30:23] == 8'd0) ? 31'd0 : a[30:0];  // subnormal -> 0
  wire [30:0] b_mag = (b[30:23] == 8'd0) ? 31'd0 : b[30:0];

  // --- order by magnitude ----------------------------------------------------------------
  wire        swap = b_mag > a_mag;
  wire [30:0] big_mag = swap ? b_mag : a_mag;
  wire [30:0] small_mag = swap ? a_mag : b_mag;
  wire        big_sign = swap ? b[31] : a[31];
  wire        effective_sub = a[31] ^ b[31];
  wire [7:0]  big_exp = big_mag[30:23];
  wire [7:0]  small_exp = small_mag[30:23];
  wire [23:0] big_man = {|big_exp, big_mag[22:0]};  // hidden bit; zero -> 0
  wire [23:0] small_man = {|small_exp, small_mag[22:0]};

  // --- align: {significand, G, R, S} shifted right by the exponent difference ------------
  wire [7:0]  exp_diff = big_exp - small_exp;
  wire [4:0]  shamt = (exp_diff > 8'd27) ? 5'd27 : exp_diff[4:0];
  wire [53:0] aligned_wide = {small_man, 3'b000, 27'd0} >> shamt;  // high: kept, low: lost
  wire        sticky_in = |aligned_wide[26:0];
  wire [26:0] small_ext = {aligned_wide[53:28], aligned_wide[27] | sticky_in};

  // --- add or subtract (big >= small, so the difference is never negative) --------------
  wire [27:0] big_ext = {1'b0, big_man, 3'b000};
  wire [27:0] raw = effective_sub ? (big_ext - {1'b0, small_ext}) : (big_ext + {1'b0, small_ext});
  wire        raw_zero = (raw == 28'd0);

  // --- normalise: shift the leading one to bit 27, count the shift ----------------------
  wire [27:0] n16 = (raw[27:12] == 16'd0) ? {raw[11:0], 16'd0} : raw;
  wire [27:0] n8 = (n16[27:20] == 8'd0) ? {n16[19:0], 8'd0} : n16;
  wire [27:0] n4 = (n8[27:24] == 4'd0) ? {n8[23:0], 4'd0} : n8;
  wire [27:0] n2 = (n4[27:26] == 2'd0) ? {n4[25:0], 2'd0} : n4;
  wire [27:0] norm = n2[27] ? n2 : {n2[26:0], 1'b0};
  wire [4:0]  lzc = {raw[27:12] == 16'd0, n16[27:20] == 8'd0, n8[27:24] == 4'd0,
                     n4[27:26] == 2'd0, ~n2[27]};
  // the leading one of big_ext sits at bit 26 and stands for 2^(big_exp - 127)
  wire [9:0]  exp_norm = {2'b00, big_exp} + 10'd1 - {5'd0, lzc};

  // --- round to nearest, ties to even -----------------------------------------------------
  wire [23:0] man = norm[27:4];
  wire        guard = norm[3];
  wire        sticky = |norm[2:0];
  wire        round_up = guard & (sticky | man[0]);
  wire [24:0] man_rounded = {1'b0, man} + {24'd0, round_up};
  wire [9:0]  exp_rounded = exp_norm + {9'd0, man_rounded[24]};
  wire [22:0] frac_out = man_rounded[24] ? man_rounded[23:1] : man_rounded[22:0];
  wire        underflow = exp_rounded[9] | (exp_rounded == 10'd0);  // below 2^-126: FTZ
  wire        overflow = ~exp_rounded[9] & (exp_rounded >= 10'd255);

  // --- specials -------------------------------------------------------------------------
  reg [31:0] result;
  always @* begin
    if (a_nan | b_nan | (a_inf & b_inf & effective_sub)) result = 32'h7FC0_0000;
    else if (a_inf) result = {a[31], 8'hFF, 23'd0};
    else if (b_inf) result = {b[31], 8'hFF, 23'd0};
    else if (raw_zero) result = {a[31] & b[31], 31'd0};  // -0 only for (-0) + (-0)
    else if (overflow) result = {big_sign, 8'hFF, 23'd0};
    else if (underflow) result = {big_sign, 31'd0};
    else result = {big_sign, exp_rounded[7:0], frac_out};
  end

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_data(result),
      .out_valid(out_valid), .out_data(sum));
endmodule
`default_nettype wire
