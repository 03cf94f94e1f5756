// normalize, cosine_similarity, pairwise_distance, pdist and cdist: values and gradients against
// PyTorch (zero and tiny rows included, where the eps clamps decide), float64
// gradcheck, empty and non-contiguous inputs, the two modules and bad input.
#include <cmath>
#include <limits>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::leaf;

// Rows: an ordinary one, a zero row, another ordinary one and one of norm ~2.2e-13, below
// both normalize's eps (1e-12) and cosine_similarity's (1e-8).
const std::vector<double> kA{0.5, -1.0, 2.0, 0.0, 0.0, 0.0, 3.0, 4.0, -0.25, 1e-13, -2e-13, 0.0};
const std::vector<double> kB{1.5, 0.5, -2.0, 1.0, 2.0, -1.0, 3.0, 4.0, 0.75, 2.0, -1.0, 0.5};
const std::vector<double> kG{1., -2., 0.5, 3., 0.25, -1., 2., 1.5, -0.5, 1., 2., -3.};  // upstream gradient [4, 3]

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, TensorOptions(kFloat64)); }

// The expected numbers come from /usr/bin/python3 (torch 1.13.0a0) with the same inputs:
//   x = torch.tensor(kA, dtype=torch.float64).reshape(4, 3).requires_grad_(); y = F.normalize(x, p=p, dim=1)
//   y.backward(kG); print(y, x.grad)
TEST(Distance, NormalizeMatchesPyTorch) {
  struct Case {
    double p;
    int64_t dim;
    std::vector<double> y, g;
  };
  const std::vector<Case> cases{
      {2.0, 1,
       {0.2182178902359924, -0.4364357804719848, 0.8728715609439696, 0.0, 0.0, 0.0, 0.5992514033267068, 0.7990018711022757,
        -0.04993761694389223, 0.1, -0.2, 0.0},
       {0.29095718698132317, -0.5819143739626463, -0.3636964837266541, 3000000000000.0, 250000000000.0,
        -1000000000000.0, 0.10958878531327976, -0.08692383198712411, -0.07571588803462961, 1000000000000.0,
        2000000000000.0, -3000000000000.0}},
      {1.0, 1,
       {0.14285714285714285, -0.2857142857142857, 0.5714285714285714, 0.0, 0.0, 0.0, 0.41379310344827586,
        0.5517241379310345, -0.034482758620689655, 0.1, -0.2, 0.0},
       {0.0, -0.2857142857142857, -0.14285714285714285, 3000000000000.0, 250000000000.0, -1000000000000.0,
        0.045184304399524394, -0.023781212841854915, 0.16171224732461353, 1000000000000.0, 2000000000000.0,
        -3000000000000.0}},
      {3.0, 1,
       {0.2392722755946373, -0.4785445511892746, 0.9570891023785492, 0.0, 0.0, 0.0, 0.6669336079299873, 0.8892448105733164,
        -0.055577800660832274, 0.1, -0.2, 0.0},
       {0.4326567175135907, -0.7735377676758137, -0.4949330632163046, 3000000000000.0, 250000000000.0,
        -1000000000000.0, 0.17807795219463918, -0.140390001531929, -0.1093045981751922, 1000000000000.0,
        2000000000000.0, -3000000000000.0}},
      {2.0, 0,
       {0.1643989873053573, -0.24253562503633297, 0.9922778767136677, 0.0, 0.0, 0.0, 0.9863939238321437,
        0.9701425001453319, -0.12403473458920847, 3.287979746107146e-14, -4.8507125007266595e-14, 0.0},
       {0.21327436190965093, -0.3709368382908679, -0.02671517360382958, 0.9863939238321437, 0.06063390625908324,
        -0.49613893835683387, -0.03554572698495273, -0.09273420957269268, -0.21372138883063613, 0.3287979746106915,
        0.48507125007268875, -1.4884168150705015}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("p = " + std::to_string(c.p) + ", dim = " + std::to_string(c.dim));
    Tensor x = leaf(kA, {4, 3});
    Tensor y = F::normalize(x, c.p, c.dim);
    expect_values(y, c.y, 1e-12);
    y.backward(doubles(kG, {4, 3}));
    // The zero row's gradient is g / eps (~1e12): compared relative to its size.
    const auto got = x.grad().to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], c.g[i], 1e-9 * std::max(1.0, std::abs(c.g[i])));
  }
  manual_seed(11);
  Tensor x = testing::grad_input({3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::normalize(in[0]); }, {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::normalize(in[0], 3.0, -1); }, {x});
}

