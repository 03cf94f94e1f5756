// The CUDA kernels' deterministic forms (Note [Deterministic algorithms] in
// core/deterministic.h), each thread's walk run on the CPU for every thread: scatter /
// scatter_add / scatter_reduce by lines and by ordered runs, index_add by columns and by
// ordered runs, and grid_sample's input gradient by planes give the CPU kernels' results bit
// for bit, in values whose sums depend on their order. Also the switches themselves.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/gather_layout.h"
#include "core/grid_sample_math.h"
#include "core/index_layout.h"
#include "core/ordered_runs.h"
#include "cuda/cudnn_plan.h"

namespace ember {
namespace {

// Bitwise equal (NaN payloads included), element by element.
template <typename T>
void expect_bits(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const Tensor g = got.contiguous(), w = want.contiguous();
  for (int64_t i = 0; i < g.numel(); ++i) {
    const T a = g.data_ptr<T>()[i], b = w.data_ptr<T>()[i];
    ASSERT_EQ(std::memcmp(&a, &b, sizeof(T)), 0)
        << what << " element " << i << ": " << static_cast<double>(a) << " vs " << static_cast<double>(b);
  }
}

// Values of very different sizes, so that a sum's rounding depends on its order.
Tensor spread_values(const Dims& shape, DType dtype, uint64_t seed) {
  manual_seed(seed);
  return (randn(shape, kFloat64) * (randn(shape, kFloat64) * 6.0).exp()).to(dtype);
}

// The layout ops/scatter_gather.cpp builds, for contiguous self, index and src.
GatherLayout gather_layout(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  GatherLayout l;
  l.ndim = static_cast<int>(index.dim());
  l.dim = static_cast<int>(dim);
  l.numel = index.numel();
  l.self_size = self.size(dim);
  l.self_stride = self.stride(dim);
  for (int64_t d = 0; d < index.dim(); ++d) {
    const auto k = static_cast<size_t>(d);
    l.sizes[k] = index.size(d);
    l.index_strides[k] = index.stride(d);
    l.other_strides[k] = src.stride(d);
    l.self_strides[k] = d == dim ? 0 : self.stride(d);
  }
  return l;
}

// The sorted form's threads (Note [Ordered runs]): keys for every contribution (none above
// max_key), a stable sort of their low significant_bits(max_key) bits only (as cub's radix
// sort with that end_bit), then combine_run at every sorted position.
template <typename KeyOf, typename Fn>
void by_ordered_runs(int64_t n, uint64_t max_key, KeyOf key_of, Fn fn) {
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  std::vector<int64_t> values(static_cast<size_t>(n)), order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    keys[static_cast<size_t>(i)] = key_of(i, values[static_cast<size_t>(i)]);
    EXPECT_LE(keys[static_cast<size_t>(i)], max_key) << "contribution " << i;
    order[static_cast<size_t>(i)] = i;
  }
  const int bits = ordered_runs::significant_bits(max_key);
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return (keys[static_cast<size_t>(a)] & mask) < (keys[static_cast<size_t>(b)] & mask);
  });
  std::vector<uint64_t> sorted_keys;
  std::vector<int64_t> sorted_values;
  for (int64_t i : order) {
    sorted_keys.push_back(keys[static_cast<size_t>(i)]);
    sorted_values.push_back(values[static_cast<size_t>(i)]);
  }
  for (int64_t p = 0; p < n; ++p) ordered_runs::combine_run(p, sorted_keys.data(), sorted_values.data(), n, fn);
}

struct ScatterCase {
  Dims self, index;
  int64_t dim;
};

