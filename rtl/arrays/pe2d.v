// pe2d: one PE of the 2D array (Pe2dArray, docs/rtl-arrays.md). A bf16 x bf16 multiplier
// feeding an fp32 adder (together bit-exact with mac_bf16_fp32), a comparator (max_hw), an
// fp32 accumulator `acc` and a reduction register `red`, all driven by the array's broadcast
// micro-op. PE (row r, column c) holds QK[key r, query c] (output-stationary).
//
// Micro-ops (op), each one cycle, result registered at the rising edge:
//   NOP       nothing changes
//   QK_FIRST  acc <= 0 + q_in*k_in            (mac_bf16_fp32(0, q, k))
//   QK        acc <= acc + q_in*k_in          (mac_bf16_fp32(acc, q, k))
//   SUB       acc <= acc + (-rm)              (add_fp32_hw(QK, -RM'): the adder, product bypassed)
//   EXP       EXP_ON_MAC = 1: step exp_step of exp_mac_seq on this PE's MAC, x = bf16(acc);
//             in step 6 acc <= exp_mac_sequence_hw(bf16(acc)).
//             EXP_ON_MAC = 0: acc <= exp_hw(acc) (a table exp unit per PE, fp32_exp).
//   MAX       red <= max_hw(red_in, acc)     (column max chain; row 0 gets red_in = -inf)
//   SUM       red <= add_fp32_hw(red_in, acc) (column sum chain; row 0 gets red_in = +0)
//   MAC_SUM   red <= mac_bf16_fp32(red_in, bf16(acc), v_in)   (one step of SLNV's pipelined
//             column chain: acc = SLN is rounded to bf16 on the multiplier's operand path, as
//             the interpreter's hardware MAC rounds both factors; row 0 gets red_in = +0)
`default_nettype none
module pe2d #(
    parameter integer EXP_ON_MAC = 1
) (
    input  wire        clk,
    input  wire [2:0]  op,
    input  wire [2:0]  exp_step,
    input  wire [15:0] q_in   /*verilator public_flat_rd*/,  // bf16 Q[e, query c]
    input  wire [15:0] k_in   /*verilator public_flat_rd*/,  // bf16 K[e, key r]
    input  wire [31:0] rm     /*verilator public_flat_rd*/,  // fp32 running max of the column (SUB)
    input  wire [15:0] v_in   /*verilator public_flat_rd*/,  // bf16 V[f, key r] (MAC_SUM), skewed
    input  wire [31:0] red_in /*verilator public_flat_rd*/,  // the reduction chain from the PE above
    output reg  [31:0] red,     // the reduction chain to the PE below
    output reg  [31:0] acc      // QK, then exp(QK - RM')
);
  // Simulation speed: the PE stays a module of its own in the Verilator model (not inlined into
  // the array), and its inputs that differ per instance are kept as variables of the PE
  // (public_flat_rd: read-only, so no extra evaluation) instead of being substituted into its
  // logic, so every PE runs the same code: compiled once, not N^2 times (an N = 16 array
  // compiles in ~20 s rather than ~6 min) and ~2x faster (it fits the instruction cache).
  /*verilator no_inline_module*/
`include "pe2d_ops.vh"

  wire        is_exp = (op == PE_EXP);
  wire        is_mac_sum = (op == PE_MAC_SUM);
  // acc rounded to bf16 on the multiplier's operand path: the exp's argument (EXP_ON_MAC) and
  // SLNV's factor SLN; one rounding unit for both, as they never run in the same cycle
  wire [15:0] acc_bf16;
  fp32_to_bf16 u_acc_bf16 (.v(acc), .bf16(acc_bf16));
  wire [31:0] seq_acc;
  wire [15:0] seq_a;
  wire [15:0] seq_b;
  wire [31:0] exp_result;

  // --- the MAC: multiplier, then the adder with its second operand muxed -------------------
  wire [15:0] mul_a = (EXP_ON_MAC != 0 && is_exp) ? seq_a : is_mac_sum ? acc_bf16 : q_in;
  wire [15:0] mul_b = (EXP_ON_MAC != 0 && is_exp) ? seq_b : is_mac_sum ? v_in : k_in;
  wire [31:0] product;
  wire [31:0] sum;
  reg  [31:0] add_a;
  reg  [31:0] add_b;
  always @* begin
    case (op)
      PE_MAC_FIRST: begin add_a = 32'd0;   add_b = product; end
      PE_SUB:      begin add_a = acc;     add_b = {~rm[31], rm[30:0]}; end
      PE_SUM:      begin add_a = red_in;  add_b = acc; end
      PE_MAC_SUM:  begin add_a = red_in;  add_b = product; end
      PE_EXP:      begin add_a = seq_acc; add_b = product; end
      default:     begin add_a = acc;     add_b = product; end  // PE_MAC
    endcase
  end
  /* verilator lint_off PINCONNECTEMPTY */
  bf16_mul #(.STAGES(0)) u_mul (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(mul_a), .b(mul_b),
      .out_valid(), .product(product));
  fp32_add #(.STAGES(0)) u_add (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(add_a), .b(add_b),
      .out_valid(), .sum(sum));
  wire [31:0] max_out;
  fp32_max #(.STAGES(0)) u_max (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(red_in), .b(acc),
      .out_valid(), .max(max_out));
  /* verilator lint_on PINCONNECTEMPTY */

  // --- exp: the MAC sequence on this PE's MAC, or a table unit ------------------------------
  generate
    if (EXP_ON_MAC != 0) begin : g_exp_mac
      exp_mac_seq u_seq (
          .clk(clk), .step_valid(is_exp), .step(exp_step), .x(acc_bf16),
          .mac_acc(seq_acc), .mac_a(seq_a), .mac_b(seq_b), .mac_result(sum),
          .result(exp_result));
    end else begin : g_exp_unit
      assign seq_acc = 32'd0;
      assign seq_a = 16'd0;
      assign seq_b = 16'd0;
      /* verilator lint_off PINCONNECTEMPTY */
      fp32_exp #(.STAGES(0)) u_exp (
          .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .x(acc),
          .out_valid(), .exp_x(exp_result));
      /* verilator lint_on PINCONNECTEMPTY */
    end
  endgenerate
  wire exp_done = is_exp & ((EXP_ON_MAC == 0) || (exp_step == 3'd6));

  always @(posedge clk) begin
    case (op)
      PE_MAC_FIRST, PE_MAC, PE_SUB: acc <= sum;
      PE_EXP: if (exp_done) acc <= exp_result;
      PE_MAX: red <= max_out;
      PE_SUM, PE_MAC_SUM: red <= sum;
      PE_NOP: ;
      default: ;
    endcase
  end
endmodule
`default_nettype wire
