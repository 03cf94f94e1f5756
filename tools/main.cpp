// `ember`: the command line. Subcommands register themselves (commands.h); with none
// given it runs the memory report. Exit code 0 only on success.
#include <iostream>

#include "core/error.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ember: a GPU-accelerated deep-learning runtime (C++20/CUDA)", "ember"};
  app.set_version_flag("--version", "ember 0.1.0");
  app.require_subcommand(0, 1);
  auto* report = app.add_subcommand("report", "Memory report of a small tensor workload (the default)");
  ember::tools::Runner run_report = ember::tools::add_report_command(app, *report);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run_report();
  } catch (const ember::Error& e) {
    std::cerr << "ember: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ember: unexpected error: " << e.what() << "\n";
    return 1;
  }
}
