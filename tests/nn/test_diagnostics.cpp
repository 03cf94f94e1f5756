// ember::diagnostics: step_after_eval_forward, grad_across_steps and
// tiny_batch_norm_batch fire on the mistake and stay silent on the legitimate patterns;
// levels, warn-once, Error before any update, EMBER_DIAGNOSTICS parsing.
#include <cstdlib>

#include "diagnostics_fixture.h"

namespace ember::testing_diagnostics {
namespace {

using diagnostics::Level;

// ---------------------------------------------------------------- step_after_eval_forward
TEST_F(Diagnostics, StepAfterEvalForwardFiresForBatchNormInEval) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();
  sgd.zero_grad();
  loss_of(*net, batch()).backward();
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 1);
  const std::string msg = diagnostics::last_message();
  EXPECT_NE(msg.find("step_after_eval_forward: optimizer.step() is applying gradients of 6 parameters (74 values)"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("'1' (BatchNorm1d) ran in eval mode"), std::string::npos) << msg;
  EXPECT_NE(msg.find("running statistics of 0 tracked batches"), std::string::npos) << msg;
  EXPECT_NE(msg.find("call model.train() before the training forward"), std::string::npos) << msg;
}

TEST_F(Diagnostics, StepAfterEvalForwardFiresForDropoutWithoutParameters) {
  manual_seed(0);
  auto net = dropout_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();
  loss_of(*net, batch()).backward();
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 1);
  EXPECT_NE(diagnostics::last_message().find("'2' (Dropout) ran in eval mode (Dropout(p=0.5) dropped nothing"),
            std::string::npos) << diagnostics::last_message();
}

TEST_F(Diagnostics, StepAfterEvalForwardWarnsOncePerModuleAndCountsEach) {
  manual_seed(0);
  auto net = dropout_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    sgd.zero_grad();
    loss_of(*net, batch()).backward();
    sgd.step();
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count("step_after_eval_forward"), 3);
  const size_t first = err.find("step_after_eval_forward:");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("step_after_eval_forward:", first + 1), std::string::npos) << err;
  EXPECT_NE(err.find("[warning]"), std::string::npos) << err;
}

TEST_F(Diagnostics, StepAfterEvalForwardSilentOnLegitimatePatterns) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  // Training mode.
  loss_of(*net, batch()).backward();
  sgd.step();
  // Validation in eval() under no_grad, then train() again (what `ember train` does).
  net->eval();
  {
    NoGradGuard no_grad;
    (*net)(batch());
  }
  net->train();
  sgd.zero_grad();
  loss_of(*net, batch()).backward();
  sgd.step();
  // An eval-mode backward whose gradients are thrown away (set to none, or zeroed in
  // place) before a training step.
  for (bool set_to_none : {true, false}) {
    net->eval();
    sgd.zero_grad();
    loss_of(*net, batch()).backward();
    net->train();
    sgd.zero_grad(set_to_none);
    loss_of(*net, batch()).backward();
    sgd.step();
  }
  // An eval-mode forward and backward without a step (e.g. saliency maps).
  net->eval();
  sgd.zero_grad();
  loss_of(*net, batch()).backward();
  net->train();
  EXPECT_EQ(count("step_after_eval_forward"), 0) << diagnostics::last_message();
  EXPECT_EQ(count("grad_across_steps"), 0) << diagnostics::last_message();
}

TEST_F(Diagnostics, StepAfterEvalForwardSilentForFrozenOrOnPurposeModules) {
  manual_seed(0);
  {  // BatchNorm frozen on purpose: eval mode and requires_grad_(false) on its parameters.
    auto net = bn_net();
    auto& bn = static_cast<nn::BatchNorm1d&>(*(*net)[1]);
    bn.weight.requires_grad_(false);
    bn.bias.requires_grad_(false);
    optim::SGD sgd({(*net)[0]->parameters()[0], (*net)[3]->parameters()[0]}, {.lr = 0.1});
    bn.eval();
    loss_of(*net, batch()).backward();
    sgd.step();
  }
  {  // The explicit opt-out, recursive from the model down.
    auto net = dropout_net();
    optim::SGD sgd(net->parameters(), {.lr = 0.1});
    net->eval();
    net->set_eval_on_purpose(true);
    EXPECT_TRUE((*net)[2]->eval_on_purpose());
    loss_of(*net, batch()).backward();
    sgd.step();
  }
  {  // Dropout(p=0) and BatchNorm without running statistics compute the same in eval.
    auto net = std::make_shared<nn::Sequential>(ModuleList{
        std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::Dropout>(0.0),
        std::make_shared<nn::BatchNorm1d>(8, nn::BatchNormOptions{.track_running_stats = false})});
    optim::SGD sgd(net->parameters(), {.lr = 0.1});
    net->eval();
    loss_of(*net, batch()).backward();
    sgd.step();
  }
  EXPECT_EQ(count("step_after_eval_forward"), 0) << diagnostics::last_message();
}

