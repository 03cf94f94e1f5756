// index_select against plain loops: every dim of a 3-D input, contiguous and not, every
// dtype, scalar and empty indices, repeated indices; its gradient (index_add) by
// gradcheck and by value, bfloat16 sums; the element math CUDA's threads run
// (core/index_layout.h) for every element; and PyTorch's errors.
#include <cstdint>
#include <vector>

#include "core/index_layout.h"
#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::random_values;

Tensor index_of(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, dtype(kInt64)); }

// out[..., j, ...] = a[..., index[j], ...] along dim, by loops over a contiguous copy.
std::vector<double> select_by_loops(const Tensor& a, int64_t dim, const std::vector<int64_t>& index) {
  const std::vector<double> values = a.to_vector<double>();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d < dim) outer *= a.size(d);
    if (d > dim) inner *= a.size(d);
  }
  const int64_t size = a.size(dim);
  std::vector<double> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : index)
      for (int64_t k = 0; k < inner; ++k) out.push_back(values[static_cast<size_t>((o * size + j) * inner + k)]);
  return out;
}

TEST(IndexSelect, EveryDimMatchesLoopsContiguousOrNot) {
  const Tensor base = tensor(random_values(4 * 5 * 6, 3), {4, 5, 6}, dtype(kFloat64));
  const std::vector<Tensor> inputs{base, base.permute({2, 0, 1}).contiguous().permute({1, 2, 0}),
                                   base.transpose(0, 2).contiguous().transpose(0, 2)};
  for (const Tensor& a : inputs) {
    ASSERT_TRUE(allclose(a, base));
    for (int64_t dim = 0; dim < 3; ++dim) {
      const std::vector<int64_t> index{3, 0, 3, 1};
      const Tensor out = a.index_select(dim, index_of(index));
      Dims shape = a.sizes();
      shape[static_cast<size_t>(dim)] = 4;
      EXPECT_EQ(out.sizes(), shape);
      EXPECT_TRUE(out.is_contiguous());
      expect_values(out, select_by_loops(base, dim, index), 0.0);
      expect_values(index_select(a, dim - 3, index_of(index)), select_by_loops(base, dim, index), 0.0);
    }
  }
}

TEST(IndexSelect, EveryDtypeIsCopiedExactly) {
  const std::vector<double> v{1, 0, 3, 200};
  for (DType dt : {kFloat32, kFloat64, kInt64, kUInt8, kBool, kBFloat16}) {
    const Tensor a = tensor(v, {4}, dtype(kFloat64)).to(dt);
    const Tensor out = a.index_select(0, index_of({3, 1, 2, 0}));
    EXPECT_EQ(out.dtype(), dt);
    const Tensor expected = tensor(std::vector<double>{v[3], v[1], v[2], v[0]}, {4}, dtype(kFloat64)).to(dt);
    EXPECT_TRUE(equal(out, expected)) << dtype_name(dt);
  }
}

TEST(IndexSelect, ScalarAndEmptyIndicesAndScalarInputs) {
  const Tensor a = tensor(random_values(12, 5), {3, 4}, dtype(kFloat64));
  const Tensor one = tensor(std::vector<int64_t>{2}, {}, dtype(kInt64));  // 0-dim index: one slice, dim kept
  EXPECT_EQ(a.index_select(1, one).sizes(), (Dims{3, 1}));
  expect_values(a.index_select(1, one), select_by_loops(a, 1, {2}), 0.0);
  const Tensor none = a.index_select(0, index_of({}));
  EXPECT_EQ(none.sizes(), (Dims{0, 4}));
  const Tensor s = tensor(std::vector<double>{7.5}, {}, dtype(kFloat64));
  const Tensor picked = s.index_select(0, index_of({0}));
  EXPECT_EQ(picked.dim(), 0);
  EXPECT_EQ(picked.item<double>(), 7.5);
  const Tensor large = arange(0, 300000, 1, dtype(kFloat64)).view({100000, 3});  // parallel rows
  std::vector<int64_t> reversed(100000);
  for (int64_t i = 0; i < 100000; ++i) reversed[static_cast<size_t>(i)] = 99999 - i;
  expect_values(large.index_select(0, index_of(reversed)), select_by_loops(large, 0, reversed), 0.0);
}

// The last dim (single elements per index: the kernel's word loop) of an input large
// enough to be split across threads, every element size, and a bad index there.
TEST(IndexSelect, TheLastDimPicksSingleElementsInParallel) {
  const Tensor a = tensor(random_values(4000 * 17, 6), {4000, 17}, dtype(kFloat64));
  const std::vector<int64_t> index{16, 0, 5, 5, 9, 16, 1, 2, 3, 11, 12};
  for (DType dt : {kFloat64, kFloat32, kBFloat16, kUInt8}) {
    const Tensor typed = a.mul(10).to(dt);
    const Tensor out = typed.index_select(1, index_of(index));
    EXPECT_EQ(out.sizes(), (Dims{4000, 11}));
    expect_values(out.to(kFloat64), select_by_loops(typed.to(kFloat64), 1, index), 0.0);
  }
  EXPECT_EMBER_ERROR(a.index_select(-1, index_of({0, 17, 2})), "index out of range in self: index 17 at position 1");
}

