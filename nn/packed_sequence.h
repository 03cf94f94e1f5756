// torch.nn.utils.rnn for ember: PackedSequence, pack_padded_sequence, pad_packed_sequence,
// pad_sequence, pack_sequence, unpad_sequence and unpack_sequence, with PyTorch's orders and
// messages; every packing and padding one recorded gather (Note [Packing as one gather]).
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "core/tensor.h"

namespace ember::nn::utils::rnn {

// Sequences of different lengths packed step-major: data [sum of lengths, *] holds step 0 of
// every sequence, then step 1 of those that have one, and so on, longest sequence first;
// batch_sizes (int64, CPU, [longest length]) says how many sequences have each step, so it
// never grows. sorted_indices[j] is the caller's batch index of packed column j and
// unsorted_indices its inverse (int64, on data's device); both undefined when the batch came
// sorted by decreasing length. The constructor checks that the four agree.
class PackedSequence;
// PyTorch's repr: PackedSequence(data=tensor(...), batch_sizes=tensor(...), sorted_indices=...,
// unsorted_indices=...) (None for undefined indices).
std::ostream& operator<<(std::ostream& os, const PackedSequence& packed);

class PackedSequence {
 public:
  PackedSequence() = default;
  // unsorted_indices undefined with sorted_indices given: computed as its inverse (libtorch's).
  PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = {}, Tensor unsorted_indices = {});

  const Tensor& data() const { return data_; }
  const Tensor& batch_sizes() const { return batch_sizes_; }
  const Tensor& sorted_indices() const { return sorted_indices_; }
  const Tensor& unsorted_indices() const { return unsorted_indices_; }
  bool defined() const { return data_.defined(); }
  bool is_cuda() const { return data_.is_cuda(); }
  // batch_sizes as numbers, and the batch (batch_sizes[0]).
  std::vector<int64_t> batch_size_values() const;
  int64_t batch_size() const;

  // The same steps and order with other data of as many rows (a layer's output; nothing is
  // checked again but the rows).
  PackedSequence with_data(Tensor data) const;
  // data (and the indices) on `device`; batch_sizes stays on the CPU, as in PyTorch.
  PackedSequence to(Device device) const;
  // data converted to `dtype`; the indices stay int64.
  PackedSequence to(DType dtype) const;
  PackedSequence cpu() const { return to(Device::cpu()); }
  PackedSequence cuda(int index = 0) const { return to(Device::cuda(index)); }

 private:
  Tensor data_, batch_sizes_, sorted_indices_, unsorted_indices_;
};

// input [T, B, *] ([B, T, *] batch_first) padded, lengths (B values >= 1, at most T; a 1-D CPU
// tensor, converted to int64, or numbers) -> the packed sequences. enforce_sorted: lengths must
// not grow, as ONNX export needs; false: sorted here and the order kept in sorted_indices
// (ties stay in batch order; PyTorch's unstable sort may order ties of over 16 otherwise, which
// changes data's row order and the indices, not what unpacks).
PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);
PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);

// The inverse: (padded [T, B, *] ([B, T, *] batch_first) in the caller's batch order, lengths
// int64 CPU [B]). T is the longest length, or total_length (at least that) to pad further.
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);

// Sequences [L_i, *] (same trailing shape and device; any L_i >= 0; converted to the first's
// dtype, as PyTorch copies them) stacked into [max L_i, B, *] ([B, max L_i, *] batch_first),
// padded with padding_value after each sequence (padding_side "right") or before it ("left",
// PyTorch 2.6's left padding for decoders).
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false, double padding_value = 0.0,
                    const std::string& padding_side = "right");

// pack_padded_sequence(pad_sequence(sequences), their lengths, false, enforce_sorted).
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

// The inverses of pad_sequence and pack_sequence: the sequences, each [L_i, *] (copies).
std::vector<Tensor> unpad_sequence(const Tensor& padded_sequences, const Tensor& lengths, bool batch_first = false);
std::vector<Tensor> unpack_sequence(const PackedSequence& packed_sequences);

namespace detail {
// t [rows, ...] as consecutive pieces of rows[i] rows each (copies), recorded by one node whose
// backward concatenates their gradients (zeros where a piece got none): linear where a narrow
// per piece would add a zero tensor of the whole of t each (Note [Packing as one gather]).
std::vector<Tensor> split_rows(const Tensor& t, const std::vector<int64_t>& rows);
}  // namespace detail

}  // namespace ember::nn::utils::rnn
