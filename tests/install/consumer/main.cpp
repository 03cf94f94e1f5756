// Uses the installed umbrella header and library like a user would, including API.md's
// nn example: prints "ok 10" on success.
#include <ember/ember.h>

#include <iostream>

// API.md's "GPU training" lines compile against the installed headers (not run: the
// consumer runs without a GPU).
[[maybe_unused]] static void gpu_training_api(const std::vector<ember::Tensor>& params, const ember::Tensor& x,
                                              const ember::Tensor& y) {
  ember::cudnn::set_benchmark(true);
  ember::cudnn::set_allow_tf32(true);
  ember::optim::SGD sgd(params, {.lr = 0.05, .momentum = 0.9, .nesterov = true, .capturable = true});
  ember::nn::GraphedStep step([&](const std::vector<ember::Tensor>& in) { (void)in; sgd.step(); }, 3, "my step");
  step({x, y});
  (void)step.capture_failed();
  ember::cuda::Graph g;
  g.capture_begin();
  g.capture_end();
  ember::cuda::Graph other;
  other.capture_begin(ember::cuda::Stream::create(), g.pool());
  other.capture_end();
  g.replay();
  (void)g.random_counters();
  ember::AutocastGuard autocast(ember::Device::cuda(0), ember::kBFloat16);
  (void)x.contiguous(ember::MemoryFormat::ChannelsLast);
}

int main() {
  namespace nn = ember::nn;
  auto t = ember::tensor(std::vector<float>{1, 2, 3, 4}, {2, 2});
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(4), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25), std::make_shared<nn::Linear>(4 * 2 * 2, 3)});
  ember::optim::SGD sgd(net->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4, .nesterov = true});
  auto loss = nn::functional::cross_entropy((*net)(ember::randn({2, 1, 4, 4})), ember::tensor(std::vector<int64_t>{0, 2}, {2}));
  loss.backward();
  sgd.step();
  const float sum = t.sum().item<float>();
  std::cout << (sum == 10.0f ? "ok" : "wrong") << " " << sum << "\n";
  return sum == 10.0f ? 0 : 1;
}
