// ember::softmax / ember::log_softmax (libtorch's free spellings) against PyTorch 1.13:
// values along either dim, the same op and node as nn::functional's, gradcheck, and
// PyTorch's errors for integer input and a bad dim.
#include <gmock/gmock.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;
namespace F = nn::functional;

Tensor sample() { return tensor(std::vector<double>{0.5, -1, 2, 3, 0, -2}, {2, 3}, dtype(kFloat64)); }

TEST(SoftmaxFree, ValuesAsPyTorch) {
  const Tensor s = sample();
  expect_values(softmax(s, 0), {0.07585818002124356, 0.2689414213699951, 0.9820137900379085, 0.9241418199787566,
                                0.7310585786300049, 0.017986209962091555}, 1e-12);
  expect_values(log_softmax(s, -1), {-1.7413112966571571, -3.241311296657157, -0.24131129665715703,
                                     -0.05498523537714723, -3.0549852353771474, -5.054985235377147}, 1e-12);
  const Tensor x = tensor(std::vector<double>{1, 2, 3, 1, 0, -1}, {2, 3}, dtype(kFloat64));
  expect_values(softmax(x, 1), {0.09003057317038045, 0.2447284710547976, 0.6652409557748218, 0.6652409557748218,
                                0.2447284710547976, 0.09003057317038045}, 1e-12);
  expect_values(log_softmax(x, 0), {-0.6931471805599453, -0.1269280110429726, -0.01814992791780978,
                                    -0.6931471805599453, -2.1269280110429727, -4.0181499279178094}, 1e-12);
  EXPECT_TRUE(equal(softmax(x, 1), F::softmax(x, 1)));
}

TEST(SoftmaxFree, RecordsTheFunctionalNodes) {
  const Tensor x = grad_input({3, 4});
  EXPECT_EQ(softmax(x, 1).grad_fn_name(), "SoftmaxBackward");
  EXPECT_EQ(log_softmax(x, 0).grad_fn_name(), "LogSoftmaxBackward");
  expect_gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0], 1); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return log_softmax(in[0], 0); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0], -1); }, {grad_input({2, 3, 2})});
}

TEST(SoftmaxFree, ErrorsAsPyTorch) {
  EXPECT_EMBER_ERROR(softmax(tensor({1, 2}), 0), "softmax: expected a floating-point tensor");
  EXPECT_EMBER_ERROR(softmax(zeros({2, 3}), 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EMBER_ERROR(log_softmax(zeros({2, 3}), -3), "Dimension out of range");
}

}  // namespace
}  // namespace ember