// PyTorch 2.x clamps each norm (1.13: each squared norm), so the tiny row's gradient differs from
// 1.13's in its x1 terms: computed with the 2.x formula in float64 (python3).
TEST(Distance, CosineSimilarityMatchesPyTorchIncludingItsClampedNorms) {
  Tensor x1 = leaf(kA, {4, 3}), x2 = leaf(kB, {4, 3});
  Tensor y = F::cosine_similarity(x1, x2);
  EXPECT_EQ(y.sizes(), (Dims{4}));
  expect_values(y, {-0.6419407387663695, 0.0, 0.9802947267128236, 1.7457431218879393e-05}, 1e-12);
  y.backward(doubles({1., -2., 0.5, 3.}, {4}));
  // PyTorch clamps the norms under no_grad: the tiny row's gradient is huge, not zero.
  const std::vector<double> g1{0.3179135087223925, -0.03668232792950685, -0.09781954114535149, -81649658.09277262,
                               -163299316.18554524, 81649658.09277262, 0.0005911436381617272, 0.0007881915175489695,
                               0.01970478793872394, 261859126.1230158, -130926049.82124527, 65465367.07079771};
  const auto got1 = x1.grad().to_vector<double>();
  for (size_t i = 0; i < got1.size(); ++i) EXPECT_NEAR(got1[i], g1[i], 1e-9 * std::max(1.0, std::abs(g1[i])));
  expect_values(x2.grad(),
                {0.23373226898672939, -0.12180414017618292, 0.1448481666960013, 0.0, 0.0, -0.0, 0.0017387427792385016,
                 0.00231832370565134, -0.019319364213761125, -6.858276550274049e-06, -1.6210471846102293e-05,
                 -4.987837491108399e-06},
                1e-12);

  // Broadcast x2 [1, 3], dim=-1, eps=0.5 (the clamp reaches the ordinary rows too).
  Tensor a = leaf(kA, {4, 3}), b = leaf({1.5, 0.5, -2.0}, {1, 3});
  Tensor yb = F::cosine_similarity(a, b, -1, 0.5);
  expect_values(yb, {-0.6419407387663695, 0.0, 0.5484400562506454, 3.9223227027636816e-14}, 1e-12);
  yb.backward(doubles({1., -2., 0.5, 3.}, {4}));
  expect_values(a.grad(),
                {0.3179135087223925, -0.03668232792950685, -0.09781954114535149, -2.3533936216582085, -0.7844645405527362,
                 3.1378581622109447, 0.025937092079541563, -0.024178645158894674, -0.07561321758781608,
                 3.530090432487313, 1.1766968108291043, -4.706787243316417},
                1e-9);
  expect_values(b.grad(), {0.28797359323150684, 0.013799170434760654, 0.21942998753232035}, 1e-12);

  manual_seed(12);
  Tensor p = testing::grad_input({3, 4}), q = testing::grad_input({3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::cosine_similarity(in[0], in[1]); }, {p, q});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::cosine_similarity(in[0], in[1], 0); }, {p, q});
}

// A squared norm past the dtype's range (float16 rows of 100s, float32 of 2e19) was inf - inf =
// NaN; the norms accumulate in float as PyTorch 2.x's vector_norm. Integers are cast as PyTorch's.
TEST(Distance, CosineSimilarityOfLargeAndIntegerRows) {
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor x = full({1, 8}, 100.0, TensorOptions(dtype));
    const Tensor y = F::cosine_similarity(x, x);
    EXPECT_EQ(y.dtype(), dtype);
    EXPECT_NEAR(y.item<double>(), 1.0, 1e-2);
  }
  // A float32 norm past float32's range is inf in PyTorch too (it accumulates float32 in float32):
  // each term is then 2e19 / inf = 0, a similarity of 0, not NaN.
  Tensor big = full({1, 4}, 2e19);
  EXPECT_EQ(F::cosine_similarity(big, big).item<double>(), 0.0);
  EXPECT_NEAR(F::cosine_similarity(big.to(kFloat64), big.to(kFloat64)).item<double>(), 1.0, 1e-15);
  Tensor ints = tensor(std::vector<double>{3, 4}, {1, 2}, TensorOptions(kInt64));
  Tensor floats = tensor(std::vector<double>{4, 3}, {1, 2}, TensorOptions(kFloat64));
  EXPECT_EQ(F::cosine_similarity(ints, floats).dtype(), kFloat64);
  EXPECT_NEAR(F::cosine_similarity(ints, floats).item<double>(), 0.96, 1e-15);
  EXPECT_EMBER_ERROR(F::cosine_similarity(ints, ints), "expected common dtype to be floating point, yet common dtype is Long");
}