TEST(DeterministicThreads, ScatterLinesGiveTheCpuKernelsBits) {
  const std::vector<ScatterCase> cases{{{7}, {40}, 0},
                                       {{5, 6}, {9, 6}, 0},
                                       {{5, 6}, {5, 11}, 1},
                                       {{3, 4, 5}, {3, 9, 2}, 1},
                                       {{3, 4, 5}, {2, 4, 13}, 2},
                                       {{4, 3, 2}, {12, 3, 2}, 0}};
  for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
    for (const ScatterCase& c : cases) {
      const std::string name = std::string(dtype_name(dtype)) + " self " + detail::str_cat(c.self) + " index " +
                               detail::str_cat(c.index) + " dim " + std::to_string(c.dim);
      const Tensor self0 = spread_values(c.self, dtype, 1);
      const Tensor src = spread_values(c.index, dtype, 2);
      manual_seed(3);
      const Tensor index = randint(0, c.self[static_cast<size_t>(c.dim)], c.index);  // many repeats
      const GatherLayout l = gather_layout(self0, c.dim, index, src);
      visit_floating_or_reduced(dtype, "test", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto by_lines = [&](auto combine) {
          const Tensor out = self0.clone();
          for (int64_t line = 0; line < l.line_count(); ++line) {
            l.walk_line(
                line, index.data_ptr<int64_t>(),
                [&](int64_t s, int64_t o) { combine(out.data_ptr<T>()[s], src.data_ptr<T>()[o]); },
                [&](int64_t v) { ADD_FAILURE() << "index " << v << " out of range"; });
          }
          return out;
        };
        const auto by_runs = [&](auto combine) {
          const Tensor out = self0.clone();
          by_ordered_runs(
              l.numel, ordered_runs::max_key(self0.sizes().data(), self0.strides().data(), self0.dim()),
              [&](int64_t i, int64_t& other) {
                return ordered_runs::scatter_key(l, i, index.data_ptr<int64_t>(), other,
                                                 [&](int64_t v) { ADD_FAILURE() << "index " << v << " out of range"; });
              },
              [&](int64_t s, int64_t o) { combine(out.data_ptr<T>()[s], src.data_ptr<T>()[o]); });
          return out;
        };
        const Tensor added = self0.clone(), assigned = self0.clone();
        cpu::scatter(added, index, src, l, true);
        cpu::scatter(assigned, index, src, l, false);
        expect_bits<T>(by_lines(ScatterAdd{}), added, "scatter_add by lines " + name);
        expect_bits<T>(by_runs(ScatterAdd{}), added, "scatter_add by runs " + name);
        expect_bits<T>(by_lines(ScatterAssign{}), assigned, "scatter by lines " + name);
        expect_bits<T>(by_runs(ScatterAssign{}), assigned, "scatter by runs " + name);
        for (ScatterReduceKind kind : {ScatterReduceKind::Multiply, ScatterReduceKind::Max, ScatterReduceKind::Min}) {
          const Tensor reduced = self0.clone();
          cpu::scatter_reduce(reduced, index, src, l, kind);
          const std::string what = "scatter_reduce " + std::to_string(static_cast<int>(kind)) + " " + name;
          expect_bits<T>(by_lines(ScatterCombine{kind}), reduced, what + " by lines");
          expect_bits<T>(by_runs(ScatterCombine{kind}), reduced, what + " by runs");
        }
      });
    }
  }
}

// Both forms skip a bad index (the largest int64 too: its offset is never computed) and
// report it, and add the rest.
TEST(DeterministicThreads, BadIndicesAreReportedAndSkipped) {
  constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();
  const Tensor src = ones({4, 2});
  const Tensor index = tensor(std::vector<int64_t>{0, 2, 3, 1, 2, 2, -1, kHuge}, {4, 2});
  const Tensor by_lines = zeros({3, 2}), by_runs = zeros({3, 2});
  const GatherLayout l = gather_layout(by_lines, 0, index, src);
  std::vector<int64_t> bad;
  for (int64_t line = 0; line < l.line_count(); ++line) {
    l.walk_line(
        line, index.data_ptr<int64_t>(),
        [&](int64_t s, int64_t o) { by_lines.data_ptr<float>()[s] += src.data_ptr<float>()[o]; },
        [&](int64_t v) { bad.push_back(v); });
  }
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<int64_t>{-1, 3, kHuge}));
  EXPECT_EQ(by_lines.to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 1, 2}));
  bad.clear();
  by_ordered_runs(
      l.numel, ordered_runs::max_key(by_runs.sizes().data(), by_runs.strides().data(), by_runs.dim()),
      [&](int64_t i, int64_t& other) {
        return ordered_runs::scatter_key(l, i, index.data_ptr<int64_t>(), other, [&](int64_t v) { bad.push_back(v); });
      },
      [&](int64_t s, int64_t o) { by_runs.data_ptr<float>()[s] += src.data_ptr<float>()[o]; });
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<int64_t>{-1, 3, kHuge}));
  EXPECT_EQ(by_runs.to_vector<float>(), by_lines.to_vector<float>());
}

