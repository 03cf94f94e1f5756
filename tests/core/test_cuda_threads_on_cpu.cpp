// The CUDA pooling, batch-norm and layer/group-norm kernels' threads (cuda/pool_threads.h,
// cuda/batch_norm_threads.h, cuda/norm_threads.h) run here on the CPU, one call per thread of the launch, and
// must give what the CPU kernels give: the kernels' index math, layouts (NCHW and
// channels-last; pooling's mixed too), pooling's options (dilation, ceil_mode,
// count_include_pad, divisor_override, flat indices, adaptive max), the backward gathers
// and batch norm's split of each channel over image groups are checked in every CI run,
// GPU or not. (Warp and block reductions are
// summed in thread order here; the GPU's tree order only reorders float64 partial sums.)
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/bitmask.h"
#include "core/cpu/kernels.h"
#include "core/native.h"
#include "cuda/batch_norm_threads.h"
#include "cuda/norm_threads.h"
#include "cuda/pool_threads.h"

namespace ember {
namespace {

// Partial sums the kernels have not written: NaN, which no finite input sums to (a value
// such as -1.0 can be a real bfloat16 sum).
constexpr double kUnwritten = std::numeric_limits<double>::quiet_NaN();

namespace pool = cuda_kernels::pool;
namespace bnt = cuda_kernels::bn_threads;
namespace nrm = cuda_kernels::norm_threads;
constexpr auto kCL = MemoryFormat::ChannelsLast;

// The same values in a tensor of this layout.
Tensor laid_out(const Tensor& t, bool channels_last) {
  return channels_last ? t.contiguous(kCL) : t.contiguous();
}

// Equal element by element, NaN equal to NaN, after bringing both to NCHW.
template <typename T>
void expect_same(const Tensor& got, const Tensor& want, const std::string& what) {
  const std::vector<T> g = got.contiguous().to_vector<T>(), w = want.contiguous().to_vector<T>();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(static_cast<double>(w[i]))) {
      EXPECT_TRUE(std::isnan(static_cast<double>(g[i]))) << what << " element " << i;
    } else {
      ASSERT_EQ(g[i], w[i]) << what << " element " << i;
    }
  }
}

struct PoolCase {
  std::string name;
  Dims x;
  int64_t KH, KW, SH, SW, PH, PW;
  int64_t adaptive_h = 0, adaptive_w = 0;  // > 0: adaptive to this size
  // PyTorch's other options (Note [Pooling options] in nn/functional/pool.cpp).
  int64_t DH = 1, DW = 1;
  bool ceil_mode = false, count_include_pad = true;
  int64_t divisor_override = 0;
  bool flat_indices = false;
};

PoolGeometry geometry_of(const PoolCase& c) {
  PoolGeometry g{};
  g.planes = c.x[0] * c.x[1], g.H = c.x[2], g.W = c.x[3];
  g.flat_indices = c.flat_indices;
  if (c.adaptive_h > 0) {
    g.OH = c.adaptive_h, g.OW = c.adaptive_w, g.adaptive = true;
    g.KH = adaptive_window_bound(g.H, g.OH), g.KW = adaptive_window_bound(g.W, g.OW);
    return g;
  }
  g.KH = c.KH, g.KW = c.KW, g.SH = c.SH, g.SW = c.SW, g.PH = c.PH, g.PW = c.PW, g.DH = c.DH, g.DW = c.DW;
  g.count_include_pad = c.count_include_pad, g.divisor_override = c.divisor_override;
  g.OH = pool_out_size(g.H, g.KH, g.SH, g.PH, g.DH, c.ceil_mode);
  g.OW = pool_out_size(g.W, g.KW, g.SW, g.PW, g.DW, c.ceil_mode);
  return g;
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases{
      {"2x2 stride 2, odd width", {3, 5, 8, 9}, 2, 2, 2, 2, 0, 0},
      {"3x3 stride 2 padding 1", {2, 3, 9, 11}, 3, 3, 2, 2, 1, 1},
      {"3x2 stride 1", {2, 4, 7, 5}, 3, 2, 1, 1, 0, 0},
      {"3x3 stride 3 padding 1", {2, 3, 10, 14}, 3, 3, 3, 3, 1, 1},
      {"4x4 stride 3 padding 1 ceil_mode, no pad count", {2, 3, 11, 16}, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, true, false},
      {"2x3 stride 1, rows of 70 outputs", {1, 2, 4, 72}, 2, 3, 1, 1, 0, 0},
      {"17x17 stride 1 (int64 indices)", {1, 2, 18, 18}, 17, 17, 1, 1, 0, 0},
      {"adaptive to 4x5", {3, 4, 9, 11}, 0, 0, 0, 0, 0, 0, 4, 5},
      {"adaptive to 13x13 (windows overlap)", {2, 3, 9, 11}, 0, 0, 0, 0, 0, 0, 13, 13},
      {"2x2 stride 2 ceil_mode (partial windows)", {2, 3, 7, 9}, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true},
      {"3x3 stride 2 padding 1 dilation 2 ceil_mode", {2, 3, 9, 11}, 3, 3, 2, 2, 1, 1, 0, 0, 2, 2, true},
      {"3x2 stride (2, 1) padding (1, 0) dilation (1, 3), flat indices", {2, 2, 8, 9}, 3, 2, 2, 1, 1, 0, 0, 0, 1, 3,
       false, true, 0, true},
      {"dilated windows outside the plane", {1, 3, 2, 7}, 2, 2, 1, 1, 1, 1, 0, 0, 3, 1},
      {"dilated windows outside the plane, flat indices", {1, 3, 2, 7}, 2, 2, 1, 1, 1, 1, 0, 0, 3, 1, false, true, 0,
       true},
      {"adaptive to 4x5, flat indices", {3, 4, 9, 11}, 0, 0, 0, 0, 0, 0, 4, 5, 1, 1, false, true, 0, true},
      {"3x3 stride 2 padding 1 ceil_mode, no pad count", {2, 3, 8, 10}, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, true, false},
      {"3x2 stride 2 padding 1 ceil_mode, divisor -3", {2, 3, 8, 9}, 3, 2, 2, 2, 1, 1, 0, 0, 1, 1, true, true, -3},
  };
  return cases;
}

