// The `ember` subcommands: each registers its flags on the CLI11 app and returns the
// exit code when run. main.cpp wires them together.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace ember::tools {

using Runner = std::function<int()>;

// `ember` with no subcommand, or `ember report`: a memory report of a small tensor workload.
Runner add_report_command(CLI::App& app, CLI::App& sub);
// `ember train`: the small CNN on Fashion-MNIST; `ember eval --load CKPT`.
Runner add_train_command(CLI::App& sub);
Runner add_eval_command(CLI::App& sub);
// `ember predict --load CKPT IMAGE...`: the checkpoint's top classes for each image.
Runner add_predict_command(CLI::App& sub);
// `ember mem`: memory and graph size of one forward/backward in each mode.
Runner add_mem_command(CLI::App& sub);
// `ember kernels`: the CUDA kernel checks against the CPU reference, as a table.
Runner add_kernels_command(CLI::App& sub);

}  // namespace ember::tools
