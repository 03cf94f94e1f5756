// all/any, the bitwise operators of bool tensors (~ & | ^), square and masked_fill
// against PyTorch 1.13: values, result dtypes, broadcasting, PyTorch's errors, and
// the gradients of square and masked_fill.
#include <gmock/gmock.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
using ember::testing::leaf;
using bools = std::vector<bool>;

TEST(AllAny, WholeTensorAndOneDimAsPyTorch) {
  const Tensor t = tensor({1.0f, 0.0f});
  EXPECT_EQ(t.all().dtype(), kBool);
  EXPECT_EQ(t.all().dim(), 0);
  EXPECT_FALSE(t.all().item<bool>());
  EXPECT_TRUE(t.any().item<bool>());
  EXPECT_TRUE(empty({0}).all().item<bool>());
  EXPECT_FALSE(empty({0}).any().item<bool>());
  EXPECT_TRUE(tensor({std::nan("")}).all().item<bool>());  // NaN is nonzero
  const Tensor u = tensor({1, 2}, kUInt8).all();
  EXPECT_EQ(u.dtype(), kUInt8);  // torch 1.13 keeps uint8
  EXPECT_EQ(u.item<uint8_t>(), 1);
  const Tensor m = tensor(std::vector<int64_t>{1, 0, 1, 1}, {2, 2});
  EXPECT_EQ(m.all(1).to_vector<bool>(), (bools{false, true}));
  const Tensor z = tensor(std::vector<int64_t>{1, 0, 0, 0}, {2, 2});
  const Tensor k = z.any(0, true);
  EXPECT_EQ(k.sizes(), (Dims{1, 2}));
  EXPECT_EQ(k.to_vector<bool>(), (bools{true, false}));
  EXPECT_EQ(all(m, -1).to_vector<bool>(), (bools{false, true}));
  EXPECT_FALSE(any(zeros({3})).item<bool>());
  EXPECT_FALSE(scalar_tensor(0.0).all(0).item<bool>());  // a 0-dim tensor takes dim 0 or -1
  EXPECT_TRUE(scalar_tensor(2, kInt64).any(0, true).item<bool>());
  EXPECT_TRUE((tensor({true, true}).all()).item<bool>());
  EXPECT_EMBER_ERROR(m.all(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}

TEST(BitwiseOps, BoolOperatorsAsPyTorch) {
  const Tensor b1 = tensor({true, false, true, false}), b2 = tensor({true, true, false, false});
  EXPECT_EQ((~b1).to_vector<bool>(), (bools{false, true, false, true}));
  EXPECT_EQ((b1 & b2).to_vector<bool>(), (bools{true, false, false, false}));
  EXPECT_EQ((b1 | b2).to_vector<bool>(), (bools{true, true, true, false}));
  EXPECT_EQ((b1 ^ b2).to_vector<bool>(), (bools{false, true, true, false}));
  for (const Tensor& r : {~b1, b1 & b2, b1 | b2, b1 ^ b2}) EXPECT_EQ(r.dtype(), kBool);
  // broadcasting, and a mask from a comparison
  const Tensor x = tensor(std::vector<float>{-2, -1, 1, 2, 3, 4}, {2, 3});
  const Tensor in_range = (x > 0) & (x < 3);
  EXPECT_EQ(in_range.to_vector<bool>(), (bools{false, false, true, true, false, false}));
  const Tensor col = tensor(std::vector<bool>{true, false}, {2, 1});
  const Tensor row = tensor({true, false, true});
  EXPECT_EQ((col | row).sizes(), (Dims{2, 3}));
  EXPECT_EQ((col | row).to_vector<bool>(), (bools{true, true, true, true, false, true}));
  EXPECT_EQ((col ^ row).to_vector<bool>(), (bools{false, true, false, true, false, true}));
  EXPECT_EQ((col & row).to_vector<bool>(), (bools{true, false, true, false, false, false}));
  EXPECT_EQ(bitwise_and(b1, b2).to_vector<bool>(), (b1 & b2).to_vector<bool>());
  EXPECT_EQ((~(~b1)).to_vector<bool>(), b1.to_vector<bool>());
  EXPECT_EQ((~b1.slice(0, 0, 4, 2)).to_vector<bool>(), (bools{false, false}));  // strided input
}

TEST(BitwiseOps, FloatingOperandsAreErrors) {
  const Tensor f = tensor({1.0f, 2.0f}), b = tensor({true, false});
  EXPECT_EMBER_ERROR(~f, "\"bitwise_not_cpu\" not implemented for 'Float'");
  EXPECT_EMBER_ERROR(f & f, "\"bitwise_and_cpu\" not implemented for 'Float'");
  EXPECT_EMBER_ERROR(f | f, "\"bitwise_or_cpu\" not implemented for 'Float'");
  EXPECT_EMBER_ERROR(f ^ f, "\"bitwise_xor_cpu\" not implemented for 'Float'");
  EXPECT_EMBER_ERROR(b & f, "\"bitwise_and_cpu\" not implemented for 'Float'");
  EXPECT_EMBER_ERROR(~tensor({1.0}, kFloat64), "\"bitwise_not_cpu\" not implemented for 'Double'");
  // integers: PyTorch's bitwise ops on the bits (tests/core/test_bits_and_bounds.cpp)
  EXPECT_EQ((~tensor({5, 0})).to_vector<int64_t>(), (std::vector<int64_t>{-6, -1}));
  EXPECT_EQ((b & tensor({1, 3})).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EMBER_ERROR(b & tensor({true, false, true}), "The size of tensor a (2) must match the size of tensor b (3)");
}

TEST(Square, ValuesDtypesAndGradient) {
  expect_values(tensor(std::vector<float>{1, -2, 3}).square(), {1, 4, 9});
  const Tensor i = tensor({1, -3}).square();
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 9}));
  const Tensor b = tensor({true, false}).square();
  EXPECT_EQ(b.dtype(), kInt64);  // as torch.square of a bool tensor
  EXPECT_EQ(b.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(x.square().grad_fn_name(), "PowBackward");
  x.square().sum().backward();
  expect_values(x.grad(), {2, 4, 6, 8, 10, 12});
  expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].square(); }, {grad_input({3, 2})});
}

