// Padding layers over nn::functional::pad, as PyTorch's: ConstantPad1d/2d/3d (a value),
// ZeroPad1d/2d/3d, ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d and CircularPad1d/2d/3d
// (PyTorch 2's), each taking one int for every side or one value per side (last dim first:
// {left, right, top, bottom, ...}).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nn/module.h"

namespace ember::nn {

// A padding argument: one int (every side) or the full list, as PyTorch's layers take it.
struct PadSizes {
  PadSizes(int64_t all) : values{all}, single(true) {}                   // NOLINT: implicit on purpose
  PadSizes(std::initializer_list<int64_t> sides) : values(sides) {}       // NOLINT
  PadSizes(const std::vector<int64_t>& sides) : values(sides) {}          // NOLINT
  std::vector<int64_t> values;
  bool single = false;
};

// The layers' shared body: `padding` expanded to 2 * dims values, forward through pad().
class PadNd : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  // "(1, 1, 2, 2)", or for the constant layers "padding=(1, 1, 2, 2), value=3.5", as PyTorch's.
  std::string extra_repr() const override;

  const std::vector<int64_t> padding;  // {left, right[, top, bottom[, front, back]]}
  const std::string mode;
  const double value;

 protected:
  PadNd(const std::string& type_name, int64_t dims, const PadSizes& padding, std::string mode, double value);
};

template <int64_t N>
class ConstantPad : public PadNd {
 public:
  ConstantPad(PadSizes padding, double value)
      : PadNd("ConstantPad" + std::to_string(N) + "d", N, padding, "constant", value) {}
};
template <int64_t N>
class ReflectionPad : public PadNd {
 public:
  explicit ReflectionPad(PadSizes padding)
      : PadNd("ReflectionPad" + std::to_string(N) + "d", N, padding, "reflect", 0) {}
};
template <int64_t N>
class ReplicationPad : public PadNd {
 public:
  explicit ReplicationPad(PadSizes padding)
      : PadNd("ReplicationPad" + std::to_string(N) + "d", N, padding, "replicate", 0) {}
};
template <int64_t N>
class CircularPad : public PadNd {
 public:
  explicit CircularPad(PadSizes padding) : PadNd("CircularPad" + std::to_string(N) + "d", N, padding, "circular", 0) {}
};
template <int64_t N>
class ZeroPad : public PadNd {
 public:
  explicit ZeroPad(PadSizes padding) : PadNd("ZeroPad" + std::to_string(N) + "d", N, padding, "constant", 0) {}
};

using ConstantPad1d = ConstantPad<1>;
using ConstantPad2d = ConstantPad<2>;
using ConstantPad3d = ConstantPad<3>;
using ReflectionPad1d = ReflectionPad<1>;
using ReflectionPad2d = ReflectionPad<2>;
using ReflectionPad3d = ReflectionPad<3>;
using ReplicationPad1d = ReplicationPad<1>;
using ReplicationPad2d = ReplicationPad<2>;
using ReplicationPad3d = ReplicationPad<3>;
using CircularPad1d = CircularPad<1>;
using CircularPad2d = CircularPad<2>;
using CircularPad3d = CircularPad<3>;
using ZeroPad1d = ZeroPad<1>;
using ZeroPad2d = ZeroPad<2>;
using ZeroPad3d = ZeroPad<3>;

}  // namespace ember::nn
