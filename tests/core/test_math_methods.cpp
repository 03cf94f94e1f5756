// The math family's Tensor methods against its free functions and PyTorch 1.13: x.sin(),
// a.fmod(2), x.nan_to_num(), ... give the same values, dtypes and gradients; the in-place
// forms (x.sin_(), a.atan2_(b), x.addcmul_(a, b), ...) write the same values, bump the
// version, refuse leaves that require grad, and record the op's own gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;
using ember::testing::grad_input;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(const std::vector<double>& v) { return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64); }

// Same dtype, shape and values, NaN where NaN and zeros' signs alike.
void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.sizes(), want.sizes());
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << "at index " << i;
    } else {
      EXPECT_EQ(g[i], w[i]) << "at index " << i;
      EXPECT_EQ(std::signbit(g[i]), std::signbit(w[i])) << "at index " << i;
    }
  }
}

using UnaryFn = std::function<Tensor(const Tensor&)>;
using InPlaceFn = std::function<void(Tensor&)>;
struct UnaryCase {
  const char* name;
  UnaryFn free_form, method;
  InPlaceFn in_place;  // empty where libtorch has none (the predicates)
};
#define EMBER_UNARY_CASE(fn)                                                            \
  UnaryCase {                                                                           \
    #fn, [](const Tensor& t) { return fn(t); }, [](const Tensor& t) { return t.fn(); }, \
        [](Tensor& t) { t.fn##_(); }                                                    \
  }
#define EMBER_PREDICATE_CASE(fn) \
  UnaryCase { #fn, [](const Tensor& t) { return fn(t); }, [](const Tensor& t) { return t.fn(); }, {} }
const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases{
      EMBER_UNARY_CASE(sin),   EMBER_UNARY_CASE(cos),        EMBER_UNARY_CASE(tan),       EMBER_UNARY_CASE(asin),
      EMBER_UNARY_CASE(acos),  EMBER_UNARY_CASE(atan),       EMBER_UNARY_CASE(sinh),      EMBER_UNARY_CASE(cosh),
      EMBER_UNARY_CASE(log1p), EMBER_UNARY_CASE(expm1),      EMBER_UNARY_CASE(log2),      EMBER_UNARY_CASE(log10),
      EMBER_UNARY_CASE(rsqrt), EMBER_UNARY_CASE(reciprocal), EMBER_UNARY_CASE(erf),       EMBER_UNARY_CASE(sign),
      EMBER_UNARY_CASE(floor), EMBER_UNARY_CASE(ceil),       EMBER_UNARY_CASE(round),     EMBER_UNARY_CASE(trunc),
      EMBER_PREDICATE_CASE(isnan), EMBER_PREDICATE_CASE(isinf), EMBER_PREDICATE_CASE(isposinf),
      EMBER_PREDICATE_CASE(isneginf), EMBER_PREDICATE_CASE(isfinite),
  };
  return cases;
}
#undef EMBER_UNARY_CASE
#undef EMBER_PREDICATE_CASE

// The ops with more operands, as (free form, method, in-place method) on self = a, with
// b (floating, positive) and w (in [0, 1]) as the others.
struct MultiCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)> free_form, method;
  std::function<void(Tensor&, const Tensor&, const Tensor&)> in_place;
};
const std::vector<MultiCase>& multi_cases() {
  using T = const Tensor&;
  static const std::vector<MultiCase> cases{
      {"atan2", [](T a, T b, T) { return atan2(a, b); }, [](T a, T b, T) { return a.atan2(b); },
       [](Tensor& a, T b, T) { a.atan2_(b); }},
      {"fmod", [](T a, T b, T) { return fmod(a, b); }, [](T a, T b, T) { return a.fmod(b); },
       [](Tensor& a, T b, T) { a.fmod_(b); }},
      {"fmod scalar", [](T a, T, T) { return fmod(a, 0.75); }, [](T a, T, T) { return a.fmod(0.75); },
       [](Tensor& a, T, T) { a.fmod_(0.75); }},
      {"remainder", [](T a, T b, T) { return remainder(a, b); }, [](T a, T b, T) { return a.remainder(b); },
       [](Tensor& a, T b, T) { a.remainder_(b); }},
      {"remainder scalar", [](T a, T, T) { return remainder(a, -0.75); }, [](T a, T, T) { return a.remainder(-0.75); },
       [](Tensor& a, T, T) { a.remainder_(-0.75); }},
      {"nan_to_num", [](T a, T, T) { return nan_to_num(a, 1.0, 2.0, -3.0); },
       [](T a, T, T) { return a.nan_to_num(1.0, 2.0, -3.0); }, [](Tensor& a, T, T) { a.nan_to_num_(1.0, 2.0, -3.0); }},
      {"lerp", [](T a, T b, T) { return lerp(a, b, 0.75); }, [](T a, T b, T) { return a.lerp(b, 0.75); },
       [](Tensor& a, T b, T) { a.lerp_(b, 0.75); }},
      {"lerp tensor", [](T a, T b, T w) { return lerp(a, b, w); }, [](T a, T b, T w) { return a.lerp(b, w); },
       [](Tensor& a, T b, T w) { a.lerp_(b, w); }},
      {"addcmul", [](T a, T b, T w) { return addcmul(a, b, w, -0.5); },
       [](T a, T b, T w) { return a.addcmul(b, w, -0.5); }, [](Tensor& a, T b, T w) { a.addcmul_(b, w, -0.5); }},
      {"addcdiv", [](T a, T b, T w) { return addcdiv(a, w, b, 2); }, [](T a, T b, T w) { return a.addcdiv(w, b, 2); },
       [](Tensor& a, T b, T w) { a.addcdiv_(w, b, 2); }},
  };
  return cases;
}

