// The inplace=True forms of the activations and dropouts (functional and modules): x itself
// overwritten with the out-of-place form's values, the out-of-place form's gradients to
// every order, PyTorch's in-place errors and module reprs (Note [In-place activations]).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "nn/functional/random_layers.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::max_abs_diff;
using Act = std::function<Tensor(const Tensor&)>;
using Inputs = std::vector<Tensor>;

// Points on both sides of every kink (0, +-3, the hardtanh and threshold bounds).
const std::vector<double> kX = {-4.0, -3.0, -1.5, -0.5, 0.0, 0.1, 0.25, 1.0, 2.0, 3.0, 6.5, 7.0};

// An activation's out-of-place form and its in-place one; random forms reseed before each.
struct Case {
  const char* name;
  Act plain, in_place;
  bool smooth = false;  // differentiable twice everywhere (gradgradcheck away from kinks)
};

Act seeded(Act f) {
  return [f](const Tensor& x) {
    manual_seed(7);
    return f(x);
  };
}

std::vector<Case> cases() {
  return {
      {"relu", [](const Tensor& x) { return F::relu(x); }, [](const Tensor& x) { return F::relu(x, true); }},
      {"relu_", [](const Tensor& x) { return F::relu(x); }, [](const Tensor& x) { return F::relu_(x); }},
      {"leaky_relu", [](const Tensor& x) { return F::leaky_relu(x, 0.2); },
       [](const Tensor& x) { return F::leaky_relu(x, 0.2, true); }},
      // PyTorch refuses a negative slope in place while recording; the sign
      // bits taken before the write make it work here.
      {"leaky_relu_ (negative slope)", [](const Tensor& x) { return F::leaky_relu(x, -0.5); },
       [](const Tensor& x) { return F::leaky_relu_(x, -0.5); }},
      {"elu", [](const Tensor& x) { return F::elu(x, 0.7); }, [](const Tensor& x) { return F::elu(x, 0.7, true); },
       true},
      {"elu_", [](const Tensor& x) { return F::elu(x); }, [](const Tensor& x) { return F::elu_(x); }, true},
      {"silu", [](const Tensor& x) { return F::silu(x); }, [](const Tensor& x) { return F::silu(x, true); }, true},
      {"mish", [](const Tensor& x) { return F::mish(x); }, [](const Tensor& x) { return F::mish(x, true); }, true},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x, -0.5, 2.0); },
       [](const Tensor& x) { return F::hardtanh(x, -0.5, 2.0, true); }},
      {"hardtanh_", [](const Tensor& x) { return F::hardtanh(x); }, [](const Tensor& x) { return F::hardtanh_(x); }},
      {"relu6", [](const Tensor& x) { return F::relu6(x); }, [](const Tensor& x) { return F::relu6(x, true); }},
      {"hardswish", [](const Tensor& x) { return F::hardswish(x); },
       [](const Tensor& x) { return F::hardswish(x, true); }},
      {"hardsigmoid", [](const Tensor& x) { return F::hardsigmoid(x); },
       [](const Tensor& x) { return F::hardsigmoid(x, true); }},
      {"selu", [](const Tensor& x) { return F::selu(x); }, [](const Tensor& x) { return F::selu(x, true); }, true},
      {"selu_", [](const Tensor& x) { return F::selu(x); }, [](const Tensor& x) { return F::selu_(x); }, true},
      {"celu", [](const Tensor& x) { return F::celu(x, 0.5); }, [](const Tensor& x) { return F::celu(x, 0.5, true); },
       true},
      {"celu_", [](const Tensor& x) { return F::celu(x); }, [](const Tensor& x) { return F::celu_(x); }, true},
      {"threshold", [](const Tensor& x) { return F::threshold(x, 0.1, 20.0); },
       [](const Tensor& x) { return F::threshold(x, 0.1, 20.0, true); }},
      {"threshold_", [](const Tensor& x) { return F::threshold(x, 1.0, -2.0); },
       [](const Tensor& x) { return F::threshold_(x, 1.0, -2.0); }},
      {"rrelu (eval)", [](const Tensor& x) { return F::rrelu(x, 0.1, 0.3); },
       [](const Tensor& x) { return F::rrelu(x, 0.1, 0.3, false, true); }},
      {"rrelu_ (training)", seeded([](const Tensor& x) { return F::rrelu(x, 0.1, 0.3, true); }),
       seeded([](const Tensor& x) { return F::rrelu_(x, 0.1, 0.3, true); })},
      {"dropout", seeded([](const Tensor& x) { return F::dropout(x, 0.4, true); }),
       seeded([](const Tensor& x) { return F::dropout(x, 0.4, true, true); })},
      {"dropout (p = 1)", [](const Tensor& x) { return F::dropout(x, 1.0, true); },
       [](const Tensor& x) { return F::dropout(x, 1.0, true, true); }},
      {"dropout1d", seeded([](const Tensor& x) {
         return F::dropout1d(x, 0.5, true);
       }),
       seeded([](const Tensor& x) {
         return F::dropout1d(x, 0.5, true, true);
       })},
      {"alpha_dropout", seeded([](const Tensor& x) { return F::alpha_dropout(x, 0.3, true); }),
       seeded([](const Tensor& x) { return F::alpha_dropout(x, 0.3, true, true); })},
      {"feature_alpha_dropout", seeded([](const Tensor& x) {
         return F::feature_alpha_dropout(x, 0.3, true);
       }),
       seeded([](const Tensor& x) {
         return F::feature_alpha_dropout(x, 0.3, true, true);
       })},
  };
}

