// The matrix-shaped ops against PyTorch 1.13's values: tril/triu (and in place), the
// diagonal view, diag, diag_embed, trace, outer, the scaled products (addmm, addmv,
// baddbmm, addbmm, and mv, addr and chain_matmul) and einsum; float64 gradchecks, non-contiguous inputs, empty tensors,
// dtypes and PyTorch's error phrases.
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/cpu/gemm.h"
#include "core/cpu/kernels.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

Tensor f64(const std::vector<double>& values, const Dims& shape) { return tensor(values, shape, dtype(kFloat64)); }
Tensor arange_f64(int64_t n, const Dims& shape) { return arange(0, n, 1, dtype(kFloat64)).reshape(shape); }

// The names of every node in y's graph.
std::set<std::string> graph_names(const Tensor& y) {
  std::set<std::string> names;
  std::vector<std::shared_ptr<autograd::Node>> todo{y.grad_fn()};
  while (!todo.empty()) {
    auto node = todo.back();
    todo.pop_back();
    if (!node || !names.insert(node->name()).second) continue;
    for (const auto& e : node->next_edges()) todo.push_back(e.fn);
  }
  return names;
}

// ---------------------------------------------------------------- tril / triu

TEST(Triangle, MatchesPyTorchOnBatches) {
  const Tensor x = arange_f64(24, {2, 3, 4});
  expect_values(tril(x), {0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0, 12, 0, 0, 0, 16, 17, 0, 0, 20, 21, 22, 0}, 0);
  expect_values(tril(x, -1), {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 20, 21, 0, 0}, 0);
  expect_values(triu(x, 1), {0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11, 0, 13, 14, 15, 0, 0, 18, 19, 0, 0, 0, 23}, 0);
  expect_values(x.triu(-2), x.to_vector<double>(), 0);
  expect_values(x.tril(3), x.to_vector<double>(), 0);
  EXPECT_EQ(tril(x).sizes(), x.sizes());
}

TEST(Triangle, NonContiguousInputs) {
  const Tensor xt = arange_f64(24, {2, 3, 4}).transpose(1, 2);  // [2, 4, 3]
  ASSERT_FALSE(xt.is_contiguous());
  expect_values(tril(xt), {0, 0, 0, 1, 5, 0, 2, 6, 10, 3, 7, 11, 12, 0, 0, 13, 17, 0, 14, 18, 22, 15, 19, 23}, 0);
  expect_values(triu(xt, 1), {0, 4, 8, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 16, 20, 0, 0, 21, 0, 0, 0, 0, 0, 0}, 0);
  // a broadcast (stride-0) input
  const Tensor row = arange_f64(3, {1, 3}).expand({3, 3});
  expect_values(tril(row), {0, 0, 0, 0, 1, 0, 0, 1, 2}, 0);
}

