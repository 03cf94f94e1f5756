// nn::GraphedStep: warm-up calls on the capture stream, one capture, replays (Note
// [Graphed steps] in nn/graphed_step.h).
#include "nn/graphed_step.h"

#include <utility>

#include "core/autocast.h"
#include "core/factories.h"
#include "core/grad_mode.h"

namespace ember::nn {

GraphedStep::GraphedStep(Fn step, int warmup_steps, std::string what)
    : step_(std::move(step)), warmup_steps_(warmup_steps), what_(std::move(what)) {
  EMBER_CHECK(warmup_steps >= 1, what_, ": expected at least 1 warm-up step before the capture, but got ",
              warmup_steps);
}

void GraphedStep::operator()(const std::vector<Tensor>& inputs) {
  if (static_inputs_.empty()) {
    EMBER_CHECK(!inputs.empty(), what_, ": expected at least one input tensor, but got none");
    std::vector<Tensor> buffers;
    for (const Tensor& x : inputs) {
      EMBER_CHECK(x.defined() && x.device().is_cuda(), what_, ": expected CUDA input tensors, but got one on ",
                  x.defined() ? x.device().str() : std::string("no device (undefined)"));
      buffers.push_back(empty(x.sizes(), TensorOptions(x.dtype()).device(x.device())));
    }
    stream_ = cuda::Stream::create(inputs.front().device().index());
    static_inputs_ = std::move(buffers);
  }
  EMBER_CHECK(inputs.size() == static_inputs_.size(), what_, ": expected ", static_inputs_.size(),
              " inputs, but got ", inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& s = static_inputs_[i];
    EMBER_CHECK(inputs[i].sizes() == s.sizes() && inputs[i].dtype() == s.dtype() && inputs[i].device() == s.device(),
                what_, ": input ", i, " must keep the shape, dtype and device of the first call: expected ", s.sizes(),
                " ", dtype_name(s.dtype()), " on ", s.device().str(), ", but got ", inputs[i].sizes(), " ",
                dtype_name(inputs[i].dtype()), " on ", inputs[i].device().str());
    NoGradGuard no_grad;  // a copy into a buffer, never part of the step's graph
    static_inputs_[i].copy_(inputs[i]);
  }
  ++calls_;
  if (calls_ <= warmup_steps_) {  // eagerly, on the capture stream, ordered after the copies
    const cuda::Stream current = cuda::current_stream(stream_->device_index());
    cuda::Event copied(false);
    copied.record(current);
    stream_->wait(copied);
    {
      cuda::StreamGuard on_capture_stream(*stream_);
      step_(static_inputs_);
    }
    cuda::Event done(false);
    done.record(*stream_);
    current.wait(done);
    return;
  }
  if (!graph_.captured()) capture();
  graph_.replay();
}

void GraphedStep::capture() {
  // Casts cached by an enclosing guard's warm-up steps would be reused, not captured:
  // every replay would read the weights as they were before the capture.
  EMBER_CHECK(!autocast::is_enabled(DeviceType::CUDA), what_, ": the step is captured inside an AutocastGuard; "
              "put the guard inside the step (around its forward and loss), as torch.cuda.graph's recipe does");
  capture_failed_ = true;
  graph_.capture_begin(*stream_);
  try {
    step_(static_inputs_);
    graph_.capture_end();
    capture_failed_ = false;
  } catch (const std::exception& e) {
    graph_.reset();  // abandons the capture; nothing stays captured
    EMBER_FAIL("capturing ", what_, " as a CUDA graph failed: ", e.what());
  }
}

}  // namespace ember::nn
