// Host-side element access for Tensor: to_vector<T>() and item<T>(), converting
// from the tensor's dtype to T like static_cast (as libtorch's item<T>() does).
#pragma once
#include <vector>

namespace ember {

template <typename T>
std::vector<T> Tensor::to_vector() const {
  static_assert(std::is_arithmetic_v<T>, "to_vector<T>: T must be an arithmetic type");
  Tensor host = to(Device::cpu()).contiguous();
  std::vector<T> out(static_cast<size_t>(host.numel()));
  visit_dtype(host.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = static_cast<const S*>(host.data_ptr());
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(src[i]);
  });
  return out;
}

template <typename T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  return to_vector<T>()[0];
}

}  // namespace ember
