// einfuse: the command-line front end. One subcommand per job; each lives in its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/diagnostics.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "einfuse: describe an attention algorithm once as an extended-Einsum cascade, then\n"
      "analyse it, run it as a golden reference, map it onto a FuseMax-style accelerator and\n"
      "cost it, reproduce the FuseMax paper's evaluation, and run its RTL and GPU checks.\n\n"
      "Examples:\n"
      "  einfuse check workloads/attention/softmax_1pass.ein --shape P=1K,M=1K\n"
      "  einfuse run workloads/attention/softmax_1pass.ein --shape P=256,M=256 \\\n"
      "      --precision bf16 --compare softmax-attention --out /tmp/out\n"
      "  einfuse map workloads/attention/causal_1pass.ein --arch fusemax --model BERT --seq 4K\n"
      "  einfuse explore --preset fusemax-paper --out results/fusemax-paper\n\n"
      "Exit codes: 0 success, 1 a check failed (a comparison, a mapping that does not fit),\n"
      "2 bad input (cascade, shape, flags), 3 no device or tool (GPU, yosys).",
      "einfuse"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show the help of every subcommand");
  einfuse::cli::Commands commands;
  commands.add_to(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : einfuse::cli::kBadInput;
  }
  try {
    return commands.run();
  } catch (const einfuse::einsum::CascadeError& e) {
    std::cerr << e.what();
    return einfuse::cli::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "einfuse: error: " << e.what() << "\n";
    return einfuse::cli::kBadInput;
  }
}
