// MemoryFormat: is_contiguous(ChannelsLast) and suggest_memory_format() on NCHW, NHWC
// and size-1 shapes as PyTorch answers them, contiguous(ChannelsLast) values, strides
// and gradient, channels-last allocation, printing, conversions, and the layout of
// elementwise results.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "core/native.h"
#include "support/helpers.h"

namespace ember {
namespace {

constexpr auto kCL = MemoryFormat::ChannelsLast;
constexpr auto kNCHW = MemoryFormat::Contiguous;

Tensor counting(const Dims& shape, DType dtype = kFloat32) {
  return arange(shape_numel(shape), TensorOptions(dtype)).reshape(shape);
}

TEST(MemoryFormat, NchwIsNotChannelsLast) {
  const Tensor x = counting({2, 3, 4, 5});
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_TRUE(x.is_contiguous(kNCHW));
  EXPECT_FALSE(x.is_contiguous(kCL));
  EXPECT_EQ(x.suggest_memory_format(), kNCHW);
}

TEST(MemoryFormat, ContiguousChannelsLastHasPyTorchStrides) {
  const Tensor x = counting({2, 3, 4, 5});
  const Tensor y = x.contiguous(kCL);
  EXPECT_EQ(y.strides(), (Dims{3 * 4 * 5, 1, 5 * 3, 3}));  // [C*H*W, 1, W*C, C]
  EXPECT_TRUE(y.is_contiguous(kCL));
  EXPECT_FALSE(y.is_contiguous());
  EXPECT_EQ(y.suggest_memory_format(), kCL);
  EXPECT_FALSE(y.is_alias_of(x));
  EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());  // logical order unchanged
  EXPECT_TRUE(y.contiguous(kCL).is_same(y));               // already so: itself
  const Tensor back = y.contiguous();
  EXPECT_TRUE(back.is_contiguous());
  EXPECT_EQ(back.strides(), x.strides());
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
}

TEST(MemoryFormat, NhwcPermutationIsChannelsLastContiguous) {
  const Tensor nhwc = counting({2, 4, 5, 3});
  const Tensor x = nhwc.permute({0, 3, 1, 2});  // a view, [2, 3, 4, 5]
  EXPECT_TRUE(x.is_contiguous(kCL));
  EXPECT_FALSE(x.is_contiguous());
  EXPECT_TRUE(x.contiguous(kCL).is_same(x));
  EXPECT_FALSE(x.contiguous().is_same(x));
}

TEST(MemoryFormat, SizeOneDimsAreIgnored) {
  // [N, C, 1, 1] and C == 1 shapes are dense in both formats.
  for (const Dims& shape : {Dims{2, 3, 1, 1}, Dims{2, 1, 4, 5}, Dims{1, 1, 4, 5}, Dims{1, 1, 1, 1}}) {
    const Tensor x = counting(shape);
    EXPECT_TRUE(x.is_contiguous(kCL)) << shape;
    EXPECT_TRUE(x.is_contiguous()) << shape;
    EXPECT_TRUE(x.contiguous(kCL).is_same(x)) << shape;
    EXPECT_EQ(x.suggest_memory_format(), kNCHW) << shape;  // ambiguous: NCHW wins
  }
  // N == 1 alone does not make an NCHW tensor channels-last, nor H == W == 1 with C > 1 ...
  EXPECT_FALSE(counting({1, 3, 4, 5}).is_contiguous(kCL));
  // ... and a channels-last [1, C, H, W] is channels-last whatever N's stride is.
  const Tensor one = counting({1, 3, 4, 5}).contiguous(kCL);
  EXPECT_EQ(one.suggest_memory_format(), kCL);
  EXPECT_TRUE(one.as_strided(one.sizes(), {7, 1, 15, 3}).is_contiguous(kCL));
}

TEST(MemoryFormat, SuggestedFormatOfNonDenseTensors) {
  const Tensor cl = counting({2, 3, 4, 6}).contiguous(kCL);
  const Tensor sliced = cl.slice(3, 0, 6, 2);  // every other column: not dense
  EXPECT_FALSE(sliced.is_contiguous(kCL));
  EXPECT_FALSE(sliced.is_contiguous());
  EXPECT_EQ(sliced.suggest_memory_format(), kCL);
  EXPECT_EQ(counting({2, 3, 4, 6}).slice(3, 0, 6, 2).suggest_memory_format(), kNCHW);
  // A broadcast channel (stride 0) or an N111 tensor is ambiguous: NCHW.
  EXPECT_EQ(counting({1, 1, 1, 1}).expand({2, 3, 4, 5}).suggest_memory_format(), kNCHW);
  EXPECT_EQ(counting({4, 1, 1, 1}).as_strided({4, 1, 1, 1}, {1, 1, 1, 1}).suggest_memory_format(), kNCHW);
  // Only 4-D tensors are channels-last.
  EXPECT_FALSE(counting({3, 4}).is_contiguous(kCL));
  EXPECT_EQ(counting({3, 4, 5}).suggest_memory_format(), kNCHW);
}

TEST(MemoryFormat, Errors) {
  EXPECT_EMBER_ERROR(counting({3, 4}).contiguous(kCL), "required rank 4 tensor to use channels_last format");
  EXPECT_EMBER_ERROR(counting({2, 3, 4, 5}).contiguous(MemoryFormat::Preserve),
                     "preserve memory format is unsupported by the contiguous operator");
  EXPECT_EMBER_ERROR(make_empty({2, 3, 4}, kFloat32, Device::cpu(), kCL), "required rank 4 tensor");
}

TEST(MemoryFormat, MakeEmptyInEitherFormat) {
  const Tensor cl = make_empty({2, 3, 4, 5}, kFloat64, Device::cpu(), kCL);
  EXPECT_EQ(cl.strides(), (Dims{60, 1, 15, 3}));
  EXPECT_EQ(cl.storage()->nbytes(), 120u * 8u);
  EXPECT_EQ(make_empty({2, 3, 4, 5}, kFloat64, Device::cpu(), kNCHW).strides(), (Dims{60, 20, 5, 1}));
  EXPECT_EQ(channels_last_strides({2, 3, 1, 1}), (Dims{3, 1, 3, 3}));
  EXPECT_EQ(channels_last_strides({2, 0, 4, 4}), (Dims{0, 1, 0, 0}));  // sizes taken as they are
  EXPECT_EQ(dense_format_of(cl), kCL);
  EXPECT_EQ(dense_format_of(make_empty({2, 3, 1, 1}, kFloat32, Device::cpu(), kCL)), kNCHW);  // both: NCHW
}

TEST(MemoryFormat, GradientFlowsThroughContiguousChannelsLast) {
  Tensor x = testing::grad_input({2, 3, 2, 2});
  const Tensor y = x.contiguous(kCL);
  EXPECT_EQ(y.grad_fn_name(), "CloneBackward");
  EXPECT_TRUE(y.is_contiguous(kCL));
  const Tensor w = randn({2, 3, 2, 2}, kFloat64);
  (y * w).sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_TRUE(allclose(x.grad(), w));
  // x's gradient is laid out like x (row-major), whatever layout reached it.
  EXPECT_TRUE(x.grad().is_contiguous());
}

TEST(MemoryFormat, PrintingAndConversionsKeepValues) {
  const Tensor x = counting({1, 2, 2, 3}, kFloat64);
  const Tensor y = x.contiguous(kCL);
  EXPECT_EQ(to_string(y), to_string(x));
  const Tensor f = y.to(kFloat32);  // to() keeps the channels-last layout, as in PyTorch
  EXPECT_TRUE(f.is_contiguous(kCL));
  EXPECT_EQ(f.to_vector<double>(), x.to_vector<double>());
  EXPECT_TRUE(y.clone(MemoryFormat::Contiguous).is_contiguous());
  const Tensor preserved = y.clone();  // preserve_format, as PyTorch's default
  EXPECT_TRUE(preserved.is_contiguous(kCL));
  EXPECT_EQ(preserved.to_vector<double>(), x.to_vector<double>());
}

// clone() keeps a dense layout's strides exactly and lays out anything else as
// suggest_memory_format() says (PyTorch 1.13: x.clone().stride() for each case below).
TEST(MemoryFormat, CloneKeepsDenseStridesAsPyTorch) {
  const Tensor x = counting({2, 3, 4, 4}, kFloat64);
  const Tensor cl = x.contiguous(kCL);
  EXPECT_EQ(cl.clone().strides(), (Dims{48, 1, 12, 3}));
  // A slice of a channels-last tensor is not dense: channels-last, compacted.
  const Tensor sliced = cl.narrow(3, 0, 2);
  EXPECT_EQ(sliced.clone().strides(), (Dims{24, 1, 6, 3}));
  EXPECT_EQ(sliced.clone().to_vector<double>(), sliced.contiguous().to_vector<double>());
  const Tensor t = counting({3, 4}, kFloat64).t();  // [4, 3] with strides [1, 4]
  const Tensor tc = t.clone();
  EXPECT_EQ(tc.strides(), (Dims{1, 4}));
  EXPECT_EQ(tc.to_vector<double>(), t.contiguous().to_vector<double>());
  EXPECT_NE(tc.data_ptr(), t.data_ptr());
  EXPECT_EQ(x.permute({2, 0, 3, 1}).clone().strides(), x.permute({2, 0, 3, 1}).strides());
  EXPECT_TRUE(t.clone(MemoryFormat::Contiguous).is_contiguous());
  // An expanded (overlapping) tensor is not dense: row-major.
  EXPECT_EQ(counting({3, 1}, kFloat64).expand({3, 4}).clone().strides(), (Dims{4, 1}));
  EXPECT_FALSE(is_non_overlapping_and_dense(Dims{3, 4}, Dims{1, 0}));
  EXPECT_TRUE(is_non_overlapping_and_dense(Dims{3, 1, 4}, Dims{1, 99, 3}));
  EXPECT_FALSE(is_non_overlapping_and_dense(Dims{3, 4}, Dims{8, 2}));
  // The copy records CloneBackward and the gradient reaches the source.
  Tensor leaf = counting({3, 4}, kFloat64).requires_grad_();
  const Tensor c = leaf.t().clone();
  EXPECT_EQ(c.grad_fn_name(), "CloneBackward");
  (c * 2.0).sum().backward();
  EXPECT_EQ(leaf.grad().to_vector<double>(), std::vector<double>(12, 2.0));
}

TEST(MemoryFormat, ElementwiseResultsFollowChannelsLastInputs) {
  const Tensor x = randn({2, 3, 4, 5});
  const Tensor xcl = x.contiguous(kCL);
  const Tensor bias = randn({1, 3, 1, 1});
  struct Case {
    const char* name;
    Tensor nchw, cl;
  };
  const std::vector<Case> cases = {
      {"relu", x.relu(), xcl.relu()},
      {"mul scalar", x * 2.0, xcl * 2.0},
      {"add bias", x + bias, xcl + bias},
      {"bias first", bias + x, bias + xcl},
      {"both", x * x, xcl * xcl},
      {"gt", x.gt(0.0), xcl.gt(0.0)},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(c.cl.is_contiguous(kCL) && !c.cl.is_contiguous()) << c.name;
    EXPECT_TRUE(c.nchw.is_contiguous()) << c.name;
    EXPECT_TRUE(equal(c.cl, c.nchw)) << c.name;
  }
  // The first full-size operand decides, as in PyTorch: NCHW + channels-last is NCHW.
  EXPECT_TRUE((x + xcl).is_contiguous());
  EXPECT_TRUE((xcl + x).is_contiguous(kCL));
}

}  // namespace
}  // namespace ember
