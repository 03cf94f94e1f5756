// The utilities composed of other ops (core/composite_ops.h) and the composed reductions
// and comparisons (nansum, nanmean, aminmax, renorm, isclose, isin): values and shapes against
// PyTorch 1.13, gradchecks where they differentiate, and PyTorch's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using In = std::vector<Tensor>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor f32(const std::vector<double>& v) { return tensor(v, kFloat32); }
Tensor i64(const std::vector<int64_t>& v) { return tensor(v); }
std::vector<bool> bools(const Tensor& t) {
  std::vector<bool> out;
  for (const double v : t.to_vector<double>()) out.push_back(v != 0);
  return out;
}

// torch.meshgrid(a, b, c, indexing=...) for a = [1, 2, 3], b = [4, 5], c = [7, 8]
TEST(CompositeOps, MeshgridBothIndexingsAsPyTorch) {
  const Tensor a = f32({1, 2, 3}), b = f32({4, 5}), c = f32({7, 8});
  const auto ij = meshgrid({a, b, c});
  ASSERT_EQ(ij.size(), 3u);
  for (const Tensor& g : ij) EXPECT_EQ(g.sizes(), (Dims{3, 2, 2}));
  expect_values(ij[0], {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}, 0.0);
  expect_values(ij[1], {4, 4, 5, 5, 4, 4, 5, 5, 4, 4, 5, 5}, 0.0);
  expect_values(ij[2], {7, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 8}, 0.0);
  const auto xy = meshgrid({a, b, c}, "xy");
  for (const Tensor& g : xy) EXPECT_EQ(g.sizes(), (Dims{2, 3, 2}));
  expect_values(xy[0], {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, 0.0);
  expect_values(xy[1], {4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5}, 0.0);
  expect_values(xy[2], {7, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 8}, 0.0);
  // views: a write to the input shows through
  EXPECT_TRUE(ij[0].is_alias_of(a));
  // torch.cartesian_prod(a, b)
  const Tensor prod = cartesian_prod({a, b});
  EXPECT_EQ(prod.sizes(), (Dims{6, 2}));
  expect_values(prod, {1, 4, 1, 5, 2, 4, 2, 5, 3, 4, 3, 5}, 0.0);
  EXPECT_EQ(error_of([&] { meshgrid({a}, "ji"); }),
            "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ji");
  EXPECT_NE(error_of([&] { meshgrid({zeros({2, 2})}); }).find("Expected 0D or 1D tensor"), std::string::npos);
  EXPECT_EQ(error_of([&] { meshgrid({}); }), "meshgrid expects a non-empty TensorList");
}

// A = arange(24.).view(2, 3, 4), B = arange(12.).view(4, 3) in float64
TEST(CompositeOps, TensordotAsPyTorch) {
  const Tensor a = arange(0.0, 24.0, 1.0, kFloat64).view({2, 3, 4});
  const Tensor b = arange(0.0, 12.0, 1.0, kFloat64).view({4, 3});
  const Tensor one = tensordot(a, b, 1);
  EXPECT_EQ(one.sizes(), (Dims{2, 3, 3}));
  expect_values(one, {42, 48, 54, 114, 136, 158, 186, 224, 262, 258, 312, 366, 330, 400, 470, 402, 488, 574}, 0.0);
  const Tensor pairs = tensordot(a, b, {1, 2}, {1, 0});
  EXPECT_EQ(pairs.sizes(), (Dims{2}));
  expect_values(pairs, {440, 1232}, 0.0);
  EXPECT_EQ(tensordot(f32({1, 2, 3}), f32({4, 5}), 0).sizes(), (Dims{3, 2}));
  // integers: products summed (mm is for floats); torch.tensordot(tensor([1, 2]), tensor([3, 4]), 1) is 11
  const Tensor ints = tensordot(i64({1, 2}), i64({3, 4}), 1);
  EXPECT_EQ(ints.dtype(), kInt64);
  EXPECT_EQ(ints.item<int64_t>(), 11);
  EXPECT_EQ(tensordot(arange(24).view({2, 3, 4}), arange(12).view({4, 3}), 1).to(kFloat64).to_vector<double>(),
            one.to_vector<double>());
  expect_gradcheck([](const In& in) { return tensordot(in[0], in[1], {0, 2}, {2, 0}); },
                   {grad_input({3, 2, 4}), grad_input({4, 5, 3})});
  // Integers sum their products a slice of the contracted dim at a time (here 2 slices of 1024).
  const Tensor wide = remainder(arange(64 * 2000), Scalar(7)).view({64, 2000});
  const Tensor tall = remainder(arange(2000 * 64), Scalar(5)).view({2000, 64});
  EXPECT_TRUE(equal(tensordot(wide, tall, 1), mm(wide.to(kFloat64), tall.to(kFloat64)).to(kInt64)));
  // Two floating dtypes are mm's error, as PyTorch's; autocast casts them.
  EXPECT_NE(error_of([&] { tensordot(f32({1, 2}), a.flatten().narrow(0, 0, 2), 1); }).find("same dtype"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { tensordot(a, b, {0}, {1}); }),
            "contracted dimensions need to match, but first has size 2 in dim 0 and second has size 3 in dim 1");
  EXPECT_NE(error_of([&] { tensordot(a, b, {2}, {1}); }).find("first has size 4 in dim 2 and second has size 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { tensordot(a, b, {1, 2}, {0}); }).find("same length"), std::string::npos);
  // PyTorch's: a size-1 side of a contracted pair is summed away on the other side first
  const Tensor column = f32({1, 2}).view({2, 1});
  const Tensor block = arange(0.0, 12.0, 1.0, kFloat32).view({3, 4});
  expect_values(tensordot(column, block, {1}, {0}), {12, 15, 18, 21, 24, 30, 36, 42}, 0.0);
  EXPECT_EQ(tensordot(column, block, {1}, {0}).sizes(), (Dims{2, 4}));
  EXPECT_EQ(error_of([&] { tensordot(a, b, {1, 1}, {0, 1}); }), "dim 1 appears multiple times in the list of dims");
  EXPECT_NE(error_of([&] {
              tensordot(i64({1, 2}), f32({3, 4}), 1);
            }).find("both inputs should have same dtype"),
            std::string::npos);
  // integers keep their dtype, as PyTorch's integer mm: uint8 wraps
  const Tensor bytes = full({200}, 200, kUInt8);
  const Tensor wrapped_sum = tensordot(bytes, full({200}, 1, kUInt8), 1);
  EXPECT_EQ(wrapped_sum.dtype(), kUInt8);
  EXPECT_EQ(wrapped_sum.item<int64_t>(), (200 * 200) % 256);
}

TEST(CompositeOps, KronAndBlockDiagAsPyTorch) {
  const Tensor k1 = f32({1, 2, 3, 4}).view({2, 2}), k2 = f32({0, 5, 6, 7, 1, 1}).view({3, 2});
  const Tensor k = kron(k1, k2);
  EXPECT_EQ(k.sizes(), (Dims{6, 4}));
  expect_values(k, {0, 5, 0, 10, 6, 7, 12, 14, 1, 1, 2, 2, 0, 15, 0, 20, 18, 21, 24, 28, 3, 3, 4, 4}, 0.0);
  const Tensor mixed = kron(f32({1, -1}), k1);  // 1-D with 2-D: [2, 4]
  EXPECT_EQ(mixed.sizes(), (Dims{2, 4}));
  expect_values(mixed, {1, 2, -1, -2, 3, 4, -3, -4}, 0.0);
  expect_gradcheck([](const In& in) { return kron(in[0], in[1]); }, {grad_input({2, 3}), grad_input({3, 1, 2})});
  // torch.block_diag(tensor([[1, 2], [3, 4]]), tensor([5, 6, 7]), tensor(8))
  const Tensor bd = block_diag({i64({1, 2, 3, 4}).view({2, 2}), i64({5, 6, 7}), scalar_tensor(8, kInt64)});
  EXPECT_EQ(bd.sizes(), (Dims{4, 6}));
  EXPECT_EQ(bd.dtype(), kInt64);
  EXPECT_EQ(bd.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 5, 6, 7, 0,
                                                           0, 0, 0, 0, 0, 8}));
  EXPECT_EQ(block_diag({i64({1, 2}).view({1, 2}), f32({0.5}).view({1, 1})}).dtype(), kFloat32);
  EXPECT_EQ(block_diag({}).sizes(), (Dims{1, 0}));  // PyTorch's
  // a 0-dim input takes part like a scalar: float64 does not raise float32's dtype
  EXPECT_EQ(block_diag({scalar_tensor(1.5, kFloat64), ones({2, 2})}).dtype(), kFloat32);
  expect_gradcheck([](const In& in) { return block_diag({in[0], in[1]}); }, {grad_input({2, 3}), grad_input({4})});
  EXPECT_EQ(error_of([] { block_diag({zeros({1, 1, 1})}); }),
            "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions");
}

// R = arange(6).view(2, 3): torch.rot90(R, k, [0, 1])
TEST(CompositeOps, Rot90AsPyTorch) {
  const Tensor r = arange(6).view({2, 3});
  EXPECT_EQ(rot90(r, 1).sizes(), (Dims{3, 2}));
  EXPECT_EQ(rot90(r, 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(rot90(r, 2).to_vector<int64_t>(), (std::vector<int64_t>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(rot90(r, 3).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 4, 1, 5, 2}));
  EXPECT_EQ(r.rot90(-1).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 4, 1, 5, 2}));
  EXPECT_EQ(rot90(r, 1, {1, 0}).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 4, 1, 5, 2}));
  const Tensor same = rot90(r, 4);
  EXPECT_EQ(same.to_vector<int64_t>(), r.to_vector<int64_t>());
  EXPECT_FALSE(same.is_alias_of(r));  // a copy, as PyTorch's clone
  expect_gradcheck([](const In& in) { return rot90(in[0], 1, {2, 0}); }, {grad_input({2, 3, 4})});
  EXPECT_EQ(error_of([&] { rot90(r, 1, {0}); }), "expected total rotation dims == 2, but got dims = 1");
  EXPECT_EQ(error_of([&] { rot90(r, 1, {1, 1}); }), "expected rotation dims to be different, but got dim0 = 1 and dim1 = 1");
  EXPECT_EQ(error_of([&] {
              rot90(r, 1, {0, -2});
            }),  // the dims as passed, as PyTorch prints them
            "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2");
  EXPECT_EQ(error_of([&] { rot90(r, 1, {3, 0}); }), "Rotation dim0 out of range, dim0 = 3");
  EXPECT_EQ(error_of([&] { rot90(arange(3), 1); }), "expected total dims >= 2, but got total dims = 1");
}

