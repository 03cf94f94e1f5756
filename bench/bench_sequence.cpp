// Sequence layers on the CPU: nn::MultiheadAttention self-attention of 32 sequences of 64
// tokens, 128 wide in 4 heads (batch_first: forward under no_grad, with the averaged weights,
// forward + backward), and a 2-layer nn::LSTM(64, 128) over 32 steps of batch 32 (forward under
// no_grad, forward + backward), and the same LSTM on 32 packed sequences of lengths 1..32
// (pack, forward, pad, backward); the CTC loss of [50 frames, 16, 20 classes] log-softmaxed
// logits against targets of 10-20 labels (forward under no_grad, forward + backward through
// log_softmax). Twin: bench/pytorch_sequence.py.
#include <benchmark/benchmark.h>

#include <ember/ember.h>

#include <vector>

namespace {

namespace nn = ember::nn;
using ember::Tensor;

// The layer and its input, drawn after manual_seed(0) (a member initialized first).
struct Setup {
  int seeded = (ember::manual_seed(0), 0);
  nn::MultiheadAttention mha{128, 4, {.batch_first = true}};
  Tensor x = ember::randn({32, 64, 128});
};

void BM_ember_mha_forward_no_grad(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    ember::NoGradGuard no_grad;
    benchmark::DoNotOptimize(std::get<0>(s.mha(s.x, s.x, s.x, {.need_weights = false})).data_ptr());
  }
}

void BM_ember_mha_forward_with_weights(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    ember::NoGradGuard no_grad;
    const auto [out, weights] = s.mha(s.x, s.x, s.x);
    benchmark::DoNotOptimize(weights.data_ptr());
  }
}

void BM_ember_mha_forward_backward(benchmark::State& state) {
  Setup s;
  Tensor x = s.x.requires_grad_(true);
  for (auto _ : state) {
    s.mha.zero_grad();
    nn::zero_grad_of(x, true);
    std::get<0>(s.mha(x, x, x, {.need_weights = false})).sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

void BM_ember_lstm(benchmark::State& state) {
  ember::manual_seed(0);
  nn::LSTM lstm(64, 128, {.num_layers = 2});
  Tensor x = ember::randn({32, 32, 64});
  const bool backward = state.range(0) == 1;
  if (backward) x.requires_grad_(true);
  for (auto _ : state) {
    if (backward) {
      lstm.zero_grad();
      nn::zero_grad_of(x, true);
      lstm(x).sum().backward();
      benchmark::DoNotOptimize(x.grad().data_ptr());
    } else {
      ember::NoGradGuard no_grad;
      benchmark::DoNotOptimize(lstm(x).data_ptr());
    }
  }
}

// Lengths 32, 31, ..., 1 in shuffled batch order (enforce_sorted = false): packed, run, padded.
void BM_ember_lstm_packed_forward_backward(benchmark::State& state) {
  ember::manual_seed(0);
  nn::LSTM lstm(64, 128, {.num_layers = 2});
  Tensor x = ember::randn({32, 32, 64}).requires_grad_(true);
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < 32; ++i) lengths.push_back((i * 13) % 32 + 1);
  for (auto _ : state) {
    lstm.zero_grad();
    nn::zero_grad_of(x, true);
    const auto packed = nn::utils::rnn::pack_padded_sequence(x, lengths, false, false);
    const auto [out, state_n] = lstm.forward_with_packed_input(packed);
    std::get<0>(nn::utils::rnn::pad_packed_sequence(out)).sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
}

// Input lengths 50, 48, ..., 20 and target lengths 10..20 (labels 1..19), drawn once.
void BM_ember_ctc_loss(benchmark::State& state) {
  ember::manual_seed(0);
  Tensor logits = ember::randn({50, 16, 20});
  std::vector<int64_t> input_lengths, target_lengths;
  for (int64_t n = 0; n < 16; ++n) input_lengths.push_back(50 - 2 * n), target_lengths.push_back(10 + (n * 7) % 11);
  const Tensor targets = ember::randint(1, 20, {16, 20});
  const Tensor in_len = ember::tensor(input_lengths), tgt_len = ember::tensor(target_lengths);
  const bool backward = state.range(0) == 1;
  if (backward) logits.requires_grad_(true);
  for (auto _ : state) {
    if (backward) {
      nn::zero_grad_of(logits, true);
      nn::functional::ctc_loss(nn::functional::log_softmax(logits, 2), targets, in_len, tgt_len).backward();
      benchmark::DoNotOptimize(logits.grad().data_ptr());
    } else {
      ember::NoGradGuard no_grad;
      const Tensor loss = nn::functional::ctc_loss(nn::functional::log_softmax(logits, 2), targets, in_len, tgt_len);
      benchmark::DoNotOptimize(loss.data_ptr());
    }
  }
}

}  // namespace

BENCHMARK(BM_ember_ctc_loss)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_lstm_packed_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_lstm)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_mha_forward_no_grad)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_mha_forward_with_weights)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ember_mha_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
