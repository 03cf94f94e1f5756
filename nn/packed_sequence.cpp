// PackedSequence and the packing functions of torch.nn.utils.rnn: PyTorch's orders (a stable
// sort by decreasing length), checks and messages; each packing or padding one index_select.
#include "nn/packed_sequence.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "autograd/function_node.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember::nn::utils::rnn {

// Note [Packing as one gather]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Packing, padding and sorting only move rows: every function here works out on the CPU,
// from the lengths, which row of a flat source each output row is, and makes the output with
// one index_select (padding appends one row of padding_value to the source and points the
// padded places at it). So each records one node whose backward is one index_add, linear in
// the size, where a select or narrow per step and sequence would each add a zero tensor of
// the whole input in backward; double backward and CUDA come with index_select. PyTorch's
// PackPaddedSequenceBackward does the same scatter by hand. Taking sequences apart again
// (unpad_sequence, a layer's steps) is one gather into order and one node for the pieces
// (detail::split_rows).
namespace {

Tensor int64_cpu(const std::vector<int64_t>& values) { return tensor(values, TensorOptions(kInt64)); }

Tensor on_device_of(const std::vector<int64_t>& values, const Tensor& like) {
  return int64_cpu(values).to(like.device());
}

// lengths as numbers: a 1-D CPU tensor of any number type, converted to int64 (libtorch's).
std::vector<int64_t> checked_lengths(const Tensor& lengths, const char* op) {
  EMBER_CHECK(lengths.defined(), op, ": expected 'lengths', got an undefined tensor");
  EMBER_CHECK(lengths.dim() == 1 && lengths.is_cpu() && lengths.dtype() != kBool,
              "'lengths' argument should be a 1D CPU int64 tensor, but got ", lengths.dim(), "D ",
              lengths.device().str(), " ", dtype_torch_name(lengths.dtype()), " tensor");
  return lengths.to(kInt64).contiguous().to_vector<int64_t>();
}

// The inverse of a permutation: inverse[perm[j]] = j.
std::vector<int64_t> inverted(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inverse(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) inverse[static_cast<size_t>(perm[j])] = static_cast<int64_t>(j);
  return inverse;
}

// t [rows, *] with one more row of `value` at the end: where padded places point.
Tensor with_padding_row(const Tensor& t, double value) {
  Dims row_shape = t.sizes();
  row_shape[0] = 1;
  return ember::cat({t, full(row_shape, value, t.options())}, 0);
}

// The rows of `source` ([rows, *]) picked by `rows`, shaped [lead..., *].
Tensor gather_rows(const Tensor& source, const std::vector<int64_t>& rows, const Dims& lead) {
  Dims shape = lead;
  for (int64_t d = 1; d < source.dim(); ++d) shape.push_back(source.size(d));
  const Tensor picked = ember::index_select(source, 0, on_device_of(rows, source));
  return picked.sizes() == shape ? picked : picked.reshape(shape);
}

// Where padded place (step t, column b) of a [T, B] ([B, T] batch_first) layout is, flat.
int64_t flat_place(int64_t t, int64_t b, int64_t T, int64_t B, bool batch_first) {
  return batch_first ? b * T + t : t * B + b;
}

}  // namespace

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices, Tensor unsorted_indices)
    : data_(std::move(data)),
      batch_sizes_(std::move(batch_sizes)),
      sorted_indices_(std::move(sorted_indices)),
      unsorted_indices_(std::move(unsorted_indices)) {
  EMBER_CHECK(data_.defined() && data_.dim() >= 1, "PackedSequence: expected data of at least 1 dimension, got ",
              data_.defined() ? data_.dim() : 0, "-D");
  EMBER_CHECK(
      batch_sizes_.defined() && batch_sizes_.dim() == 1 && batch_sizes_.is_cpu() && batch_sizes_.dtype() == kInt64,
      "PackedSequence: batch_sizes should be a 1D CPU int64 tensor");
  const std::vector<int64_t> sizes = batch_size_values();
  EMBER_CHECK(!sizes.empty() && sizes.back() > 0, "PackedSequence: batch_sizes must be positive and not empty");
  EMBER_CHECK(std::is_sorted(sizes.rbegin(), sizes.rend()),
              "PackedSequence: batch_sizes must not grow (the sequences are packed longest first)");
  const int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  EMBER_CHECK(total == data_.size(0), "PackedSequence: batch_sizes sum to ", total, " steps, but data has ",
              data_.size(0), " rows");
  if (!sorted_indices_.defined()) {
    EMBER_CHECK(!unsorted_indices_.defined(), "PackedSequence: unsorted_indices given without sorted_indices");
    return;
  }
  const auto check_permutation = [&](const Tensor& p, const char* name) {
    EMBER_CHECK(p.dim() == 1 && p.dtype() == kInt64 && p.size(0) == sizes[0], "PackedSequence: ", name,
                " should be a 1D int64 tensor of the batch size ", sizes[0], ", got ", p.dim(), "D ",
                dtype_name(p.dtype()), " of ", p.numel(), " elements");
    std::vector<int64_t> seen = p.cpu().contiguous().to_vector<int64_t>();
    std::sort(seen.begin(), seen.end());
    for (int64_t j = 0; j < sizes[0]; ++j)
      EMBER_CHECK(seen[static_cast<size_t>(j)] == j, "PackedSequence: ", name, " is not a permutation of 0..",
                  sizes[0] - 1);
    return p.to(data_.device());
  };
  sorted_indices_ = check_permutation(sorted_indices_, "sorted_indices");
  if (!unsorted_indices_.defined())
    unsorted_indices_ = on_device_of(inverted(sorted_indices_.cpu().contiguous().to_vector<int64_t>()), data_);
  unsorted_indices_ = check_permutation(unsorted_indices_, "unsorted_indices");
}

