// PyTorch-style tensor repr: tensor([[1.5000, 2.0000], ...], dtype=torch.float64), with the
// same number formatting (int/fixed/scientific mode, shared width), line wrapping at
// 80 columns and summarization (`...`) past 1000 elements as torch/_tensor_str.py, and
// set_printoptions (core/print_options.h) to change those numbers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/native.h"
#include "core/print_options.h"
#include "core/python_float.h"

namespace ember {

namespace {

constexpr int64_t kEllipsis = -1;  // marks the `...` in shown_indices

// PyTorch's PRINT_OPTS "default" profile; read once per printed tensor.
CurrentPrintOptions default_options() {
  return {.precision = 4, .threshold = 1000, .edgeitems = 3, .linewidth = 80, .sci_mode = std::nullopt};
}
std::mutex options_mutex;
CurrentPrintOptions options_in_force = default_options();

CurrentPrintOptions current_options() {
  std::lock_guard<std::mutex> lock(options_mutex);
  return options_in_force;
}

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

// The indices printed along a dim of `size`: all, or `edge` at each end around kEllipsis.
std::vector<int64_t> shown_indices(int64_t size, bool summarize, int64_t edge) {
  std::vector<int64_t> indices;
  const bool cut = summarize && size > 2 * edge;
  for (int64_t i = 0; i < size; ++i) {
    if (cut && i == edge) {
      indices.push_back(kEllipsis);
      i = size - edge;
      if (i >= size) break;  // edgeitems 0: only the ellipsis
    }
    indices.push_back(i);
  }
  return indices;
}

// value in printf's `conversion` ('e' or 'f') with `precision` digits, any length.
std::string printf_double(char conversion, int64_t precision, double value) {
  const char format[] = {'%', '.', '*', conversion, '\0'};
  const int digits = static_cast<int>(precision);
  const int length = std::snprintf(nullptr, 0, format, digits, value);
  std::string out(static_cast<size_t>(length) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, digits, value);
  out.pop_back();
  return out;
}

// Decides, from the shown elements, how every element is written: integers and bools
// plainly; floats as `1.` when all are integral, else `1.5000`, or `1.5000e+10` when
// the nonzero finite magnitudes span a wide range. All are right-aligned to one width.
class ElementFormatter {
 public:
  ElementFormatter(DType dtype, const std::vector<Element>& shown, const CurrentPrintOptions& options)
      : dtype_(dtype), precision_(options.precision) {
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
    if (max_abs > 0.0) {  // else nothing nonzero and finite: the defaults
      const bool wide_range = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
      sci_mode_ = wide_range || (!int_mode_ && min_abs < 1.0e-4);
      // As PyTorch, only nonzero finite values set the width (0., nan, inf may overflow it).
      for (const Element& e : shown) {
        if (std::isfinite(e.real) && e.real != 0.0) width_ = std::max(width_, text(e).size());
      }
    }
    // A forced notation applies after the width is set, as in PyTorch's _Formatter.
    if (options.sci_mode) sci_mode_ = *options.sci_mode;
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
    if (sci_mode_) return printf_double('e', precision_, e.real);
    if (int_mode_) return printf_double('f', 0, e.real) + ".";
    return printf_double('f', precision_, e.real);
  }

  DType dtype_;
  int64_t precision_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

// Reads the shown elements of a host tensor, then lays them out as nested lists.
class TensorRepr {
 public:
  TensorRepr(Tensor host, const CurrentPrintOptions& options)
      : host_(std::move(host)),
        impl_(host_.impl()),
        base_(static_cast<const char*>(impl_.storage->data())),
        options_(options),
        summarize_(impl_.numel > options.threshold) {
    collect(0, impl_.offset);
  }

  std::string str(size_t indent) {
    ElementFormatter formatter(impl_.dtype, elements_, options_);
    next_ = 0;
    return nested(0, indent, formatter);
  }

