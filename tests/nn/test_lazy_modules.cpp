// PyTorch's lazy modules: placeholders until the first forward (or a checkpoint) sizes them,
// then the regular module's values, repr, gradients and training, with parameter identity
// kept for an optimizer made before (Note [Lazy modules]).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::max_abs_diff;
using ember::testing::names_of;

// torch 1.13: print(nn.LazyLinear(10)), then after lazy(torch.randn(2, 7)).
TEST(LazyModules, LazyLinearBecomesALinearSizedByItsFirstInput) {
  manual_seed(1);
  const Tensor x = randn({2, 7});
  manual_seed(5);
  nn::LazyLinear lazy(10);
  EXPECT_EQ(lazy.repr(), "LazyLinear(in_features=0, out_features=10, bias=True)");
  EXPECT_TRUE(lazy.has_uninitialized_params());
  EXPECT_EQ(names_of(lazy), (std::vector<std::string>{"weight", "bias"}));
  for (const Tensor& p : lazy.parameters()) {
    EXPECT_EQ(p.sizes(), Dims{0});
    EXPECT_TRUE(p.requires_grad());
  }
  const Tensor y = lazy(x);  // draws as a Linear(7, 10) made here would
  manual_seed(5);
  nn::Linear regular(7, 10);
  EXPECT_FALSE(lazy.has_uninitialized_params());
  EXPECT_EQ(lazy.in_size(), 7);
  EXPECT_EQ(lazy.type_name(), "Linear");
  EXPECT_EQ(lazy.repr(), "Linear(in_features=7, out_features=10, bias=True)");
  EXPECT_EQ(lazy.weight.sizes(), (Dims{10, 7}));
  EXPECT_TRUE(equal(lazy.weight, regular.weight));
  EXPECT_TRUE(equal(lazy.bias, regular.bias));
  EXPECT_TRUE(equal(y, regular(x)));
  EXPECT_EMBER_ERROR(nn::LazyLinear(3)(scalar_tensor(1.0)), "LazyLinear: expected an input with at least 1 dim");
  nn::LazyLinear no_bias(4, false);
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias(ones({3})).sizes(), Dims{4});
  EXPECT_EQ(no_bias.repr(), "Linear(in_features=3, out_features=4, bias=False)");
}

// An optimizer made before the first call trains the sized parameters (each keeps its
// identity), to the same values as the regular module's.
TEST(LazyModules, AnOptimizerMadeBeforeTheFirstCallTrainsThem) {
  manual_seed(2);
  const Tensor x = randn({8, 5}), target = randn({8, 3});
  const auto train = [&](nn::Module& model, optim::SGD& opt) {
    for (int step = 0; step < 3; ++step) {
      opt.zero_grad();
      nn::functional::mse_loss(model(x), target).backward();
      opt.step();
    }
  };
  manual_seed(9);
  nn::LazyLinear lazy(3);
  const std::vector<Tensor> held = lazy.parameters();
  optim::SGD lazy_opt(held, {.lr = 0.1, .momentum = 0.9});
  train(lazy, lazy_opt);
  manual_seed(9);
  nn::Linear regular(5, 3);
  optim::SGD opt(regular.parameters(), {.lr = 0.1, .momentum = 0.9});
  train(regular, opt);
  EXPECT_TRUE(held[0].is_alias_of(lazy.weight));
  EXPECT_EQ(held[0].sizes(), (Dims{3, 5}));
  EXPECT_LE(max_abs_diff(lazy.weight, regular.weight), 1e-7);
  EXPECT_LE(max_abs_diff(lazy.bias, regular.bias), 1e-7);
  EXPECT_TRUE(lazy.initialized_module()->get_parameter("weight").is_alias_of(lazy.weight));
}

