// The activations (gelu, silu, elu, softplus, hardtanh, relu6, mish) and elementwise losses
// (l1, smooth_l1, huber, BCE, BCE with logits) on CUDA give the CPU's values, gradients and
// second derivatives in float64, float32 and bfloat16; a BCE input outside [0, 1] is the
// error at the next synchronising point. Skips without a GPU.
#include <functional>
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Act = std::function<Tensor(const Tensor&)>;
using Loss = std::function<Tensor(const Tensor&, const Tensor&)>;

const std::vector<std::pair<const char*, Act>>& activations() {
  static const std::vector<std::pair<const char*, Act>> all{
      {"gelu", [](const Tensor& x) { return F::gelu(x); }},
      {"gelu tanh", [](const Tensor& x) { return F::gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return F::silu(x); }},
      {"elu", [](const Tensor& x) { return F::elu(x, 0.7); }},
      {"softplus", [](const Tensor& x) { return F::softplus(x, 2.0, 3.0); }},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x, -1.5, 2.0); }},
      {"relu6", [](const Tensor& x) { return F::relu6(x * 3.0); }},
      {"mish", [](const Tensor& x) { return F::mish(x); }},
  };
  return all;
}

// y, dy/dx for the incoming gradient gy, and d/dx <dy/dx, v> (create_graph), on `device`.
std::vector<Tensor> activation_results(const Act& f, const Tensor& x_cpu, const Tensor& gy, const Tensor& v,
                                       Device device) {
  Tensor x = x_cpu.to(device).detach().requires_grad_(true);
  Tensor y = f(x);
  Tensor g = autograd::grad({y}, {x}, {gy.to(device)}, std::nullopt, /*create_graph=*/true)[0];
  Tensor gg = autograd::grad({(g * v.to(device)).sum()}, {x}, {}, std::nullopt, false, /*allow_unused=*/true)[0];
  if (!gg.defined()) gg = zeros_like(x);
  return {y.detach(), g.detach(), gg};
}

void expect_same(const std::vector<Tensor>& cpu, const std::vector<Tensor>& gpu, double tol) {
  ASSERT_EQ(cpu.size(), gpu.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(gpu[i].device().is_cuda());
    EXPECT_EQ(gpu[i].dtype(), cpu[i].dtype());
    const auto a = cpu[i].to_vector<double>(), b = gpu[i].cpu().to_vector<double>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(b[k], a[k], tol * std::max(1.0, std::abs(a[k]))) << "at " << k;
  }
}

TEST(CudaActivations, MatchTheCpuToSecondOrder) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(3);
  // a strided (transposed) input, values spread over every branch
  const Tensor x = (randn({7, 5}, kFloat64) * 3.0).transpose(0, 1);
  const Tensor gy = randn({5, 7}, kFloat64), v = randn({5, 7}, kFloat64);
  for (const auto& [name, f] : activations()) {
    SCOPED_TRACE(name);
    expect_same(activation_results(f, x, gy, v, Device::cpu()), activation_results(f, x, gy, v, Device::cuda(0)),
                1e-12);
    // float32 and bfloat16: the same functors, so only the libraries' last bits may differ
    for (const DType dt : {kFloat32, kBFloat16}) {
      const Tensor xd = x.to(dt), gd = gy.to(dt);
      Tensor xc = xd.detach().requires_grad_(true), xg = xd.cuda().detach().requires_grad_(true);
      Tensor yc = f(xc), yg = f(xg);
      const double tol = dt == kFloat32 ? 1e-5 : 1.0 / 128;
      expect_same({yc.detach(), autograd::grad({yc}, {xc}, {gd})[0]},
                  {yg.detach(), autograd::grad({yg}, {xg}, {gd.cuda()})[0]}, tol);
    }
  }
}

