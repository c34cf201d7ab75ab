// The subcommands of einfuse. Each registers its options on the CLI11 app; the one the
// user chose runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace einfuse::cli {

void add_check_command(CLI::App& app, std::function<int()>& action);
void add_run_command(CLI::App& app, std::function<int()>& action);
void add_summary_command(CLI::App& app, std::function<int()>& action);
void add_gpu_command(CLI::App& app, std::function<int()>& action);
void add_explore_command(CLI::App& app, std::function<int()>& action);
void add_merge_command(CLI::App& app, std::function<int()>& action);
void add_cost_command(CLI::App& app, std::function<int()>& action);
void add_compare_command(CLI::App& app, std::function<int()>& action);
void add_map_command(CLI::App& app, std::function<int()>& action);
void add_rtl_command(CLI::App& app, std::function<int()>& action);
void add_sim_command(CLI::App& app, std::function<int()>& action);

class Commands {
 public:
  void add_to(CLI::App& app) {
    // In the order `einfuse --help` lists them; a new command is one more line here.
    using Adder = void (*)(CLI::App&, std::function<int()>&);
    static constexpr Adder kCommands[] = {
        add_check_command,   add_run_command,   add_summary_command, add_gpu_command,
        add_map_command,     add_cost_command,  add_explore_command, add_merge_command,
        add_compare_command, add_sim_command,   add_rtl_command,
    };
    for (Adder add : kCommands) add(app, action_);
  }
  int run() const { return action_ ? action_() : 0; }

 private:
  std::function<int()> action_;
};

}  // namespace einfuse::cli
