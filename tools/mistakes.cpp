// `ember train --inject-mistake NAME`: the small CNN on random Fashion-MNIST-shaped
// batches with one mistake of the two switches made on purpose, so that a user can see
// what each diagnostic says (Note [Mode diagnostics] in nn/diagnostics.h). No data needed.
#include "tools/mistakes.h"

#include <cstdio>
#include <functional>
#include <map>

#include <ember/ember.h>

#include "nn/functional/loss.h"
#include "nn/optim/sgd.h"
#include "tools/small_cnn.h"

namespace ember::tools {
namespace {

constexpr int64_t kBatch = 64;

struct Demo {
  explicit Demo(Device d) : device(d) {}
  Device device;
  std::shared_ptr<nn::Sequential> model = on_device(make_small_cnn(), device);
  optim::SGD sgd{model->parameters(), {.lr = 0.01, .momentum = 0.9}};
  Tensor x = randn({kBatch, 1, 28, 28}).to(device);
  Tensor y = labels().to(device);

  static std::shared_ptr<nn::Sequential> on_device(std::shared_ptr<nn::Sequential> m, Device d) {
    m->to(d);
    return m;
  }

  static Tensor labels() {
    std::vector<int64_t> v(kBatch);
    for (int64_t i = 0; i < kBatch; ++i) v[static_cast<size_t>(i)] = i % 10;
    return tensor(v, kInt64);
  }
  Tensor loss() { return nn::functional::cross_entropy((*model)(x), y); }
  void step(bool zero_grad = true) {
    if (zero_grad) sgd.zero_grad();
    loss().backward();
    sgd.step();
  }
};

// Each mistake, as a user would write it.
const std::map<std::string, std::pair<const char*, std::function<void(Demo&)>>>& mistakes() {
  static const std::map<std::string, std::pair<const char*, std::function<void(Demo&)>>> all = {
      {"step_after_eval_forward",
       {"validation switched the model to eval() and training went on without train()",
        [](Demo& d) {
          d.model->eval();
          d.step();
        }}},
      {"unused_graph",
       {"validation in eval() without NoGradGuard: each batch records a graph nobody backwards",
        [](Demo& d) {
          d.model->eval();
          Tensor predictions = (*d.model)(d.x).argmax(1);
          d.model->train();
        }}},
      {"grad_across_steps",
       {"two training steps without zero_grad() in between",
        [](Demo& d) {
          d.step();
          d.step(/*zero_grad=*/false);
        }}},
      {"backward_on_no_grad",
       {"the loss computed under NoGradGuard, then backward()",
        [](Demo& d) {
          Tensor loss;
          {
            NoGradGuard no_grad;
            loss = d.loss();
          }
          try {
            loss.backward();
          } catch (const Error& e) {
            std::printf("backward() threw: %s\n", e.what());
          }
        }}},
      {"tiny_batch_norm_batch",
       {"the convolutional part in training mode on one 4x4 crop (4 values per channel at the second BatchNorm)",
        [](Demo& d) {
          std::vector<std::shared_ptr<nn::Module>> features;
          for (size_t i = 0; i < 8; ++i) features.push_back((*d.model)[i]);
          nn::Sequential conv_part(features);
          conv_part(randn({1, 1, 4, 4}).to(d.device));
        }}},
  };
  return all;
}

}  // namespace

std::vector<std::string> mistake_names() {
  std::vector<std::string> out;
  for (const auto& [name, _] : mistakes()) out.push_back(name);
  return out;
}

int run_mistake_demo(const std::string& name, Device device) {
  const auto it = mistakes().find(name);
  EMBER_CHECK(it != mistakes().end(), "--inject-mistake: unknown mistake \"", name, "\"");
  manual_seed(0);
  diagnostics::reset_counts();
  Demo demo(device);
  std::printf("injected mistake: %s (on %s)\n", it->second.first, device.str().c_str());
  std::fflush(stdout);
  it->second.second(demo);
  const int64_t fired = diagnostics::counts().at(name);
  std::printf("diagnostic %s fired %lld time(s): %s\n", name.c_str(), static_cast<long long>(fired),
              diagnostics::last_message().c_str());
  return fired > 0 ? 0 : 1;
}

}  // namespace ember::tools
