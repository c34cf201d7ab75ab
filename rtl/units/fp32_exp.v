// fp32_exp: e^x in IEEE binary32, bit-exact with exp_hw (einfuse/einsum/numeric.hpp), the
// same op sequence as exp_hw_steps (docs/numerics.md, "exp unit"):
//   - DAZ input. NaN -> canonical NaN 0x7FC00000; +inf -> +inf; -inf -> +0.
//   - t = x * log2e (fp32_mul). t >= 128 -> +inf; t <= -150 -> +0.
//   - n = floor(t) (integer, from t's bits); f = t + (-float(n)) (fp32_add); f >= 1 (t just
//     below 0, t + 1 rounded up) -> f = 0, n = n + 1.
//   - i = floor(64 f) (from f's bits); r = f + (-float(i)/64) (fp32_add, exact).
//   - q = (c2*r + c1)*r + c0, Horner, two fp32_mul and two fp32_add; m = T[i] * q (fp32_mul).
//   - result = m * 2^n, exact exponent adjust: above FLT_MAX -> +inf, below 2^-126 -> +0.
// log2e, c0..c2 and the 64-entry table T[i] = 2^(i/64) are generated from exp_unit_constants()
// into fp32_exp_table.vh. Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module fp32_exp #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] x,
    output wire        out_valid,
    output wire [31:0] exp_x
);
`include "fp32_exp_table.vh"

  // mag * 2^(bias_exp - 127) as fp32 with the given sign; mag = 0 -> zero of that sign. Exact.
  function [31:0] small_to_fp32;
    input       sign;
    input [7:0] mag;
    input [7:0] bias_exp;
    integer     k;
    reg   [2:0] p;
    reg  [22:0] shifted;  // the fraction: the leading one is shifted out of bit 22
    begin
      p = 3'd0;
      for (k = 0; k < 8; k = k + 1) if (mag[k]) p = k[2:0];
      shifted = {15'd0, mag} << (5'd23 - {2'b00, p});
      if (mag == 8'd0) small_to_fp32 = {sign, 31'd0};
      else small_to_fp32 = {sign, bias_exp + {5'd0, p}, shifted};
    end
  endfunction

  wire [7:0]  x_exp = x[30:23];
  wire        x_nan = (&x_exp) & (|x[22:0]);
  wire        x_inf = (&x_exp) & ~(|x[22:0]);
  wire [31:0] xd = (x_exp == 8'd0) ? {x[31], 31'd0} : x;  // DAZ

  // --- t = x * log2e, range checks ----------------------------------------------------------
  wire [31:0] t;
  wire        v_t;
  fp32_mul #(.STAGES(0)) u_t (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .a(xd), .b(EXP_LOG2E),
      .out_valid(v_t), .product(t));
  wire t_big = ~t[31] & (t[30:0] >= 31'h4300_0000);   // t >= 128 (or +inf)
  wire t_small = t[31] & (t[30:0] >= 31'h4316_0000);  // t <= -150 (or -inf)

  // --- n = floor(t); |t| < 150 here, so the integer part has at most 8 bits --------------------
  wire [7:0]  t_exp = t[30:23];
  wire [2:0]  t_shift = t_exp[2:0] + 3'd1;  // t_exp - 127 for t_exp in [127, 134]
  wire [30:0] t_wide = {7'd0, 1'b1, t[22:0]} << t_shift;
  wire        t_ge1 = (t_exp >= 8'd127) & (t_exp <= 8'd134);
  wire [7:0]  t_int = t_ge1 ? t_wide[30:23] : 8'd0;                          // floor(|t|)
  wire        t_frac_nz = t_ge1 ? (|t_wide[22:0]) : (t_exp != 8'd0);         // |t| not an integer
  wire [7:0]  n_mag = t_int + {7'd0, t[31] & t_frac_nz};                       // |floor(t)|
  wire        n_neg = t[31] & (n_mag != 8'd0);
  // -float(n): float(0) is +0, so its negation is -0
  wire [31:0] neg_n_fp = small_to_fp32(~n_neg, n_mag, 8'd127);

  // --- f = t - n -------------------------------------------------------------------------
  wire [31:0] f_raw;
  wire        v_f;
  fp32_add #(.STAGES(0)) u_f (
      .clk(clk), .rst_n(rst_n), .in_valid(v_t), .a(t), .b(neg_n_fp),
      .out_valid(v_f), .sum(f_raw));
  wire        f_ge1 = ~f_raw[31] & (f_raw[30:0] >= 31'h3F80_0000);
  wire [31:0] f = f_ge1 ? 32'd0 : f_raw;
  wire [9:0]  n_s = n_neg ? (10'd0 - {2'b00, n_mag}) : {2'b00, n_mag};
  wire [9:0]  n = n_s + {9'd0, f_ge1};  // two's complement, in [-150, 127]

  // --- i = floor(64 f), r = f - i/64 ----------------------------------------------------------
  wire [7:0]  f_exp = f[30:23];
  wire        f_big = ~f[31] & (f_exp >= 8'd121);  // f >= 2^-6 (f < 1 here)
  wire [2:0]  f_shift = f_exp[2:0] - 3'd1;         // f_exp - 121 for f_exp in [121, 126]
  // floor(64 f) = 1.frac >> (23 - f_shift): the top 6 significand bits, shifted right 5 - f_shift
  wire [5:0]  f_top = {1'b1, f[22:18]} >> (3'd5 - f_shift);
  wire [5:0]  i = f_big ? f_top : 6'd0;
  wire [31:0] neg_i_fp = small_to_fp32(1'b1, {2'b00, i}, 8'd121);  // -(float(i)/64), -0 for i = 0
  wire [31:0] r;
  wire        v_r;
  fp32_add #(.STAGES(0)) u_r (
      .clk(clk), .rst_n(rst_n), .in_valid(v_f), .a(f), .b(neg_i_fp),
      .out_valid(v_r), .sum(r));

  // --- q = (c2*r + c1)*r + c0, m = T[i] * q ---------------------------------------------------
  wire [31:0] p1, p2, p3, q, m;
  wire        v_p1, v_p2, v_p3, v_q, v_m;
  fp32_mul #(.STAGES(0)) u_p1 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_r), .a(EXP_C2), .b(r),
      .out_valid(v_p1), .product(p1));
  fp32_add #(.STAGES(0)) u_p2 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_p1), .a(p1), .b(EXP_C1),
      .out_valid(v_p2), .sum(p2));
  fp32_mul #(.STAGES(0)) u_p3 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_p2), .a(p2), .b(r),
      .out_valid(v_p3), .product(p3));
  fp32_add #(.STAGES(0)) u_q (
      .clk(clk), .rst_n(rst_n), .in_valid(v_p3), .a(p3), .b(EXP_C0),
      .out_valid(v_q), .sum(q));
  fp32_mul #(.STAGES(0)) u_m (
      .clk(clk), .rst_n(rst_n), .in_valid(v_q), .a(exp_table(i)), .b(q),
      .out_valid(v_m), .product(m));

  // --- m * 2^n (scale_pow2_ftz) ---------------------------------------------------------------
  wire [7:0]  m_exp = m[30:23];
  wire [9:0]  scaled_exp = {2'b00, m_exp} + n;
  reg  [31:0] scaled;
  always @* begin
    if (m_exp == 8'd0) scaled = {m[31], 31'd0};
    else if (m_exp == 8'hFF) scaled = m;
    else if (scaled_exp[9] | (scaled_exp == 10'd0)) scaled = {m[31], 31'd0};
    else if (scaled_exp >= 10'd255) scaled = {m[31], 8'hFF, 23'd0};
    else scaled = {m[31], scaled_exp[7:0], m[22:0]};
  end

  reg [31:0] result;
  always @* begin
    if (x_nan) result = 32'h7FC0_0000;
    else if (x_inf) result = x[31] ? 32'd0 : 32'h7F80_0000;
    else if (t_big) result = 32'h7F80_0000;
    else if (t_small) result = 32'd0;
    else result = scaled;
  end

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(v_m), .in_data(result),
      .out_valid(out_valid), .out_data(exp_x));
endmodule
`default_nettype wire
