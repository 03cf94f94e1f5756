// Custom functions (autograd/custom_function.h, Note [Custom functions]): libtorch's examples,
// saved tensors, several and non-differentiable outputs, materialized gradients,
// needs_input_grad, list and optional arguments, aliasing outputs, gradcheck, gradgradcheck,
// no_grad, checkpointing, and PyTorch's errors for a bad backward.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using autograd::AutogradContext;
using autograd::tensor_list;
using testing::error_of;
using testing::expect_values;
using testing::leaf;

Tensor f64_like(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, TensorOptions(kFloat64));
}

// libtorch's documentation example: x * constant, the constant in saved_data.
struct MulConstant : autograd::Function<MulConstant> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double constant) {
    ctx->saved_data["constant"] = constant;
    return x * constant;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["constant"].toDouble(), Tensor()};
  }
};

// exp, saving its output; backward written with ember's ops (differentiable again).
struct Exp : autograd::Function<Exp> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor y = x.exp();
    ctx->save_for_backward({y});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, const tensor_list& grad_outputs) {
    return {grad_outputs[0] * ctx->get_saved_variables()[0]};
  }
};

// x^3 * w, saving its inputs, and which arguments need a gradient.
struct CubeTimes : autograd::Function<CubeTimes> {
  static inline std::vector<bool> seen_in_forward, seen_in_backward;
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& w, int64_t) {
    seen_in_forward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    ctx->save_for_backward({x, w});
    return x.pow(3.0) * w;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    seen_in_backward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    const tensor_list s = ctx->get_saved_variables();
    const Tensor gx = ctx->needs_input_grad(0) ? g[0] * 3.0 * s[0].pow(2.0) * s[1] : Tensor();
    const Tensor gw = ctx->needs_input_grad(1) ? g[0] * s[0].pow(3.0) : Tensor();
    return {gx, gw, Tensor()};
  }
};

// The straight-through estimator: round in forward, the identity in backward.
struct RoundStraightThrough : autograd::Function<RoundStraightThrough> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x.round(); }
  static tensor_list backward(AutogradContext*, tensor_list g) { return g; }
};

// Sorted values and their indices (int64: no gradient), plus a float "rank" output marked
// non-differentiable; materialize is switchable to see what backward gets.
struct SortWithRanks : autograd::Function<SortWithRanks> {
  static inline bool materialize = true;
  static inline std::vector<bool> defined_in_backward;
  static tensor_list forward(AutogradContext* ctx, const Tensor& x) {
    auto [values, indices] = x.sort(0);
    const Tensor ranks = indices.to(kFloat64);
    ctx->mark_non_differentiable({ranks});
    ctx->save_for_backward({indices});
    ctx->set_materialize_grads(materialize);
    return {values, indices, ranks};
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    defined_in_backward = {g[0].defined(), g[1].defined(), g[2].defined()};
    const Tensor indices = ctx->get_saved_variables()[0];
    Tensor gx = zeros_like(g[0]);
    return {gx.scatter(0, indices, g[0])};
  }
};

// forward returns its argument itself.
struct Identity : autograd::Function<Identity> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0] * 2.0}; }
};

// libtorch's needs_input_grad numbering: a constant first, the tensor is input 0.
struct ScaleByCount : autograd::Function<ScaleByCount> {
  static Tensor forward(AutogradContext* ctx, int64_t n, const Tensor& x) {
    ctx->saved_data["n"] = n;
    return x * static_cast<double>(n);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    const double n = ctx->saved_data["n"].toDouble();
    return {Tensor(), ctx->needs_input_grad(0) ? g[0] * n : Tensor()};
  }
};

