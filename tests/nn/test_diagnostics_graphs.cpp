// ember::diagnostics on graphs: unused_graph (an eval-mode graph destroyed without a
// backward, deferred Error) and backward_on_no_grad (the hint on PyTorch's error for
// tensors computed under no_grad or inference mode).
#include "autograd/saved_variable.h"
#include "diagnostics_fixture.h"

namespace ember::testing_diagnostics {
namespace {

using diagnostics::Level;

// Linear(512 -> 512) on 1024 rows: its matmul saves the 2 MiB input and the 1 MiB weight.
std::shared_ptr<nn::Sequential> wide_net() {
  return std::make_shared<nn::Sequential>(
      ModuleList{std::make_shared<nn::Linear>(512, 512), std::make_shared<nn::ReLU>()});
}
Tensor wide_batch() { return randn({1024, 512}); }

// ---------------------------------------------------------------- unused_graph
TEST_F(Diagnostics, UnusedGraphFiresWithTheSavedBytes) {
  manual_seed(0);
  auto net = wide_net();
  net->eval();
  int64_t saved = 0;
  {
    Tensor out = (*net)(wide_batch());
    saved = autograd::saved_tensor_stats().current_bytes;
    EXPECT_EQ(count("unused_graph"), 0);
  }
  EXPECT_EQ(count("unused_graph"), 1);
  EXPECT_GT(saved, int64_t{2} << 20);  // the Linear's input and weight, the ReLU's bit mask
  const std::string msg = diagnostics::last_message();
  EXPECT_NE(msg.find("unused_graph: a graph recorded while the model (Sequential) was in eval mode saved "),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("(" + std::to_string(saved) + " bytes) for backward (threshold 1.00 MiB (1048576 bytes))"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("run evaluation under NoGradGuard or InferenceModeGuard so nothing is saved."),
            std::string::npos) << msg;
  // Once per model in the log, every time in the count.
  ::testing::internal::CaptureStderr();
  { Tensor out = (*net)(wide_batch()); }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count("unused_graph"), 2);
  EXPECT_EQ(err.find("unused_graph:"), std::string::npos) << err;
}

TEST_F(Diagnostics, UnusedGraphSilentOnLegitimatePatterns) {
  manual_seed(0);
  auto net = wide_net();
  net->eval();
  {  // backward through it
    (*net)(wide_batch()).sum().backward();
  }
  {  // autograd::grad
    Tensor x = wide_batch().requires_grad_(true);
    autograd::grad({(*net)(x).sum()}, {x});
  }
  {  // kept, and backwarded later
    Tensor kept = (*net)(wide_batch()).sum();
    (*net)(wide_batch()).sum().backward();
    kept.backward();
  }
  {  // evaluation under no_grad / inference mode saves nothing
    NoGradGuard no_grad;
    (*net)(wide_batch());
  }
  {
    InferenceModeGuard inference;
    (*net)(wide_batch());
  }
  {  // below the threshold
    diagnostics::set_unused_graph_threshold(int64_t{64} << 20);
    Tensor out = (*net)(wide_batch());
  }
  diagnostics::set_unused_graph_threshold(int64_t{1} << 20);
  net->train();
  {  // a training-mode graph dropped on purpose
    Tensor out = (*net)(wide_batch());
  }
  EXPECT_EQ(count("unused_graph"), 0) << diagnostics::last_message();
  EXPECT_EQ(autograd::saved_tensor_stats().current_bytes, 0);
}

TEST_F(Diagnostics, UnusedGraphErrorIsThrownByTheNextModelCall) {
  manual_seed(0);
  auto net = wide_net();
  net->eval();
  diagnostics::set_level("unused_graph", Level::Error);
  ::testing::internal::CaptureStderr();
  EXPECT_NO_THROW({ Tensor out = (*net)(wide_batch()); });  // destructors only log
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("[error] unused_graph:"), std::string::npos) << err;
  EXPECT_EQ(count("unused_graph"), 1);
  try {
    NoGradGuard no_grad;
    (*net)(wide_batch());
    FAIL() << "expected an ember::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unused_graph: a graph recorded while the model (Sequential) was in eval "
                                         "mode saved"),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(reported when that graph was destroyed)"), std::string::npos);
  }
  NoGradGuard no_grad;
  EXPECT_NO_THROW((*net)(wide_batch()));  // thrown once
}

