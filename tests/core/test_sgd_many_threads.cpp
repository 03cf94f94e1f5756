// The CUDA multi-parameter SGD kernel's threads (cuda/optim_many_threads.h) run here on the
// CPU, every thread of every block of each launch, and must give sgd_step's bits for every
// parameter (its own first_step included) and touch each element once: the block-to-
// parameter split is checked in every CI run, GPU or not. Also DeviceOps::sgd_step_many's
// CPU loop and SGD::step's buckets.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <algorithm>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/dispatch.h"
#include "cuda/optim_many_threads.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace many = cuda_kernels::many;

// Sizes around the chunk and block edges; 0 is an empty parameter between others.
const std::vector<int64_t> kSizes = {1, 5, 0, many::kChunk - 1, many::kChunk, many::kChunk + 1, 3 * many::kChunk + 7,
                                     256, 257};

struct Operands {
  std::vector<SgdOperands> params;
};

Operands make_operands(DType dtype, int count, uint64_t seed, bool momentum) {
  Operands out;
  for (int i = 0; i < count; ++i) {
    const int64_t n = kSizes[static_cast<size_t>(i) % kSizes.size()];
    const TensorOptions options(dtype);
    SgdOperands o;
    o.param = tensor(ember::testing::random_values(n, seed + 3 * i), {n}, options);
    o.grad = tensor(ember::testing::random_values(n, seed + 3 * i + 1), {n}, options);
    if (momentum) o.momentum_buf = tensor(ember::testing::random_values(n, seed + 3 * i + 2), {n}, options);
    o.first_step = i % 3 == 1;
    out.params.push_back(o);
  }
  return out;
}

Operands cloned(const Operands& in) {
  Operands out = in;
  for (SgdOperands& o : out.params) {
    o.param = o.param.clone();
    if (o.momentum_buf.defined()) o.momentum_buf = o.momentum_buf.clone();
  }
  return out;
}

// The launches cuda/optim_step_many.cu makes, each block and thread run in turn.
template <typename T>
void run_threads(const Operands& ops, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;
  const auto update = fused::SgdUpdate<ComputeType<T>>::from(args).resolved();
  constexpr int64_t kThreads = 256;
  for (size_t from = 0; from < ops.params.size(); from += many::kMaxParams) {
    const int count = static_cast<int>(std::min<size_t>(many::kMaxParams, ops.params.size() - from));
    const many::SgdList<T> list = many::sgd_list<T>(ops.params, from, count, use_momentum);
    for (int64_t block = 0; block < list.first_block[count]; ++block)
      for (int64_t tid = 0; tid < kThreads; ++tid) many::sgd_chunk(list, update, block, tid, kThreads);
  }
}

void expect_same(const Operands& a, const Operands& b) {
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    SCOPED_TRACE("parameter " + std::to_string(i));
    EXPECT_EQ(a.params[i].param.to_vector<double>(), b.params[i].param.to_vector<double>());
    if (a.params[i].momentum_buf.defined()) {
      EXPECT_EQ(a.params[i].momentum_buf.to_vector<double>(), b.params[i].momentum_buf.to_vector<double>());
    }
  }
}

TEST(SgdManyThreadsOnCpu, EveryParameterGetsSgdStepsBits) {
  for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16})  // 16-bit: through float
    for (bool momentum : {false, true})
      for (int count : {1, 9, many::kMaxParams, many::kMaxParams + 5}) {  // one launch, and two
        SCOPED_TRACE(std::string(dtype_name(dtype)) + (momentum ? " momentum" : "") + " x" + std::to_string(count));
        const SgdStepArgs args{.lr = 0.05,
                               .momentum = momentum ? 0.9 : 0.0,
                               .weight_decay = 1e-3,
                               .nesterov = momentum};
        const Operands start = make_operands(dtype, count, 7, momentum);
        Operands threads = cloned(start), reference = cloned(start);
        visit_floating_or_reduced(dtype, "test", [&](auto tag) {
          run_threads<typename decltype(tag)::type>(threads, args);
        });
        for (const SgdOperands& o : reference.params) {
          SgdStepArgs one = args;
          one.first_step = o.first_step;
          cpu::sgd_step(o.param, o.grad, o.momentum_buf, one);
        }
        expect_same(threads, reference);
        // Something moved: the step is not a no-op that both sides agree on.
        EXPECT_NE(threads.params[0].param.to_vector<double>(), start.params[0].param.to_vector<double>());
      }
}