// A list of tensors and an optional one: (sum of xs) * scale + bias.
struct ScaledSum : autograd::Function<ScaledSum> {
  static Tensor forward(AutogradContext* ctx, const tensor_list& xs, double scale, const std::optional<Tensor>& bias) {
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["count"] = xs.size();
    ctx->saved_data["sizes"] = xs[0].sizes();
    ctx->saved_data["has_bias"] = bias.has_value();
    Tensor total = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) total = total + xs[i];
    return bias ? total * scale + *bias : total * scale;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    const auto count = static_cast<size_t>(ctx->saved_data["count"].toInt());
    EXPECT_EQ(ctx->saved_data["sizes"].toIntVector(), g[0].sizes().vec());
    tensor_list grads;
    for (size_t i = 0; i < count; ++i) grads.push_back(g[0] * ctx->saved_data["scale"].toDouble());
    grads.push_back(Tensor());  // scale
    // bias: an empty optional is not an input, as libtorch's, so its gradient must be None
    grads.push_back(ctx->saved_data["has_bias"].toBool() ? g[0] : Tensor());
    return grads;
  }
};

TEST(CustomFunction, LibtorchsExampleGivesItsGradient) {
  const Tensor x = leaf({1.0, 2.0, 3.0}, {3});
  const Tensor y = MulConstant::apply(x, 5.5);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "MulConstantBackward");
  expect_values(y, {5.5, 11.0, 16.5}, 0.0);
  y.sum().backward();
  expect_values(x.grad(), {5.5, 5.5, 5.5}, 0.0);
}

TEST(CustomFunction, NeedsInputGradCountsTensorInputsAsLibtorch) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  ScaleByCount::apply(int64_t{3}, x).sum().backward();
  expect_values(x.grad(), {3.0, 3.0}, 0.0);
}

TEST(CustomFunction, TensorListAndOptionalArguments) {
  const Tensor a = leaf({1.0, 2.0}, {2}), b = leaf({3.0, 4.0}, {2}), bias = leaf({0.5, 0.5}, {2});
  const Tensor y = ScaledSum::apply(tensor_list{a, b}, 2.0, std::optional<Tensor>(bias));
  expect_values(y, {8.5, 12.5}, 0.0);
  (y * f64_like({1.0, 10.0})).sum().backward();
  expect_values(a.grad(), {2.0, 20.0}, 0.0);
  expect_values(b.grad(), {2.0, 20.0}, 0.0);
  expect_values(bias.grad(), {1.0, 10.0}, 0.0);
  const Tensor y2 = ScaledSum::apply(tensor_list{a}, 3.0, std::optional<Tensor>());
  expect_values(autograd::grad({y2.sum()}, {a})[0], {3.0, 3.0}, 0.0);
}

TEST(CustomFunction, SavedOutputsAndInputsAndTheirInPlaceCheck) {
  const Tensor x = leaf({0.0, 1.0, -1.0}, {3});
  Tensor y = Exp::apply(x);
  (y * 2.0).sum().backward();
  expect_values(x.grad(), {2.0, 2.0 * std::exp(1.0), 2.0 * std::exp(-1.0)}, 1e-15);
  // The saved output is the caller's y: changing it before backward is PyTorch's error.
  Tensor z = Exp::apply(x);
  {
    NoGradGuard no_grad;
    z.mul_(2.0);
  }
  EXPECT_NE(error_of([&] { z.sum().backward(); }).find("modified by an inplace operation"), std::string::npos);
  // What the node saves is in the ledger under its name (z's graph still holds its own).
  const int64_t before = autograd::saved_tensor_stats().bytes_by_op["ExpBackward"];
  const Tensor kept = Exp::apply(x);
  EXPECT_EQ(autograd::saved_tensor_stats().bytes_by_op["ExpBackward"] - before, 3 * 8);
}