// Without recording: x's own memory holds the out-of-place values (bit for bit, in each
// floating dtype), the result is x, and x's version moved on.
TEST(InplaceActivations, OverwriteXWithTheOutOfPlaceValues) {
  for (const Case& c : cases()) {
    for (DType dtype : {kFloat64, kFloat32, kBFloat16}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(dtype)));
      const Tensor want = c.plain(tensor(kX, {3, 4}, dtype));
      Tensor x = tensor(kX, {3, 4}, dtype);
      void* const memory = x.data_ptr();
      const uint32_t version = x.version();
      const Tensor got = c.in_place(x);
      EXPECT_EQ(got.data_ptr(), memory);
      EXPECT_GT(x.version(), version);
      EXPECT_EQ(x.dtype(), dtype);
      EXPECT_TRUE(equal(x, want)) << "got " << x << " want " << want;
    }
  }
}

// Recording: x (not a leaf) takes the in-place values and passes the out-of-place form's
// gradient back to what it was computed from; first and second derivatives.
TEST(InplaceActivations, GradientsAreTheOutOfPlaceForms) {
  const Tensor w = arange(1.0, 13.0, 1.0, kFloat64).view({3, 4});
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    auto run = [&](const Act& f, Tensor& g1, Tensor& g2) {
      const Tensor a = tensor(kX, {3, 4}, TensorOptions(kFloat64).requires_grad(true));
      Tensor x = a * 1.5;
      const Tensor y = f(x);
      const Tensor g = autograd::grad({(y * w).sum()}, {a}, {}, /*retain_graph=*/true,
                                      /*create_graph=*/true)[0];
      g1 = g.detach();
      g2 = g.requires_grad() ? autograd::grad({(g * w).sum()}, {a}, {}, false, false, /*allow_unused=*/true)[0]
                             : Tensor();
      return y.detach();
    };
    Tensor want_g, want_gg, got_g, got_gg;
    const Tensor want = run(c.plain, want_g, want_gg);
    const Tensor got = run(c.in_place, got_g, got_gg);
    EXPECT_TRUE(equal(got, want));
    EXPECT_LE(max_abs_diff(got_g, want_g), 1e-14) << got_g << want_g;
    ASSERT_EQ(got_gg.defined(), want_gg.defined());
    if (want_gg.defined()) {
      EXPECT_LE(max_abs_diff(got_gg, want_gg), 1e-13) << got_gg << want_gg;
    }
  }
}

TEST(InplaceActivations, GradcheckAndGradgradcheck) {
  // Away from the kinks, where finite differences hold.
  const Tensor x =
      tensor(std::vector<double>{-2.1, -0.7, 0.4, 1.3, 2.6}, {5}, TensorOptions(kFloat64).requires_grad(true));
  for (const Case& c : cases()) {
    if (std::string(c.name).find("dropout") != std::string::npos || std::string(c.name).find("rrelu_") == 0) continue;
    SCOPED_TRACE(c.name);
    const autograd::GradcheckFn fn = [&c](const Inputs& in) {
      Tensor t = in[0] * 1.0;
      return c.in_place(t) * 1.0;
    };
    expect_gradcheck(fn, {x});
    if (c.smooth) {
      const auto r = autograd::gradgradcheck_report(fn, {x});
      EXPECT_TRUE(r.ok) << r.message;
    }
  }
}

