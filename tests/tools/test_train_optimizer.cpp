// `ember train --optimizer` (tools/train_optimizer.h, tools/train_resume.h): each
// optimizer's defaults, the flags an optimizer does not have, and checkpoints that
// name their optimizer (an older one, naming none, is SGD's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "core/factories.h"
#include "core/random.h"
#include "nn/linear.h"
#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/rmsprop.h"
#include "nn/optim/sgd.h"
#include "nn/serialize/safetensors.h"
#include "support/temp_dir.h"
#include "tools/train_optimizer.h"
#include "tools/train_resume.h"

namespace ember::tools {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

std::shared_ptr<nn::Linear> tiny() {
  manual_seed(3);
  return std::make_shared<nn::Linear>(3, 2);
}

// One step on a fixed batch, so the optimizer has state to save.
void one_step(nn::Module& model, optim::Optimizer& opt) {
  opt.zero_grad();
  model(ones({4, 3})).pow(2).sum().backward();
  opt.step();
}

// A checkpoint as ember train writes it; `optimizer` empty: as before --optimizer.
void save_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt, const std::string& optimizer) {
  nn::StateDict sd;
  for (auto& [k, v] : model.state_dict()) sd.emplace_back("model." + k, v);
  for (auto& [k, v] : opt.state_dict()) sd.emplace_back("optim." + k, v);
  nn::Metadata meta = {{"epoch", "2"}, {"format", "ember-checkpoint-1"}};
  if (!optimizer.empty()) meta.emplace(kOptimizerKey, optimizer);
  nn::save(sd, path, meta);
}

TEST(TrainOptimizer, DefaultsPerOptimizer) {
  auto model = tiny();
  auto make = [&](const OptimizerFlags& flags) { return make_optimizer(flags, model->parameters()); };

  auto sgd = make({.name = "sgd"});
  const auto& s = dynamic_cast<optim::SGD&>(*sgd).options(0);  // ember train's SGD since its first version
  EXPECT_EQ(s.lr, 0.05);
  EXPECT_EQ(s.momentum, 0.9);
  EXPECT_TRUE(s.nesterov);
  EXPECT_EQ(s.weight_decay, 0.0);
  auto plain = make({.name = "sgd", .momentum = 0.0});
  EXPECT_FALSE(dynamic_cast<optim::SGD&>(*plain).options(0).nesterov);

  auto adam = make({.name = "adam"});
  const auto& a = dynamic_cast<optim::Adam&>(*adam).options(0);
  EXPECT_EQ(a.lr, 1e-3);
  EXPECT_EQ(a.weight_decay, 0.0);
  EXPECT_EQ(a.betas, std::make_pair(0.9, 0.999));
  auto adamw = make({.name = "adamw", .betas = std::make_pair(0.8, 0.99)});
  const auto& w = dynamic_cast<optim::AdamW&>(*adamw).options(0);
  EXPECT_EQ(w.lr, 1e-3);
  EXPECT_EQ(w.weight_decay, 0.01);  // PyTorch's AdamW default
  EXPECT_EQ(w.betas, std::make_pair(0.8, 0.99));
  auto rmsprop = make({.name = "rmsprop", .weight_decay = 0.5, .momentum = 0.3});
  const auto& r = dynamic_cast<optim::RMSprop&>(*rmsprop).options(0);
  EXPECT_EQ(r.lr, 1e-3);
  EXPECT_EQ(r.weight_decay, 0.5);
  EXPECT_EQ(r.momentum, 0.3);
  auto adagrad = make({.name = "adagrad", .lr = 0.2});
  EXPECT_EQ(dynamic_cast<optim::Adagrad&>(*adagrad).options(0).lr, 0.2);
  EXPECT_EQ(resolved_lr({.name = "adagrad"}), 1e-2);
}

TEST(TrainOptimizer, FlagsTheOptimizerDoesNotHaveAreErrors) {
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adam", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer adam has no momentum (its beta1 plays that part"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adagrad", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer adagrad has no momentum; --momentum is for sgd and rmsprop, but got "
                        "--momentum 0.5"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "rmsprop", .betas = std::make_pair(0.9, 0.9)}); }),
              HasSubstr("--betas: --optimizer rmsprop has no betas; --betas is for adam and adamw, but got --betas "
                        "0.9,0.9"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "lion"}); }),
              HasSubstr("--optimizer: expected sgd, adam, adamw, rmsprop or adagrad, but got 'lion'"));
  EXPECT_EQ(error_of([] { check_optimizer_flags({.name = "rmsprop", .weight_decay = 0.1, .momentum = 0.5}); }),
            "(no error)");
}