TEST(CustomFunction, NeedsInputGradAndUndefinedGradients) {
  const Tensor x = leaf({1.0, -2.0}, {2});
  const Tensor w = tensor(std::vector<double>{3.0, 4.0}, {2}, TensorOptions(kFloat64));
  const Tensor y = CubeTimes::apply(x, w, int64_t{7});
  EXPECT_EQ(CubeTimes::seen_in_forward, (std::vector<bool>{true, false}));
  y.sum().backward();
  EXPECT_EQ(CubeTimes::seen_in_backward, (std::vector<bool>{true, false}));
  expect_values(x.grad(), {9.0, 48.0}, 1e-12);
  // Under autograd::grad only the requested input's gradient is needed.
  const Tensor w2 = leaf({3.0, 4.0}, {2});
  const Tensor y2 = CubeTimes::apply(x, w2, int64_t{7});
  const Tensor gw = autograd::grad({y2.sum()}, {w2})[0];
  EXPECT_EQ(CubeTimes::seen_in_backward, (std::vector<bool>{false, true}));
  expect_values(gw, {1.0, -8.0}, 1e-12);
}

TEST(CustomFunction, GradcheckAndGradgradcheck) {
  const Tensor x = testing::grad_input({4}), w = testing::grad_input({4});
  testing::expect_gradcheck([](const tensor_list& in) { return CubeTimes::apply(in[0], in[1], int64_t{0}); }, {x, w});
  const auto second = autograd::gradgradcheck_report(
      [](const tensor_list& in) { return CubeTimes::apply(in[0], in[1], int64_t{0}); }, {x, w});
  EXPECT_TRUE(second.ok) << second.message;
  const auto exp_second = autograd::gradgradcheck_report([](const tensor_list& in) { return Exp::apply(in[0]); }, {x});
  EXPECT_TRUE(exp_second.ok) << exp_second.message;
  // And through autograd::functional: the Hessian of sum(exp(x)) is diag(exp(x)).
  const Tensor h = autograd::functional::hessian([](const Tensor& t) { return Exp::apply(t).sum(); }, x);
  expect_values(h.diagonal(), x.exp().to_vector<double>(), 1e-12);
}

TEST(CustomFunction, StraightThroughEstimator) {
  const Tensor x = leaf({0.4, 1.6, -2.5}, {3});
  const Tensor y = RoundStraightThrough::apply(x);
  expect_values(y, {0.0, 2.0, -2.0}, 0.0);
  (y * f64_like({1.0, 2.0, 3.0})).sum().backward();
  expect_values(x.grad(), {1.0, 2.0, 3.0}, 0.0);
}

TEST(CustomFunction, SeveralOutputsAndNonDifferentiableOnes) {
  const Tensor x = leaf({3.0, 1.0, 2.0}, {3});
  SortWithRanks::materialize = true;
  const tensor_list out = SortWithRanks::apply(x);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].requires_grad());
  EXPECT_FALSE(out[1].requires_grad());  // int64 indices
  EXPECT_FALSE(out[2].requires_grad());  // marked
  expect_values(out[2], {1.0, 2.0, 0.0}, 0.0);
  (out[0] * f64_like({1.0, 10.0, 100.0})).sum().backward();
  expect_values(x.grad(), {100.0, 1.0, 10.0}, 0.0);
  EXPECT_EQ(SortWithRanks::defined_in_backward, (std::vector<bool>{true, true, true}));  // zeros made
  SortWithRanks::materialize = false;
  const Tensor x2 = leaf({3.0, 1.0, 2.0}, {3});
  SortWithRanks::apply(x2)[0].sum().backward();
  EXPECT_EQ(SortWithRanks::defined_in_backward, (std::vector<bool>{true, false, false}));
}

