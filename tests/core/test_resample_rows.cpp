// The resample_rows kernels (core/resample_layout.h): the CPU kernel against a plain float64
// loop, CUDA's threads (each output element, each transposed column) run here against the
// CPU kernels bit for bit, the transpose as the adjoint, and resample_along's gradients
// (float64 gradcheck and gradgradcheck, per-sample taps, bfloat16 through float32).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/resample_layout.h"
#include "nn/functional/resample_taps.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

struct Case {
  const char* name;
  ResampleLayout layout;
  int64_t samples;  // of the taps
};

// blocks, per_sample, in, out, taps, inner; the taps shared (per_sample = blocks) or per sample.
const Case kCases[] = {
    {"shared taps, last dim", {6, 6, 9, 4, 5, 1}, 1},
    {"shared taps, inner 7", {3, 3, 5, 8, 3, 7}, 1},
    {"per-sample taps", {6, 2, 7, 3, 4, 5}, 3},
    {"one output, many taps", {2, 1, 12, 1, 12, 2}, 2},
    {"no outputs", {2, 2, 4, 0, 3, 2}, 1},
    // the CPU's 16 blocks side by side where the last dim is resampled, and what is left
    {"shared taps, last dim, 37 blocks", {37, 37, 9, 5, 4, 1}, 1},
    {"per-sample taps, last dim, 2 x 20 blocks", {40, 20, 6, 3, 3, 1}, 2},
};

// A case's operands and both CPU kernels' results: taps with indices in [-1, in] (-1 and in
// are taps a row does not have) and weights in [-1, 1), repeats included; random x and g.
struct CpuRun {
  Tensor index, weight, x, g, out, gx;
};

CpuRun run_cpu(const Case& c, DType dtype) {
  const ResampleLayout& l = c.layout;
  std::vector<int64_t> idx;
  std::vector<double> w;
  for (int64_t i = 0; i < c.samples * l.out * l.taps; ++i) {
    idx.push_back((i * 7 + 3) % (l.in + 2) - 1);
    w.push_back(std::fmod(0.37 * static_cast<double>(i) + 0.11, 2.0) - 1.0);
  }
  CpuRun r;
  r.index = tensor(idx, {c.samples, l.out, l.taps}, TensorOptions(kInt64));
  r.weight = tensor(w, {c.samples, l.out, l.taps}, TensorOptions(kFloat64)).to(dtype);
  manual_seed(5);
  r.x = randn({l.blocks, l.in, l.inner}, TensorOptions(dtype));
  r.g = randn({l.blocks, l.out, l.inner}, TensorOptions(dtype));
  r.out = make_empty({l.blocks, l.out, l.inner}, dtype, Device::cpu());
  r.gx = full({l.blocks, l.in, l.inner}, std::numeric_limits<double>::quiet_NaN(), TensorOptions(dtype));
  cpu::resample_rows(r.x, r.index, r.weight, l, r.out);
  cpu::resample_rows_transpose(r.g, r.index, r.weight, l, r.gx);
  return r;
}

TEST(ResampleRows, CpuKernelIsTheWeightedSumOfItsTaps) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const ResampleLayout& l = c.layout;
    const CpuRun r = run_cpu(c, kFloat64);
    const auto xs = r.x.to_vector<double>(), ws = r.weight.to_vector<double>();
    const auto is = r.index.to_vector<int64_t>();
    std::vector<double> expected;
    for (int64_t q = 0; q < l.blocks; ++q)
      for (int64_t o = 0; o < l.out; ++o)
        for (int64_t col = 0; col < l.inner; ++col) {
          double sum = 0;
          const int64_t s = c.samples == 1 ? 0 : q / l.per_sample;
          for (int64_t k = 0; k < l.taps; ++k) {
            const auto t = static_cast<size_t>((s * l.out + o) * l.taps + k);
            if (is[t] >= 0 && is[t] < l.in) sum += ws[t] * xs[static_cast<size_t>((q * l.in + is[t]) * l.inner + col)];
          }
          expected.push_back(sum);
        }
    expect_values(r.out, expected, 1e-15);
  }
}

// CUDA's threads (cuda/resample_rows.cu): thread i computes output i, thread c transposes
// column c. Run here for every thread, float32 and float64, against the CPU kernels, which
// loop over blocks and rows instead: the same sums in the same order, so the same bits.
TEST(ResampleRows, TheCudaThreadsMatchTheCpuKernelsBitForBit) {
  for (const DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : kCases) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(dtype)));
      const ResampleLayout& l = c.layout;
      const CpuRun r = run_cpu(c, dtype);
      const double nan = std::numeric_limits<double>::quiet_NaN();
      Tensor threads_out = full({l.blocks, l.out, l.inner}, nan, TensorOptions(dtype));
      Tensor threads_gx = full({l.blocks, l.in, l.inner}, nan, TensorOptions(dtype));
      visit_floating(dtype, "test", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const int64_t* index = r.index.data_ptr<int64_t>();
        const T* weight = r.weight.data_ptr<T>();
        for (int64_t i = 0; i < l.out_numel(); ++i)
          threads_out.data_ptr<T>()[i] = resampled_element(r.x.data_ptr<T>(), index, weight, l, i);
        for (int64_t col = 0; col < l.columns(); ++col)
          resample_transpose_column(r.g.data_ptr<T>(), index, weight, l, col, threads_gx.data_ptr<T>());
      });
      expect_values(threads_out, r.out.to(kFloat64).to_vector<double>(), 0);
      expect_values(threads_gx, r.gx.to(kFloat64).to_vector<double>(), 0);
    }
  }
}