// A user module declares that its forward reads the training flag.
class Noisy : public nn::Module {
 public:
  Noisy() : Module("Noisy") {}
  Tensor forward(const Tensor& x) override { return is_training() ? x * 2.0 : x; }
  bool depends_on_training_flag() const override { return true; }
};

TEST_F(Diagnostics, StepAfterEvalForwardWatchesUserModules) {
  manual_seed(0);
  auto net = std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::Linear>(4, 2), std::make_shared<Noisy>()});
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  net->eval();
  loss_of(*net, batch()).backward();
  sgd.step();
  EXPECT_EQ(count("step_after_eval_forward"), 1);
  EXPECT_NE(diagnostics::last_message().find("'1' (Noisy) ran in eval mode (its forward depends on the training flag)"),
            std::string::npos) << diagnostics::last_message();
}

TEST_F(Diagnostics, StepAfterEvalForwardErrorThrowsBeforeAnyUpdate) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  diagnostics::set_level("step_after_eval_forward", Level::Error);
  net->eval();
  loss_of(*net, batch()).backward();
  const std::vector<float> before = net->parameters()[0].to_vector<float>();
  EXPECT_THROW(sgd.step(), Error);
  EXPECT_EQ(net->parameters()[0].to_vector<float>(), before);
  diagnostics::set_level("step_after_eval_forward", Level::Ignore);
  sgd.step();
  EXPECT_NE(net->parameters()[0].to_vector<float>(), before);
  EXPECT_EQ(count("step_after_eval_forward"), 1);  // Ignore counts nothing
}

// ---------------------------------------------------------------- grad_across_steps
TEST_F(Diagnostics, GradAcrossStepsFiresWithoutZeroGrad) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  loss_of(*net, batch()).backward();
  sgd.step();
  loss_of(*net, batch()).backward();
  EXPECT_EQ(count("grad_across_steps"), 0);  // reported by the step that would apply it again
  sgd.step();
  EXPECT_EQ(count("grad_across_steps"), 6);  // each parameter's gradient, warned once for the optimizer
  const std::string msg = diagnostics::last_message();
  EXPECT_NE(msg.find("grad_across_steps: backward accumulated into the gradient of '"), std::string::npos) << msg;
  EXPECT_NE(msg.find("so this step applies that gradient again"), std::string::npos) << msg;
  EXPECT_NE(msg.find("that optimizer step 1 already applied"), std::string::npos) << msg;
  EXPECT_NE(msg.find("call optimizer.zero_grad() (or model.zero_grad()) after each step()"), std::string::npos);
}

TEST_F(Diagnostics, GradAcrossStepsNamesTheParameter) {
  manual_seed(0);
  auto net = std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::Linear>(4, 2, false)});
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  loss_of(*net, batch()).backward();
  sgd.step();
  loss_of(*net, batch()).backward();
  sgd.step();
  EXPECT_EQ(count("grad_across_steps"), 1);
  EXPECT_NE(diagnostics::last_message().find("'0.weight' (parameter 0 of group 0, shape [2, 4])"), std::string::npos)
      << diagnostics::last_message();
}

TEST_F(Diagnostics, GradAcrossStepsSilentOnLegitimatePatterns) {
  manual_seed(0);
  auto net = bn_net();
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  // Micro-batches accumulated before one step, then each way of clearing.
  for (int micro = 0; micro < 3; ++micro) loss_of(*net, batch()).backward();
  sgd.step();
  sgd.zero_grad(true);
  loss_of(*net, batch()).backward();
  sgd.step();
  sgd.zero_grad(false);
  loss_of(*net, batch()).backward();
  loss_of(*net, batch()).backward();
  sgd.step();
  net->zero_grad();
  loss_of(*net, batch()).backward();
  sgd.step();
  net->zero_grad(false);
  loss_of(*net, batch()).backward();
  EXPECT_EQ(count("grad_across_steps"), 0) << diagnostics::last_message();
}

TEST_F(Diagnostics, GradAcrossStepsErrorThrowsFromTheStepBeforeAnyUpdate) {
  manual_seed(0);
  auto net = std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::Linear>(4, 2, false)});
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  diagnostics::set_level("grad_across_steps", Level::Error);
  loss_of(*net, batch()).backward();
  sgd.step();
  loss_of(*net, batch()).backward();
  const std::vector<float> weight = net->parameters()[0].detach().to_vector<float>();
  EXPECT_THROW(sgd.step(), Error);
  EXPECT_EQ(net->parameters()[0].detach().to_vector<float>(), weight);  // not updated
}

// ---------------------------------------------------------------- tiny_batch_norm_batch
TEST_F(Diagnostics, TinyBatchNormBatchFiresBelowEightValuesPerChannel) {
  manual_seed(0);
  auto net = bn_net();
  (*net)(batch(4));
  EXPECT_EQ(count("tiny_batch_norm_batch"), 1);
  EXPECT_NE(diagnostics::last_message().find("tiny_batch_norm_batch: '1' (BatchNorm1d) normalized 4 values per "
                                             "channel in training mode (input [4, 8]; fewer than 8"),
            std::string::npos) << diagnostics::last_message();
  nn::BatchNorm2d bn(3);  // called on its own: named by its type
  bn(randn({1, 3, 2, 3}));
  EXPECT_EQ(count("tiny_batch_norm_batch"), 2);
  EXPECT_NE(diagnostics::last_message().find("BatchNorm2d normalized 6 values per channel"), std::string::npos);
}

