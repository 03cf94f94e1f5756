// kl_div and the margin and likelihood losses (margin_ranking, hinge_embedding, soft_margin,
// cosine_embedding, triplet_margin, multilabel_soft_margin, multi_margin, gaussian_nll,
// poisson_nll): values and gradients for each reduction against PyTorch 1.13, float64
// gradcheck, empty and non-contiguous inputs, the modules and PyTorch's argument errors.
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using Inputs = std::vector<Tensor>;

Tensor doubles(const std::vector<double>& v, const Dims& shape) { return tensor(v, shape, TensorOptions(kFloat64)); }
Tensor longs(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

struct Input {
  std::vector<double> values;
  Dims shape;
  bool differentiable;  // a leaf that requires grad, or a constant (targets)
};

struct Loss {
  std::vector<Input> inputs;
  std::function<Tensor(const Inputs&, std::string_view reduction)> f;
};

// The inputs of /tmp/nnf/loss.py (the script that printed the expected numbers below with
// /usr/bin/python3, torch 1.13.0a0): each loss's inputs as float64 leaves, its call, then
// y.backward(g) with g = 1 for "mean"/"sum" and arange(1, n + 1) * 0.5 - 1 for "none".
std::map<std::string, Loss> losses() {
  const std::vector<double> i1{0.5, -1.0, 2.0, 0.0, 1.5, -0.25}, i2{1.0, -1.0, -0.5, 0.25, 1.5, 0.75},
      y{1., -1., 1., -1., 1., -1.};
  const std::vector<double> c1{0.5, -1.0, 2.0, 0.0, 1.5, -0.25, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0},
      c2{1.0, -1.0, -0.5, 0.25, 1.5, 0.75, -1., -1., -1., 1., 2., 3.};
  const std::vector<double> n{0.0, 1.0, 2.0, 3.0, 1.5, -0.25};
  const std::vector<double> ml{0.5, -1.0, 2.0, 0.0, 1.5, -0.25, -3.0, 0.75}, mt{1., 0., 1., 0., 0., 1., 1., 0.};
  const std::vector<double> mm{0.5, -1.0, 2.0, 0.0, 1.5, -0.25, -3.0, 0.75, 0.1, 0.2, 0.3, -0.4};
  const std::vector<double> pt{1.0, 0.0, 3.0, 2.0, 0.5, 4.0};
  return {
      {"margin_ranking(0.5)",
       {{{i1, {6}, true}, {i2, {6}, true}, {y, {6}, false}},
        [](const Inputs& in, std::string_view r) { return F::margin_ranking_loss(in[0], in[1], in[2], 0.5, r); }}},
      {"hinge_embedding(1.0)",
       {{{{0.5, -1.0, 2.0, 0.0, 1.5, -0.25, 1.0}, {7}, true}, {{1., -1., 1., -1., 1., -1., 1.}, {7}, false}},
        [](const Inputs& in, std::string_view r) { return F::hinge_embedding_loss(in[0], in[1], 1.0, r); }}},
      {"soft_margin",
       {{{i1, {2, 3}, true}, {y, {2, 3}, false}},
        [](const Inputs& in, std::string_view r) { return F::soft_margin_loss(in[0], in[1], r); }}},
      {"cosine_embedding(0.2)",
       {{{c1, {4, 3}, true}, {c2, {4, 3}, true}, {{1., -1., -1., 1.}, {4}, false}},
        [](const Inputs& in, std::string_view r) { return F::cosine_embedding_loss(in[0], in[1], in[2], 0.2, r); }}},
      {"triplet(1.0,p2)",
       {{{i1, {2, 3}, true}, {i2, {2, 3}, true}, {n, {2, 3}, true}},
        [](const Inputs& in, std::string_view r) {
          return F::triplet_margin_loss(in[0], in[1], in[2], 1.0, 2.0, 1e-6, false, r);
        }}},
      {"triplet(0.5,p1,swap)",
       {{{i1, {2, 3}, true}, {i2, {2, 3}, true}, {n, {2, 3}, true}},
        [](const Inputs& in, std::string_view r) {
          return F::triplet_margin_loss(in[0], in[1], in[2], 0.5, 1.0, 1e-6, true, r);
        }}},
      {"multilabel_soft_margin",
       {{{ml, {2, 4}, true}, {mt, {2, 4}, false}},
        [](const Inputs& in, std::string_view r) { return F::multilabel_soft_margin_loss(in[0], in[1], {}, r); }}},
      {"multilabel_soft_margin(w)",
       {{{ml, {2, 4}, true}, {mt, {2, 4}, false}},
        [](const Inputs& in, std::string_view r) {
          return F::multilabel_soft_margin_loss(in[0], in[1], doubles({1., 2., 0.5, 0.}, {4}), r);
        }}},
      {"multi_margin(p1)",
       {{{mm, {3, 4}, true}},
        [](const Inputs& in, std::string_view r) { return F::multi_margin_loss(in[0], longs({2, 0, 3}), 1, 1.0, {}, r); }}},
      {"multi_margin(p2,m0.7,w)",
       {{{mm, {3, 4}, true}},
        [](const Inputs& in, std::string_view r) {
          return F::multi_margin_loss(in[0], longs({2, 0, 3}), 2, 0.7, doubles({1., 2., 0.5, 3.}, {4}), r);
        }}},
      // x[y] - x[i] == margin exactly: PyTorch's kernel adds nothing there, gradient 0.
      {"multi_margin(kink)",
       {{{{2.0, 1.0, 0.5}, {1, 3}, true}},
        [](const Inputs& in, std::string_view r) { return F::multi_margin_loss(in[0], longs({0}), 1, 1.0, {}, r); }}},
      // var holds 1e-8 and 0: clamped at eps = 1e-6 in value, the gradient still flows.
      {"gaussian_nll",
       {{{i1, {2, 3}, true}, {i2, {2, 3}, true}, {{0.5, 2.0, 1e-8, 1.0, 0.0, 3.0}, {2, 3}, true}},
        [](const Inputs& in, std::string_view r) { return F::gaussian_nll_loss(in[0], in[1], in[2], false, 1e-6, r); }}},
      {"gaussian_nll(full,homo)",
       {{{i1, {2, 3}, true}, {i2, {2, 3}, true}, {{0.5, 2.0}, {2}, true}},
        [](const Inputs& in, std::string_view r) { return F::gaussian_nll_loss(in[0], in[1], in[2], true, 1e-6, r); }}},
      {"poisson_nll",
       {{{i1, {2, 3}, true}, {pt, {2, 3}, true}},
        [](const Inputs& in, std::string_view r) { return F::poisson_nll_loss(in[0], in[1], true, false, 1e-8, r); }}},
      {"poisson_nll(nolog,full)",
       {{{{0.5, 1.0, 2.0, 0.1, 1.5, 0.25}, {2, 3}, true}, {pt, {2, 3}, false}},
        [](const Inputs& in, std::string_view r) { return F::poisson_nll_loss(in[0], in[1], false, true, 1e-8, r); }}},
  };
}

struct Expected {
  const char* loss;
  const char* reduction;
  std::vector<double> y;
  std::vector<std::vector<double>> grads;  // per input; {} where the input is a constant
};

// Printed by /tmp/nnf/loss.py (torch 1.13.0a0).
const std::vector<Expected> kExpected{
      {"margin_ranking(0.5)", "none", {1.0, 0.5, 0.0, 0.25, 0.5, 0.0}, {{0.5, 0.0, -0.0, 1.0, -1.5, 0.0}, {-0.5, -0.0, 0.0, -1.0, 1.5, -0.0}, {}}},
      {"margin_ranking(0.5)", "mean", {0.375}, {{-0.16666666666666666, 0.16666666666666666, -0.0, 0.16666666666666666, -0.16666666666666666, 0.0}, {0.16666666666666666, -0.16666666666666666, 0.0, -0.16666666666666666, 0.16666666666666666, -0.0}, {}}},
      {"margin_ranking(0.5)", "sum", {2.25}, {{-1.0, 1.0, -0.0, 1.0, -1.0, 0.0}, {1.0, -1.0, 0.0, -1.0, 1.0, -0.0}, {}}},
      {"hinge_embedding(1.0)", "none", {0.5, 2.0, 2.0, 1.0, 1.5, 1.25, 1.0}, {{-0.5, 0.0, 0.5, -1.0, 1.5, -2.0, 2.5}, {}}},
      {"hinge_embedding(1.0)", "mean", {1.3214285714285714}, {{0.14285714285714285, -0.14285714285714285, 0.14285714285714285, -0.14285714285714285, 0.14285714285714285, -0.14285714285714285, 0.14285714285714285}, {}}},
      {"hinge_embedding(1.0)", "sum", {9.25}, {{1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0}, {}}},
      {"soft_margin", "none", {0.4740769841801067, 0.31326168751822286, 0.1269280110429726, 0.6931471805599453, 0.20141327798275246, 0.5759394198788437}, {{0.18877033439907273, 0.0, -0.05960146101105877, 0.5, -0.27363828570953447, 0.8756469982284038}, {}}},
      {"soft_margin", "mean", {0.3974610935271406}, {{-0.0629234447996909, 0.04482357022833252, -0.019867153670352924, 0.08333333333333333, -0.03040425396772605, 0.07297058318570031}, {}}},
      {"soft_margin", "sum", {2.3847665611628437}, {{-0.37754066879814546, 0.2689414213699951, -0.11920292202211755, 0.5, -0.18242552380635632, 0.4378234991142019}, {}}},
      {"cosine_embedding(0.2)", "none", {0.8545214065093846, 0.5998971731798253, 0.0, 1.0}, {{0.13855104141963503, -0.13162348934865467, -0.10044950502922917, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -267261.2424463765, -534522.484892753, -801783.7273391294}, {0.0404107204140742, -0.1131500171593819, 0.30712147514684757, 0.0, 0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, {}}},
      {"cosine_embedding(0.2)", "mean", {0.6136046449223025}, {{-0.06927552070981752, 0.06581174467432734, 0.050224752514614585, 0.024239308278176525, 0.015722794558873265, 0.09433676735289388, 0.0, 0.0, 0.0, -66815.31061159412, -133630.62122318824, -200445.93183478236}, {-0.0202053602070371, 0.05657500857969095, -0.15356073757342378, -0.01738906898216407, 0.041101435776074724, -0.07640651522466874, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, {}}},
      {"cosine_embedding(0.2)", "sum", {2.45441857968921}, {{-0.27710208283927007, 0.26324697869730934, 0.20089901005845834, 0.0969572331127061, 0.06289117823549306, 0.37734706941157553, 0.0, 0.0, 0.0, -267261.2424463765, -534522.484892753, -801783.7273391294}, {-0.0808214408281484, 0.2263000343187638, -0.6142429502936951, -0.06955627592865628, 0.1644057431042989, -0.30562606089867494, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, {}}},
      {"triplet(1.0,p2)", "none", {1.4879584560588461, 0.0}, {{0.2193259391355568, -0.48507137485456714, -0.49029014056721526, 0.0, 0.0, -0.0}, {-0.09805784128129542, 1.961160747947404e-07, 0.4902903831029259, 0.0, -0.0, 0.0}, {-0.12126809785426139, 0.48507117873849237, -2.425357106371015e-07, -0.0, 0.0, 0.0}}},
      {"triplet(1.0,p2)", "mean", {0.7439792280294231}, {{-0.2193259391355568, 0.48507137485456714, 0.49029014056721526, 0.0, 0.0, -0.0}, {0.09805784128129542, -1.961160747947404e-07, -0.4902903831029259, 0.0, -0.0, 0.0}, {0.12126809785426139, -0.48507117873849237, 2.425357106371015e-07, -0.0, 0.0, 0.0}}},
      {"triplet(1.0,p2)", "sum", {1.4879584560588461}, {{-0.4386518782711136, 0.9701427497091343, 0.9805802811344305, 0.0, 0.0, -0.0}, {0.19611568256259085, -3.922321495894808e-07, -0.9805807662058518, 0.0, -0.0, 0.0}, {0.24253619570852278, -0.9701423574769847, 4.85071421274203e-07, -0.0, 0.0, 0.0}}},
      {"triplet(0.5,p1,swap)", "none", {1.0, 0.0}, {{1.0, -1.0, 0.0, 0.0, 0.0, -0.0}, {-0.5, 0.5, 0.5, 0.0, 0.0, 0.0}, {-0.5, 0.5, -0.5, 0.0, 0.0, 0.0}}},
      {"triplet(0.5,p1,swap)", "mean", {0.5}, {{-1.0, 1.0, 0.0, 0.0, 0.0, -0.0}, {0.5, -0.5, -0.5, 0.0, 0.0, 0.0}, {0.5, -0.5, 0.5, 0.0, 0.0, 0.0}}},
      {"triplet(0.5,p1,swap)", "sum", {1.0}, {{-2.0, 2.0, 0.0, 0.0, 0.0, -0.0}, {1.0, -1.0, -1.0, 0.0, 0.0, 0.0}, {1.0, -1.0, 1.0, 0.0, 0.0, 0.0}}},
      {"multilabel_soft_margin", "none", {0.4018534658253118, 1.6782027638875596}, {{0.04719258359976818, -0.03361767767124939, 0.014900365252764693, -0.0625, 0.0, 0.0, 0.0, 0.0}, {}}},
      {"multilabel_soft_margin", "mean", {1.0400281148564356}, {{-0.04719258359976818, 0.03361767767124939, -0.014900365252764693, 0.0625, 0.10219680952420546, -0.07027206261072477, -0.11907176585280416, 0.08489733739692412}, {}}},
      {"multilabel_soft_margin", "sum", {2.0800562297128713}, {{-0.09438516719953637, 0.06723535534249878, -0.029800730505529387, 0.125, 0.2043936190484109, -0.14054412522144955, -0.2381435317056083, 0.16979467479384824}, {}}},
      {"multilabel_soft_margin(w)", "none", {0.2910160911845097, 1.2193964483818276}, {{0.04719258359976818, -0.06723535534249878, 0.007450182626382347, 0.0, 0.0, 0.0, 0.0, 0.0}, {}}},
      {"multilabel_soft_margin(w)", "mean", {0.7552062697831686}, {{-0.04719258359976818, 0.06723535534249878, -0.007450182626382347, 0.0, 0.10219680952420546, -0.14054412522144955, -0.05953588292640208, 0.0}, {}}},
      {"multilabel_soft_margin(w)", "sum", {1.5104125395663373}, {{-0.09438516719953637, 0.13447071068499755, -0.014900365252764693, 0.0, 0.2043936190484109, -0.2810882504428991, -0.11907176585280416, 0.0}, {}}},
      {"multi_margin(p1)", "none", {0.0, 0.0625, 1.2}, {{-0.0, -0.0, -0.0, -0.0, -0.0, 0.0, 0.0, 0.0, 0.125, 0.125, 0.125, -0.375}}},
      {"multi_margin(p1)", "mean", {0.42083333333333334}, {{0.0, 0.0, 0.0, 0.0, -0.08333333333333333, 0.0, 0.0, 0.08333333333333333, 0.08333333333333333, 0.08333333333333333, 0.08333333333333333, -0.25}}},
      {"multi_margin(p1)", "sum", {1.2625}, {{0.0, 0.0, 0.0, 0.0, -0.25, 0.0, 0.0, 0.25, 0.25, 0.25, 0.25, -0.75}}},
      {"multi_margin(p2,m0.7,w)", "none", {0.0, 0.0, 3.8175000000000003}, {{-0.0, -0.0, -0.0, -0.0, 0.0, 0.0, 0.0, 0.0, 0.9000000000000001, 0.9750000000000001, 1.05, -2.9250000000000003}}},
      {"multi_margin(p2,m0.7,w)", "mean", {1.2725000000000002}, {{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6000000000000001, 0.65, 0.7, -1.95}}},
      {"multi_margin(p2,m0.7,w)", "sum", {3.8175000000000003}, {{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.8000000000000003, 1.9500000000000002, 2.1, -5.8500000000000005}}},
      {"multi_margin(kink)", "none", {0.0}, {{-0.0, -0.0, -0.0}}},
      {"multi_margin(kink)", "mean", {0.0}, {{0.0, 0.0, 0.0}}},
      {"multi_margin(kink)", "sum", {0.0}, {{0.0, 0.0, 0.0}}},
      {"gaussian_nll", "none", {-0.09657359027997264, 0.34657359027997264, 3124993.092244721, 0.03125, -6.907755278982137, 0.7159728110007215}, {{0.5, 0.0, 1250000.0, -0.25, 0.0, -0.6666666666666666}, {-0.5, -0.0, -1250000.0, 0.25, -0.0, 0.6666666666666666}, {-0.25, 0.0, -1562499750000.0, 0.46875, 750000.0, 0.2222222222222222}}},
      {"gaussian_nll", "mean", {520831.19695204217}, {{-0.16666666666666666, 0.0, 416666.6666666666, -0.041666666666666664, 0.0, -0.05555555555555555}, {0.16666666666666666, -0.0, -416666.6666666666, 0.041666666666666664, -0.0, 0.05555555555555555}, {0.08333333333333333, 0.041666666666666664, -520833250000.0, 0.078125, 83333.33333333333, 0.018518518518518517}}},
      {"gaussian_nll", "sum", {3124987.181712253}, {{-1.0, 0.0, 2500000.0, -0.25, 0.0, -0.3333333333333333}, {1.0, -0.0, -2500000.0, 0.25, -0.0, 0.3333333333333333}, {0.5, 0.25, -3124999500000.0, 0.46875, 500000.0, 0.1111111111111111}}},
      {"gaussian_nll(full,homo)", "none", {0.8223649429247, 0.5723649429247, 6.8223649429247, 1.2811371234846454, 1.2655121234846454, 1.5155121234846454}, {{0.5, 0.0, 2.5, -0.125, 0.0, -1.0}, {-0.5, -0.0, -2.5, 0.125, -0.0, 1.0}, {-6.0, 0.8671875}}},
      {"gaussian_nll(full,homo)", "mean", {2.0465426998713396}, {{-0.16666666666666666, 0.0, 0.8333333333333333, -0.020833333333333332, 0.0, -0.08333333333333333}, {0.16666666666666666, -0.0, -0.8333333333333333, 0.020833333333333332, -0.0, 0.08333333333333333}, {-1.6666666666666665, 0.10286458333333334}}},
      {"gaussian_nll(full,homo)", "sum", {12.279256199228037}, {{-1.0, 0.0, 5.0, -0.125, 0.0, -0.5}, {1.0, -0.0, -5.0, 0.125, -0.0, 0.5}, {-10.0, 0.6171875}}},
      {"poisson_nll", "none", {1.1487212707001282, 0.36787944117144233, 1.3890560989306504, 1.0, 3.7316890703380645, 1.778800783071405}, {{-0.3243606353500641, 0.0, 2.194528049465325, -1.0, 5.972533605507097, -6.44239843385719}, {0.25, 0.0, -1.0, -0.0, -2.25, 0.5}}},
      {"poisson_nll", "mean", {1.569357777368615}, {{0.10812021178335471, 0.061313240195240384, 0.7315093498217751, -0.16666666666666666, 0.663614845056344, -0.5368665361547658}, {-0.08333333333333333, 0.16666666666666666, -0.3333333333333333, -0.0, -0.25, 0.041666666666666664}}},
      {"poisson_nll", "sum", {9.41614666421169}, {{0.6487212707001282, 0.36787944117144233, 4.38905609893065, -1.0, 3.9816890703380645, -3.221199216928595}, {-0.5, 1.0, -2.0, -0.0, -1.5, 0.25}}},
      {"poisson_nll(nolog,full)", "none", {1.1931471605599455, 1.0, 1.6846399868632211, 5.356976470592636, 1.2972674426125845, 8.952440442723747}, {{0.49999998000000034, 0.0, -0.24999999625000002, -18.9999980000002, 1.0000000033333332, -29.99999872000005}, {}}},
      {"poisson_nll(nolog,full)", "mean", {3.2474119172253553}, {{-0.1666666600000001, 0.16666666666666666, -0.08333333208333335, -3.1666663333333664, 0.11111111148148148, -2.499999893333338}, {}}},
      {"poisson_nll(nolog,full)", "sum", {19.484471503352133}, {{-0.9999999600000007, 1.0, -0.49999999250000005, -18.9999980000002, 0.6666666688888889, -14.999999360000025}, {}}},
};

// Within 1e-10, relative to the value where it is large: cosine_embedding's zero row has a
// gradient of ~1e5 through its 1e-12 guard, which PyTorch and ember round apart by ~2e-9
// relative, so that input gets 1e-8 (`rtol`).
void expect_close(const Tensor& t, const std::vector<double>& expected, const std::string& what, double rtol = 1e-10) {
  const auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], rtol * std::max(1.0, std::abs(expected[i]))) << what << " at " << i;
  }
}

TEST(LossesExtra, ValuesAndGradientsForEachReductionMatchPyTorch) {
  const auto table = losses();
  ASSERT_EQ(kExpected.size(), table.size() * 3);
  for (const Expected& e : kExpected) {
    const std::string what = std::string(e.loss) + " reduction=" + e.reduction;
    SCOPED_TRACE(what);
    const Loss& loss = table.at(e.loss);
    Inputs in;
    for (const Input& i : loss.inputs) {
      Tensor t = doubles(i.values, i.shape);
      in.push_back(i.differentiable ? t.requires_grad_(true) : t);
    }
    Tensor y = loss.f(in, e.reduction);
    EXPECT_EQ(y.dtype(), kFloat64);
    expect_close(y, e.y, "y");
    const bool none = std::string_view(e.reduction) == "none";
    if (none) {
      y.backward(arange(1, y.numel() + 1, 1, TensorOptions(kFloat64)).reshape(y.sizes()) * 0.5 - 1.0);
    } else {
      EXPECT_EQ(y.dim(), 0);
      y.backward();
    }
    ASSERT_EQ(e.grads.size(), in.size());
    for (size_t k = 0; k < in.size(); ++k) {
      if (!loss.inputs[k].differentiable) continue;
      ASSERT_TRUE(in[k].grad().defined()) << "input " << k;
      const double rtol = std::string_view(e.loss).starts_with("cosine_embedding") ? 1e-8 : 1e-10;
      expect_close(in[k].grad(), e.grads[k], "gradient of input " + std::to_string(k), rtol);
    }
  }
}

TEST(LossesExtra, KlDivMatchesPyTorchForEveryReductionAndLogTarget) {
  const std::vector<double> input{-1.2, -0.7, -1.5, -0.1, -2.5, -3.0}, target{0.2, 0.5, 0.3, 0.0, 0.6, 0.4};
  struct Case {
    const char* reduction;
    bool log_target;
    std::vector<double> y, gx, gt;
  };
  const double nan = std::nan("");
  // PyTorch's xlogy gives target's gradient NaN where target == 0 (0 / 0); ember's is
  // finite there (log(1) - input), so that element (index 3) is left out of gt.
  const std::vector<Case> cases{
      {"none", false,
       {-0.0818875824868201, 0.0034264097200273347, 0.08880815870221914, 0.0, 1.1935046257404056, 0.8334837072503382},
       {0.1, -0.0, -0.15, -0.0, -0.8999999999999999, -0.8},
       {-0.29528104378294984, 0.0, 0.6480135978370319, nan, 4.483761564351014, 6.16741853625169}},
      {"mean", false, {0.339555886487695},
       {-0.03333333333333333, -0.08333333333333333, -0.049999999999999996, -0.0, -0.09999999999999999,
        -0.06666666666666667},
       {0.09842701459431663, 0.1678088032400091, 0.21600453261234398, nan, 0.4981957293723348, 0.5139515446876408}},
      {"sum", false, {2.03733531892617}, {-0.2, -0.5, -0.3, -0.0, -0.6, -0.4},
       {0.5905620875658997, 1.0068528194400548, 1.2960271956740639, nan, 2.9891743762340095, 3.083709268125845}},
      {"batchmean", false, {1.018667659463085}, {-0.1, -0.25, -0.15, -0.0, -0.3, -0.2},
       {0.29528104378294984, 0.5034264097200274, 0.6480135978370319, nan, 1.4945871881170048, 1.5418546340629224}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reduction);
    Tensor x = doubles(input, {2, 3}).requires_grad_(true), t = doubles(target, {2, 3}).requires_grad_(true);
    Tensor y = F::kl_div(x, t, c.reduction, c.log_target);
    expect_close(y, c.y, "y");
    if (y.dim() == 0) y.backward();
    else y.backward(arange(1, 7, 1, TensorOptions(kFloat64)).reshape({2, 3}) * 0.5 - 1.0);
    expect_close(x.grad(), c.gx, "input's gradient");
    const auto gt = t.grad().to_vector<double>();
    for (size_t i = 0; i < gt.size(); ++i) {
      if (std::isnan(c.gt[i])) EXPECT_TRUE(std::isfinite(gt[i]));
      else EXPECT_NEAR(gt[i], c.gt[i], 1e-10) << "target's gradient at " << i;
    }
  }
  // log_target
  const std::vector<double> log_target{-1.6, -0.7, -1.2, -2.3, -0.5, -0.9};
  Tensor x = doubles(input, {2, 3}).requires_grad_(true), t = doubles(log_target, {2, 3}).requires_grad_(true);
  Tensor y = F::kl_div(x, t, "none", true);
  expect_close(y,
               {-0.08075860719786218, 0.0, 0.09035826357366065, -0.2205694561901682, 1.2130613194252668,
                0.8537962854552582},
               "y");
  y.backward(arange(1, 7, 1, TensorOptions(kFloat64)).reshape({2, 3}) * 0.5 - 1.0);
  expect_close(x.grad(),
               {0.10094825899732769, -0.0, -0.15059710595610107, -0.10025884372280375, -0.9097959895689501,
                -0.8131393194811982},
               "input's gradient");
  expect_close(t.grad(),
               {-0.0605689553983966, 0.0, 0.1957762377429314, -0.12031061246736446, 2.7293879687068503,
                2.5207318903917146},
               "target's gradient");
  Tensor xb = doubles(input, {2, 3}).requires_grad_(true), tb = doubles(log_target, {2, 3}).requires_grad_(true);
  Tensor yb = F::kl_div(xb, tb, "batchmean", true);
  expect_close(yb, {0.9279439025330778}, "y");
  yb.backward();
  expect_close(tb.grad(),
               {0.0605689553983966, 0.24829265189570476, 0.1957762377429314, -0.06015530623368223, 0.9097959895689501,
                0.6301829725979287},
               "target's gradient");
}

TEST(LossesExtra, GradcheckEveryLoss) {
  manual_seed(21);
  Tensor a = testing::grad_input({3, 4}), b = testing::grad_input({3, 4}), c = testing::grad_input({3, 4});
  Tensor signs = doubles({1, -1, 1}, {3});
  Tensor signs12 = (rand({3, 4}, kFloat64) > 0.5).to(kFloat64) * 2.0 - 1.0;
  Tensor labels = (rand({3, 4}, kFloat64) > 0.5).to(kFloat64);
  Tensor positive = testing::grad_input({3, 4}, 0.5, 2.0);
  const std::vector<std::pair<const char*, autograd::GradcheckFn>> fns{
      {"kl_div", [&](const Inputs& in) { return F::kl_div(in[0], softmax(in[1], 1), "batchmean"); }},
      {"kl_div log_target", [&](const Inputs& in) { return F::kl_div(in[0], in[1], "sum", true); }},
      {"margin_ranking", [&](const Inputs& in) { return F::margin_ranking_loss(in[0], in[1], signs12, 0.1); }},
      {"hinge_embedding", [&](const Inputs& in) { return F::hinge_embedding_loss(in[0], signs12, 0.3); }},
      {"soft_margin", [&](const Inputs& in) { return F::soft_margin_loss(in[0] + in[1], signs12); }},
      {"cosine_embedding", [&](const Inputs& in) { return F::cosine_embedding_loss(in[0], in[1], signs, -0.5); }},
      {"triplet", [&](const Inputs& in) { return F::triplet_margin_loss(in[0], in[1], in[2], 2.0); }},
      {"triplet swap p3", [&](const Inputs& in) { return F::triplet_margin_loss(in[0], in[1], in[2], 2.0, 3.0, 1e-6, true); }},
      {"multilabel_soft_margin", [&](const Inputs& in) { return F::multilabel_soft_margin_loss(in[0], labels); }},
      {"multi_margin", [&](const Inputs& in) { return F::multi_margin_loss(in[0], longs({1, 0, 3}), 2, 1.5); }},
      {"gaussian_nll", [&](const Inputs& in) { return F::gaussian_nll_loss(in[0], in[1], exp(in[2]), true); }},
      {"poisson_nll", [&](const Inputs& in) { return F::poisson_nll_loss(in[0], in[1]); }},
  };
  for (const auto& [name, fn] : fns) {
    SCOPED_TRACE(name);
    expect_gradcheck(fn, {a, b, c});
  }
  expect_gradcheck([&](const Inputs& in) { return F::poisson_nll_loss(in[0], in[1] * 3.0, false, true); },
                   {positive, positive.detach().clone().requires_grad_(true)});
}

TEST(LossesExtra, EmptyAndNonContiguousInputs) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(F::soft_margin_loss(e, e, "none").sizes(), (Dims{0, 3}));
  EXPECT_TRUE(std::isnan(F::soft_margin_loss(e, e).item<float>()));  // the mean of nothing, as PyTorch
  EXPECT_EQ(F::soft_margin_loss(e, e, "sum").item<float>(), 0.0f);
  EXPECT_EQ(F::multi_margin_loss(e, zeros({0}, TensorOptions(kInt64)), 1, 1.0, {}, "none").sizes(), (Dims{0}));
  EXPECT_TRUE(std::isnan(F::kl_div(e, e, "batchmean").item<float>()));  // 0 / batch size 0
  EXPECT_EQ(F::triplet_margin_loss(e, e, e, 1.0, 2.0, 1e-6, false, "none").sizes(), (Dims{0}));

  manual_seed(22);
  Tensor x = randn({4, 3}), t = randn({4, 3}), v = rand({4, 3}) + 0.1;
  Tensor xs = x.t().contiguous().t(), ts = t.t().contiguous().t(), vs = v.t().contiguous().t();  // strided
  ASSERT_FALSE(xs.is_contiguous());
  const auto same = [](const Tensor& p, const Tensor& q) { return allclose(p, q, 0.0, 0.0); };
  EXPECT_TRUE(same(F::kl_div(xs, ts.exp(), "none"), F::kl_div(x, t.exp(), "none")));
  EXPECT_TRUE(same(F::soft_margin_loss(xs, ts, "none"), F::soft_margin_loss(x, t, "none")));
  EXPECT_TRUE(same(F::gaussian_nll_loss(xs, ts, vs, false, 1e-6, "none"), F::gaussian_nll_loss(x, t, v, false, 1e-6, "none")));
  EXPECT_TRUE(same(F::multi_margin_loss(xs, longs({0, 1, 2, 0}), 1, 1.0, {}, "none"),
                   F::multi_margin_loss(x, longs({0, 1, 2, 0}), 1, 1.0, {}, "none")));
  EXPECT_TRUE(same(F::triplet_margin_loss(xs, ts, vs, 1.0, 2.0, 1e-6, false, "none"),
                   F::triplet_margin_loss(x, t, v, 1.0, 2.0, 1e-6, false, "none")));
  // float32 stays float32; a 1-D multi_margin input with a 0-dim target gives a 0-dim "none".
  EXPECT_EQ(F::poisson_nll_loss(x, t).dtype(), kFloat32);
  EXPECT_EQ(F::multi_margin_loss(randn({5}), scalar_tensor(2, TensorOptions(kInt64)), 1, 1.0, {}, "none").dim(), 0);
}