TEST(Triangle, EveryDtypeAndEmptyTensors) {
  const Tensor b = ones({3, 3}, dtype(kBool));
  const Tensor tb = tril(b, -1);
  EXPECT_EQ(tb.dtype(), kBool);
  expect_values(tb.to(kFloat64), {0, 0, 0, 1, 0, 0, 1, 1, 0}, 0);
  const Tensor i = arange(1, 10, 1, dtype(kInt64)).reshape({3, 3});
  EXPECT_EQ(triu(i).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  const Tensor u8 = full({2, 2}, 7, dtype(kUInt8));
  EXPECT_EQ(tril(u8).to_vector<uint8_t>(), (std::vector<uint8_t>{7, 0, 7, 7}));
  const Tensor f32 = arange(0, 4, 1, dtype(kFloat32)).reshape({2, 2});
  expect_values(triu(f32), {0, 1, 0, 3}, 0);
  const Tensor bf = arange(1, 5, 1, dtype(kFloat32)).reshape({2, 2}).to(kBFloat16);
  expect_values(tril(bf).to(kFloat64), {1, 0, 3, 4}, 0);
  EXPECT_EQ(tril(zeros({0, 3, 3})).sizes(), (Dims{0, 3, 3}));
  EXPECT_EQ(triu(zeros({2, 0, 3})).sizes(), (Dims{2, 0, 3}));
}

TEST(Triangle, InPlaceWritesSelfAndBumpsTheVersion) {
  Tensor x = arange_f64(9, {3, 3});
  const uint32_t v0 = x.version();
  Tensor& r = x.tril_();
  EXPECT_TRUE(r.is_same(x));
  EXPECT_EQ(x.version(), v0 + 1);
  expect_values(x, {0, 0, 0, 3, 4, 0, 6, 7, 8}, 0);
  // through a transposed view: the base's upper triangle is zeroed
  Tensor base = arange_f64(9, {3, 3});
  base.t().tril_();
  expect_values(base, {0, 1, 2, 0, 4, 5, 0, 0, 8}, 0);
  Tensor y = arange_f64(6, {2, 3});
  y.triu_(1);
  expect_values(y, {0, 1, 2, 0, 0, 5}, 0);
}

TEST(Triangle, Gradients) {
  const Tensor x = grad_input({2, 3, 4});
  for (int64_t k : {-2, -1, 0, 1, 3}) {
    SCOPED_TRACE(k);
    expect_gradcheck([k](const std::vector<Tensor>& in) { return tril(in[0], k); }, {x});
    expect_gradcheck([k](const std::vector<Tensor>& in) { return triu(in[0].transpose(1, 2), k); }, {x});
  }
  // in place on a non-leaf: the same mask on the gradient
  expect_gradcheck([](const std::vector<Tensor>& in) { return (in[0] * 2.0).tril_(-1); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return (in[0] * 1.0).triu_(); }, {x});
  Tensor leafx = ones({3, 3}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = leafx * 1.0;
  y.triu_(1);
  EXPECT_EQ(y.grad_fn_name(), "TriuBackward");
  y.sum().backward();
  expect_values(leafx.grad(), {0, 1, 1, 0, 0, 1, 0, 0, 0}, 0);
}

TEST(Triangle, Errors) {
  EXPECT_EMBER_ERROR(tril(ones({3})), "tril: input tensor must have at least 2 dimensions");
  EXPECT_EMBER_ERROR(triu(zeros({})), "triu: input tensor must have at least 2 dimensions");
  Tensor v = ones({3});
  EXPECT_EMBER_ERROR(v.tril_(), "tril_: input tensor must have at least 2 dimensions");
  Tensor leafx = ones({2, 2}, TensorOptions(kFloat64).requires_grad(true));
  EXPECT_EMBER_ERROR(leafx.tril_(), "a leaf Variable that requires grad is being used in an in-place operation");
  Tensor expanded = ones({1, 3}).expand({3, 3});
  EXPECT_ANY_THROW(expanded.tril_());  // overlapping memory may not be written
}

// CUDA's threads (cuda/triangle.cu): thread i moves element i by TriangleLayout's
// element_offset / row_of / col_of. Run here for every i, strided 4-D and broadcast inputs
// into a strided output, both triangles and several diagonals, against the CPU kernel
// (which walks whole rows instead); every output element written exactly once.
TEST(Triangle, TheCudaThreadsElementMathMatchesTheCpuKernel) {
  const Tensor inputs[] = {arange_f64(2 * 3 * 5 * 4, {2, 3, 5, 4}).permute({1, 0, 3, 2}),  // [3, 2, 4, 5]
                           arange_f64(5, {1, 1, 5}).expand({3, 2, 4, 5})};               // stride 0
  for (const Tensor& in : inputs) {
    for (const bool upper : {false, true}) {
      for (const int64_t diagonal : {-7, -2, 0, 1, 6}) {
        SCOPED_TRACE((upper ? "triu " : "tril ") + std::to_string(diagonal));
        const TriangleMask mask{diagonal, upper};
        const Tensor expected = make_empty(in.sizes(), kFloat64, Device::cpu());
        cpu::triangle(in, mask, expected);
        Tensor out = make_empty({5, 4, 2, 3}, kFloat64, Device::cpu()).permute({3, 2, 1, 0});  // [3, 2, 4, 5]
        out.fill_(std::numeric_limits<double>::quiet_NaN());
        const TriangleLayout l = make_triangle_layout(out, in);
        ASSERT_EQ(l.numel, 120);
        const double* src = in.data_ptr<double>();
        double* dst = out.data_ptr<double>();
        for (int64_t i = 0; i < l.numel; ++i)
          dst[l.element_offset(i, 0)] = mask.keeps(l.row_of(i), l.col_of(i)) ? src[l.element_offset(i, 1)] : 0.0;
        expect_values(out, expected.to_vector<double>(), 0);
      }
    }
  }
}

// ---------------------------------------------------------------- diagonal, diag, diag_embed

TEST(Diagonal, IsAStridedViewWithPyTorchsValues) {
  const Tensor x = arange_f64(24, {2, 3, 4});
  const Tensor d = diagonal(x);
  EXPECT_EQ(d.sizes(), (Dims{4, 2}));
  expect_values(d, {0, 16, 1, 17, 2, 18, 3, 19}, 0);
  EXPECT_TRUE(d.is_alias_of(x));
  const Tensor d1 = x.diagonal(1, 1, 2);
  EXPECT_EQ(d1.sizes(), (Dims{2, 3}));
  expect_values(d1, {1, 6, 11, 13, 18, 23}, 0);
  expect_values(x.diagonal(-1, -1, -2), {1, 6, 11, 13, 18, 23}, 0);
  expect_values(x.diagonal(2, 2, 1), {8, 20}, 0);
  EXPECT_EQ(x.diagonal(5, 1, 2).sizes(), (Dims{2, 0}));
  EXPECT_EQ(x.diagonal(-7, 1, 2).sizes(), (Dims{2, 0}));
  // of a non-contiguous tensor
  expect_values(x.transpose(1, 2).diagonal(0, 1, 2), {0, 5, 10, 12, 17, 22}, 0);
}

TEST(Diagonal, WritesThroughTheViewReachTheBase) {
  Tensor x = arange_f64(9, {3, 3});
  Tensor d = x.diagonal();
  const uint32_t v0 = x.version();
  d.fill_(-1);
  EXPECT_EQ(x.version(), v0 + 1);
  expect_values(x, {-1, 1, 2, 3, -1, 5, 6, 7, -1}, 0);
  x.diagonal(1).copy_(f64({10, 20}, {2}));
  expect_values(x, {-1, 10, 2, 3, -1, 20, 6, 7, -1}, 0);
  // autograd through an in-place op on the view: the base's gradient sees it
  Tensor leafx = ones({3, 3}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = leafx * 1.0;
  y.diagonal().mul_(3.0);
  y.sum().backward();
  expect_values(leafx.grad(), {3, 1, 1, 1, 3, 1, 1, 1, 3}, 0);
}

TEST(Diagonal, Gradients) {
  const Tensor x = grad_input({2, 3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return diagonal(in[0]); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].diagonal(1, 1, 2); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].diagonal(-1, 2, 1); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].transpose(0, 2).diagonal(0, -1, -2); }, {x});
  // of an expanded (stride-0) input: the gradient sums over the copies
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].expand({2, 2, 3, 4}).diagonal(-1, 2, 3); }, {x});
  EXPECT_TRUE(autograd::gradgradcheck([](const std::vector<Tensor>& in) { return diagonal(in[0]).pow(2.0); }, {x}));
  Tensor leafx = ones({2, 3}, TensorOptions(kFloat64).requires_grad(true));
  EXPECT_EQ(diagonal(leafx).grad_fn_name(), "DiagonalBackward");
  diagonal(leafx, 1).sum().backward();
  expect_values(leafx.grad(), {0, 1, 0, 0, 0, 1}, 0);
}

