// scaled_dot_product_attention and nn::MultiheadAttention on CUDA against the CPU: the
// function's values and gradients in float64 and float32 (cuBLAS without TF32), masks, causal
// and grouped heads, a query row without keys, dropout on the device; the module's outputs,
// weights and parameters' gradients in float64; nn::Transformer. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using testing::expect_cuda_matches_cpu;
using testing::NoMatmulTf32;

TEST(CudaAttention, ScaledDotProductAttentionMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoMatmulTf32 full_float32;
  manual_seed(21);
  // Query row 1 sees no key: zeros on both devices, and no NaN in any gradient.
  const Tensor mask = tensor(std::vector<double>{1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1}).reshape({3, 5}) > 0.5;
  for (const DType dt : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype_name(dt));
    const double tol = dt == kFloat64 ? 1e-12 : 1e-5;
    const auto in = [dt](const Dims& shape) { return randn(shape, kFloat64).to(dt); };
    expect_cuda_matches_cpu(
        {in({2, 3, 4}), in({2, 5, 4}), in({2, 5, 6})},
        [&mask](const std::vector<Tensor>& t) {
          return F::scaled_dot_product_attention(t[0], t[1], t[2], mask.to(t[0].device()));
        },
        tol);
    expect_cuda_matches_cpu(
        {in({2, 2, 3, 4}), in({2, 2, 5, 4}), in({2, 2, 5, 3}), in({1, 1, 3, 5})},
        [](const std::vector<Tensor>& t) {
          return F::scaled_dot_product_attention(t[0], t[1], t[2], t[3], 0.0, false, 0.3);
        },
        tol);
    expect_cuda_matches_cpu(
        {in({1, 4, 4}), in({1, 6, 4}), in({1, 6, 2})},
        [](const std::vector<Tensor>& t) {
          return F::scaled_dot_product_attention(t[0], t[1], t[2], Tensor(), 0.0, true);
        },
        tol);
    expect_cuda_matches_cpu(
        {in({1, 4, 3, 4}), in({1, 2, 5, 4}), in({1, 2, 5, 4})},
        [](const std::vector<Tensor>& t) {
          return F::scaled_dot_product_attention(t[0], t[1], t[2], Tensor(), 0.0, false, std::nullopt, true);
        },
        tol);
  }
  // The row without keys: no NaN in the GPU's gradients either (NaN on both devices would match).
  const Tensor q = randn({2, 3, 4}).cuda().requires_grad_(true), k = randn({2, 5, 4}).cuda().requires_grad_(true);
  const Tensor v = randn({2, 5, 6}).cuda();
  F::scaled_dot_product_attention(q, k, v, mask.cuda()).sum().backward();
  EXPECT_FALSE(ember::isnan(q.grad()).any().item<bool>());
  EXPECT_FALSE(ember::isnan(k.grad()).any().item<bool>());
  // Dropout draws on the device: a p = 0.5 output finite and not the undropped one.
  NoGradGuard no_grad;
  const Tensor dropped = F::scaled_dot_product_attention(q, k, v, Tensor(), 0.5);
  EXPECT_TRUE(ember::isfinite(dropped).all().item<bool>());
  EXPECT_GT(testing::max_abs_diff(dropped.cpu(), F::scaled_dot_product_attention(q, k, v).cpu()), 1e-3);
}

TEST(CudaAttention, MultiheadAttentionMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoMatmulTf32 full_float32;
  manual_seed(22);
  nn::MultiheadAttention cpu(8, 2, {.add_bias_kv = true, .kdim = 6, .vdim = 5, .batch_first = true});
  manual_seed(22);
  nn::MultiheadAttention gpu(8, 2, {.add_bias_kv = true, .kdim = 6, .vdim = 5, .batch_first = true});
  cpu.to(kFloat64);
  gpu.to(kFloat64);
  gpu.to(Device::cuda(0));
  const Tensor q = randn({3, 4, 8}, kFloat64), k = randn({3, 7, 6}, kFloat64), v = randn({3, 7, 5}, kFloat64);
  const Tensor kpm = randn({3, 7}) > 1.0, attn = randn({4, 7}, kFloat64);
  for (const bool need_weights : {true, false}) {
    SCOPED_TRACE(need_weights ? "with weights" : "without weights");
    const auto [out_c, w_c] = cpu(q, k, v, {.key_padding_mask = kpm, .need_weights = need_weights, .attn_mask = attn});
    const auto [out_g, w_g] =
        gpu(q.cuda(), k.cuda(), v.cuda(),
            {.key_padding_mask = kpm.cuda(), .need_weights = need_weights, .attn_mask = attn.cuda()});
    testing::expect_same(out_c, out_g, 1e-12);
    if (need_weights) testing::expect_same(w_c, w_g, 1e-12);
    cpu.zero_grad();
    gpu.zero_grad();
    out_c.sum().backward();
    out_g.sum().backward();
    const auto pc = cpu.named_parameters(), pg = gpu.named_parameters();
    ASSERT_EQ(pc.size(), pg.size());
    for (size_t i = 0; i < pc.size(); ++i) {
      SCOPED_TRACE(pc[i].first);
      ASSERT_EQ(pc[i].second.grad().defined(), pg[i].second.grad().defined());
      if (pc[i].second.grad().defined()) testing::expect_same(pc[i].second.grad(), pg[i].second.grad(), 1e-12);
    }
  }
}

// nn::Transformer (encoder, decoder, their norms) on CUDA: values and the gradients of src, tgt
// and the masks' consumers, float64, masks made on the CPU and moved.
TEST(CudaAttention, TransformerMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const NoMatmulTf32 full_float32;
  const nn::TransformerOptions options{.d_model = 8,
                                       .nhead = 2,
                                       .num_encoder_layers = 2,
                                       .num_decoder_layers = 2,
                                       .dim_feedforward = 16,
                                       .dropout = 0.0,
                                       .norm_first = true};
  manual_seed(23);
  nn::Transformer cpu(options);
  manual_seed(23);
  nn::Transformer gpu(options);
  cpu.to(kFloat64);
  gpu.to(kFloat64);
  gpu.to(Device::cuda(0));
  const Tensor causal = nn::generate_square_subsequent_mask(4, TensorOptions(kFloat64));
  const Tensor padding = randn({3, 6}) > 1.0;
  expect_cuda_matches_cpu({randn({6, 3, 8}, kFloat64), randn({4, 3, 8}, kFloat64)}, [&](const std::vector<Tensor>& t) {
    const bool on_gpu = t[0].is_cuda();
    nn::Transformer& model = on_gpu ? gpu : cpu;
    const Device device = t[0].device();
    return model(t[0], t[1],
                 {.tgt_mask = causal.to(device),
                  .src_key_padding_mask = padding.to(device),
                  .memory_key_padding_mask = padding.to(device)});
  });
}

}  // namespace
}  // namespace ember