// A transposed self: its offsets are not row-major; every key stays within max_key and the
// sorted form gives the contiguous copy's sums.
TEST(DeterministicThreads, KeysOfAStridedSelfStayBelowItsMaxKey) {
  const Tensor base = zeros({5, 7}), self = base.t();  // [7, 5], strides [1, 7]
  manual_seed(13);
  const Tensor index = randint(0, 7, {12, 5}), src = spread_values({12, 5}, kFloat32, 14);
  const GatherLayout l = gather_layout(self, 0, index, src);
  const uint64_t max_key = ordered_runs::max_key(self.sizes().data(), self.strides().data(), self.dim());
  EXPECT_EQ(max_key, static_cast<uint64_t>(6 * 1 + 4 * 7 + 1));
  const Dims empty{0, 3}, strides{3, 1};
  EXPECT_EQ(ordered_runs::max_key(empty.data(), strides.data(), 2), 1u);
  EXPECT_EQ(ordered_runs::significant_bits(1), 1);
  EXPECT_EQ(ordered_runs::significant_bits(35), 6);
  EXPECT_EQ(ordered_runs::significant_bits(~uint64_t{0}), 64);
  const Tensor want = self.contiguous();
  cpu::scatter(want, index, src, gather_layout(want, 0, index, src), true);
  by_ordered_runs(
      l.numel, max_key,
      [&](int64_t i, int64_t& other) {
        return ordered_runs::scatter_key(l, i, index.data_ptr<int64_t>(), other,
                                         [&](int64_t v) { ADD_FAILURE() << "index " << v; });
      },
      [&](int64_t s, int64_t o) { self.data_ptr<float>()[s] += src.data_ptr<float>()[o]; });
  expect_bits<float>(self, want, "scatter_add into a transposed self");
}

TEST(DeterministicThreads, IndexAddColumnsGiveTheCpuKernelsBits) {
  struct Case {
    Dims self;
    int64_t dim, count;
  };
  for (DType dtype : {kFloat32, kFloat64, kBFloat16}) {
    for (const Case& c : {Case{{6}, 0, 50}, Case{{5, 7}, 0, 33}, Case{{4, 5, 3}, 1, 21}, Case{{3, 2, 6}, 2, 17}}) {
      Dims source_shape = c.self;
      source_shape[static_cast<size_t>(c.dim)] = c.count;
      const Tensor self0 = spread_values(c.self, dtype, 4), source = spread_values(source_shape, dtype, 5);
      manual_seed(6);
      const Tensor index = randint(0, c.self[static_cast<size_t>(c.dim)], {c.count});
      IndexLayout l;
      for (int64_t d = 0; d < static_cast<int64_t>(c.self.size()); ++d) {
        if (d < c.dim) l.outer *= c.self[static_cast<size_t>(d)];
        if (d > c.dim) l.inner *= c.self[static_cast<size_t>(d)];
      }
      l.size = c.self[static_cast<size_t>(c.dim)];
      l.count = c.count;
      const Tensor want = self0.clone(), got = self0.clone(), got_runs = self0.clone();
      cpu::index_add(want, index, l, source);
      visit_floating_or_reduced(dtype, "test", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto unexpected = [&](int64_t v) { ADD_FAILURE() << "index " << v << " out of range"; };
        for (int64_t column = 0; column < l.outer * l.inner; ++column) {
          l.walk_column(
              column, index.data_ptr<int64_t>(),
              [&](int64_t s, int64_t i) { ScatterAdd{}(got.data_ptr<T>()[s], source.data_ptr<T>()[i]); }, unexpected);
        }
        by_ordered_runs(
            l.selected_numel(), static_cast<uint64_t>(l.outer * l.size * l.inner),
            [&](int64_t i, int64_t& value) {
              value = i;
              return ordered_runs::index_add_key(l, i, index.data_ptr<int64_t>(), unexpected);
            },
            [&](int64_t s, int64_t i) { ScatterAdd{}(got_runs.data_ptr<T>()[s], source.data_ptr<T>()[i]); });
        const std::string name = "index_add " + std::string(dtype_name(dtype)) + " " + detail::str_cat(c.self);
        expect_bits<T>(got, want, name + " by columns");
        expect_bits<T>(got_runs, want, name + " by runs");
      });
    }
  }
}