TEST(Diag, VectorsAndMatrices) {
  const Tensor v = f64({1, 2, 3}, {3});
  const Tensor up = diag(v, 1);
  EXPECT_EQ(up.sizes(), (Dims{4, 4}));
  expect_values(up, {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0}, 0);
  expect_values(v.diag(-1), {0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0}, 0);
  const Tensor m = arange_f64(12, {3, 4});
  const Tensor d = diag(m, 1);
  expect_values(d, {1, 6, 11}, 0);
  EXPECT_FALSE(d.is_alias_of(m));  // 2-D -> 1-D is a copy, as PyTorch's
  expect_values(m.diag(-1), {4, 9}, 0);
  expect_values(m.t().diag(), {0, 5, 10}, 0);
  EXPECT_EQ(diag(zeros({0})).sizes(), (Dims{0, 0}));
  EXPECT_EMBER_ERROR(diag(zeros({2, 2, 2})), "matrix or a vector expected");
  EXPECT_EMBER_ERROR(diag(zeros({})), "matrix or a vector expected");
  expect_gradcheck([](const std::vector<Tensor>& in) { return diag(in[0], -2); }, {grad_input({3})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return diag(in[0], 1); }, {grad_input({3, 4})});
}

TEST(DiagEmbed, MatchesPyTorch) {
  const Tensor y = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor e = diag_embed(y, 1);
  EXPECT_EQ(e.sizes(), (Dims{2, 4, 4}));
  expect_values(e, {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0, 6, 0, 0, 0, 0}, 0);
  const Tensor e2 = y.diag_embed(-1, 0, 2);
  EXPECT_EQ(e2.sizes(), (Dims{4, 2, 4}));
  expect_values(e2, {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 3, 0, 0, 0, 6, 0}, 0);
  // diagonal with the same arguments undoes it
  expect_values(diagonal(e2, -1, 0, 2), y.to_vector<double>(), 0);
  EXPECT_EMBER_ERROR(diag_embed(ones({3}), 0, 0, 0), "diagonal dimensions cannot be identical 0, 0");
  expect_gradcheck([](const std::vector<Tensor>& in) { return diag_embed(in[0], 1); }, {grad_input({2, 3})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return diag_embed(in[0].t(), -2, 2, 0); }, {grad_input({3, 2})});
}

TEST(Diagonal, Errors) {
  const Tensor x = ones({2, 3, 4});
  EXPECT_EMBER_ERROR(diagonal(x, 0, 1, 1), "diagonal dimensions cannot be identical 1, 1");
  EXPECT_EMBER_ERROR(diagonal(x, 0, 1, 5), "Dimension out of range");
  EXPECT_EMBER_ERROR(diagonal(ones({3})), "Dimension out of range");
}

// ---------------------------------------------------------------- trace, outer

TEST(Trace, SumsTheDiagonal) {
  const Tensor m = arange_f64(12, {3, 4});
  EXPECT_DOUBLE_EQ(trace(m).item<double>(), 15.0);
  EXPECT_DOUBLE_EQ(m.t().trace().item<double>(), 15.0);
  const Tensor i = arange(0, 6, 1, dtype(kInt64)).reshape({2, 3});
  EXPECT_EQ(trace(i).dtype(), kInt64);
  EXPECT_EQ(trace(i).item<int64_t>(), 4);
  EXPECT_DOUBLE_EQ(trace(zeros({0, 3})).item<float>(), 0.0);
  EXPECT_EMBER_ERROR(trace(ones({2, 2, 2})), "trace: expected a matrix, but got tensor with dim 3");
  EXPECT_EMBER_ERROR(trace(ones({2})), "trace: expected a matrix, but got tensor with dim 1");
  EXPECT_EMBER_ERROR(trace(ones({2, 2}, dtype(kBool))), "\"trace\" not implemented for 'Bool'");
  expect_gradcheck([](const std::vector<Tensor>& in) { return trace(in[0]); }, {grad_input({3, 4})});
}

TEST(Outer, ProductsOfVectors) {
  const Tensor v = f64({1, 2, 3}, {3});
  const Tensor o = outer(v, f64({1, -1}, {2}));
  EXPECT_EQ(o.sizes(), (Dims{3, 2}));
  expect_values(o, {1, -1, 2, -2, 3, -3}, 0);
  const Tensor promoted = arange(0, 2, 1, dtype(kInt64)).outer(tensor(std::vector<float>{0.5f, 2.0f}, {2}));
  EXPECT_EQ(promoted.dtype(), kFloat32);
  expect_values(promoted, {0, 0, 0.5, 2}, 0);
  EXPECT_EMBER_ERROR(outer(ones({2, 2}), ones({3})), "outer: Expected 1-D argument self, but got 2-D");
  EXPECT_EMBER_ERROR(outer(ones({2}), ones({3, 1})), "outer: Expected 1-D argument vec2, but got 2-D");
  expect_gradcheck([](const std::vector<Tensor>& in) { return outer(in[0], in[1]); },
                   {grad_input({3}), grad_input({4})});
}

// ---------------------------------------------------------------- addmm family

// Fixed operands (functions: no tensor is made before main).
Tensor kA() { return f64({1, 2, 3, 4, 5, 6}, {2, 3}); }
Tensor kB() { return f64({1, 0, -1, 2, 0.5, 1, 0, -2, 3, -1, 1, 0}, {3, 4}); }
Tensor kInput() { return f64({10, 20, 30, 40}, {4}); }

TEST(Addmm, ScalesAndBroadcastsTheInput) {
  expect_values(addmm(kInput(), kA(), kB(), 0.5, 2), {27, 8, 19, 16, 54, 8, 19, 16}, 1e-12);
  expect_values(addmm(f64({1}, {}), kA(), kB()), {12, 0, 3, -1, 25.5, 0, 3, -1}, 1e-12);
  // transposed (column-major) operands and a transposed [2, 4] input
  const Tensor a_t = kA().t().contiguous().t(), b_t = kB().t().contiguous().t();
  const Tensor input_t = kInput().expand({2, 4}).t().contiguous().t();
  expect_values(input_t.addmm(a_t, b_t, 0.5, 2), {27, 8, 19, 16, 54, 8, 19, 16}, 1e-12);
  // float32
  expect_values(addmm(kInput().to(kFloat32), kA().to(kFloat32), kB().to(kFloat32), 0.5, 2), {27, 8, 19, 16, 54, 8, 19, 16},
                1e-5);
}

