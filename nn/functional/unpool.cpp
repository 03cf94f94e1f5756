// max_unpool1d/2d/3d as one scatter of x's planes into zero planes at the indices: scatter's
// gradient to its source (a gather at the same indices) is the unpooling's backward. The
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

// One unpooling's sizes: kernel, stride, padding with one entry per spatial dim.
struct UnpoolSpec {
  const char* op;  // "max_unpool2d"
  Dims kernel, stride, padding;
};

// The output's spatial sizes: the default size, or output_size checked against it.
Dims unpool_size(const Tensor& x, const UnpoolSpec& s, const std::optional<Dims>& output_size) {
  const int64_t rank = static_cast<int64_t>(s.kernel.size());
  Dims size;
  for (int64_t i = 0; i < rank; ++i)
    size.push_back((x.size(x.dim() - rank + i) - 1) * s.stride[i] + s.kernel[i] - 2 * s.padding[i]);
  if (!output_size) return size;
  Dims asked = *output_size;
  if (static_cast<int64_t>(asked.size()) == rank + 2) asked = Dims(output_size->data() + 2, rank);
  EMBER_CHECK(static_cast<int64_t>(asked.size()) == rank, s.op, ": output_size should be a sequence containing ", rank,
              " or ", rank + 2, " elements, but it has a length of '", output_size->size(), "'");
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t low = size[i] - s.stride[i], high = size[i] + s.stride[i];
    EMBER_CHECK(low < asked[i] && asked[i] < high, s.op, ": invalid output_size \"", *output_size, "\" (dim ", i,
                " must be between ", low, " and ", high, ")");
  }
  return asked;
}

// x [N, C, *in] or [C, *in] scattered into zeros [N, C, *size] at indices (each flat into
// its output plane or volume), after PyTorch's checks; `kernel_name` is the message's
// "max_unpooling2d".
Tensor unpool(const Tensor& x, const Tensor& indices, const UnpoolSpec& s, const std::optional<Dims>& output_size,
              const char* kernel_name) {
  const int64_t rank = static_cast<int64_t>(s.kernel.size());
  EMBER_CHECK(x.dim() == rank + 1 || x.dim() == rank + 2, "Input to ", kernel_name, " should be a ", rank + 1, "d or ",
              rank + 2, "d Tensor, but got a tensor with ", x.dim(), " dimensions.");
  EMBER_CHECK(indices.dtype() == kInt64,
              "elements in indices should be type int64 but got: ", dtype_name(indices.dtype()));
  EMBER_CHECK(indices.sizes() == x.sizes(), "Expected shape of indices to be same as that of the input tensor (",
              x.sizes(), ") but got indices tensor with shape: ", indices.sizes());
  EMBER_CHECK(indices.device() == x.device(), s.op, ": expected indices on the input's device ", x.device(),
              ", but got them on ", indices.device());
  for (int64_t d = x.dim() - rank - 1; d < x.dim(); ++d)
    EMBER_CHECK(x.size(d) > 0, kernel_name,
                "(): Expected input to have non-zero size for non-batch dimensions, "
                "but got ",
                x.sizes(), " with dimension ", d, " being empty.");
  for (int64_t i = 0; i < rank; ++i)
    EMBER_CHECK(s.stride[i] > 0, s.op, ": strides should be greater than zero, but got stride: ", s.stride);
  const Dims size = unpool_size(x, s, output_size);
  int64_t volume = 1;
  std::string volume_text;
  for (int64_t i = 0; i < rank; ++i) {
    EMBER_CHECK(size[i] >= 0, s.op, ": the output size ", size, " must not be negative");
    volume *= size[i];
    if (i) volume_text += 'x';
    volume_text += std::to_string(size[i]);
  }
  const bool batched = x.dim() == rank + 2;
  const int64_t N = batched ? x.size(0) : 1, C = x.size(x.dim() - rank - 1);
  int64_t L = 1;
  for (int64_t d = x.dim() - rank; d < x.dim(); ++d) L *= x.size(d);
  const Tensor flat_indices = indices.reshape({N, C, L});
  {
    NoGradGuard check;
    const Tensor invalid = bitwise_or(lt(flat_indices, 0), ge(flat_indices, volume));
    if (invalid.any().item<bool>()) {
      const Tensor bad = masked_select(flat_indices, invalid);
      const int64_t last = bad[bad.numel() - 1].item<int64_t>();  // the one torch's CPU loop reports
      EMBER_FAIL("Found an invalid max index: ", last, " (output volumes are of size ", volume_text);
    }
  }
  const Tensor planes = zeros({N, C, volume}, TensorOptions(x.dtype()).device(x.device()));
  Dims out_shape(x.sizes().data(), x.dim() - rank);
  for (const int64_t extent : size) out_shape.push_back(extent);
  Tensor out = scatter(planes, 2, flat_indices, x.reshape({N, C, L})).reshape(out_shape);
  if (rank == 2 && x.dim() == 4 && x.suggest_memory_format() == MemoryFormat::ChannelsLast)
    out = out.contiguous(MemoryFormat::ChannelsLast);
  return out;
}

}  // namespace

Tensor max_unpool1d(const Tensor& x, const Tensor& indices, int64_t kernel_size, std::optional<int64_t> stride,
                    int64_t padding, const std::optional<Dims>& output_size) {
  const UnpoolSpec s{"max_unpool1d", {kernel_size}, {stride.value_or(kernel_size)}, {padding}};
  return unpool(x, indices, s, output_size, "max_unpooling1d");
}

Tensor max_unpool2d(const Tensor& x, const Tensor& indices, IntOrPair kernel_size, IntOrPair stride, IntOrPair padding,
                    const std::optional<Dims>& output_size) {
  const Dims kernel = detail::expand_pair(kernel_size, "max_unpool2d", "kernel_size");
  const UnpoolSpec s{"max_unpool2d", kernel,
                     stride.dims.empty() ? kernel : detail::expand_pair(stride, "max_unpool2d", "stride"),
                     detail::expand_pair(padding, "max_unpool2d", "padding")};
  return unpool(x, indices, s, output_size, "max_unpooling2d");
}

Tensor max_unpool3d(const Tensor& x, const Tensor& indices, IntOrTriple kernel_size, IntOrTriple stride,
                    IntOrTriple padding, const std::optional<Dims>& output_size) {
  const Dims kernel = detail::expand_triple(kernel_size, "max_unpool3d", "kernel_size");
  const UnpoolSpec s{"max_unpool3d", kernel,
                     stride.dims.empty() ? kernel : detail::expand_triple(stride, "max_unpool3d", "stride"),
                     detail::expand_triple(padding, "max_unpool3d", "padding")};
  return unpool(x, indices, s, output_size, "max_unpooling3d");
}

}  // namespace ember::nn::functional
