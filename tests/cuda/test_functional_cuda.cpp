// torch.autograd.functional on CUDA (autograd/functional.h): the Jacobian, a
// Jacobian-vector product and a Hessian-vector product of a small conv net's loss (cuDNN
// convolution and its double backward, batch norm, pooling, cross_entropy, prod's
// third derivative) give the CPU's values in float64, TF32 off; a custom Function<T> runs
// on CUDA tensors and its backward's wrong device is PyTorch's error. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace AF = autograd::functional;
namespace F = nn::functional;
using autograd::tensor_list;

Tensor net_loss(const tensor_list& in) {
  const Tensor targets = tensor(std::vector<int64_t>{2, 0}, {2}).to(in[0].device());
  Tensor h = F::conv2d(in[0], in[1], Tensor(), 1, 1);
  h = F::batch_norm(h, Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
  h = F::max_pool2d(F::relu(h), 2).flatten(1);
  return F::cross_entropy(F::linear(h, in[2]), targets) + 0.1 * in[2].prod(1).sum();
}

tensor_list on(const tensor_list& values, Device device) {
  tensor_list out;
  for (const Tensor& v : values) out.push_back(v.to(device));
  return out;
}

TEST(CudaFunctional, JacobianAndProductsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const testing::NoTf32 full_float32;
  manual_seed(5);
  const tensor_list in{randn({2, 1, 6, 6}, kFloat64), randn({3, 1, 3, 3}, kFloat64) * 0.5,
                       randn({3, 3 * 3 * 3}, kFloat64) * 0.5};
  const tensor_list v{randn({2, 1, 6, 6}, kFloat64), randn({3, 1, 3, 3}, kFloat64), randn({3, 27}, kFloat64)};
  const Device gpu = Device::cuda(0);
  const tensor_list jac_cpu = AF::jacobian(net_loss, in), jac_gpu = AF::jacobian(net_loss, on(in, gpu));
  const auto [loss_cpu, jv_cpu] = AF::jvp(net_loss, in, v);
  const auto [loss_gpu, jv_gpu] = AF::jvp(net_loss, on(in, gpu), on(v, gpu));
  const auto [out_cpu, hv_cpu] = AF::hvp(net_loss, in, v);
  const auto [out_gpu, hv_gpu] = AF::hvp(net_loss, on(in, gpu), on(v, gpu));
  testing::expect_same(loss_cpu, loss_gpu, 1e-12);
  testing::expect_same(jv_cpu, jv_gpu, 1e-9);
  testing::expect_same(out_cpu, out_gpu, 1e-12);
  for (size_t i = 0; i < in.size(); ++i) {
    testing::expect_same(jac_cpu[i], jac_gpu[i], 1e-9);
    testing::expect_same(hv_cpu[i], hv_gpu[i], 1e-8);
  }
}

// exp with its saved output; MoveToCpu's backward gives a gradient on the wrong device.
struct SavedExp : autograd::Function<SavedExp> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& x) {
    Tensor y = x.exp();
    ctx->save_for_backward({y});
    return y;
  }
  static tensor_list backward(autograd::AutogradContext* ctx, tensor_list g) {
    return {g[0] * ctx->get_saved_variables()[0]};
  }
};
struct MoveToCpu : autograd::Function<MoveToCpu> {
  static Tensor forward(autograd::AutogradContext*, const Tensor& x) { return x * 2.0; }
  static tensor_list backward(autograd::AutogradContext*, tensor_list g) { return {g[0].cpu()}; }
};

TEST(CudaFunctional, CustomFunctionRunsOnCuda) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor values = tensor(std::vector<double>{0.5, -1.0, 2.0}, {3}, TensorOptions(kFloat64));
  const Tensor x = values.to(Device::cuda(0)).requires_grad_(true);
  (SavedExp::apply(x) * 3.0).sum().backward();
  testing::expect_same(values.exp() * 3.0, x.grad(), 1e-12);  // CUDA's exp: within an ulp or so
  EXPECT_EQ(testing::error_of([&] { MoveToCpu::apply(x).sum().backward(); }),
            "Function MoveToCpuBackward returned an invalid gradient at index 0 - expected device cuda:0 but got cpu");
}

}  // namespace
}  // namespace ember