TEST(SgdManyThreadsOnCpu, BlocksCoverEachElementOnce) {
  const Operands ops = make_operands(kFloat64, many::kMaxParams, 3, false);
  const many::SgdList<double> list = many::sgd_list<double>(ops.params, 0, many::kMaxParams, false);
  std::vector<std::vector<int>> touched(ops.params.size());
  for (size_t i = 0; i < ops.params.size(); ++i) touched[i].assign(ops.params[i].param.numel(), 0);
  for (int64_t block = 0; block < list.first_block[list.count]; ++block) {
    const int i = many::param_of_block(list.first_block, list.count, block);
    ASSERT_GT(list.numel[i], 0) << "block " << block << " went to an empty parameter";
    const int64_t begin = (block - list.first_block[i]) * many::kChunk;
    for (int64_t e = begin; e < std::min(begin + many::kChunk, list.numel[i]); ++e) ++touched[i][e];
  }
  for (size_t i = 0; i < touched.size(); ++i)
    EXPECT_TRUE(std::all_of(touched[i].begin(), touched[i].end(), [](int t) { return t == 1; })) << "parameter " << i;
}

TEST(SgdManyThreadsOnCpu, TheCpuTableLoopsSgdStep) {
  const SgdStepArgs args{.lr = 0.1, .momentum = 0.5, .dampening = 0.25};
  const Operands start = make_operands(kFloat32, 6, 11, true);
  Operands many_call = cloned(start), reference = cloned(start);
  device_ops(Device::cpu()).sgd_step_many(many_call.params, args);
  for (const SgdOperands& o : reference.params) {
    SgdStepArgs one = args;
    one.first_step = o.first_step;
    cpu::sgd_step(o.param, o.grad, o.momentum_buf, one);
  }
  expect_same(many_call, reference);
}

// SGD::step in buckets (Note [One launch for the SGD step]): two groups, a strided
// parameter on the native path between fused ones, and a parameter whose first gradient
// comes a step late (its own first_step) give what one SGD per parameter gives.
TEST(SgdManyThreadsOnCpu, BucketedStepsEqualOneOptimizerPerParameter) {
  const auto make = [](uint64_t seed, std::vector<int64_t> shape, bool transposed) {
    Tensor t = tensor(ember::testing::random_values(shape[0] * shape[1], seed), shape);
    if (transposed) t = t.t().contiguous().t();
    return t.detach().requires_grad_(true);
  };
  std::vector<Tensor> a = {make(1, {3, 4}, false), make(2, {5, 2}, true), make(3, {2, 2}, false),
                           make(4, {6, 1}, false)};
  std::vector<Tensor> b;
  for (const Tensor& t : a) b.push_back(t.detach().clone().requires_grad_(true));
  const optim::SGDOptions first{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true};
  const optim::SGDOptions second{.lr = 0.02, .momentum = 0.5, .dampening = 0.1};
  optim::SGD together({a[0], a[1], a[2]}, first);
  together.add_param_group({a[3]}, second);
  std::vector<std::unique_ptr<optim::SGD>> alone;
  for (int i = 0; i < 4; ++i) alone.push_back(std::make_unique<optim::SGD>(std::vector<Tensor>{b[i]}, i < 3 ? first : second));
  for (int step = 0; step < 4; ++step) {
    for (int i = 0; i < 4; ++i) {
      const bool late = i == 2 && step == 0;  // no gradient yet: skipped, its buffer starts next step
      const Tensor g = late ? Tensor() : tensor(ember::testing::random_values(a[i].numel(), 50 + 4 * step + i),
                                                a[i].sizes());
      a[i].mutable_grad() = g;
      b[i].mutable_grad() = g.defined() ? g.clone() : Tensor();
    }
    together.step();
    for (auto& o : alone) o->step();
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a[i].detach().to_vector<double>(), b[i].detach().to_vector<double>()) << i;
}

// A step refused at a later parameter (capturable SGD takes no strided parameter) makes no
// momentum buffer for the parameters bucketed before it: their next step is still a first.
TEST(SgdManyThreadsOnCpu, ARefusedStepLeavesNoUnusedMomentumBuffer) {
  Tensor dense = tensor(ember::testing::random_values(6, 1), {2, 3}).requires_grad_(true);
  Tensor strided = tensor(ember::testing::random_values(6, 2), {3, 2}).t().contiguous().t().requires_grad_(true);
  optim::SGD sgd({dense, strided}, {.lr = 0.1, .momentum = 0.9, .capturable = true});
  dense.mutable_grad() = ember::ones({2, 3});
  strided.mutable_grad() = ember::ones({3, 2});
  EXPECT_THROW(sgd.step(), Error);
  for (const auto& [key, value] : sgd.state_dict()) {
    EXPECT_EQ(key.find("momentum_buffer"), std::string::npos) << key;
  }
  EXPECT_EQ(dense.detach().to_vector<double>(), ember::testing::random_values(6, 1));
}

}  // namespace
}  // namespace ember
