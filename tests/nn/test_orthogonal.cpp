// parametrizations::orthogonal (PyTorch 2's torch.nn.utils.parametrizations.orthogonal): the
// registration's weight is the Q of its QR decomposition with diag(R) > 0, for each map, tall,
// wide and batched weights, with and without the trivialization; the weight stays orthogonal
// while SGD trains it; gradients (float64 gradcheck); PyTorch's keys and messages.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

namespace P = nn::utils::parametrize;
namespace PZ = nn::utils::parametrizations;
using ember::testing::expect_gradcheck;
using ember::testing::max_abs_diff;
using ember::testing::names_of;

// Q with orthonormal columns (rows when wide).
double orthogonality_error(const Tensor& Q) {
  const Tensor tall = Q.size(-2) >= Q.size(-1) ? Q : Q.mT();
  const int64_t k = tall.size(-1);
  return max_abs_diff(matmul(tall.mT(), tall),
                      eye(k, tall.options()).expand(tall.sizes().size() == 2 ? Dims{k, k} : Dims{tall.size(0), k, k}));
}

// Q is the Q of W's QR with diag(R) > 0 exactly when Q^T W is upper triangular with a
// positive diagonal (W tall; for a wide W, its transpose).
void expect_q_of(const Tensor& Q, const Tensor& W) {
  const bool wide = W.size(-2) < W.size(-1);
  const Tensor R = matmul((wide ? Q.mT() : Q).mT(), wide ? W.mT() : W);
  EXPECT_LT(max_abs_diff(R, triu(R)), 1e-5) << R;
  EXPECT_GT(diagonal(R, 0, -2, -1).min().item<double>(), 0.0) << R;
}

TEST(Orthogonal, RegistrationTakesTheQOfTheWeightForEachMapAndShape) {
  struct Case {
    int64_t in, out;
    std::optional<std::string> map;
    bool trivialization;
  };
  for (const Case& c : {Case{4, 4, std::nullopt, true}, Case{4, 4, "cayley", true}, Case{4, 4, "householder", true},
                        Case{3, 5, std::nullopt, true}, Case{5, 3, std::nullopt, true}, Case{3, 5, "matrix_exp", true},
                        Case{5, 3, "cayley", true}, Case{3, 5, "householder", false}, Case{5, 3, "householder", false},
                        Case{4, 4, "householder", false}}) {
    SCOPED_TRACE(std::to_string(c.out) + "x" + std::to_string(c.in) + " " + c.map.value_or("default") +
                 (c.trivialization ? "" : " no trivialization"));
    manual_seed(21);
    nn::Linear layer(c.in, c.out);
    const Tensor before = layer.weight.detach().clone();
    PZ::orthogonal(layer, "weight", c.map, c.trivialization);
    EXPECT_LT(orthogonality_error(layer.weight.detach()), 1e-5);
    expect_q_of(layer.weight.detach(), before);
    layer(ones({2, c.in}));  // the call computes the same value
    expect_q_of(layer.weight.detach(), before);
    const Tensor original = layer.get_parameter("parametrizations.weight.original");
    if (c.trivialization) {
      // PyTorch's keys; the original starts at -I, the base holds the orthogonal matrix.
      EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "parametrizations.weight.original",
                                                                        "parametrizations.weight.0.base"}));
      EXPECT_TRUE(equal(original, -eye(c.out, c.in)));
      const int64_t n = std::max(c.in, c.out);
      EXPECT_EQ(layer.get_buffer("parametrizations.weight.0.base").sizes(), (Dims{n, n}));
    } else {
      EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "parametrizations.weight.original"}));
    }
  }
}

