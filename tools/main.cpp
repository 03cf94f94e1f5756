// `ember`: the command line. Subcommands register themselves (commands.h, cli_app.h);
// with none given it runs the memory report. Exit code 0 only on success.
#include "tools/cli_app.h"

int main(int argc, char** argv) {
  const auto cli = ember::tools::make_cli_app();
  try {
    cli->app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli->app.exit(e);
  }
  return ember::tools::run_parsed(*cli);
}
