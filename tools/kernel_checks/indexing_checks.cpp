// Kernel checks of index_select: a shuffle of a training set's rows (ember train's
// on-device shuffle), columns with repeated indices and their summed gradients (CUDA adds
// them atomically, so in another order), every element size (float64, int64, uint8,
// bfloat16), and an index out of range reported at the next synchronising point; of
// cat / stack (mixed dtypes and layouts, with backward); of resampling by taps
// (interpolate, RandomResizedCrop's per-sample boxes); and of grid_sample's kernels (forward
// unrecorded and recorded, and the backward's atomics into the input's gradient).
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "nn/functional/resample_taps.h"
#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {
namespace {

using Inputs = std::vector<Tensor>;

Tensor shuffled_rows(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  return tensor(order, {n}, TensorOptions(kInt64));
}

void add_bad_index_check(std::vector<Check>& checks) {
  checks.push_back(deferred_error_check(
      "index_select bad index", "[4, 3], index 9", "index out of range in self: a CUDA index_select",
      [] { (void)randn({4, 3}).cuda().index_select(0, tensor(std::vector<int64_t>{1, 9}).cuda()); },
      [] { (void)randn({4, 3}).cuda().index_select(0, tensor(std::vector<int64_t>{3}).cuda()).sum().item<double>(); }));
}

}  // namespace

