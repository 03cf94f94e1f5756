// gradcheck / gradgradcheck as torch.autograd's: grad_outputs checked by gradgradcheck,
// raise_exception, the caller's grad mode inside the function, outputs whose shape changes
// when perturbed, outputs that do not require grad, float32 and strided inputs, and the
// "Jacobian mismatch for output 0 with respect to input k" message.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

using autograd::AutogradContext;
using autograd::GradcheckOptions;
using autograd::tensor_list;
using testing::error_of;
using testing::leaf;
using Inputs = std::vector<Tensor>;

// x * x whose backward detaches its incoming gradient: first derivatives are right, the
// second derivative with respect to the output gradient is lost.
struct SquareDetachingGrad : autograd::Function<SquareDetachingGrad> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    const Tensor x = ctx->get_saved_variables()[0];
    return {g[0].detach() * 2.0 * x};
  }
};

// x * 3 with a backward that says 2.
struct WrongScale : autograd::Function<WrongScale> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 3.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0] * 2.0}; }
};

TEST(GradgradcheckPyTorch, ChecksTheGradientWithRespectToTheOutputGradient) {
  const Tensor x = leaf({0.5, -1.5, 2.0}, {3});
  EXPECT_TRUE(autograd::gradcheck([](const Inputs& in) { return SquareDetachingGrad::apply(in[0]); }, {x}));
  const auto r =
      autograd::gradgradcheck_report([](const Inputs& in) { return SquareDetachingGrad::apply(in[0]); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("with respect to input 1"), std::string::npos) << r.message;  // v, after x
  EXPECT_TRUE(autograd::gradgradcheck([](const Inputs& in) { return (in[0] * in[0] * in[0]).sum(); }, {x}));
}

TEST(GradcheckPyTorch, RaisesByDefaultWithPyTorchsMessage) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const std::string message =
      error_of([&] { autograd::gradcheck([](const Inputs& in) { return WrongScale::apply(in[0]); }, {x}); });
  EXPECT_EQ(message.find("gradcheck failed: Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"), 0u)
      << message;
  EXPECT_NE(message.find("\nanalytical:"), std::string::npos);
  GradcheckOptions quiet;
  quiet.raise_exception = false;
  EXPECT_FALSE(autograd::gradcheck([](const Inputs& in) { return WrongScale::apply(in[0]); }, {x}, quiet));
}

TEST(GradcheckPyTorch, TheFunctionMayDifferentiateInsideItself) {
  // A gradient penalty: |d(x^3)/dx|^2 = 9 x^4, checked through autograd::grad inside fn.
  const Tensor x = leaf({0.5, -0.7}, {2});
  testing::expect_gradcheck(
      [](const Inputs& in) {
        const Tensor y = (in[0] * in[0] * in[0]).sum();
        const Tensor g = autograd::grad({y}, {in[0]}, {}, true, true)[0];
        return (g * g).sum();
      },
      {x});
}

TEST(GradcheckPyTorch, OutputsAndInputsAsPyTorchChecksThem) {
  // Perturbing changes the output's shape: PyTorch's message, not reads past the end.
  const Tensor x = leaf({1e-7, 1.0, 2.0}, {3});
  EXPECT_NE(error_of([&] {
              autograd::gradcheck_report([](const Inputs& in) { return masked_select(in[0], in[0] > 0.0); }, {x});
            }).find("Expected `func` to return outputs with the same shape when inputs are perturbed"),
            std::string::npos);
  // An output that does not require grad passes when its numerical Jacobian is zero.
  const Tensor y = leaf({1.0, 2.5}, {2});
  EXPECT_TRUE(autograd::gradcheck([](const Inputs& in) { return in[0].argmax(); }, {y}));
  const auto detached = autograd::gradcheck_report([](const Inputs& in) { return in[0].detach() * 2.0; }, {y});
  EXPECT_FALSE(detached.ok);
  EXPECT_EQ(detached.message.find("Numerical gradient for function expected to be zero"), 0u) << detached.message;
  // A strided (transposed) float64 input is perturbed element by element in place.
  const Tensor m = rand({3, 2}, kFloat64).t().requires_grad_(true);
  ASSERT_FALSE(m.is_contiguous());
  testing::expect_gradcheck([](const Inputs& in) { return in[0].exp() * in[0]; }, {m});
  // A float32 input gets PyTorch's warning, not an error (its tolerance is the caller's).
  GradcheckOptions loose;
  loose.eps = 1e-2;
  loose.atol = 1e-2;
  loose.rtol = 1e-2;
  EXPECT_TRUE(autograd::gradcheck([](const Inputs& in) { return in[0] * in[0]; },
                                  {tensor({0.5f, 1.5f}).requires_grad_(true)}, loose));
  EXPECT_EQ(error_of([] { autograd::gradcheck([](const Inputs& in) { return in[0]; }, {tensor({1.0})}); }),
            "gradcheck expects at least one input tensor to require gradient, but none of the them have "
            "requires_grad=True.");
  const Tensor broadcast = tensor(std::vector<double>{1.0}, {1}).expand({3}).detach().requires_grad_(true);
  EXPECT_NE(error_of([&] {
              autograd::gradcheck([](const Inputs& in) { return in[0] * 2.0; }, {broadcast});
            }).find("has a dimension with stride 0"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