TEST(CompositeOps, MovedimSwapaxesRavelAsPyTorch) {
  const Tensor m = zeros({2, 3, 4, 5});
  EXPECT_EQ(movedim(m, {0, 1}, {3, 0}).sizes(), (Dims{3, 4, 5, 2}));
  EXPECT_EQ(m.movedim(1, -1).sizes(), (Dims{2, 4, 5, 3}));
  EXPECT_EQ(moveaxis(m, {3, 0}, {0, 2}).sizes(), (Dims{5, 3, 2, 4}));
  EXPECT_TRUE(m.movedim(1, -1).is_alias_of(m));
  const Tensor x = arange(6).view({2, 3});
  EXPECT_EQ(swapaxes(x, 0, 1).to_vector<int64_t>(), x.t().to_vector<int64_t>());
  EXPECT_EQ(x.swapdims(0, 1).sizes(), (Dims{3, 2}));
  EXPECT_EQ(x.t().ravel().to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(ravel(x).is_alias_of(x));
  // a 0-dim tensor: dim 0 (or -1) moves nowhere
  EXPECT_EQ(movedim(scalar_tensor(2.0), 0, -1).item<double>(), 2.0);
  expect_gradcheck([](const In& in) { return movedim(in[0], {2, 0}, {0, 1}); }, {grad_input({2, 3, 4})});
  EXPECT_EQ(error_of([&] { movedim(m, {0, 0}, {1, 2}); }), "movedim: repeated dim in `source` ([0, 0])");
  EXPECT_NE(error_of([&] { movedim(m, {0}, {1, 2}); }).find("same number of dims"), std::string::npos);
}

// T = arange(7): torch.tensor_split(T, 3), (T, [1, 5, -1, 9]), (T, 9)
TEST(CompositeOps, TensorSplitAsPyTorch) {
  const Tensor t = arange(7);
  const auto as_vectors = [](const std::vector<Tensor>& parts) {
    std::vector<std::vector<int64_t>> out;
    for (const Tensor& p : parts) out.push_back(p.to_vector<int64_t>());
    return out;
  };
  using V = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(as_vectors(tensor_split(t, 3)), (V{{0, 1, 2}, {3, 4}, {5, 6}}));
  EXPECT_EQ(as_vectors(t.tensor_split(std::vector<int64_t>{1, 5, -1, 9})), (V{{0}, {1, 2, 3, 4}, {5}, {6}, {}}));
  EXPECT_EQ(as_vectors(tensor_split(t, 9)), (V{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {}, {}}));
  const auto cols = tensor_split(arange(12).view({3, 4}), 2, 1);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1].to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 6, 7, 10, 11}));
  EXPECT_EQ(error_of([&] { tensor_split(t, 0); }), "number of sections must be larger than 0, got 0");
  EXPECT_EQ(error_of([] { tensor_split(scalar_tensor(1.0), 2); }),
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
}