TEST(Addmm, BetaZeroIgnoresNaNAndInf) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tensor bad = f64({nan, inf, -inf, nan}, {4});
  const Tensor plain = matmul(kA(), kB());
  expect_values(addmm(bad, kA(), kB(), 0), plain.to_vector<double>(), 1e-12);
  expect_values(addmm(bad, kA(), kB(), 0, 3), (plain * 3.0).to_vector<double>(), 1e-12);
  expect_values(addmv(f64({nan, nan}, {2}), kA(), f64({1, -2, 0.5}, {3}), 0), {-1.5, -3}, 1e-12);
  expect_values(baddbmm(bad, kA().unsqueeze(0), kB().unsqueeze(0), 0), plain.to_vector<double>(), 1e-12);
  expect_values(addbmm(bad, kA().unsqueeze(0), kB().unsqueeze(0), 0), plain.to_vector<double>(), 1e-12);
  // beta != 0 keeps NaN, as PyTorch
  EXPECT_TRUE(std::isnan(addmm(bad, kA(), kB(), 1).to_vector<double>()[0]));
}

TEST(Addmm, EmptyProductsGiveBetaTimesInput) {
  const Tensor out = addmm(f64({1, 2, 3}, {3}), zeros({2, 0}, dtype(kFloat64)), zeros({0, 3}, dtype(kFloat64)), 2);
  expect_values(out, {2, 4, 6, 2, 4, 6}, 0);
  EXPECT_EQ(addmm(zeros({0, 3}, dtype(kFloat64)), zeros({0, 2}, dtype(kFloat64)), zeros({2, 3}, dtype(kFloat64))).sizes(),
            (Dims{0, 3}));
}

TEST(Addmv, MatchesPyTorch) {
  const Tensor v = f64({1, -2, 0.5}, {3});
  expect_values(addmv(f64({1, -1}, {2}), kA(), v, 2, -1), {3.5, 1}, 1e-12);
  expect_values(f64({1}, {1}).addmv(kA().t().contiguous().t(), v), {-0.5, -2}, 1e-12);
  expect_gradcheck([](const std::vector<Tensor>& in) { return addmv(in[0], in[1], in[2], 0.5, -2); },
                   {grad_input({2}), grad_input({2, 3}), grad_input({3})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return addmv(in[0], in[1].t(), in[2]); },
                   {grad_input({}), grad_input({3, 2}), grad_input({3})});
}

TEST(Mv, IsAddmvWithoutAnInput) {
  const Tensor v = f64({1, -2, 0.5}, {3});
  expect_values(mv(kA(), v), {-1.5, -3}, 1e-12);
  expect_values(kA().t().contiguous().t().mv(v), {-1.5, -3}, 1e-12);
  EXPECT_EQ(mv(kA().requires_grad_(true), v).grad_fn_name(), "MvBackward");
  expect_gradcheck([](const std::vector<Tensor>& in) { return mv(in[0], in[1]); },
                   {grad_input({2, 3}), grad_input({3})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].t().mv(in[1]); },
                   {grad_input({3, 2}), grad_input({3})});
  // empty: no rows, or no columns (a sum of nothing: zeros, whatever the uninitialised result
  // held; NaN freed just before, so the allocator's cache likely hands that block back)
  EXPECT_EQ(mv(zeros({0, 3}, dtype(kFloat64)), v).sizes(), (Dims{0}));
  { const Tensor garbage = full({2}, std::numeric_limits<double>::quiet_NaN(), dtype(kFloat64)); }
  expect_values(mv(zeros({2, 0}, dtype(kFloat64)), zeros({0}, dtype(kFloat64))), {0, 0}, 0);
  EXPECT_EMBER_ERROR(mv(kA(), kA()), "vector + matrix @ vector expected, got 1, 2, 2");
  EXPECT_EMBER_ERROR(mv(v, v), "vector + matrix @ vector expected, got 1, 1, 1");
  EXPECT_EMBER_ERROR(mv(kA(), f64({1, 2}, {2})), "size mismatch, got input (2), mat (2x3), vec (2)");
  EXPECT_EMBER_ERROR(mv(kA(), v.to(kFloat32)), "expected scalar type Double but found Float");
}

