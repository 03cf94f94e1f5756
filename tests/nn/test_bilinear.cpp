// nn::functional::bilinear and nn::Bilinear against PyTorch 1.13: the output and every
// gradient of a fixed case, leading dims and one sample, a float64 gradcheck, the layer's
// initialisation bound and repr, PyTorch's size errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/functional/bilinear.h"
#include "nn/linear.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// From /usr/bin/python3 (torch 1.13), whose output is pasted unchanged:
// clang-format off
/*
import math, torch, torch.nn.functional as F
def lit(t): return "{" + ", ".join(repr(float(v)) for v in t.flatten().tolist()) + "}"
x1 = torch.tensor([[math.sin(0.3 * i + 0.7 * j) for j in range(3)] for i in range(4)], dtype=torch.float64, requires_grad=True)
x2 = torch.tensor([[math.cos(0.2 * i - 0.5 * j) for j in range(2)] for i in range(4)], dtype=torch.float64, requires_grad=True)
w = torch.tensor([[[0.1 * o - 0.2 * i + 0.05 * j * j for j in range(2)] for i in range(3)] for o in range(5)], dtype=torch.float64, requires_grad=True)
b = torch.tensor([0.5, -0.25, 0.0, 1.0, -1.5], dtype=torch.float64, requires_grad=True)
y = F.bilinear(x1, x2, w, b)
g = torch.tensor([[math.cos(0.4 * n + 0.6 * o) for o in range(5)] for n in range(4)], dtype=torch.float64)
(y * g).sum().backward()
for name, t in [("kY", y.detach()), ("kGradX1", x1.grad), ("kGradX2", x2.grad), ("kGradW", w.grad), ("kGradB", b.grad)]:
    print(f"inline const std::vector<double> {name} = {lit(t)};")
*/
inline const std::vector<double> kY = {-0.410511285230201, -0.8545277728037267, -0.29854426037725224, 1.0074392520492224, -1.1865772355243034, -0.4917464136016839, -0.8297656781380185, -0.16778494267435293, 1.2441957927893128, -0.8438234717470219, -0.4448912637860061, -0.7278507480155343, -0.01081023224506255, 1.4562302835254095, -0.5767292007041189, -0.28108880194747243, -0.5707966430127717, 0.13949551592192913, 1.5997876748566302, -0.43992016620866936};
inline const std::vector<double> kGradX1 = {-0.3370808894348248, -0.796374219145727, -1.2556675488566291, -0.9825682412992247, -0.9444176997718403, -0.906267158244456, -1.4544635740912317, -0.9161808928503741, -0.37789821160951653, -1.6272464679654108, -0.721085341533636, 0.1850757848981389};
inline const std::vector<double> kGradX2 = {-0.9788636587795367, -0.879201546767593, -1.0198189109620106, -1.0303088937186904, -0.9797841381288239, -1.1509765162561214, -0.8483692872513255, -1.1630528750169775};
inline const std::vector<double> kGradW = {0.8633698237937582, 0.9338865054643991, 2.321078026951, 2.3341414303474037, 2.6871469661885765, 2.6366131685721057, 0.09799443324770343, 0.07094564111847948, 0.9406889219375197, 0.8379338803836408, 1.3409627119702563, 1.2108287226263257, -0.7016132321493208, -0.8167785767890361, -0.7683098872989496, -0.9509880815072338, -0.473658397278734, -0.637933031893908, -1.256127210017156, -1.419178538956941, -2.2089159484876477, -2.407702546428736, -2.122817001120609, -2.263846424925033, -1.3718398144192558, -1.525818607444256, -2.8778841179587467, -3.023337241845485, -3.030414552642461, -3.0989331304592507};
inline const std::vector<double> kGradB = {2.980125457826724, 1.3084029689849717, -0.8203823199130034, -2.6625844619178247, -3.574669248338804};
// clang-format on

Tensor grid(int64_t rows, int64_t cols, double (*f)(int64_t, int64_t)) {
  std::vector<double> v;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) v.push_back(f(i, j));
  return tensor(v, {rows, cols}, TensorOptions(kFloat64));
}
Tensor ref_x1() {
  return grid(4, 3, [](int64_t i, int64_t j) { return std::sin(0.3 * i + 0.7 * j); });
}
Tensor ref_x2() {
  return grid(4, 2, [](int64_t i, int64_t j) { return std::cos(0.2 * i - 0.5 * j); });
}
Tensor ref_w() {
  std::vector<double> v;
  for (int o = 0; o < 5; ++o)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j) v.push_back(0.1 * o - 0.2 * i + 0.05 * j * j);
  return tensor(v, {5, 3, 2}, TensorOptions(kFloat64));
}
Tensor ref_b() { return tensor(std::vector<double>{0.5, -0.25, 0.0, 1.0, -1.5}); }

