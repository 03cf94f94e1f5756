// memory::measure_modes (Note [Measuring the modes] in nn/memory_modes.h): the four modes
// of a small model, their saved bytes against the ledger read by hand, what each mode keeps
// (dropout's mask only in training, nothing without grad), a graph alive before left out,
// hooks, the options, and the model's training flag and gradients afterwards.
#include <gtest/gtest.h>

#include "core/bitmask.h"
#include "nn/memory_modes.h"
#include "support/helpers.h"

namespace ember {
namespace {

using memory::RunMode;

std::shared_ptr<nn::Sequential> small_model() {
  manual_seed(3);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(8, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Linear>(16, 4)});
}

int64_t saved_now() { return autograd::saved_tensor_stats().current_bytes; }

TEST(MemoryModes, FourModesKeepWhatPyTorchUsersExpect) {
  auto model = small_model();
  const Tensor x = randn({32, 8});
  model->eval();
  const std::vector<memory::ModeMeasurement> modes = memory::measure_modes(*model, x);
  ASSERT_EQ(modes.size(), 4U);
  const char* names[] = {"train_grad", "eval_grad", "eval_no_grad", "eval_inference_mode"};
  for (size_t i = 0; i < modes.size(); ++i) EXPECT_STREQ(memory::run_mode_name(modes[i].mode), names[i]);
  EXPECT_FALSE(model->is_training()) << "the training flag is restored";
  for (const Tensor& p : model->parameters()) EXPECT_FALSE(p.grad().defined()) << "gradients are set to none";

  const memory::ModeMeasurement &train = modes[0], &eval = modes[1];
  // Training keeps dropout's one-bit mask on top of what evaluation with grad keeps.
  EXPECT_GT(eval.saved_bytes, 0);
  EXPECT_EQ(train.saved_bytes - eval.saved_bytes, bitmask_bytes(32 * 16));
  EXPECT_GT(train.graph_nodes, eval.graph_nodes);
  EXPECT_GE(train.backward_peak_bytes, train.forward_peak_bytes);
  EXPECT_GT(train.forward_peak_bytes, 0);
  for (const memory::ModeMeasurement& m : {modes[2], modes[3]}) {
    EXPECT_EQ(m.saved_bytes, 0) << memory::run_mode_name(m.mode);
    EXPECT_EQ(m.graph_nodes, 0U);
    EXPECT_EQ(m.backward_peak_bytes, -1);
    EXPECT_TRUE(m.saved_by_module.empty()) << m.saved_by_module.begin()->first;
    EXPECT_GT(m.forward_peak_bytes, 0) << "the output at least";
    EXPECT_LT(m.forward_peak_bytes, train.forward_peak_bytes);
  }

  // The same forward measured by hand from the ledger.
  model->train();
  const int64_t before = saved_now();
  {
    const Tensor out = model->forward(x);
    EXPECT_EQ(saved_now() - before, train.saved_bytes);
  }
  model->eval();
  {
    const Tensor out = model->forward(x);
    EXPECT_EQ(saved_now() - before, eval.saved_bytes);
  }
}

TEST(MemoryModes, AGraphAliveBeforeIsNotCountedAndHooksRun) {
  auto model = small_model();
  const Tensor x = randn({32, 8});
  int hooks = 0;
  auto handle = model->register_forward_hook([&hooks](nn::Module&, const Tensor&, const Tensor&) { ++hooks; });
  model->train();
  const Tensor alive = (*model)(x);  // a graph the measurement must leave out
  const memory::ModeMeasurement train = memory::measure_mode(*model, x, RunMode::TrainGrad);
  EXPECT_EQ(hooks, 2) << "the model is called as a user calls it, hooks included";
  int64_t by_module = 0;
  for (const auto& [module, bytes] : train.saved_by_module) by_module += bytes;
  EXPECT_GT(train.saved_bytes, 0);
  EXPECT_EQ(by_module, train.saved_bytes);
  EXPECT_GT(train.saved_base_bytes, 0);
}

TEST(MemoryModes, TheLossForwardAndAutocastOptionsAreUsed) {
  auto model = small_model();
  const Tensor x = randn({6, 8});
  int forwards = 0, losses = 0;
  memory::ModeMeasureOptions options{
      .loss = [&losses](const Tensor& out) {
        ++losses;
        return out.square().mean();
      },
      .forward = [&](const Tensor& in) {
        ++forwards;
        return model->forward(in.mul(2.0));
      }};
  model->train();
  const auto modes = memory::measure_modes(*model, x, options);
  EXPECT_EQ(forwards, 4);
  EXPECT_EQ(losses, 4);
  EXPECT_TRUE(model->is_training());
  EXPECT_GT(modes[0].saved_bytes, 0);

  // Under bf16 autocast the linear layers keep bf16 copies of their inputs: at batch 64 less
  // than the float32 inputs they keep without it, bf16 weight copies included.
  const Tensor batch = randn({64, 8});
  const memory::ModeMeasurement plain = memory::measure_mode(*model, batch, RunMode::EvalGrad, {});
  const memory::ModeMeasurement amp = memory::measure_mode(*model, batch, RunMode::EvalGrad, {.autocast = kBFloat16});
  EXPECT_LT(amp.saved_bytes, plain.saved_bytes);
}

// A measurement leaves an input that requires grad as it found it (its .grad would
// otherwise grow each backward and sit in the next mode's baseline), and a frozen model,
// whose loss has no graph, is measured without a backward.
TEST(MemoryModes, TheInputsGradAndAFrozenModel) {
  auto model = small_model();
  const Tensor x = randn({32, 8}).requires_grad_(true);
  const std::vector<memory::ModeMeasurement> modes = memory::measure_modes(*model, x);
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(modes[0].base_bytes, modes[1].base_bytes);
  for (Tensor p : model->parameters()) p.requires_grad_(false);
  const std::vector<memory::ModeMeasurement> frozen = memory::measure_modes(*model, randn({32, 8}));
  ASSERT_EQ(frozen.size(), 4U);
  EXPECT_EQ(frozen[0].backward_peak_bytes, -1);
  EXPECT_EQ(frozen[0].saved_bytes, 0);
}

// An eval-mode BatchNorm forward with grad on keeps nothing after the module is gone (its
// note for step_after_eval_forward reads the count later instead of copying it).
TEST(MemoryModes, EvalBatchNormKeepsNoMemory) {
  const Device cpu = Device::cpu();
  const Tensor x = randn({4, 3});
  {
    auto warm = std::make_shared<nn::BatchNorm1d>(3);
    warm->eval();
    (*warm)(x);
  }
  const int64_t before = memory::allocated(cpu);
  for (int i = 0; i < 20; ++i) {
    auto bn = std::make_shared<nn::BatchNorm1d>(3);
    bn->eval();
    (*bn)(x);
  }
  EXPECT_EQ(memory::allocated(cpu), before);
}

}  // namespace
}  // namespace ember
