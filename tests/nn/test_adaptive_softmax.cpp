// nn::AdaptiveLogSoftmaxWithLoss against PyTorch 1.13 with the same weights: the targets'
// log-probabilities, the loss and its gradients, log_prob, predict, one sample, the
// parameter names and repr, a float64 gradcheck and PyTorch's errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// clang-format off
// /usr/bin/python3 (torch 1.13), torch.set_default_dtype(torch.float64):
//   m = nn.AdaptiveLogSoftmaxWithLoss(6, 10, [3, 6], div_value=2.0, head_bias=True)
//   for k, (name, p) in enumerate(m.named_parameters()):
//       p.copy_(torch.sin(torch.arange(p.numel()) * (0.3 + 0.1 * k) + k).reshape(p.shape) * 0.5)
//   x = torch.cos(torch.arange(30) * 0.4).reshape(5, 6); t = torch.tensor([0, 4, 9, 2, 7])
// clang-format on
std::shared_ptr<nn::AdaptiveLogSoftmaxWithLoss> model() {
  auto m = std::make_shared<nn::AdaptiveLogSoftmaxWithLoss>(6, 10, std::vector<int64_t>{3, 6}, 2.0, true);
  m->to(kFloat64);
  NoGradGuard no_grad;
  int k = 0;
  for (auto& [name, p] : m->named_parameters()) {
    p.copy_((sin(arange(p.numel(), dtype(kFloat64)) * (0.3 + 0.1 * k) + k) * 0.5).reshape(p.sizes()));
    ++k;
  }
  return m;
}
Tensor inputs() { return cos(arange(30, dtype(kFloat64)) * 0.4).reshape({5, 6}); }
Tensor targets() { return tensor(std::vector<int64_t>{0, 4, 9, 2, 7}); }

TEST(AdaptiveLogSoftmaxWithLoss, ForwardAndGradientsAsPyTorch) {
  auto m = model();
  std::vector<std::string> names;
  for (const auto& [name, _] : m->named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"head.weight", "head.bias", "tail.0.0.weight", "tail.0.1.weight",
                                             "tail.1.0.weight", "tail.1.1.weight"}));
  EXPECT_EQ(m->tail->get<nn::Sequential>(1)->operator[](0)->repr(),
            "Linear(in_features=6, out_features=1, bias=False)");
  const Tensor x = inputs().requires_grad_(true);
  const auto [output, loss] = m->forward(x, targets());
  expect_values(output,
                {-1.906907950089095, -2.823913019818353, -2.332409508806444, -0.677819609312736, -4.585917490023943},
                1e-14);
  expect_values(loss, {2.465393515610114}, 1e-14);
  loss.backward();
  expect_values(x.grad(),
                {0.060913776993041,  0.035499112489037,  0.006913417991663,  -0.022289831545012, -0.049501996814488,
                 -0.072292296137908, 0.050401859856377,  0.008129533714526,  -0.036296515678023, -0.0775355270563,
                 -0.110517907588131, -0.131237385186688, -0.0036988581965,   0.009254763037116,  0.003240985351875,
                 -0.017081863377906, -0.03918364881325,  -0.04882102633282,  0.046404642395851,  0.060683308060973,
                 0.069541314547144,  0.072187402516323,  0.068385204810938,  0.05847436042811,   -0.141227638516242,
                 -0.157493615159931, -0.145619848386437, -0.109863652717716, -0.061730202754218, -0.015035932311144},
                1e-14);
  expect_values(m->head->weight.grad().narrow(0, 4, 1),
                {0.247797002572592, 0.162280026091605, 0.051142601704904, -0.06806911496718, -0.176534215090039,
                 -0.257128444285521},
                1e-14);
  expect_values(m->get_parameter("tail.1.0.weight").grad(),
                {-0.08107499121604, -0.106604826039126, -0.115304102858163, -0.105799397143176, -0.079591292937036,
                 -0.040817473629947},
                1e-14);
}