TEST(Distance, PairwiseDistanceMatchesPyTorch) {
  struct Case {
    double p;
    bool keepdim;
    std::vector<double> y, g1;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases{
      {2.0, false, {4.387482535578119, 2.4494889262870734, 0.999999000001, 2.291287192824636},
       {-0.2279209072380352, -0.34188147481762043, 0.9116847685578167, 0.8164960365963319, 1.632992889689517,
        -0.816497669590038, 5.000005e-07, 5.000005e-07, -0.4999999999995, -2.6186141216994576, 1.309309024811106,
        -0.6546525484441106}},
      {1.0, true, {6.499999000000001, 3.999999, 1.000001, 3.4999989999997},
       {-1.0, -1.0, 1.0, 2.0, 2.0, -2.0, 0.5, 0.5, -0.5, -3.0, 3.0, -3.0}},
      {inf, false, {4.000001, 1.999999, 0.999999, 1.9999989999999002},
       {-0.0, -0.0, 1.0, 0.0, 2.0, -0.0, 0.0, 0.0, -0.5, -3.0, 0.0, -0.0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("p = " + std::to_string(c.p));
    Tensor x1 = leaf(kA, {4, 3}), x2 = leaf(kB, {4, 3});
    Tensor y = F::pairwise_distance(x1, x2, c.p, 1e-6, c.keepdim);
    EXPECT_EQ(y.sizes(), c.keepdim ? (Dims{4, 1}) : (Dims{4}));
    expect_values(y, c.y, 1e-12);
    y.backward(doubles({1., -2., 0.5, 3.}, y.sizes()));
    expect_values(x1.grad(), c.g1, 1e-12);
    std::vector<double> minus;
    for (double v : c.g1) minus.push_back(-v);
    expect_values(x2.grad(), minus, 1e-12);
  }
  // 0-dim inputs: |x1 - x2 + eps|, 0-dim with or without keepdim (PyTorch's).
  EXPECT_EQ(F::pairwise_distance(scalar_tensor(2.0), scalar_tensor(1.0), 2.0, 1e-6, true).dim(), 0);
  manual_seed(13);
  Tensor p = testing::grad_input({3, 4}), q = testing::grad_input({3, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::pairwise_distance(in[0], in[1]); }, {p, q});
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::pairwise_distance(in[0], in[1], 3.0); }, {p, q});
}

TEST(Distance, CdistMatchesPyTorch) {
  // x1 [2, 2, 3] against x2 [3, 3] (batch broadcast), y.backward(arange(12).reshape(2, 2, 3) - 5).
  Tensor x1 = leaf(kA, {2, 2, 3});
  Tensor x2 = leaf({1.5, 0.5, -2.0, 1.0, 2.0, -1.0, 3.0, 4.0, 0.75}, {3, 3});
  Tensor y = cdist(x1, x2);
  EXPECT_EQ(y.sizes(), (Dims{2, 2, 3}));
  expect_values(y,
                {4.387482193696061, 4.272001872658765, 5.7282196186948, 2.5495097567963922, 2.449489742783178,
                 5.055937104039171, 4.190763653560053, 2.9261749776799064, 1.0, 2.5495097567963727, 2.4494897427833004,
                 5.05593710403927},
                1e-12);
  y.backward(arange(0, 12, 1, TensorOptions(kFloat64)).reshape({2, 2, 3}) - 5.0);
  expect_values(x1.grad(),
                {2.9170776947968564, 7.137010862433611, -8.02206426180063, 1.5849451012929674, 1.2087288512040941,
                 -1.9771773715693355, 1.7249022441099537, 2.2021422331274687, -2.069800414979618, -7.954805944302762,
                 -9.613841938959863, 4.289056896948732},
                1e-9);
  expect_values(x2.grad(),
                {-0.3208389455305496, -2.152346357398532, 2.5719089868896963, -0.20214367927619414, -0.9099734613428438,
                 0.6633797762217273, 2.2508635289097283, 2.1282798109360646, 4.544696388289427},
                1e-9);
  expect_values(cdist(doubles(kA, {4, 3}), doubles(std::vector<double>(kB.begin(), kB.begin() + 6), {2, 3}), 1.0),
                {6.5, 6.5, 4.0, 4.0, 6.75, 4.75, 4.0000000000000995, 4.0000000000000995}, 1e-12);
  // Against itself: zero distances on the diagonal get PyTorch's zero gradient.
  Tensor s = leaf(kA, {4, 3});
  Tensor d = cdist(s, s);
  expect_values(d.diagonal(), {0.0, 0.0, 0.0, 0.0}, 0.0);
  d.sum().backward();
  expect_values(s.grad(),
                {0.04313174729888086, -3.4052227491778506, 4.238252076056481, -2.5293657781253143, 1.06372220073925,
                 -1.6458678880001547, 3.2267454269517857, 4.855487111699196, -0.9465163000560871, -0.7405113961253523,
                 -2.5139865632605947, -1.64586788800024},
                1e-6);
  EXPECT_EQ(cdist(zeros({0, 3}), ones({2, 3})).sizes(), (Dims{0, 2}));
  manual_seed(14);
  Tensor p = testing::grad_input({3, 4}), q = testing::grad_input({2, 4});
  expect_gradcheck([](const std::vector<Tensor>& in) { return cdist(in[0], in[1]); }, {p, q});
  expect_gradcheck([](const std::vector<Tensor>& in) { return cdist(in[0], in[1], 1.5); }, {p, q});
}

TEST(Distance, EmptyAndNonContiguousInputs) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(F::normalize(e).sizes(), (Dims{0, 3}));
  EXPECT_EQ(F::cosine_similarity(e, e).sizes(), (Dims{0}));
  EXPECT_EQ(F::pairwise_distance(e, e).sizes(), (Dims{0}));
  Tensor a = doubles(kA, {3, 4}).transpose(0, 1), b = doubles(kB, {3, 4}).transpose(0, 1);  // [4, 3], strided
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(allclose(F::normalize(a), F::normalize(a.contiguous()), 0.0, 0.0));
  EXPECT_TRUE(allclose(F::cosine_similarity(a, b), F::cosine_similarity(a.contiguous(), b.contiguous()), 0.0, 0.0));
  EXPECT_TRUE(allclose(F::pairwise_distance(a, b), F::pairwise_distance(a.contiguous(), b.contiguous()), 0.0, 0.0));
  EXPECT_TRUE(allclose(cdist(a, b), cdist(a.contiguous(), b.contiguous()), 0.0, 0.0));
  // float32 keeps its dtype
  EXPECT_EQ(F::cosine_similarity(randn({2, 3}), randn({2, 3})).dtype(), kFloat32);
}