TEST(CompositeOps, HeavisideDistMsortTriangleIndicesAsPyTorch) {
  // torch.heaviside(tensor([-1.5, 0., 2., nan, -0.]), tensor([0.5])): NaN gives 0
  expect_values(heaviside(f32({-1.5, 0, 2, kNaN, -0.0}), f32({0.5})), {0, 0.5, 1, 0, 0.5}, 0.0);
  // recorded, with PyTorch's error in backward
  const Tensor x = f32({-1.5, 0, 2}).requires_grad_(true);
  const Tensor h = x.heaviside(f32({0.5}));
  EXPECT_TRUE(h.requires_grad());
  EXPECT_EQ(error_of([&] { h.sum().backward(); }), "the derivative for 'heaviside' is not implemented.");
  EXPECT_NE(error_of([] { heaviside(f32({1}), i64({1})); }).find("different dtypes"), std::string::npos);
  // torch.dist(tensor([1., 2., 3.]), tensor([0., 4., 3.]), p)
  EXPECT_NEAR(dist(f32({1, 2, 3}), f32({0, 4, 3})).item<double>(), 2.2360680103302, 1e-6);
  EXPECT_EQ(dist(f32({1, 2, 3}), f32({0, 4, 3}), 1).item<double>(), 3.0);
  EXPECT_EQ(dist(f32({1, 2, 3}), f32({0, 4, 3}), kInf).item<double>(), 2.0);
  expect_gradcheck([](const In& in) { return dist(in[0], in[1], 3); }, {grad_input({2, 3}), grad_input({3})});
  EXPECT_EQ(msort(i64({3, 1, 2, 0, 5, 4}).view({3, 2})).to_vector<int64_t>(),
            (std::vector<int64_t>{2, 0, 3, 1, 5, 4}));
  // torch.triu_indices(3, 4, 1), (4, 3, -1); torch.tril_indices(3, 4, 1), (4, 3, -1)
  const Tensor u = triu_indices(3, 4, 1);
  EXPECT_EQ(u.dtype(), kInt64);
  EXPECT_EQ(u.sizes(), (Dims{2, 6}));
  EXPECT_EQ(u.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1, 1, 2, 1, 2, 3, 2, 3, 3}));
  EXPECT_EQ(triu_indices(4, 3, -1).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2, 3, 0, 1, 2, 0, 1, 2, 1, 2, 2}));
  EXPECT_EQ(tril_indices(3, 4, 1).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 0, 1, 2, 0, 1, 2, 3}));
  EXPECT_EQ(tril_indices(4, 3, -1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 2, 3, 3, 3, 0, 0, 1, 0, 1, 2}));
  EXPECT_EQ(tril_indices(0, 3).sizes(), (Dims{2, 0}));
  EXPECT_EQ(error_of([] { triu_indices(-1, 3); }), "row must be non-negative, got -1");
}