// A strided view of a non-leaf: the write goes through the view (x's other elements kept),
// and the base's gradient is the out-of-place composition's.
TEST(InplaceActivations, ViewsOfNonLeavesWriteThroughAndDifferentiate) {
  const auto pick = [](const std::string& name) {
    for (const Case& c : cases())
      if (c.name == name) return c;
    ADD_FAILURE() << "no case " << name;
    return cases()[0];
  };
  const Tensor w = arange(1.0, 13.0, 1.0, kFloat64).view({3, 4});
  for (const char* name : {"silu", "leaky_relu", "hardtanh", "threshold", "dropout", "selu"}) {
    SCOPED_TRACE(name);
    const Case c = pick(name);
    const Tensor a = tensor(kX, {3, 4}, TensorOptions(kFloat64).requires_grad(true));
    Tensor base = a * 2.0;
    Tensor view = base.transpose(0, 1).narrow(0, 1, 2);  // columns 1 and 2, strided
    c.in_place(view);
    (base * w).sum().backward();
    const Tensor b = tensor(kX, {3, 4}, TensorOptions(kFloat64).requires_grad(true));
    const Tensor doubled = b * 2.0;
    // the view's own element order (random masks are drawn in it)
    const Tensor columns = c.plain(doubled.transpose(0, 1).narrow(0, 1, 2).contiguous()).transpose(0, 1);
    const Tensor want = cat({doubled.narrow(1, 0, 1), columns, doubled.narrow(1, 3, 1)}, 1);
    (want * w).sum().backward();
    EXPECT_TRUE(equal(base.detach(), want.detach())) << base << want;
    EXPECT_LE(max_abs_diff(a.grad(), b.grad()), 1e-14);
  }
}

TEST(InplaceActivations, PyTorchsInPlaceErrors) {
  const Tensor leaf = tensor(kX, {3, 4}, TensorOptions(kFloat64).requires_grad(true));
  // torch 1.13: F.elu(leaf, inplace=True) -> "a leaf Variable that requires grad is being
  // used in an in-place operation."
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_NE(error_of([&] { c.in_place(leaf); })
                  .find("a leaf Variable that requires grad is being used in "
                        "an in-place operation"),
              std::string::npos);
    EXPECT_TRUE(equal(leaf.detach(), tensor(kX, {3, 4}, kFloat64)));  // untouched
  }
  EXPECT_EMBER_ERROR(F::silu(leaf.narrow(0, 0, 2), true),
                     "a view of a leaf Variable that requires grad is being "
                     "used in an in-place operation");
  {  // under no_grad the leaf itself is overwritten, as PyTorch's
    NoGradGuard guard;
    const Tensor l = tensor(kX, {12}, TensorOptions(kFloat64).requires_grad(true));
    EXPECT_TRUE(F::elu(l, 1.0, true).is_alias_of(l));
    EXPECT_TRUE(equal(l, F::elu(tensor(kX, {12}, kFloat64))));
  }
  // A tensor something saved: exp keeps its output, so overwriting it fails at backward.
  const Tensor y = leaf.exp();
  F::silu(y, true);
  EXPECT_EMBER_ERROR(y.sum().backward(),
                     "one of the variables needed for gradient computation has "
                     "been modified by an inplace operation");
  // Dtypes: the out-of-place forms' messages.
  EXPECT_EMBER_ERROR(F::silu(tensor(std::vector<int64_t>{1, 2}, kInt64), true), "\"silu\" not implemented for 'Long'");
  EXPECT_EMBER_ERROR(F::leaky_relu_(tensor(std::vector<int64_t>{1, 2}, kInt64)), "not implemented for 'Long'");
  // A view made under no_grad of a tensor that records, written with grad mode on (the
  // kernel path too).
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Tensor x = leaf * 2.0;
    Tensor view;
    {
      NoGradGuard guard;
      view = x.narrow(0, 0, 2);
    }
    EXPECT_NE(error_of([&] { c.in_place(view); }).find("A view was created in no_grad mode and is being modified inplace"),
              std::string::npos);
  }
  // A module with a full backward hook sees its input through an alias of the hook's node;
  // writing into it is PyTorch's error, not a gradient that skips the write.
  auto silu = std::make_shared<nn::SiLU>(true);
  silu->register_full_backward_hook([](nn::Module&, const Tensor&, const Tensor&) {});
  EXPECT_EMBER_ERROR((*silu)(leaf * 1.0),
                     "Output 0 of BackwardHookFunctionBackward is a view and is being modified inplace");
  // An inference tensor outside inference mode.
  Tensor inference;
  {
    InferenceModeGuard guard;
    inference = ones({3});
  }
  EXPECT_EMBER_ERROR(F::mish(inference, true),
                     "Inplace update to inference tensor outside InferenceMode "
                     "is not allowed");
  EXPECT_EMBER_ERROR(F::hardswish(inference, true),
                     "Inplace update to inference tensor outside InferenceMode "
                     "is not allowed");
}

