// nn::LPPool1d/2d/3d: no parameters; forward through nn::functional::lp_pool*, reprs as
// PyTorch prints its modules' arguments (one size as an int, several as a tuple).
#include "nn/lp_pool.h"

#include "nn/functional/lp_pool.h"
#include "nn/repr.h"

namespace ember::nn {
namespace {

// PyTorch prints the argument as given: 2 or (2, 3).
std::string size_repr(const Dims& d) {
  if (d.size() == 1) return std::to_string(d[0]);
  std::string out = "(";
  for (size_t i = 0; i < d.size(); ++i) out += (i ? ", " : "") + std::to_string(d[i]);
  return out + ")";
}

std::string lp_repr(double norm_type, const std::string& kernel, const std::string& stride, bool ceil_mode) {
  return "norm_type=" + detail::python_float(norm_type) + ", kernel_size=" + kernel + ", stride=" + stride +
         ", ceil_mode=" + (ceil_mode ? "True" : "False");
}

}  // namespace

LPPool1d::LPPool1d(double p, int64_t k, std::optional<int64_t> s, bool c)
    : Module("LPPool1d"), norm_type(p), kernel_size(k), stride(s), ceil_mode(c) {}
Tensor LPPool1d::forward(const Tensor& input) {
  return functional::lp_pool1d(input, norm_type, kernel_size, stride, ceil_mode);
}
std::string LPPool1d::extra_repr() const {
  return lp_repr(norm_type, std::to_string(kernel_size), stride ? std::to_string(*stride) : "None", ceil_mode);
}

template <int64_t N>
LPPool<N>::LPPool(double p, IntOrPair k, IntOrPair s, bool c)
    : Module("LPPool" + std::to_string(N) + "d"), norm_type(p), kernel_size(k.dims), stride(s.dims), ceil_mode(c) {}
template <int64_t N>
Tensor LPPool<N>::forward(const Tensor& input) {
  if constexpr (N == 2) {
    return functional::lp_pool2d(input, norm_type, kernel_size, stride, ceil_mode);
  } else {
    return functional::lp_pool3d(input, norm_type, kernel_size, stride, ceil_mode);
  }
}
template <int64_t N>
std::string LPPool<N>::extra_repr() const {
  return lp_repr(norm_type, size_repr(kernel_size), stride.size() ? size_repr(stride) : "None", ceil_mode);
}
template class LPPool<2>;
template class LPPool<3>;

}  // namespace ember::nn
