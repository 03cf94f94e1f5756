// gather, scatter and scatter_add against PyTorch 1.13's values and errors; non-contiguous,
// 0-dim and empty operands; repeated indices (the CPU's last write wins, sums in order);
// in-place forms and their version counter; float64 gradcheck (and gradgradcheck) of each;
// and the element math CUDA's threads run (core/gather_layout.h) for every element.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "core/gather_layout.h"
#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::random_values;

Tensor longs(const std::vector<int64_t>& v, const Dims& shape) { return tensor(v, shape, dtype(kInt64)); }
Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, dtype(kFloat64)); }

// Reference values from PyTorch 1.13:
//   x = torch.arange(12., dtype=torch.float64).view(3, 4)
//   x.gather(1, torch.tensor([[3, 0], [1, 1], [2, 0]]))  -> [3, 0, 5, 5, 10, 8]
//   x.gather(0, torch.tensor([[2, 0, 1, 2]]))            -> [8, 1, 6, 11]
TEST(Gather, MatchesPyTorchAlongEachDim) {
  const Tensor x = arange(0, 12, 1, dtype(kFloat64)).view({3, 4});
  const Tensor g1 = x.gather(1, longs({3, 0, 1, 1, 2, 0}, {3, 2}));
  EXPECT_EQ(g1.sizes(), (Dims{3, 2}));
  expect_values(g1, {3, 0, 5, 5, 10, 8}, 0.0);
  expect_values(gather(x, 0, longs({2, 0, 1, 2}, {1, 4})), {8, 1, 6, 11}, 0.0);
  expect_values(x.gather(-2, longs({2, 0, 1, 2}, {1, 4})), {8, 1, 6, 11}, 0.0);
  // index may be longer than self along dim (PyTorch: x.gather(1, [[1]*6]) is fine)
  expect_values(x.gather(1, longs({1, 1, 1, 1, 1, 1}, {1, 6})), {1, 1, 1, 1, 1, 1}, 0.0);
}

TEST(Gather, NonContiguousOperandsAndEveryDtype) {
  const Tensor base = tensor(random_values(5 * 6, 3), {5, 6}, dtype(kFloat64));
  const Tensor t = base.t();  // [6, 5], transposed strides
  const Tensor index = longs({4, 0, 2, 1, 1, 3, 0, 4, 2, 2, 0, 1}, {4, 3}).t();  // [3, 4] transposed
  const Tensor got = t.gather(1, index);
  const Tensor expected = t.contiguous().gather(1, index.contiguous());
  EXPECT_TRUE(equal(got, expected));
  // a sliced self (step 2) and an expanded (stride-0) index
  const Tensor sliced = base.slice(1, 0, 6, 2);  // [5, 3]
  const Tensor expanded = longs({2, 0}, {1, 2}).expand({5, 2});
  EXPECT_TRUE(equal(sliced.gather(1, expanded), sliced.contiguous().gather(1, expanded.contiguous())));
  for (DType dt : {kFloat32, kInt64, kUInt8, kBool, kBFloat16}) {
    const Tensor a = tensor(std::vector<double>{1, 0, 3, 200}, {2, 2}, dtype(kFloat64)).to(dt);
    const Tensor out = a.gather(1, longs({1, 1, 0, 1}, {2, 2}));
    EXPECT_EQ(out.dtype(), dt);
    EXPECT_TRUE(equal(out, tensor(std::vector<double>{0, 0, 3, 200}, {2, 2}, dtype(kFloat64)).to(dt))) << dtype_name(dt);
  }
}

// PyTorch 1.13: torch.tensor(3.).gather(0, torch.tensor(0)) -> tensor(3.);
// torch.tensor(3.).gather(0, torch.tensor([0])) -> tensor([3.]); empty index -> empty.
TEST(Gather, ScalarsAndEmptyIndices) {
  const Tensor s = scalar_tensor(3.0, dtype(kFloat64));
  const Tensor a = s.gather(0, scalar_tensor(int64_t{0}, dtype(kInt64)));
  EXPECT_EQ(a.dim(), 0);
  EXPECT_EQ(a.item<double>(), 3.0);
  EXPECT_EQ(s.gather(0, longs({0}, {1})).sizes(), (Dims{1}));
  const Tensor x = zeros({2, 5});
  EXPECT_EQ(x.gather(1, zeros({2, 0}, dtype(kInt64))).sizes(), (Dims{2, 0}));
  EXPECT_EQ(x.gather(1, zeros({0}, dtype(kInt64))).sizes(), (Dims{0}));  // no shape check when empty
}

