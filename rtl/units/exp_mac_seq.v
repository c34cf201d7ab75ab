// exp_mac_seq: e^x of a bf16 x as a sequence of 7 operations on one bf16 MAC (acc + a*b, fp32
// accumulator) -- 6 MACs and 1 add -- bit-exact with exp_mac_sequence_hw (einfuse/einsum/
// numeric.hpp; docs/numerics.md, "Exp on the MAC"). This module holds the sequence's control,
// registers and integer glue only: the MAC belongs to whoever instantiates it (a PE of the 2D
// array, or exp_mac_unit), which feeds mac_acc + mac_a * mac_b through its MAC and returns the
// result on mac_result in the same cycle (a combinational MAC, result registered here).
//
// The caller steps the sequence: step_valid with step = 0, 1, ..., 6 on consecutive cycles
// (the PEs of an array share one step counter). Per step (x DAZ'd; N = n as a bf16):
//   0  MAC 1  t = 0 + x * log2e            (exact)   -> n = round(t), ties to even; specials
//   1  MAC 2  a = float(x) + N * (-ln2_hi) (exact)
//   2  MAC 3  r = a + N * (-ln2_lo)
//   3  ADD    u = r + 1 (the MAC's adder; the multiplier is fed 1 x 1, an exact 1.0)
//   4  MAC 4  p = h0 + bf16(r) * h1
//   5  MAC 5  g = 0 + bf16(r) * bf16(p)
//   6  MAC 6  e = u + bf16(r) * bf16(g)       -> result = e * 2^n (exponent add, FTZ / inf)
// result is combinational from mac_result during step 6 (the caller registers it). x is read
// in step 0 only. Specials (decided in step 0, applied in step 6): NaN -> 0x7FC00000,
// -inf -> +0, +inf -> +inf, t <= -150 -> +0, t >= 192 -> +inf. Constants (bf16) are generated
// from exp_mac_sequence_constants() into exp_mac_constants.vh.
`default_nettype none
module exp_mac_seq (
    input  wire        clk,
    input  wire        step_valid,
    input  wire [2:0]  step,
    input  wire [15:0] x,           // bf16, read in step 0
    output reg  [31:0] mac_acc,     // the MAC's operands for this step
    output reg  [15:0] mac_a,
    output reg  [15:0] mac_b,
    input  wire [31:0] mac_result,  // mac_acc + mac_a * mac_b (mac_bf16_fp32), this cycle
    output wire [31:0] result       // e^x (fp32), valid during step 6
);
`include "exp_mac_constants.vh"

  localparam [15:0] BF16_ONE = 16'h3F80;
  localparam [15:0] NEG_LN2_HI = EXPMAC_LN2_HI ^ 16'h8000;
  localparam [15:0] NEG_LN2_LO = EXPMAC_LN2_LO ^ 16'h8000;

  // --- state ----------------------------------------------------------------------------
  reg [15:0] x_q;        // x after DAZ
  reg [15:0] n_bf16_q;   // N: n as a bf16 operand (exact, |n| <= 192)
  reg [9:0]  n_q;        // n, two's complement
  reg        special_q;  // a special case decided the result
  reg [31:0] special_value_q;
  reg [31:0] r_q;        // MAC 3's r (the multiplier operand of MACs 4-6 is bf16(r))
  reg [31:0] u_q;        // r + 1
  reg [31:0] w_q;        // a (step 1), then p (step 4), then g (step 5)

  // --- step 0: DAZ, specials, n = round(t) ---------------------------------------------------
  wire [15:0] x_daz = (x[14:7] == 8'd0) ? {x[15], 15'd0} : x;
  wire        x_nan = (&x[14:7]) & (|x[6:0]);
  wire        x_inf = (&x[14:7]) & ~(|x[6:0]);
  wire [31:0] t = mac_result;
  wire        t_small = t[31] & (t[30:0] >= 31'h4316_0000);   // t <= -150 (or -inf)
  wire        t_big = ~t[31] & (t[30:0] >= 31'h4340_0000);    // t >= 192 (or +inf, NaN)
  wire        special = x_nan | x_inf | t_small | t_big;
  wire [31:0] special_value = x_nan ? 32'h7FC0_0000
                            : x_inf ? (x[15] ? 32'd0 : 32'h7F80_0000)
                            : t_small ? 32'd0 : 32'h7F80_0000;
  // |t| < 192 here: |t| * 2^24 = {1, frac} << (t_exp - 126) for t_exp in [126, 134];
  // |t| < 1/2 (t_exp < 126) rounds to 0.
  wire [7:0]  t_exp = t[30:23];
  wire        t_ge_half = (t_exp >= 8'd126) & (t_exp <= 8'd134);
  wire [3:0]  t_shift = t_exp[3:0] - 4'd14;  // t_exp - 126 (126 = 8'b0111_1110)
  wire [31:0] t_fixed = {8'd0, 1'b1, t[22:0]} << t_shift;
  wire [7:0]  t_int = t_fixed[31:24];
  wire        round_up = t_fixed[23] & ((|t_fixed[22:0]) | t_int[0]);  // nearest, ties to even
  wire [7:0]  n_mag = t_ge_half ? t_int + {7'd0, round_up} : 8'd0;
  wire [9:0]  n = t[31] ? (10'd0 - {2'b00, n_mag}) : {2'b00, n_mag};
  // N as a bf16: the leading one of n_mag at bit p -> exponent 127 + p, 7 fraction bits
  reg  [2:0]  n_lead;
  reg  [6:0]  n_frac;  // the bits below the leading one, left-aligned
  reg  [15:0] n_bf16;
  integer     k;
  always @* begin
    n_lead = 3'd0;
    for (k = 0; k < 8; k = k + 1) if (n_mag[k]) n_lead = k[2:0];
    n_frac = n_mag[6:0] << (3'd7 - n_lead);  // the leading one leaves through bit 7
    if (n_mag == 8'd0) n_bf16 = 16'd0;  // float(0) = +0
    else n_bf16 = {t[31], 8'd127 + {5'd0, n_lead}, n_frac};
  end

  // --- the MAC's operands per step ---------------------------------------------------------
  wire [15:0] r_bf16;
  wire [15:0] w_bf16;
  fp32_to_bf16 u_r_bf16 (.v(r_q), .bf16(r_bf16));
  fp32_to_bf16 u_w_bf16 (.v(w_q), .bf16(w_bf16));
  always @* begin
    case (step)
      3'd0: begin mac_acc = 32'd0;           mac_a = x_daz;    mac_b = EXPMAC_LOG2E; end
      3'd1: begin mac_acc = {x_q, 16'd0};    mac_a = n_bf16_q; mac_b = NEG_LN2_HI;   end
      3'd2: begin mac_acc = w_q;             mac_a = n_bf16_q; mac_b = NEG_LN2_LO;   end
      3'd3: begin mac_acc = r_q;             mac_a = BF16_ONE; mac_b = BF16_ONE;     end
      3'd4: begin mac_acc = {EXPMAC_H0, 16'd0}; mac_a = r_bf16; mac_b = EXPMAC_H1;   end
      3'd5: begin mac_acc = 32'd0;           mac_a = r_bf16;   mac_b = w_bf16;       end
      default: begin mac_acc = u_q;          mac_a = r_bf16;   mac_b = w_bf16;       end
    endcase
  end

  always @(posedge clk) begin
    if (step_valid) begin
      case (step)
        3'd0: begin
          x_q <= x_daz;
          n_q <= n;
          n_bf16_q <= n_bf16;
          special_q <= special;
          special_value_q <= special_value;
        end
        3'd1: w_q <= mac_result;
        3'd2: r_q <= mac_result;
        3'd3: u_q <= mac_result;
        3'd4: w_q <= mac_result;
        3'd5: w_q <= mac_result;
        default: ;
      endcase
    end
  end

  // --- step 6: e * 2^n (scale_pow2_ftz: exact exponent add; below 2^-126 -> 0, above -> inf) ---
  wire [31:0] e = mac_result;
  wire [7:0]  e_exp = e[30:23];
  wire [9:0]  scaled_exp = {2'b00, e_exp} + n_q;
  reg  [31:0] scaled;
  always @* begin
    if (e_exp == 8'd0) scaled = {e[31], 31'd0};
    else if (e_exp == 8'hFF) scaled = e;
    else if (scaled_exp[9] | (scaled_exp == 10'd0)) scaled = {e[31], 31'd0};
    else if (scaled_exp >= 10'd255) scaled = {e[31], 8'hFF, 23'd0};
    else scaled = {e[31], scaled_exp[7:0], e[22:0]};
  end
  assign result = special_q ? special_value_q : scaled;
endmodule
`default_nettype wire