TEST(IndexSelect, GradientAddsSlicesBackIncludingRepeats) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    expect_gradcheck([dim](const std::vector<Tensor>& in) { return in[0].index_select(dim, index_of({1, 0, 1, 1})); },
                     {grad_input({2, 3, 2})});
  }
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].index_select(0, index_of({0})); },
                   {grad_input({})});
  const Tensor x = tensor(std::vector<double>{1, 2, 3}, {3}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = x.index_select(0, index_of({2, 0, 2}));
  EXPECT_EQ(y.grad_fn()->name(), "IndexSelectBackward");
  (y * tensor(std::vector<double>{10, 20, 30}, {3}, dtype(kFloat64))).sum().backward();
  expect_values(x.grad(), {20, 0, 40}, 0.0);  // index 2 twice: 10 + 30
  {
    NoGradGuard no_grad;
    EXPECT_EQ(x.index_select(0, index_of({1})).grad_fn(), nullptr);
  }
}

TEST(IndexSelect, BFloat16GradientsSumInFloat32AndRoundOnce) {
  // Each slice's sum is computed in float32 and rounded to bf16, in index order (as
  // PyTorch's CPU index_add in bf16): 256 + 1 = 257 rounds back to 256 (ties to even),
  // twice; a float32 accumulator rounded once would give 258.
  const Tensor x = tensor(std::vector<double>{0, 0}, {2}, dtype(kFloat64)).to(kBFloat16).requires_grad_(true);
  Tensor y = x.index_select(0, index_of({0, 0, 0, 1}));
  y.backward(tensor(std::vector<double>{256, 1, 1, 3}, {4}, dtype(kFloat64)).to(kBFloat16));
  EXPECT_EQ(x.grad().dtype(), kBFloat16);
  expect_values(x.grad(), {256, 3}, 0.0);
}

// CUDA's threads: output element i reads source(element(i), index[position]); run here
// for every element of several layouts, against the CPU kernel.
TEST(IndexSelect, TheCudaThreadsElementMathMatchesTheCpuKernel) {
  const Tensor a = tensor(random_values(3 * 7 * 5, 9), {3, 7, 5}, dtype(kFloat64));
  const std::vector<double> values = a.to_vector<double>();
  const std::vector<int64_t> index{6, 0, 6, 2, 5};
  for (int64_t dim = 0; dim < 3; ++dim) {
    IndexLayout l;
    for (int64_t d = 0; d < 3; ++d) {
      if (d < dim) l.outer *= a.size(d);
      if (d > dim) l.inner *= a.size(d);
    }
    l.size = a.size(dim);
    l.count = dim == 0 ? 3 : 5;
    const std::vector<int64_t> used(index.begin(), index.begin() + l.count);
    std::vector<int64_t> in_dim;
    for (int64_t v : used) in_dim.push_back(v % l.size);
    std::vector<double> threads(static_cast<size_t>(l.selected_numel()));
    for (int64_t i = 0; i < l.selected_numel(); ++i) {
      const IndexLayout::Element e = l.element(i);
      ASSERT_TRUE(l.in_range(in_dim[static_cast<size_t>(e.position)]));
      threads[static_cast<size_t>(i)] = values[static_cast<size_t>(l.source(e, in_dim[static_cast<size_t>(e.position)]))];
    }
    expect_values(a.index_select(dim, index_of(in_dim)), threads, 0.0);
  }
}

TEST(IndexSelect, BadArgumentsAreClearErrors) {
  const Tensor a = zeros({3, 4});
  EXPECT_EMBER_ERROR(a.index_select(0, index_of({3})), "index out of range in self");
  EXPECT_EMBER_ERROR(a.index_select(1, index_of({0, -1})), "index out of range in self");
  EXPECT_EMBER_ERROR(a.index_select(0, zeros({1, 1}, dtype(kInt64))), "Index is supposed to be a vector");
  EXPECT_EMBER_ERROR(a.index_select(0, zeros({1})), "Expected dtype int64 for index, but got float32");
  EXPECT_EMBER_ERROR(a.index_select(2, index_of({0})), "Dimension out of range");
  EXPECT_EMBER_ERROR(zeros({}).index_select(0, index_of({0, 0})), "Index to scalar can have only 1 value");
  // The gradient's kernel checks its indices too.
  EXPECT_EMBER_ERROR(native::index_select_backward(ones({1}, dtype(kFloat64)), Dims{3}, 0, index_of({5})),
                     "index out of range in self");
}

}  // namespace
}  // namespace ember