// PyTorch 1.13's messages (x = torch.arange(10.).view(2, 5)).
TEST(Gather, BadArgumentsAreClearErrors) {
  const Tensor x = arange(0, 10, 1, dtype(kFloat32)).view({2, 5});
  EXPECT_EMBER_ERROR(x.gather(1, longs({7}, {1, 1})), "index 7 is out of bounds for dimension 1 with size 5");
  EXPECT_EMBER_ERROR(x.gather(1, longs({-1}, {1, 1})), "index -1 is out of bounds for dimension 1 with size 5");
  EXPECT_EMBER_ERROR(x.gather(1, zeros({1, 1})), "gather(): Expected dtype int64 for index");
  EXPECT_EMBER_ERROR(x.gather(1, longs({1}, {1})), "Index tensor must have the same number of dimensions as input tensor");
  EXPECT_EMBER_ERROR(x.gather(1, longs({1, 1, 1}, {3, 1})),
                     "Size does not match at dimension 0 expected index [3, 1] to be smaller than self [2, 5] apart "
                     "from dimension 1");
  EXPECT_EMBER_ERROR(x.gather(2, longs({1}, {1, 1})), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EMBER_ERROR(scalar_tensor(3.0).gather(0, longs({1}, {})), "index 1 is out of bounds for dimension 0 with size 1");
}

TEST(Gather, GradientAddsBackAtTheIndicesIncludingRepeats) {
  for (int64_t dim = 0; dim < 3; ++dim) {
    const Tensor index = longs({1, 0, 1, 1, 0, 0, 1, 1}, {2, 2, 2});
    expect_gradcheck([dim, index](const std::vector<Tensor>& in) { return in[0].gather(dim, index); },
                     {grad_input({2, 3, 2})});
    EXPECT_TRUE(autograd::gradgradcheck([dim, index](const std::vector<Tensor>& in) { return in[0].gather(dim, index); },
                                        {grad_input({2, 3, 2})}));
  }
  const Tensor x = ember::testing::leaf({1, 2, 3}, {3});
  Tensor y = x.gather(0, longs({2, 0, 2}, {3}));
  EXPECT_EQ(y.grad_fn()->name(), "GatherBackward");
  (y * doubles({10, 20, 30}, {3})).sum().backward();
  expect_values(x.grad(), {20, 0, 40}, 0.0);  // index 2 twice: 10 + 30
}

// PyTorch 1.13:
//   s = torch.zeros(3, 5, dtype=torch.float64); src = torch.arange(1., 7., dtype=torch.float64).view(3, 2)
//   i = torch.tensor([[4, 0], [1, 1], [2, 3]])
//   s.scatter(1, i, src)     -> [2,0,0,0,1, 0,4,0,0,0, 0,0,5,6,0]   (row 1: index 1 twice, see below)
//   s.scatter_add(1, i, src) -> [2,0,0,0,1, 0,7,0,0,0, 0,0,5,6,0]
//   s.scatter(1, i, 2.5)     -> [2.5,0,0,0,2.5, 0,2.5,0,0,0, 0,0,2.5,2.5,0]
TEST(Scatter, MatchesPyTorchWithValuesAndRepeatedIndices) {
  const Tensor s = zeros({3, 5}, dtype(kFloat64));
  const Tensor src = arange(1, 7, 1, dtype(kFloat64)).view({3, 2});
  const Tensor i = longs({4, 0, 1, 1, 2, 3}, {3, 2});
  // The repeated index 1 of row 1: PyTorch leaves which write wins unspecified; ember's
  // CPU walks each line in order, so the last (4) wins.
  expect_values(s.scatter(1, i, src), {2, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 5, 6, 0}, 0.0);
  expect_values(scatter_add(s, 1, i, src), {2, 0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0, 5, 6, 0}, 0.0);
  expect_values(s.scatter(1, i, 2.5), {2.5, 0, 0, 0, 2.5, 0, 2.5, 0, 0, 0, 0, 0, 2.5, 2.5, 0}, 0.0);
  expect_values(s, std::vector<double>(15, 0.0), 0.0);  // out of place: s untouched
  // src larger than index (only its leading part is read), along dim 0, int64 sums; PyTorch 1.13:
  //   torch.zeros(2, 3, dtype=torch.long).scatter_add(0, torch.tensor([[1, 1, 0], [1, 0, 0]]),
  //                                                   torch.arange(9).view(3, 3)) -> [[0, 4, 7], [3, 1, 0]]
  const Tensor big = arange(0, 9, 1, dtype(kInt64)).view({3, 3});
  const Tensor sum = zeros({2, 3}, dtype(kInt64)).scatter_add(0, longs({1, 1, 0, 1, 0, 0}, {2, 3}), big);
  EXPECT_TRUE(equal(sum, longs({0, 4, 7, 3, 1, 0}, {2, 3})));
}

TEST(Scatter, InPlaceBumpsTheVersionAndWritesThroughViews) {
  Tensor s = zeros({3, 4}, dtype(kFloat64));
  const uint32_t v0 = s.version();
  s.scatter_(1, longs({3, 0, 1}, {3, 1}), doubles({1, 2, 3}, {3, 1}));
  EXPECT_GT(s.version(), v0);
  expect_values(s, {0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 0, 0}, 0.0);
  s.scatter_add_(1, longs({3, 3, 0}, {3, 1}), doubles({1, 1, 1}, {3, 1}));
  expect_values(s, {0, 0, 0, 2, 2, 0, 0, 1, 1, 3, 0, 0}, 0.0);
  Tensor column = s.t();  // [4, 3], a transposed view: writes land in s
  column.scatter_(0, longs({0, 0, 0}, {1, 3}), -1.0);
  expect_values(s, {-1, 0, 0, 2, -1, 0, 0, 1, -1, 3, 0, 0}, 0.0);
  // bf16 sums round to bf16 at each step, as index_add's (Note [BFloat16])
  Tensor b = zeros({2}, dtype(kBFloat16));
  b.scatter_add_(0, longs({0, 0, 0, 1}, {4}), doubles({256, 1, 1, 3}, {4}).to(kBFloat16));
  expect_values(b, {256, 3}, 0.0);
  // 0-dim self and index (PyTorch: torch.tensor([3., 4.]).scatter(0, torch.tensor(1), torch.tensor(7.)) -> [3, 7])
  expect_values(doubles({3, 4}, {2}).scatter(0, longs({1}, {}), doubles({7}, {})), {3, 7}, 0.0);
  Tensor z = scalar_tensor(1.0, dtype(kFloat64));
  z.scatter_(0, longs({0}, {}), 5.0);
  EXPECT_EQ(z.item<double>(), 5.0);
}

TEST(Scatter, BadArgumentsAreClearErrors) {
  const Tensor x = arange(0, 10, 1, dtype(kFloat32)).view({2, 5});
  const Tensor one = ones({1, 1});
  EXPECT_EMBER_ERROR(x.scatter(1, longs({7}, {1, 1}), one), "index 7 is out of bounds for dimension 1 with size 5");
  EXPECT_EMBER_ERROR(x.scatter_add(1, longs({7}, {1, 1}), one), "index 7 is out of bounds for dimension 1 with size 5");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({-1}, {1, 1}), 1.0), "index -1 is out of bounds for dimension 1 with size 5");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({1, 2}, {1, 2}), one),
                     "Expected index [1, 2] to be smaller than self [2, 5] apart from dimension 1 and to be smaller "
                     "size than src [1, 1]");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({1, 1, 1}, {3, 1}), 1.0),
                     "Expected index [3, 1] to be smaller than self [2, 5] apart from dimension 1");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({1}, {1, 1}), ones({1, 1}, dtype(kFloat64))),
                     "scatter(): Expected self.dtype to be equal to src.dtype");
  EXPECT_EMBER_ERROR(x.scatter_add(1, longs({1}, {1, 1}), ones({1, 1}, dtype(kFloat64))),
                     "scatter(): Expected self.dtype to be equal to src.dtype");  // PyTorch 1.13 says scatter()
  EXPECT_EMBER_ERROR(x.scatter(1, zeros({1, 1}), 1.0), "scatter(): Expected dtype int64 for index");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({1}, {1}), one), "Index tensor must have the same number of dimensions as self tensor");
  EXPECT_EMBER_ERROR(x.scatter(1, longs({1}, {1, 1}), ones({1})),
                     "Index tensor must have the same number of dimensions as src tensor");
  EXPECT_EMBER_ERROR(zeros({2}, dtype(kUInt8)).scatter_add(0, longs({0}, {1}), ones({1}, dtype(kUInt8))),
                     "\"scatter_add\" not implemented for 'Byte'");
  // a bad index leaves an in-place target untouched (checked before any write)
  Tensor y = zeros({2, 5});
  EXPECT_EMBER_ERROR(y.scatter_(1, longs({0, 9}, {1, 2}), ones({1, 2})), "index 9 is out of bounds");
  expect_values(y, std::vector<double>(10, 0.0), 0.0);
}

