// `ember kernels`: runs every CUDA kernel check (tools/kernel_checks) against the CPU
// reference and prints a table of op, shape, max error and pass/fail; exit 1 when a
// check fails or there is no CUDA device.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/kernel_checks/kernel_checks.h"

namespace ember::tools {

Runner add_kernels_command(CLI::App& sub) {
  auto device = std::make_shared<std::string>("cuda");
  auto filter = std::make_shared<std::string>();
  sub.add_option("--device", *device, "The device whose kernels are checked (cuda or cuda:N)")->capture_default_str();
  sub.add_option("--filter", *filter, "Only checks whose op contains one of these texts, separated by | (softmax|adam)");
  return [device, filter]() {
    const Device dev(*device);
    if (!dev.is_cuda()) {
      std::fprintf(stderr, "ember kernels: --device must be a CUDA device (the CPU is the reference), got %s\n",
                   device->c_str());
      return 2;
    }
    if (!cuda::is_available()) {
      std::fprintf(stderr, "ember kernels: no CUDA device is available, so there is nothing to check\n");
      return 1;
    }
    cuda::set_device(dev.index());
    std::vector<std::string> wanted;
    std::istringstream parts(*filter);
    for (std::string part; std::getline(parts, part, '|');)
      if (!part.empty()) wanted.push_back(part);
    auto selected = [&](const std::string& op) {
      if (wanted.empty()) return true;
      for (const std::string& w : wanted)
        if (op.find(w) != std::string::npos) return true;
      return false;
    };
    int run = 0, failed = 0;
    std::printf("%-44s %-26s %12s %10s  %s\n", "op", "shape", "max error", "tolerance", "result");
    for (const kernel_checks::Check& check : kernel_checks::all_checks()) {
      if (!selected(check.op)) continue;
      kernel_checks::CheckResult result;
      try {
        result = check.run();
      } catch (const std::exception& e) {
        result.passed = false;
        result.detail = std::string("threw: ") + e.what();
      }
      ++run;
      failed += result.passed ? 0 : 1;
      std::printf("%-44s %-26s %12.3g %10.1g  %s\n", check.op.c_str(), check.shape.c_str(), result.max_error,
                  check.tolerance, result.passed ? "pass" : "FAIL");
      if (!result.passed) std::printf("    %s\n", result.detail.c_str());
    }
    std::printf("%d checks, %d passed, %d failed\n", run, run - failed, failed);
    return failed == 0 && run > 0 ? 0 : 1;
  };
}

}  // namespace ember::tools
