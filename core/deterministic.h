// Deterministic algorithms, as torch.use_deterministic_algorithms: a process-wide switch
// that makes every CUDA op give the same bits on every run (Note [Deterministic algorithms]).
#pragma once

namespace ember {

// Note [Deterministic algorithms]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// ember's CPU kernels and most CUDA kernels are deterministic already: reductions combine
// partial sums in a fixed order, pooling, resampling and batch norm use no atomics, random
// numbers follow the seed (Note [cuDNN dropout random stream]), and cuBLAS gets a workspace
// per stream (what PyTorch's CUBLAS_WORKSPACE_CONFIG asks for). What is not, by default:
//  - cuDNN may pick convolution and batch-norm engines that sum with atomics
//    (NONDETERMINISTIC in cuDNN's numerical notes);
//  - the CUDA kernels of index_add (index_select's gradient), scatter, scatter_add and
//    scatter_reduce (gather's gradient, bincount, histc) and grid_sample's backward combine
//    repeated destinations with atomics, in no fixed order.
// use_deterministic_algorithms(true) changes both: cuDNN is planned without its
// nondeterministic engines (as cudnn::set_deterministic(true) alone does), and those kernels
// run their deterministic forms, in which one thread owns each destination (a line along the
// scattered dim or a column of index_add where there are enough of them, else each run of a
// stable sort by destination, Note [Ordered runs] in core/ordered_runs.h; a channel plane of
// grid_sample's input gradient) and combines its contributions in the CPU kernel's order: the
// same bits on every run, and the CPU's bits where no product meets a sum (the scatters and
// index_add; grid_sample's sample positions may round differently where nvcc fuses a
// multiply-add). They cost a sort, and are much slower where many contributions meet in few
// destinations (a histogram of a large tensor into few bins) or, for grid_sample, where the
// images are large and the channels few. Unlike PyTorch, no op lacks a deterministic form, so none
// raises "does not have a deterministic implementation"; warn_only is kept for the API.
void use_deterministic_algorithms(bool mode, bool warn_only = false);
bool are_deterministic_algorithms_enabled();
bool is_deterministic_algorithms_warn_only_enabled();
// torch.utils.deterministic.fill_uninitialized_memory (on by default): while deterministic
// algorithms are on, empty / empty_like / new_empty fill their memory, floating tensors with
// NaN and integer and bool ones with the dtype's largest value, as PyTorch 2.1's do, so a
// read of memory never written gives the same (and a visible) value on every run.
void set_deterministic_fill_uninitialized_memory(bool fill);
bool deterministic_fill_uninitialized_memory();

}  // namespace ember
