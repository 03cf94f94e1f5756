// What the linalg tests share: float64 matrices from values, the transpose of the last two
// dims, outputs of the decompositions that do not depend on LAPACK's signs, and the
// CUDA-against-CPU comparison of values, gradients and a Hessian-vector product.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <tuple>
#include <vector>

#include "support/helpers.h"

namespace ember::testing {

inline Tensor f64(const std::vector<double>& values, const Dims& shape) { return tensor(values, shape, kFloat64); }

inline Tensor transposed(const Tensor& x) { return x.transpose(-2, -1); }

// eigh's eigenvalues and squared eigenvector entries, flattened and joined.
inline Tensor sign_free_eigh(const Tensor& A, std::string_view UPLO = "L") {
  const auto [L, V] = linalg::eigh(A, UPLO);
  return cat({L.flatten(), (V * V).flatten()});
}

// svd's U^2, S and Vh^2 (of the first k = min(m, n) columns and rows), flattened and joined.
inline Tensor sign_free_svd(const Tensor& A, bool full_matrices = false) {
  const auto [U, S, Vh] = linalg::svd(A, full_matrices);
  const int64_t k = S.size(-1);
  const Tensor Uk = U.narrow(-1, 0, k), Vhk = Vh.narrow(-2, 0, k);
  return cat({(Uk * Uk).flatten(), S.flatten(), (Vhk * Vhk).flatten()});
}

// qr's Q and R, flattened and joined.
inline Tensor joined_qr(const Tensor& A, std::string_view mode = "reduced") {
  const auto [Q, R] = linalg::qr(A, mode);
  return cat({Q.flatten(), R.flatten()});
}

// op of A as a leaf on the CPU and on CUDA: the values, the gradient of their sum (with
// create_graph) and its Hessian-vector product with probe agree within 1e-10, relative to
// the CPU's largest value; op's result lives on its input's device.
inline void expect_cuda_matches_cpu(const std::function<Tensor(const Tensor&)>& op, const Tensor& A,
                                    const Tensor& probe) {
  std::vector<Tensor> values, grads, hvps;
  for (const Device device : {Device::cpu(), Device::cuda()}) {
    Tensor a = A.to(device).detach().requires_grad_(true);  // a leaf on each device
    const Tensor y = op(a);
    EXPECT_EQ(y.device(), device);
    values.push_back(y.detach().cpu());
    const Tensor g = autograd::grad({y.sum()}, {a}, {}, std::nullopt, /*create_graph=*/true)[0];
    grads.push_back(g.detach().cpu());
    hvps.push_back(autograd::grad({(g * probe.to(device)).sum()}, {a})[0].cpu());
  }
  for (const auto* pair : {&values, &grads, &hvps}) {
    const Tensor& cpu = (*pair)[0];
    EXPECT_LT(max_abs_diff(cpu, (*pair)[1]), 1e-10 * std::max(1.0, cpu.abs().max().item<double>()));
  }
}

}  // namespace ember::testing