TEST(CustomFunction, AnOutputThatIsTheInputGetsItsOwnHistory) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor y = Identity::apply(x);
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(x.grad_fn(), nullptr);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "IdentityBackward");
  y.sum().backward();
  expect_values(x.grad(), {2.0, 2.0}, 0.0);
  // It shares x's storage: an in-place op on it would bypass the custom backward.
  Tensor z = Identity::apply(x);
  EXPECT_NE(error_of([&] { z.mul_(3.0); })
                .find("Output 0 of IdentityBackward is a view and is being modified inplace. This view was created "
                      "inside a custom Function (or because an input was returned as-is)"),
            std::string::npos);
  expect_values(x, {1.0, 2.0}, 0.0);
  // A fresh output takes in-place ops as any non-leaf.
  Tensor fresh = MulConstant::apply(x, 2.0);
  fresh.mul_(3.0);
  fresh.sum().backward();
  expect_values(x.grad(), {8.0, 8.0}, 0.0);
}

// PyTorch's IN_CUSTOM_FUNCTION views: a view of the aliasing output refuses in-place ops, and
// once the input is written the output's history is refused too (it no longer holds what
// its node computed).
TEST(CustomFunction, AnAliasingOutputsViewsAndALaterWriteAreRefused) {
  const Tensor x0 = leaf({1.0, 1.0, 1.0, 1.0}, {4});
  Tensor x = x0 * 1.0;
  const Tensor y = Identity::apply(x);
  EXPECT_NE(error_of([&] { y.narrow(0, 0, 2).mul_(2.0); }).find("This view was created inside a custom Function"),
            std::string::npos);
  expect_values(x, {1, 1, 1, 1}, 0.0);
  x.mul_(5.0);
  EXPECT_NE(error_of([&] { y.sum().backward(); })
                .find("Output 0 of IdentityBackward is a view and its base or another view of its base has been "
                      "modified inplace"),
            std::string::npos);
  // without the write, the same pattern is fine
  Tensor untouched = x0 * 1.0;
  Identity::apply(untouched).sum().backward();
  expect_values(x0.grad(), {2, 2, 2, 2}, 0.0);
}

// libtorch's mark_dirty: forward doubles its input in place and returns it.
struct DoubleInPlace : autograd::Function<DoubleInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x;
  }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0] * 2.0}; }
};

// forward changes its input in place but does not return it.
struct DirtyNotReturned : autograd::Function<DirtyNotReturned> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.add_(1.0);
    ctx->mark_dirty({x});
    return x * 1.0;
  }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0]}; }
};

TEST(CustomFunction, MarkDirtyMovesTheInputsHistory) {
  const Tensor x0 = leaf({1.0, 2.0}, {2});
  Tensor x = x0 * 1.0;
  const Tensor y = DoubleInPlace::apply(x);
  EXPECT_TRUE(y.is_same(x));  // the input itself comes back
  EXPECT_EQ(x.grad_fn()->name(), "DoubleInPlaceBackward");
  expect_values(x, {2.0, 4.0}, 0.0);
  // PyTorch: (x * 5 + y).sum() with y = x: d/dx0 = (5 + 1) * 2 = 12
  (x * 5.0 + y).sum().backward();
  expect_values(x0.grad(), {12.0, 12.0}, 0.0);
  // on a view, the base's history goes through the custom node too
  const Tensor b0 = leaf({1.0, 1.0, 1.0}, {3});
  Tensor base = b0 * 1.0;
  Tensor part = base.narrow(0, 0, 2);
  DoubleInPlace::apply(part);
  expect_values(base, {2.0, 2.0, 1.0}, 0.0);
  base.sum().backward();
  expect_values(b0.grad(), {2.0, 2.0, 1.0}, 0.0);
  // a leaf that requires grad, and an input not returned, are PyTorch's errors
  Tensor leaf_x = leaf({1.0}, {1});
  EXPECT_NE(error_of([&] {
              DoubleInPlace::apply(leaf_x);
            }).find("a leaf Variable that requires grad has been used in an in-place operation"),
            std::string::npos);
  Tensor other = x0 * 1.0;
  EXPECT_NE(error_of([&] {
              DirtyNotReturned::apply(other);
            }).find("Some elements marked as dirty during the forward method were not returned as output"),
            std::string::npos);
}