TEST(Distance, ModulesAndBadInput) {
  EXPECT_EQ(nn::CosineSimilarity().repr(), "CosineSimilarity()");
  EXPECT_EQ(nn::PairwiseDistance().repr(), "PairwiseDistance()");
  Tensor a = randn({3, 5}), b = randn({3, 5});
  EXPECT_TRUE(allclose(nn::CosineSimilarity(0, 1e-3)(a, b), F::cosine_similarity(a, b, 0, 1e-3), 0.0, 0.0));
  EXPECT_TRUE(allclose(nn::PairwiseDistance(1.0, 1e-3, true)(a, b), F::pairwise_distance(a, b, 1.0, 1e-3, true), 0.0,
                       0.0));
  EXPECT_EMBER_ERROR(nn::CosineSimilarity()(a), "missing 1 required positional argument: 'x2'");
  EXPECT_EMBER_ERROR(F::cosine_similarity(randn({2, 3}), randn({2, 4})), "must match");
  EXPECT_EMBER_ERROR(F::pairwise_distance(randn({2, 3}), randn({2, 4})), "must match");
  EXPECT_EMBER_ERROR(F::normalize(randn({3, 2}), 2.0, 2), "Dimension out of range (expected to be in range of [-2, 1]");
  EXPECT_EMBER_ERROR(cdist(randn({3}), randn({2, 3})), "cdist only supports at least 2D tensors, X1 got: 1D");
  EXPECT_EMBER_ERROR(cdist(randn({2, 3}), randn({2, 4})), "X1 and X2 must have the same number of columns. X1: 3 X2: 4");
  EXPECT_EMBER_ERROR(cdist(randn({2, 3}), randn({2, 3}), -1.0), "cdist only supports non-negative p values");
}