// x = tensor([[1., nan, 3.], [nan, nan, 2.]])
TEST(CompositeOps, NansumNanmeanAminmaxAsPyTorch) {
  const Tensor x = f32({1, kNaN, 3, kNaN, kNaN, 2}).view({2, 3});
  expect_values(nansum(x), {6}, 0.0);
  expect_values(x.nansum(1), {4, 2}, 0.0);
  expect_values(nanmean(x, 1), {2, 2}, 0.0);
  const auto col = nanmean(x, 0).to_vector<double>();
  EXPECT_EQ(col[0], 1.0);
  EXPECT_TRUE(std::isnan(col[1]));  // all NaN
  EXPECT_EQ(col[2], 2.5);
  expect_values(x.nanmean(), {2}, 0.0);
  EXPECT_EQ(nansum(i64({1, 2, 3})).item<int64_t>(), 6);
  EXPECT_EQ(error_of([] { nanmean(i64({1, 2})); }),
            "nanmean(): expected input to have floating point dtype but got Long");
  const Tensor xx = x.detach().to(kFloat64).requires_grad_(true);
  nanmean(xx, 1).sum().backward();
  expect_values(xx.grad(), {0.5, 0, 0.5, 0, 0, 1}, 0.0);
  expect_gradcheck([](const In& in) { return nanmean(in[0], {0}, true); }, {grad_input({3, 4})});
  const Tensor m = f32({1, 5, -2, 3, 0, 4}).view({2, 3});
  auto [lo, hi] = aminmax(m, 1);
  expect_values(lo, {-2, 0}, 0.0);
  expect_values(hi, {5, 4}, 0.0);
  auto [all_lo, all_hi] = m.aminmax();
  EXPECT_EQ(all_lo.dim(), 0);
  EXPECT_EQ(all_lo.item<double>(), -2.0);
  EXPECT_EQ(all_hi.item<double>(), 5.0);
  EXPECT_EQ(std::get<0>(aminmax(m, std::nullopt, true)).sizes(), (Dims{1, 1}));
}