// torch 1.13: nn.LazyConv2d(8, 3, padding=1), nn.LazyConvTranspose2d(6, 3, stride=2), ...
TEST(LazyModules, ConvolutionsTakeTheInputsChannels) {
  manual_seed(3);
  const Tensor x = randn({2, 4, 6, 6});
  manual_seed(6);
  nn::LazyConv2d conv(8, 3, {.padding = 1, .groups = 2});
  EXPECT_EQ(conv.repr(), "LazyConv2d(0, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)");
  const Tensor y = conv(x);
  manual_seed(6);
  nn::Conv2d regular(4, 8, 3, {.padding = 1, .groups = 2});
  EXPECT_EQ(conv.repr(), "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)");
  EXPECT_TRUE(equal(conv.weight, regular.weight));
  EXPECT_TRUE(equal(y, regular(x)));
  // Unbatched input, and the regular module's own checks on the size found.
  nn::LazyConv1d conv1(5, 3);
  EXPECT_EQ(conv1(randn({3, 10})).sizes(), (Dims{5, 8}));
  EXPECT_EQ(conv1.weight.sizes(), (Dims{5, 3, 3}));
  EXPECT_EMBER_ERROR(nn::LazyConv2d(4, 3)(randn({3, 5})),
                     "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of size: ");
  EXPECT_EMBER_ERROR(nn::LazyConv2d(8, 3, {.groups = 2})(randn({1, 3, 5, 5})), "in_channels must be divisible by groups");
  nn::LazyConv3d conv3(2, 2);
  EXPECT_EQ(conv3(randn({1, 3, 4, 4, 4})).sizes(), (Dims{1, 2, 3, 3, 3}));
  manual_seed(7);
  nn::LazyConvTranspose2d up(6, 3, {.stride = 2});
  EXPECT_EQ(up.repr(), "LazyConvTranspose2d(0, 6, kernel_size=(3, 3), stride=(2, 2))");
  const Tensor u = up(x);
  manual_seed(7);
  nn::ConvTranspose2d up_regular(4, 6, 3, {.stride = 2});
  EXPECT_EQ(up.weight.sizes(), (Dims{4, 6, 3, 3}));
  EXPECT_TRUE(equal(u, up_regular(x)));
  EXPECT_EQ(nn::LazyConvTranspose1d(3, 2)(randn({2, 5, 7})).sizes(), (Dims{2, 3, 8}));
  EXPECT_EQ(nn::LazyConvTranspose3d(3, 2)(randn({1, 2, 3, 3, 3})).sizes(), (Dims{1, 3, 4, 4, 4}));
}

