// local_response_norm and nn::LocalResponseNorm against PyTorch 1.13's values (3-D and 4-D
// inputs, windows of even and odd size), float64 gradcheck, empty and channels-last
// inputs, the repr (and Python's float repr it relies on) and the error phrase.
#include <vector>

#include "nn/local_response_norm.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// (torch.arange(30, dtype=torch.float64).reshape(2, 5, 3) - 14) / 4
Tensor sequence() { return (arange(30, dtype(kFloat64)).reshape({2, 5, 3}) - 14.0) / 4.0; }

TEST(LocalResponseNorm, ThreeDimsAsPyTorch) {
  // F.local_response_norm(x, 3)
  expect_values(F::local_response_norm(sequence(), 3),
                {-3.498267407426344,  -3.2486346538767537, -2.9989457449008743, -2.7483640268219327,
                 -2.4987585321435386, -2.2490828582239772, -1.999344001119994,  -1.7495489637862933,
                 -1.4997047553132723, -1.249818390163294,  -0.9998968874056631, -0.7499472699504949,
                 -0.4999773449476469, -0.2499933595807835, 0.0,                 0.2499933595807835,
                 0.4999773449476469,  0.7499472699504949,  0.9998968874056631,  1.249818390163294,
                 1.4997047553132723,  1.7495489637862933,  1.999344001119994,   2.2490828582239772,
                 2.4987585321435386,  2.7483640268219327,  2.9978923538609688,  3.2486346538767537,
                 3.498267407426344,   3.7478393439572555},
                1e-14);
  // F.local_response_norm(x, 2, alpha=0.5, beta=0.6, k=2.0): an even window
  expect_values(F::local_response_norm(sequence(), 2, 0.5, 0.6, 2.0),
                {-1.3226624450934128, -1.2940095329293886, -1.2591802309988986, -0.8590623221887804,
                 -0.8363223228779859, -0.8076546154862202, -0.7716340392692347, -0.7265377282776273,
                 -0.6703468806888514, -0.600816923415306,  -0.5156720573452868, -0.4129919494225733,
                 -0.291835551908732,  -0.1530478354344038, 0.0,                 0.16417013937293903,
                 0.3238423407975325,  0.4750473584426639,  0.6121913417376152,  0.7295888797718301,
                 0.8259838988451466,  0.9024261003542517,  0.9613070774644895,  1.005520321033277,
                 1.0379110403966103,  1.0609968039951978,  1.0768728206482936,  1.0872190197413818,
                 1.093352046422084,   1.096289914789981},
                1e-14);
}

TEST(LocalResponseNorm, FourDimsAsPyTorch) {
  // y = (torch.arange(24, dtype=torch.float64).reshape(1, 4, 2, 3) - 11) / 3
  // F.local_response_norm(y, 4, alpha=1.0, beta=0.75, k=1.0): a window wider than half of C
  const Tensor y = (arange(24, dtype(kFloat64)).reshape({1, 4, 2, 3}) - 11.0) / 3.0;
  const std::vector<double> expected{
      -1.0875388121364715, -1.131678147699117,  -1.1723849141720404, -1.203429361746149,  -1.214310701626329,
      -1.189207115002721,  -0.4923084701903589, -0.4439378387603202, -0.3710876911618321, -0.27024003096140686,
      -0.1432561867540012, 0.0,                 0.0824118440787998,  0.17152151574083171, 0.26084743001221455,
      0.34304303148166343, 0.412059220393999,   0.46473616048508165, 1.0027933072780084,  1.0809601238456275,
      1.1132630734854962,  1.1098445969008008,  1.0830786344187895,  1.0433897200488582};
  nn::LocalResponseNorm layer(4, 1.0, 0.75, 1.0);
  expect_values(layer.forward(y), expected, 1e-14);
  // channels-last and 5-D (the same values with a trailing dim split) inputs
  expect_values(layer.forward(y.contiguous(MemoryFormat::ChannelsLast)), expected, 1e-14);
  expect_values(layer.forward(y.reshape({1, 4, 2, 3, 1})), expected, 1e-14);
  EXPECT_EQ(layer.forward(y).sizes(), y.sizes());
}

TEST(LocalResponseNorm, GradcheckEmptyAndErrors) {
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::local_response_norm(in[0], 3, 0.5, 0.75, 1.0); },
                   {testing::grad_input({2, 5, 3})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::local_response_norm(in[0], 2, 1.0, 0.6, 2.0); },
                   {testing::grad_input({1, 3, 2, 2})});
  EXPECT_EQ(F::local_response_norm(zeros({0, 3, 4}), 2).sizes(), (Dims{0, 3, 4}));
  EXPECT_EMBER_ERROR(F::local_response_norm(zeros({2, 3}), 2),
                     "Expected 3D or higher dimensionality input (got 2 dimensions)");
  EXPECT_EMBER_ERROR(F::local_response_norm(zeros({2, 3, 4}), 0), "local_response_norm: size must be positive");
}

TEST(LocalResponseNorm, ReprAsPython) {
  EXPECT_EQ(nn::LocalResponseNorm(2).repr(), "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)");
  EXPECT_EQ(nn::LocalResponseNorm(3, 2e-5, 0.5, 2).repr(), "LocalResponseNorm(3, alpha=2e-05, beta=0.5, k=2.0)");
  // Python writes a float fixed for decimal exponents in [-4, 16), else in scientific notation
  EXPECT_EQ(nn::ConstantPad2d(1, 1e-4).repr(), "ConstantPad2d(padding=(1, 1, 1, 1), value=0.0001)");
  EXPECT_EQ(nn::ConstantPad1d(1, 2.5e-7).repr(), "ConstantPad1d(padding=(1, 1), value=2.5e-07)");
  EXPECT_EQ(nn::ConstantPad1d(1, 1e16).repr(), "ConstantPad1d(padding=(1, 1), value=1e+16)");
  EXPECT_EQ(nn::ConstantPad1d(1, 1e15).repr(), "ConstantPad1d(padding=(1, 1), value=1000000000000000.0)");
}

}  // namespace
}  // namespace ember