TEST(CompositeOps, RenormAsPyTorch) {
  // row norms 1.37, 0.94 and 2.81: the first and last rows are scaled to 1, the middle kept
  const Tensor x = arange(0, 12, 1, dtype(kFloat64)).reshape({3, 4}) / 4.0 - 1.0;
  const std::vector<double> rows{
      -0.730296690006892,  -0.547722517505169, -0.365148345003446, -0.182574172501723, 0.0, 0.25, 0.5, 0.75,
      0.35634830985148697, 0.4454353873143587, 0.5345224647772304, 0.6236095422401022};
  expect_values(renorm(x, 2, 0, 1.0), rows, 1e-15);
  expect_values(x.renorm(1, 1, 1.5),
                {-0.7499999625000019, -0.4999999777777788, -0.2999999880000005, -0.13636363140495886, 0.0,
                 0.1666666592592596, 0.2999999880000005, 0.40909089421487654, 0.7499999625000019, 0.833333296296298,
                 0.8999999640000015, 0.954545419834712},
                1e-15);
  expect_values(renorm(x, kInf, -1, 0.5),
                {-0.49999995000000497, -0.2999999760000019, -0.1666666555555563, -0.071428567346939, 0.0,
                 0.09999999200000063, 0.1666666555555563, 0.214285702040817, 0.49999995000000497, 0.4999999600000032,
                 0.4999999666666689, 0.499999971428573},
                1e-15);
  // bfloat16: the norms in float32, the factor rounded to bfloat16 (PyTorch 1.13's bits)
  const Tensor b = renorm(x.to(kBFloat16), 2, 0, 1.0);
  EXPECT_EQ(b.dtype(), kBFloat16);
  expect_values(b,
                {-0.73046875, -0.546875, -0.365234375, -0.1826171875, 0.0, 0.25, 0.5, 0.75, 0.35546875, 0.4453125,
                 0.53125, 0.62109375},
                0);
  // in place, recorded: the gradient is the out-of-place one's
  const Tensor leaf = x.clone().requires_grad_(true);
  Tensor y = leaf * 1.0;
  y.renorm_(2, 0, 1.0);
  EXPECT_EQ(y.grad_fn_name(), "RenormBackward");
  expect_values(y, rows, 1e-15);
  (y * x).sum().backward();
  const Tensor reference = x.clone().requires_grad_(true);
  (renorm(reference, 2, 0, 1.0) * x).sum().backward();
  expect_values(leaf.grad(), reference.grad().to_vector<double>(), 1e-15);
  // through the factor's norm too (rows above maxnorm) and past it (the kept row)
  expect_gradcheck([](const In& in) { return renorm(in[0], 2, 0, 1.0); }, {x.clone().requires_grad_(true)});
  expect_gradcheck([](const In& in) { return renorm(in[0], 3, 1, 0.5); }, {grad_input({2, 3, 2})});
  EXPECT_EMBER_ERROR(renorm(x, 0, 0, 1.0), "renorm: non-positive-norm not supported");
  EXPECT_EMBER_ERROR(renorm(x, 2, 0, -1.0), "renorm: expected maxnorm to be >= 0 but got -1");
  EXPECT_EMBER_ERROR(renorm(f32({1, 2}), 2, 0, 1.0), "renorm: input needs at least 2 dimensions, got 1 dimensions");
  EXPECT_EMBER_ERROR(renorm(ones({2, 2}, dtype(kInt64)), 2, 0, 1.0),
                     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EMBER_ERROR(renorm(x, 2, 2, 1.0), "Dimension out of range");
}

TEST(CompositeOps, IscloseAndIsinAsPyTorch) {
  // torch.isclose(tensor([1., 1e-9, inf, nan, 100., inf]), tensor([1. + 1e-6, 0., inf, nan, 100.001, -inf]))
  EXPECT_EQ(bools(isclose(f32({1, 1e-9, kInf, kNaN, 100, kInf}), f32({1 + 1e-6, 0, kInf, kNaN, 100.001, -kInf}))),
            (std::vector<bool>{true, true, true, false, true, false}));
  EXPECT_EQ(bools(f32({kNaN, 1}).isclose(f32({kNaN, 2}), 1e-5, 1e-8, true)), (std::vector<bool>{true, false}));
  // integers with a tolerance compare in float32: isclose([10, 20, 1000], [11, 20, 1001], rtol=0.01, atol=0)
  EXPECT_EQ(bools(isclose(i64({10, 20, 1000}), i64({11, 20, 1001}), 0.01, 0)), (std::vector<bool>{false, true, true}));
  // bool with a tolerance too: isclose(tensor([True, False]), tensor([False, False]), rtol=0, atol=1)
  const Tensor t = tensor(std::vector<double>{1, 0}, kBool), f = tensor(std::vector<double>{0, 0}, kBool);
  EXPECT_EQ(bools(isclose(t, f, 0, 1)), (std::vector<bool>{true, true}));
  EXPECT_EQ(bools(isclose(t, f, 0, 0)), (std::vector<bool>{false, true}));
  // broadcasting
  EXPECT_EQ(isclose(f32({1, 2}).view({2, 1}), f32({1, 2, 3})).sizes(), (Dims{2, 3}));
  EXPECT_EQ(error_of([] { isclose(f32({1}), tensor(std::vector<double>{1}, kFloat64)); }),
            "Float did not match Double (isclose(): self and other must have the same scalar type)");
  EXPECT_EQ(error_of([] { isclose(f32({1}), f32({1}), -1); }),
            "rtol must be greater than or equal to zero, but got -1");
  // torch.isin(tensor([[1, 2], [3, 4]]), tensor([2, 3, 9])), and with NaN, invert=True
  EXPECT_EQ(bools(isin(i64({1, 2, 3, 4}).view({2, 2}), i64({2, 3, 9}))), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(isin(i64({1, 2, 3, 4}).view({2, 2}), i64({2})).sizes(), (Dims{2, 2}));
  EXPECT_EQ(bools(f32({1, kNaN, 3}).isin(f32({kNaN, 3}), false, true)), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(bools(isin(i64({1, 2, 3}), f32({2, 2.5}))), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bools(isin(i64({1, 2, 3}), i64({}))), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(bools(isin(i64({1, 2, 3}), Scalar(2), false, true)), (std::vector<bool>{true, false, true}));
  // every element of a large random set against a map
  manual_seed(5);
  const Tensor elements = randint(0, 1000, {5000});
  const Tensor test = randint(0, 1000, {700});
  const auto found = bools(isin(elements, test));
  std::vector<bool> present(1000, false);
  for (const int64_t v : test.to_vector<int64_t>()) present[static_cast<size_t>(v)] = true;
  const auto ev = elements.to_vector<int64_t>();
  for (size_t i = 0; i < ev.size(); ++i) ASSERT_EQ(found[i], present[static_cast<size_t>(ev[i])]) << "at " << i;
}

}  // namespace
}  // namespace ember