TEST(LossesExtra, BadInputIsPyTorchsError) {
  Tensor x = randn({3, 2});
  EXPECT_EMBER_ERROR(F::kl_div(x, x, "bad"), "bad is not a valid value for reduction");
  EXPECT_EMBER_ERROR(F::margin_ranking_loss(randn({3}), randn({3}), randn({3, 1})),
                     "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ");
  EXPECT_EMBER_ERROR(F::cosine_embedding_loss(randn({3, 2}), randn({3, 2}), ones({3, 1})),
                     "0D or 1D target tensor expected, multi-target not supported");
  EXPECT_EMBER_ERROR(F::cosine_embedding_loss(randn({3}), randn({3, 2}), ones({3})),
                     "1D target tensor expects 2D input tensors, but found inputs with sizes");
  EXPECT_EMBER_ERROR(F::cosine_embedding_loss(randn({3, 2}), randn({3, 2}), ones({})),
                     "0D target tensor expects 1D input tensors");
  EXPECT_EMBER_ERROR(F::triplet_margin_loss(randn({3, 2}), randn({3, 2}), randn({2})),
                     "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
                     "but got: anchor 2D, positive 2D, and negative 1D inputs");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(x, longs({0, 1, 2})), "target out of range");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(x, longs({0, 1, -1})), "target out of range");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(x, longs({0, 1, 1}), 3), "only p == 1 and p == 2 supported");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(randn({3, 2, 2}), longs({0, 1, 1})),
                     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: ");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(x, longs({0, 1})), "inconsistent target size, got: ");
  EXPECT_EMBER_ERROR(F::multi_margin_loss(x, longs({0, 1, 1}), 1, 1.0, ones({3})), "inconsistent weight size");
  EXPECT_EMBER_ERROR(F::gaussian_nll_loss(x, x, ones({3, 3})), "var is of incorrect size");
  EXPECT_EMBER_ERROR(F::gaussian_nll_loss(x, x, -ones({3, 2})), "var has negative entry/entries");
  EXPECT_EMBER_ERROR(F::gaussian_nll_loss(x, x, ones({3, 2}), false, 1e-6, "x"), "x is not a valid value for reduction");
  EXPECT_EMBER_ERROR(F::poisson_nll_loss(x, x, true, false, 1e-8, "x"), "x is not a valid value for reduction");
  EXPECT_EMBER_ERROR(F::soft_margin_loss(x, randn({3, 3})), "must match");
  EXPECT_EMBER_ERROR(nn::MultiMarginLoss(3), "only p == 1 and p == 2 supported");
  EXPECT_EMBER_ERROR(nn::KLDivLoss("avg"), "avg is not a valid value for reduction");
  EXPECT_EMBER_ERROR(nn::MarginRankingLoss()(x), "missing 2 required positional arguments");
  EXPECT_EMBER_ERROR(nn::SoftMarginLoss()(x), "missing 1 required positional argument: 'target'");
}

