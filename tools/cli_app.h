// The `ember` command line as an object: the CLI11 app with every subcommand
// registered, parsed apart from running, so that main.cpp and the argument-parsing
// fuzz harness (tests/fuzz) go through the same code.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace ember::tools {

struct CliApp {
  CLI::App app{"ember: a GPU-accelerated deep-learning runtime (C++20/CUDA)", "ember"};
  CLI::App* train = nullptr;
  CLI::App* eval = nullptr;
  CLI::App* mem = nullptr;
  CLI::App* kernels = nullptr;
  CLI::App* predict = nullptr;
  Runner run_report, run_train, run_eval, run_mem, run_kernels, run_predict;
};

// A fresh app with all subcommands and their flags (CLI::App cannot be moved: hence the pointer).
std::unique_ptr<CliApp> make_cli_app();

// Runs the subcommand that `cli.app.parse(...)` chose; ember errors become "ember:
// error: ..." on stderr and exit code 1.
int run_parsed(CliApp& cli);

}  // namespace ember::tools
