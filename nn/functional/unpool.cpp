// max_unpool2d as one scatter of x's planes into zero planes at the indices: scatter's
// gradient to its source (a gather at the same indices) is max_unpool2d's backward. The
// output size follows torch 1.13's _unpool_output_size; every index is checked on the host
// (a CUDA input synchronises once), so a bad one is PyTorch's "Found an invalid max index"
// (the last bad one in memory order, as torch's CPU kernel reports on one thread).
#include "nn/functional/unpool.h"

#include <string>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {
namespace {

// The output's {OH, OW}: the default size, or output_size checked against it.
Dims unpool_size(const Tensor& x, const Dims& kernel, const Dims& stride, const Dims& padding,
                 const std::optional<Dims>& output_size) {
  Dims size;
  for (int i = 0; i < 2; ++i) size.push_back((x.size(x.dim() - 2 + i) - 1) * stride[i] + kernel[i] - 2 * padding[i]);
  if (!output_size) return size;
  Dims asked = *output_size;
  if (asked.size() == 4) asked = Dims{asked[2], asked[3]};
  EMBER_CHECK(asked.size() == 2, "max_unpool2d: output_size should be a sequence containing 2 or 4 elements, but it "
              "has a length of '", output_size->size(), "'");
  for (int i = 0; i < 2; ++i) {
    const int64_t low = size[i] - stride[i], high = size[i] + stride[i];
    EMBER_CHECK(low < asked[i] && asked[i] < high, "max_unpool2d: invalid output_size \"", *output_size, "\" (dim ", i,
                " must be between ", low, " and ", high, ")");
  }
  return asked;
}

}  // namespace

Tensor max_unpool2d(const Tensor& x, const Tensor& indices, IntOrPair kernel_size, IntOrPair stride_in,
                    IntOrPair padding_in, const std::optional<Dims>& output_size) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor "
              "with ", x.dim(), " dimensions.");
  EMBER_CHECK(indices.dtype() == kInt64, "elements in indices should be type int64 but got: ",
              dtype_name(indices.dtype()));
  EMBER_CHECK(indices.sizes() == x.sizes(), "Expected shape of indices to be same as that of the input tensor (",
              x.sizes(), ") but got indices tensor with shape: ", indices.sizes());
  EMBER_CHECK(indices.device() == x.device(), "max_unpool2d: expected indices on the input's device ", x.device(),
              ", but got them on ", indices.device());
  for (int64_t d = x.dim() - 3; d < x.dim(); ++d)
    EMBER_CHECK(x.size(d) > 0, "max_unpooling2d(): Expected input to have non-zero size for non-batch dimensions, "
                "but got ", x.sizes(), " with dimension ", d, " being empty.");
  const Dims kernel = detail::expand_pair(kernel_size, "max_unpool2d", "kernel_size");
  const Dims stride = stride_in.dims.empty() ? kernel : detail::expand_pair(stride_in, "max_unpool2d", "stride");
  const Dims padding = detail::expand_pair(padding_in, "max_unpool2d", "padding");
  const Dims size = unpool_size(x, kernel, stride, padding, output_size);
  const int64_t OH = size[0], OW = size[1];
  EMBER_CHECK(OH >= 0 && OW >= 0, "max_unpool2d: the output size (", OH, ", ", OW, ") must not be negative");
  const int64_t N = x.dim() == 4 ? x.size(0) : 1, C = x.size(x.dim() - 3);
  const int64_t L = x.size(x.dim() - 2) * x.size(x.dim() - 1);
  const Tensor flat_indices = indices.reshape({N, C, L});
  {
    NoGradGuard check;
    const Tensor invalid = bitwise_or(lt(flat_indices, 0), ge(flat_indices, OH * OW));
    if (invalid.any().item<bool>()) {
      const Tensor bad = masked_select(flat_indices, invalid);
      const int64_t last = bad[bad.numel() - 1].item<int64_t>();  // the one torch's CPU loop reports
      EMBER_FAIL("Found an invalid max index: ", last, " (output volumes are of size ", OH, "x", OW);
    }
  }
  const Tensor planes = zeros({N, C, OH * OW}, TensorOptions(x.dtype()).device(x.device()));
  Dims out_shape = x.sizes();
  out_shape[out_shape.size() - 2] = OH;
  out_shape[out_shape.size() - 1] = OW;
  Tensor out = scatter(planes, 2, flat_indices, x.reshape({N, C, L})).reshape(out_shape);
  if (x.dim() == 4 && x.suggest_memory_format() == MemoryFormat::ChannelsLast)
    out = out.contiguous(MemoryFormat::ChannelsLast);
  return out;
}

}  // namespace ember::nn::functional