// Small integers (ties: the first wins) and NaNs (NaN wins; of two in a window, the last).
Tensor pool_input(const Dims& sizes) {
  Tensor x = randint(0, 5, sizes).to(kFloat32).contiguous();
  float* p = x.data_ptr<float>();
  p[7] = NAN;
  p[8] = -NAN;  // beside the first: the saved index shows which of the two won
  p[x.numel() / 2] = NAN;
  return x;
}

// Layouts of x, the output (and indices) and the gradient: all NCHW, all channels-last, mixed.
struct Layouts {
  bool x, out, grad;
};
const Layouts kLayouts[] = {{false, false, false}, {true, true, true}, {true, false, true}, {false, true, false}};

std::string layouts_name(const Layouts& l) {
  const auto n = [](bool cl) { return cl ? "NHWC" : "NCHW"; };
  return std::string(" (x ") + n(l.x) + ", out " + n(l.out) + ", grad " + n(l.grad) + ")";
}

// Both index widths the kernels run in (pool_fits_32_bits picks one per launch).
std::string width_name(int64_t) { return " [64-bit]"; }
std::string width_name(int32_t) { return " [32-bit]"; }

// The dtype of the element type T the pooling kernels run in.
template <typename T>
constexpr DType dtype_of_value() {
  if constexpr (std::is_same_v<T, BFloat16>) return kBFloat16;
  else if constexpr (std::is_same_v<T, Half>) return kFloat16;
  else return kFloat32;
}