TEST(Bilinear, ValuesAndGradientsMatchPyTorch) {
  const Tensor x1 = ref_x1().requires_grad_(true), x2 = ref_x2().requires_grad_(true);
  const Tensor w = ref_w().requires_grad_(true), b = ref_b().requires_grad_(true);
  const Tensor y = F::bilinear(x1, x2, w, b);
  ASSERT_EQ(y.sizes(), (Dims{4, 5}));
  expect_values(y, kY, 1e-14);
  (y * grid(4, 5, [](int64_t n, int64_t o) { return std::cos(0.4 * n + 0.6 * o); })).sum().backward();
  expect_values(x1.grad(), kGradX1, 1e-14);
  expect_values(x2.grad(), kGradX2, 1e-14);
  expect_values(w.grad(), kGradW, 1e-14);
  expect_values(b.grad(), kGradB, 1e-14);
}

TEST(Bilinear, LeadingDimsOneSampleAndNoBias) {
  const Tensor x1 = ref_x1(), x2 = ref_x2(), w = ref_w();
  const Tensor y = F::bilinear(x1, x2, w);
  // leading dims are kept: [2, 2, in] gives [2, 2, out]
  EXPECT_TRUE(allclose(F::bilinear(x1.view({2, 2, 3}), x2.view({2, 2, 2}), w), y.view({2, 2, 5}), 1e-15, 0));
  // one sample (1-D inputs) gives [out], its definition sum_ij x1_i W_oij x2_j
  const Tensor one = F::bilinear(x1[1], x2[1], w);
  ASSERT_EQ(one.sizes(), (Dims{5}));
  for (int64_t o = 0; o < 5; ++o) {
    double want = 0;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 2; ++j)
        want += x1[1][i].item<double>() * w[o][i][j].item<double>() * x2[1][j].item<double>();
    EXPECT_NEAR(one[o].item<double>(), want, 1e-15);
  }
  EXPECT_TRUE(allclose(F::bilinear(x1, x2, w, ref_b()) - y, ref_b().expand({4, 5}), 1e-15, 0));
  EXPECT_EQ(F::bilinear(x1, x2, zeros({0, 3, 2}, kFloat64)).sizes(), (Dims{4, 0}));  // no outputs
  EXPECT_EQ(F::bilinear(x1.narrow(0, 0, 0), x2.narrow(0, 0, 0), w).sizes(), (Dims{0, 5}));  // no samples
}

TEST(Bilinear, Gradcheck) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::bilinear(in[0], in[1], in[2], in[3]); },
                   {testing::grad_input({3, 4}), testing::grad_input({3, 2}), testing::grad_input({5, 4, 2}),
                    testing::grad_input({5})});
}

TEST(Bilinear, LayerInitialisationReprAndErrors) {
  manual_seed(2);
  nn::Bilinear layer(50, 4, 30);
  EXPECT_EQ(layer.weight.sizes(), (Dims{30, 50, 4}));
  EXPECT_EQ(layer.bias.sizes(), (Dims{30}));
  const double bound = 1 / std::sqrt(50.0);  // U(-1/sqrt(in1), 1/sqrt(in1)), weight and bias
  EXPECT_LE(layer.weight.abs().max().item<double>(), bound);
  EXPECT_GT(layer.weight.abs().max().item<double>(), 0.95 * bound);
  EXPECT_LE(layer.bias.abs().max().item<double>(), bound);
  EXPECT_EQ(layer.repr(), "Bilinear(in1_features=50, in2_features=4, out_features=30, bias=True)");
  nn::Bilinear plain(3, 2, 5, false);
  EXPECT_FALSE(plain.bias.defined());
  EXPECT_EQ(plain.parameters().size(), 1u);
  EXPECT_EQ(plain.extra_repr(), "in1_features=3, in2_features=2, out_features=5, bias=False");
  const Tensor x1 = ref_x1().to(kFloat32), x2 = ref_x2().to(kFloat32);
  EXPECT_TRUE(allclose(plain(x1, x2), F::bilinear(x1, x2, plain.weight), 0, 0));
  EXPECT_EMBER_ERROR(plain.forward(x1), "Bilinear.forward() missing 1 required positional argument: 'input2'");

  const Tensor w = ref_w(), b = ref_b();
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1(), ref_x2().view({2, 2, 2}), w, b),
                     "bilinear(): input dimensions do not match: got 2 and 3");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1(), ref_x2().narrow(0, 0, 3), w, b),
                     "bilinear(): input batch dimensions do not match at dim 0: got 4 and 3");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x2(), ref_x2(), w, b),
                     "bilinear(): input1 size does not match weight size: got 2 but expected 3");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1(), ref_x1(), w, b),
                     "bilinear(): input2 size does not match weight size: got 3 but expected 2");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1(), ref_x2(), w, b.narrow(0, 0, 4)),
                     "bilinear(): bias size does not match weight size: got 4 but expected 5");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1(), ref_x2(), w[0], b), "bilinear(): expected a 3-D weight");
  EXPECT_EMBER_ERROR(F::bilinear(ref_x1().to(kFloat32), ref_x2(), w, b), "expected scalar type Float but found Double");
}

}  // namespace
}  // namespace ember
