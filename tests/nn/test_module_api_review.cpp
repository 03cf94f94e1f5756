// Review fixes of nn.Module's API and serialization: PyTorch's leading prefix= of the named_*
// listings (a string literal no longer binds to recurse), hooks returning an undefined tensor
// leave the value (PyTorch's None), extra state loaded into a module that has none yet
// (has_extra_state), to(preserve_format), cpu(), and nn::load with a device.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/helpers.h"
#include "support/temp_dir.h"

namespace ember {
namespace {

std::vector<std::string> keys(const nn::StateDict& entries) {
  std::vector<std::string> out;
  for (const auto& [name, _] : entries) out.push_back(name);
  return out;
}

std::shared_ptr<nn::Sequential> two_layers() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::BatchNorm1d>(3)});
}

TEST(ModuleApiReview, NamedListingsTakePyTorchsPrefix) {
  auto model = two_layers();
  EXPECT_EQ(keys(model->named_parameters("model")),
            (std::vector<std::string>{"model.0.weight", "model.0.bias", "model.1.weight", "model.1.bias"}));
  EXPECT_EQ(keys(model->named_buffers(std::string("m"), /*recurse=*/true)),
            (std::vector<std::string>{"m.1.running_mean", "m.1.running_var", "m.1.num_batches_tracked"}));
  std::vector<std::string> paths;
  for (const auto& [path, _] : model->named_modules("model")) paths.push_back(path);
  EXPECT_EQ(paths, (std::vector<std::string>{"model", "model.0", "model.1"}));
  EXPECT_EQ(keys(model->named_parameters(false)).size(), 0u);  // the bool form is unchanged
  EXPECT_EQ(keys(model->named_parameters("")).front(), "0.weight");
}

// A hook that returns an undefined Tensor (C++'s None) leaves the value as it is.
TEST(ModuleApiReview, HooksReturningAnUndefinedTensorObserveOnly) {
  auto linear = std::make_shared<nn::Linear>(2, 2);
  int calls = 0;
  linear->register_forward_pre_hook([&](nn::Module&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return Tensor();
  });
  linear->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return Tensor();
  });
  linear->register_full_backward_hook([&](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return Tensor();
  });
  linear->register_full_backward_pre_hook([&](nn::Module&, const Tensor&) -> std::optional<Tensor> {
    ++calls;
    return Tensor();
  });
  const Tensor x = ones({1, 2}).requires_grad_(true);
  const Tensor y = (*linear)(x);
  EXPECT_TRUE(y.defined());
  EXPECT_TRUE(allclose(y, linear->forward(ones({1, 2}))));
  y.sum().backward();
  EXPECT_EQ(calls, 4);
  EXPECT_TRUE(allclose(x.grad(), linear->weight.sum(0, true).detach()));
}

// A vocabulary that exists only after a load: has_extra_state says it takes one (PyTorch
// decides by the set_extra_state override).
class Vocab : public nn::Module {
 public:
  Vocab() : nn::Module("Vocab") {}
  Tensor forward(const Tensor& x) override { return x; }
  Tensor get_extra_state() const override { return ids; }
  void set_extra_state(const Tensor& state) override { ids = state; }
  bool has_extra_state() const override { return true; }
  Tensor ids;
};

TEST(ModuleApiReview, ExtraStateLoadsIntoAFreshModule) {
  Vocab fitted;
  fitted.ids = tensor(std::vector<int64_t>{4, 7, 9}, {3});
  const nn::StateDict saved = fitted.state_dict();
  EXPECT_EQ(keys(saved), (std::vector<std::string>{"_extra_state"}));
  Vocab fresh;
  EXPECT_EQ(keys(fresh.state_dict()).size(), 0u);
  fresh.load_state_dict(saved);  // strict
  ASSERT_TRUE(fresh.ids.defined());
  EXPECT_EQ(fresh.ids.to_vector<int64_t>(), (std::vector<int64_t>{4, 7, 9}));
}

TEST(ModuleApiReview, ConversionsAndLoadingOntoADevice) {
  auto model = two_layers();
  const Tensor before = model->named_parameters().front().second;
  model->to(MemoryFormat::Preserve);  // PyTorch's to(memory_format=torch.preserve_format): nothing
  model->cpu();
  EXPECT_TRUE(model->named_parameters().front().second.is_same(before));
  testing::TempDir dir;
  nn::save(model->state_dict(), dir.file("m.safetensors"));
  const nn::StateDict loaded = nn::load(dir.file("m.safetensors"), Device::cpu());
  EXPECT_EQ(keys(loaded), keys(model->state_dict()));
  for (const auto& [_, t] : loaded) EXPECT_TRUE(t.is_cpu());
}

}  // namespace
}  // namespace ember
