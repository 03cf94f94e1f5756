// torch.gradient (core/composite_ops.h): central differences inside, one-sided first- or
// second-order differences at the edges, with uniform spacings or coordinates per dim, as
// PyTorch's gradient_helper(_float); composed of slices, so any device and differentiable.
#include <vector>

#include "core/composite_ops.h"
#include "core/logging.h"
#include "core/ops.h"
#include "core/special_ops.h"

namespace ember {
namespace {

// PyTorch's pre_check_gradient: spacing and dim lengths, edge_order, every differenced dim
// long enough. spacing_count is unset where no spacing was given.
void check_gradient_args(const Tensor& input, std::optional<size_t> spacing_count, const std::optional<Dims>& dims,
                         int64_t edge_order) {
  EMBER_CHECK(input.dtype() != kUInt8, "torch.gradient does not support uint8 input.");
  if (spacing_count && !dims)
    EMBER_CHECK(static_cast<int64_t>(*spacing_count) == input.dim(),
                "torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                "'self.dim() = ",
                input.dim(), "', since dim argument was not given, but got a list of length ", *spacing_count);
  if (spacing_count && dims)
    EMBER_CHECK(*spacing_count == dims->size(),
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to "
                "have the same length, but got a spacing argument of length ",
                *spacing_count, " and a dim argument of length ", dims->size(), ".");
  EMBER_CHECK(edge_order == 1 || edge_order == 2, "torch.gradient only supports edge_order=1 and edge_order=2.");
  std::vector<bool> seen(static_cast<size_t>(input.dim()), false);
  const auto check_length = [&](int64_t d) {
    EMBER_CHECK(input.size(d) >= edge_order + 1,
                "torch.gradient expected each dimension size to be at least edge_order+1");
  };
  if (dims) {
    for (const int64_t dim : *dims) {
      const int64_t d = wrap_dim(dim, input.dim());
      EMBER_CHECK(!seen[static_cast<size_t>(d)], "dim ", d, " appears multiple times in the list of dims");
      seen[static_cast<size_t>(d)] = true;
      check_length(d);
    }
  } else {
    for (int64_t d = 0; d < input.dim(); ++d) check_length(d);
  }
}

// The dims to difference: the one given, or all of them.
Dims dims_or_all(const Tensor& input, std::optional<int64_t> dim) {
  if (dim) return Dims{*dim};
  Dims all;
  for (int64_t d = 0; d < input.dim(); ++d) all.push_back(d);
  return all;
}

// x[start:end] along d (end may be negative or open, as Python's slice).
Tensor part(const Tensor& x, int64_t d, int64_t start, std::optional<int64_t> end = std::nullopt) {
  return x.slice(d, start, end);
}

// Uniform spacing h: (x[i+1] - x[i-1]) / 2h inside; edge_order 1: (x[1] - x[0]) / h at the
// start (mirrored at the end); edge_order 2: (-1.5 x[0] + 2 x[1] - 0.5 x[2]) / h.
std::vector<Tensor> differences(const Tensor& x, const std::vector<Scalar>& spacing, const Dims& dims,
                                int64_t edge_order) {
  std::vector<Tensor> result;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim());
    const Scalar& h = spacing[i];
    const Tensor center = (part(x, d, 2) - part(x, d, 0, -2)) / h;
    Tensor first, last;
    if (edge_order == 1) {
      first = (part(x, d, 1, 2) - part(x, d, 0, 1)) / h;
      last = (part(x, d, -1) - part(x, d, -2, -1)) / h;
    } else {
      first = (part(x, d, 0, 1) * -1.5 + part(x, d, 1, 2) * 2 - part(x, d, 2, 3) * 0.5) / h;
      last = (part(x, d, -3, -2) * 0.5 - part(x, d, -2, -1) * 2 + part(x, d, -1) * 1.5) / h;
    }
    result.push_back(cat({first, center / 2, last}, d));
  }
  return result;
}