// torch 1.13: F.threshold(torch.tensor([1, 2, 3]), 1.5, 20.7) -> tensor([20, 2, 3]): an
// integer input keeps its dtype, in place too.
TEST(InplaceActivations, ThresholdKeepsAnIntegerDtype) {
  const Tensor ints = tensor(std::vector<int64_t>{1, 2, 3}, kInt64);
  const Tensor y = F::threshold(ints, 1.5, 20.7);
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(y.to_vector<int64_t>(), (std::vector<int64_t>{20, 2, 3}));
  Tensor x = ints.clone();
  EXPECT_TRUE(F::threshold_(x, 1.5, 20.7).is_alias_of(x));
  EXPECT_EQ(x.to_vector<int64_t>(), (std::vector<int64_t>{20, 2, 3}));
  // torch 1.13: F.threshold(torch.arange(-2, 3), -1.5, 7.9) -> tensor([7, 7, 0, 1, 2]) (the
  // threshold truncated to -1 too)
  EXPECT_EQ(F::threshold(arange(-2, 3, 1, kInt64), -1.5, 7.9).to_vector<int64_t>(),
            (std::vector<int64_t>{7, 7, 0, 1, 2}));
}

// Eval dropout and p = 0 leave x alone (no write, no version bump), in place or not.
TEST(InplaceActivations, DropoutThatDropsNothingLeavesXAlone) {
  Tensor x = tensor(kX, {12}, kFloat32);
  const uint32_t version = x.version();
  EXPECT_TRUE(F::dropout(x, 0.5, false, true).is_alias_of(x));
  EXPECT_TRUE(F::dropout(x, 0.0, true, true).is_alias_of(x));
  EXPECT_TRUE(F::alpha_dropout(x, 0.5, false, true).is_alias_of(x));
  EXPECT_EQ(x.version(), version);
  EXPECT_EMBER_ERROR(F::dropout(x, 1.5, true, true), "dropout probability has to be between 0 and 1, but got 1.5");
}

