// PyTorch-style tensor repr: tensor([[1.5000, 2.0000], ...], dtype=torch.float64), with the
// same number formatting (int/fixed/scientific mode, shared width), line wrapping at
// 80 columns and summarization (`...`) past 1000 elements as torch/_tensor_str.py.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/native.h"

namespace ember {

namespace {

constexpr int64_t kSummarizeThreshold = 1000;  // more elements than this: summarize
constexpr int64_t kEdgeItems = 3;              // elements kept at each end when summarizing
constexpr size_t kLineWidth = 80;
constexpr int64_t kEllipsis = -1;              // marks the `...` in shown_indices

// One element as read from memory: floats in `real`, integers and bools in `integer`.
struct Element {
  double real = 0.0;
  int64_t integer = 0;
};

Element read_element(const char* base, DType dtype, int64_t index) {
  return visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T value = reinterpret_cast<const T*>(base)[index];
    Element e;
    if constexpr (is_reduced_float_v<T>) e.real = static_cast<float>(value);
    else if constexpr (std::is_floating_point_v<T>) e.real = value;
    else e.integer = static_cast<int64_t>(value);
    return e;
  });
}

// The indices printed along a dim of `size`: all, or the edges around kEllipsis.
std::vector<int64_t> shown_indices(int64_t size, bool summarize) {
  std::vector<int64_t> indices;
  const bool cut = summarize && size > 2 * kEdgeItems;
  for (int64_t i = 0; i < size; ++i) {
    if (cut && i == kEdgeItems) {
      indices.push_back(kEllipsis);
      i = size - kEdgeItems;
    }
    indices.push_back(i);
  }
  return indices;
}