TEST(Orthogonal, TheWeightStaysOrthogonalWhileTraining) {
  for (const std::string map : {"matrix_exp", "cayley", "householder"}) {
    for (const bool trivialization : {true, false}) {
      if (!trivialization && map != "householder") continue;
      SCOPED_TRACE(map + (trivialization ? "" : " no trivialization"));
      manual_seed(4);
      nn::Linear layer(6, 4);
      PZ::orthogonal(layer, "weight", map, trivialization);
      optim::SGD sgd(layer.parameters(), {.lr = 0.05});
      const Tensor x = randn({16, 6}), y = randn({16, 4});
      const Tensor weight_before = layer.weight.detach().clone();
      double first = 0, last = 0;
      for (int step = 0; step < 20; ++step) {
        sgd.zero_grad();
        const Tensor loss = (layer(x) - y).pow(2).mean();
        loss.backward();
        sgd.step();
        (step == 0 ? first : last) = loss.item<double>();
      }
      layer(x);
      EXPECT_LT(orthogonality_error(layer.weight.detach()), 1e-5);
      EXPECT_GT(max_abs_diff(layer.weight, weight_before), 1e-3);  // it moved
      EXPECT_LT(last, first);
    }
  }
}

TEST(Orthogonal, GradientsOfEachMap) {
  for (const std::string map : {"matrix_exp", "cayley", "householder"}) {
    for (const Dims& shape : {Dims{3, 3}, Dims{4, 2}, Dims{2, 4}}) {
      SCOPED_TRACE(map);
      manual_seed(8);
      nn::Linear layer(shape[1], shape[0]);
      layer.to(kFloat64);
      PZ::orthogonal(layer, "weight", map);
      auto parametrization = layer.get_submodule("parametrizations.weight.0");
      const Tensor X = (0.3 * randn(shape, dtype(kFloat64))).requires_grad_(true);
      expect_gradcheck([&](const std::vector<Tensor>& in) { return (*parametrization)(in[0]); }, {X});
    }
  }
}

struct Batched : nn::Module {
  Batched() : nn::Module("Batched"), w(register_parameter("w", randn({2, 3, 3}))) {}
  Tensor forward(const Tensor& x) override { return matmul(w, x); }
  Tensor& w;
};

TEST(Orthogonal, BatchesErrorsAndRemoval) {
  manual_seed(2);
  Batched batched;
  const Tensor before = batched.w.detach().clone();
  PZ::orthogonal(batched, "w");
  batched(ones({2, 3, 1}));
  EXPECT_LT(orthogonality_error(batched.w.detach()), 1e-5);
  expect_q_of(batched.w.detach(), before);

  nn::Linear layer(3, 3);
  EXPECT_EMBER_ERROR(PZ::orthogonal(layer, "bias"),
                     "Expected a matrix or batch of matrices. Got a tensor of 1 dimensions.");
  EXPECT_EMBER_ERROR(PZ::orthogonal(layer, "weight", "qr"),
                     "orthogonal_map has to be one of \"matrix_exp\", \"cayley\", \"householder\". Got: qr");
  EXPECT_FALSE(P::is_parametrized(layer));  // the refused registrations left nothing

  // Without the trivialization, the Cayley map takes the weight as its original, as PyTorch's.
  nn::Linear cayley(3, 3);
  const Tensor w = cayley.weight.detach().clone();
  PZ::orthogonal(cayley, "weight", "cayley", /*use_trivialization=*/false);
  EXPECT_TRUE(equal(cayley.get_parameter("parametrizations.weight.original"), w));
  const Tensor A = tril(w) - tril(w).mT();
  const Tensor I = eye(3);
  EXPECT_LT(max_abs_diff(cayley.weight, linalg::solve(I - 0.5 * A, I + 0.5 * A)), 1e-6);
  EXPECT_LT(orthogonality_error(cayley.weight.detach()), 1e-5);

  PZ::orthogonal(layer);
  const Tensor value = layer.weight.detach().clone();
  P::remove_parametrizations(layer, "weight");
  EXPECT_TRUE(equal(layer.weight.detach(), value));
  // Registered again after bias, as PyTorch's register_parameter at removal.
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"bias", "weight"}));
}

}  // namespace
}  // namespace ember
