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

class Commands {
 public:
  void add_to(CLI::App& app) {
    add_check_command(app, action_);
    add_run_command(app, action_);
    add_summary_command(app, action_);
    add_gpu_command(app, action_);
  }
  int run() const { return action_ ? action_() : 0; }

 private:
  std::function<int()> action_;
};

}  // namespace einfuse::cli