void add_indexing_checks(std::vector<Check>& checks) {
  checks.push_back(parity({.op = "index_select(dim=0) shuffle",
                           .shape = "[60000, 1, 28, 28] by a permutation",
                           .fn = [](const Inputs& x) { return Inputs{index_select(x[0], 0, x[1])}; },
                           .atol = 0.0,
                           .rtol = 0.0,
                           .make_inputs = [] { return Inputs{randn({60000, 1, 28, 28}), shuffled_rows(60000)}; }}));
  checks.push_back(parity({.op = "index_select(dim=1) repeated, backward",
                           .shape = "[33, 70, 5] at 40 of 70",
                           .inputs = {randn({33, 70, 5}), randint(0, 70, {40})},
                           .fn = [](const Inputs& x) { return Inputs{index_select(x[0], 1, x[1])}; },
                           .backward = true,
                           .atol = 1e-5,
                           .rtol = 1e-5}));
  checks.push_back(parity({.op = "index_select(dim=-1) float64, backward",
                           .shape = "[6, 9] at 12",
                           .inputs = {randn({6, 9}, kFloat64), randint(0, 9, {12})},
                           .fn = [](const Inputs& x) { return Inputs{index_select(x[0], -1, x[1])}; },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12}));
  checks.push_back(parity({.op = "index_select int64, uint8, bfloat16",
                           .shape = "[300, 7] at 500",
                           .inputs = {randint(-1000, 1000, {300, 7}), randint(0, 300, {500})},
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{index_select(x[0], 0, x[1]),
                                               index_select(x[0].to(kUInt8), 0, x[1]),
                                               index_select(x[0].to(kBFloat16), 0, x[1])};
                               },
                           .atol = 0.0,
                           .rtol = 0.0}));
  add_bad_index_check(checks);
  checks.push_back(parity({.op = "cat(dim=1) channels-last and not, float64, backward",
                           .shape = "[8, 3, 5, 7] + [8, 4, 5, 7] + [8, 2, 5, 7]",
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{cat({x[0].contiguous(MemoryFormat::ChannelsLast), x[1], x[2]}, 1)};
                               },
                           .backward = true,
                           .atol = 1e-6,
                           .rtol = 1e-6,
                           .make_inputs =
                               [] {
                                 return Inputs{randn({8, 3, 5, 7}), randn({8, 4, 5, 7}), randn({8, 2, 5, 7}, kFloat64)};
                               }}));
  checks.push_back(parity({.op = "stack(dim=-1) of transposed, backward",
                           .shape = "3 x [33, 65]",
                           .fn =
                               [](const Inputs& x) {
                                 return Inputs{stack({x[0].transpose(0, 1), x[1].transpose(0, 1), x[2]}, -1)};
                               },
                           .backward = true,
                           .atol = 0.0,
                           .rtol = 0.0,
                           .make_inputs = [] { return Inputs{randn({65, 33}), randn({65, 33}), randn({33, 65})}; }}));
  // the resample kernels (cuda/resample_rows.cu): taps along the last dim (a thread per
  // output) and along rows, per-sample crop boxes, and their transposes in backward
  for (const DType dtype : {kFloat32, kFloat64}) {
    const bool f32 = dtype == kFloat32;
    checks.push_back(parity({.op = std::string("interpolate bilinear x2, bicubic antialiased /3, backward") +
                                   (f32 ? "" : " float64"),
                             .shape = "[8, 3, 40, 33]",
                             .fn =
                                 [](const Inputs& x) {
                                   namespace F = nn::functional;
                                   return Inputs{F::interpolate(x[0], {}, 2.0, "bilinear"),
                                                 F::interpolate(x[0], {13, 11}, {}, "bicubic", {}, {}, true)};
                                 },
                             .backward = true,
                             .atol = f32 ? 1e-5 : 1e-12,
                             .rtol = f32 ? 1e-5 : 1e-12,
                             .make_inputs = [dtype] { return Inputs{randn({8, 3, 40, 33}, dtype)}; }}));
  }
  checks.push_back(parity({.op = "per-sample crop boxes resampled (RandomResizedCrop's taps), backward",
                           .shape = "[4, 3, 30, 26] -> [4, 3, 12, 12]",
                           .fn =
                               [](const Inputs& x) {
                                 namespace R = nn::functional::detail;
                                 const TensorOptions f64 = TensorOptions(kFloat64).device(x[0].device());
                                 const auto boxes = [&](std::vector<double> v) { return tensor(v, {4}, f64); };
                                 const Tensor top = boxes({0, 3, 10, 1}), height = boxes({30, 12, 20, 7});
                                 const Tensor left = boxes({0, 5, 2, 13}), width = boxes({26, 12, 24, 9});
                                 const Tensor narrow = R::resample_along(
                                     x[0], 3, R::resample_taps(R::ResampleKind::AntialiasedCubic, left, width,
                                                               width / 12.0, 26.0 / 12.0, 26, 12, kFloat64));
                                 return Inputs{R::resample_along(
                                     narrow, 2, R::resample_taps(R::ResampleKind::AntialiasedLinear, top, height,
                                                                 height / 12.0, 30.0 / 12.0, 30, 12, kFloat64))};
                               },
                           .backward = true,
                           .atol = 1e-12,
                           .rtol = 1e-12,
                           .make_inputs = [] { return Inputs{randn({4, 3, 30, 26}, kFloat64)}; }}));
  // grid_sample's one-kernel forward (cuda/grid_sample.cu): inputs without grad record nothing
  checks.push_back(parity({.op = "grid_sample unrecorded, bilinear zeros and nearest reflection",
                           .shape = "[8, 3, 17, 13] at [8, 20, 24, 2]",
                           .fn =
                               [](const Inputs& x) {
                                 namespace F = nn::functional;
                                 return Inputs{F::grid_sample(x[0], x[1], "bilinear", "zeros"),
                                               F::grid_sample(x[0], x[1], "nearest", "reflection", true)};
                               },
                           .atol = 1e-5,
                           .rtol = 1e-5,
                           .make_inputs =
                               [] {
                                 return Inputs{randn({8, 3, 17, 13}), rand({8, 20, 24, 2}) * 3.0 - 1.5};
                               }}));
  // its one-kernel backward: many points per pixel (a 2x upsampling grid and far points)
  // summed into the input's gradient by atomics, and the grid's gradient
  for (const DType dtype : {kFloat32, kFloat64}) {
    const bool f32 = dtype == kFloat32;
    checks.push_back(parity({.op = std::string("grid_sample bilinear reflection, nearest zeros, bicubic border, backward") +
                                   (f32 ? "" : " float64"),
                             .shape = "[8, 3, 17, 13] at [8, 34, 26, 2]",
                             .fn =
                                 [](const Inputs& x) {
                                   namespace F = nn::functional;
                                   return Inputs{F::grid_sample(x[0], x[1], "bilinear", "reflection"),
                                                 F::grid_sample(x[0], x[1].detach(), "nearest", "zeros", true),
                                                 F::grid_sample(x[0], x[1], "bicubic", "border")};
                                 },
                             .backward = true,
                             .atol = f32 ? 1e-4 : 1e-12,
                             .rtol = f32 ? 1e-4 : 1e-12,
                             .make_inputs =
                                 [dtype] {
                                   return Inputs{randn({8, 3, 17, 13}, dtype),
                                                 rand({8, 34, 26, 2}, dtype) * 2.6 - 1.3};
                                 }}));
  }
}

}  // namespace ember::kernel_checks
