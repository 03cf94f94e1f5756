// Every CUDA kernel check (tools/kernel_checks, also run by `ember kernels`) as its own
// test: the CUDA result against the CPU reference within the check's tolerance.
// Without a GPU each one skips.
#include <gtest/gtest.h>

#include <cctype>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

const std::vector<Check>& checks() {
  static const std::vector<Check> all = all_checks();
  return all;
}

class KernelCheck : public ::testing::TestWithParam<size_t> {};

TEST_P(KernelCheck, MatchesCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Check& check = checks().at(GetParam());
  const CheckResult result = check.run();
  EXPECT_TRUE(result.passed) << check.op << " " << check.shape << ": " << result.detail << " (max error "
                             << result.max_error << ")";
}

// "sum(dim=1) [64, 1000]" -> "sum_dim_1__64_1000_" plus the index: unique, gtest-safe.
std::string test_name(const ::testing::TestParamInfo<size_t>& info) {
  const Check& check = checks().at(info.param);
  std::string name = std::to_string(info.param) + "_" + check.op + "_" + check.shape;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cuda, KernelCheck, ::testing::Range<size_t>(0, checks().size()), test_name);

}  // namespace
}  // namespace ember::kernel_checks
