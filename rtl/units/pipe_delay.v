// pipe_delay: STAGES register stages on a data word and its valid bit; STAGES = 0 is a wire.
// Every Einfuse RTL unit computes combinationally and puts its result through one of these,
// so a unit's latency is exactly its STAGES parameter (in clk cycles). Valid is cleared by a
// synchronous active-low reset; data registers are not reset (they carry no state).
`default_nettype none
module pipe_delay #(
    parameter integer WIDTH  = 32,
    parameter integer STAGES = 0
) (
    /* verilator lint_off UNUSED */
    input  wire             clk,       // unused when STAGES == 0
    input  wire             rst_n,     // unused when STAGES == 0
    /* verilator lint_on UNUSED */
    input  wire             in_valid,
    input  wire [WIDTH-1:0] in_data,
    output wire             out_valid,
    output wire [WIDTH-1:0] out_data
);
  generate
    if (STAGES == 0) begin : g_comb
      assign out_valid = in_valid;
      assign out_data  = in_data;
    end else begin : g_regs
      wire [WIDTH:0] stage[0:STAGES];  // {valid, data} entering stage s
      assign stage[0] = {in_valid, in_data};
      genvar s;
      for (s = 0; s < STAGES; s = s + 1) begin : g_stage
        reg [WIDTH:0] q;
        always @(posedge clk) q <= {rst_n & stage[s][WIDTH], stage[s][WIDTH-1:0]};
        assign stage[s+1] = q;
      end
      assign out_valid = stage[STAGES][WIDTH];
      assign out_data  = stage[STAGES][WIDTH-1:0];
    end
  endgenerate
endmodule
`default_nettype wire