template <typename T>
T* values(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// Equal values (a 16-bit tensor's widened exactly to float32).
void expect_same_values(const Tensor& got, const Tensor& want, const std::string& what) {
  expect_same<float>(got.to(kFloat32), want.to(kFloat32), what);
}

template <typename T, typename I, typename Index>
void check_max_pool(const PoolCase& c, const PoolGeometry& g, const Tensor& x32, DType index_dtype) {
  const DType dt = dtype_of_value<T>();
  const Tensor x = x32.to(dt);
  const Dims out_sizes{c.x[0], c.x[1], g.OH, g.OW};
  const Tensor want = make_empty(out_sizes, dt, Device::cpu());
  const Tensor want_idx = make_empty(out_sizes, index_dtype, Device::cpu());
  cpu::max_pool2d_forward(x, g, want, want_idx);
  const Tensor grad = randn(out_sizes).to(dt);
  const Tensor want_gx = make_empty(c.x, dt, Device::cpu());
  cpu::max_pool2d_backward(grad, want_idx, g, want_gx);
  for (const Layouts& l : kLayouts) {
    const std::string name = c.name + layouts_name(l) + width_name(Index{}) + " " + std::string(dtype_name(dt));
    const Tensor xl = laid_out(x, l.x), gradl = laid_out(grad, l.grad);
    const Tensor out = laid_out(make_empty(out_sizes, dt, Device::cpu()), l.out);
    const Tensor idx = laid_out(make_empty(out_sizes, index_dtype, Device::cpu()), l.out);
    for (Index o = 0; o < static_cast<Index>(out.numel()); ++o) {  // a thread per output
      pool::max_forward(values<T>(xl), pool::layout_of<Index>(xl), values<T>(out), pool::layout_of<Index>(out),
                        static_cast<I*>(idx.data_ptr()), pool::layout_of<Index>(idx), g, o);
    }
    expect_same_values(out, want, "max_pool2d forward " + name);
    expect_same<I>(idx, want_idx, "max_pool2d indices " + name);
    const Tensor gx = laid_out(make_empty(c.x, dt, Device::cpu()), l.x);
    for (Index i = 0; i < static_cast<Index>(gx.numel()); ++i) {  // a thread per input
      pool::max_backward(values<T>(gradl), pool::layout_of<Index>(gradl), static_cast<const I*>(idx.data_ptr()),
                         pool::layout_of<Index>(idx), values<T>(gx), pool::layout_of<Index>(gx), g, i);
    }
    expect_same_values(gx, want_gx, "max_pool2d backward " + name);
  }
}

template <typename T, typename Index>
void check_max_pools() {
  for (const PoolCase& c : pool_cases()) {  // adaptive ones too: adaptive_max_pool2d
    const PoolGeometry g = geometry_of(c);
    const Tensor x = pool_input(c.x);
    if (pool_indices_fit_uint8(g)) {
      check_max_pool<T, uint8_t, Index>(c, g, x, kUInt8);
    } else {
      check_max_pool<T, int64_t, Index>(c, g, x, kInt64);
    }
  }
}

TEST(CudaThreadsOnCpu, MaxPoolingMatchesTheCpuKernelInEveryLayout) {
  check_max_pools<float, int32_t>();
  check_max_pools<float, int64_t>();
}

// bfloat16 and float16 compare and sum in float (Note [16-bit pooling] in nn/functional/pool.cpp).
TEST(CudaThreadsOnCpu, SixteenBitMaxPoolingMatchesTheCpuKernel) {
  check_max_pools<BFloat16, int32_t>();
  check_max_pools<Half, int64_t>();
}

template <typename T, typename Index>
void check_average_pools() {
  const DType dt = dtype_of_value<T>();
  for (const PoolCase& c : pool_cases()) {
    if (c.DH != 1 || c.DW != 1) continue;  // dilation is max pooling's alone
    const PoolGeometry g = geometry_of(c);
    const Tensor x = randn(c.x).to(dt);
    const Dims out_sizes{c.x[0], c.x[1], g.OH, g.OW};
    const Tensor want = make_empty(out_sizes, dt, Device::cpu());
    cpu::avg_pool2d_forward(x, g, want);
    const Tensor grad = randn(out_sizes).to(dt);
    const Tensor want_gx = make_empty(c.x, dt, Device::cpu());
    cpu::avg_pool2d_backward(grad, g, want_gx);
    for (const Layouts& l : kLayouts) {
      const std::string name = c.name + layouts_name(l) + width_name(Index{}) + " " + std::string(dtype_name(dt));
      const Tensor xl = laid_out(x, l.x), gradl = laid_out(grad, l.grad);
      const Tensor out = laid_out(make_empty(out_sizes, dt, Device::cpu()), l.out);
      for (Index o = 0; o < static_cast<Index>(out.numel()); ++o) {
        pool::avg_forward(values<T>(xl), pool::layout_of<Index>(xl), values<T>(out), pool::layout_of<Index>(out), g,
                          o);
      }
      expect_same_values(out, want, "avg_pool2d forward " + name);
      const Tensor gx = laid_out(make_empty(c.x, dt, Device::cpu()), l.x);
      for (Index i = 0; i < static_cast<Index>(gx.numel()); ++i) {
        pool::avg_backward(values<T>(gradl), pool::layout_of<Index>(gradl), values<T>(gx), pool::layout_of<Index>(gx),
                           g, i);
      }
      expect_same_values(gx, want_gx, "avg_pool2d backward " + name);
    }
  }
}

TEST(CudaThreadsOnCpu, AveragePoolingMatchesTheCpuKernelInEveryLayout) {
  check_average_pools<float, int32_t>();
  check_average_pools<float, int64_t>();
}

TEST(CudaThreadsOnCpu, SixteenBitAveragePoolingMatchesTheCpuKernel) {
  check_average_pools<BFloat16, int64_t>();
  check_average_pools<Half, int32_t>();
}

TEST(CudaThreadsOnCpu, PoolingIndexWidthFollowsTheSizes) {
  PoolGeometry g{};
  g.planes = 128 * 32, g.H = g.W = 28, g.OH = g.OW = 14;
  EXPECT_TRUE(pool_fits_32_bits(g, g.planes * g.H * g.W));
  EXPECT_FALSE(pool_fits_32_bits(g, int64_t{1} << 31));  // an element past INT32_MAX
  g.H = g.OH = 50000, g.W = g.OW = 1, g.adaptive = true;  // i * OH overflows 32 bits
  EXPECT_FALSE(pool_fits_32_bits(g, 50000));
  // A huge window, stride or padding on a tiny input: the window's area or oh * SH would overflow.
  PoolGeometry w{};
  w.planes = 1, w.H = w.W = 1, w.OH = w.OW = 1, w.KH = w.KW = 65536, w.SH = w.SW = 65536, w.PH = w.PW = 32768;
  EXPECT_FALSE(pool_fits_32_bits(w, 1));
  w.KH = w.KW = 2, w.PH = w.PW = 0, w.SH = w.SW = int64_t{1} << 32;
  EXPECT_FALSE(pool_fits_32_bits(w, 1));
  // A dilated window's end, oh * SH + (KH - 1) * DH + 1, past INT32_MAX though each factor fits.
  PoolGeometry d{};
  d.planes = 1, d.H = d.W = 1, d.OH = d.OW = 1000, d.KH = d.KW = 46000, d.DH = d.DW = 46000, d.SH = d.SW = 46000;
  EXPECT_FALSE(pool_fits_32_bits(d, 1000 * 1000));
  d.OH = d.OW = 10;
  EXPECT_TRUE(pool_fits_32_bits(d, 100));
}

// The launch of a (channel, image group) reduction: every thread of every block, each
// block's thread sums added in thread order into its partial, as block_sum2 does on the GPU.
constexpr int64_t kReduceThreads = bnt::kReduceThreads;
template <typename ThreadSums>
std::vector<double> run_partials(const bnt::Shape& s, const bnt::Split& split, const ThreadSums& thread_sums) {
  std::vector<double> partial(static_cast<size_t>(2 * s.C * split.groups), kUnwritten);
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t group = 0; group < split.groups; ++group) {
      const bnt::Images im = bnt::images_of(s, group, split.per_group);
      bnt::Sums block;
      for (int64_t tid = 0; tid < kReduceThreads; ++tid) {
        const bnt::Sums t = thread_sums(c, im, tid);
        block.a += t.a, block.b += t.b;
      }
      double* out = bnt::partial_of(partial.data(), c, split.groups, group);
      out[0] = block.a, out[1] = block.b;
    }
  return partial;
}