TEST_F(Diagnostics, UnusedGraphIgnored) {
  manual_seed(0);
  auto net = wide_net();
  net->eval();
  diagnostics::set_level("unused_graph", Level::Ignore);
  { Tensor out = (*net)(wide_batch()); }
  EXPECT_EQ(count("unused_graph"), 0);
  EXPECT_EQ(diagnostics::last_message(), "");
}

// ---------------------------------------------------------------- backward_on_no_grad
constexpr const char* kKeyPhrase = "element 0 of tensors does not require grad and does not have a grad_fn";

std::string backward_error(const Tensor& t) {
  try {
    t.backward();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(Diagnostics, BackwardOnNoGradHintsAtNoGradGuard) {
  manual_seed(0);
  auto net = bn_net();
  Tensor inside, outside;
  Tensor out;
  {
    NoGradGuard no_grad;
    inside = loss_of(*net, batch());  // the whole loss under the guard
    out = (*net)(batch());
  }
  outside = out.pow(2.0).mean();  // only the forward under the guard
  for (const Tensor& loss : {inside, outside}) {
    const std::string msg = backward_error(loss);
    EXPECT_NE(msg.find(kKeyPhrase), std::string::npos) << msg;
    EXPECT_NE(msg.find("Hint (backward_on_no_grad): this tensor was computed under NoGradGuard (grad mode off) from "
                       "tensors that require grad, so nothing was recorded for backward; run the forward you train "
                       "through outside the NoGradGuard scope"),
              std::string::npos) << msg;
  }
  EXPECT_EQ(count("backward_on_no_grad"), 2);
}

TEST_F(Diagnostics, BackwardOnNoGradHintsAtInferenceMode) {
  manual_seed(0);
  auto net = bn_net();
  Tensor loss;
  {
    InferenceModeGuard inference;
    loss = loss_of(*net, batch());
  }
  const std::string msg = backward_error(loss);
  EXPECT_NE(msg.find(kKeyPhrase), std::string::npos) << msg;
  EXPECT_NE(msg.find("computed under InferenceModeGuard (inference mode)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("outside the InferenceModeGuard scope"), std::string::npos) << msg;
  EXPECT_EQ(count("backward_on_no_grad"), 1);
}

TEST_F(Diagnostics, BackwardOnNoGradNoHintWithoutAParameter) {
  manual_seed(0);
  Tensor data = randn({4});
  Tensor no_grad_data;
  {
    NoGradGuard no_grad;
    no_grad_data = randn({4}) * 2.0;  // under the guard, but nothing required grad
  }
  Tensor param = randn({4}).requires_grad_(true);
  Tensor detached;
  {
    NoGradGuard no_grad;
    detached = (param * 2.0).detach();  // detach() says it on purpose
  }
  for (const Tensor& t : {data.sum(), no_grad_data.sum(), detached.sum()}) {
    const std::string msg = backward_error(t);
    EXPECT_NE(msg.find(kKeyPhrase), std::string::npos) << msg;
    EXPECT_EQ(msg.find("Hint"), std::string::npos) << msg;
  }
  EXPECT_EQ(count("backward_on_no_grad"), 0);
}

TEST_F(Diagnostics, BackwardOnNoGradIgnoredDropsTheHint) {
  Tensor param = randn({4}).requires_grad_(true);
  Tensor y;
  {
    NoGradGuard no_grad;
    y = (param * 2.0).sum();
  }
  diagnostics::set_level("backward_on_no_grad", Level::Ignore);
  EXPECT_EQ(backward_error(y).find("Hint"), std::string::npos);
  EXPECT_EQ(count("backward_on_no_grad"), 0);
  diagnostics::set_level("backward_on_no_grad", Level::Error);
  EXPECT_NE(backward_error(y).find("Hint (backward_on_no_grad)"), std::string::npos);
  EXPECT_EQ(count("backward_on_no_grad"), 1);
}

}  // namespace
}  // namespace ember::testing_diagnostics