std::vector<int64_t> PackedSequence::batch_size_values() const {
  return batch_sizes_.defined() ? batch_sizes_.to_vector<int64_t>() : std::vector<int64_t>{};
}

int64_t PackedSequence::batch_size() const {
  const std::vector<int64_t> sizes = batch_size_values();
  return sizes.empty() ? 0 : sizes.front();
}

PackedSequence PackedSequence::with_data(Tensor data) const {
  EMBER_CHECK(data.defined() && data.dim() >= 1 && data.size(0) == data_.size(0),
              "PackedSequence.with_data: expected data of ", data_.size(0), " rows, got ",
              data.defined() ? data.sizes() : Dims{});
  PackedSequence out = *this;
  out.data_ = std::move(data);
  return out;
}

PackedSequence PackedSequence::to(Device device) const {
  PackedSequence out = with_data(data_.to(device));
  if (sorted_indices_.defined()) {
    out.sorted_indices_ = sorted_indices_.to(device);
    out.unsorted_indices_ = unsorted_indices_.to(device);
  }
  return out;
}

PackedSequence PackedSequence::to(DType dtype) const { return with_data(data_.to(dtype)); }

std::ostream& operator<<(std::ostream& os, const PackedSequence& packed) {
  const auto field = [&os](const char* name, const Tensor& t) -> std::ostream& {
    os << name << "=";
    return t.defined() ? os << t : os << "None";
  };
  os << "PackedSequence(";
  field("data", packed.data()) << ", ";
  field("batch_sizes", packed.batch_sizes()) << ", ";
  field("sorted_indices", packed.sorted_indices()) << ", ";
  field("unsorted_indices", packed.unsorted_indices()) << ")";
  return os;
}

PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first, bool enforce_sorted) {
  EMBER_CHECK(input.defined() && input.dim() >= 2, "pack_padded_sequence: expected input of at least 2 dimensions (",
              batch_first ? "[B, T, *]" : "[T, B, *]", "), got ", input.defined() ? input.dim() : 0, "-D");
  std::vector<int64_t> lens = checked_lengths(lengths, "pack_padded_sequence");
  const int64_t B = input.size(batch_first ? 0 : 1), T = input.size(batch_first ? 1 : 0);
  EMBER_CHECK(input.numel() > 0, "Cannot pack empty tensors.");
  EMBER_CHECK(static_cast<int64_t>(lens.size()) == B, "Expected `len(lengths)` to be equal to batch_size, but got ",
              lens.size(), " (batch_size=", B, ")");
  std::vector<int64_t> order(lens.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  const char* const not_positive =
      "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0";
  if (enforce_sorted) {
    EMBER_CHECK(lens.back() > 0, not_positive);  // PyTorch's order of checks
    EMBER_CHECK(std::is_sorted(lens.rbegin(), lens.rend()),
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if "
                "you do not need ONNX exportability.");
  } else {
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return lens[static_cast<size_t>(a)] > lens[static_cast<size_t>(b)]; });
  }
  const int64_t longest = lens[static_cast<size_t>(order.front())];
  const int64_t shortest = lens[static_cast<size_t>(order.back())];
  EMBER_CHECK(shortest > 0, not_positive);
  EMBER_CHECK(longest <= T, "pack_padded_sequence: a length of ", longest, " is longer than the padded input's ", T,
              " steps");
  std::vector<int64_t> batch_sizes, rows;
  for (int64_t t = 0; t < longest; ++t) {
    int64_t count = 0;
    for (const int64_t b : order) {
      if (lens[static_cast<size_t>(b)] <= t) break;
      rows.push_back(flat_place(t, b, T, B, batch_first));
      ++count;
    }
    batch_sizes.push_back(count);
  }
  Dims flat_shape{B * T};
  for (int64_t d = 2; d < input.dim(); ++d) flat_shape.push_back(input.size(d));
  const Tensor data = gather_rows(input.reshape(flat_shape), rows, {static_cast<int64_t>(rows.size())});
  if (enforce_sorted) return PackedSequence(data, int64_cpu(batch_sizes));
  return PackedSequence(data, int64_cpu(batch_sizes), on_device_of(order, input), on_device_of(inverted(order), input));
}

PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths, bool batch_first,
                                    bool enforce_sorted) {
  return pack_padded_sequence(input, int64_cpu(lengths), batch_first, enforce_sorted);
}

std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first, double padding_value,
                                               std::optional<int64_t> total_length) {
  EMBER_CHECK(sequence.defined(), "pad_packed_sequence: expected a PackedSequence with data, got an empty one");
  const std::vector<int64_t> sizes = sequence.batch_size_values();
  const int64_t longest = static_cast<int64_t>(sizes.size()), B = sizes[0];
  const int64_t T = total_length.value_or(longest);
  EMBER_CHECK(T >= longest,
              "Expected total_length to be at least the length of the longest sequence in input, but got "
              "total_length=",
              T, " and max sequence length being ", longest);
  // Column j of the packed steps is the caller's batch index sorted[j].
  std::vector<int64_t> sorted(static_cast<size_t>(B));
  std::iota(sorted.begin(), sorted.end(), int64_t{0});
  if (sequence.sorted_indices().defined()) sorted = sequence.sorted_indices().cpu().contiguous().to_vector<int64_t>();
  const int64_t padding_row = sequence.data().size(0);
  std::vector<int64_t> rows(static_cast<size_t>(T * B), padding_row), lengths(static_cast<size_t>(B), 0);
  int64_t offset = 0;
  for (int64_t t = 0; t < longest; ++t) {
    for (int64_t j = 0; j < sizes[static_cast<size_t>(t)]; ++j) {
      const int64_t b = sorted[static_cast<size_t>(j)];
      rows[static_cast<size_t>(flat_place(t, b, T, B, batch_first))] = offset + j;
      ++lengths[static_cast<size_t>(b)];
    }
    offset += sizes[static_cast<size_t>(t)];
  }
  const Tensor padded =
      gather_rows(with_padding_row(sequence.data(), padding_value), rows, batch_first ? Dims{B, T} : Dims{T, B});
  return {padded, int64_cpu(lengths)};
}

Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value,
                    const std::string& padding_side) {
  EMBER_CHECK(padding_side == "left" || padding_side == "right",
              "Expected padding_side to be one of left or right, but got ", padding_side, ".");
  EMBER_CHECK(!sequences.empty(), "received an empty list of sequences");
  const Tensor& first = sequences.front();
  EMBER_CHECK(first.defined() && first.dim() >= 1, "pad_sequence: expected sequences of at least 1 dimension");
  const auto trailing_of = [](const Tensor& t) { return Dims(t.sizes().data() + 1, t.sizes().size() - 1); };
  const Dims trailing = trailing_of(first);
  const int64_t B = static_cast<int64_t>(sequences.size());
  int64_t T = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    EMBER_CHECK(s.defined() && s.dim() == first.dim() && trailing_of(s) == trailing,
                "pad_sequence: every sequence must be [L, *] with the first's trailing shape ", trailing,
                ", but sequence ", i, " is ", s.defined() ? s.sizes() : Dims{});
    EMBER_CHECK(s.device() == first.device(),
                "Expected all tensors to be on the same device, but found at least two devices, ", first.device().str(),
                " and ", s.device().str(), "!");
    T = std::max(T, s.size(0));
  }
  std::vector<int64_t> rows(static_cast<size_t>(T * B));
  int64_t offset = 0, total = 0;
  for (const Tensor& s : sequences) total += s.size(0);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t length = sequences[static_cast<size_t>(b)].size(0);
    const int64_t start = padding_side == "left" ? T - length : 0;  // where the sequence's first step goes
    for (int64_t t = 0; t < T; ++t) {
      const bool inside = t >= start && t < start + length;
      rows[static_cast<size_t>(flat_place(t, b, T, B, batch_first))] = inside ? offset + (t - start) : total;
    }
    offset += length;
  }
  std::vector<Tensor> same_dtype;
  for (const Tensor& s : sequences) same_dtype.push_back(s.dtype() == first.dtype() ? s : s.to(first.dtype()));
  return gather_rows(with_padding_row(ember::cat(same_dtype, 0), padding_value), rows,
                     batch_first ? Dims{B, T} : Dims{T, B});
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (const Tensor& s : sequences) lengths.push_back(s.defined() && s.dim() >= 1 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), lengths, false, enforce_sorted);
}