struct BatchNormCase {
  Dims x;
  DType dtype;  // x's; a 16-bit x has float32 per-channel tensors
  double tol;   // of x-shaped results; per-channel ones within 1e-4 for a 16-bit x
};

// x's shapes cover rows (S >= 32) and flattened (S < 32) shares, one group per channel
// (many channels), one image per group, and groups of several images with a short last group.
const std::vector<BatchNormCase>& batch_norm_cases() {
  static const std::vector<BatchNormCase> cases{
      {{5, 3, 7, 9}, kFloat64, 1e-12},    {{5, 3, 7, 9}, kFloat32, 1e-5},     {{16, 7}, kFloat64, 1e-12},
      {{4, 6, 5}, kFloat32, 1e-5},        {{3, 1100, 2, 2}, kFloat64, 1e-12}, {{300, 2, 3, 3}, kFloat64, 1e-12},
      {{1000, 3, 4, 4}, kFloat64, 1e-12}, {{1000, 3, 4, 4}, kFloat32, 1e-4},  {{9, 200, 6, 6}, kFloat64, 1e-12},
      {{4, 1, 5, 5}, kFloat64, 1e-12},    {{6, 3, 1, 1}, kFloat64, 1e-12},  // both layouts at once
      // 16-bit x, read and written in 16 bits, computed in float (a rounding apart at most)
      {{5, 3, 7, 9}, kBFloat16, 1e-2},    {{4, 6, 5}, kFloat16, 1e-2},      {{1000, 3, 4, 4}, kBFloat16, 1e-2},
      {{9, 200, 6, 6}, kFloat16, 1e-2}};
  return cases;
}

