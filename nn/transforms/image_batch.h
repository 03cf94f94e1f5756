// Helpers shared by the transforms (internal): images as a [B, C, H, W] batch and back,
// per-sample draws on the images' device, torchvision's argument checks and repr pieces.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nn/transforms/transform.h"

namespace ember::transforms::detail {

// [B, C, H, W] as is, [C, H, W] as [1, C, H, W], [H, W] as [1, 1, H, W]; fewer dims:
// torchvision's "Tensor is not a torch image.", more: an error naming the accepted shapes.
Tensor as_batch(const Tensor& images, const char* transform);
// The batch result shaped as the input was (the inverse of as_batch).
Tensor like_input(const Tensor& batch, const Tensor& images);

// lo <= hi, else torch's uniform_ error: torchvision draws every random parameter with
// uniform_, so a reversed (min, max) pair fails when it is first drawn from.
void check_range(double lo, double hi);
// n float64 draws uniform in [lo, hi) on `device` from the default generator (check_range).
Tensor uniform(int64_t n, double lo, double hi, Device device);
// n bools on `device`, each true with probability p (rand < p, as torchvision's torch.rand(1) < p).
Tensor coin(int64_t n, double p, Device device);
// n int64 draws on `device`, each uniform in [0, high) (high[i] per sample: a [n] float64
// tensor of counts >= 1); torch.randint(0, high, (1,)) per sample.
Tensor randint_below(const Tensor& high);

void check_probability(double p, const char* message);
// torchvision's _setup_size: an int -> (s, s); a sequence of 1 -> (s, s); of 2 -> (h, w).
std::pair<int64_t, int64_t> setup_size(const IntOrList& size, const char* message);
// torchvision's _parse_pad_padding: {left, right, top, bottom} (nn::functional::pad's order)
// from an int, a pair (left/right, top/bottom) or 4 values (left, top, right, bottom).
std::vector<int64_t> parse_padding(const IntOrList& padding);
// torchvision's pad on a batch: modes "constant", "edge", "reflect", "symmetric".
Tensor pad_batch(const Tensor& batch, const std::vector<int64_t>& ltrb_as_lrtb, double fill, const std::string& mode);
void check_padding_mode(const std::string& mode);

// Python's list repr of floats: [0.5, 1.0].
std::string python_float_list(const std::vector<double>& values);
// A number as Python prints it when the user wrote an int for an integral value: 0, 1.5.
std::string python_number(double v);

}  // namespace ember::transforms::detail
