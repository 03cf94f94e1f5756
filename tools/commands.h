// The `ember` subcommands: each registers its flags on the CLI11 app and returns the
// exit code when run. main.cpp wires them together.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace ember::tools {

using Runner = std::function<int()>;

// `ember` with no subcommand, or `ember report`: a memory report of a small tensor workload.
Runner add_report_command(CLI::App& app, CLI::App& sub);

}  // namespace ember::tools