// The CPU kernels on NCHW x; the CUDA kernels' threads on x (and every x-shaped operand)
// laid out NCHW or, for 4-D x, channels-last.
template <typename X>
void check_batch_norm(const BatchNormCase& c, bool channels_last) {
  using T = bnt::Ch<X>;  // the per-channel type
  const DType ch = compute_dtype(c.dtype);
  const double ch_tol = is_reduced_float(c.dtype) ? 1e-4 : c.tol;
  const Tensor x_nchw = (randn(c.x, ch) * 2.0 + 0.5).to(c.dtype).contiguous();
  const int64_t C = c.x[1];
  const Tensor w = (rand({C}, ch) + 0.5).contiguous(), b = randn({C}, ch);
  const double eps = 1e-5, factor = 0.1;
  std::ostringstream named;  // (a stream: GCC 12 warns falsely on "[" + std::string)
  named << "[" << c.x[0] << ", " << C << ", ...] " << dtype_name(c.dtype) << (channels_last ? " channels-last" : "");
  const std::string name = named.str();
  const Tensor x = laid_out(x_nchw, channels_last);
  const auto x_shaped = [&] { return laid_out(make_empty(c.x, c.dtype, Device::cpu()), channels_last); };

  // The CPU kernels: training forward with running statistics, then backward in both modes.
  const Tensor rm0 = randn({C}, ch) * 0.1, rv0 = rand({C}, ch) + 0.5;
  const Tensor rm = rm0.clone(), rv = rv0.clone();
  const Tensor want = make_empty(c.x, c.dtype, Device::cpu());
  const Tensor want_mean = make_empty({C}, ch, Device::cpu()), want_invstd = make_empty({C}, ch, Device::cpu());
  cpu::batch_norm_train(x_nchw, w, b, rm, rv, factor, eps, want, want_mean, want_invstd);

  // The CUDA kernels' threads: partial sums, per-channel statistics, a thread per element.
  const bnt::Shape s = bnt::shape_of(x);
  // A channels-last x that is NCHW-contiguous too (C == 1 or H * W == 1) is read as NCHW.
  ASSERT_EQ(s.channels_last, dense_format_of(x) == MemoryFormat::ChannelsLast) << name;
  const bnt::Split split = bnt::split_of(s);
  const X* xp = x.data_ptr<X>();
  const std::vector<double> partial = run_partials(s, split, [&](int64_t ch, bnt::Images im, int64_t tid) {
    return bnt::stats_sums(xp, s, ch, im, tid, kReduceThreads);
  });
  for (double v : partial) ASSERT_FALSE(std::isnan(v)) << "a block's partial was never written: " << name;
  std::vector<T> mean(C), var(C), invstd(C);
  for (int64_t ch = 0; ch < C; ++ch) {
    bnt::stats_finalize(xp, partial.data(), split.groups, mean.data(), var.data(), invstd.data(), eps, s, ch);
  }
  EXPECT_TRUE(allclose(tensor(mean), want_mean, ch_tol, ch_tol)) << "mean " << name;
  EXPECT_TRUE(allclose(tensor(invstd), want_invstd, ch_tol, ch_tol)) << "invstd " << name;
  for (bool narrow : {true, false}) {  // 32-bit channel division (the kernels' usual path) and 64-bit
    const Tensor out = x_shaped();
    for (int64_t i = 0; i < x.numel(); ++i) {
      bnt::normalize_element(xp, out.data_ptr<X>(), mean.data(), invstd.data(), w.data_ptr<T>(), b.data_ptr<T>(), s,
                             narrow, i);
    }
    EXPECT_TRUE(allclose(out.contiguous(), want, c.tol, c.tol)) << "out " << name << (narrow ? "" : " (64-bit)");
  }

  // Eval forward (normalize_eval_element's threads, invstd in each) against the CPU's eval
  // kernel, bit for bit; and the statistics it saves for backward (save_eval_stats's
  // threads) against the CPU kernel's and native::batch_norm_invstd's three ops.
  const Tensor want_eval = make_empty(c.x, c.dtype, Device::cpu());
  const Tensor eval_mean = full({C}, std::nan(""), ch), eval_invstd = full({C}, std::nan(""), ch);
  cpu::batch_norm_eval(x_nchw, rm0, rv0, w, b, eps, want_eval, eval_mean, eval_invstd);
  EXPECT_TRUE(equal(eval_mean, rm0)) << "eval's saved mean " << name;
  for (bool narrow : {true, false}) {
    const Tensor out = x_shaped();
    for (int64_t i = 0; i < x.numel(); ++i) {
      bnt::normalize_eval_element(xp, out.data_ptr<X>(), rm0.data_ptr<T>(), rv0.data_ptr<T>(), static_cast<T>(eps),
                                  w.data_ptr<T>(), b.data_ptr<T>(), s, narrow, i);
    }
    EXPECT_TRUE(equal(out.contiguous(), want_eval)) << "eval out " << name << (narrow ? "" : " (64-bit)");
  }
  const Tensor invstd_by_ops = native::batch_norm_invstd(rv0, eps);
  EXPECT_TRUE(equal(eval_invstd, invstd_by_ops)) << "eval's saved invstd " << name;
  const Tensor thread_mean = full({C}, std::nan(""), ch), thread_invstd = full({C}, std::nan(""), ch);
  for (int64_t ch = 0; ch < C; ++ch) {
    bnt::save_eval_stats(rm0.data_ptr<T>(), rv0.data_ptr<T>(), static_cast<T>(eps), thread_mean.data_ptr<T>(),
                         thread_invstd.data_ptr<T>(), ch);
  }
  EXPECT_TRUE(equal(thread_mean, rm0)) << "eval threads' saved mean " << name;
  EXPECT_TRUE(equal(thread_invstd, invstd_by_ops)) << "eval threads' saved invstd " << name;

  // Running statistics after cuDNN's training forward (update_running_stats's threads).
  const Tensor crm = rm0.clone(), crv = rv0.clone();
  const int64_t count = s.N * s.S;
  for (int64_t ch = 0; ch < C; ++ch) {
    bnt::running_stats(mean.data(), invstd.data(), eps, crm.data_ptr<T>(), crv.data_ptr<T>(),
                       static_cast<T>(1.0 - factor), static_cast<T>(factor),
                       static_cast<T>(static_cast<double>(count) / static_cast<double>(count - 1)), ch);
  }
  EXPECT_TRUE(allclose(crm, rm, ch_tol, ch_tol)) << "running_mean " << name;
  EXPECT_TRUE(allclose(crv, rv, 10 * ch_tol, 10 * ch_tol)) << "running_var " << name;

  // Running statistics blended by the finalize kernel (ember's kernels' path) from the threads'
  // mean and biased variance: bit for bit native::blend_running_stats's (the CPU's ops).
  const Tensor native_rm = rm0.clone(), native_rv = rv0.clone();
  native::blend_running_stats(tensor(mean), tensor(var), native_rm, native_rv, factor, count);
  const Tensor kernel_rm = rm0.clone(), kernel_rv = rv0.clone();
  const bnt::RunningBlend<T> blend = bnt::running_blend<T>(factor, count);
  for (int64_t ch = 0; ch < C; ++ch) {
    bnt::blend_running_stats(mean[ch], var[ch], kernel_rm.data_ptr<T>(), kernel_rv.data_ptr<T>(), blend.keep,
                             blend.factor, blend.unbias, ch);
  }
  EXPECT_TRUE(equal(kernel_rm, native_rm)) << "blended running_mean " << name;
  EXPECT_TRUE(equal(kernel_rv, native_rv)) << "blended running_var " << name;

  // Backward, training (through batch statistics) and eval (running statistics as constants).
  const Tensor g_nchw = randn(c.x, ch).to(c.dtype).contiguous(), g = laid_out(g_nchw, channels_last);
  for (bool training : {true, false}) {
    const std::string mode = training ? " (train)" : " (eval)";
    const Tensor want_gx = make_empty(c.x, c.dtype, Device::cpu());
    const Tensor want_gw = make_empty({C}, ch, Device::cpu()), want_gb = make_empty({C}, ch, Device::cpu());
    cpu::batch_norm_backward(g_nchw, x_nchw, want_mean, want_invstd, w, training, want_gx, want_gw, want_gb);
    const X* gp = g.data_ptr<X>();
    const T* mp = want_mean.data_ptr<T>();
    const std::vector<double> bpartial = run_partials(s, split, [&](int64_t ch, bnt::Images im, int64_t tid) {
      return bnt::backward_sums(gp, xp, mp[ch], s, ch, im, tid, kReduceThreads);
    });
    std::vector<T> gw(C), gb(C), mean_g(C), coef(C);
    for (int64_t ch = 0; ch < C; ++ch) {
      bnt::backward_finalize(bpartial.data(), split.groups, want_invstd.data_ptr<T>(), training, gw.data(), gb.data(),
                             mean_g.data(), coef.data(), s, ch);
    }
    for (bool narrow : {true, false}) {
      const Tensor gx = x_shaped();
      for (int64_t i = 0; i < x.numel(); ++i) {
        bnt::grad_input_element(gp, xp, mp, want_invstd.data_ptr<T>(), w.data_ptr<T>(), mean_g.data(), coef.data(),
                                gx.data_ptr<X>(), s, narrow, i);
      }
      EXPECT_TRUE(allclose(gx.contiguous(), want_gx, c.tol, c.tol))
          << "grad_x " << name << mode << (narrow ? "" : " (64-bit)");
      // In place, as the CUDA backward runs when the incoming gradient may be overwritten
      // (DeviceOps::batch_norm_backward_in_place): each thread reads its g[i] before writing it.
      const Tensor g_then_gx = g.clone();
      for (int64_t i = 0; i < x.numel(); ++i) {
        bnt::grad_input_element(g_then_gx.data_ptr<X>(), xp, mp, want_invstd.data_ptr<T>(), w.data_ptr<T>(),
                                mean_g.data(), coef.data(), g_then_gx.data_ptr<X>(), s, narrow, i);
      }
      EXPECT_TRUE(equal(g_then_gx, gx)) << "grad_x in place " << name << mode << (narrow ? "" : " (64-bit)");
    }
    EXPECT_TRUE(allclose(tensor(gw), want_gw, ch_tol, ch_tol)) << "grad_weight " << name << mode;
    EXPECT_TRUE(allclose(tensor(gb), want_gb, ch_tol, ch_tol)) << "grad_bias " << name << mode;
  }
}

