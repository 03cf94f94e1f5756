// The CUDA DeviceOps table: the kernels of cuda/ (cuda/cuda_internal.h lists most of them;
// cuda/grid_sample.h, cuda/optim_step_many.h and cuda/resample_rows.h the others),
// each called with its first tensor's device made current, so ops on cuda:1 run there
// whatever the thread's current device is.
#include "core/cuda_backend.h"
#include "core/native_indexing.h"
#include "cuda/cuda_internal.h"
#include "cuda/grid_sample.h"
#include "cuda/optim_step_many.h"
#include "cuda/resample_rows.h"
#include "cuda/stream.h"

#include <type_traits>

namespace ember {

namespace {

template <typename T>
void take_device(int& index, const T& arg) {
  if constexpr (std::is_same_v<T, Tensor>) {
    if (index < 0 && arg.defined()) index = arg.device().index();
  }
}

template <auto Kernel>
struct OnTensorsDevice;
template <typename R, typename... Args, R (*Kernel)(Args...)>
struct OnTensorsDevice<Kernel> {
  static R call(Args... args) {
    int index = -1;
    (take_device<std::decay_t<Args>>(index, args), ...);
    cuda::DeviceGuard guard(index < 0 ? cuda::current_device() : index);
    return Kernel(args...);
  }
};

}  // namespace

const DeviceOps* cuda_ops() {
  static const DeviceOps table{
      .unary = OnTensorsDevice<cuda_kernels::unary>::call,
      .binary = OnTensorsDevice<cuda_kernels::binary>::call,
      .binary_scalar = OnTensorsDevice<cuda_kernels::binary_scalar>::call,
      .where = OnTensorsDevice<cuda_kernels::where>::call,
      .unary_backward = OnTensorsDevice<cuda_kernels::unary_backward>::call,
      .pointwise_loss = OnTensorsDevice<cuda_kernels::pointwise_loss>::call,
      .pointwise_loss_backward = OnTensorsDevice<cuda_kernels::pointwise_loss_backward>::call,
      .reduce = OnTensorsDevice<cuda_kernels::reduce>::call,
      .arg_reduce = OnTensorsDevice<cuda_kernels::arg_reduce>::call,
      .var_mean = OnTensorsDevice<cuda_kernels::var_mean>::call,
      .scan = OnTensorsDevice<cuda_kernels::scan>::call,
      .cumprod_backward = OnTensorsDevice<cuda_kernels::cumprod_backward>::call,
      .cumulative_extreme = OnTensorsDevice<cuda_kernels::cumulative_extreme>::call,
      .gemm = OnTensorsDevice<cuda_kernels::gemm>::call,
      .triangle = OnTensorsDevice<cuda_kernels::triangle>::call,
      .copy = OnTensorsDevice<cuda_kernels::copy>::call,
      .fill = OnTensorsDevice<cuda_kernels::fill>::call,
      .uniform = OnTensorsDevice<cuda_kernels::uniform>::call,
      .normal = OnTensorsDevice<cuda_kernels::normal>::call,
      .index_select = OnTensorsDevice<cuda_kernels::index_select>::call,
      .index_add = OnTensorsDevice<cuda_kernels::index_add>::call,
      .resample_rows = OnTensorsDevice<cuda_kernels::resample_rows>::call,
      .resample_rows_transpose = OnTensorsDevice<cuda_kernels::resample_rows_transpose>::call,
      .grid_sample_forward = OnTensorsDevice<cuda_kernels::grid_sample_forward>::call,
      .grid_sample_backward = OnTensorsDevice<cuda_kernels::grid_sample_backward>::call,
      .gather = OnTensorsDevice<cuda_kernels::gather>::call,
      .scatter = OnTensorsDevice<cuda_kernels::scatter>::call,
      .scatter_reduce = OnTensorsDevice<cuda_kernels::scatter_reduce>::call,
      .sort_rows = OnTensorsDevice<cuda_kernels::sort_rows>::call,
      .searchsorted = OnTensorsDevice<cuda_kernels::searchsorted>::call,
      .true_positions = OnTensorsDevice<native::true_positions_by_scan>::call,  // native ops on the device
      .softmax_rows = OnTensorsDevice<cuda_kernels::softmax_rows>::call,
      .cross_entropy_rows = OnTensorsDevice<cuda_kernels::cross_entropy_rows>::call,
      .class_loss_backward = OnTensorsDevice<cuda_kernels::class_loss_backward>::call,
      .sgd_step = OnTensorsDevice<cuda_kernels::sgd_step>::call,
      .sgd_step_many = cuda_kernels::sgd_step_many,  // makes its parameters' device current
      .adam_step = OnTensorsDevice<cuda_kernels::adam_step>::call,
      .rmsprop_step = OnTensorsDevice<cuda_kernels::rmsprop_step>::call,
      .adagrad_step = OnTensorsDevice<cuda_kernels::adagrad_step>::call,
      .adadelta_step = OnTensorsDevice<cuda_kernels::adadelta_step>::call,
      .adamax_step = OnTensorsDevice<cuda_kernels::adamax_step>::call,
      .nadam_step = OnTensorsDevice<cuda_kernels::nadam_step>::call,
      .radam_step = OnTensorsDevice<cuda_kernels::radam_step>::call,
      .conv2d_forward = OnTensorsDevice<cuda_kernels::conv2d_forward>::call,
      .conv2d_backward = OnTensorsDevice<cuda_kernels::conv2d_backward>::call,
      .max_pool2d_forward = OnTensorsDevice<cuda_kernels::max_pool2d_forward>::call,
      .max_pool2d_backward = OnTensorsDevice<cuda_kernels::max_pool2d_backward>::call,
      .avg_pool2d_forward = OnTensorsDevice<cuda_kernels::avg_pool2d_forward>::call,
      .avg_pool2d_backward = OnTensorsDevice<cuda_kernels::avg_pool2d_backward>::call,
      .batch_norm_train = OnTensorsDevice<cuda_kernels::batch_norm_train>::call,
      .batch_norm_eval = OnTensorsDevice<cuda_kernels::batch_norm_eval>::call,
      .batch_norm_backward = OnTensorsDevice<cuda_kernels::batch_norm_backward>::call,
      .batch_norm_backward_in_place = true,  // ember's kernels where grad_x is grad (batch_norm.cu)
      .row_norm_forward = OnTensorsDevice<cuda_kernels::row_norm_forward>::call,
      .row_norm_backward = OnTensorsDevice<cuda_kernels::row_norm_backward>::call,
      .dropout_forward = OnTensorsDevice<cuda_kernels::dropout_forward>::call,
      .dropout_backward = OnTensorsDevice<cuda_kernels::dropout_backward>::call,
      .positive_bits = OnTensorsDevice<cuda_kernels::positive_bits>::call,
      .relu_forward_bits = OnTensorsDevice<cuda_kernels::relu_forward_bits>::call,
      .relu_backward_bits = OnTensorsDevice<cuda_kernels::relu_backward_bits>::call,
      .leaky_relu_backward_bits = OnTensorsDevice<cuda_kernels::leaky_relu_backward_bits>::call,
      .layers_take_channels_last = true,
  };
  return &table;
}

}  // namespace ember