TEST(AdaptiveLogSoftmaxWithLoss, LogProbPredictAndOneSample) {
  auto m = model();
  const Tensor lp = m->log_prob(inputs());
  EXPECT_EQ(lp.sizes(), (Dims{5, 10}));
  expect_values(lp.narrow(0, 0, 2),
                {-1.906907950089095, -0.860519802106343, -2.905813820004641, -4.341671367156293, -4.344056041967044,
                 -3.815728852321301, -2.009595037058054, -2.341651529902743, -2.863019086168696, -3.257443142296859,
                 -3.420480517200413, -3.43469570801141,  -0.295755678575352, -2.660676883624464, -2.823913019818353,
                 -3.004258234423358, -6.253896400611151, -6.028514976762647, -5.674639763623551, -5.40692671694072},
                1e-14);
  EXPECT_LT(ember::testing::max_abs_diff(exp(lp).sum(Dims{1}), ones({5}, kFloat64)), 1e-14);  // distributions
  expect_values(m->predict(inputs()), {1, 2, 0, 2, 2}, 0);
  const auto [o1, l1] = m->forward(inputs()[2], full({}, int64_t{9}, dtype(kInt64)));
  EXPECT_EQ(o1.dim(), 0);
  expect_values(o1, {-2.332409508806444}, 1e-14);
  expect_values(l1, {2.332409508806444}, 1e-14);
  // Rows of one cluster only, and an empty batch (loss NaN: the mean of nothing).
  const auto [o2, l2] = m->forward(inputs().narrow(0, 1, 1), tensor(std::vector<int64_t>{4}));
  expect_values(o2, {-2.823913019818353}, 1e-14);
  EXPECT_EQ(m->forward(zeros({0, 6}, kFloat64), zeros({0}, dtype(kInt64))).output.numel(), 0);
}

TEST(AdaptiveLogSoftmaxWithLoss, TailWidthsArePythonsFloorDivision) {
  // PyTorch: int(in_features // (div_value ** (i + 1))); 1 // 0.1 is 9.0 in Python (floor(1 / 0.1)
  // would be 10), and 10 // 3.0 ** 2 is 1.0.
  nn::AdaptiveLogSoftmaxWithLoss small(1, 4, {2}, 0.1);
  EXPECT_EQ(small.tail->get<nn::Sequential>(0)->operator[](0)->repr(),
            "Linear(in_features=1, out_features=9, bias=False)");
  nn::AdaptiveLogSoftmaxWithLoss wide(10, 9, {3, 6}, 3.0);
  EXPECT_EQ(wide.tail->get<nn::Sequential>(1)->operator[](0)->repr(),
            "Linear(in_features=10, out_features=1, bias=False)");
}

TEST(AdaptiveLogSoftmaxWithLoss, Gradcheck) {
  auto m = model();
  expect_gradcheck([&](const std::vector<Tensor>& in) { return m->forward(in[0], targets()).loss; },
                   {inputs().requires_grad_(true)});
}

TEST(AdaptiveLogSoftmaxWithLoss, PyTorchsErrors) {
  const std::string cutoffs_message =
      "cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each value is "
      "between 1 and n_classes-1";
  for (const auto& cutoffs : std::vector<std::vector<int64_t>>{{3, 3}, {0, 3}, {3, 10}, {6, 3}, {}}) {
    EXPECT_EQ(error_of([&] { nn::AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs); }), cutoffs_message);
  }
  auto m = model();
  EXPECT_EQ(error_of([&] {
              m->forward(inputs().narrow(0, 0, 2), tensor(std::vector<int64_t>{1, 10}));
            }),
            "Target values should be in [0, 9], but values in range [1, 10] were found. ");
  EXPECT_EQ(error_of([&] { m->forward(inputs(), tensor(std::vector<int64_t>{1})); }),
            "Input and target should have the same size in the batch dimension.");
  EXPECT_EQ(error_of([&] { m->forward(inputs(), full({}, int64_t{1}, dtype(kInt64))); }),
            "0D target tensor expects 1D input tensors, but found inputs with size [5, 6]");
  EXPECT_EQ(error_of([&] {
              m->forward(inputs(), zeros({5, 1}, dtype(kInt64)));
            }),
            "0D or 1D target tensor expected, multi-target not supported");
  EXPECT_NE(error_of([&] { m->forward(inputs()); }).find("'target'"), std::string::npos);
}

}  // namespace
}  // namespace ember