TEST(LossesExtra, ModulesCallTheFunctionalOnesAndPrintLikePyTorch) {
  EXPECT_EQ(nn::KLDivLoss().repr(), "KLDivLoss()");
  EXPECT_EQ(nn::KLDivLoss("batchmean").repr(), "KLDivLoss()");
  EXPECT_EQ(nn::MarginRankingLoss().repr(), "MarginRankingLoss()");
  EXPECT_EQ(nn::HingeEmbeddingLoss().repr(), "HingeEmbeddingLoss()");
  EXPECT_EQ(nn::SoftMarginLoss().repr(), "SoftMarginLoss()");
  EXPECT_EQ(nn::CosineEmbeddingLoss().repr(), "CosineEmbeddingLoss()");
  EXPECT_EQ(nn::TripletMarginLoss().repr(), "TripletMarginLoss()");
  EXPECT_EQ(nn::MultiLabelSoftMarginLoss().repr(), "MultiLabelSoftMarginLoss()");
  EXPECT_EQ(nn::MultiMarginLoss().repr(), "MultiMarginLoss()");
  EXPECT_EQ(nn::GaussianNLLLoss().repr(), "GaussianNLLLoss()");
  EXPECT_EQ(nn::PoissonNLLLoss().repr(), "PoissonNLLLoss()");

  manual_seed(23);
  Tensor a = randn({4, 3}), b = randn({4, 3}), c = randn({4, 3}), pos = rand({4, 3}) + 0.1;
  Tensor signs = doubles({1, -1, -1, 1}, {4}).to(kFloat32);
  Tensor labels = (rand({4, 3}) > 0.5).to(kFloat32);
  const auto same = [](const Tensor& p, const Tensor& q) { return allclose(p, q, 0.0, 0.0); };
  Tensor log_p = log_softmax(a, 1), q = softmax(b, 1);
  EXPECT_TRUE(same(nn::KLDivLoss("batchmean")(log_p, q), F::kl_div(log_p, q, "batchmean")));
  EXPECT_TRUE(same(nn::KLDivLoss("none", true)(log_p, b), F::kl_div(log_p, b, "none", true)));
  EXPECT_TRUE(same(nn::KLDivLoss("sum")(log_p, q), F::kl_div(log_p, q, "sum")));
  EXPECT_TRUE(same(nn::MarginRankingLoss(0.3, "sum")(a, b, sign(c)), F::margin_ranking_loss(a, b, sign(c), 0.3, "sum")));
  EXPECT_TRUE(same(nn::HingeEmbeddingLoss(0.5)(a, sign(c)), F::hinge_embedding_loss(a, sign(c), 0.5)));
  EXPECT_TRUE(same(nn::SoftMarginLoss("none")(a, sign(c)), F::soft_margin_loss(a, sign(c), "none")));
  EXPECT_TRUE(same(nn::CosineEmbeddingLoss(0.1)(a, b, signs), F::cosine_embedding_loss(a, b, signs, 0.1)));
  EXPECT_TRUE(same(nn::TripletMarginLoss(0.5, 1.0, 1e-6, true)(a, b, c),
                   F::triplet_margin_loss(a, b, c, 0.5, 1.0, 1e-6, true)));
  Tensor w = rand({3});
  nn::MultiLabelSoftMarginLoss weighted(w);
  EXPECT_EQ(weighted.named_buffers().size(), 1u);  // weight= is a buffer, as in PyTorch
  EXPECT_TRUE(same(weighted(a, labels), F::multilabel_soft_margin_loss(a, labels, w)));
  EXPECT_TRUE(same(nn::MultiMarginLoss(2, 0.5, w)(a, longs({0, 2, 1, 1})),
                   F::multi_margin_loss(a, longs({0, 2, 1, 1}), 2, 0.5, w)));
  EXPECT_TRUE(same(nn::GaussianNLLLoss(true, 1e-3)(a, b, pos), F::gaussian_nll_loss(a, b, pos, true, 1e-3)));
  EXPECT_TRUE(same(nn::PoissonNLLLoss(false, true, 1e-4)(pos, pos * 3.0),
                   F::poisson_nll_loss(pos, pos * 3.0, false, true, 1e-4)));
}

}  // namespace
}  // namespace ember
