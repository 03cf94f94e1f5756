// The further activations, normalize/cosine_similarity/pairwise_distance/cdist and the
// margin/likelihood losses on CUDA give the CPU's values and gradients (float64 and
// float32, strided inputs, a PReLU module moved to the GPU). Skips without a GPU.
#include <cmath>
#include <functional>
#include <limits>
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using Fn = std::function<Tensor(const Inputs&, Device)>;

Tensor longs_on(const std::vector<int64_t>& v, Device device) {
  return tensor(v, {static_cast<int64_t>(v.size())}).to(device);
}

// Every new op as a function of float inputs (constants such as targets made on `device`).
std::vector<std::pair<const char*, Fn>> ops() {
  return {
      {"hardswish", [](const Inputs& in, Device) { return F::hardswish(in[0] * 4.0); }},
      {"hardsigmoid", [](const Inputs& in, Device) { return F::hardsigmoid(in[0] * 4.0); }},
      {"prelu", [](const Inputs& in, Device) { return F::prelu(in[0], in[1].select(1, 0).narrow(0, 0, 3)); }},
      {"selu", [](const Inputs& in, Device) { return F::selu(in[0]); }},
      {"celu", [](const Inputs& in, Device) { return F::celu(in[0], 0.7); }},
      {"logsigmoid", [](const Inputs& in, Device) { return F::logsigmoid(in[0] * 10.0); }},
      {"softsign", [](const Inputs& in, Device) { return F::softsign(in[0]); }},
      {"tanhshrink", [](const Inputs& in, Device) { return F::tanhshrink(in[0]); }},
      {"hardshrink", [](const Inputs& in, Device) { return F::hardshrink(in[0], 0.4); }},
      {"softshrink", [](const Inputs& in, Device) { return F::softshrink(in[0], 0.4); }},
      {"threshold", [](const Inputs& in, Device) { return F::threshold(in[0], 0.1, -3.0); }},
      {"glu", [](const Inputs& in, Device) { return F::glu(in[0], 0); }},
      {"softmin", [](const Inputs& in, Device) { return F::softmin(in[0], 0); }},
      {"normalize", [](const Inputs& in, Device) { return F::normalize(in[0], 3.0, 1); }},
      {"cosine_similarity", [](const Inputs& in, Device) { return F::cosine_similarity(in[0], in[1]); }},
      {"pairwise_distance", [](const Inputs& in, Device) { return F::pairwise_distance(in[0], in[1], 1.5); }},
      {"cdist", [](const Inputs& in, Device) { return cdist(in[0], in[1]); }},
      {"kl_div", [](const Inputs& in, Device) { return F::kl_div(log_softmax(in[0], 1), softmax(in[1], 1), "batchmean"); }},
      {"kl_div log_target", [](const Inputs& in, Device) { return F::kl_div(in[0], in[1], "none", true); }},
      {"margin_ranking", [](const Inputs& in, Device) { return F::margin_ranking_loss(in[0], in[1], sign(in[2]), 0.2); }},
      {"hinge_embedding", [](const Inputs& in, Device) { return F::hinge_embedding_loss(in[0], sign(in[1]), 0.5); }},
      {"soft_margin", [](const Inputs& in, Device) { return F::soft_margin_loss(in[0], sign(in[1]), "sum"); }},
      {"cosine_embedding",
       [](const Inputs& in, Device d) {
         return F::cosine_embedding_loss(in[0], in[1], tensor(std::vector<double>{1, -1, 1, -1, 1, -1}).to(d).to(in[0].dtype()),
                                         0.1);
       }},
      {"triplet_margin", [](const Inputs& in, Device) { return F::triplet_margin_loss(in[0], in[1], in[2], 1.0, 2.0, 1e-6, true); }},
      {"multilabel_soft_margin",
       [](const Inputs& in, Device) { return F::multilabel_soft_margin_loss(in[0], (in[1] > 0.0).to(in[0].dtype())); }},
      {"multi_margin",
       [](const Inputs& in, Device d) {
         return F::multi_margin_loss(in[0], longs_on({0, 2, 1, 2, 0, 1}, d), 2, 0.8, softmax(in[1][0], 0).detach());
       }},
      {"gaussian_nll", [](const Inputs& in, Device) { return F::gaussian_nll_loss(in[0], in[1], in[2] * in[2], true); }},
      {"poisson_nll", [](const Inputs& in, Device) { return F::poisson_nll_loss(in[0], abs(in[1]), true, false, 1e-8, "none"); }},
  };
}

