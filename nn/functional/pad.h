// nn::functional::pad (torch.nn.functional.pad): constant padding of any trailing dims
// (negative pads crop), and reflect, replicate and circular padding of the last 1-3 dims,
// with PyTorch's pad list, size rules and error phrases.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::nn::functional {

// pad: pairs for the trailing dims, last dim first: {left, right}, {left, right, top,
// bottom}, {left, right, top, bottom, front, back}, ... A negative entry crops.
// mode "constant" (pads with `value`) takes up to x.dim() pairs. "reflect" (mirrors about
// the edge, the edge not repeated; each pad < that dim's size), "replicate" (repeats the
// edge) and "circular" (wraps around; each pad <= that dim's size) take 1-3 pairs, on
// inputs with that many spatial dims after a channel dim and an optional batch dim
// (circular too, as in PyTorch 2); they take no value but 0.
// Any dtype; differentiable, on any device (Note [Padding and resizing by composition]).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, const std::string& mode = "constant", double value = 0);

}  // namespace ember::nn::functional
