// The padding layers' shared body: the padding list checked and expanded, forward through
// nn::functional::pad, and PyTorch's reprs.
#include "nn/padding.h"

#include "core/error.h"
#include "nn/functional/pad.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {

// PyTorch's _ntuple passes a tuple through as it is, so ZeroPad3d((1, 2)) pads the last dim
// only: any even count up to 2 * dims (F::pad checks it against the input).
std::vector<int64_t> expanded(const std::string& type_name, int64_t dims, const PadSizes& padding) {
  if (padding.single) return std::vector<int64_t>(static_cast<size_t>(2 * dims), padding.values[0]);
  const auto n = static_cast<int64_t>(padding.values.size());
  EMBER_CHECK(n > 0 && n % 2 == 0 && n <= 2 * dims, type_name, ": expected padding to be a single integer or ",
              "an even number of values up to ", 2 * dims, ", but got ", detail::python_tuple(padding.values));
  return padding.values;
}

}  // namespace

PadNd::PadNd(const std::string& type_name, int64_t dims, const PadSizes& sizes, std::string pad_mode,
             double pad_value)
    : Module(type_name), padding(expanded(type_name, dims, sizes)), mode(std::move(pad_mode)), value(pad_value) {}

Tensor PadNd::forward(const Tensor& input) {
  if (mode == "circular") {  // PyTorch's _CircularPadNd._check_input_dim; N of "CircularPad<N>d"
    const std::string& type = type_name();
    const int64_t dims = type.size() >= 2 ? type[type.size() - 2] - '0' : static_cast<int64_t>(padding.size() / 2);
    EMBER_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, "expected ", dims + 1, "D or ", dims + 2,
                "D input (got ", input.dim(), "D input)");
  }
  return functional::pad(input, padding, mode, value);
}

std::string PadNd::extra_repr() const {
  if (mode != "constant" || type_name().rfind("ZeroPad", 0) == 0) return detail::python_tuple(padding);
  return "padding=" + detail::python_tuple(padding) + ", value=" + detail::python_float(value);
}

}  // namespace ember::nn
