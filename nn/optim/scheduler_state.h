// Reading and writing the entries of scheduler state dicts (LRScheduler, ReduceLROnPlateau):
// each read checks the entry's dtype and size and names it in the error, as input from
// a file (Note [Loaded state is checked] in nn/optim/optimizer.h); and the schedulers'
// per-group arguments.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nn/optim/scheduler.h"

namespace ember::optim::detail {

// A 0-dim int64 / float64 tensor, and a 1-dim one of the values.
Tensor state_scalar(int64_t value);
Tensor state_scalar(double value);
Tensor state_vector(const std::vector<int64_t>& values);
Tensor state_vector(const std::vector<double>& values);

// One integer element (any integer dtype), or one floating-point element; `who` and
// `key` name it in the error ("ReduceLROnPlateau::load_state_dict: num_bad_epochs ...").
int64_t read_int(const Tensor& value, const char* who, const std::string& key);
double read_double(const Tensor& value, const char* who, const std::string& key);
// `count` integers / floating-point values, one per parameter group, in a 1-dim tensor.
std::vector<int64_t> read_ints(const Tensor& value, const char* who, const std::string& key, size_t count);
std::vector<double> read_doubles(const Tensor& value, const char* who, const std::string& key, size_t count);

// PyTorch's _format_param: `values` (non-empty) one per parameter group when `list`, else
// its one value for every group; a list of another length is PyTorch's error naming `name`.
std::vector<double> per_group(const char* name, size_t groups, const std::vector<double>& values, bool list);
// The same for a PerGroup argument, over the optimizer's groups.
std::vector<double> per_group(const char* name, const Optimizer& optimizer, const PerGroup& value);

}  // namespace ember::optim::detail