// torch 1.13: print(nn.LeakyReLU(0.2, True), nn.ELU(), nn.Hardtanh(-0.5, 2.0), ...)
TEST(InplaceActivations, ModuleReprsArePyTorchs) {
  EXPECT_EQ(nn::LeakyReLU(0.2, true).repr(), "LeakyReLU(negative_slope=0.2, inplace=True)");
  EXPECT_EQ(nn::LeakyReLU().repr(), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(nn::ELU(1.0, true).repr(), "ELU(alpha=1.0, inplace=True)");
  EXPECT_EQ(nn::ELU().repr(), "ELU(alpha=1.0)");
  EXPECT_EQ(nn::Hardtanh(-0.5, 2.0).repr(), "Hardtanh(min_val=-0.5, max_val=2.0)");
  EXPECT_EQ(nn::Hardtanh(-1.0, 1.0, true).repr(), "Hardtanh(min_val=-1.0, max_val=1.0, inplace=True)");
  EXPECT_EQ(nn::ReLU6(true).repr(), "ReLU6(inplace=True)");
  EXPECT_EQ(nn::SELU(true).repr(), "SELU(inplace=True)");
  EXPECT_EQ(nn::CELU(1.0, true).repr(), "CELU(alpha=1.0, inplace=True)");
  EXPECT_EQ(nn::SiLU(true).repr(), "SiLU(inplace=True)");
  EXPECT_EQ(nn::SiLU().repr(), "SiLU()");
  EXPECT_EQ(nn::Mish(true).repr(), "Mish(inplace=True)");
  EXPECT_EQ(nn::Hardswish(true).repr(), "Hardswish()");
  EXPECT_EQ(nn::Hardsigmoid(true).repr(), "Hardsigmoid()");
  EXPECT_EQ(nn::Threshold(0.1, 20.0, true).repr(), "Threshold(threshold=0.1, value=20.0, inplace=True)");
  EXPECT_EQ(nn::RReLU(0.125, 1.0 / 3, true).repr(), "RReLU(lower=0.125, upper=0.3333333333333333, inplace=True)");
  EXPECT_EQ(nn::Dropout(0.3, true).repr(), "Dropout(p=0.3, inplace=True)");
  EXPECT_EQ(nn::Dropout2d(0.5, true).repr(), "Dropout2d(p=0.5, inplace=True)");
  EXPECT_EQ(nn::AlphaDropout(0.2, true).repr(), "AlphaDropout(p=0.2, inplace=True)");
  EXPECT_EQ(nn::FeatureAlphaDropout(0.2, true).repr(), "FeatureAlphaDropout(p=0.2, inplace=True)");
}

// The modules pass inplace on: their input is overwritten, and a conv / batch norm / SiLU /
// conv / Hardswish / Dropout network trains to the same gradients in place or not.
TEST(InplaceActivations, ModulesOverwriteTheirInputAndTrainTheSame) {
  const std::vector<std::shared_ptr<nn::Module>> modules = {std::make_shared<nn::LeakyReLU>(0.2, true),
                                                            std::make_shared<nn::ELU>(1.0, true),
                                                            std::make_shared<nn::Hardtanh>(-1.0, 1.0, true),
                                                            std::make_shared<nn::ReLU6>(true),
                                                            std::make_shared<nn::SiLU>(true),
                                                            std::make_shared<nn::Mish>(true),
                                                            std::make_shared<nn::SELU>(true),
                                                            std::make_shared<nn::CELU>(0.5, true),
                                                            std::make_shared<nn::Hardswish>(true),
                                                            std::make_shared<nn::Hardsigmoid>(true),
                                                            std::make_shared<nn::Threshold>(0.1, 20.0, true),
                                                            std::make_shared<nn::RReLU>(0.1, 0.3, true),
                                                            std::make_shared<nn::Dropout>(0.5, true)};
  for (const auto& m : modules) {
    SCOPED_TRACE(m->repr());
    Tensor x = tensor(kX, {12}, kFloat32);
    EXPECT_TRUE((*m)(x).is_alias_of(x));
  }
  const auto net = [](bool inplace) {
    manual_seed(3);
    return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Conv2d>(1, 4, 3), std::make_shared<nn::BatchNorm2d>(4),
        std::make_shared<nn::SiLU>(inplace), std::make_shared<nn::Conv2d>(4, 4, 3),
        std::make_shared<nn::Hardswish>(inplace), std::make_shared<nn::LeakyReLU>(0.1, inplace),
        std::make_shared<nn::Dropout>(0.5, inplace)});
  };
  manual_seed(4);
  const Tensor input = randn({2, 1, 9, 9});
  std::vector<Tensor> grads[2];
  Tensor outs[2];
  for (int inplace = 0; inplace < 2; ++inplace) {
    auto model = net(inplace == 1);
    manual_seed(5);
    outs[inplace] = (*model)(input);
    outs[inplace].pow(2.0).sum().backward();
    for (const Tensor& p : model->parameters()) grads[inplace].push_back(p.grad());
  }
  EXPECT_TRUE(equal(outs[0].detach(), outs[1].detach()));
  ASSERT_EQ(grads[0].size(), grads[1].size());
  for (size_t i = 0; i < grads[0].size(); ++i) EXPECT_LE(max_abs_diff(grads[0][i], grads[1][i]), 1e-6) << i;
}

}  // namespace
}  // namespace ember