// Coordinates c along each dim (spacings dx = diff(c)): the second-order formula for
// uneven steps inside, weights a, b, c of x[i-1], x[i], x[i+1]; one-sided ones at the edges.
std::vector<Tensor> differences(const Tensor& x, const std::vector<Tensor>& coordinates, const Dims& dims,
                                int64_t edge_order) {
  for (const Tensor& c : coordinates)
    EMBER_CHECK(c.device() == x.device(),
                "torch.gradient expected each tensor to be on the same device, but got devices ", x.device(), " and ",
                c.device(), "!");
  std::vector<Tensor> result;
  for (size_t i = 0; i < dims.size(); ++i) {
    const Tensor& coords = coordinates[i];
    EMBER_CHECK(coords.dim() == 1,
                "torch.gradient expected each element of spacing to have one dimension, but got an element with ",
                coords.dim(), " dimensions!");
    const int64_t d = wrap_dim(dims[i], x.dim());
    Dims shape = Dims::filled(static_cast<size_t>(x.dim()), 1);
    shape[static_cast<size_t>(d)] = -1;
    const Tensor dx = diff(coords, 1, 0);
    const Tensor dx1 = dx.slice(0, 0, -1), dx2 = dx.slice(0, 1);
    const Tensor a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape);
    const Tensor b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape);
    const Tensor c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape);
    const Tensor center = a * part(x, d, 0, -2) + b * part(x, d, 1, -1) + c * part(x, d, 2);
    const int64_t n = dx.size(0);
    const Tensor h0 = dx.select(0, 0), hn = dx.select(0, n - 1);
    Tensor first, last;
    if (edge_order == 1) {
      first = (part(x, d, 1, 2) - part(x, d, 0, 1)) / h0;
      last = (part(x, d, -1) - part(x, d, -2, -1)) / hn;
    } else {
      const Tensor h1 = dx.select(0, 1), hm = dx.select(0, n - 2);
      first = part(x, d, 0, 1) * (-(h0 * 2 + h1) / (h0 * (h0 + h1))) + part(x, d, 1, 2) * ((h0 + h1) / (h0 * h1)) +
              part(x, d, 2, 3) * (-h0 / (h1 * (h0 + h1)));
      last = part(x, d, -3, -2) * (hn / (hm * (hn + hm))) + part(x, d, -2, -1) * (-(hn + hm) / (hn * hm)) +
             part(x, d, -1) * ((hn * 2 + hm) / (hn * (hn + hm)));
    }
    result.push_back(cat({first, center, last}, d));
  }
  return result;
}

// The spacing's list against the dims (given: the dims argument as passed), then the differences.
template <typename Spacing>
std::vector<Tensor> checked_gradient(const Tensor& input, const std::vector<Spacing>& spacing,
                                     const std::optional<Dims>& given, const Dims& dims, int64_t edge_order) {
  check_gradient_args(input, spacing.size(), given, edge_order);
  return differences(input, spacing, dims, edge_order);
}

std::optional<Dims> given_dim(std::optional<int64_t> dim) {
  return dim ? std::optional<Dims>(Dims{*dim}) : std::nullopt;
}

}  // namespace

std::vector<Tensor> gradient(const Tensor& input, const std::optional<Scalar>& spacing, std::optional<int64_t> dim,
                             int64_t edge_order) {
  const Dims dims = dims_or_all(input, dim);
  const std::vector<Scalar> steps(dims.size(), spacing.value_or(Scalar(1.0)));
  check_gradient_args(input, spacing ? std::optional<size_t>(steps.size()) : std::nullopt, given_dim(dim), edge_order);
  return differences(input, steps, dims, edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const Scalar& spacing, const Dims& dim, int64_t edge_order) {
  return gradient(input, std::vector<Scalar>(dim.size(), spacing), dim, edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const Dims& dim, int64_t edge_order) {
  return gradient(input, Scalar(1.0), dim, edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Scalar>& spacing, std::optional<int64_t> dim,
                             int64_t edge_order) {
  return checked_gradient(input, spacing, given_dim(dim), dims_or_all(input, dim), edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Scalar>& spacing, const Dims& dim,
                             int64_t edge_order) {
  return checked_gradient(input, spacing, dim, dim, edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Tensor>& spacing, std::optional<int64_t> dim,
                             int64_t edge_order) {
  return checked_gradient(input, spacing, given_dim(dim), dims_or_all(input, dim), edge_order);
}
std::vector<Tensor> gradient(const Tensor& input, const std::vector<Tensor>& spacing, const Dims& dim,
                             int64_t edge_order) {
  return checked_gradient(input, spacing, dim, dim, edge_order);
}

}  // namespace ember