// The output and the gradient of every input, for the upstream gradient `seed` (ones for a scalar).
std::vector<Tensor> results(const Fn& f, const Inputs& cpu_inputs, Device device) {
  Inputs in;
  for (const Tensor& t : cpu_inputs) in.push_back(t.to(device).detach().requires_grad_(true));
  // strided views of the leaves: each op sees a non-contiguous operand
  Inputs strided;
  for (const Tensor& t : in) strided.push_back(t.t().contiguous().t());
  Tensor y = f(strided, device);
  Tensor g = ones_like(y);
  auto grads = autograd::grad({y}, in, {g}, std::nullopt, false, /*allow_unused=*/true);
  std::vector<Tensor> out{y.detach()};
  for (const Tensor& gr : grads) out.push_back(gr.defined() ? gr : zeros({1}, TensorOptions().device(device)));
  return out;
}

TEST(CudaNNFunctionalExtra, ValuesAndGradientsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (DType dtype : {kFloat64, kFloat32}) {
    manual_seed(31);
    const Inputs inputs{randn({6, 3}, dtype), randn({6, 3}, dtype), randn({6, 3}, dtype)};
    const double tol = dtype == kFloat64 ? 1e-10 : 2e-5;
    for (const auto& [name, f] : ops()) {
      SCOPED_TRACE(std::string(name) + (dtype == kFloat64 ? " float64" : " float32"));
      const auto cpu = results(f, inputs, Device::cpu());
      const auto gpu = results(f, inputs, Device::cuda(0));
      ASSERT_EQ(cpu.size(), gpu.size());
      for (size_t i = 0; i < cpu.size(); ++i) {
        SCOPED_TRACE(i);
        testing::expect_same(cpu[i], gpu[i], tol * std::max(1.0, abs(cpu[i]).max().item<double>()));
      }
    }
  }
}

TEST(CudaNNFunctionalExtra, ModulesMoveTheirParametersAndBuffers) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(32);
  nn::PReLU cpu(3, 0.2), gpu(3, 0.2);
  gpu.to(Device::cuda(0));
  Tensor x = randn({2, 3, 4});
  Tensor y_cpu = cpu(x), y_gpu = gpu(x.to(Device::cuda(0)));
  testing::expect_same(y_cpu, y_gpu, 1e-6);
  y_cpu.sum().backward();
  y_gpu.sum().backward();
  testing::expect_same(cpu.weight.grad(), gpu.weight.grad(), 1e-5);

  Tensor w = rand({4});
  nn::MultiMarginLoss loss_cpu(1, 1.0, w), loss_gpu(1, 1.0, w);
  loss_gpu.to(Device::cuda(0));
  Tensor input = randn({5, 4}), target = tensor(std::vector<int64_t>{0, 3, 1, 2, 3}, {5});
  testing::expect_same(loss_cpu(input, target), loss_gpu(input.to(Device::cuda(0)), target.to(Device::cuda(0))), 1e-6);
}

// A row holding +inf is NaN throughout (torch 1.13), -inf rows too; finite rows are unchanged:
// the CUDA rows' logsumexp (fused::logsumexp_from) against the CPU's.
TEST(CudaNNFunctionalExtra, InfiniteSoftmaxRowsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor(std::vector<double>{1.0, inf, 2.0, -inf, -inf, -inf, 0.0, -inf, 0.0}, {3, 3});
  for (const bool log : {false, true}) {
    const Tensor cpu = log ? F::log_softmax(x, 1) : F::softmax(x, 1);
    const Tensor gpu = (log ? F::log_softmax(x.cuda(), 1) : F::softmax(x.cuda(), 1)).cpu();
    const auto a = cpu.to_vector<double>(), b = gpu.to_vector<double>();
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a[i])) {
        EXPECT_TRUE(std::isnan(b[i])) << i;
      } else {
        EXPECT_DOUBLE_EQ(a[i], b[i]) << i;  // the devices round softmax differently
      }
    }
    for (int j = 0; j < 6; ++j) EXPECT_TRUE(std::isnan(a[j])) << j;
  }
}

}  // namespace
}  // namespace ember
