// `ember report`: runs a small tensor workload (matmul, elementwise, reductions) on
// the chosen device and prints what the caching allocator saw at each step.
#include <chrono>
#include <cstdio>
#include <sstream>
#include <iostream>
#include <string>

#include <ember/ember.h>

#include "nn/serialize/files.h"
#include "nn/serialize/json.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"
#include "tools/output_check.h"
#include "tools/small_cnn.h"

namespace ember::tools {
namespace {

struct ReportOptions {
  std::string device = "auto";
  int64_t size = 512;
  std::string json_path;
};

int run_report(const ReportOptions& opt) {
  if (!opt.json_path.empty()) check_output_path(opt.json_path, "--json");
  const Device dev = resolve_device(opt.device);
  const int64_t n = opt.size;
  memory::reset_peak(dev);
  std::cout << "ember memory report on " << dev << " (" << n << "x" << n << " float32)\n\n";
  std::cout << "step                               allocated     peak          reserved\n";
  auto row = [&](const char* step) {
    auto s = memory::stats(dev);
    std::printf("%-34s %-13s %-13s %s\n", step, mib(s.allocated_bytes.current).c_str(),
                mib(s.allocated_bytes.peak).c_str(), mib(s.reserved_bytes.current).c_str());
  };
  auto start = std::chrono::steady_clock::now();
  manual_seed(0);
  row("start");
  Tensor a = randn({n, n}, TensorOptions().device(dev));
  Tensor b = randn({n, n}, TensorOptions().device(dev));
  row("a, b = randn");
  Tensor c = matmul(a, b);
  row("c = a @ b");
  Tensor d = (c * 0.5 + 1.0).relu();
  row("d = relu(c * 0.5 + 1)");
  double total = d.sum().item<double>();
  row("d.sum()");
  c = Tensor();
  d = Tensor();
  row("free c, d (cached, not released)");
  memory::empty_cache(dev);
  row("empty_cache()");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto s = memory::stats(dev);
  std::cout << "\nsum(d) = " << total << ", " << seconds << " s\n\n" << memory::summary(dev) << "\n";
  if (!opt.json_path.empty()) {
    const nn::json::OrderedJson out = {{"device", dev.str()},
                                       {"size", n},
                                       {"sum", total},
                                       {"peak_allocated_bytes", s.allocated_bytes.peak},
                                       {"reserved_bytes", s.reserved_bytes.current},
                                       {"seconds", seconds}};
    nn::write_text_atomically(opt.json_path, "write --json file", nn::json::dump(out, 2));
  }
  return 0;
}

void add_flags(CLI::App& app, ReportOptions& opt) {
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--size", opt.size, "matrix size n (n x n)")->transform(in_range(1, 8192))->capture_default_str();
  app.add_option("--json", opt.json_path, "also write the numbers to this JSON file");
}

}  // namespace

Runner add_report_command(CLI::App& app, CLI::App& sub) {
  auto opt = std::make_shared<ReportOptions>();
  add_flags(app, *opt);  // `ember --device cpu` runs the report too
  add_flags(sub, *opt);
  return [opt] { return run_report(*opt); };
}

}  // namespace ember::tools