TEST(Addr, MatchesPyTorch) {
  const Tensor v1 = f64({1, -2}, {2}), v2 = f64({1, -2, 0.5}, {3});
  const std::vector<double> expected{7, 6, 16, 1, 18, 13};  // PyTorch 1.13
  expect_values(addr(f64({10, 20, 30}, {3}), v1, v2, 0.5, 2), expected, 1e-12);
  Tensor self = f64({10, 20, 30, 10, 20, 30}, {2, 3});
  self.addr_(v1, v2, 0.5, 2);
  expect_values(self, expected, 1e-12);
  // beta = 0 ignores the input, NaN and inf included; its gradient is zeros then
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  expect_values(addr(f64({nan, inf, -inf}, {3}), v1, v2, 0, 3), (outer(v1, v2) * 3.0).to_vector<double>(), 1e-12);
  Tensor input = ones({2, 1}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor y = addr(input, v1, v2, 0);
  EXPECT_EQ(y.grad_fn_name(), "AddrBackward");
  y.sum().backward();
  expect_values(input.grad(), {0, 0}, 0);
  expect_gradcheck([](const std::vector<Tensor>& in) { return addr(in[0], in[1], in[2], 0.5, -2); },
                   {grad_input({2, 1}), grad_input({2}), grad_input({3})});
  EXPECT_TRUE(autograd::gradgradcheck([](const std::vector<Tensor>& in) { return in[0].addr(in[1], in[2], 2, 0.5); },
                                      {grad_input({3}), grad_input({2}), grad_input({3})}));
  // recorded in place: the gradients of the out-of-place form
  const Tensor leaf = f64({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_(true), w1 = v1.clone().requires_grad_(true);
  Tensor z = leaf * 1.0;
  z.addr_(w1, v2, 0.5, 2);
  EXPECT_EQ(z.grad_fn_name(), "AddrBackward");
  (z * kA()).sum().backward();
  expect_values(leaf.grad(), (kA() * 0.5).to_vector<double>(), 1e-12);
  expect_values(w1.grad(), mv(kA(), v2 * 2.0).to_vector<double>(), 1e-12);
  // promotion, as PyTorch's: float32 input and float64 vectors give float64
  EXPECT_EQ(addr(zeros({3}), v1, v2).dtype(), kFloat64);
  // integers, composed (PyTorch 1.13's values)
  const Tensor i1 = tensor(std::vector<int64_t>{1, -2}), i2 = tensor(std::vector<int64_t>{3, 0, 5});
  const Tensor i_in = tensor(std::vector<int64_t>{1, 2, 3});
  const Tensor ints = addr(i_in, i1, i2, 2, 3);
  EXPECT_EQ(ints.dtype(), kInt64);
  expect_values(ints, {11, 4, 21, -16, 4, -24}, 0);
  expect_values(addr(i_in, i1, i2, 0), {3, 0, 5, -6, 0, -10}, 0);
  EXPECT_EMBER_ERROR(addr(i_in, i1, i2, 0.5), "For integral input tensors, argument beta must not be a floating point");
  EXPECT_EMBER_ERROR(addr(i_in, i1, i2, true), "Boolean beta only supported for Boolean results.");
  EXPECT_EMBER_ERROR(addr(f64({1}, {1}), v1, v2, 1, true), "Boolean alpha only supported for Boolean results.");
  // bool: (beta and input) or (alpha and vec1 and vec2), PyTorch 1.13's values
  const Tensor b1 = tensor({true, false}), b2 = tensor({true, false, true});
  const Tensor b_in = tensor({false, true, false});
  const Tensor bools = addr(b_in, b1, b2);
  EXPECT_EQ(bools.dtype(), kBool);
  expect_values(bools, {1, 1, 1, 0, 1, 0}, 0);
  expect_values(addr(b_in, b1, b2, false), {1, 0, 1, 0, 0, 0}, 0);
  expect_values(addr(b_in, b1, b2, true, false), {0, 1, 0, 0, 1, 0}, 0);
  expect_values(addr(b_in, b1, b2, 0, 2), {1, 0, 1, 0, 0, 0}, 0);
  EXPECT_EQ(addr(b_in, b1, i2).dtype(), kInt64);  // promoted
  EXPECT_EMBER_ERROR(addr(b_in, b1, b2, 0.5), "For integral input tensors, argument beta must not be a floating point");
  EXPECT_EMBER_ERROR(addr(i_in, i1, i2, 1, 0.5), "argument alpha must not be a floating point number");
  EXPECT_EMBER_ERROR(addr(f64({1}, {1}), kA(), v2), "addr: Expected 1-D argument vec1, but got 2-D");
  EXPECT_EMBER_ERROR(addr(f64({1}, {1}), v1, kA()), "addr: Expected 1-D argument vec2, but got 2-D");
  // the input must broadcast to [2, 3] whatever beta is (PyTorch checks at beta 0 too)
  EXPECT_EMBER_ERROR(addr(f64({1, 2}, {2}), v1, v2), "The expanded size of the tensor");
  EXPECT_EMBER_ERROR(addr(f64({1, 2}, {2}), v1, v2, 0), "The expanded size of the tensor");
  EXPECT_EMBER_ERROR(addr(tensor(std::vector<int64_t>{1, 2}), i1, i2, 0), "The expanded size of the tensor");
}

TEST(ChainMatmul, IsMultiDotOfMatrices) {
  const Tensor c = f64(testing::random_values(8, 3), {4, 2});
  expect_values(chain_matmul({kA(), kB(), c}), matmul(matmul(kA(), kB()), c).to_vector<double>(), 1e-12);
  Tensor a = kA();
  Tensor alone = chain_matmul({a});  // a copy
  alone.fill_(0.0);
  expect_values(a, {1, 2, 3, 4, 5, 6}, 0);
  const Tensor transposed_copy = chain_matmul({kA().t()});  // contiguous, as PyTorch's
  EXPECT_TRUE(transposed_copy.is_contiguous());
  expect_values(transposed_copy, {1, 4, 2, 5, 3, 6}, 0);
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return chain_matmul({in[0], in[1], in[2], in[3]});
      },
      {grad_input({2, 3}), grad_input({3, 4}), grad_input({4, 1}), grad_input({1, 3})});
  EXPECT_EMBER_ERROR(chain_matmul({}), "chain_matmul(): Expected one or more matrices");
  EXPECT_EMBER_ERROR(chain_matmul({kA(), f64({1, 2, 3}, {3})}), "Tensor dimension is 1, expected 2 instead");
  EXPECT_EMBER_ERROR(chain_matmul({kA(), kA()}), "cannot be multiplied");
}

Tensor kB1() { return arange_f64(12, {2, 2, 3}) / 4.0; }
Tensor kB2() { return arange_f64(24, {2, 3, 4}) / 8.0 - 1.0; }

TEST(Baddbmm, MatchesPyTorch) {
  expect_values(baddbmm(kInput(), kB1(), kB2(), -1, 3),
                {-10.375, -20.09375, -29.8125, -39.53125, -13.75, -22.625, -31.5, -40.375, 6.5, -1.53125, -9.5625,
                 -17.59375, 13.25, 6.0625, -1.125, -8.3125},
                1e-12);
  expect_values(kInput().baddbmm(kB1().transpose(1, 2).contiguous().transpose(1, 2), kB2(), -1, 3),
                baddbmm(kInput(), kB1(), kB2(), -1, 3).to_vector<double>(), 1e-12);
  expect_gradcheck([](const std::vector<Tensor>& in) { return baddbmm(in[0], in[1], in[2], 0.5, 2); },
                   {grad_input({2, 1, 4}), grad_input({2, 2, 3}), grad_input({2, 3, 4})});
}

TEST(Addbmm, SumsTheBatchProducts) {
  expect_values(addbmm(kInput(), kB1(), kB2(), 2, 0.5), {22.6875, 43.0625, 63.4375, 83.8125, 23.25, 43.90625, 64.5625, 85.21875},
                1e-12);
  expect_values(kInput().addbmm(kB1(), kB2().transpose(1, 2).contiguous().transpose(1, 2), 2, 0.5),
                addbmm(kInput(), kB1(), kB2(), 2, 0.5).to_vector<double>(), 1e-12);
  expect_gradcheck([](const std::vector<Tensor>& in) { return addbmm(in[0], in[1], in[2], -1, 2); },
                   {grad_input({2, 4}), grad_input({3, 2, 3}), grad_input({3, 3, 4})});
}

// The kernel under addmm: out = alpha a b + beta out through BLAS (when built with it),
// ember's fallback loop (every build), a strided out (a row-major temporary holding out's
// values) and bfloat16 (float32 compute); beta = 0 never reads out; k = 0 scales out.
TEST(ScaledGemm, EveryPathScalesAsBlas) {
  const Tensor a = f64(testing::random_values(24, 5), {2, 3, 4}), b = f64(testing::random_values(40, 6), {2, 4, 5});
  const Tensor c0 = f64(testing::random_values(30, 7), {2, 3, 5});
  const Tensor expected = bmm(a, b) * 1.5 + c0 * -0.5;
  using Gemm = void (*)(const Tensor&, const Tensor&, const Tensor&, const GemmScale&);
  for (Gemm gemm : {static_cast<Gemm>(cpu::gemm), static_cast<Gemm>(cpu::gemm_fallback)}) {
    Tensor out = c0.clone();
    gemm(a, b, out, GemmScale{1.5, -0.5});
    EXPECT_LT(testing::max_abs_diff(out, expected), 1e-12);
    Tensor strided = c0.transpose(1, 2).contiguous().transpose(1, 2);
    gemm(a.transpose(1, 2).contiguous().transpose(1, 2), b, strided, GemmScale{1.5, -0.5});
    EXPECT_LT(testing::max_abs_diff(strided, expected), 1e-12);
    Tensor garbage = full({2, 3, 5}, std::numeric_limits<double>::quiet_NaN(), dtype(kFloat64));
    gemm(a, b, garbage, GemmScale{2.0, 0.0});
    EXPECT_LT(testing::max_abs_diff(garbage, bmm(a, b) * 2.0), 1e-12);
    Tensor empty_sum = c0.clone();
    gemm(zeros({2, 3, 0}, dtype(kFloat64)), zeros({2, 0, 5}, dtype(kFloat64)), empty_sum, GemmScale{2.0, 3.0});
    EXPECT_LT(testing::max_abs_diff(empty_sum, c0 * 3.0), 1e-12);
  }
  Tensor out16 = c0.to(kBFloat16);
  cpu::gemm(a.to(kBFloat16), b.to(kBFloat16), out16, GemmScale{1.5, -0.5});
  EXPECT_LT(testing::max_abs_diff(out16.to(kFloat64), expected), 0.1);
}

TEST(Addmm, Gradients) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return addmm(in[0], in[1], in[2], 0.5, 2); },
                   {grad_input({4}), grad_input({2, 3}), grad_input({3, 4})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return addmm(in[0], in[1].t(), in[2]); },
                   {grad_input({2, 1}), grad_input({3, 2}), grad_input({3, 4})});
  EXPECT_TRUE(autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) { return addmm(in[0], in[1], in[2], 0.5, 2); },
      {grad_input({4}), grad_input({2, 3}), grad_input({3, 4})}));
  // beta = 0: the input's gradient is zeros
  Tensor input = ones({4}, TensorOptions(kFloat64).requires_grad(true));
  Tensor y = addmm(input, kA(), kB(), 0);
  EXPECT_EQ(y.grad_fn_name(), "AddmmBackward");
  y.sum().backward();
  expect_values(input.grad(), {0, 0, 0, 0}, 0);
}

