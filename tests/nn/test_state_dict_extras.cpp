// The state-dict features of PyTorch's serialization recipes: get_extra_state /
// set_extra_state, load_state_dict(assign=true), IncompatibleKeys printed as PyTorch
// prints it, a [1] checkpoint entry loaded into a 0-dim buffer, and a failed load that
// leaves a lazy module lazy even when the mismatch is in another module.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "support/helpers.h"

namespace ember {
namespace {

// A module with a counter that is neither a parameter nor a buffer (PyTorch's example of
// extra state).
class Counted : public nn::Module {
 public:
  Counted() : nn::Module("Counted"), weight(register_parameter("weight", ones({2}))) {}
  Tensor forward(const Tensor& x) override {
    ++calls;
    return x * weight;
  }
  Tensor get_extra_state() const override { return full({}, static_cast<double>(calls), kInt64); }
  void set_extra_state(const Tensor& state) override { calls = state.item<int64_t>(); }
  int64_t calls = 0;
  Tensor& weight;
};

class NoSetter : public nn::Module {
 public:
  NoSetter() : nn::Module("NoSetter") {}
  Tensor get_extra_state() const override { return zeros({3}); }
};

TEST(StateDictExtras, ExtraStateIsSavedAndLoadedBack) {
  auto model = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2), std::make_shared<Counted>()});
  auto counted = model->get<Counted>(1);
  for (int i = 0; i < 3; ++i) (*model)(ones({1, 2}));
  const nn::StateDict saved = model->state_dict();
  EXPECT_EQ(testing::names_of(saved), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1._extra_state"}));

  auto fresh = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2), std::make_shared<Counted>()});
  fresh->load_state_dict(saved);
  EXPECT_EQ(fresh->get<Counted>(1)->calls, 3);

  // Absent, the key is missing (strict) or reported (not strict); the counter is kept.
  nn::StateDict without;
  for (const auto& [k, v] : saved)
    if (k != "1._extra_state") without.emplace_back(k, v);
  EXPECT_EMBER_ERROR(fresh->load_state_dict(without), "Missing key(s) in state_dict: \"1._extra_state\"");
  EXPECT_EQ(fresh->load_state_dict(without, /*strict=*/false).missing_keys,
            (std::vector<std::string>{"1._extra_state"}));
  EXPECT_EQ(fresh->get<Counted>(1)->calls, 3);

  // Extra state of another shape loads: the module decides what it accepts.
  nn::StateDict other_shape = saved;
  other_shape.back().second = full({1}, 7.0, kInt64);
  fresh->load_state_dict(other_shape);
  EXPECT_EQ(fresh->get<Counted>(1)->calls, 7);

  // Safetensors round trip.
  const std::string path = ::testing::TempDir() + "extra_state.safetensors";
  nn::save(saved, path);
  Counted reloaded_into;
  nn::StateDict sub;
  for (const auto& [k, v] : nn::load(path))
    if (k.rfind("1.", 0) == 0) sub.emplace_back(k.substr(2), v);
  reloaded_into.load_state_dict(sub);
  EXPECT_EQ(reloaded_into.calls, 3);

  NoSetter no_setter;
  EXPECT_EMBER_ERROR(no_setter.load_state_dict(no_setter.state_dict()),
                     "NoSetter: get_extra_state() returns a state but set_extra_state() is not overridden");

  // A set_extra_state that refuses its state leaves every module as it was: the extra states
  // set before it are set back, and no tensor is written.
  auto refusing = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<Counted>(), std::make_shared<nn::Linear>(2, 2), std::make_shared<NoSetter>()});
  auto first = refusing->get<Counted>(0);
  first->calls = 1;
  const Tensor weight_before = refusing->get<nn::Linear>(1)->weight.clone();
  nn::StateDict refused = refusing->state_dict();
  for (auto& [k, v] : refused) {
    if (k == "0._extra_state") v = full({}, 9.0, kInt64);
    if (k == "1.weight") v = zeros({2, 2});
  }
  EXPECT_EMBER_ERROR(refusing->load_state_dict(refused), "set_extra_state() is not overridden");
  EXPECT_EQ(first->calls, 1);
  EXPECT_TRUE(equal(refusing->get<nn::Linear>(1)->weight, weight_before));
}

TEST(StateDictExtras, IncompatibleKeysPrintAsPyTorch) {
  std::ostringstream all;
  all << nn::IncompatibleKeys{};
  EXPECT_EQ(all.str(), "<All keys matched successfully>");
  std::ostringstream some;
  some << nn::IncompatibleKeys{{"fc.weight", "fc.bias"}, {}};
  EXPECT_EQ(some.str(), "_IncompatibleKeys(missing_keys=['fc.weight', 'fc.bias'], unexpected_keys=[])");
  nn::Linear lin(2, 3);
  std::ostringstream loaded;
  loaded << lin.load_state_dict(nn::Linear(2, 3).state_dict());
  EXPECT_EQ(loaded.str(), "<All keys matched successfully>");
}