// Inputs inside every op's domain (|x| < 1 for asin/acos, > 0 for the logs and rsqrt).
Tensor unit_input() { return f64({0.1, 0.25, 0.5, 0.75, 0.9, 0.3}).view({2, 3}); }

// Reference values from /usr/bin/python3 (torch 1.13), x = torch.tensor([-2.5, -0.5, 0.5, 1.5], dtype=torch.float64).
TEST(MathMethods, ValuesAsPyTorch) {
  const Tensor x = f64({-2.5, -0.5, 0.5, 1.5});
  expect_values(x.sin(), {-0.5984721441039564, -0.479425538604203, 0.479425538604203, 0.9974949866040544}, 1e-15);
  expect_values(x.erf(), {-0.999593047982555, -0.5204998778130465, 0.5204998778130465, 0.9661051464753108}, 1e-15);
  expect_values(x.round(), {-2, -0, 0, 2}, 0.0);  // ties to even
  expect_values(x.floor(), {-3, -1, 0, 1}, 0.0);
  expect_values(x.atan2(f64({1, -1, -1, 1})), {-1.1902899496825317, -2.677945044588987, 2.677945044588987,
                                                0.982793723247329}, 1e-15);
  expect_values(x.fmod(2), {-0.5, -0.5, 0.5, 1.5}, 0.0);
  expect_values(x.remainder(2), {1.5, 1.5, 0.5, 1.5}, 0.0);
  const Tensor i = tensor(std::vector<int64_t>{5, -5, 7, -7}, {4});
  EXPECT_EQ(i.remainder(-3).to_vector<int64_t>(), (std::vector<int64_t>{-1, -2, -2, -1}));
  EXPECT_EQ(i.fmod(3).dtype(), kInt64);
  const Tensor e = f64({1.0, kNaN, kInf, -kInf});
  EXPECT_EQ(e.isnan().to_vector<bool>(), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(e.isfinite().to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  expect_values(e.nan_to_num(0.0), {1.0, 0.0, std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::lowest()}, 0.0);
  expect_values(f64({1, 2}).lerp(f64({3, 5}), 0.3), {1.6, 2.9}, 1e-15);
  expect_values(f64({1, 2}).addcmul(f64({1, 2}), f64({3, 5}), 0.5), {2.5, 7.0}, 0.0);
  expect_values(f64({1, 2}).addcdiv(f64({1, 2}), f64({3, 5}), 3), {2.0, 3.2}, 1e-15);
  // in place, the same values
  Tensor y = x.clone();
  y.sin_();
  expect_values(y, {-0.5984721441039564, -0.479425538604203, 0.479425538604203, 0.9974949866040544}, 1e-15);
  Tensor r = x.clone();
  r.remainder_(2);
  expect_values(r, {1.5, 1.5, 0.5, 1.5}, 0.0);
}

// Each method is its free function: values, dtype (float64, float32, int64, bool inputs
// where the op takes them) and node name.
TEST(MathMethods, MethodsAreTheFreeFunctions) {
  const Tensor wide = f64({-2.5, -0.75, -0.0, 0.3, 0.5, 1.5, kNaN, kInf, -kInf});
  const std::vector<Tensor> inputs{wide, wide.to(kFloat32), tensor(std::vector<int64_t>{3, -3, 0, 7}, {4}),
                                   tensor(std::vector<bool>{true, false}, {2})};
  for (const UnaryCase& c : unary_cases()) {
    SCOPED_TRACE(c.name);
    for (const Tensor& in : inputs) {
      const std::string want = error_of([&] { c.free_form(in); });
      if (want != "<no error>") {  // the roundings of bools
        EXPECT_EQ(error_of([&] { c.method(in); }), want);
        continue;
      }
      expect_same(c.method(in), c.free_form(in));
    }
    const Tensor x = unit_input().requires_grad_(true);
    EXPECT_EQ(c.method(x).grad_fn_name(), c.free_form(x).grad_fn_name());
  }
  const Tensor a = f64({5.5, -5.5, 0.25, -0.0, kNaN, kInf}), b = f64({2, -2, 0.5, 1, 3, -kInf});
  const Tensor w = f64({0, 0.25, 0.5, 0.75, 1, 0.4});
  for (const MultiCase& c : multi_cases()) {
    SCOPED_TRACE(c.name);
    expect_same(c.method(a, b, w), c.free_form(a, b, w));
    expect_same(c.method(a.to(kFloat32), b.to(kFloat32), w.to(kFloat32)),
                c.free_form(a.to(kFloat32), b.to(kFloat32), w.to(kFloat32)));
  }
  const Tensor i = tensor(std::vector<int64_t>{5, -5, 7}, {3}), j = tensor(std::vector<int64_t>{3, 2, -4}, {3});
  expect_same(i.fmod(j), fmod(i, j));
  expect_same(i.remainder(j), remainder(i, j));
  expect_same(i.atan2(j), atan2(i, j));  // float32, as div
  expect_same(i.nan_to_num(), nan_to_num(i));
  EXPECT_EQ(error_of([&] { i.fmod(0); }), "ZeroDivisionError");
}

// Gradients through a method equal those through its free function, first and second order.
TEST(MathMethods, MethodsRecordAsTheFreeFunctions) {
  manual_seed(3);
  const Tensor x = grad_input({2, 3}, 0.1, 0.9), y = grad_input({2, 3}, 0.5, 1.5), z = grad_input({2, 3}, 0.1, 0.9);
  for (const UnaryCase& c : unary_cases()) {
    SCOPED_TRACE(c.name);
    if (c.method(x).dtype() == kBool) continue;
    const auto via_method = autograd::grad({(c.method(x) * y).sum()}, {x})[0];
    const auto via_free = autograd::grad({(c.free_form(x) * y).sum()}, {x})[0];
    expect_same(via_method, via_free);
  }
  for (const MultiCase& c : multi_cases()) {
    SCOPED_TRACE(c.name);
    const auto via_method = autograd::grad({c.method(x, y, z).sum()}, {x, y, z}, {}, false, false, true);
    const auto via_free = autograd::grad({c.free_form(x, y, z).sum()}, {x, y, z}, {}, false, false, true);
    ASSERT_EQ(via_method.size(), via_free.size());
    for (size_t k = 0; k < via_method.size(); ++k) {
      ASSERT_EQ(via_method[k].defined(), via_free[k].defined());
      if (via_free[k].defined()) expect_same(via_method[k], via_free[k]);
    }
  }
}

// x.op_() writes op(x) into x, returns x, bumps its version once, and records a node of
// the op's name whose gradient is the out-of-place op's.
TEST(MathMethods, InPlaceWritesTheOpAndRecordsItsGradient) {
  for (const UnaryCase& c : unary_cases()) {
    if (!c.in_place) continue;
    SCOPED_TRACE(c.name);
    const Tensor x = unit_input().requires_grad_(true);
    Tensor y = x * 1.0;  // a non-leaf: in place is allowed
    const uint32_t before = y.version();
    c.in_place(y);
    EXPECT_EQ(y.version(), before + 1);
    expect_same(y.detach(), c.free_form(x.detach()));
    EXPECT_EQ(y.grad_fn_name(), c.free_form(x).grad_fn_name());
    const Tensor g = f64({1, -2, 3, 0.5, 2, -1}).view({2, 3});
    const auto in_place_grad = autograd::grad({(y * g).sum()}, {x})[0];
    const auto free_grad = autograd::grad({(c.free_form(x) * g).sum()}, {x})[0];
    expect_values(in_place_grad, free_grad.to_vector<double>(), 1e-14);
  }
  Tensor t = unit_input();  // each returns self
  EXPECT_EQ(&t.sin_(), &t);
  EXPECT_EQ(&t.fmod_(0.5).floor_(), &t);
  // the multi-operand ops: gradients for self's old value and the other operands
  manual_seed(4);
  const Tensor x = grad_input({2, 3}, 0.1, 0.9), b = grad_input({2, 3}, 0.5, 1.5), w = grad_input({2, 3}, 0.1, 0.9);
  for (const MultiCase& c : multi_cases()) {
    SCOPED_TRACE(c.name);
    Tensor y = x * 1.0;
    const uint32_t before = y.version();
    c.in_place(y, b, w);
    EXPECT_EQ(y.version(), before + 1);
    expect_same(y.detach(), c.free_form(x.detach(), b.detach(), w.detach()));
    const auto in_place = autograd::grad({y.sum()}, {x, b, w}, {}, false, false, true);
    const auto free = autograd::grad({c.free_form(x, b, w).sum()}, {x, b, w}, {}, false, false, true);
    for (size_t k = 0; k < free.size(); ++k) {
      ASSERT_EQ(in_place[k].defined(), free[k].defined()) << k;
      if (free[k].defined()) expect_values(in_place[k], free[k].to_vector<double>(), 1e-14);
    }
  }
}

// PyTorch 1.13's node names for the in-place forms of the composed ops.
TEST(MathMethods, InPlaceNodeNamesAsPyTorch) {
  const Tensor x = f64({0.5, 2}).requires_grad_(true);
  EXPECT_EQ((x * 1.0).tan_().grad_fn_name(), "TanBackward");
  EXPECT_EQ((x * 1.0).atan2_(x).grad_fn_name(), "Atan2Backward");
  EXPECT_EQ((x * 1.0).fmod_(2).grad_fn_name(), "FmodBackward");
  EXPECT_EQ((x * 1.0).addcmul_(x, x).grad_fn_name(), "AddcmulBackward");
  EXPECT_EQ((x * 1.0).addcdiv_(x, x).grad_fn_name(), "AddcdivBackward");
  EXPECT_EQ((x * 1.0).nan_to_num_().grad_fn_name(), "NanToNumBackward");
  EXPECT_EQ((x * 1.0).lerp_(x, 0.3).grad_fn_name(), "LerpBackward");
  Tensor base = x * 1.0;
  base.narrow(0, 0, 1).sin_();
  EXPECT_EQ(base.grad_fn_name(), "CopySlices");
}

TEST(MathMethods, InPlaceRefusesLeavesAndBadResultsAsPyTorch) {
  const char* leaf_error = "a leaf Variable that requires grad is being used in an in-place operation";
  Tensor leaf = f64({0.5, 0.25}).requires_grad_(true);
  const Tensor other = f64({1, 2});
  for (const UnaryCase& c : unary_cases()) {
    if (!c.in_place) continue;
    SCOPED_TRACE(c.name);
    EXPECT_EMBER_ERROR(c.in_place(leaf), leaf_error);
  }
  for (const MultiCase& c : multi_cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EMBER_ERROR(c.in_place(leaf, other, other), leaf_error);
  }
  EXPECT_EQ(leaf.version(), 0u);  // refused before any write
  expect_values(leaf, {0.5, 0.25}, 0.0);
  Tensor view = leaf.narrow(0, 0, 1);
  EXPECT_EMBER_ERROR(view.floor_(),
                     "a view of a leaf Variable that requires grad is being used in an in-place operation");
  {
    NoGradGuard no_grad;  // allowed without recording, as torch.no_grad()
    leaf.sin_();
    EXPECT_EQ(leaf.version(), 1u);
    EXPECT_EQ(leaf.grad_fn(), nullptr);
  }
  expect_values(leaf, {std::sin(0.5), std::sin(0.25)}, 1e-15);

  // The result must fit self, with PyTorch's messages.
  Tensor i = tensor(std::vector<int64_t>{3, -3, 0}, {3});
  EXPECT_EMBER_ERROR(i.sin_(), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(i.fmod_(2.5), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(i.atan2_(i), "result type Float can't be cast to the desired output type Long");
  EXPECT_EMBER_ERROR(i.fmod_(0), "ZeroDivisionError");
  EXPECT_EQ(i.version(), 0u);
  EXPECT_EMBER_ERROR(zeros({3}).addcmul_(ones({2, 3}), ones({3})),
                     "output with shape [3] doesn't match the broadcast shape [2, 3]");
  Tensor flag = tensor(std::vector<bool>{true, false}, {2});
  EXPECT_EMBER_ERROR(flag.floor_(), "not implemented for 'Bool'");
  flag.sign_();  // bool stays bool
  EXPECT_EQ(flag.to_vector<bool>(), (std::vector<bool>{true, false}));
  // integers in place stay integers
  i.sign_();
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, -1, 0}));
  Tensor k = tensor(std::vector<int64_t>{5, -5, 7}, {3});
  k.remainder_(tensor(std::vector<int64_t>{3}, {1}));
  EXPECT_EQ(k.to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 1}));
  EXPECT_EQ(k.version(), 1u);
  // float32 self, float64 other: computed in float64, stored in float32 (as x.add_)
  Tensor s = tensor(std::vector<float>{5.5f, -5.5f}, {2});
  s.fmod_(f64({2, 2}));
  EXPECT_EQ(s.dtype(), kFloat32);
  expect_values(s, {1.5, -1.5}, 0.0);
}