std::vector<std::pair<const char*, Loss>> losses(F::Reduction r) {
  return {
      {"l1", [r](const Tensor& x, const Tensor& t) { return F::l1_loss(x, t, r); }},
      {"smooth_l1", [r](const Tensor& x, const Tensor& t) { return F::smooth_l1_loss(x, t, r, 0.6); }},
      {"huber", [r](const Tensor& x, const Tensor& t) { return F::huber_loss(x, t, r, 0.8); }},
      {"bce", [r](const Tensor& x, const Tensor& t) {
         const Tensor w = tensor(std::vector<double>{0.5, 1.0, 2.0, 1.5}).to(x.device());
         return F::binary_cross_entropy(x.sigmoid(), t.sigmoid(), w, r);
       }},
      {"bce logits", [r](const Tensor& x, const Tensor& t) {
         const Tensor w = tensor(std::vector<double>{0.5, 1.0, 2.0, 1.5}).to(x.device());
         const Tensor pw = tensor(std::vector<double>{2.0, 0.5, 1.0, 3.0}).to(x.device());
         return F::binary_cross_entropy_with_logits(x, t.sigmoid(), w, r, pw);
       }},
  };
}

// loss, its gradients for input and target, and d/d(input, target) <d loss/dx, v>.
std::vector<Tensor> loss_results(const Loss& f, const Tensor& x_cpu, const Tensor& t_cpu, const Tensor& v,
                                 Device device) {
  Tensor x = x_cpu.to(device).detach().requires_grad_(true), t = t_cpu.to(device).detach().requires_grad_(true);
  Tensor l = f(x, t);
  const Tensor gl = ones_like(l);
  const auto g = autograd::grad({l}, {x, t}, {gl}, std::nullopt, /*create_graph=*/true);
  const auto gg = autograd::grad({(g[0] * v.to(device)).sum()}, {x, t}, {}, std::nullopt, false, true);
  std::vector<Tensor> out{l.detach(), g[0].detach(), g[1].detach()};
  for (const Tensor& h : gg) out.push_back(h.defined() ? h : zeros_like(x));
  return out;
}

TEST(CudaLosses, MatchTheCpuForEveryReductionToSecondOrder) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(5);
  const Tensor x = randn({3, 4}, kFloat64) * 2.0, t = randn({3, 4}, kFloat64), v = randn({3, 4}, kFloat64);
  for (const F::Reduction r : {F::Reduction::None, F::Reduction::Mean, F::Reduction::Sum}) {
    for (const auto& [name, f] : losses(r)) {
      SCOPED_TRACE(name);
      expect_same(loss_results(f, x, t, v, Device::cpu()), loss_results(f, x, t, v, Device::cuda(0)), 1e-12);
      // float32 first order, for input and target: without create_graph the fused
      // backward kernels run (LossGradInput / LossGradTarget), not the composed ops
      Tensor xc = x.to(kFloat32).requires_grad_(true), xg = x.to(kFloat32).cuda().requires_grad_(true);
      Tensor tc = t.to(kFloat32).requires_grad_(true), tg = t.to(kFloat32).cuda().requires_grad_(true);
      Tensor lc = f(xc, tc), lg = f(xg, tg);
      const auto gc = autograd::grad({lc.sum()}, {xc, tc}), gg = autograd::grad({lg.sum()}, {xg, tg});
      expect_same({lc.detach(), gc[0], gc[1]}, {lg.detach(), gg[0], gg[1]}, 1e-5);
    }
  }
}

TEST(CudaLosses, BinaryCrossEntropyInputOutOfRangeIsReportedAtTheNextSync) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor t = tensor(std::vector<float>{0.0f, 1.0f}).cuda();
  EXPECT_EMBER_ERROR(
      {
        Tensor l = F::binary_cross_entropy(tensor(std::vector<float>{0.5f, 1.5f}).cuda(), t);
        cuda::synchronize();
      },
      "all elements of input should be between 0 and 1");
  // the word is cleared: the next good call succeeds
  Tensor ok = F::binary_cross_entropy(tensor(std::vector<float>{0.25f, 0.75f}).cuda(), t);
  EXPECT_NEAR(ok.item<float>(), 0.2876820724517809, 1e-6);  // -log(0.75)
  // A target outside [0, 1] too (PyTorch 2), named as the target.
  EXPECT_EMBER_ERROR(
      {
        Tensor l = F::binary_cross_entropy(tensor(std::vector<float>{0.5f, 0.5f}).cuda(),
                                           tensor(std::vector<float>{0.0f, 1.5f}).cuda());
        cuda::synchronize();
      },
      "all elements of target should be between 0 and 1");
}

}  // namespace
}  // namespace ember
