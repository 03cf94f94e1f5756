// Subset, random_split (Note [random_split]) and ConcatDataset: index checks with
// PyTorch's phrases, and ConcatDataset's batches gathered per part and stitched in order.
#include "nn/data/dataset_wrappers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "core/error.h"
#include "nn/data/permutation.h"

namespace ember::data {
namespace {

void check_in_range(int64_t i, size_t size, const char* who) {
  EMBER_CHECK(i >= 0 && static_cast<size_t>(i) < size, who, ": dataset index ", i,
              " is out of range for a dataset of ", size, " samples");
}

Dims row_shape(const Tensor& t) {
  Dims row;
  for (int64_t d = 1; d < t.dim(); ++d) row.push_back(t.size(d));
  return row;
}

// "x [1, 28, 28] float32 and y [] int64" for one sample.
std::string describe(const Example& sample) {
  std::ostringstream os;
  os << "x " << sample.x.sizes() << " " << dtype_name(sample.x.dtype()) << " and y " << sample.y.sizes() << " "
     << dtype_name(sample.y.dtype());
  return os.str();
}

// Rows of `part` (a part's batch, rows in `positions` order) into rows `positions` of `out`.
void scatter_rows(const Tensor& part, const std::vector<size_t>& positions, Tensor& out) {
  const Tensor src = part.contiguous();
  const size_t row_bytes = src.nbytes() / positions.size();
  const auto* from = static_cast<const char*>(src.data_ptr());
  auto* to = static_cast<char*>(out.data_ptr());
  for (size_t j = 0; j < positions.size(); ++j) std::memcpy(to + positions[j] * row_bytes, from + j * row_bytes, row_bytes);
}

std::vector<Subset> split_by_lengths(const Dataset& dataset, const std::vector<int64_t>& lengths, uint64_t seed) {
  const std::shared_ptr<const Dataset> parent = dataset.clone();
  const std::vector<int64_t> perm = seeded_permutation(dataset.size(), seed, 0);
  std::vector<Subset> parts;
  parts.reserve(lengths.size());
  size_t offset = 0;
  for (const int64_t length : lengths) {
    const auto first = perm.begin() + static_cast<std::ptrdiff_t>(offset);
    parts.emplace_back(parent, std::vector<int64_t>(first, first + length));
    offset += static_cast<size_t>(length);
  }
  return parts;
}

}  // namespace

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  EMBER_CHECK(dataset_ != nullptr, "Subset: expected a dataset, got nullptr");
  const size_t n = dataset_->size();
  for (const int64_t i : indices_) check_in_range(i, n, "Subset");
}

Example Subset::get(size_t i) const {
  check_in_range(static_cast<int64_t>(i), indices_.size(), "Subset");
  return dataset_->get(static_cast<size_t>(indices_[i]));
}

Example Subset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    check_in_range(indices[k], indices_.size(), "Subset");
    mapped[k] = indices_[static_cast<size_t>(indices[k])];
  }
  return dataset_->get_batch(mapped);
}

std::vector<Subset> random_split(const Dataset& dataset, const std::vector<int64_t>& lengths,
                                 std::optional<uint64_t> seed) {
  int64_t total = 0;
  for (size_t k = 0; k < lengths.size(); ++k) {
    EMBER_CHECK(lengths[k] >= 0, "random_split: length at index ", k, " is negative (", lengths[k], ")");
    total += lengths[k];
  }
  EMBER_CHECK(static_cast<size_t>(total) == dataset.size(),
              "random_split: Sum of input lengths does not equal the length of the input dataset! (the lengths sum to ",
              total, ", the dataset has ", dataset.size(), " samples)");
  return split_by_lengths(dataset, lengths, seed_or_draw(seed));
}

std::vector<Subset> random_split(const Dataset& dataset, const std::vector<double>& fractions,
                                 std::optional<uint64_t> seed) {
  double sum = 0.0;
  for (const double f : fractions) sum += f;
  const auto n = static_cast<double>(dataset.size());
  // PyTorch's test: math.isclose(sum, 1) (relative tolerance 1e-9) and sum <= len(dataset).
  const bool fractions_of_one = std::abs(sum - 1.0) <= 1e-9 * std::max(std::abs(sum), 1.0) && sum <= n;
  EMBER_CHECK(fractions_of_one,
              "random_split: Sum of input lengths does not equal the length of the input dataset! (expected fractions "
              "summing to 1 of a non-empty dataset, got a sum of ", sum, " for ", dataset.size(), " samples)");
  std::vector<int64_t> lengths(fractions.size());
  int64_t assigned = 0;
  for (size_t k = 0; k < fractions.size(); ++k) {
    EMBER_CHECK(fractions[k] >= 0.0 && fractions[k] <= 1.0, "random_split: Fraction at index ", k,
                " is not between 0 and 1 (got ", fractions[k], ")");
    lengths[k] = static_cast<int64_t>(std::floor(n * fractions[k]));
    assigned += lengths[k];
  }
  const int64_t remainder = static_cast<int64_t>(dataset.size()) - assigned;
  EMBER_CHECK(remainder >= 0, "random_split: Sum of input lengths does not equal the length of the input dataset! "
              "(the fractions give ", assigned, " samples of ", dataset.size(), ")");
  for (int64_t r = 0; r < remainder; ++r) ++lengths[static_cast<size_t>(r) % lengths.size()];
  return split_by_lengths(dataset, lengths, seed_or_draw(seed));
}

