// The CUDA DeviceOps table: the kernels of cuda/ (cuda/cuda_internal.h lists them).
#include "cuda/cuda_internal.h"

namespace ember {

const DeviceOps* cuda_ops() {
  static const DeviceOps table{
      .unary = cuda_kernels::unary,
      .binary = cuda_kernels::binary,
      .binary_scalar = cuda_kernels::binary_scalar,
      .where = cuda_kernels::where,
      .reduce = cuda_kernels::reduce,
      .arg_reduce = cuda_kernels::arg_reduce,
      .gemm = cuda_kernels::gemm,
      .copy = cuda_kernels::copy,
      .fill = cuda_kernels::fill,
      .uniform = cuda_kernels::uniform,
      .normal = cuda_kernels::normal,
      .softmax_rows = cuda_kernels::softmax_rows,
      .cross_entropy_rows = cuda_kernels::cross_entropy_rows,
      .class_loss_backward = cuda_kernels::class_loss_backward,
      .sgd_step = cuda_kernels::sgd_step,
      .adam_step = cuda_kernels::adam_step,
  };
  return &table;
}

}  // namespace ember
