// Host-side element access for Tensor: to_vector<T>() and item<T>(), converting
// from the tensor's dtype to T like static_cast (as libtorch's item<T>() does), and
// libtorch's TensorAccessor (t.accessor<T, N>()): strided element references in place.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace ember {

template <typename T>
std::vector<T> Tensor::to_vector() const {
  static_assert(std::is_arithmetic_v<T>, "to_vector<T>: T must be an arithmetic type");
  Tensor host = to(Device::cpu()).contiguous();
  std::vector<T> out(static_cast<size_t>(host.numel()));
  visit_dtype(host.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* src = static_cast<const S*>(host.data_ptr());
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(src[i]);
  });
  return out;
}

namespace detail {
[[noreturn]] void item_overflow(const char* type_name);
// libtorch's checked conversion of item<T>(): a value T cannot hold (NaN or out of range
// for an integer, a finite value beyond a float's range) is its "value cannot be converted
// to type T without overflow" error; bool is "nonzero", never an overflow.
template <typename T>
T checked_item(const Scalar& s) {
  if constexpr (std::is_same_v<T, bool>) {
    return s.to<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    const char* name = std::is_same_v<T, uint8_t> ? "uint8_t"
                       : std::is_signed_v<T>      ? "signed integer"
                                                  : "unsigned integer";
    if constexpr (std::is_same_v<T, int64_t>) name = "int64_t";
    if (s.is_floating()) {
      const double d = s.to_double();
      // The range test, written so NaN fails it: [min, max] of T (255.5 is past uint8_t's,
      // as c10's overflows()), and below max + 1, a power of two (2^63 is past int64_t's).
      const double lo = static_cast<double>(std::numeric_limits<T>::min());
      const double hi = static_cast<double>(std::numeric_limits<T>::max());
      if (!(d >= lo && d <= hi && d < hi + 1.0)) item_overflow(name);
      return static_cast<T>(d);
    }
    const int64_t i = s.to_int();
    if constexpr (std::is_signed_v<T>) {
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) || i > static_cast<int64_t>(std::numeric_limits<T>::max()))
        item_overflow(name);
    } else {
      // c10 lets a negative integer wrap as two's complement when its magnitude fits
      // (item<uint8_t>() of -1 is 255, of -255 is 1; -256 overflows).
      const uint64_t max = std::numeric_limits<T>::max();
      const uint64_t magnitude = i < 0 ? uint64_t{0} - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      if (magnitude > max) item_overflow(name);
    }
    return static_cast<T>(i);
  } else if constexpr (std::is_floating_point_v<T>) {
    const double d = s.to_double();
    if (std::isfinite(d) && std::abs(d) > static_cast<double>(std::numeric_limits<T>::max()))
      item_overflow(std::is_same_v<T, float> ? "float" : "double");
    return static_cast<T>(d);
  } else {
    return s.to<T>();  // bfloat16 / float16: rounded like a fill
  }
}
}  // namespace detail

template <typename T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  return detail::checked_item<T>(item());
}

// a[i] of an N-dim accessor is the (N-1)-dim accessor of row i; of a 1-dim one, the
// element. Indices are not checked (libtorch's accessors do not check either).
template <typename T, size_t N>
class TensorAccessor {
 public:
  TensorAccessor(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  TensorAccessor<T, N - 1> operator[](int64_t i) const {
    return TensorAccessor<T, N - 1>(data_ + strides_[0] * i, sizes_ + 1, strides_ + 1);
  }
  int64_t size(int64_t d) const { return sizes_[d]; }
  int64_t stride(int64_t d) const { return strides_[d]; }
  T* data() const { return data_; }

 private:
  T* data_;
  const int64_t* sizes_;
  const int64_t* strides_;
};
template <typename T>
class TensorAccessor<T, 1> {
 public:
  TensorAccessor(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  T& operator[](int64_t i) const { return data_[strides_[0] * i]; }
  int64_t size(int64_t d) const { return sizes_[d]; }
  int64_t stride(int64_t d) const { return strides_[d]; }
  T* data() const { return data_; }

 private:
  T* data_;
  const int64_t* sizes_;
  const int64_t* strides_;
};

template <typename T, size_t N>
TensorAccessor<T, N> Tensor::accessor() const& {
  static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
  EMBER_CHECK(static_cast<size_t>(dim()) == N, "TensorAccessor expected ", N, " dims but tensor has ", dim());
  EMBER_CHECK(is_cpu(), "accessor<T, N>() reads host memory; the tensor is on ", device().str(),
              " (copy it with .cpu() first)");
  return TensorAccessor<T, N>(data_ptr<T>(), sizes().data(), strides().data());
}

}  // namespace ember
