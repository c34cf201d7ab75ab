// exp_mac_unit: exp_mac_seq around its own bf16_mac, the standalone form of the 2D array PE's
// exp (the PE shares its MAC between QK and this sequence instead). Bit-exact with
// exp_mac_sequence_hw (einfuse/einsum/numeric.hpp) for every bf16 x.
// Interface: in_valid with x while in_ready; out_valid with result exactly 7 cycles later (one
// MAC operation per cycle: 6 MACs + 1 add), result held until the next one. One exp in flight
// (in_ready low for the 6 cycles after an accepted input). Synchronous active-low reset.
`default_nettype none
module exp_mac_unit (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [15:0] x,        // bf16
    output wire        in_ready,
    output reg         out_valid,
    output reg  [31:0] result    // fp32
);
  reg        busy;
  reg  [2:0] step_q;  // the step running this cycle while busy (1..6)
  wire       start = in_valid & ~busy;
  wire       step_valid = start | busy;
  wire [2:0] step = busy ? step_q : 3'd0;

  wire [31:0] mac_acc;
  wire [15:0] mac_a;
  wire [15:0] mac_b;
  wire [31:0] mac_result;
  wire [31:0] seq_result;
  /* verilator lint_off PINCONNECTEMPTY */
  bf16_mac #(.STAGES(0)) u_mac (
      .clk(clk), .rst_n(rst_n), .in_valid(1'b1), .acc(mac_acc), .a(mac_a), .b(mac_b),
      .out_valid(), .result(mac_result));
  /* verilator lint_on PINCONNECTEMPTY */
  exp_mac_seq u_seq (
      .clk(clk), .step_valid(step_valid), .step(step), .x(x),
      .mac_acc(mac_acc), .mac_a(mac_a), .mac_b(mac_b), .mac_result(mac_result),
      .result(seq_result));

  assign in_ready = ~busy;
  always @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      step_q <= 3'd0;
      out_valid <= 1'b0;
    end else begin
      out_valid <= busy & (step_q == 3'd6);
      if (start) begin
        busy <= 1'b1;
        step_q <= 3'd1;
      end else if (busy) begin
        busy <= step_q != 3'd6;
        step_q <= step_q + 3'd1;
      end
    end
    if (busy & (step_q == 3'd6)) result <= seq_result;
  end
endmodule
`default_nettype wire
