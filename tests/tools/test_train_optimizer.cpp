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
#include "nn/optim/adadelta.h"
#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/adamax.h"
#include "nn/optim/nadam.h"
#include "nn/optim/radam.h"
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

// Adadelta, Adamax, NAdam and RAdam take PyTorch's defaults, and the flags given.
TEST(TrainOptimizer, DefaultsOfTheAdadeltaAndAdamFamilies) {
  auto model = tiny();
  auto make = [&](const OptimizerFlags& flags) { return make_optimizer(flags, model->parameters()); };
  auto adadelta = make({.name = "adadelta"});
  const auto& d = dynamic_cast<optim::Adadelta&>(*adadelta).options(0);
  EXPECT_EQ(d.lr, 1.0);
  EXPECT_EQ(d.rho, 0.9);
  EXPECT_EQ(d.weight_decay, 0.0);
  auto adadelta_wd = make({.name = "adadelta", .lr = 0.5, .weight_decay = 0.1});
  EXPECT_EQ(dynamic_cast<optim::Adadelta&>(*adadelta_wd).options(0).lr, 0.5);
  EXPECT_EQ(dynamic_cast<optim::Adadelta&>(*adadelta_wd).options(0).weight_decay, 0.1);

  auto adamax = make({.name = "adamax"});
  const auto& x = dynamic_cast<optim::Adamax&>(*adamax).options(0);
  EXPECT_EQ(x.lr, 2e-3);
  EXPECT_EQ(x.betas, std::make_pair(0.9, 0.999));
  auto nadam = make({.name = "nadam", .weight_decay = 0.2, .betas = std::make_pair(0.8, 0.99)});
  const auto& n = dynamic_cast<optim::NAdam&>(*nadam).options(0);
  EXPECT_EQ(n.lr, 2e-3);
  EXPECT_EQ(n.weight_decay, 0.2);
  EXPECT_EQ(n.betas, std::make_pair(0.8, 0.99));
  EXPECT_EQ(n.momentum_decay, 4e-3);
  auto radam = make({.name = "radam", .lr = 0.01});
  const auto& r = dynamic_cast<optim::RAdam&>(*radam).options(0);
  EXPECT_EQ(r.lr, 0.01);
  EXPECT_EQ(r.betas, std::make_pair(0.9, 0.999));
  EXPECT_EQ(resolved_lr({.name = "radam"}), 1e-3);
  EXPECT_EQ(resolved_lr({.name = "nadam"}), 2e-3);
  EXPECT_EQ(resolved_lr({.name = "adadelta"}), 1.0);
  EXPECT_EQ(optimizer_names().size(), 9u);
}

TEST(TrainOptimizer, FlagsTheOptimizerDoesNotHaveAreErrors) {
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adam", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer adam has no momentum (its beta1 plays that part"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adagrad", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer adagrad has no momentum; --momentum is for sgd and rmsprop, but got "
                        "--momentum 0.5"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "rmsprop", .betas = std::make_pair(0.9, 0.9)}); }),
              HasSubstr("--betas: --optimizer rmsprop has no betas; --betas is for adam, adamw, adamax, nadam and "
                        "radam, but got --betas 0.9,0.9"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adadelta", .betas = std::make_pair(0.9, 0.9)}); }),
              HasSubstr("--betas: --optimizer adadelta has no betas"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "nadam", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer nadam has no momentum (its beta1 plays that part"));
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "adadelta", .momentum = 0.5}); }),
              HasSubstr("--momentum: --optimizer adadelta has no momentum; --momentum is for sgd and rmsprop"));
  EXPECT_EQ(error_of([] { check_optimizer_flags({.name = "radam", .betas = std::make_pair(0.9, 0.9)}); }),
            "(no error)");
  EXPECT_THAT(error_of([] { check_optimizer_flags({.name = "lion"}); }),
              HasSubstr("--optimizer: expected sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam or radam, "
                        "but got 'lion'"));
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
  for (const char* name : {"adadelta", "adamax", "nadam", "radam"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(not_capturable_reason(name), HasSubstr(std::string("--optimizer ") + name + " has no capturable mode"));
    auto opt = make_optimizer({.name = name}, model->parameters());
    EXPECT_THAT(error_of([&] { make_capturable(*opt); }), HasSubstr("needs a capturable optimizer"));
  }
}

// A NAdam checkpoint (its float32 mu_product beside the float64 step) resumes exactly.
TEST(TrainOptimizer, NAdamCheckpointResumes) {
  testing::TempDir dir;
  const std::string path = dir.file("nadam.safetensors");
  auto model = tiny();
  auto nadam = make_optimizer({.name = "nadam"}, model->parameters());
  one_step(*model, *nadam);
  save_checkpoint(path, *model, *nadam, "nadam");
  auto other = tiny();
  auto resumed = make_optimizer({.name = "nadam"}, other->parameters());
  EXPECT_EQ(load_checkpoint(path, *other, resumed.get(), "nadam"), 2);
  const optim::StateDict saved = nadam->state_dict(), loaded = resumed->state_dict();
  ASSERT_EQ(saved.size(), loaded.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    EXPECT_EQ(saved[i].first, loaded[i].first);
    EXPECT_EQ(saved[i].second.dtype(), loaded[i].second.dtype()) << saved[i].first;
    EXPECT_EQ(values(saved[i].second), values(loaded[i].second)) << saved[i].first;
  }
  one_step(*model, *nadam);
  one_step(*other, *resumed);
  EXPECT_EQ(values(model->parameters()[0]), values(other->parameters()[0]));
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