// A tensor saved for backward and then changed in place: PyTorch's version error.
TEST(MathMethods, InPlaceAfterSavingIsCaughtAtBackward) {
  const Tensor x = f64({0.5, 1.5}).requires_grad_(true);
  Tensor y = x * 1.0;
  const Tensor z = y.sin();  // saves y
  y.cos_();
  EXPECT_EMBER_ERROR(z.sum().backward(), "modified by an inplace operation");
  // The ops whose derivative reads their output keep a copy of the input instead (Note
  // [In-place math]): a later write to self leaves their backward intact, where PyTorch
  // 1.13, which saves self, refuses it.
  Tensor t = x * 1.0;
  t.tan_();
  t.mul_(2.0);
  const auto g = autograd::grad({t.sum()}, {x})[0];
  expect_values(g, {2 * (1 + std::tan(0.5) * std::tan(0.5)), 2 * (1 + std::tan(1.5) * std::tan(1.5))}, 1e-12);
}

// On a view: the base takes the op on the covered part (CopySlices), gradients as PyTorch.
TEST(MathMethods, InPlaceOnAViewRewritesTheBase) {
  const Tensor x = f64({0.5, 1.5, 2.5, -1}).requires_grad_(true);
  Tensor base = x * 1.0;
  base.narrow(0, 1, 2).cos_();
  expect_values(base, {0.5, std::cos(1.5), std::cos(2.5), -1}, 1e-15);
  base.sum().backward();
  expect_values(x.grad(), {1, -std::sin(1.5), -std::sin(2.5), 1}, 1e-15);
  const Tensor a = f64({1, 2, 3}).requires_grad_(true), b = f64({4, 5}).requires_grad_(true);
  Tensor c = a * 1.0;
  c.narrow(0, 1, 2).addcmul_(b, b, 0.5);  // c[1:] += 0.5 b^2
  expect_values(c, {1, 10, 15.5}, 0.0);
  c.sum().backward();
  expect_values(a.grad(), {1, 1, 1}, 0.0);
  expect_values(b.grad(), {4, 5}, 0.0);
}

