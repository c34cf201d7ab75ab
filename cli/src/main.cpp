// einfuse: the command-line front end. One subcommand per job; each lives in its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/diagnostics.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "einfuse: describe an attention algorithm once as an extended-Einsum cascade, then\n"
      "analyse it, run it as a golden reference, and (in later versions) map, simulate and\n"
      "cost it on a FuseMax-style accelerator.\n\n"
      "Examples:\n"
      "  einfuse check workloads/attention/softmax_1pass.ein --shape P=1K,M=1K\n"
      "  einfuse check workloads/attention/causal_1pass.ein --model BERT --seq 1M --json\n"
      "  einfuse run workloads/attention/softmax_1pass.ein --shape P=256,M=256 \\\n"
      "      --precision bf16 --compare softmax-attention --out /tmp/out\n"
      "  einfuse summary\n\n"
      "Exit codes: 0 success, 1 a comparison failed, 2 bad input (cascade, shape, flags).",
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
