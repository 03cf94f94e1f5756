// The CPU DeviceOps table and device_ops(device) lookup.
#include "core/dispatch.h"

#include "core/cpu/kernels.h"
#include "core/cuda_backend.h"

namespace ember {

const DeviceOps& cpu_ops() {
  static const DeviceOps table{
      .unary = cpu::unary,
      .binary = cpu::binary,
      .binary_scalar = cpu::binary_scalar,
      .where = cpu::where,
      .unary_backward = cpu::unary_backward,
      .pointwise_loss = cpu::pointwise_loss,
      .pointwise_loss_backward = cpu::pointwise_loss_backward,
      .reduce = cpu::reduce,
      .arg_reduce = cpu::arg_reduce,
      .var_mean = cpu::var_mean,
      .scan = cpu::scan,
      .cumprod_backward = cpu::cumprod_backward,
      .cumulative_extreme = cpu::cumulative_extreme,
      .gemm = cpu::gemm,
      .triangle = cpu::triangle,
      .copy = cpu::copy,
      .fill = cpu::fill,
      .uniform = cpu::uniform,
      .normal = cpu::normal,
      .index_select = cpu::index_select,
      .index_add = cpu::index_add,
      .resample_rows = cpu::resample_rows,
      .resample_rows_transpose = cpu::resample_rows_transpose,
      .grid_sample_forward = cpu::grid_sample_forward,
      .grid_sample_backward = cpu::grid_sample_backward,
      .gather = cpu::gather,
      .scatter = cpu::scatter,
      .scatter_reduce = cpu::scatter_reduce,
      .sort_rows = cpu::sort_rows,
      .searchsorted = cpu::searchsorted,
      .true_positions = cpu::true_positions,
      .softmax_rows = cpu::softmax_rows,
      .cross_entropy_rows = cpu::cross_entropy_rows,
      .class_loss_backward = cpu::class_loss_backward,
      .sgd_step = cpu::sgd_step,
      .sgd_step_many = cpu::sgd_step_many,
      .adam_step = cpu::adam_step,
      .rmsprop_step = cpu::rmsprop_step,
      .adagrad_step = cpu::adagrad_step,
      .adadelta_step = cpu::adadelta_step,
      .adamax_step = cpu::adamax_step,
      .nadam_step = cpu::nadam_step,
      .radam_step = cpu::radam_step,
      .conv2d_forward = cpu::conv2d_forward,
      .conv2d_backward = cpu::conv2d_backward,
      .max_pool2d_forward = cpu::max_pool2d_forward,
      .max_pool2d_backward = cpu::max_pool2d_backward,
      .avg_pool2d_forward = cpu::avg_pool2d_forward,
      .avg_pool2d_backward = cpu::avg_pool2d_backward,
      .batch_norm_train = cpu::batch_norm_train,
      .batch_norm_eval = cpu::batch_norm_eval,
      .batch_norm_backward = cpu::batch_norm_backward,
      .batch_norm_backward_in_place = true,
      .row_norm_forward = cpu::row_norm_forward,
      .row_norm_backward = cpu::row_norm_backward,
      .dropout_forward = cpu::dropout_forward,
      .dropout_backward = cpu::dropout_backward,
      .positive_bits = cpu::positive_bits,
      .relu_forward_bits = cpu::relu_forward_bits,
      .relu_backward_bits = cpu::relu_backward_bits,
      .leaky_relu_backward_bits = cpu::leaky_relu_backward_bits,
  };
  return table;
}

const DeviceOps& device_ops(Device device) {
  if (EMBER_LIKELY(device.is_cpu())) return cpu_ops();
  const DeviceOps* ops = cuda_ops();
  EMBER_CHECK(ops != nullptr, "an op on ", device.str(),
              " needs CUDA kernels, which this build of ember does not have",
              cuda::is_available() ? "" : " (and no CUDA device is available)");
  return *ops;
}

}  // namespace ember
