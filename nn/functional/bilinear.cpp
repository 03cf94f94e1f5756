// nn::functional::bilinear: PyTorch's checks, then x1 [B, in1] times the weight laid out as
// [in1, out * in2] (one matrix product), times x2 broadcast over out, summed over in2. Its peak
// is the [B, out, in2] product, as PyTorch's _trilinear.
#include "nn/functional/bilinear.h"

#include <vector>

#include "core/autocast.h"
#include "core/error.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember::nn::functional {

Tensor bilinear(const Tensor& input1_in, const Tensor& input2_in, const Tensor& weight_in, const Tensor& bias_in) {
  // on PyTorch's autocast promote list: a bf16 activation with a float32 weight runs in float32
  const std::vector<Tensor> promoted = autocast::promote_inputs({input1_in, input2_in, weight_in, bias_in});
  const Tensor &input1 = promoted[0], &input2 = promoted[1], &weight = promoted[2], &bias = promoted[3];
  // its product and sum in that dtype, as PyTorch's ops inside an autocast op run without it
  const AutocastGuard off(input1.device(), kBFloat16, /*enabled=*/false);
  EMBER_CHECK(input1.dim() == input2.dim(), "bilinear(): input dimensions do not match: got ", input1.dim(), " and ",
              input2.dim());
  EMBER_CHECK(input1.dim() >= 1, "bilinear(): expected inputs with at least 1 dimension, got 0-D");
  for (int64_t d = 0; d + 1 < input1.dim(); ++d) {
    EMBER_CHECK(input1.size(d) == input2.size(d), "bilinear(): input batch dimensions do not match at dim ", d,
                ": got ", input1.size(d), " and ", input2.size(d));
  }
  EMBER_CHECK(weight.dim() == 3, "bilinear(): expected a 3-D weight [out_features, in1_features, in2_features], got ",
              weight.sizes());
  const int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  EMBER_CHECK(input1.size(-1) == in1, "bilinear(): input1 size does not match weight size: got ", input1.size(-1),
              " but expected ", in1);
  EMBER_CHECK(input2.size(-1) == in2, "bilinear(): input2 size does not match weight size: got ", input2.size(-1),
              " but expected ", in2);
  EMBER_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out),
              "bilinear(): bias size does not match weight size: got ", bias.defined() ? bias.size(0) : 0,
              " but expected ", out);
  for (const Tensor* t : {&input2, &weight, &bias}) {
    EMBER_CHECK(!t->defined() || t->dtype() == input1.dtype(), "expected scalar type ",
                dtype_torch_name(input1.dtype()), " but found ", dtype_torch_name(t->dtype()));
  }
  native::check_same_device(input1, {&input2, &weight, &bias}, "bilinear");

  Dims out_shape(input1.sizes().data(), input1.dim() - 1);
  const int64_t batch = shape_numel(out_shape);
  out_shape.push_back(out);
  const Tensor x1 = input1.reshape({batch, in1}), x2 = input2.reshape({batch, in2});
  const Tensor w = weight.permute({1, 0, 2}).reshape({in1, out * in2});
  const Tensor per_out = matmul(x1, w).view({batch, out, in2});
  Tensor y = sum(mul(per_out, x2.unsqueeze(1)), Dims{2});
  if (bias.defined()) y = add(y, bias);
  return y.reshape(out_shape);
}

}  // namespace ember::nn::functional
