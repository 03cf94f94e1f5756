// The cases of the cuDNN plan checks (Note [cuDNN plans without a GPU] in cuda/cudnn_plan.h),
// shared by the deviceless H200 tests (tests/cudnn_plans/) and the same checks on a GPU host
// (tests/cuda/test_cudnn_plans_gpu.cpp): the convolutions and batch norms ember builds graphs for.
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <iostream>
#include <string>
#include <vector>

#include "cuda/cudnn_plan.h"

namespace ember::plan_cases {

using cuda::detail::ConvPlanKind;
using cuda::detail::CudnnDevice;

inline Tensor operand(const Dims& sizes, DType dtype = kFloat32, bool channels_last = false) {
  return channels_last ? make_empty(sizes, dtype, Device::cpu(), MemoryFormat::ChannelsLast)
                       : make_empty(sizes, dtype, Device::cpu());
}

inline ConvGeometry geometry(const Dims& x, const Dims& w, int64_t stride, int64_t padding, int64_t dilation,
                      int64_t groups) {
  ConvGeometry g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], stride, stride, padding, padding, dilation, dilation,
                 groups, 0, 0};
  g.OH = conv_out_size(g.H, g.KH, g.SH, g.PH, g.DH);
  g.OW = conv_out_size(g.W, g.KW, g.SW, g.PW, g.DW);
  return g;
}

// The kernel checks' convolutions (tools/kernel_checks/layer_checks.cpp), the small CNN's
// two at training batch 128, its last partial batch (96) and ember mem's 256, and the conv2d
// whose data gradient is a decoder's conv_transpose2d(stride 2, padding 1, output_padding 1)
// of [2, 4, 5, 5] (its last row and column read by no window).
struct ConvCase {
  Dims x, w;
  int64_t stride, padding, dilation, groups;
};
inline const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases{
      {{4, 3, 9, 11}, {5, 3, 3, 3}, 1, 1, 1, 1},     {{3, 4, 10, 7}, {6, 2, 3, 3}, 2, 0, 1, 2},
      {{2, 3, 12, 12}, {4, 3, 3, 2}, 1, 2, 2, 1},    {{16, 32, 14, 14}, {64, 32, 3, 3}, 1, 1, 1, 1},
      {{128, 1, 28, 28}, {32, 1, 3, 3}, 1, 1, 1, 1}, {{128, 32, 14, 14}, {64, 32, 3, 3}, 1, 1, 1, 1},
      {{96, 1, 28, 28}, {32, 1, 3, 3}, 1, 1, 1, 1},  {{96, 32, 14, 14}, {64, 32, 3, 3}, 1, 1, 1, 1},
      {{256, 1, 28, 28}, {32, 1, 3, 3}, 1, 1, 1, 1}, {{256, 32, 14, 14}, {64, 32, 3, 3}, 1, 1, 1, 1},
      {{2, 6, 10, 10}, {4, 6, 3, 3}, 2, 1, 1, 1}};
  return cases;
}

struct Precision {
  DType dtype;
  bool tf32;
  const char* name;
};
inline const std::vector<Precision>& precisions() {
  static const std::vector<Precision> all{
      {kFloat32, true, "float32 tf32"}, {kFloat32, false, "float32"}, {kFloat64, false, "float64"},
      {kBFloat16, false, "bfloat16"}, {kFloat16, false, "float16"}};
  return all;
}