// <resample(x), g> = <x, transpose(g)>: the transpose is the adjoint (so x's gradient).
TEST(ResampleRows, TheTransposeIsTheAdjoint) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const CpuRun r = run_cpu(c, kFloat64);
    EXPECT_NEAR((r.out * r.g).sum().item<double>(), (r.x * r.gx).sum().item<double>(), 1e-12);
  }
}

namespace R = nn::functional::detail;

// Per-sample antialiased bicubic taps (three crop windows, one a plain copy) along dims 2
// and 3 of a [3, 2, 9, 11] float64 input: gradcheck and gradgradcheck through the kernels.
TEST(ResampleRows, ResampleAlongIsTwiceDifferentiable) {
  const TensorOptions f64 = TensorOptions(kFloat64);
  const Tensor start = tensor(std::vector<double>{0, 2, 1}, {3}, f64);
  const Tensor length_h = tensor(std::vector<double>{9, 5, 4}, {3}, f64);
  const Tensor length_w = tensor(std::vector<double>{11, 4, 7}, {3}, f64);
  const auto taps_h = R::resample_taps(R::ResampleKind::AntialiasedCubic, start, length_h, length_h / 4.0, 9.0 / 4.0,
                                       9, 4, kFloat64);
  const auto taps_w = R::resample_taps(R::ResampleKind::Cubic, start, length_w, length_w / 7.0, 11.0 / 7.0, 11, 7,
                                       kFloat64);
  manual_seed(8);
  const Tensor x = randn({3, 2, 9, 11}, f64).requires_grad_(true);
  const auto fn = [&](const std::vector<Tensor>& in) {
    return R::resample_along(R::resample_along(in[0], 3, taps_w), 2, taps_h);
  };
  EXPECT_EQ(fn({x}).sizes(), (Dims{3, 2, 4, 7}));
  expect_gradcheck(fn, {x});
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x}));
  // one image broadcast to the taps' three samples: its gradient sums theirs
  const Tensor one = randn({1, 2, 9, 11}, f64).requires_grad_(true);
  expect_gradcheck(fn, {one});
}

// A missing tap reads nothing: rows of 6 taps of K = 8 (the other two point at the row's
// first input with weight 0), an inf at row 1's first input: inf, not 0 * inf = NaN, in both
// outputs. bfloat16 is resampled in float32 (taps and sums) and rounded once.
TEST(ResampleRows, MissingTapsReadNothingAndBfloat16RoundsOnce) {
  const TensorOptions f64 = TensorOptions(kFloat64);
  const auto taps = R::resample_taps(R::ResampleKind::AntialiasedLinear, zeros({1}, f64), full({1}, 8.0, f64),
                                     full({1}, 4.0, f64), 4.0, 8, 2, kFloat64);
  ASSERT_EQ(taps.index.size(2), 8);
  EXPECT_EQ(taps.valid.to(kInt64).sum().item<int64_t>(), 12);
  const Tensor x = tensor(std::vector<double>{1, 2, std::numeric_limits<double>::infinity(), 4, 5, 6, 7, 8}, {1, 8},
                          f64);
  const auto y = R::resample_along(x, 1, taps).to_vector<double>();
  EXPECT_TRUE(std::isinf(y[0]) && y[0] > 0);
  EXPECT_TRUE(std::isinf(y[1]) && y[1] > 0);
  const Tensor xb = randn({2, 3, 10}, f64);
  const auto cubic = R::resample_taps(R::ResampleKind::Cubic, zeros({1}, f64), full({1}, 10.0, f64),
                                      full({1}, 10.0 / 6.0, f64), 10.0 / 6.0, 10, 6, kFloat32);
  const Tensor in_bf16 = xb.to(kBFloat16);
  const Tensor via_float = R::resample_along(in_bf16.to(kFloat32), 2, cubic).to(kBFloat16);
  const Tensor direct = R::resample_along(in_bf16, 2, cubic);
  EXPECT_EQ(direct.dtype(), kBFloat16);
  expect_values(direct.to(kFloat64), via_float.to(kFloat64).to_vector<double>(), 0);
  // interpolate's taps and sums for bf16 images are float32 (PyTorch's), not rounded to bf16
  namespace F = nn::functional;
  const Tensor image = randn({2, 3, 11, 9}, f64).to(kBFloat16);
  for (const bool antialias : {false, true}) {
    const Tensor bf16 = F::interpolate(image, {6, 7}, {}, "bicubic", {}, {}, antialias);
    const Tensor f32 = F::interpolate(image.to(kFloat32), {6, 7}, {}, "bicubic", {}, {}, antialias).to(kBFloat16);
    expect_values(bf16.to(kFloat64), f32.to(kFloat64).to_vector<double>(), 0);
  }
  // and, as PyTorch's kernels, rounded once: after both dims, not between them
  const Tensor bilinear = F::interpolate(image, {}, 2.0, "bilinear");
  expect_values(bilinear.to(kFloat64),
                F::interpolate(image.to(kFloat32), {}, 2.0, "bilinear").to(kBFloat16).to(kFloat64).to_vector<double>(),
                0);
}

}  // namespace
}  // namespace ember
