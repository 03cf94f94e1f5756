// nn::Conv2d: option checks, PyTorch's default initialization, forward and repr.
#include "nn/conv.h"

#include <cmath>
#include <sstream>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/init.h"

namespace ember::nn {
namespace {

int64_t checked_groups(int64_t in, int64_t out, int64_t groups) {
  EMBER_CHECK(groups > 0, "Conv2d: groups must be a positive integer, but got ", groups);
  EMBER_CHECK(in % groups == 0, "Conv2d: in_channels must be divisible by groups, but got in_channels=", in,
              " and groups=", groups);
  EMBER_CHECK(out % groups == 0, "Conv2d: out_channels must be divisible by groups, but got out_channels=", out,
              " and groups=", groups);
  return groups;
}

// Checks the groups itself: it may run before the weight's shape is computed (the order
// of a call's arguments is unspecified).
double init_bound(int64_t in, int64_t out, int64_t groups, Pair k) {
  const int64_t fan_in = in / checked_groups(in, out, groups) * k.h * k.w;
  return fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
}

std::ostream& operator<<(std::ostream& os, Pair p) { return os << "(" << p.h << ", " << p.w << ")"; }

}  // namespace

Conv2d::Conv2d(int64_t in, int64_t out, Pair k, Conv2dOptions opts)
    : Module("Conv2d"),
      in_channels(in),
      out_channels(out),
      kernel_size(k),
      options(opts),
      weight(register_parameter("weight", init::uniform({out, in / checked_groups(in, out, opts.groups), k.h, k.w},
                                                       init_bound(in, out, opts.groups, k)))),
      bias(register_parameter("bias", opts.bias ? init::uniform({out}, init_bound(in, out, opts.groups, k)) : Tensor())) {}

Tensor Conv2d::forward(const Tensor& input) {
  return functional::conv2d(input, weight, bias, options.stride, options.padding, options.dilation, options.groups);
}

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << kernel_size << ", stride=" << options.stride;
  if (options.padding != Pair(0)) os << ", padding=" << options.padding;
  if (options.dilation != Pair(1)) os << ", dilation=" << options.dilation;
  if (options.groups != 1) os << ", groups=" << options.groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

}  // namespace ember::nn
