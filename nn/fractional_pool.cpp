// FractionalMaxPool2d/3d: the options checked once, forward through nn::functional.
#include "nn/fractional_pool.h"

namespace ember::nn {

namespace F = functional;

namespace {
constexpr const char* layer_name(int rank) { return rank == 2 ? "FractionalMaxPool2d" : "FractionalMaxPool3d"; }
}  // namespace

template <int Rank>
FractionalMaxPool<Rank>::FractionalMaxPool(IntOrPair kernel_size, const F::FractionalMaxPoolOptions& options)
    : Module(layer_name(Rank)),
      kernel_size(kernel_size),
      output_size(options.output_size),
      output_ratio(options.output_ratio),
      random_samples(register_buffer("_random_samples", options.random_samples)) {
  F::detail::check_fractional_output(options, Rank, layer_name(Rank), true);
}

template <int Rank>
std::tuple<Tensor, Tensor> FractionalMaxPool<Rank>::forward_with_indices(const Tensor& input) {
  const F::FractionalMaxPoolOptions options{
      .output_size = output_size, .output_ratio = output_ratio, .random_samples = random_samples};
  if constexpr (Rank == 2) {
    return F::fractional_max_pool2d_with_indices(input, kernel_size, options);
  } else {
    return F::fractional_max_pool3d_with_indices(input, kernel_size, options);
  }
}

template <int Rank>
Tensor FractionalMaxPool<Rank>::forward(const Tensor& input) {
  return std::get<0>(forward_with_indices(input));
}

template class FractionalMaxPool<2>;
template class FractionalMaxPool<3>;

}  // namespace ember::nn
