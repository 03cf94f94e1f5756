// Device parsing and printing.
#include "core/device.h"

#include <charconv>

#include "core/error.h"

namespace ember {

Device::Device(std::string_view spec) {
  if (spec == "cpu") {
    *this = cpu();
    return;
  }
  if (spec == "cuda") {
    *this = cuda(0);
    return;
  }
  if (spec.starts_with("cuda:")) {
    int idx = -1;
    auto digits = spec.substr(5);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), idx);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && idx >= 0 && idx < kMaxIndex) {
      *this = cuda(idx);
      return;
    }
  }
  EMBER_FAIL("Expected one of cpu, cuda, cuda:N device string, but got: '", spec, "'");
}

void Device::bad_cuda_index(int index) {
  EMBER_FAIL("Device::cuda: expected a device index from 0 to ", kMaxIndex - 1, ", but got ", index);
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index_);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace ember
