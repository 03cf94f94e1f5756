// Builds the `ember` CLI11 app (tools/cli_app.h) and runs the parsed subcommand.
#include "tools/cli_app.h"

#include "tools/train_distributed.h"

#include <iostream>

#include "core/error.h"
#include "nn/diagnostics.h"

namespace ember::tools {

std::unique_ptr<CliApp> make_cli_app() {
  auto cli = std::make_unique<CliApp>();
  CLI::App& app = cli->app;
  app.set_version_flag("--version", "ember 0.1.0");
  app.require_subcommand(0, 1);
  auto* report = app.add_subcommand("report", "Memory report of a small tensor workload (the default)");
  cli->run_report = add_report_command(app, *report);
  cli->train = app.add_subcommand("train", "Train the small CNN on Fashion-MNIST");
  cli->run_train = add_train_command(*cli->train);
  cli->eval = app.add_subcommand("eval", "Evaluate a checkpoint on the Fashion-MNIST test set");
  cli->run_eval = add_eval_command(*cli->eval);
  cli->predict = app.add_subcommand("predict", "Classify your own images with a checkpoint of ember train");
  cli->run_predict = add_predict_command(*cli->predict);
  cli->mem = app.add_subcommand("mem", "Memory of one forward/backward of the small CNN in each grad mode");
  cli->run_mem = add_mem_command(*cli->mem);
  cli->kernels = app.add_subcommand("kernels", "Check the CUDA kernels against the CPU reference");
  cli->run_kernels = add_kernels_command(*cli->kernels);
  return cli;
}

namespace {

// The report's flags are the top-level app's too (`ember --device cpu` runs the report):
// given before another subcommand, they would be silently ignored (`ember --device cpu
// train` would train on the default device), so that is an error naming the fix.
void check_no_report_flags_before(const CliApp& cli) {
  for (CLI::App* sub : {cli.train, cli.eval, cli.predict, cli.mem, cli.kernels}) {
    if (!sub->parsed()) continue;
    for (const CLI::Option* option : cli.app.get_options()) {
      if (option->count() == 0) continue;
      const std::string flag = option->get_name();
      const std::string fix = sub->get_option_no_throw(flag) != nullptr
                                  ? "put it after the subcommand (ember " + sub->get_name() + " " + flag + " ...)"
                                  : "`ember " + sub->get_name() + "` has no " + flag;
      EMBER_FAIL(flag, ": given before the subcommand '", sub->get_name(), "', where only `ember report` reads it; ",
                 fix);
    }
  }
}

}  // namespace

int run_parsed(CliApp& cli) {
  try {
    // EMBER_DIAGNOSTICS is read on first use: read it now, so a bad value stops the
    // command before its work rather than after an epoch of training.
    (void)ember::diagnostics::counts();
    check_no_report_flags_before(cli);
    if (cli.train->parsed()) return cli.run_train();
    if (cli.eval->parsed()) return cli.run_eval();
    if (cli.predict->parsed()) return cli.run_predict();
    if (cli.mem->parsed()) return cli.run_mem();
    if (cli.kernels->parsed()) return cli.run_kernels();
    return cli.run_report();
  } catch (const ember::Error& e) {
    std::cerr << "ember: error: " << e.what() << "\n";
    abort_job_on_error();  // the other ranks would wait for ever (Note [Collective timeout])
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ember: unexpected error: " << e.what() << "\n";
    abort_job_on_error();
    return 1;
  }
}

}  // namespace ember::tools