TEST(MaskedFill, ValuesBroadcastingAndDtypeAsPyTorch) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor m = tensor({true, false, true});
  expect_values(a.masked_fill(m, -1.0), {-1, 2, -1, -1, 5, -1});
  const Tensor i = tensor({1, 2, 3}).masked_fill(m, 2.7);  // value converted to self's dtype
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{2, 2, 2}));
  const Tensor grown = zeros({3}).masked_fill(tensor(std::vector<bool>{true, false}, {2, 1}), 1.0);
  EXPECT_EQ(grown.sizes(), (Dims{2, 3}));  // out of place, mask and self broadcast together
  expect_values(grown, {1, 1, 1, 0, 0, 0});
  expect_values(a.masked_fill(m, scalar_tensor(5.0)), {5, 2, 5, 5, 5, 5});
  EXPECT_EQ(a.masked_fill(m, scalar_tensor(5.0)).dtype(), kFloat32);
  expect_values(a.masked_fill(a > 3, 0), {1, 2, 3, 0, 0, 0});
}

TEST(MaskedFill, ErrorsAsPyTorch) {
  const Tensor a = zeros({2, 3});
  EXPECT_EMBER_ERROR(a.masked_fill(tensor({1.0f, 0.0f, 1.0f}), 0),
                     "masked_fill_ only supports boolean masks, but got mask with dtype Float");
  EXPECT_EMBER_ERROR(a.masked_fill(tensor({true, false, true}), tensor({1.0f, 2.0f})),
                     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).");
  EXPECT_EMBER_ERROR(a.masked_fill(tensor({true, false}), 0),
                     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1");
}

TEST(MaskedFill, GradientsFlowToSelfAndToAZeroDimValue) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor v = scalar_tensor(7.0, TensorOptions(kFloat64).requires_grad(true));
  const Tensor mask = tensor(std::vector<bool>{true, false}, {2, 1});
  const Tensor o = x.masked_fill(mask, v);
  expect_values(o, {7, 7, 7, 4, 5, 6});
  (o * arange(0, 6, 1, dtype(kFloat64)).view({2, 3})).sum().backward();
  expect_values(x.grad(), {0, 0, 0, 3, 4, 5});
  EXPECT_DOUBLE_EQ(v.grad().item<double>(), 3.0);
  const Tensor y = leaf({1, 2, 3}, {3});
  y.masked_fill(tensor({false, true, false}), 0.5).pow(2).sum().backward();
  expect_values(y.grad(), {2, 0, 6});
  const Tensor rm = rand({3, 4}) > 0.5;
  expect_gradcheck([rm](const std::vector<Tensor>& in) { return in[0].masked_fill(rm, -2.0); }, {grad_input({3, 4})});
  expect_gradcheck([rm](const std::vector<Tensor>& in) { return in[0].masked_fill(rm, in[1]); },
                   {grad_input({3, 4}), grad_input({})});
}

}  // namespace
}  // namespace ember
