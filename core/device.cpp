// Device parsing and printing.
#include "core/device.h"

#include <charconv>

#include "core/cuda_backend.h"
#include "core/error.h"

namespace ember {

Device::Device(std::string_view spec) {
  // PyTorch's "cpu:0" (a CPU index may only be 0) and "cuda", the current device
  // (cuda::set_device; cuda:0 where there is no GPU).
  if (spec == "cpu" || spec == "cpu:0") {
    *this = cpu();
    return;
  }
  if (spec == "cuda") {
    *this = cuda(detail::current_cuda_device_or_zero());
    return;
  }
  if (spec.starts_with("cuda:")) {
    int idx = -1;
    auto digits = spec.substr(5);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), idx);
    const bool leading_zero = digits.size() > 1 && digits[0] == '0';  // "cuda:01" is c10's error too
    if (ec == std::errc() && ptr == digits.data() + digits.size() && !leading_zero && idx >= 0 && idx < kMaxIndex) {
      *this = cuda(idx);
      return;
    }
  }
  if (spec.starts_with("cpu:")) {  // c10's "cpu:N": a valid number, then only 0
    const auto digits = spec.substr(4);
    EMBER_CHECK(digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
                    (digits.size() > 1 && digits[0] == '0'),
                "CPU device index must be -1 or zero, got ", digits);
  }
  EMBER_FAIL("Expected one of cpu, cuda, cuda:N device string, but got: '", spec, "'");
}

void Device::bad_cpu_index(int index) { EMBER_FAIL("CPU device index must be -1 or zero, got ", index); }
int Device::current_cuda_index() { return detail::current_cuda_device_or_zero(); }

void Device::bad_cuda_index(int index) {
  EMBER_FAIL("Device::cuda: expected a device index from 0 to ", kMaxIndex - 1, ", but got ", index);
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index_);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace ember
