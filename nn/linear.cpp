// nn::Linear and nn::Bilinear. kaiming_uniform_(a=sqrt(5)) on a [out, in] weight is
// U(-1/sqrt(in), 1/sqrt(in)); PyTorch draws the bias from the same bound, and Bilinear both
// from U(-1/sqrt(in1), 1/sqrt(in1)).
#include "nn/linear.h"

#include <cmath>
#include <utility>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/basic.h"
#include "nn/functional/bilinear.h"
#include "nn/init.h"

namespace ember::nn {

namespace {

double bound_for(int64_t in_features) {
  return in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
}
}  // namespace

Linear::Linear(int64_t in, int64_t out, bool with_bias) : Linear("Linear", in, out, with_bias) {}

Linear::Linear(std::string type_name, int64_t in, int64_t out, bool with_bias)
    : Module(std::move(type_name)),
      in_features(in),
      out_features(out),
      weight(register_parameter("weight", init::uniform({out, in}, bound_for(in)))),
      bias(register_parameter("bias", with_bias ? init::uniform({out}, bound_for(in)) : Tensor())) {}

Tensor Linear::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

void Linear::reset_parameters() { init::redraw_uniform_({&weight, &bias}, bound_for(in_features)); }
void Bilinear::reset_parameters() { init::redraw_uniform_({&weight, &bias}, bound_for(in1_features)); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

Bilinear::Bilinear(int64_t in1, int64_t in2, int64_t out, bool with_bias)
    : Module("Bilinear"),
      in1_features(in1),
      in2_features(in2),
      out_features(out),
      weight(register_parameter("weight", init::uniform({out, in1, in2}, bound_for(in1)))),
      bias(register_parameter("bias", with_bias ? init::uniform({out}, bound_for(in1)) : Tensor())) {}

Tensor Bilinear::forward(const Tensor& input1, const Tensor& input2) {
  return functional::bilinear(input1, input2, weight, bias);
}

Tensor Bilinear::operator()(const Tensor& input1, const Tensor& input2) {
  return calls_.call(*this, input1, {.input2 = input2}).first;
}

Tensor Bilinear::forward(const Tensor& input) {
  if (const Frame* frame = calls_.claim()) return forward(input, frame->input2);
  EMBER_FAIL("Bilinear.forward() missing 1 required positional argument: 'input2' (call forward(input1, input2))");
}

std::string Bilinear::extra_repr() const {
  return "in1_features=" + std::to_string(in1_features) + ", in2_features=" + std::to_string(in2_features) +
         ", out_features=" + std::to_string(out_features) + ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace ember::nn