TEST(CudaThreadsOnCpu, BatchNormMatchesTheCpuKernels) {
  for (const BatchNormCase& c : batch_norm_cases())
    for (bool channels_last : {false, true}) {
      if (channels_last && c.x.size() != 4) continue;
      visit_floating_or_reduced(c.dtype, "batch norm case", [&](auto tag) {
        check_batch_norm<typename decltype(tag)::type>(c, channels_last);
      });
    }
}

TEST(CudaThreadsOnCpu, BatchNormSplitsEveryChannelIntoWholeImageGroups) {
  for (const bnt::Shape s : {bnt::Shape{1, 1, 5}, bnt::Shape{7, 1, 1}, bnt::Shape{1000, 3, 16},
                             bnt::Shape{70000, 1, 1}, bnt::Shape{3, 5000, 4}}) {
    const bnt::Split split = bnt::split_of(s);
    EXPECT_GE(split.groups, 1);
    EXPECT_LE(split.groups, 65535);
    // The groups cover [0, N) in order, each non-empty.
    int64_t next = 0;
    for (int64_t group = 0; group < split.groups; ++group) {
      const bnt::Images im = bnt::images_of(s, group, split.per_group);
      EXPECT_EQ(im.n0, next);
      EXPECT_GT(im.n1, im.n0);
      next = im.n1;
    }
    EXPECT_EQ(next, s.N) << "N " << s.N << ", C " << s.C;
  }
}


