// Convolution (2-D, 1-D, transposed) and 2-D pooling for nn::functional (PyTorch names and
// defaults), NCHW (or unbatched CHW) float32/float64/bfloat16 on any device with the
// kernels. Each op records one backward node only when recording (ConvolutionBackward,
// MaxPool2DWithIndicesBackward, ...).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <tuple>

#include "core/tensor.h"

namespace ember::nn {

// A 2-D size given as one integer (used for both) or as {height, width}; converts
// to Dims. Lets options read `.stride = 1` or `.padding = {1, 2}`. one_int remembers the
// spelling, which the pooling layers' reprs keep as PyTorch's do (3 vs (3, 3)); == compares
// the sizes only.
struct Pair {
  Pair(int64_t both) : h(both), w(both), one_int(true) {}  // NOLINT: implicit on purpose
  Pair(int64_t height, int64_t width) : h(height), w(width) {}
  operator Dims() const { return {h, w}; }  // NOLINT
  bool operator==(const Pair& o) const { return h == o.h && w == o.w; }
  int64_t h, w;
  bool one_int = false;
};

// A functional size argument as PyTorch takes it: one integer (`max_pool2d(x, 2)`),
// a pair (`{2, 3}`), a Pair, or Dims; empty (the default `{}`) where allowed.
struct IntOrPair {
  IntOrPair() = default;
  IntOrPair(int64_t both) : dims{both} {}                          // NOLINT: implicit on purpose
  IntOrPair(std::initializer_list<int64_t> values) : dims(values) {}  // NOLINT
  IntOrPair(const Dims& d) : dims(d) {}                            // NOLINT
  IntOrPair(Pair p) : dims{p.h, p.w} {}                            // NOLINT
  operator const Dims&() const { return dims; }                    // NOLINT
  Dims dims;
};

// padding="same" and padding="valid" (libtorch's torch::kSame / torch::kValid):
// F::conv2d(x, w, b, 1, nn::kSame), nn::Conv2dOptions{.padding = nn::kSame}.
struct SamePadding {};
struct ValidPadding {};
inline constexpr SamePadding kSame{};
inline constexpr ValidPadding kValid{};

// A convolution's padding: one integer, a pair or Dims (as IntOrPair), or kSame / kValid.
// kValid is no padding (printed "valid" by the layers, as PyTorch's).
struct ConvPadding {
  ConvPadding(int64_t both) : size(both) {}                            // NOLINT: implicit on purpose
  ConvPadding(std::initializer_list<int64_t> values) : size(values) {}  // NOLINT
  ConvPadding(const Dims& d) : size(d) {}                              // NOLINT
  ConvPadding(Pair p) : size(p) {}                                     // NOLINT
  ConvPadding(SamePadding) : same(true) {}                             // NOLINT
  ConvPadding(ValidPadding) : size(0), valid(true) {}                  // NOLINT
  IntOrPair size;  // unused when same
  bool same = false;
  bool valid = false;
};

}  // namespace ember::nn

namespace ember::nn::functional {

// x [N, C, H, W] or [C, H, W]; w [O, C/groups, KH, KW]; b [O] or undefined. Sizes of
// one element ({2}) mean the same value for height and width. padding kSame keeps H and
// W at stride 1 (Note [Same padding] in nn/functional/conv.cpp).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), IntOrPair stride = 1,
              ConvPadding padding = 0, IntOrPair dilation = 1, int64_t groups = 1);

// The transposed convolution (PyTorch's argument order): x [N, Cin, H, W] or [Cin, H, W];
// w [Cin, Cout/groups, KH, KW]; output [N, Cout, OH, OW] with OH = (H - 1) * stride -
// 2 * padding + dilation * (KH - 1) + output_padding + 1; output_padding below the stride
// (Note [Transposed convolution] in nn/functional/conv_transpose.cpp).
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), IntOrPair stride = 1,
                        IntOrPair padding = 0, IntOrPair output_padding = 0, int64_t groups = 1,
                        IntOrPair dilation = 1);

// 1-D forms over [N, C, L] or [C, L] (w [O, C/groups, K]; transposed: [Cin, Cout/groups, K]),
// run as conv2d / conv_transpose2d on [N, C, 1, L] views.
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), int64_t stride = 1,
              ConvPadding padding = 0, int64_t dilation = 1, int64_t groups = 1);
Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), int64_t stride = 1,
                        int64_t padding = 0, int64_t output_padding = 0, int64_t groups = 1, int64_t dilation = 1);

// Pooling with PyTorch's options and defaults (Note [Pooling options] in
// nn/functional/pool.cpp). stride {} (the default) means stride = kernel; padding is at
// most half the kernel; ceil_mode rounds the output size up, the last window starting
// inside the input or its left padding.
// Max: padding is -inf; dilation spaces the window's taps.
Tensor max_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride = {}, IntOrPair padding = 0,
                  IntOrPair dilation = 1, bool ceil_mode = false);
// return_indices=True (libtorch's name): the output and each winner's flat index
// h * W + w in its [H, W] plane, int64, shaped and laid out like the output.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, IntOrPair kernel, IntOrPair stride = {},
                                                   IntOrPair padding = 0, IntOrPair dilation = 1,
                                                   bool ceil_mode = false);
// Average: the divisor is the window clipped to the input and its padding
// (count_include_pad), or to the input alone, or divisor_override (nonzero) when given.
Tensor avg_pool2d(const Tensor& x, IntOrPair kernel, IntOrPair stride = {}, IntOrPair padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
// Output [.., OH, OW]; window i covers [floor(i*H/OH), ceil((i+1)*H/OH)).
Tensor adaptive_avg_pool2d(const Tensor& x, IntOrPair output_size);
Tensor adaptive_max_pool2d(const Tensor& x, IntOrPair output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& x, IntOrPair output_size);

}  // namespace ember::nn::functional
