// `ember`: the command line. Subcommands register themselves (commands.h); with none
// given it runs the memory report. Exit code 0 only on success.
#include <iostream>

#include "core/error.h"
#include "tools/commands.h"
#include "tools/train_distributed.h"

int main(int argc, char** argv) {
  CLI::App app{"ember: a GPU-accelerated deep-learning runtime (C++20/CUDA)", "ember"};
  app.set_version_flag("--version", "ember 0.1.0");
  app.require_subcommand(0, 1);
  auto* report = app.add_subcommand("report", "Memory report of a small tensor workload (the default)");
  ember::tools::Runner run_report = ember::tools::add_report_command(app, *report);
  auto* train = app.add_subcommand("train", "Train the small CNN on Fashion-MNIST");
  ember::tools::Runner run_train = ember::tools::add_train_command(*train);
  auto* eval = app.add_subcommand("eval", "Evaluate a checkpoint on the Fashion-MNIST test set");
  ember::tools::Runner run_eval = ember::tools::add_eval_command(*eval);
  auto* mem = app.add_subcommand("mem", "Memory of one forward/backward of the small CNN in each grad mode");
  ember::tools::Runner run_mem = ember::tools::add_mem_command(*mem);
  auto* kernels = app.add_subcommand("kernels", "Check the CUDA kernels against the CPU reference");
  ember::tools::Runner run_kernels = ember::tools::add_kernels_command(*kernels);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (train->parsed()) return run_train();
    if (eval->parsed()) return run_eval();
    if (mem->parsed()) return run_mem();
    if (kernels->parsed()) return run_kernels();
    return run_report();
  } catch (const ember::Error& e) {
    std::cerr << "ember: error: " << e.what() << std::endl;
    ember::tools::abort_job_on_error();  // the other ranks would wait for ever (Note [Collective timeout])
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ember: unexpected error: " << e.what() << std::endl;
    ember::tools::abort_job_on_error();
    return 1;
  }
}