TEST(DeterministicThreads, GridSamplePlanesGiveTheCpuKernelsInputGradient) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (GridSampleMode mode : {GridSampleMode::Bilinear, GridSampleMode::Nearest, GridSampleMode::Bicubic}) {
      for (GridSamplePadding padding :
           {GridSamplePadding::Zeros, GridSamplePadding::Border, GridSamplePadding::Reflection}) {
        for (bool align_corners : {false, true}) {
          // A grid of 6 x 7 points over a 4 x 5 image: many points share each pixel.
          const Tensor input = spread_values({2, 3, 4, 5}, dtype, 7);
          manual_seed(8);
          const Tensor grid = (rand({2, 6, 7, 2}, kFloat64) * 2.4 - 1.2).to(dtype);
          const Tensor grad = spread_values({2, 3, 6, 7}, dtype, 9);
          GridSampleLayout l;
          l.N = 2, l.C = 3, l.H = 4, l.W = 5, l.Ho = 6, l.Wo = 7;
          for (int d = 0; d < 4; ++d) l.input_stride[d] = input.stride(d), l.grid_stride[d] = grid.stride(d);
          l.mode = mode, l.padding = padding, l.align_corners = align_corners;
          const Tensor want = zeros({2, 3, 4, 5}, dtype), grad_grid = zeros({2, 6, 7, 2}, dtype);
          cpu::grid_sample_backward(grad, input, grid, l, want, grad_grid);
          const Tensor got = zeros({2, 3, 4, 5}, dtype);
          visit_floating(dtype, "test", [&](auto tag) {
            using T = typename decltype(tag)::type;
            for (int64_t plane = 0; plane < l.N * l.C; ++plane) {
              grid_sample_math::plane_input_grad(grad.data_ptr<T>(), grid.data_ptr<T>(), l, plane / l.C, plane % l.C,
                                                 got.data_ptr<T>());
            }
            expect_bits<T>(got, want,
                           "grid_sample " + std::string(dtype_name(dtype)) + " mode " +
                               std::to_string(static_cast<int>(mode)) + " padding " +
                               std::to_string(static_cast<int>(padding)) + (align_corners ? " aligned" : ""));
          });
          EXPECT_GT(want.abs().sum().item<double>(), 0.0);
        }
      }
    }
  }
}

TEST(DeterministicAlgorithms, TheSwitchesKeepWhatTheyAreGiven) {
  EXPECT_FALSE(are_deterministic_algorithms_enabled());
  EXPECT_FALSE(is_deterministic_algorithms_warn_only_enabled());
  EXPECT_FALSE(cudnn::deterministic());
  use_deterministic_algorithms(true, true);
  EXPECT_TRUE(are_deterministic_algorithms_enabled());
  EXPECT_TRUE(is_deterministic_algorithms_warn_only_enabled());
  use_deterministic_algorithms(true);
  EXPECT_FALSE(is_deterministic_algorithms_warn_only_enabled());
#if EMBER_HAVE_CUDA
  EXPECT_TRUE(cuda::detail::deterministic_engines());  // cuDNN follows the global switch
#endif
  use_deterministic_algorithms(false);
  EXPECT_FALSE(are_deterministic_algorithms_enabled());
  cudnn::set_deterministic(true);
  EXPECT_TRUE(cudnn::deterministic());
  EXPECT_FALSE(are_deterministic_algorithms_enabled());  // the cuDNN switch alone leaves the kernels
#if EMBER_HAVE_CUDA
  EXPECT_TRUE(cuda::detail::deterministic_engines());
#endif
  cudnn::set_deterministic(false);
#if EMBER_HAVE_CUDA
  EXPECT_FALSE(cuda::detail::deterministic_engines());
#endif
}

// On the CPU the switch changes nothing: its kernels are deterministic already.
TEST(DeterministicAlgorithms, CpuResultsAreTheSameEitherWay) {
  const Tensor self = spread_values({9, 4}, kFloat32, 10), src = spread_values({30, 4}, kFloat32, 11);
  manual_seed(12);
  const Tensor index = randint(0, 9, {30, 4});
  const Tensor before = scatter_add(self, 0, index, src);
  use_deterministic_algorithms(true);
  const Tensor after = scatter_add(self, 0, index, src);
  use_deterministic_algorithms(false);
  expect_bits<float>(after, before, "scatter_add on the CPU");
}

}  // namespace
}  // namespace ember
