// Tensor's own methods: allocation and metadata, data_ptr, item, dtype conversion,
// contiguous/clone and the version counter.
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(TensorMeta, MakeEmptyHasContiguousStridesAndNumel) {
  Tensor t = make_empty({2, 3, 4}, kFloat64, Device::cpu());
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.sizes(), (Dims{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Dims{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_EQ(t.storage_offset(), 0);
  EXPECT_EQ(t.nbytes(), 24u * 8u);
  EXPECT_GE(t.storage()->nbytes(), t.nbytes());
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(t.is_cpu());
  EXPECT_FALSE(t.requires_grad());
  EXPECT_EQ(t.version(), 0u);
}

TEST(TensorMeta, ZeroDimAndEmptyShapes) {
  Tensor scalar = make_empty({}, kFloat32, Device::cpu());
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.numel(), 1);
  Tensor empty = make_empty({0, 3}, kFloat32, Device::cpu());
  EXPECT_EQ(empty.numel(), 0);
  EXPECT_EQ(empty.strides(), (Dims{3, 1}));
  EXPECT_EQ(empty.nbytes(), 0u);
}

TEST(TensorMeta, SizeAndStrideWrapNegativeDims) {
  Tensor t = make_empty({2, 3, 4}, kFloat32, Device::cpu());
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.stride(-3), 12);
  EXPECT_EQ(t.stride(1), 4);
}

TEST(TensorErrors, BadShapesAndDims) {
  EXPECT_EMBER_ERROR(make_empty({2, -1}, kFloat32, Device::cpu()), "negative dimension -1");
  EXPECT_EMBER_ERROR(make_empty({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, kFloat32, Device::cpu()),
                     "at most 10 dimensions");
  Tensor t = make_empty({2, 3}, kFloat32, Device::cpu());
  EXPECT_EMBER_ERROR(t.size(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EMBER_ERROR(t.stride(-3), "Dimension out of range");
  EXPECT_EMBER_ERROR(make_empty({}, kFloat32, Device::cpu()).size(0), "tensor has no dimensions");
  EXPECT_EMBER_ERROR(Tensor().numel(), "undefined");
}

TEST(TensorData, DataPtrChecksTheTypeAndAppliesTheOffset) {
  Tensor t = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.data_ptr<float>()[4], 5.0f);
  EXPECT_EMBER_ERROR(t.data_ptr<double>(), "data_ptr: expected dtype float64 but the tensor is float32");
  EXPECT_EMBER_ERROR(t.data_ptr<int64_t>(), "expected dtype int64");
  Tensor row = t.select(0, 1);
  EXPECT_EQ(row.storage_offset(), 3);
  EXPECT_EQ(row.data_ptr<float>()[0], 4.0f);
  EXPECT_EQ(static_cast<char*>(row.data_ptr()) - static_cast<char*>(t.data_ptr()), 12);
}

TEST(TensorData, ItemReturnsTheOneElement) {
  Tensor f = tensor(std::vector<double>{2.5}, Dims{});
  EXPECT_EQ(f.item<double>(), 2.5);
  EXPECT_EQ(f.item<int64_t>(), 2);
  Scalar s = f.item();
  EXPECT_TRUE(s.is_floating());
  EXPECT_EQ(s.to_double(), 2.5);

  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}).select(0, 2);
  EXPECT_TRUE(i.item().is_integral());
  EXPECT_EQ(i.item().to_int(), 3);
  EXPECT_TRUE(tensor(std::vector<bool>{true}).item().is_bool());
}

TEST(TensorErrors, ItemOfManyElements) {
  Tensor t = tensor(std::vector<float>{1, 2});
  EXPECT_EMBER_ERROR(t.item(), "a Tensor with 2 elements cannot be converted to Scalar");
  EXPECT_EMBER_ERROR(t.item<float>(), "a Tensor with 2 elements cannot be converted to Scalar");
}

TEST(TensorConvert, ToTheSameDeviceAndDtypeIsTheSameTensor) {
  Tensor t = tensor(std::vector<float>{1, 2});
  EXPECT_TRUE(t.to(kFloat32).is_same(t));
  EXPECT_TRUE(t.to(Device::cpu()).is_same(t));
  EXPECT_TRUE(t.cpu().is_same(t));
}

TEST(TensorConvert, ToOtherDtypes) {
  Tensor t = tensor(std::vector<float>{1.5f, -2.75f, 3.0f, 0.0f}, {2, 2});
  Tensor d = t.to(kFloat64);
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(d.sizes(), (Dims{2, 2}));
  EXPECT_FALSE(d.is_alias_of(t));
  expect_values(d, {1.5, -2.75, 3.0, 0.0}, 0.0);
  Tensor l = t.to(kInt64);
  EXPECT_EQ(l.dtype(), kInt64);
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3, 0}));
  EXPECT_EQ(t.to(kBool).to_vector<bool>(), (std::vector<bool>{true, true, true, false}));
}

TEST(TensorConvert, ToCudaWithoutTheBackendIsAnError) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present";
  Tensor t = tensor(std::vector<float>{1, 2});
  EXPECT_THROW(t.to(Device::cuda(0)), Error);
}

TEST(TensorConvert, ContiguousOfATransposeCopies) {
  Tensor t = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(t.contiguous().is_same(t));
  Tensor tt = t.t();
  EXPECT_FALSE(tt.is_contiguous());
  Tensor c = tt.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.is_alias_of(t));
  EXPECT_EQ(c.sizes(), (Dims{3, 2}));
  EXPECT_EQ(c.strides(), (Dims{2, 1}));
  expect_values(c, {1, 4, 2, 5, 3, 6}, 0.0);
}

TEST(TensorConvert, CloneHasItsOwnStorage) {
  Tensor t = tensor(std::vector<int64_t>{7, 8, 9});
  Tensor c = t.clone();
  EXPECT_FALSE(c.is_alias_of(t));
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(c.version(), 0u);
}

TEST(TensorVersion, SharedByViewsAndBumpedThroughStorage) {
  Tensor t = zeros({2, 3});
  Tensor v = t.view({6});
  EXPECT_EQ(t.version(), 0u);
  t.storage()->bump_version();
  EXPECT_EQ(t.version(), 1u);
  EXPECT_EQ(v.version(), 1u);
  EXPECT_EQ(t.clone().version(), 0u);
}

TEST(TensorVersion, InferenceTensorsHaveNone) {
  Tensor t;
  {
    InferenceModeGuard guard;
    t = make_empty({2}, kFloat32, Device::cpu());
  }
  EXPECT_TRUE(t.is_inference());
  EXPECT_EMBER_ERROR(t.version(), "Inference tensors do not track version counter");
  EXPECT_FALSE(make_empty({2}, kFloat32, Device::cpu()).is_inference());
}

}  // namespace
}  // namespace ember