// assign=true: the module's tensors take the checkpoint's memory and dtype; the handles
// (an optimizer made before) and requires_grad stay the module's.
TEST(StateDictExtras, AssignTakesTheCheckpointTensors) {
  nn::Linear lin(3, 2);
  Tensor& weight = lin.weight;
  const void* handle = weight.impl_ptr().get();
  nn::Linear source(3, 2);
  source.to(kFloat64);
  const nn::StateDict state = source.state_dict();
  lin.load_state_dict(state, /*strict=*/true, /*assign=*/true);
  EXPECT_EQ(lin.weight.impl_ptr().get(), handle);
  EXPECT_EQ(lin.weight.dtype(), kFloat64);
  EXPECT_TRUE(lin.weight.requires_grad());
  EXPECT_EQ(lin.weight.data_ptr(), state[0].second.data_ptr());  // no copy
  EXPECT_TRUE(equal(lin.bias, source.bias));
  // The old gradient (float32) goes with the old tensor, as PyTorch's new Parameter has none.
  nn::Linear trained(3, 2);
  trained(ones({1, 3})).sum().backward();
  trained.load_state_dict(state, true, true);
  EXPECT_FALSE(trained.weight.grad().defined());
  trained(ones({1, 3}, kFloat64)).sum().backward();
  EXPECT_EQ(trained.weight.grad().dtype(), kFloat64);
  // A checkpoint tensor a parameter cannot become (integers cannot require grad) is refused
  // before anything is assigned.
  nn::Linear refused(3, 2);
  const Tensor bias_before = refused.bias.clone();
  nn::StateDict ints = state;
  ints[1].second = zeros({2}, kInt64);
  EXPECT_EMBER_ERROR(refused.load_state_dict(ints, true, true),
                     "While copying the parameter named \"bias\" with assign=True, Only Tensors of floating point");
  EXPECT_EQ(refused.weight.dtype(), kFloat32);
  EXPECT_TRUE(equal(refused.bias, bias_before));
  // Without assign the values are copied into the module's own float32 memory.
  nn::Linear copied(3, 2);
  copied.load_state_dict(state);
  EXPECT_EQ(copied.weight.dtype(), kFloat32);
  EXPECT_NE(copied.weight.data_ptr(), state[0].second.data_ptr());
}

// PyTorch's backward-compatibility rule: a one-element [1] entry fills a 0-dim tensor.
TEST(StateDictExtras, AOneElementEntryLoadsIntoAScalar) {
  nn::BatchNorm1d norm(2);
  nn::StateDict state = norm.state_dict();
  for (auto& [k, v] : state)
    if (k == "num_batches_tracked") v = full({1}, 5.0, kInt64);
  norm.load_state_dict(state);
  EXPECT_EQ(norm.get_buffer("num_batches_tracked").dim(), 0);
  EXPECT_EQ(norm.get_buffer("num_batches_tracked").item<int64_t>(), 5);
  for (auto& [k, v] : state)
    if (k == "num_batches_tracked") v = full({2}, 5.0, kInt64);
  EXPECT_EMBER_ERROR(norm.load_state_dict(state), "size mismatch for num_batches_tracked");
}

// A mismatch anywhere undoes the sizing of the lazy modules the checkpoint would have sized.
TEST(StateDictExtras, AFailedLoadLeavesLazyModulesLazy) {
  auto lazy = std::make_shared<nn::LazyLinear>(3);
  nn::Sequential model({lazy, std::make_shared<nn::Linear>(3, 2)});
  nn::StateDict state =
      nn::Sequential({std::make_shared<nn::Linear>(5, 3), std::make_shared<nn::Linear>(4, 2)}).state_dict();
  const Tensor rng = get_rng_state();
  EXPECT_EMBER_ERROR(model.load_state_dict(state), "size mismatch for 1.weight");
  EXPECT_TRUE(lazy->has_uninitialized_params());
  EXPECT_EQ(lazy->in_size(), 0);
  EXPECT_EQ(lazy->weight.numel(), 0);
  EXPECT_EQ(lazy->type_name(), "LazyLinear");
  EXPECT_TRUE(equal(get_rng_state(), rng));
  // An unexpected key under strict loading as well.
  state = nn::Sequential({std::make_shared<nn::Linear>(5, 3), std::make_shared<nn::Linear>(3, 2)}).state_dict();
  state.emplace_back("2.weight", zeros({1}));
  EXPECT_EMBER_ERROR(model.load_state_dict(state), "Unexpected key(s) in state_dict: \"2.weight\"");
  EXPECT_TRUE(lazy->has_uninitialized_params());
  // The first forward sizes it by its input, as if no load had been tried.
  EXPECT_EQ(model(ones({2, 7})).sizes(), (Dims{2, 2}));
  EXPECT_EQ(lazy->in_size(), 7);
  // And a good load still sizes it.
  auto lazy2 = std::make_shared<nn::LazyLinear>(3);
  nn::Sequential model2({lazy2, std::make_shared<nn::Linear>(3, 2)});
  state.pop_back();
  model2.load_state_dict(state);
  EXPECT_EQ(lazy2->in_size(), 5);
  EXPECT_TRUE(equal(lazy2->weight, state[0].second));
}

}  // namespace
}  // namespace ember
