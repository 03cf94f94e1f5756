// pixel_shuffle, pixel_unshuffle and channel_shuffle: one reshape into blocks, one permute,
// one reshape back (a copy only where the permuted view cannot be reshaped for free), so
// autograd and every device come with the view ops. Leading batch dims are folded into one
// first, keeping the block view within kMaxDims for any input PyTorch accepts.
#include "nn/functional/shuffle.h"

#include "core/error.h"

namespace ember::nn::functional {
namespace {

// The product of x's dims before the last `trailing` ones (1 for none).
int64_t leading_count(const Tensor& x, int64_t trailing) {
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim() - trailing; ++d) n *= x.size(d);
  return n;
}

// x's sizes with the last `trailing` dims replaced by `tail`.
Dims with_tail(const Tensor& x, int64_t trailing, std::initializer_list<int64_t> tail) {
  Dims out;
  for (int64_t d = 0; d < x.dim() - trailing; ++d) out.push_back(x.size(d));
  for (int64_t s : tail) out.push_back(s);
  return out;
}

// The result as a new tensor: where the reshapes could all be views (r = 1, groups 1 or C) it
// would alias x, and PyTorch's shuffles always write a new output.
Tensor unaliased(const Tensor& out, const Tensor& x) { return out.is_alias_of(x) ? out.clone() : out; }

}  // namespace

Tensor pixel_shuffle(const Tensor& x, int64_t r) {
  EMBER_CHECK(x.dim() >= 3, "pixel_shuffle expects input to have at least 3 dimensions, but got input with ", x.dim(),
              " dimension(s)");
  EMBER_CHECK(r > 0, "pixel_shuffle expects a positive upscale_factor, but got ", r);
  const int64_t channels = x.size(-3), H = x.size(-2), W = x.size(-1);
  EMBER_CHECK(channels % (r * r) == 0, "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
              "square of upscale_factor, but input.size(-3)=", channels, " is not divisible by ", r * r);
  const int64_t C = channels / (r * r);
  return unaliased(x.reshape({leading_count(x, 3), C, r, r, H, W})
                       .permute({0, 1, 4, 2, 5, 3})
                       .reshape(with_tail(x, 3, {C, H * r, W * r})),
                   x);
}

Tensor pixel_unshuffle(const Tensor& x, int64_t r) {
  EMBER_CHECK(x.dim() >= 3, "pixel_unshuffle expects input to have at least 3 dimensions, but got input with ",
              x.dim(), " dimension(s)");
  EMBER_CHECK(r > 0, "pixel_unshuffle expects a positive downscale_factor, but got ", r);
  const int64_t C = x.size(-3), H = x.size(-2), W = x.size(-1);
  EMBER_CHECK(H % r == 0, "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=", H,
              " is not divisible by ", r);
  EMBER_CHECK(W % r == 0, "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=", W,
              " is not divisible by ", r);
  return unaliased(x.reshape({leading_count(x, 3), C, H / r, r, W / r, r})
                       .permute({0, 1, 3, 5, 2, 4})
                       .reshape(with_tail(x, 3, {C * r * r, H / r, W / r})),
                   x);
}

Tensor channel_shuffle(const Tensor& x, int64_t groups) {
  EMBER_CHECK(x.dim() > 2, "channel_shuffle expects input with > 2 dims, but got input with sizes ", x.sizes());
  EMBER_CHECK(groups > 0, "Number of groups to divide channels in must be positive. Value of groups:", groups);
  const int64_t C = x.size(1);
  EMBER_CHECK(C % groups == 0, "Number of channels must be divisible by groups. Got ", C, " channels and ", groups,
              " groups.");
  // [N, groups, C / groups, rest] -> [N, C / groups, groups, rest]
  const int64_t N = x.size(0);
  int64_t rest = 1;
  for (int64_t d = 2; d < x.dim(); ++d) rest *= x.size(d);
  return unaliased(x.reshape({N, groups, C / groups, rest}).transpose(1, 2).reshape(x.sizes()), x);
}

}  // namespace ember::nn::functional