 private:
  void collect(size_t dim, int64_t index) {
    if (dim == impl_.sizes.size()) {
      elements_.push_back(read_element(base_, impl_.dtype, index));
      return;
    }
    for (int64_t i : shown_indices(impl_.sizes[dim], summarize_, options_.edgeitems)) {
      if (i != kEllipsis) collect(dim + 1, index + i * impl_.strides[dim]);
    }
  }

  // Consumes elements in the order collect() read them.
  std::string nested(size_t dim, size_t indent, const ElementFormatter& formatter) {
    const size_t dims_left = impl_.sizes.size() - dim;
    if (dims_left == 0) return formatter.format(elements_[next_++]);
    std::vector<std::string> items;
    for (int64_t i : shown_indices(impl_.sizes[dim], summarize_, options_.edgeitems)) {
      if (i == kEllipsis) items.emplace_back(dims_left == 1 && options_.edgeitems > 0 ? " ..." : "...");
      else if (dims_left == 1) items.push_back(formatter.format(elements_[next_++]));
      else items.push_back(nested(dim + 1, indent + 1, formatter));
    }
    const std::string margin(indent + 1, ' ');
    std::string out = "[";
    if (dims_left == 1) {  // a row: as many elements per line as fit in the line width
      const size_t line_width = static_cast<size_t>(options_.linewidth);
      const size_t room = line_width > indent ? line_width - indent : 0;
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
  CurrentPrintOptions options_;
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

// Appends suffixes after `body`, starting a new line when one would pass the line width.
std::string add_suffixes(std::string body, const std::vector<std::string>& suffixes, size_t indent, size_t line_width) {
  // PyTorch's count: characters after the last newline, plus 2 (or 1 past a newline).
  const size_t newline = body.rfind('\n');
  size_t last_line = newline == std::string::npos ? body.size() + 2 : body.size() - newline + 1;
  for (const std::string& suffix : suffixes) {
    if (last_line + suffix.size() + 2 > line_width) {
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

void set_printoptions(const PrintOptions& options) {
  const auto check_count = [](const std::optional<int64_t>& value, const char* name, int64_t least) {
    EMBER_CHECK(!value || *value >= least, "set_printoptions: ", name, " must be at least ", least, ", but got ",
                value.value_or(0));
  };
  check_count(options.precision, "precision", 0);
  check_count(options.threshold, "threshold", 0);
  check_count(options.edgeitems, "edgeitems", 0);
  check_count(options.linewidth, "linewidth", 1);
  EMBER_CHECK(!options.precision || *options.precision <= 100, "set_printoptions: precision must be at most 100, ",
              "but got ", options.precision.value_or(0));
  std::lock_guard<std::mutex> lock(options_mutex);
  CurrentPrintOptions next = options_in_force;
  if (options.profile) {
    const std::string_view profile = *options.profile;
    EMBER_CHECK(profile == "default" || profile == "short" || profile == "full",
                "set_printoptions: profile must be \"default\", \"short\" or \"full\", but got \"", profile, "\"");
    next = default_options();
    if (profile == "short") next.precision = 2, next.edgeitems = 2;
    if (profile == "full") next.threshold = std::numeric_limits<int64_t>::max();
  }
  if (options.precision) next.precision = *options.precision;
  if (options.threshold) next.threshold = *options.threshold;
  if (options.edgeitems) next.edgeitems = *options.edgeitems;
  if (options.linewidth) next.linewidth = *options.linewidth;
  next.sci_mode = options.sci_mode;  // unset: automatic, as PyTorch's sci_mode=None
  options_in_force = next;
}

CurrentPrintOptions get_printoptions() { return current_options(); }

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "[ Tensor (undefined) ]";
  const CurrentPrintOptions options = current_options();
  const std::string prefix = "tensor(";
  std::string body = "[]";
  if (t.numel() > 0) body = TensorRepr(native::to_device(t, Device::cpu()), options).str(prefix.size());
  return add_suffixes(prefix + body, repr_suffixes(t), prefix.size(), static_cast<size_t>(options.linewidth));
}

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  if (s.is_bool()) return os << (s.to_int() != 0 ? "True" : "False");
  if (s.is_integral()) return os << s.to_int();
  return os << detail::python_float(s.to_double());
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace ember