TEST_F(Diagnostics, TinyBatchNormBatchSilentOnLargeBatchesEvalAndSingleValues) {
  manual_seed(0);
  auto net = bn_net();
  (*net)(batch(8));
  net->eval();
  (*net)(batch(2));
  net->train();
  EXPECT_THROW((*net)(batch(1)), Error);  // "Expected more than 1 value per channel when training"
  EXPECT_EQ(count("tiny_batch_norm_batch"), 0);
}

TEST_F(Diagnostics, TinyBatchNormBatchErrorLevelThrows) {
  auto net = bn_net();
  diagnostics::set_level("tiny_batch_norm_batch", Level::Error);
  const int64_t tracked = static_cast<nn::BatchNorm1d&>(*(*net)[1]).num_batches_tracked.item<int64_t>();
  try {
    (*net)(batch(3));
    FAIL() << "expected an ember::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("normalized 3 values per channel"), std::string::npos) << e.what();
  }
  EXPECT_EQ(static_cast<nn::BatchNorm1d&>(*(*net)[1]).num_batches_tracked.item<int64_t>(), tracked);
}

// ---------------------------------------------------------------- levels and EMBER_DIAGNOSTICS
TEST_F(Diagnostics, NamesCountsAndLevels) {
  EXPECT_EQ(diagnostics::names(),
            (std::vector<std::string>{"step_after_eval_forward", "unused_graph", "grad_across_steps",
                                      "backward_on_no_grad", "tiny_batch_norm_batch"}));
  const auto counts = diagnostics::counts();
  EXPECT_EQ(counts.size(), 5u);
  for (const auto& [name, n] : counts) EXPECT_EQ(n, 0) << name;
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Warn);
  diagnostics::set_level("unused_graph", Level::Error);
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Error);
  diagnostics::set_level_all(Level::Ignore);
  for (const auto& name : diagnostics::names()) EXPECT_EQ(diagnostics::level(name), Level::Ignore);
  try {
    diagnostics::set_level("unused_graphs", Level::Warn);
    FAIL() << "expected an ember::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown diagnostic \"unused_graphs\"; expected one of: "
                                         "step_after_eval_forward, unused_graph, grad_across_steps, "
                                         "backward_on_no_grad, tiny_batch_norm_batch"),
              std::string::npos) << e.what();
  }
}

TEST_F(Diagnostics, ConfigureParsesTheEnvironmentSyntax) {
  diagnostics::configure("unused_graph=error, grad_across_steps=ignore");
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Error);
  EXPECT_EQ(diagnostics::level("grad_across_steps"), Level::Ignore);
  EXPECT_EQ(diagnostics::level("tiny_batch_norm_batch"), Level::Warn);
  diagnostics::configure("all=ignore,tiny_batch_norm_batch=warn");
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Ignore);
  EXPECT_EQ(diagnostics::level("tiny_batch_norm_batch"), Level::Warn);
  // Invalid specs change nothing and say what is valid.
  EXPECT_THROW(diagnostics::configure("all=warn,bogus=error"), Error);
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Ignore);
  try {
    diagnostics::configure("unused_graph=loud");
    FAIL() << "expected an ember::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown diagnostics level \"loud\"; expected ignore, warn or error"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(diagnostics::configure("unused_graph"), Error);
}

TEST_F(Diagnostics, EnvironmentVariable) {
  const char* saved = std::getenv("EMBER_DIAGNOSTICS");
  const std::string previous = saved ? saved : "";
  setenv("EMBER_DIAGNOSTICS", "unused_graph=error,grad_across_steps=ignore", 1);
  diagnostics::reload_environment();
  EXPECT_EQ(diagnostics::level("unused_graph"), Level::Error);
  EXPECT_EQ(diagnostics::level("grad_across_steps"), Level::Ignore);
  EXPECT_EQ(diagnostics::level("step_after_eval_forward"), Level::Warn);
  setenv("EMBER_DIAGNOSTICS", "all=ignore", 1);
  diagnostics::reload_environment();
  for (const auto& name : diagnostics::names()) EXPECT_EQ(diagnostics::level(name), Level::Ignore);
  setenv("EMBER_DIAGNOSTICS", "unused_graph=eror", 1);
  EXPECT_THROW(diagnostics::reload_environment(), Error);
  if (saved) setenv("EMBER_DIAGNOSTICS", previous.c_str(), 1);
  else unsetenv("EMBER_DIAGNOSTICS");
  diagnostics::reload_environment();
}

}  // namespace
}  // namespace ember::testing_diagnostics
