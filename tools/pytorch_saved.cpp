// PyTorch's save rules for the layers of the small CNN and the norms (torch 1.13 and 2.x, autograd's
// derivatives.yaml), as unique storages:
//   Conv2d       input, weight                       (ConvolutionBackward0)
//   BatchNorm2d  input, weight, running_mean/var, and in training save_mean and
//                save_invstd [C]: the input's dtype on the CPU (measured for bfloat16 with
//                PyTorch 1.13), float32 for a 16-bit input on CUDA (NativeBatchNormBackward0)
//   LayerNorm    input, weight, bias, mean and rstd [rows] (NativeLayerNormBackward0)
//   GroupNorm    input, weight, mean and rstd [N, groups]  (NativeGroupNormBackward0)
//   ReLU         its output                          (ReluBackward0: result)
//   MaxPool2d    input, int64 indices of the output  (MaxPool2DWithIndicesBackward0)
//   Flatten      nothing (a view)
//   Dropout      training, 0 < p < 1: the mask: on the CPU a float mask in the input's
//                dtype (x * noise, MulBackward0 keeps noise); on CUDA a bool mask
//                (native_dropout); nothing in eval
//   Linear       input, weight                       (AddmmBackward0: mat1, mat2 = weight.t())
#include "tools/pytorch_saved.h"

#include <algorithm>
#include <memory>
#include <set>

#include "core/grad_mode.h"
#include "core/factories.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/pooling.h"

namespace ember::tools {
namespace {

// Storages already counted, by identity (a Tensor's storage or a stand-in id).
struct Ledger {
  std::set<const void*> seen;
  int64_t take(const void* storage, int64_t bytes) { return seen.insert(storage).second ? bytes : 0; }
  int64_t take(const Tensor& t) {
    return t.defined() ? take(t.impl().storage.get(), static_cast<int64_t>(t.impl().storage->nbytes())) : 0;
  }
};

template <typename M>
const M* as(const nn::Module& m) {
  return dynamic_cast<const M*>(&m);
}

}  // namespace

std::map<std::string, int64_t> pytorch_saved_bytes(nn::Sequential& model, const Dims& input_shape, Device device,
                                                   bool training, DType dtype) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();  // shapes only: no running-statistics update, no random draws
  Ledger ledger;
  std::map<std::string, int64_t> saved;
  Tensor x = zeros(input_shape, TensorOptions(dtype).device(device));
  // PyTorch's activations are fresh storages per layer (but views); ember's may differ,
  // so each layer's input is identified by the layer that produced it.
  const void* input_id = &saved;  // the input batch
  int64_t counter = 0;
  for (size_t i = 0; i < model.size(); ++i) {  // by index: a layer used twice runs twice
    const std::string name = std::to_string(i);
    const std::shared_ptr<nn::Module>& child = model[i];
    const Tensor in = x;
    x = (*child)(x);
    const int64_t in_bytes = in.numel() * static_cast<int64_t>(itemsize(in.dtype()));
    const int64_t out_elems = x.numel();
    const void* output_id = reinterpret_cast<const void*>(++counter * 16 + 1);  // a fresh storage
    int64_t bytes = 0;
    if (const auto* conv = as<nn::Conv2d>(*child)) {
      bytes = ledger.take(input_id, in_bytes) + ledger.take(conv->weight);
    } else if (const auto* bn = as<nn::BatchNormBase>(*child)) {
      bytes = ledger.take(input_id, in_bytes) + ledger.take(bn->weight) + ledger.take(bn->running_mean) +
              ledger.take(bn->running_var);
      // The statistics: float32 for a 16-bit input on CUDA (its kernels' accumulation type),
      // else in the input's dtype.
      const DType stats = device.is_cuda() ? compute_dtype(in.dtype()) : in.dtype();
      if (training) bytes += 2 * bn->num_features * static_cast<int64_t>(itemsize(stats));
    } else if (const auto* ln = as<nn::LayerNorm>(*child)) {
      const int64_t rows = in.numel() / std::max<int64_t>(1, shape_numel(ln->normalized_shape));
      bytes = ledger.take(input_id, in_bytes) + ledger.take(ln->weight) + ledger.take(ln->bias) +
              2 * rows * static_cast<int64_t>(itemsize(in.dtype()));
    } else if (const auto* gn = as<nn::GroupNorm>(*child)) {
      bytes = ledger.take(input_id, in_bytes) + ledger.take(gn->weight) +
              2 * in.size(0) * gn->num_groups * static_cast<int64_t>(itemsize(in.dtype()));
    } else if (as<nn::ReLU>(*child)) {
      bytes = ledger.take(output_id, out_elems * static_cast<int64_t>(itemsize(x.dtype())));
    } else if (as<nn::MaxPool2d>(*child)) {
      bytes = ledger.take(input_id, in_bytes) + out_elems * 8;
    } else if (as<nn::Flatten>(*child)) {
      output_id = input_id;
    } else if (const auto* drop = as<nn::Dropout>(*child)) {
      if (training && drop->p > 0 && drop->p < 1)
        bytes = in.numel() * (device.is_cuda() ? 1 : static_cast<int64_t>(itemsize(in.dtype())));
      else
        output_id = input_id;
    } else if (const auto* linear = as<nn::Linear>(*child)) {
      bytes = ledger.take(input_id, in_bytes) + ledger.take(linear->weight);
    } else {
      EMBER_CHECK(false, "ember mem: no PyTorch save rule for layer ", name, " (", child->type_name(), ")");
    }
    saved[name] = bytes;
    input_id = output_id;
  }
  model.train(was_training);
  return saved;
}

}  // namespace ember::tools