TEST(TrainOptimizer, CapturableModes) {
  EXPECT_EQ(not_capturable_reason("sgd"), "");
  EXPECT_EQ(not_capturable_reason("adamw"), "");
  EXPECT_THAT(not_capturable_reason("rmsprop"), HasSubstr("--optimizer rmsprop has no capturable mode"));
  auto model = tiny();
  auto adam = make_optimizer({.name = "adam"}, model->parameters());
  make_capturable(*adam);
  EXPECT_TRUE(dynamic_cast<optim::Adam&>(*adam).options(0).capturable);
  auto adagrad = make_optimizer({.name = "adagrad"}, model->parameters());
  EXPECT_THAT(error_of([&] { make_capturable(*adagrad); }), HasSubstr("needs a capturable optimizer"));
}

TEST(TrainOptimizer, CheckpointNamesItsOptimizer) {
  testing::TempDir dir;
  const std::string path = dir.file("adam.safetensors");
  auto model = tiny();
  auto adam = make_optimizer({.name = "adam", .weight_decay = 0.25}, model->parameters());
  one_step(*model, *adam);
  save_checkpoint(path, *model, *adam, "adam");

  auto other = tiny();
  auto sgd = make_optimizer({.name = "sgd"}, other->parameters());
  EXPECT_THAT(error_of([&] { load_checkpoint(path, *other, sgd.get(), "sgd"); }),
              HasSubstr("--resume: checkpoint '" + path +
                        "' was made with --optimizer adam, but this run has --optimizer sgd; resume with --optimizer adam"));
  EXPECT_EQ(load_checkpoint(path, *other, nullptr, "sgd"), 0);  // ember eval: any optimizer's checkpoint

  auto resumed = make_optimizer({.name = "adam"}, other->parameters());
  EXPECT_EQ(load_checkpoint(path, *other, resumed.get(), "adam"), 2);
  const optim::StateDict saved = adam->state_dict(), loaded = resumed->state_dict();
  ASSERT_EQ(saved.size(), loaded.size());
  for (size_t i = 0; i < saved.size(); ++i) {  // exp_avg, exp_avg_sq, step and the hyper-parameters
    EXPECT_EQ(saved[i].first, loaded[i].first);
    EXPECT_EQ(values(saved[i].second), values(loaded[i].second)) << saved[i].first;
  }
  EXPECT_EQ(dynamic_cast<optim::Adam&>(*resumed).options(0).weight_decay, 0.25);  // the checkpoint's
  check_resumed_hyper_parameters({.name = "adam", .weight_decay = 0.25}, *resumed, path);
  EXPECT_THAT(error_of([&] { check_resumed_hyper_parameters({.name = "adam", .weight_decay = 0.0}, *resumed, path); }),
              HasSubstr("--weight-decay: --resume '" + path +
                        "' continues a run whose weight_decay was 0.25, but got --weight-decay 0"));
  EXPECT_THAT(error_of([&] {
                check_resumed_hyper_parameters({.name = "adam", .betas = std::make_pair(0.9, 0.9)}, *resumed, path);
              }),
              HasSubstr("run whose beta2 was 0.999, but got --betas 0.9"));
}

TEST(TrainOptimizer, OlderCheckpointIsSgd) {
  testing::TempDir dir;
  const std::string path = dir.file("old.safetensors");
  auto model = tiny();
  auto sgd = make_optimizer({.name = "sgd"}, model->parameters());
  one_step(*model, *sgd);
  save_checkpoint(path, *model, *sgd, /*optimizer=*/"");  // no "optimizer" in the metadata

  auto other = tiny();
  auto resumed = make_optimizer({.name = "sgd"}, other->parameters());
  EXPECT_EQ(load_checkpoint(path, *other, resumed.get(), "sgd"), 2);
  EXPECT_EQ(values(sgd->state_dict().back().second), values(resumed->state_dict().back().second));  // momentum buffer
  auto adamw = make_optimizer({.name = "adamw"}, other->parameters());
  EXPECT_THAT(error_of([&] { load_checkpoint(path, *other, adamw.get(), "adamw"); }),
              HasSubstr("was made with --optimizer sgd (it names none: ember train used SGD before --optimizer), "
                        "but this run has --optimizer adamw"));
}

}  // namespace
}  // namespace ember::tools
