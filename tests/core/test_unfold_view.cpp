// Tensor::unfold (torch.Tensor.unfold): window views against PyTorch 1.13's values,
// storage sharing, overlapping windows' gradients, gradgradcheck and errors.
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(UnfoldView, WindowsAsPyTorch) {
  // PyTorch 1.13: x = torch.arange(10.).reshape(2, 5)
  const Tensor x = arange(10, dtype(kFloat32)).reshape({2, 5});
  Tensor w = x.unfold(1, 3, 2);
  EXPECT_EQ(w.sizes(), (Dims{2, 2, 3}));
  expect_values(w, {0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 9}, 0);
  EXPECT_EQ(x.unfold(0, 2, 1).sizes(), (Dims{1, 5, 2}));
  expect_values(x.t().unfold(0, 2, 2), {0, 1, 5, 6, 2, 3, 7, 8}, 0);  // x.t().unfold(0, 2, 2)
  expect_values(full({}, 5.0).unfold(0, 1, 1), {5}, 0);
  EXPECT_EQ(full({}, 5.0).unfold(0, 1, 1).sizes(), (Dims{1}));
  // a view: writes to x show through
  Tensor y = arange(6, dtype(kFloat32));
  Tensor windows = y.unfold(0, 2, 2);
  y.select(0, 3).fill_(-1);
  expect_values(windows.select(0, 1), {2, -1}, 0);
}

TEST(UnfoldView, OverlappingWindowsAddTheirGradients) {
  // PyTorch 1.13: y = torch.arange(7., requires_grad=True)
  //   (y.unfold(0, 3, 2) * torch.arange(9.).reshape(3, 3)).sum().backward() -> [0, 1, 5, 4, 11, 7, 8]
  Tensor y = arange(7, dtype(kFloat64)).requires_grad_(true);
  (y.unfold(0, 3, 2) * arange(9, dtype(kFloat64)).reshape({3, 3})).sum().backward();
  expect_values(y.grad(), {0, 1, 5, 4, 11, 7, 8}, 0);
  EXPECT_EQ(y.unfold(0, 3, 2).grad_fn_name(), "UnfoldBackward");
  const Tensor x = testing::grad_input({4, 7, 3});
  ember::testing::expect_gradcheck([](const std::vector<Tensor>& in) { return in[0].unfold(1, 3, 2); }, {x});
  EXPECT_TRUE(autograd::gradgradcheck([](const std::vector<Tensor>& in) { return in[0].unfold(-2, 2, 1).pow(2); }, {x}));
}

TEST(UnfoldView, Errors) {
  const Tensor x = zeros({2, 5});
  EXPECT_EMBER_ERROR(x.unfold(1, 6, 1), "maximum size for tensor at dimension 1 is 5 but size is 6");
  EXPECT_EMBER_ERROR(x.unfold(1, 2, 0), "step is 0 but must be > 0");
  EXPECT_EMBER_ERROR(x.unfold(2, 2, 1), "Dimension out of range");
}

}  // namespace
}  // namespace ember