inline std::string dims_text(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// A check's answer that cuDNN takes the graph: a plan built, or (without a GPU) one whose
// runtime-compiled kernels load only on the GPU (Note [cuDNN plans without a GPU]).
inline bool planned(const std::string& why) {
  return why.empty() || why.find(cuda::detail::kSupportedNotBuilt) != std::string::npos;
}
inline bool only_supported(const std::string& why) { return !why.empty() && planned(why); }

// Plans fprop, dgrad and wgrad of one case; "" or the failures, one per line.
// `supported_only` gets the kinds of the graphs cuDNN supports whose plans load only on a GPU.
inline std::string plan_conv(const CudnnDevice& device, const ConvCase& c, const Precision& p, bool channels_last,
                             std::string& supported_only) {
  const ConvGeometry g = geometry(c.x, c.w, c.stride, c.padding, c.dilation, c.groups);
  const Tensor x = operand(c.x, p.dtype, channels_last), w = operand(c.w, p.dtype, channels_last);
  const Tensor out = operand({g.N, g.O, g.OH, g.OW}, p.dtype, channels_last);
  std::string failures;
  const char* kinds[] = {"fprop", "dgrad", "wgrad"};
  const std::vector<std::vector<const Tensor*>> operands{{&x, &w, &out}, {&out, &w, &x}, {&out, &x, &w}};
  for (int k = 0; k < 3; ++k) {
    const std::string why = cuda::detail::check_conv2d_plan(device, static_cast<ConvPlanKind>(k), *operands[k][0],
                                                            *operands[k][1], *operands[k][2], g, p.tf32);
    if (!planned(why)) failures += std::string(kinds[k]) + ": " + why + "\n";
    if (only_supported(why)) supported_only += std::string(supported_only.empty() ? "" : ", ") + kinds[k];
  }
  return failures;
}

// Every case, layout and precision: float32 and float64 must plan (ember has no other
// convolution on CUDA); a bfloat16 or float16 case without a plan runs on float32 copies (cudnn_conv.cpp),
// so it is listed, and its float32 twin must plan.
inline void expect_every_convolution_plans(const CudnnDevice& device) {
  int cases = 0, narrow_fallbacks = 0, supported_only = 0;
  for (const ConvCase& c : conv_cases())
    for (const Precision& p : precisions())
      for (bool channels_last : {false, true}) {
        if (channels_last && p.dtype == kFloat64) continue;  // float64 layers stay NCHW (kernel_format)
        const std::string name = dims_text(c.x) + " * " + dims_text(c.w) + " s" + std::to_string(c.stride) + " p" +
                                 std::to_string(c.padding) + " d" + std::to_string(c.dilation) + " g" +
                                 std::to_string(c.groups) + " " + p.name + (channels_last ? " NHWC" : " NCHW");
        std::string runtime_compiled;
        const std::string failures = plan_conv(device, c, p, channels_last, runtime_compiled);
        if (!runtime_compiled.empty()) {
          ++supported_only;
          std::cout << name << ": " << runtime_compiled << " by a runtime-compiled engine (built only on a GPU)\n";
        }
        if (failures.empty()) {
          ++cases;
        } else if (is_reduced_float(p.dtype)) {
          ++narrow_fallbacks;
          std::cout << p.name << " on float32 copies: " << name << "\n" << failures;
        } else {
          ADD_FAILURE() << "no cuDNN plan for conv2d " << name << ":\n" << failures;
        }
      }
  std::cout << "conv2d: " << cases << " cases planned (fprop, dgrad, wgrad each; " << supported_only
            << " of those with a graph taken by a runtime-compiled engine), " << narrow_fallbacks
            << " bfloat16 or float16 cases on float32 copies\n";
  EXPECT_GT(cases, 0);
}

// Which of batch norm's graphs cuDNN plans for x of these sizes in one layout.
struct BatchNormPlans {
  std::string train, eval, backward;  // "" when planned, else why not
};
inline BatchNormPlans plan_batch_norm(const CudnnDevice& device, const Dims& sizes, bool channels_last) {
  const int64_t C = sizes[1];
  const Tensor x = operand(sizes, kFloat32, channels_last), y = operand(sizes, kFloat32, channels_last);
  const Tensor grad = operand(sizes, kFloat32, channels_last), dx = operand(sizes, kFloat32, channels_last);
  const Tensor scale = operand({C}), bias = operand({C}), mean = operand({C}), invstd = operand({C});
  const Tensor dscale = operand({C}), dbias = operand({C});
  return {cuda::detail::check_batch_norm_train_plan(device, x, scale, bias, y, mean, invstd),
          cuda::detail::check_batch_norm_eval_plan(device, x, mean, invstd, scale, bias, y),
          cuda::detail::check_batch_norm_backward_plan(device, grad, x, scale, mean, invstd, dx, dscale, dbias)};
}

// The first line of a failure (cuDNN appends its whole log).
inline std::string first_line(const std::string& why) { return why.substr(0, why.find('\n')); }

// The smallest workspace cuDNN's log names in a decline for the workspace cap ("...workspace
// violation. Requires N"), or -1.
inline int64_t least_workspace_required(const std::string& why) {
  int64_t least = -1;
  const std::string mark = "workspace violation. Requires ";
  for (size_t at = why.find(mark); at != std::string::npos; at = why.find(mark, at + 1)) {
    const int64_t n = std::stoll(why.substr(at + mark.size()));
    if (least < 0 || n < least) least = n;
  }
  return least;
}

// The small CNN's training graphs (forward and backward, every step), in both layouts at
// batch 128 and the last partial batch, must plan or be declined only for the workspace cap
// (Note [Batch norm's cuDNN workspace] in cuda/cudnn_batch_norm.cpp), whose smallest request
// is printed against x's bytes; every other graph (eval; odd shapes: the kernel checks'
// [5, 3, 7, 9], and 1x1 and 4x1 planes) may fall back to ember's kernels (batch_norm.cu), and
// is listed.
inline void expect_the_small_cnn_batch_norms_plan(const CudnnDevice& device) {
  struct Case {
    Dims sizes;
    bool training_required;
  };
  const std::vector<Case> cases{{{128, 32, 28, 28}, true}, {{128, 64, 14, 14}, true}, {{96, 32, 28, 28}, true},
                                {{96, 64, 14, 14}, true},  {{5, 3, 7, 9}, false},      {{2, 6, 1, 1}, false},
                                {{3, 5, 4, 1}, false}};
  for (bool channels_last : {false, true})
    for (const Case& c : cases) {
      const std::string name = "batch_norm " + dims_text(c.sizes) + (channels_last ? " NHWC" : " NCHW");
      const BatchNormPlans plans = plan_batch_norm(device, c.sizes, channels_last);
      int64_t x_bytes = 4;
      for (int64_t d : c.sizes) x_bytes *= d;
      if (c.training_required) {
        for (const auto& [what, why] : {std::pair{"train", &plans.train}, std::pair{"backward", &plans.backward}}) {
          const int64_t least = least_workspace_required(*why);
          EXPECT_TRUE(planned(*why) || least > x_bytes) << name << " (" << what << "): " << *why;
          if (least > 0) {
            std::cout << name << " (" << what << "): cuDNN's engines ask for at least " << least
                      << " bytes of workspace, x has " << x_bytes << "\n";
          }
        }
      }
      const auto where = [](const std::string& why) {
        return why.empty() ? "cuDNN" : planned(why) ? "cuDNN (supported, not built here)" : "ember's kernels";
      };
      std::cout << name << ": train " << where(plans.train) << ", eval " << where(plans.eval) << ", backward "
                << where(plans.backward) << "\n";
      for (const std::string* why : {&plans.train, &plans.eval, &plans.backward}) {
        if (!planned(*why)) std::cout << "  cuDNN declines: " << first_line(*why) << "\n";
      }
    }
}

}  // namespace ember::plan_cases