TEST(Addmm, Errors) {
  const Tensor m23 = ones({2, 3}), m33 = ones({3, 3});
  EXPECT_EMBER_ERROR(addmm(ones({3}), m23, ones({3, 3, 1})), "mat2 must be a matrix, got 3-D tensor");
  EXPECT_EMBER_ERROR(addmm(ones({3}), ones({2, 3, 1}), m33), "mat1 must be a matrix, got 3-D tensor");
  EXPECT_EMBER_ERROR(addmm(ones({3}), m23, ones({4, 3})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x3)");
  EXPECT_EMBER_ERROR(addmm(ones({3, 2}), m23, m33), "The expanded size of the tensor");
  EXPECT_EMBER_ERROR(addmm(ones({3, 2}), m23, m33, 0), "The expanded size of the tensor");  // at beta 0 too
  EXPECT_EMBER_ERROR(addmm(ones({3}, dtype(kFloat64)), m23, m33), "self and mat2 must have the same dtype");
  EXPECT_EMBER_ERROR(addmm(ones({3}), m23, ones({3, 3}, dtype(kFloat64))), "same dtype");
  EXPECT_EMBER_ERROR(addmm(ones({3}, dtype(kInt64)), ones({2, 3}, dtype(kInt64)), ones({3, 3}, dtype(kInt64))),
                     "expected floating-point tensors (float32, float64, bfloat16 or float16)");
  EXPECT_EMBER_ERROR(addmv(ones({3}), m23, ones({3})), "size mismatch, got input (3), mat (2x3), vec (3)");
  EXPECT_EMBER_ERROR(addmv(ones({2}), m23, ones({4})), "size mismatch, got input (2), mat (2x3), vec (4)");
  EXPECT_EMBER_ERROR(addmv(ones({2}), ones({2, 3, 1}), ones({3})), "vector + matrix @ vector expected, got 1, 3, 1");
  EXPECT_EMBER_ERROR(baddbmm(ones({3}), ones({2, 2, 3}), ones({2, 4, 3})),
                     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].");
  EXPECT_EMBER_ERROR(baddbmm(ones({3}), m23, ones({3, 3, 3})), "batch1 must be a 3D tensor");
  EXPECT_EMBER_ERROR(addbmm(ones({3}), ones({2, 2, 3}), ones({2, 4, 3})), "Incompatible matrix sizes for bmm (2x3 and 4x3)");
  EXPECT_EMBER_ERROR(addbmm(ones({3}), ones({2, 2, 3}), ones({3, 3, 3})),
                     "batch1 and batch2 must have same number of batches, got 2 and 3");
  EXPECT_EMBER_ERROR(addbmm(ones({5, 3}), ones({2, 2, 3}), ones({2, 3, 3})), "The expanded size of the tensor");
}

// ---------------------------------------------------------------- einsum

TEST(Einsum, MatrixProductsExplicitAndImplicit) {
  const std::vector<double> ab{11, -1, 2, -2, 24.5, -1, 2, -2};
  expect_values(einsum("ij,jk->ik", {kA(), kB()}), ab, 1e-12);
  expect_values(einsum("ij,jk", {kA(), kB()}), ab, 1e-12);
  expect_values(einsum("i j , j k -> k i", {kA(), kB()}), {11, 24.5, -1, -1, 2, 2, -2, -2}, 1e-12);
  // non-contiguous operands
  expect_values(einsum("ij,jk", {kA().t().contiguous().t(), kB().t().contiguous().t()}), ab, 1e-12);
  expect_values(einsum("bij,bjk->bik", {kB1(), kB2()}),
                {-0.125, -0.03125, 0.0625, 0.15625, -1.25, -0.875, -0.5, -0.125, 5.5, 6.15625, 6.8125, 7.46875, 7.75,
                 8.6875, 9.625, 10.5625},
                1e-12);
  expect_values(einsum("bij,bkj->bik", {kB1(), kB2().transpose(1, 2)}),
                einsum("bij,bjk->bik", {kB1(), kB2()}).to_vector<double>(), 1e-12);
}

// Integer contractions (no GEMM) sum their products a slice of the summed dim at a time: the same
// values as one broadcast product, without its cubic temporary (here 2 slices of 1024).
TEST(Einsum, IntegerContractionsInSlices) {
  const Tensor a = remainder(arange(64 * 2000), Scalar(7)).view({64, 2000});
  const Tensor b = remainder(arange(2000 * 64), Scalar(5)).view({2000, 64});
  const Tensor expected = mm(a.to(kFloat64), b.to(kFloat64)).to(kInt64);
  EXPECT_TRUE(equal(einsum("ij,jk->ik", {a, b}), expected));
  EXPECT_TRUE(equal(einsum("ij,jk->ki", {a, b}), expected.t()));
  EXPECT_EQ(einsum("i,i->", {tensor({1, 2, 3}), tensor({4, 5, 6})}).item<int64_t>(), 32);
  EXPECT_EQ(einsum("ij,jk->ik", {zeros({2, 0}, kInt64), zeros({0, 3}, kInt64)}).sizes(), (Dims{2, 3}));
}

TEST(Einsum, ATwoOperandContractionIsOneBmm) {
  const Tensor a = grad_input({5, 3}), b = grad_input({3, 4});
  const auto names = graph_names(einsum("ij,jk->ik", {a, b}));
  EXPECT_TRUE(names.count("BmmBackward")) << "graph has no bmm";
  EXPECT_FALSE(names.count("MulBackward"));
  EXPECT_FALSE(names.count("SumBackward"));
}

TEST(Einsum, DiagonalsSumsAndOuterProducts) {
  const Tensor m = arange_f64(9, {3, 3});
  expect_values(einsum("ii->i", {m}), {0, 4, 8}, 0);
  expect_values(einsum("ii", {m}), {12}, 0);
  EXPECT_EQ(einsum("ii", {m}).dim(), 0);
  expect_values(einsum("iij->ji", {arange_f64(18, {3, 3, 2})}), {0, 8, 16, 1, 9, 17}, 0);
  const Tensor v = f64({1, -2, 0.5}, {3});
  expect_values(einsum("i,j", {v, f64({2, 3}, {2})}), {2, 3, -4, -6, 1, 1.5}, 1e-12);
  expect_values(einsum("ij->", {kA()}), {21}, 0);
  expect_values(einsum("i,i->", {v, v}), {5.25}, 1e-12);
  expect_values(einsum("ij->ji", {kA()}), kA().t().contiguous().to_vector<double>(), 0);
  const Tensor c = f64({1, 2, 0, -1, 3, 1, 2, 2}, {4, 2});
  expect_values(einsum("ij,jk,kl->il", {kA(), kB(), c}), {13, 21, 26.5, 48}, 1e-12);
  // implicit output: A-Z before a-z
  expect_values(einsum("bA,Ab", {kA(), kA().t()}), {91}, 1e-12);
  const Tensor z = einsum("zAa", {arange_f64(24, {2, 3, 4})});
  EXPECT_EQ(z.sizes(), (Dims{3, 4, 2}));
  expect_values(z, {0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23}, 0);
  // a size-1 subscript broadcasts
  expect_values(einsum("ij,jk", {f64({1, 2}, {2, 1}), kB()}), {4.5, 0, 0, 0, 9, 0, 0, 0}, 1e-12);
  // integers (a broadcast multiply and sum)
  const Tensor ia = arange(0, 6, 1, dtype(kInt64)).reshape({2, 3}), ib = arange(0, 12, 1, dtype(kInt64)).reshape({3, 4});
  const Tensor ir = einsum("ij,jk->ik", {ia, ib});
  EXPECT_EQ(ir.dtype(), kInt64);
  EXPECT_EQ(ir.to_vector<int64_t>(), (std::vector<int64_t>{20, 23, 26, 29, 56, 68, 80, 92}));
  // empty
  EXPECT_EQ(einsum("ij,j", {zeros({0, 3}, dtype(kFloat64)), ones({3}, dtype(kFloat64))}).sizes(), (Dims{0}));
  expect_values(einsum("ij,jk", {zeros({2, 0}, dtype(kFloat64)), zeros({0, 2}, dtype(kFloat64))}), {0, 0, 0, 0}, 0);
}

TEST(Einsum, EllipsisBroadcasts) {
  const Tensor e1 = arange_f64(12, {2, 1, 2, 3}) / 3.0, e2 = arange_f64(36, {3, 3, 4}) / 10.0;
  const Tensor r = einsum("...ij,...jk", {e1, e2});
  EXPECT_EQ(r.sizes(), (Dims{2, 3, 2, 4}));
  const std::vector<double> expected{
      0.6666666667, 0.7666666667, 0.8666666667, 0.9666666667, 1.8666666667, 2.2666666667, 2.6666666667, 3.0666666667,
      1.8666666667, 1.9666666667, 2.0666666667, 2.1666666667, 6.6666666667, 7.0666666667, 7.4666666667, 7.8666666667,
      3.0666666667, 3.1666666667, 3.2666666667, 3.3666666667, 11.4666666667, 11.8666666667, 12.2666666667, 12.6666666667,
      3.0666666667, 3.7666666667, 4.4666666667, 5.1666666667, 4.2666666667, 5.2666666667, 6.2666666667, 7.2666666667,
      11.4666666667, 12.1666666667, 12.8666666667, 13.5666666667, 16.2666666667, 17.2666666667, 18.2666666667,
      19.2666666667, 19.8666666667, 20.5666666667, 21.2666666667, 21.9666666667, 28.2666666667, 29.2666666667,
      30.2666666667, 31.2666666667};
  expect_values(r, expected, 1e-9);
  expect_values(einsum("...ij,...jk->...ik", {e1, e2}), expected, 1e-9);
  // "..." missing from the output: its dims are summed
  const Tensor s = einsum("...ij,...jk->ik", {e1, e2});
  EXPECT_EQ(s.sizes(), (Dims{2, 4}));
  expect_values(s, {40, 42.4, 44.8, 47.2, 68.8, 73, 77.2, 81.4}, 1e-9);
  expect_values(einsum("...->...", {f64({3}, {})}), {3}, 0);
  EXPECT_EQ(einsum("...ij->ij", {ones({5, 2, 3})}).sizes(), (Dims{2, 3}));
}

TEST(Einsum, Gradients) {
  const Tensor a = grad_input({2, 3}), b = grad_input({3, 4}), c = grad_input({4, 2});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("ij,jk->ik", in); }, {a, b});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("ij,jk,kl", in); }, {a, b, c});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("ij,ij->i", {in[0], in[1].t()}); },
                   {a, grad_input({3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("iij->ji", in); }, {grad_input({3, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("i,j->ij", in); }, {grad_input({3}), grad_input({2})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("...ij,...jk", in); },
                   {grad_input({2, 1, 2, 3}), grad_input({3, 3, 4})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return einsum("bij,bjk->ik", in); },
                   {grad_input({2, 2, 3}), grad_input({2, 3, 4})});
}

// Integer operands keep their dtype, as PyTorch's integer bmm (uint8 wraps).
TEST(Einsum, IntegerSumsKeepTheDtype) {
  const Tensor u = full({200}, 2, kUInt8);
  const Tensor dot = einsum("i,i->", {u, u});
  EXPECT_EQ(dot.dtype(), kUInt8);
  EXPECT_EQ(dot.item<int64_t>(), (200 * 4) % 256);
  const Tensor m = tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(einsum("ij,jk->ik", {m, m}).to_vector<int64_t>(), (std::vector<int64_t>{7, 10, 15, 22}));
}

TEST(Einsum, Errors) {
  const Tensor a = ones({2, 3}), b = ones({3, 4});
  EXPECT_EMBER_ERROR(einsum("ij,jk", {a}), "einsum(): fewer operands were provided than specified in the equation");
  EXPECT_EMBER_ERROR(einsum("ij", {a, b}), "einsum(): more operands were provided than specified in the equation");
  EXPECT_EMBER_ERROR(einsum("ij", std::vector<Tensor>{}), "einsum(): must provide at least one operand");
  EXPECT_EMBER_ERROR(einsum("ijk", {a}),
                     "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions (2) "
                     "for operand 0 and no ellipsis was given");
  EXPECT_EMBER_ERROR(einsum("ij,jk->ik", {a, ones({4, 4})}),
                     "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3");
  EXPECT_EMBER_ERROR(einsum("ij->iz", {a}), "einsum(): output subscript z does not appear in the equation for any input operand");
  EXPECT_EMBER_ERROR(einsum("ij->ii", {a}), "einsum(): output subscript i appears more than once in the output");
  EXPECT_EMBER_ERROR(einsum("i1->i", {a}),
                     "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]");
  EXPECT_EMBER_ERROR(einsum("ij-ji", {a}), "invalid subscript given at index 2");
  EXPECT_EMBER_ERROR(einsum("ii->i", {a}), "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2");
  EXPECT_EMBER_ERROR(einsum("ij..", {a}), "einsum(): found '.' for operand 0 that is not part of any ellipsis");
  EXPECT_EMBER_ERROR(einsum("i...->...i...", {a}), "einsum(): found '.' for output but an ellipsis (...) was already found");
  EXPECT_EMBER_ERROR(einsum("...ij,...jk", {ones({2, 2, 3}), ones({3, 3, 4})}),
                     "einsum(): dimension 0 covered by ellipsis in operand 1 has size 3");
  EXPECT_EMBER_ERROR(einsum("i...jk", {a}), "is more than the number of dimensions (2) for operand 0");
  EXPECT_EMBER_ERROR(einsum("ij,jk", {a, ones({3, 4}, dtype(kFloat64))}), "expected scalar type Float but found Double");
}

}  // namespace
}  // namespace ember