TEST(CustomFunction, UnderNoGradAnInputComesBackDetached) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  NoGradGuard no_grad;
  const Tensor y = Identity::apply(x);
  EXPECT_FALSE(y.requires_grad());  // PyTorch's detached alias, x itself untouched
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(y.is_alias_of(x));
}

TEST(CustomFunction, UnderNoGradNothingIsRecorded) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  NoGradGuard no_grad;
  const Tensor y = CubeTimes::apply(x, x, int64_t{0});
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(CubeTimes::seen_in_forward, (std::vector<bool>{false, false}));
}

TEST(CustomFunction, InsideACheckpointItIsRecomputed) {
  const Tensor x = leaf({0.5, -1.0, 2.0}, {3});
  const auto block = [](const Tensor& t) { return CubeTimes::apply(Exp::apply(t), t, int64_t{0}); };
  const Tensor plain = autograd::grad({block(x).sum()}, {x})[0];
  const Tensor checkpointed = autograd::grad({utils::checkpoint(block, x).sum()}, {x})[0];
  expect_values(checkpointed, plain.to_vector<double>(), 0.0);
}

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(AutogradContext*, const Tensor& x, double) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0]}; }
};
struct GradientForANumber : autograd::Function<GradientForANumber> {
  static Tensor forward(AutogradContext*, const Tensor& x, double) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0], g[0]}; }
};
struct WrongShape : autograd::Function<WrongShape> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0].narrow(0, 0, 1).repeat({3})}; }
};
struct BroadcastGradient : autograd::Function<BroadcastGradient> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 2.0; }
  static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0].unsqueeze(0).expand({3, 2})}; }
};

TEST(CustomFunction, ABadBackwardIsPyTorchsError) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  EXPECT_EQ(error_of([&] { WrongCount::apply(x, 1.0).sum().backward(); }),
            "function WrongCountBackward returned an incorrect number of gradients (expected 2, got 1)");
  EXPECT_EQ(error_of([&] { GradientForANumber::apply(x, 1.0).sum().backward(); }),
            "function GradientForANumberBackward returned a gradient different than None at position 2, but the "
            "corresponding forward input was not a Variable");
  EXPECT_EQ(error_of([&] { WrongShape::apply(x).sum().backward(); }),
            "Function WrongShapeBackward returned an invalid gradient at index 0 - got [3] but expected shape "
            "compatible with [2]");
  // A gradient of a shape the input broadcasts to is summed down, as in PyTorch.
  BroadcastGradient::apply(x).sum().backward();
  expect_values(x.grad(), {3.0, 3.0}, 0.0);
  AutogradContext ctx;
  EXPECT_EQ(error_of([&] { ctx.save_for_backward({x}); }), "AutogradContext: used outside Function<T>::apply");
  autograd::SavedValue number = 2.5;
  EXPECT_EQ(error_of([&] { (void)number.toTensor(); }), "saved_data: expected a Tensor, but the value is not one");
  EXPECT_EQ(autograd::SavedValue(int64_t{3}).toDouble(), 3.0);
  EXPECT_EQ(autograd::SavedValue(size_t{7}).toInt(), 7);
  EXPECT_EQ(error_of([&] { autograd::SavedValue huge(~uint64_t{0}); }),
            "saved_data: 18446744073709551615 does not fit in an int64");
  EXPECT_EQ(error_of([&] { ScaleByCount::apply(int64_t{2}, x).sum().backward(); }), "<no error>");
  struct AsksTooFar : autograd::Function<AsksTooFar> {
    static Tensor forward(AutogradContext* ctx, const Tensor& t, double) {
      (void)ctx->needs_input_grad(1);
      return t;
    }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0], Tensor()}; }
  };
  EXPECT_EQ(error_of([&] { AsksTooFar::apply(x, 1.0); }),
            "needs_input_grad: forward took 1 tensor inputs, but got index 1");
}

}  // namespace
}  // namespace ember