// clang-format off
// /usr/bin/python3 (torch 1.13): x = (torch.sin(torch.arange(12, dtype=torch.float64) * 1.1) * 3).reshape(4, 3);
// x[3] = x[1] (a zero distance); d = F.pdist(x, p); (d * torch.arange(1., 7.)).sum().backward()
// clang-format on
TEST(Distance, PdistMatchesPyTorch) {
  struct Case {
    double p;
    std::vector<double> distances, gradient;
  };
  const std::vector<Case> cases{
      {2.0,
       {7.170651141032554, 1.186601812787117, 7.170651141032554, 7.129795099930228, 0.0, 7.129795099930228},
       {-1.311309678433183, 2.593641420415014, 3.664241055771136, -0.855843027408382, -4.035764338663469,
        -2.805371074602438, 3.54991183052586, 8.652239360379257, 4.299332600501637, -1.382759124684295,
        -7.210116442130802, -5.158202581670335}},
      {1.0,
       {10.543775572452546, 1.896244344770317, 10.543775572452546, 11.098544651655894, 0.0, 11.098544651655894},
       {2, 2, 6, -5, -5, -5, 12, 12, 8, -9, -9, -9}},
      {INFINITY,
       {5.528428301852854, 0.934624090540136, 5.528428301852854, 5.81931092329955, 0.0, 5.81931092329955},
       {-2, 4, 0, 0, -5, 0, 2, 10, 0, 0, -9, 0}},
      {3.0,
       {6.405183113196897, 1.045493829131345, 6.405183113196897, 6.365110707634607, 0.0, 6.365110707634607},
       {-1.576474840512264, 2.825071740809009, 2.834639230823774, -0.201148359187866, -4.088394507216999,
        -1.982580698325341, 2.087533886700672, 8.513373333257325, 2.876111442824558, -0.309910687000542,
        -7.250050566849335, -3.728169975322992}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.p);
    Tensor x = (sin(arange(12, dtype(kFloat64)) * 1.1) * 3).reshape({4, 3});
    x.select(0, 3).copy_(x.select(0, 1));
    x.requires_grad_(true);
    const Tensor d = F::pdist(x, c.p);
    expect_values(d, c.distances, 1e-13);
    (d * arange(1, 7, 1, dtype(kFloat64))).sum().backward();
    expect_values(x.grad(), c.gradient, 1e-13);
  }
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::pdist(in[0], 2.0); },
                   {randn({5, 3}, kFloat64).requires_grad_(true)});
  // PyTorch: x = [[0, 0], [1, -1]]: p = inf gives each tied coordinate the whole gradient
  // ([[-1, 1], [1, -1]]); p = 0 counts the nonzero differences, with a zero gradient.
  const Tensor tied = tensor(std::vector<double>{0, 0, 1, -1}, {2, 2}).requires_grad_(true);
  F::pdist(tied, INFINITY).sum().backward();
  expect_values(tied.grad(), {-1, 1, 1, -1}, 0);
  const Tensor counted = tensor(std::vector<double>{0, 0, 1, 0}, {2, 2}).requires_grad_(true);
  const Tensor count = F::pdist(counted, 0.0);
  expect_values(count, {1}, 0);
  count.sum().backward();
  expect_values(counted.grad(), {0, 0, 0, 0}, 0);
  // No columns: zero distances (PyTorch's, for every p).
  expect_values(F::pdist(zeros({3, 0}), INFINITY), {0, 0, 0}, 0);
  EXPECT_EQ(F::pdist(zeros({1, 3})).sizes(), (Dims{0}));
  EXPECT_EMBER_ERROR(F::pdist(zeros({3})), "pdist only supports 2D tensors, got: 1D");
  EXPECT_EMBER_ERROR(F::pdist(zeros({3, 2}), -1.0), "pdist only supports non-negative p values");
  EXPECT_EMBER_ERROR(F::pdist(zeros({3, 2}, dtype(kInt64))), "pdist only supports floating-point dtypes");
}

}  // namespace
}  // namespace ember