// Layer norm and group norm (cuda/norm.cu): every thread of a row (a warp or a block), summed
// in thread order, then each thread's share of the output or the input gradient; the
// parameter gradients' (32 parameters x 8 row lanes, image chunks) partials in order.
template <typename T>
void check_row_norm(const RowNormGeometry& g, DType dtype, double tol, const std::string& name) {
  using A = row_norm::Acc<T>;
  using S = row_norm::Stat<T>;
  const DType stat = compute_dtype(dtype);
  const Tensor x = (randn({g.M, g.K}) * 2.0 + 3.0).to(dtype), grad = randn({g.M, g.K}).to(dtype);
  const Tensor w = (rand({g.params()}) + 0.5).to(dtype), b = randn({g.params()}).to(dtype);
  const Tensor want = make_empty({g.M, g.K}, dtype, Device::cpu());
  const Tensor want_mean = make_empty({g.M}, stat, Device::cpu()), want_rstd = make_empty({g.M}, stat, Device::cpu());
  cpu::row_norm_forward(x, w, b, g, 1e-5, want, want_mean, want_rstd);
  const Tensor want_gx = make_empty({g.M, g.K}, dtype, Device::cpu());
  const Tensor want_gw = make_empty({g.params()}, dtype, Device::cpu()), want_gb = make_empty({g.params()}, dtype, Device::cpu());
  cpu::row_norm_backward(grad, x, want_mean, want_rstd, w, g, want_gx, want_gw, want_gb);

  const T *xp = x.data_ptr<T>(), *gp = grad.data_ptr<T>(), *wp = w.data_ptr<T>(), *bp = b.data_ptr<T>();
  const int64_t threads = nrm::row_threads(g.K);
  const Tensor out = make_empty({g.M, g.K}, dtype, Device::cpu()), gx = make_empty({g.M, g.K}, dtype, Device::cpu());
  std::vector<S> mean(static_cast<size_t>(g.M)), rstd(static_cast<size_t>(g.M));
  for (int64_t r = 0; r < g.M; ++r) {
    const T* xr = xp + r * g.K;
    const T* gr = gp + r * g.K;
    const A shift = row_norm::row_shift(xr, g.K);
    row_norm::Sums<A> sums, gsums;
    for (int64_t t = 0; t < threads; ++t) {
      const auto s = row_norm::moment_sums(xr, g.K, shift, t, threads);
      sums.a += s.a, sums.b += s.b;
    }
    A m, rs;
    row_norm::stats_of(sums, g.K, shift, 1e-5, m, rs);
    mean[static_cast<size_t>(r)] = static_cast<S>(m), rstd[static_cast<size_t>(r)] = static_cast<S>(rs);
    for (int64_t t = 0; t < threads; ++t) row_norm::normalize_row(xr, wp, bp, g, r, m, rs, out.data_ptr<T>() + r * g.K, t, threads);
    const A sm = static_cast<A>(want_mean.data_ptr<S>()[r]), srs = static_cast<A>(want_rstd.data_ptr<S>()[r]);
    for (int64_t t = 0; t < threads; ++t) {
      const auto s = row_norm::grad_sums(gr, xr, wp, g, r, sm, t, threads);
      gsums.a += s.a, gsums.b += s.b;
    }
    for (int64_t t = 0; t < threads; ++t)
      row_norm::grad_input_row(gr, xr, wp, g, r, sm, srs, gsums, gx.data_ptr<T>() + r * g.K, t, threads);
  }
  EXPECT_TRUE(allclose(tensor(mean).to(stat), want_mean, tol, tol)) << "mean " << name;
  EXPECT_TRUE(allclose(tensor(rstd).to(stat), want_rstd, tol, tol)) << "rstd " << name;
  EXPECT_TRUE(allclose(out.to(kFloat64), want.to(kFloat64), tol, tol)) << "out " << name;
  EXPECT_TRUE(allclose(gx.to(kFloat64), want_gx.to(kFloat64), tol, tol)) << "grad_x " << name;

  const nrm::ParamSplit split = nrm::param_split(g);
  ASSERT_LE(split.chunks, 65535) << name;
  std::vector<double> partial(static_cast<size_t>(2 * split.chunks * g.params()), kUnwritten);
  for (int64_t chunk = 0; chunk < split.chunks; ++chunk)
    for (int64_t block = 0; block < split.blocks; ++block)
      for (int64_t lane = 0; lane < nrm::kParamLanes; ++lane) {
        const int64_t p = block * nrm::kParamLanes + lane;
        if (p >= g.params()) continue;
        double a = 0, bsum = 0;
        for (int64_t row_lane = 0; row_lane < nrm::kRowLanes; ++row_lane) {
          const auto s = nrm::param_thread_sums(gp, xp, want_mean.data_ptr<S>(), want_rstd.data_ptr<S>(), g, split,
                                                block, chunk, lane, row_lane);
          a += s.a, bsum += s.b;
        }
        double* dst = nrm::partial_of(partial.data(), g, chunk, p);
        dst[0] = a, dst[1] = bsum;
      }
  for (double v : partial) ASSERT_FALSE(std::isnan(v)) << "a partial was never written: " << name;
  const Tensor gw = make_empty({g.params()}, dtype, Device::cpu()), gb = make_empty({g.params()}, dtype, Device::cpu());
  for (int64_t p = 0; p < g.params(); ++p) nrm::param_finalize(partial.data(), g, split.chunks, gw.data_ptr<T>(), gb.data_ptr<T>(), p);
  EXPECT_TRUE(allclose(gw.to(kFloat64), want_gw.to(kFloat64), tol, tol)) << "grad_weight " << name;
  EXPECT_TRUE(allclose(gb.to(kFloat64), want_gb.to(kFloat64), tol, tol)) << "grad_bias " << name;
}

