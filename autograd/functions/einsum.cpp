// torch.einsum composed of differentiable views and ops (diagonal, permute, unsqueeze,
// sum, reshape, bmm), so autograd comes for free. The equation is parsed with PyTorch's
// rules and messages; then every operand becomes a view over one list of "global" dims
// (Note [einsum's global dims]) and the operands are contracted left to right, each pair
// of floating operands as a single bmm.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "core/autocast.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {
namespace {

// Note [einsum's global dims]
// Each subscript letter and each dim covered by "..." (aligned to the right, as
// broadcasting aligns) gets one global dim: first the output's dims in output order,
// then the summed ones (ellipsis dims missing from an explicit output, then the
// contracted letters, A-Z before a-z). Every operand is viewed with all G global dims
// (size 1 where it lacks one; a repeated letter first becomes a diagonal), so sizes
// broadcast as in any elementwise op. A summed dim is summed as soon as no later operand
// has it (size > 1); at the end the first dims are the output and the rest have size 1.
constexpr int kEllipsis = -1;
constexpr int kLetters = 52;

// A-Z are 0-25, a-z 26-51: implicit outputs list letters in this (ASCII) order.
int letter_index(char c) { return c >= 'a' ? 26 + (c - 'a') : c - 'A'; }
char letter_of(int index) { return static_cast<char>(index < 26 ? 'A' + index : 'a' + (index - 26)); }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

struct ParsedEquation {
  std::vector<std::vector<int>> inputs;  // letter indices, kEllipsis for "..."
  std::vector<int> output;
  bool explicit_output = false;
};

ParsedEquation parse_equation(std::string_view eq) {
  ParsedEquation p;
  p.inputs.emplace_back();
  bool in_output = false;
  auto where = [&] { return in_output ? std::string("output") : "operand " + std::to_string(p.inputs.size() - 1); };
  for (size_t i = 0; i < eq.size(); ++i) {
    const char c = eq[i];
    std::vector<int>& labels = in_output ? p.output : p.inputs.back();
    if (c == ' ') continue;
    if (is_letter(c)) {
      labels.push_back(letter_index(c));
    } else if (c == '.') {
      EMBER_CHECK(i + 2 < eq.size() && eq[i + 1] == '.' && eq[i + 2] == '.', "einsum(): found '.' for ", where(),
                  " that is not part of any ellipsis");
      EMBER_CHECK(std::find(labels.begin(), labels.end(), kEllipsis) == labels.end(), "einsum(): found '.' for ",
                  where(), in_output ? " but an ellipsis (...) was already found" : " for which an ellipsis was already found");
      labels.push_back(kEllipsis);
      i += 2;
    } else if (c == ',' && !in_output) {
      p.inputs.emplace_back();
    } else if (c == '-' && !in_output && i + 1 < eq.size() && eq[i + 1] == '>') {
      in_output = true;
      p.explicit_output = true;
      ++i;
    } else {
      EMBER_FAIL("einsum(): invalid subscript given at index ", i,
                 " in the equation string, subscripts must be in [a-zA-Z]");
    }
  }
  return p;
}

int64_t letter_count(const std::vector<int>& labels) {
  return std::count_if(labels.begin(), labels.end(), [](int l) { return l != kEllipsis; });
}
bool has_ellipsis(const std::vector<int>& labels) {
  return std::find(labels.begin(), labels.end(), kEllipsis) != labels.end();
}

// The global dims (Note [einsum's global dims]) of letters and of the ellipsis's dims.
struct GlobalDims {
  std::array<int, kLetters> of_letter{};  // -1 where a letter is not used
  std::vector<int> of_ellipsis;           // ellipsis dim j (of the widest) -> global dim
  int output_count = 0;
  int total = 0;
};

GlobalDims place_dims(const ParsedEquation& p, int64_t ellipsis_dims, bool any_ellipsis) {
  GlobalDims g;
  g.of_letter.fill(-1);
  g.of_ellipsis.assign(static_cast<size_t>(ellipsis_dims), -1);
  std::array<int, kLetters> uses{};
  for (const auto& labels : p.inputs)
    for (int l : labels)
      if (l != kEllipsis) ++uses[static_cast<size_t>(l)];
  std::vector<int> output = p.output;
  if (!p.explicit_output) {  // "...", then the letters used once, in order
    if (any_ellipsis) output.push_back(kEllipsis);
    for (int l = 0; l < kLetters; ++l)
      if (uses[static_cast<size_t>(l)] == 1) output.push_back(l);
  }
  int next = 0;
  for (int l : output) {
    if (l == kEllipsis) {
      for (int& d : g.of_ellipsis) d = next++;
      continue;
    }
    EMBER_CHECK(uses[static_cast<size_t>(l)] > 0, "einsum(): output subscript ", letter_of(l),
                " does not appear in the equation for any input operand");
    EMBER_CHECK(g.of_letter[static_cast<size_t>(l)] < 0, "einsum(): output subscript ", letter_of(l),
                " appears more than once in the output");
    g.of_letter[static_cast<size_t>(l)] = next++;
  }
  g.output_count = next;
  for (int& d : g.of_ellipsis)
    if (d < 0) d = next++;  // "..." in the inputs only: summed
  for (int l = 0; l < kLetters; ++l)
    if (uses[static_cast<size_t>(l)] > 0 && g.of_letter[static_cast<size_t>(l)] < 0) g.of_letter[static_cast<size_t>(l)] = next++;
  g.total = next;
  return g;
}

// Operand `index` viewed over all global dims: repeated letters as diagonals, then
// permuted into global order with size-1 dims where it has none.
Tensor to_global(const Tensor& operand, const std::vector<int>& labels, size_t index, const GlobalDims& g) {
  const int64_t covered = operand.dim() - letter_count(labels);  // dims under "..."
  const int64_t first_ellipsis = static_cast<int64_t>(g.of_ellipsis.size()) - covered;
  std::vector<int> dims_global;  // operand dim -> global dim
  std::vector<char> letters;     // for messages: the letter of each dim ('.' under the ellipsis)
  for (int l : labels) {
    if (l == kEllipsis) {
      for (int64_t j = 0; j < covered; ++j) {
        dims_global.push_back(g.of_ellipsis[static_cast<size_t>(first_ellipsis + j)]);
        letters.push_back('.');
      }
    } else {
      dims_global.push_back(g.of_letter[static_cast<size_t>(l)]);
      letters.push_back(letter_of(l));
    }
  }
  Tensor t = operand;
  for (bool repeated = true; repeated;) {  // a letter twice: its diagonal, moved last
    repeated = false;
    for (size_t p = 0; p < dims_global.size() && !repeated; ++p)
      for (size_t q = p + 1; q < dims_global.size() && !repeated; ++q) {
        if (dims_global[p] != dims_global[q]) continue;
        const auto dp = static_cast<int64_t>(p), dq = static_cast<int64_t>(q);
        EMBER_CHECK(t.size(dp) == t.size(dq), "einsum(): subscript ", letters[p], " is repeated for operand ", index,
                    " but the sizes don't match, ", t.size(dq), " != ", t.size(dp));
        t = t.diagonal(0, dp, dq);
        const int global = dims_global[p];
        const char letter = letters[p];
        dims_global.erase(dims_global.begin() + static_cast<std::ptrdiff_t>(q));
        dims_global.erase(dims_global.begin() + static_cast<std::ptrdiff_t>(p));
        letters.erase(letters.begin() + static_cast<std::ptrdiff_t>(q));
        letters.erase(letters.begin() + static_cast<std::ptrdiff_t>(p));
        dims_global.push_back(global);
        letters.push_back(letter);
        repeated = true;
      }
  }
  Dims order;
  for (int d = 0; d < g.total; ++d) {
    const auto it = std::find(dims_global.begin(), dims_global.end(), d);
    if (it != dims_global.end()) order.push_back(it - dims_global.begin());
  }
  t = t.permute(order);
  std::vector<bool> present(static_cast<size_t>(g.total), false);
  for (int d : dims_global) present[static_cast<size_t>(d)] = true;
  for (int d = 0; d < g.total; ++d)
    if (!present[static_cast<size_t>(d)]) t = t.unsqueeze(d);
  return t;
}

// a and b over the global dims; dims in `summed` are summed. Dims that only one of them
// has (size > 1) are summed in it first; the rest is one bmm [batch, left, summed] x
// [batch, summed, right] (a broadcast multiply and sum for integer and bool operands).
Tensor contract(Tensor a, Tensor b, const std::vector<bool>& summed) {
  const int64_t total = a.dim();
  Dims batch, left, right, both_summed, rest, sum_a, sum_b;
  for (int64_t d = 0; d < total; ++d) {
    const bool in_a = a.size(d) != 1, in_b = b.size(d) != 1;
    if (summed[static_cast<size_t>(d)]) {
      if (in_a && in_b) both_summed.push_back(d);
      else if (in_a) sum_a.push_back(d);
      else if (in_b) sum_b.push_back(d);
      else rest.push_back(d);
    } else if (in_a && in_b) {
      batch.push_back(d);
    } else if (in_a) {
      left.push_back(d);
    } else if (in_b) {
      right.push_back(d);
    } else {
      rest.push_back(d);
    }
  }
  // Integer sums stay in the operands' dtype, as PyTorch's integer bmm keeps it (uint8 wraps);
  // bool is summed as int64 (counts).
  const auto sum_of = [](const Tensor& t, const Dims& dims) {
    return t.is_floating_point() || t.dtype() == kBool ? t.sum(dims, true) : t.sum(dims, true, t.dtype());
  };
  if (!sum_a.empty()) a = sum_of(a, sum_a);
  if (!sum_b.empty()) b = sum_of(b, sum_b);
  if (!a.is_floating_point()) {
    const int64_t d0 = both_summed.empty() ? -1 : both_summed[0];
    if (d0 < 0 || a.size(d0) == 0) {
      Tensor product = mul(a, b);
      return both_summed.empty() ? product : sum_of(product, both_summed);
    }
    // Integers (no GEMM): the products summed a slice of the first summed dim at a time, so that
    // the broadcast product stays near 2^22 elements (whole, it was cubic for a matrix product).
    int64_t whole = 1;
    for (int64_t d = 0; d < total; ++d) whole *= std::max(a.size(d), b.size(d));
    const int64_t size = a.size(d0),
                  per = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, whole / size));
    Tensor out = sum_of(mul(a.narrow(d0, 0, std::min(per, size)), b.narrow(d0, 0, std::min(per, size))), both_summed);
    for (int64_t k = per; k < size; k += per) {
      const int64_t n = std::min(per, size - k);
      out = out + sum_of(mul(a.narrow(d0, k, n), b.narrow(d0, k, n)), both_summed);
    }
    return out;
  }
  auto numel_of = [](const Tensor& t, const Dims& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= t.size(d);
    return n;
  };
  auto joined = [](std::initializer_list<const Dims*> parts) {
    Dims all;
    for (const Dims* part : parts)
      for (int64_t d : *part) all.push_back(d);
    return all;
  };
  Dims others = joined({&rest, &sum_a, &sum_b});  // size 1 in both now
  const int64_t nb = numel_of(a, batch), nl = numel_of(a, left), ns = numel_of(a, both_summed), nr = numel_of(b, right);
  const Tensor a3 = a.permute(joined({&batch, &left, &both_summed, &right, &others})).reshape({nb, nl, ns});
  const Tensor b3 = b.permute(joined({&batch, &both_summed, &right, &left, &others})).reshape({nb, ns, nr});
  Dims out_sizes;
  for (int64_t d : batch) out_sizes.push_back(a.size(d));
  for (int64_t d : left) out_sizes.push_back(a.size(d));
  for (int64_t d : right) out_sizes.push_back(b.size(d));
  for (size_t i = 0; i < both_summed.size() + others.size(); ++i) out_sizes.push_back(1);
  const Dims out_order = joined({&batch, &left, &right, &both_summed, &others});
  Dims inverse = Dims::filled(static_cast<size_t>(total), 0);
  for (size_t i = 0; i < out_order.size(); ++i) inverse[static_cast<size_t>(out_order[i])] = static_cast<int64_t>(i);
  return bmm(a3, b3).view(out_sizes).permute(inverse);
}

}  // namespace

Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands_in) {
  EMBER_CHECK(!operands_in.empty(), "einsum(): must provide at least one operand");
  // On PyTorch's lower-precision autocast list (Note [Autocast]): cast before the one-dtype check,
  // so a bf16 activation contracts with a float32 weight under autocast.
  std::vector<Tensor> operands;
  for (const Tensor& t : operands_in) operands.push_back(autocast::cast(autocast::CastPolicy::LowerPrecision, t));
  const ParsedEquation p = parse_equation(equation);
  EMBER_CHECK(p.inputs.size() <= operands.size(), "einsum(): fewer operands were provided than specified in the equation");
  EMBER_CHECK(p.inputs.size() >= operands.size(), "einsum(): more operands were provided than specified in the equation");
  int64_t ellipsis_dims = 0;
  bool any_ellipsis = false;
  for (size_t i = 0; i < operands.size(); ++i) {
    const std::vector<int>& labels = p.inputs[i];
    const Tensor& t = operands[i];
    EMBER_CHECK(t.dtype() == operands[0].dtype(), "einsum(): expected scalar type ",
                dtype_torch_name(operands[0].dtype()), " but found ", dtype_torch_name(t.dtype()), " for operand ", i);
    native::check_same_device(operands[0], {&t}, "einsum()");
    const int64_t letters = letter_count(labels);
    if (has_ellipsis(labels)) {
      EMBER_CHECK(t.dim() >= letters, "einsum(): the number of subscripts in the equation (", letters,
                  ") is more than the number of dimensions (", t.dim(), ") for operand ", i);
      ellipsis_dims = std::max(ellipsis_dims, t.dim() - letters);
      any_ellipsis = true;
    } else {
      EMBER_CHECK(t.dim() == letters, "einsum(): the number of subscripts in the equation (", letters,
                  ") does not match the number of dimensions (", t.dim(), ") for operand ", i,
                  " and no ellipsis was given");
    }
  }
  const GlobalDims g = place_dims(p, ellipsis_dims, any_ellipsis);

  std::vector<Tensor> views;
  std::vector<int64_t> sizes(static_cast<size_t>(g.total), 1);  // broadcast size of each global dim
  for (size_t i = 0; i < operands.size(); ++i) {
    views.push_back(to_global(operands[i], p.inputs[i], i, g));
    for (int d = 0; d < g.total; ++d) {
      const int64_t size = views.back().size(d);
      int64_t& seen = sizes[static_cast<size_t>(d)];
      if (size == 1 || size == seen) continue;
      if (seen == 1) {
        seen = size;
        continue;
      }
      const auto letter = std::find(g.of_letter.begin(), g.of_letter.end(), d);
      if (letter != g.of_letter.end())
        EMBER_FAIL("einsum(): subscript ", letter_of(static_cast<int>(letter - g.of_letter.begin())), " has size ",
                   size, " for operand ", i, " which does not broadcast with previously seen size ", seen);
      const auto e = std::find(g.of_ellipsis.begin(), g.of_ellipsis.end(), d) - g.of_ellipsis.begin();
      EMBER_FAIL("einsum(): dimension ", e, " covered by ellipsis in operand ", i, " has size ", size,
                 " which does not broadcast with previously seen ellipsis with size ", seen,
                 " for the respective dimension");
    }
  }

  // Dim d (a summed one) can be summed after operand i when no later operand has it.
  auto summable_after = [&](size_t i) {
    std::vector<bool> summed(static_cast<size_t>(g.total), false);
    for (int d = g.output_count; d < g.total; ++d) {
      bool later = false;
      for (size_t k = i + 1; k < views.size() && !later; ++k) later = views[k].size(d) != 1;
      summed[static_cast<size_t>(d)] = !later;
    }
    return summed;
  };
  Tensor result = views[0];
  for (size_t i = 1; i < views.size(); ++i) result = contract(result, views[i], summable_after(i));
  Dims left_over;
  for (int d = g.output_count; d < g.total; ++d)
    if (result.size(d) != 1) left_over.push_back(d);
  if (!left_over.empty()) result = result.sum(left_over, true);
  for (int d = g.total - 1; d >= g.output_count; --d) result = result.squeeze(d);
  return result;
}

}  // namespace ember