// PyTorch's gradients: scatter: self's is g where nothing was written, src's gather(g);
// scatter_add: self's is g, src's gather(g).
TEST(Scatter, GradientsByGradcheckAndByValue) {
  const Tensor index = longs({2, 0, 1, 0, 1, 2}, {2, 3});  // no repeats within a line along dim 1
  for (int64_t dim = 0; dim < 2; ++dim) {
    const Tensor idx = dim == 1 ? index : longs({1, 0, 1, 0, 1, 0, 0, 1, 0}, {3, 3}).narrow(0, 0, 2);
    expect_gradcheck([dim, idx](const std::vector<Tensor>& in) { return in[0].scatter(dim, idx, in[1]); },
                     {grad_input({3, 3}), grad_input({2, 3})});
    expect_gradcheck([dim, idx](const std::vector<Tensor>& in) { return in[0].scatter_add(dim, idx, in[1]); },
                     {grad_input({3, 3}), grad_input({2, 3})});
    expect_gradcheck([dim, idx](const std::vector<Tensor>& in) { return in[0].scatter(dim, idx, 0.5); },
                     {grad_input({3, 3})});
    EXPECT_TRUE(autograd::gradgradcheck(
        [dim, idx](const std::vector<Tensor>& in) { return in[0].scatter(dim, idx, in[1]) * in[0]; },
        {grad_input({3, 3}), grad_input({2, 3})}));
  }
  // in-place forms, through a non-leaf
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 1.0;
        y.scatter_(1, index, in[1]);
        y.scatter_add_(1, index, in[1] * 2.0);
        return y;
      },
      {grad_input({3, 3}), grad_input({2, 3})});
  // repeated index in scatter_add: every src element gets its gradient
  const Tensor a = ember::testing::leaf({0, 0}, {2});
  const Tensor src = ember::testing::leaf({1, 2, 3}, {3});
  Tensor y = a.scatter_add(0, longs({1, 1, 0}, {3}), src);
  EXPECT_EQ(y.grad_fn()->name(), "ScatterAddBackward");
  (y * doubles({10, 20}, {2})).sum().backward();
  expect_values(src.grad(), {20, 20, 10}, 0.0);
  expect_values(a.grad(), {10, 20}, 0.0);
  const Tensor b = ember::testing::leaf({1, 2, 3}, {3});
  Tensor z = b.scatter(0, longs({2}, {1}), 9.0);
  EXPECT_EQ(z.grad_fn()->name(), "ScatterBackward");
  z.sum().backward();
  expect_values(b.grad(), {1, 1, 0}, 0.0);
  // src larger than index: its unread elements get zeros (PyTorch 1.13 refuses this gradient)
  const Tensor wide = ember::testing::leaf({1, 2, 3, 4}, {2, 2});
  zeros({2, 2}, dtype(kFloat64)).scatter(1, longs({1}, {1, 1}), wide).sum().backward();
  expect_values(wide.grad(), {1, 0, 0, 0}, 0.0);
}