ConcatDataset::ConcatDataset(std::vector<std::shared_ptr<const Dataset>> datasets) : datasets_(std::move(datasets)) {
  EMBER_CHECK(!datasets_.empty(), "ConcatDataset: datasets should not be an empty iterable");
  size_t total = 0;
  std::optional<Example> first;
  size_t first_part = 0;
  for (size_t k = 0; k < datasets_.size(); ++k) {
    EMBER_CHECK(datasets_[k] != nullptr, "ConcatDataset: dataset ", k, " is nullptr");
    total += datasets_[k]->size();
    cumulative_sizes_.push_back(total);
    if (datasets_[k]->size() == 0) continue;
    Example sample = datasets_[k]->get(0);
    if (!first) {
      first = std::move(sample);
      first_part = k;
      continue;
    }
    EMBER_CHECK(sample.x.sizes() == first->x.sizes() && sample.x.dtype() == first->x.dtype() &&
                    sample.y.sizes() == first->y.sizes() && sample.y.dtype() == first->y.dtype(),
                "ConcatDataset: the datasets' samples should agree in shape and dtype, but dataset ", k, " has ",
                describe(sample), " while dataset ", first_part, " has ", describe(*first));
  }
}

ConcatDataset::ConcatDataset(std::initializer_list<Part> datasets)
    : ConcatDataset([&] {
        std::vector<std::shared_ptr<const Dataset>> parts;
        for (const Part& part : datasets) parts.push_back(part.dataset);
        return parts;
      }()) {}

Example ConcatDataset::get(size_t i) const {
  check_in_range(static_cast<int64_t>(i), size(), "ConcatDataset");
  const size_t part = static_cast<size_t>(
      std::upper_bound(cumulative_sizes_.begin(), cumulative_sizes_.end(), i) - cumulative_sizes_.begin());
  const size_t start = part == 0 ? 0 : cumulative_sizes_[part - 1];
  return datasets_[part]->get(i - start);
}

bool ConcatDataset::prefetchable() const {
  return std::all_of(datasets_.begin(), datasets_.end(), [](const auto& d) { return d->prefetchable(); });
}

Example ConcatDataset::get_batch(const std::vector<int64_t>& indices) const {
  if (indices.empty()) return datasets_.front()->get_batch(indices);
  // Each part's local indices and the batch positions they fill.
  std::vector<std::vector<int64_t>> local(datasets_.size());
  std::vector<std::vector<size_t>> positions(datasets_.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    check_in_range(indices[k], size(), "ConcatDataset");
    const auto i = static_cast<size_t>(indices[k]);
    const size_t part = static_cast<size_t>(
        std::upper_bound(cumulative_sizes_.begin(), cumulative_sizes_.end(), i) - cumulative_sizes_.begin());
    local[part].push_back(static_cast<int64_t>(i - (part == 0 ? 0 : cumulative_sizes_[part - 1])));
    positions[part].push_back(k);
  }
  for (size_t p = 0; p < datasets_.size(); ++p) {
    if (local[p].size() == indices.size()) return datasets_[p]->get_batch(local[p]);  // one part: its own batch
  }
  const auto batch = static_cast<int64_t>(indices.size());
  Tensor x, y;
  size_t first_part = 0;
  for (size_t p = 0; p < datasets_.size(); ++p) {
    if (local[p].empty()) continue;
    const Example part = datasets_[p]->get_batch(local[p]);
    const auto rows = static_cast<int64_t>(local[p].size());
    EMBER_CHECK(part.x.dim() >= 1 && part.x.size(0) == rows && part.y.dim() >= 1 && part.y.size(0) == rows &&
                    part.x.is_cpu() && part.y.is_cpu(),
                "ConcatDataset::get_batch: dataset ", p, " returned x ", part.x.sizes(), " and y ", part.y.sizes(),
                " for ", rows, " indices (expected CPU tensors with ", rows, " rows)");
    if (!x.defined()) {
      Dims xs = row_shape(part.x), ys = row_shape(part.y);
      xs.insert(0, batch);
      ys.insert(0, batch);
      x = make_empty(xs, part.x.dtype(), Device::cpu());
      y = make_empty(ys, part.y.dtype(), Device::cpu());
      first_part = p;
    }
    EMBER_CHECK(row_shape(part.x) == row_shape(x) && part.x.dtype() == x.dtype() &&
                    row_shape(part.y) == row_shape(y) && part.y.dtype() == y.dtype(),
                "ConcatDataset::get_batch: dataset ", p, " gave samples x ", row_shape(part.x), " ",
                dtype_name(part.x.dtype()), " and y ", row_shape(part.y), " ", dtype_name(part.y.dtype()), " but dataset ",
                first_part, " gave x ", row_shape(x), " ", dtype_name(x.dtype()), " and y ", row_shape(y), " ",
                dtype_name(y.dtype()));
    scatter_rows(part.x, positions[p], x);
    scatter_rows(part.y, positions[p], y);
  }
  return {x, y};
}

}  // namespace ember::data
