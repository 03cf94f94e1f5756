// nn::LSTM, nn::GRU, nn::RNN and the cells on CUDA against the CPU in float64: outputs, final
// states and every parameter's gradient (backpropagation through time on cuBLAS and the
// elementwise kernels), packed input too. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <memory>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

// The same module twice (the same seed), one moved to CUDA; float64 throughout.
template <typename M, typename... Args>
std::pair<std::shared_ptr<M>, std::shared_ptr<M>> twins(Args&&... args) {
  manual_seed(31);
  auto cpu = std::make_shared<M>(args...);
  manual_seed(31);
  auto gpu = std::make_shared<M>(args...);
  cpu->to(kFloat64);
  gpu->to(kFloat64);
  gpu->to(Device::cuda(0));
  return {cpu, gpu};
}

void expect_same_gradients(const nn::Module& cpu, const nn::Module& gpu) {
  const auto pc = cpu.named_parameters(), pg = gpu.named_parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (size_t i = 0; i < pc.size(); ++i) {
    SCOPED_TRACE(pc[i].first);
    ASSERT_EQ(pc[i].second.grad().defined(), pg[i].second.grad().defined());
    if (pc[i].second.grad().defined()) testing::expect_same(pc[i].second.grad(), pg[i].second.grad(), 1e-12);
  }
}

TEST(CudaRecurrent, LayersMatchTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = randn({6, 3, 4}, kFloat64);
  {
    auto [cpu, gpu] = twins<nn::LSTM>(4, 5, nn::LSTMOptions{.num_layers = 2, .bidirectional = true, .proj_size = 3});
    const Tensor h0 = randn({4, 3, 3}, kFloat64), c0 = randn({4, 3, 5}, kFloat64);
    const auto [out_c, state_c] = (*cpu)(x, {h0, c0});
    const auto [out_g, state_g] = (*gpu)(x.cuda(), {h0.cuda(), c0.cuda()});
    testing::expect_same(out_c, out_g, 1e-12);
    testing::expect_same(std::get<0>(state_c), std::get<0>(state_g), 1e-12);  // h_n, projected
    testing::expect_same(std::get<1>(state_c), std::get<1>(state_g), 1e-12);  // c_n
    (out_c.sum() + std::get<1>(state_c).sum()).backward();
    (out_g.sum() + std::get<1>(state_g).sum()).backward();
    expect_same_gradients(*cpu, *gpu);
  }
  {
    auto [cpu, gpu] = twins<nn::GRU>(4, 5, nn::GRUOptions{.num_layers = 2, .batch_first = true});
    const auto [out_c, h_c] = (*cpu)(x, Tensor());
    const auto [out_g, h_g] = (*gpu)(x.cuda(), Tensor());
    testing::expect_same(out_c, out_g, 1e-12);
    testing::expect_same(h_c, h_g, 1e-12);
    out_c.sum().backward();
    out_g.sum().backward();
    expect_same_gradients(*cpu, *gpu);
  }
  {
    auto [cpu, gpu] = twins<nn::LSTMCell>(4, 5);
    const auto [h_c, c_c] = (*cpu)(x.select(0, 0), {});
    const auto [h_g, c_g] = (*gpu)(x.select(0, 0).cuda(), {});
    testing::expect_same(h_c, h_g, 1e-12);
    testing::expect_same(c_c, c_g, 1e-12);
  }
}

// Packed sequences, unsorted: the gathers (index_select on CUDA), the shrinking batch and the
// states' reordering, values and gradients.
TEST(CudaRecurrent, PackedInputMatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  using nn::utils::rnn::pack_padded_sequence;
  using nn::utils::rnn::pad_packed_sequence;
  const Tensor x = randn({3, 6, 4}, kFloat64), h0 = randn({2, 3, 5}, kFloat64), c0 = randn({2, 3, 5}, kFloat64);
  auto [cpu, gpu] = twins<nn::LSTM>(4, 5, nn::LSTMOptions{.batch_first = true, .bidirectional = true});
  testing::expect_cuda_matches_cpu({x, h0, c0}, [&](const std::vector<Tensor>& t) {
    nn::LSTM& lstm = t[0].is_cuda() ? *gpu : *cpu;
    const auto packed = pack_padded_sequence(t[0], std::vector<int64_t>{4, 6, 1}, true, false);
    const auto [out, state] = lstm.forward_with_packed_input(packed, {t[1], t[2]});
    const auto [padded, lengths] = pad_packed_sequence(out, true);
    return ember::cat({padded.reshape({-1}), std::get<0>(state).reshape({-1}), std::get<1>(state).reshape({-1})});
  });
  expect_same_gradients(*cpu, *gpu);
}

}  // namespace
}  // namespace ember