// gradcheck and gradgradcheck through the in-place forms.
TEST(MathMethods, InPlaceGradcheck) {
  manual_seed(6);
  const Tensor x = grad_input({2, 3}, 0.1, 0.9), y = grad_input({2, 3}, 0.5, 1.5);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> fns{
      {"tan_", [](const Tensor& a, const Tensor&) { return a.clone().tan_(); }},
      {"asin_", [](const Tensor& a, const Tensor&) { return a.clone().asin_(); }},
      {"rsqrt_", [](const Tensor&, const Tensor& b) { return b.clone().rsqrt_(); }},
      {"expm1_ * a", [](const Tensor& a, const Tensor&) { return a.clone().expm1_() * a; }},
      {"atan2_", [](const Tensor& a, const Tensor& b) { return a.clone().atan2_(b); }},
      {"fmod_", [](const Tensor& a, const Tensor& b) { return (a * 5.0).fmod_(b); }},
      {"remainder_", [](const Tensor& a, const Tensor& b) { return (a * 5.0).remainder_(b); }},
      {"lerp_", [](const Tensor& a, const Tensor& b) { return a.clone().lerp_(b, a); }},
      {"addcdiv_", [](const Tensor& a, const Tensor& b) { return b.clone().addcdiv_(a, b, 0.5); }},
  };
  for (const auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    auto fn = [&f](const std::vector<Tensor>& in) { return f(in[0], in[1]); };
    expect_gradcheck(fn, {x, y});
    EXPECT_TRUE(autograd::gradgradcheck(fn, {x, y}));
  }
  // On a view (the base's history is CopySlices), twice.
  const auto on_a_view = [](const std::vector<Tensor>& in) {
    Tensor c = in[0].clone();
    c.select(1, 0).sin_();
    return c * in[0];
  };
  expect_gradcheck(on_a_view, {x});
  EXPECT_TRUE(autograd::gradgradcheck(on_a_view, {x}));
}

}  // namespace
}  // namespace ember
