// torch.cuda.amp.GradScaler (torch.amp.GradScaler): dynamic loss scaling for mixed
// precision, so small gradients survive a narrow dtype; steps with inf/NaN gradients are
// skipped and the scale backs off (Note [Loss scaling]).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nn/optim/optimizer.h"

namespace ember::amp {

// Note [Loss scaling]
// As PyTorch 1.13's GradScaler, on any device (PyTorch's is CUDA-only):
//   scaler.scale(loss).backward();  scaler.step(optimizer);  scaler.update();
// scale(t) = t * S, S a float32 0-dim tensor on t's device made at the first call
// (PyTorch 1.13's was [1]-shaped, PyTorch 2's is 0-dim too: a scaled 0-dim loss stays 0-dim; a bfloat16 or float16
// t is scaled in float32, as PyTorch's promotion does). unscale_(opt) refuses float16
// gradients with PyTorch's "Attempting to unscale FP16 gradients." (float32 parameters are
// the recipe) and multiplies every gradient of opt by 1/S (computed in float64, rounded to float32) and
// records on each gradient's device whether any was inf or NaN, with device ops only.
// step(opt) unscales if the caller did not, reads those flags (the one host
// synchronisation, as PyTorch's) and runs opt.step() only if every gradient was finite;
// it returns whether the step ran. update() then, on the device: after an inf/NaN,
// S *= backoff_factor and the growth tracker restarts; else the tracker counts, and
// after growth_interval clean steps in a row S *= growth_factor (kept if still finite).
// update(new_scale) sets S instead. Each optimizer goes READY -> UNSCALED -> STEPPED
// between updates, and PyTorch's errors keep the order (unscale_ twice, unscale_ after
// step, step twice). With enabled = false every call passes through: scale returns its
// input, step is opt.step(), get_scale is 1, state_dict is empty. bf16 autocast rarely
// needs scaling; float16 autocast does (its gradients underflow below 2^-24: Note
// [Float16] in core/half.h), and the scaler makes PyTorch's fp16 recipes port as they are.
struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool enabled = true;
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerOptions options = {});

  Tensor scale(const Tensor& outputs);
  std::vector<Tensor> scale(const std::vector<Tensor>& outputs);
  void unscale_(optim::Optimizer& optimizer);
  // Whether optimizer.step() ran (false: a gradient was inf or NaN, the step skipped).
  bool step(optim::Optimizer& optimizer);
  void update(std::optional<double> new_scale = std::nullopt);

  double get_scale() const;  // init_scale before the first scale(); 1 when disabled
  double get_growth_factor() const { return options_.growth_factor; }
  void set_growth_factor(double factor);
  double get_backoff_factor() const { return options_.backoff_factor; }
  void set_backoff_factor(double factor);
  int64_t get_growth_interval() const { return options_.growth_interval; }
  void set_growth_interval(int64_t interval);
  bool is_enabled() const { return options_.enabled; }

  // PyTorch's keys: "scale", "growth_factor", "backoff_factor" (0-dim float64),
  // "growth_interval", "_growth_tracker" (0-dim int64); empty when disabled.
  optim::StateDict state_dict() const;
  // Every key checked before anything changes; an empty dict is PyTorch's error.
  void load_state_dict(const optim::StateDict& state);

 private:
  enum class Stage { Ready, Unscaled, Stepped };
  struct OptimizerState {
    Stage stage = Stage::Ready;
    std::vector<Tensor> found_inf;  // float32 0-dim, one per device with gradients
  };
  void check_started(const char* what) const;

  GradScalerOptions options_;
  Tensor scale_;           // float32 0-dim, made by the first scale()
  Tensor growth_tracker_;  // int64 0-dim, on scale_'s device
  int64_t loaded_tracker_ = 0;  // a loaded _growth_tracker, until scale_ exists
  std::map<const optim::Optimizer*, OptimizerState> per_optimizer_;
};

}  // namespace ember::amp