std::vector<Tensor> unpad_sequence(const Tensor& padded_sequences, const Tensor& lengths, bool batch_first) {
  EMBER_CHECK(padded_sequences.defined() && padded_sequences.dim() >= 2,
              "unpad_sequence: expected padded sequences of at least 2 dimensions");
  const std::vector<int64_t> lens = checked_lengths(lengths, "unpad_sequence");
  const int64_t B = padded_sequences.size(batch_first ? 0 : 1), T = padded_sequences.size(batch_first ? 1 : 0);
  EMBER_CHECK(static_cast<int64_t>(lens.size()) == B, "unpad_sequence: expected ", B, " lengths (the batch), got ",
              lens.size());
  std::vector<int64_t> rows;  // every sequence's steps, one sequence after the other
  for (int64_t b = 0; b < B; ++b) {
    const int64_t length = lens[static_cast<size_t>(b)];
    EMBER_CHECK(length >= 0 && length <= T, "unpad_sequence: length ", length, " of sequence ", b,
                " is outside the padded input's ", T, " steps");
    for (int64_t t = 0; t < length; ++t) rows.push_back(flat_place(t, b, T, B, batch_first));
  }
  Dims flat_shape{B * T};
  for (int64_t d = 2; d < padded_sequences.dim(); ++d) flat_shape.push_back(padded_sequences.size(d));
  const Tensor steps = gather_rows(padded_sequences.reshape(flat_shape), rows, {static_cast<int64_t>(rows.size())});
  return detail::split_rows(steps, lens);
}

std::vector<Tensor> unpack_sequence(const PackedSequence& packed_sequences) {
  const auto [padded, lengths] = pad_packed_sequence(packed_sequences, true);
  return unpad_sequence(padded, lengths, true);
}

namespace detail {

std::vector<Tensor> split_rows(const Tensor& t, const std::vector<int64_t>& rows) {
  std::vector<Tensor> pieces;
  int64_t offset = 0;
  for (const int64_t n : rows) {
    pieces.push_back(native::clone(t.narrow(0, offset, n)));
    offset += n;
  }
  if (!autograd::will_record(t)) return pieces;
  std::vector<const Tensor*> outputs;
  std::vector<Dims> shapes;
  for (const Tensor& piece : pieces) {
    outputs.push_back(&piece);
    shapes.push_back(piece.sizes());
  }
  autograd::record_list("SplitWithSizesBackward", autograd::input_list({&t}), outputs, {},
                        [shapes](const autograd::tensor_list& grads, const autograd::tensor_list&, const auto&) {
                          TensorOptions options;
                          for (const Tensor& g : grads)
                            if (g.defined()) options = g.options();
                          std::vector<Tensor> parts;
                          for (size_t i = 0; i < grads.size(); ++i)
                            parts.push_back(grads[i].defined() ? grads[i] : zeros(shapes[i], options));
                          return autograd::tensor_list{ember::cat(parts, 0)};
                        })
      ->set_differentiable_backward();
  return pieces;
}

}  // namespace detail

}  // namespace ember::nn::utils::rnn
