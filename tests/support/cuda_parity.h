// What the cuda-labelled parity tests share: an op run on the CPU and on CUDA from the same
// inputs, its output and the gradients of (op * g).sum() to every input compared within tol
// (sums that atomics or another product order add differently on the GPU).
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <functional>
#include <vector>

#include "support/helpers.h"

namespace ember::testing {

// Matrix products (cuBLAS) in full float32 for a test's scope: TF32 would round to ~1e-3.
// (NoTf32 in support/helpers.h is the convolutions' switch.)
class NoMatmulTf32 {
 public:
  NoMatmulTf32() : previous_(cuda::matmul_allow_tf32()) { cuda::set_matmul_allow_tf32(false); }
  ~NoMatmulTf32() { cuda::set_matmul_allow_tf32(previous_); }
  NoMatmulTf32(const NoMatmulTf32&) = delete;
  NoMatmulTf32& operator=(const NoMatmulTf32&) = delete;

 private:
  bool previous_;
};

using CudaParityOp = std::function<Tensor(const std::vector<Tensor>&)>;

// Every input becomes a leaf requiring grad on each device (the CPU's shares its storage);
// NaN matches NaN, and a gradient left undefined on one device must be on the other.
inline void expect_cuda_matches_cpu(const std::vector<Tensor>& inputs, const CudaParityOp& op, double tol = 1e-12) {
  std::vector<Tensor> cpu, gpu;
  for (const Tensor& t : inputs) {
    cpu.push_back(t.detach().requires_grad_(true));
    gpu.push_back(t.cuda().detach().requires_grad_(true));
  }
  const Tensor yc = op(cpu), yg = op(gpu);
  expect_same(yc.detach(), yg.detach(), tol);
  const Tensor g = randn(yc.sizes(), kFloat64).to(yc.dtype());
  (yc * g).sum().backward();
  (yg * g.cuda()).sum().backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE("the gradient of input " + std::to_string(i));
    ASSERT_EQ(cpu[i].grad().defined(), gpu[i].grad().defined());
    if (cpu[i].grad().defined()) expect_same(cpu[i].grad(), gpu[i].grad(), tol);
  }
}

}  // namespace ember::testing
