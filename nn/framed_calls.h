// detail::FramedCalls: a layer called with more than one argument (an RNN with its states,
// attention with key and value, a Transformer layer with its masks) still runs through
// Module::operator(), so hooks, the memory ledger and the mode diagnostics see the call
// (Note [Calls with more arguments]).
#pragma once
#include <deque>
#include <utility>

#include "nn/module.h"

namespace ember::nn::detail {

// Note [Calls with more arguments]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// PyTorch's Module.__call__ passes every argument to forward and runs the hooks around it;
// ember's Module::operator() takes one tensor. A layer's operator()(input, more...) pushes a
// frame holding the other arguments, calls Module::operator()(input), and its forward(input)
// takes the frame only when it runs as that call's forward (one module call deeper than the
// push, first; forward pre-hooks run a call deeper still), so a hook that calls the same module,
// or calls forward, gets its own frame or none (forward(input) then uses its defaults) and
// leaves the outer call's alone. Forward leaves its other results (an RNN's final states,
// attention weights) in the frame, and the hooks see the first input and the first output.
// Frames belong to the calling thread, so threads may share a module, as PyTorch's
// stateless forward allows.
template <typename F>
class FramedCalls {
 public:
  using Frame = F;

  // module(input) with `frame` pushed -> (output, the frame as forward left it).
  std::pair<Tensor, Frame> call(Module& module, const Tensor& input, Frame frame) {
    frames().push_back(Entry{this, Module::call_depth() + 1, false, std::move(frame)});
    Tensor output;
    try {
      output = module(input);
    } catch (...) {
      frames().pop_back();
      throw;
    }
    Frame done = std::move(frames().back().frame);
    frames().pop_back();
    return {output, std::move(done)};
  }

  // The frame of this thread's call whose forward is running now (claimed by this); nullptr
  // otherwise. It stays where it is while nested calls push theirs (a deque).
  Frame* claim() {
    if (frames().empty()) return nullptr;
    Entry& top = frames().back();
    if (top.owner != this || top.claimed || top.depth != Module::call_depth()) return nullptr;
    top.claimed = true;
    return &top.frame;
  }

 private:
  struct Entry {
    const FramedCalls* owner;
    int depth;  // where the call's forward runs
    bool claimed;
    Frame frame;
  };
  static std::deque<Entry>& frames() {
    thread_local std::deque<Entry> stack;
    return stack;
  }
};

}  // namespace ember::nn::detail
