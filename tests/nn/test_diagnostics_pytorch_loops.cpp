// The mode diagnostics on loops PyTorch's examples write: a DCGAN step with two optimizers
// (silent), clipping and AMP unscaling between backward and step (still caught), a
// detached eval-mode teacher (silent), a parameterless module's advice; measure_modes
// inside a NoGradGuard; conv+BN fusion of a Sequential that shares its other layers.
#include <cstdlib>

#include "diagnostics_fixture.h"
#include "nn/fusion.h"

namespace ember::testing_diagnostics {
namespace {

TEST_F(Diagnostics, GradAcrossStepsSilentForAGanLoop) {
  manual_seed(0);
  auto discriminator = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, 1));
  auto generator = std::make_shared<nn::Linear>(2, 4);
  optim::SGD opt_d(discriminator->parameters(), {.lr = 0.01});
  optim::SGD opt_g(generator->parameters(), {.lr = 0.01});
  for (int it = 0; it < 3; ++it) {  // pytorch/examples dcgan/main.py's order
    discriminator->zero_grad();
    (*discriminator)(batch()).mean().backward();
    const Tensor fake = (*generator)(randn({16, 2}));
    (*discriminator)(fake.detach()).mean().neg().backward();
    opt_d.step();
    generator->zero_grad();
    (*discriminator)(fake).mean().backward();  // adds to D's applied gradients
    opt_g.step();
  }
  EXPECT_EQ(count("grad_across_steps"), 0) << diagnostics::last_message();
}

TEST_F(Diagnostics, StepAfterEvalForwardSurvivesClippingAndUnscaling) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();  // left in eval after validation
  loss_of(*net, batch()).backward();
  nn::utils::clip_grad_norm_(net->parameters(), 1e6);
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 1);
  sgd.zero_grad();
  loss_of(*net, batch()).backward();
  nn::utils::clip_grad_value_(net->parameters(), 0.01);
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 2);
  sgd.zero_grad();
  amp::GradScaler scaler;
  scaler.scale(loss_of(*net, batch())).backward();
  scaler.step(sgd);
  scaler.update();
  EXPECT_EQ(count("step_after_eval_forward"), 3);
}

TEST_F(Diagnostics, ADetachedEvalModeTeacherAddsNoNote) {
  manual_seed(0);
  auto student = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 2));
  auto teacher = bn_net();
  teacher->eval();
  optim::SGD sgd(student->parameters(), {.lr = 0.1});
  const Tensor x = batch();
  const Tensor s = (*student)(x);
  const Tensor t = (*teacher)(x).detach();
  (s - t).pow(2.0).mean().backward();
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 0) << diagnostics::last_message();
}

TEST_F(Diagnostics, AParameterlessModuleIsNotAdvisedToFreeze) {
  manual_seed(0);
  auto net = dropout_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();
  loss_of(*net, batch()).backward();
  sgd.step();
  const std::string msg = diagnostics::last_message();
  EXPECT_EQ(msg.find("requires_grad_(false)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("call set_eval_on_purpose(true) on it"), std::string::npos) << msg;
}

TEST_F(Diagnostics, MeasureModesRecordsTheGradModesInsideNoGrad) {
  manual_seed(0);
  auto net = bn_net();
  const Tensor x = batch(64);
  const auto outside = memory::measure_modes(*net, x);
  std::vector<memory::ModeMeasurement> inside;
  {
    NoGradGuard no_grad;
    inside = memory::measure_modes(*net, x);
  }
  ASSERT_EQ(inside.size(), outside.size());
  for (size_t i = 0; i < inside.size(); ++i) {
    EXPECT_EQ(inside[i].saved_bytes, outside[i].saved_bytes) << memory::run_mode_name(inside[i].mode);
    EXPECT_EQ(inside[i].graph_nodes, outside[i].graph_nodes) << memory::run_mode_name(inside[i].mode);
  }
  EXPECT_GT(inside[0].saved_bytes, 0);
  InferenceModeGuard inference;
  EXPECT_THROW(memory::measure_modes(*net, x), Error);
}

TEST(FusionPyTorch, SharedLayersKeepTheirFlagsAndUntrackedBatchNormStays) {
  manual_seed(0);
  auto dropout = std::make_shared<nn::Dropout>(0.5);
  auto conv = std::make_shared<nn::Conv2d>(1, 2, 3);
  auto bn = std::make_shared<nn::BatchNorm2d>(2);
  auto conv2 = std::make_shared<nn::Conv2d>(2, 2, 3);
  auto untracked = std::make_shared<nn::BatchNorm2d>(2, nn::BatchNormOptions{.track_running_stats = false});
  nn::Sequential model(conv, bn, dropout, conv2, untracked);
  model.eval();
  dropout->train();  // MC dropout on the original
  const auto fused = nn::utils::fuse_conv_bn_eval(model);
  EXPECT_TRUE(dropout->is_training());
  EXPECT_FALSE(fused->is_training());
  ASSERT_EQ(fused->size(), 4u);  // conv+bn folded; conv2 and the untracked BatchNorm as they were
  EXPECT_EQ((*fused)[2], conv2);
  EXPECT_EQ((*fused)[3], untracked);
}

}  // namespace
}  // namespace ember::testing_diagnostics