// CUDA's threads: element i reads offsets(i) and writes self_offset(); run here for every
// element of a strided layout (self transposed, index sliced) against the CPU kernel, and
// the CPU's lines cover every element exactly once.
TEST(Gather, TheCudaThreadsElementMathMatchesTheCpuKernel) {
  const Tensor self = tensor(random_values(4 * 6 * 5, 4), {4, 6, 5}, dtype(kFloat64)).transpose(0, 2);  // [5, 6, 4]
  const double* self_data = self.data_ptr<double>();
  std::mt19937 gen(11);
  for (int dim = 0; dim < 3; ++dim) {
    std::uniform_int_distribution<int64_t> pick(0, self.size(dim) - 1);
    std::vector<int64_t> values(3 * 8 * 2);
    for (int64_t& v : values) v = pick(gen);
    const Tensor index = longs(values, {3, 8, 2}).slice(1, 0, 8, 2);  // [3, 4, 2], strided
    GatherLayout l;  // as core/ops/scatter_gather.cpp lays it out
    l.ndim = 3;
    l.dim = dim;
    l.numel = index.numel();
    l.self_size = self.size(dim);
    l.self_stride = self.stride(dim);
    const Tensor out = make_empty(index.sizes(), kFloat64, Device::cpu());
    for (int64_t d = 0; d < 3; ++d) {
      const auto k = static_cast<size_t>(d);
      l.sizes[k] = index.size(d);
      l.index_strides[k] = index.stride(d);
      l.other_strides[k] = out.stride(d);
      l.self_strides[k] = d == dim ? 0 : self.stride(d);
    }
    std::vector<double> threads(static_cast<size_t>(l.numel));
    const int64_t* idx = index.data_ptr<int64_t>();
    for (int64_t i = 0; i < l.numel; ++i) {
      const GatherLayout::Offsets o = l.offsets(i);
      ASSERT_TRUE(l.in_range(idx[o.index]));
      threads[static_cast<size_t>(o.other)] = self_data[l.self_offset(o, idx[o.index])];
    }
    expect_values(self.gather(dim, index), threads, 0.0);
    std::vector<int> seen(static_cast<size_t>(l.numel), 0);  // the CPU's lines: each element once
    for (int64_t line = 0; line < l.line_count(); ++line)
      for (int64_t j = 0; j < l.line_length(); ++j) ++seen[static_cast<size_t>(l.line_element(line, j))];
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), l.numel) << "dim " << dim;
  }
}

}  // namespace
}  // namespace ember
