// The matrix-shaped ops on CUDA against the CPU: tril/triu (the triangle kernel, every
// element size, strided and in place), the diagonal view and diag_embed, the scaled
// products through cuBLAS with alpha/beta (beta = 0 ignoring NaN), mv, addr, renorm and einsum, values
// and gradients in float64 and float32. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Values and gradients of fn on the CPU and on CUDA for float64 and float32 inputs of
// the given shapes (TF32 off: full float32 products on both).
void expect_cuda_matches_cpu(const char* name, const Fn& fn, const std::vector<Dims>& shapes) {
  const bool tf32 = cuda::matmul_allow_tf32();
  cuda::set_matmul_allow_tf32(false);
  for (DType dt : {kFloat64, kFloat32}) {
    SCOPED_TRACE(std::string(name) + (dt == kFloat64 ? " float64" : " float32"));
    const double tol = dt == kFloat64 ? 1e-12 : 1e-5;
    std::vector<Tensor> cpu_in, cuda_in;
    for (const Dims& shape : shapes) {
      const Tensor x = randn(shape, kFloat64).to(dt);
      cpu_in.push_back(x.detach().requires_grad_(true));
      cuda_in.push_back(x.cuda().detach().requires_grad_(true));
    }
    const Tensor out_cpu = fn(cpu_in), out_cuda = fn(cuda_in);
    ASSERT_TRUE(out_cuda.is_cuda());
    EXPECT_TRUE(allclose(out_cpu.detach(), out_cuda.detach().cpu(), tol, tol));
    const Tensor g = randn(out_cpu.sizes(), kFloat64).to(dt);
    (out_cpu * g).sum().backward();
    (out_cuda * g.cuda()).sum().backward();
    for (size_t i = 0; i < shapes.size(); ++i)
      EXPECT_TRUE(allclose(cpu_in[i].grad(), cuda_in[i].grad().cpu(), tol * 10, tol * 10)) << "input " << i;
  }
  cuda::set_matmul_allow_tf32(tf32);
}

TEST(CudaLinalgShape, TrianglesOfEveryDtype) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(21);
  const Tensor x = randn({3, 5, 7}, kFloat64);
  for (DType dt : {kFloat64, kFloat32, kBFloat16, kInt64, kUInt8, kBool}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor xt = (dt == kUInt8 || dt == kInt64 ? x * 10.0 + 40.0 : x).to(dt);
    for (int64_t k : {-6, -1, 0, 2, 9}) {
      EXPECT_TRUE(equal(tril(xt, k), tril(xt.cuda(), k).cpu()));
      EXPECT_TRUE(equal(triu(xt.transpose(1, 2), k), triu(xt.cuda().transpose(1, 2), k).cpu()));
    }
  }
  // in place on a strided view: the base changes where the view's triangle is zeroed
  Tensor cpu = x.clone(), gpu = x.cuda();
  cpu.transpose(0, 2).tril_(1);
  gpu.transpose(0, 2).tril_(1);
  EXPECT_TRUE(equal(cpu, gpu.cpu()));
  EXPECT_EQ(tril(zeros({0, 4, 4}).cuda()).sizes(), (Dims{0, 4, 4}));
}

TEST(CudaLinalgShape, ViewsAndTheirGradientsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(22);
  expect_cuda_matches_cpu("tril/triu", [](const auto& in) { return tril(in[0], -1) + triu(in[0].transpose(1, 2), 1); },
                          {{2, 4, 4}});
  expect_cuda_matches_cpu("diagonal", [](const auto& in) { return in[0].diagonal(1, 2, 0) * 2.0; }, {{3, 2, 4}});
  expect_cuda_matches_cpu("diag_embed", [](const auto& in) { return diag_embed(in[0], -1, 0, 2); }, {{2, 3}});
  expect_cuda_matches_cpu("diag trace outer",
                          [](const auto& in) { return diag(in[0]) + trace(outer(in[1], in[1])) + diag(in[1], 1).sum(); },
                          {{3, 3}, {3}});
  // writes through a diagonal view land in the CUDA base
  Tensor m = zeros({3, 3}).cuda();
  m.diagonal().fill_(2.0);
  EXPECT_TRUE(equal(m.cpu(), diag(full({3}, 2.0))));
}

TEST(CudaLinalgShape, ScaledProductsMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(23);
  expect_cuda_matches_cpu("addmm", [](const auto& in) { return addmm(in[0], in[1], in[2].t(), 0.5, -2); },
                          {{5}, {4, 6}, {5, 6}});
  expect_cuda_matches_cpu("addmv", [](const auto& in) { return addmv(in[0], in[1].t(), in[2], 2, 0.25); },
                          {{1}, {6, 4}, {6}});
  expect_cuda_matches_cpu("mv", [](const auto& in) { return in[0].t().mv(in[1]); }, {{6, 4}, {6}});
  expect_cuda_matches_cpu("addr", [](const auto& in) { return addr(in[0], in[1], in[2], 0.5, -2); },
                          {{1, 5}, {4}, {5}});
  expect_cuda_matches_cpu("renorm", [](const auto& in) { return renorm(in[0], 2, 1, 1.0); }, {{3, 4, 2}});
  expect_cuda_matches_cpu("baddbmm", [](const auto& in) { return baddbmm(in[0], in[1], in[2], -1, 3); },
                          {{3, 1, 5}, {3, 4, 6}, {3, 6, 5}});
  expect_cuda_matches_cpu("addbmm", [](const auto& in) { return addbmm(in[0], in[1].transpose(1, 2), in[2], 1, 0.5); },
                          {{4, 5}, {3, 6, 4}, {3, 6, 5}});
  // beta = 0: NaN in the input does not reach the result on CUDA either
  const Tensor nan_input = full({5}, std::numeric_limits<double>::quiet_NaN(), dtype(kFloat64));
  const Tensor a = randn({4, 6}, kFloat64), b = randn({6, 5}, kFloat64);
  const Tensor out = addmm(nan_input.cuda(), a.cuda(), b.cuda(), 0, 2).cpu();
  EXPECT_TRUE(allclose(out, matmul(a, b) * 2.0, 1e-12, 1e-12));
  // an empty sum: beta * input
  const Tensor empty_k = addmm(ones({3}).cuda(), zeros({2, 0}).cuda(), zeros({0, 3}).cuda(), 3).cpu();
  EXPECT_TRUE(equal(empty_k, full({2, 3}, 3.0f)));
}

TEST(CudaLinalgShape, EinsumMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(24);
  expect_cuda_matches_cpu("ij,jk", [](const auto& in) { return einsum("ij,jk", in); }, {{3, 4}, {4, 5}});
  expect_cuda_matches_cpu("bij,bkj->bik", [](const auto& in) { return einsum("bij,bkj->bik", in); },
                          {{2, 3, 4}, {2, 5, 4}});
  expect_cuda_matches_cpu("iij,jk->ki", [](const auto& in) { return einsum("iij,jk->ki", in); }, {{3, 3, 4}, {4, 2}});
  expect_cuda_matches_cpu("...ij,...jk", [](const auto& in) { return einsum("...ij,...jk", in); },
                          {{2, 1, 3, 4}, {5, 4, 2}});
  expect_cuda_matches_cpu("ij,jk,kl->il", [](const auto& in) { return einsum("ij,jk,kl->il", in); },
                          {{2, 3}, {3, 4}, {4, 2}});
}

}  // namespace
}  // namespace ember