std::string printf_double(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Decides, from the shown elements, how every element is written: integers and bools
// plainly; floats as `1.` when all are integral, else `1.5000`, or `1.5000e+10` when
// the nonzero finite magnitudes span a wide range. All are right-aligned to one width.
class ElementFormatter {
 public:
  ElementFormatter(DType dtype, const std::vector<Element>& shown) : dtype_(dtype) {
    if (!is_floating(dtype)) {
      for (const Element& e : shown) width_ = std::max(width_, text(e).size());
      return;
    }
    double min_abs = INFINITY, max_abs = 0.0;
    for (const Element& e : shown) {
      if (!std::isfinite(e.real) || e.real == 0.0) continue;
      min_abs = std::min(min_abs, std::fabs(e.real));
      max_abs = std::max(max_abs, std::fabs(e.real));
      if (std::ceil(e.real) != e.real) int_mode_ = false;
    }
    if (max_abs == 0.0) return;  // nothing nonzero and finite: defaults
    const bool wide_range = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
    sci_mode_ = wide_range || (!int_mode_ && min_abs < 1.0e-4);
    // As PyTorch, only nonzero finite values set the width (0., nan, inf may overflow it).
    for (const Element& e : shown) {
      if (std::isfinite(e.real) && e.real != 0.0) width_ = std::max(width_, text(e).size());
    }
  }

  size_t width() const { return width_; }

  std::string format(const Element& e) const {
    std::string s = text(e);
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

 private:
  std::string text(const Element& e) const {
    if (dtype_ == kBool) return e.integer ? "True" : "False";
    if (!is_floating(dtype_)) return std::to_string(e.integer);
    if (std::isnan(e.real)) return "nan";
    if (std::isinf(e.real)) return e.real > 0 ? "inf" : "-inf";
    if (sci_mode_) return printf_double("%.4e", e.real);
    if (int_mode_) return printf_double("%.0f", e.real) + ".";
    return printf_double("%.4f", e.real);
  }

  DType dtype_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

// Reads the shown elements of a host tensor, then lays them out as nested lists.
class TensorRepr {
 public:
  explicit TensorRepr(Tensor host)
      : host_(std::move(host)),
        impl_(host_.impl()),
        base_(static_cast<const char*>(impl_.storage->data())),
        summarize_(impl_.numel > kSummarizeThreshold) {
    collect(0, impl_.offset);
  }

  std::string str(size_t indent) {
    ElementFormatter formatter(impl_.dtype, elements_);
    next_ = 0;
    return nested(0, indent, formatter);
  }

 private:
  void collect(size_t dim, int64_t index) {
    if (dim == impl_.sizes.size()) {
      elements_.push_back(read_element(base_, impl_.dtype, index));
      return;
    }
    for (int64_t i : shown_indices(impl_.sizes[dim], summarize_)) {
      if (i != kEllipsis) collect(dim + 1, index + i * impl_.strides[dim]);
    }
  }

  // Consumes elements in the order collect() read them.
  std::string nested(size_t dim, size_t indent, const ElementFormatter& formatter) {
    const size_t dims_left = impl_.sizes.size() - dim;
    if (dims_left == 0) return formatter.format(elements_[next_++]);
    std::vector<std::string> items;
    for (int64_t i : shown_indices(impl_.sizes[dim], summarize_)) {
      if (i == kEllipsis) items.emplace_back(dims_left == 1 ? " ..." : "...");
      else if (dims_left == 1) items.push_back(formatter.format(elements_[next_++]));
      else items.push_back(nested(dim + 1, indent + 1, formatter));
    }
    const std::string margin(indent + 1, ' ');
    std::string out = "[";
    if (dims_left == 1) {  // a row: as many elements per line as fit in kLineWidth
      const size_t room = kLineWidth > indent ? kLineWidth - indent : 0;
      const size_t per_line = std::max<size_t>(1, room / (formatter.width() + 2));
      for (size_t k = 0; k < items.size(); ++k) {
        if (k > 0) out += k % per_line == 0 ? ",\n" + margin : ", ";
        out += items[k];
      }
    } else {  // sub-tensors one below another, with dims_left - 1 line breaks between
      std::string separator(",");
      separator.append(dims_left - 1, '\n').append(margin);
      for (size_t k = 0; k < items.size(); ++k) out += (k > 0 ? separator : "") + items[k];
    }
    return out + "]";
  }

  Tensor host_;
  const TensorImpl& impl_;
  const char* base_;
  bool summarize_;
  std::vector<Element> elements_;
  size_t next_ = 0;
};

std::string python_tuple(const Dims& sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + (sizes.size() == 1 ? ",)" : ")");
}

// The `, key=value` parts after the values, in PyTorch's order.
std::vector<std::string> repr_suffixes(const Tensor& t) {
  std::vector<std::string> suffixes;
  if (t.is_cuda()) suffixes.push_back("device='" + t.device().str() + "'");
  const bool default_dtype = t.dtype() == kFloat32 || t.dtype() == kInt64 || t.dtype() == kBool;
  if (t.numel() == 0) {
    // No values to show the dtype by, so only float32 goes without saying.
    if (t.dim() != 1) suffixes.push_back("size=" + python_tuple(t.sizes()));
    if (t.dtype() != kFloat32) suffixes.push_back("dtype=torch." + std::string(dtype_name(t.dtype())));
  } else if (!default_dtype) {
    suffixes.push_back("dtype=torch." + std::string(dtype_name(t.dtype())));
  }
  // A non-leaf shows its node (`grad_fn=<MulBackward>`); grad_fn_name() is defined by
  // the autograd layer, so core/ needs no autograd header.
  if (std::string fn = t.grad_fn_name(); !fn.empty()) suffixes.push_back("grad_fn=<" + fn + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  return suffixes;
}

// Appends suffixes after `body`, starting a new line when one would pass kLineWidth.
std::string add_suffixes(std::string body, const std::vector<std::string>& suffixes, size_t indent) {
  // PyTorch's count: characters after the last newline, plus 2 (or 1 past a newline).
  const size_t newline = body.rfind('\n');
  size_t last_line = newline == std::string::npos ? body.size() + 2 : body.size() - newline + 1;
  for (const std::string& suffix : suffixes) {
    if (last_line + suffix.size() + 2 > kLineWidth) {
      body += ",\n" + std::string(indent, ' ') + suffix;
      last_line = indent + suffix.size();
    } else {
      body += ", " + suffix;
      last_line += suffix.size() + 2;
    }
  }
  return body + ")";
}

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "[ Tensor (undefined) ]";
  const std::string prefix = "tensor(";
  std::string body = "[]";
  if (t.numel() > 0) body = TensorRepr(native::to_device(t, Device::cpu())).str(prefix.size());
  return add_suffixes(prefix + body, repr_suffixes(t), prefix.size());
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace ember