// torch 1.13: nn.LazyBatchNorm2d() prints "LazyBatchNorm2d(0, eps=1e-05, ...)"; after a
// training forward of [2, 4, 3, 3] it is a BatchNorm2d(4) with running statistics [4].
TEST(LazyModules, NormsTakeTheInputsChannelsAndKeepTheirStatistics) {
  manual_seed(4);
  const Tensor x = randn({2, 4, 3, 3}) * 2.0 + 1.0;
  nn::LazyBatchNorm2d lazy;
  EXPECT_EQ(lazy.repr(), "LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_TRUE(lazy.depends_on_training_flag());
  EXPECT_EQ(names_of(lazy.state_dict()),
            (std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
  nn::BatchNorm2d regular(4);
  EXPECT_TRUE(equal(lazy(x), regular(x)));
  EXPECT_EQ(lazy.repr(), "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_TRUE(equal(lazy.get_buffer("running_mean"), regular.get_buffer("running_mean")));
  EXPECT_TRUE(equal(lazy.get_buffer("running_var"), regular.get_buffer("running_var")));
  EXPECT_EQ(lazy.get_buffer("num_batches_tracked").item<int64_t>(), 1);
  lazy.eval();
  regular.eval();
  const Tensor z = randn({3, 4, 2, 2});
  EXPECT_TRUE(equal(lazy(z), regular(z)));  // the running statistics, not the batch's
  EXPECT_EQ(lazy.get_buffer("num_batches_tracked").item<int64_t>(), 1);
  // Instance norms: unbatched [C, L] or batched [N, C, L]; PyTorch's lazy ones default to
  // affine and tracked statistics (torch 1.13: print(nn.LazyInstanceNorm1d())).
  nn::LazyInstanceNorm1d instance;
  EXPECT_EQ(instance.repr(), "LazyInstanceNorm1d(0, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  const Tensor s = randn({3, 6});
  nn::InstanceNorm1d instance_regular(3, {.affine = true, .track_running_stats = true});
  EXPECT_TRUE(equal(instance(s), instance_regular(s)));
  EXPECT_TRUE(equal(instance.get_buffer("running_mean"), instance_regular.get_buffer("running_mean")));
  nn::LazyInstanceNorm2d affine_only({.affine = true});
  affine_only(randn({2, 5, 3, 3}));
  EXPECT_EQ(affine_only.get_parameter("weight").sizes(), Dims{5});
  EXPECT_EQ(affine_only.named_buffers().size(), 0u);
  nn::LazyBatchNorm1d norm1;
  norm1(randn({4, 3}));
  EXPECT_EQ(norm1.get_buffer("running_mean").sizes(), Dims{3});
  nn::LazyInstanceNorm3d norm3;
  norm3(randn({1, 2, 3, 3, 3}));
  EXPECT_EQ(norm3.in_size(), 2);
  nn::LazyBatchNorm3d batch3;
  batch3(randn({2, 2, 2, 2, 2}));
  EXPECT_EQ(batch3.get_parameter("weight").sizes(), Dims{2});
  EXPECT_EMBER_ERROR(nn::LazyBatchNorm1d()(randn({4})), "LazyBatchNorm1d: expected an input of at least 2 dims");
}

// A Sequential of lazy layers prints PyTorch's names, then the regular ones.
TEST(LazyModules, InASequential) {
  manual_seed(8);
  nn::Sequential model(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::LazyConv2d>(4, 3), std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::LazyLinear>(3)});
  EXPECT_EQ(model.repr(),
            "Sequential(\n"
            "  (0): LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))\n"
            "  (1): ReLU()\n"
            "  (2): Flatten(start_dim=1, end_dim=-1)\n"
            "  (3): LazyLinear(in_features=0, out_features=3, bias=True)\n"
            ")");
  const Tensor y = model(randn({2, 1, 6, 6}));
  EXPECT_EQ(y.sizes(), (Dims{2, 3}));
  y.sum().backward();
  EXPECT_EQ(model.get_parameter("3.weight").grad().sizes(), (Dims{3, 64}));
  EXPECT_EQ(model.repr(),
            "Sequential(\n"
            "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1))\n"
            "  (1): ReLU()\n"
            "  (2): Flatten(start_dim=1, end_dim=-1)\n"
            "  (3): Linear(in_features=64, out_features=3, bias=True)\n"
            ")");
}

// load_state_dict into a lazy module that has not run sizes it from the checkpoint, as
// PyTorch's load hook does; to() before the first call decides the dtype and device.
TEST(LazyModules, ACheckpointOrAConversionBeforeTheFirstCall) {
  manual_seed(10);
  nn::Conv2d saved(6, 4, 3, {.groups = 2});
  nn::LazyConv2d lazy(4, 3, {.groups = 2});
  lazy.load_state_dict(saved.state_dict());
  EXPECT_EQ(lazy.in_size(), 6);
  EXPECT_TRUE(equal(lazy.weight, saved.weight));
  EXPECT_TRUE(equal(lazy.bias, saved.bias));
  const Tensor x = randn({1, 6, 5, 5});
  EXPECT_TRUE(equal(lazy(x), saved(x)));
  nn::BatchNorm1d norm(3);
  norm(randn({4, 3}) + 2.0);
  nn::LazyBatchNorm1d lazy_norm;
  lazy_norm.load_state_dict(norm.state_dict());
  EXPECT_TRUE(equal(lazy_norm.get_buffer("running_mean"), norm.get_buffer("running_mean")));
  // A checkpoint that does not fit leaves the module lazy, and loading draws nothing.
  const nn::StateDict linear_3_5 = nn::Linear(3, 5).state_dict();
  const Tensor rng = get_rng_state();
  nn::LazyLinear strict(2);
  EXPECT_EMBER_ERROR(strict.load_state_dict(linear_3_5), "size mismatch for weight");
  EXPECT_TRUE(strict.has_uninitialized_params());
  nn::LazyLinear loaded(5);
  loaded.load_state_dict(linear_3_5);
  EXPECT_EQ(loaded.in_size(), 3);
  EXPECT_TRUE(equal(get_rng_state(), rng));
  // A lazy module's own state dict (placeholders) sizes nothing.
  nn::LazyBatchNorm2d from_lazy;
  from_lazy.load_state_dict(nn::LazyBatchNorm2d().state_dict());
  EXPECT_TRUE(from_lazy.has_uninitialized_params());
  EXPECT_EQ(from_lazy(randn({2, 3, 2, 2})).sizes(), (Dims{2, 3, 2, 2}));
  EXPECT_EQ(from_lazy.in_size(), 3);
  nn::LazyConvTranspose2d transposed(3, 2, {.groups = 1});
  transposed.load_state_dict(nn::ConvTranspose2d(5, 3, 2).state_dict());
  EXPECT_EQ(transposed.weight.sizes(), (Dims{5, 3, 2, 2}));
  nn::LazyLinear wide(2);
  wide.to(kFloat64);
  EXPECT_EQ(wide(ones({1, 3}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(wide.weight.dtype(), kFloat64);
}

// PyTorch raises at any use of an uninitialized parameter ("Attempted to use an
// uninitialized parameter"); ember's placeholders are [0] tensors, so a write into one, or
// a tensor assigned in its place, is refused by the first forward instead of being lost.
TEST(LazyModules, AWriteIntoAPlaceholderIsRefusedNotLost) {
  nn::LazyLinear written(3);
  nn::init::normal_(written.weight);
  EXPECT_EMBER_ERROR(written(ones({2, 4})),
                     "LazyLinear: its parameter 'weight' was written or replaced before the first forward");
  EXPECT_TRUE(written.has_uninitialized_params());
  nn::LazyLinear replaced(3);
  replaced.bias = zeros({3}).requires_grad_(true);
  EXPECT_EMBER_ERROR(replaced(ones({2, 4})), "Attempted to use an uninitialized parameter");
  nn::LazyBatchNorm2d statistics;
  statistics.get_buffer("running_var").fill_(2.0);
  EXPECT_EMBER_ERROR(statistics(ones({2, 3, 2, 2})), "its buffer 'running_var' was written or replaced");
  // what writes nothing is fine: requires_grad_, zero_grad, to(), an optimizer's step
  nn::LazyConv2d conv(2, 3);
  conv.weight.requires_grad_(true);
  conv.to(kFloat64);
  optim::SGD opt(conv.parameters(), {.lr = 0.1});
  opt.zero_grad();
  opt.step();
  EXPECT_EQ(conv(ones({1, 2, 4, 4}, kFloat64)).sizes(), (Dims{1, 2, 2, 2}));
  // a load of placeholders writes nothing to refuse; a write after it is still caught
  nn::LazyLinear loaded(2);
  loaded.load_state_dict(nn::LazyLinear(2).state_dict());
  nn::init::constant_(loaded.weight, 0.5);
  EXPECT_EMBER_ERROR(loaded(ones({1, 3})), "its parameter 'weight' was written or replaced");
}

// What needs sized parameters refuses a lazy module before its first forward (PyTorch's
// "uninitialized parameters"), and works on it after, looking through to the regular module.
TEST(LazyModules, ReparametrizationsAndStatisticsUpdatesSeeTheRegularModule) {
  nn::LazyLinear linear(3);
  EXPECT_EMBER_ERROR(nn::utils::weight_norm(linear), "weight_norm: LazyLinear has uninitialized parameters");
  const Tensor x = randn({2, 4});
  const Tensor before = linear(x);
  nn::utils::weight_norm(linear);
  EXPECT_LE(max_abs_diff(linear(x), before), 1e-6);  // weight = g * v / |v| is the same weight
  nn::LazyConvTranspose2d up(5, 3);
  up(randn({1, 3, 4, 4}));
  nn::utils::spectral_norm(up);
  EXPECT_EQ(up.get_buffer("weight_u").sizes(), Dims{5});  // dim 1 of [in, out, kh, kw], as ConvTranspose2d's
  EXPECT_TRUE(nn::module_as<nn::ConvTranspose2d>(up) != nullptr);
  EXPECT_TRUE(nn::module_as<nn::Linear>(up) == nullptr);
}

}  // namespace
}  // namespace ember