TEST(CudaThreadsOnCpu, LayerAndGroupNormMatchTheCpuKernels) {
  struct Case {
    RowNormGeometry g;
    const char* name;
  };
  // Warp rows (K <= 1024) and block rows, layer norm (G = 1, S = 1) and group norm, image
  // chunks of the parameter gradients (many rows, few parameters) and partial last chunks.
  const std::vector<Case> cases{{{7, 40, 1, 40, 1}, "layer_norm [7, 40]"},
                                {{3, 1500, 1, 1500, 1}, "layer_norm [3, 1500] (block rows)"},
                                {{600, 33, 1, 33, 1}, "layer_norm [600, 33] (chunks)"},
                                {{4 * 3, 2 * 25, 3, 2, 25}, "group_norm [4, 6, 5, 5] groups 3"},
                                {{50 * 2, 8 * 9, 2, 8, 9}, "group_norm [50, 16, 9] groups 2"},
                                {{5 * 4, 1 * 7, 4, 1, 7}, "group_norm [5, 4, 7] groups 4"},
                                {{6 * 2, 3 * 1, 2, 3, 1}, "group_norm [6, 6] groups 2 (S = 1)"},
                                {{64, 2048, 1, 2048, 1}, "layer_norm [64, 2048] (parameter blocks)"}};
  for (const Case& c : cases) {
    check_row_norm<double>(c.g, kFloat64, 1e-10, std::string(c.name) + " float64");
    check_row_norm<float>(c.g, kFloat32, 1e-4, std::string(c.name) + " float32");
    check_row_norm<BFloat16>(c.g, kBFloat16, 2e-2, std::string(c.name) + " bfloat16");
  }
}

TEST(CudaThreadsOnCpu, RowNormParameterChunksCoverEveryImage) {
  for (const RowNormGeometry g : {RowNormGeometry{1, 5, 1, 5, 1}, RowNormGeometry{100000, 64, 1, 64, 1},
                                  RowNormGeometry{70000 * 2, 10, 2, 10, 1}, RowNormGeometry{9 * 32, 3 * 4, 32, 3, 4}}) {
    const nrm::ParamSplit split = nrm::param_split(g);
    EXPECT_GE(split.chunks, 1);
    EXPECT_LE(split.chunks, 65535);
    EXPECT_EQ(split.blocks, (g.params() + 31) / 32);
    const int64_t images = g.M / g.G;
    EXPECT_GE(split.chunks * split.per_chunk, images);
    EXPECT_LT((split.chunks - 1) * split.per_chunk, images) << "an empty chunk";
  }
}

}  // namespace
}  // namespace ember
