// Loss modules over nn/functional/loss_more.h, PyTorch's KLDivLoss, MarginRankingLoss,
// HingeEmbeddingLoss, SoftMarginLoss, CosineEmbeddingLoss, TripletMarginLoss,
// TripletMarginWithDistanceLoss, MultiLabelSoftMarginLoss, MultiLabelMarginLoss,
// MultiMarginLoss, GaussianNLLLoss and PoissonNLLLoss, with their constructor arguments and
// defaults (reduction last, as a Reduction or a string).
#pragma once
#include <string>
#include <string_view>

#include "nn/functional/loss_more.h"
#include "nn/loss.h"

namespace ember::nn {

// A loss called with three tensors (MarginRankingLoss: input1, input2, target;
// TripletMarginLoss: anchor, positive, negative; GaussianNLLLoss: input, target, var).
class ThreeInputLoss : public Module {
 public:
  ThreeInputLoss(std::string type_name, functional::Reduction reduction)
      : Module(std::move(type_name)), reduction(reduction) {}
  virtual Tensor forward(const Tensor& a, const Tensor& b, const Tensor& c) = 0;
  Tensor forward(const Tensor& input) override;
  Tensor operator()(const Tensor& a, const Tensor& b, const Tensor& c) { return forward(a, b, c); }
  using Module::operator();
  const functional::Reduction reduction;
};

// reduction "none", "mean", "sum" or "batchmean" (then `reduction` is Sum and the sum is
// divided by the batch size).
class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(std::string_view reduction = "mean", bool log_target = false);
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const bool batchmean;
  const bool log_target;
};

class MarginRankingLoss : public ThreeInputLoss {
 public:
  explicit MarginRankingLoss(double margin = 0.0, functional::Reduction reduction = functional::Reduction::Mean)
      : ThreeInputLoss("MarginRankingLoss", reduction), margin(margin) {}
  MarginRankingLoss(double margin, std::string_view reduction)
      : MarginRankingLoss(margin, functional::reduction_from_string(reduction)) {}
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) override;
  const double margin;
};

class HingeEmbeddingLoss : public Loss {
 public:
  explicit HingeEmbeddingLoss(double margin = 1.0, functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("HingeEmbeddingLoss", reduction), margin(margin) {}
  HingeEmbeddingLoss(double margin, std::string_view reduction)
      : HingeEmbeddingLoss(margin, functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const double margin;
};

class SoftMarginLoss : public Loss {
 public:
  explicit SoftMarginLoss(functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("SoftMarginLoss", reduction) {}
  explicit SoftMarginLoss(std::string_view reduction) : SoftMarginLoss(functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class CosineEmbeddingLoss : public ThreeInputLoss {
 public:
  explicit CosineEmbeddingLoss(double margin = 0.0, functional::Reduction reduction = functional::Reduction::Mean)
      : ThreeInputLoss("CosineEmbeddingLoss", reduction), margin(margin) {}
  CosineEmbeddingLoss(double margin, std::string_view reduction)
      : CosineEmbeddingLoss(margin, functional::reduction_from_string(reduction)) {}
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) override;
  const double margin;
};

class TripletMarginLoss : public ThreeInputLoss {
 public:
  explicit TripletMarginLoss(double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false,
                             functional::Reduction reduction = functional::Reduction::Mean)
      : ThreeInputLoss("TripletMarginLoss", reduction), margin(margin), p(p), eps(eps), swap(swap) {}
  TripletMarginLoss(double margin, double p, double eps, bool swap, std::string_view reduction)
      : TripletMarginLoss(margin, p, eps, swap, functional::reduction_from_string(reduction)) {}
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) override;
  const double margin, p, eps;
  const bool swap;
};

// PyTorch's keyword-only arguments; the distance is pairwise_distance when empty.
struct TripletMarginWithDistanceLossOptions {
  functional::DistanceFunction distance_function = {};
  double margin = 1.0;  // > 0, checked by the constructor as PyTorch 2's
  bool swap = false;
  std::string reduction = "mean";
};

class TripletMarginWithDistanceLoss : public ThreeInputLoss {
 public:
  explicit TripletMarginWithDistanceLoss(const TripletMarginWithDistanceLossOptions& options = {});
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) override;
  const functional::DistanceFunction distance_function;
  const double margin;
  const bool swap;
};

// Called with (input, target): target int64, each row the sample's classes ended by -1.
class MultiLabelMarginLoss : public Loss {
 public:
  explicit MultiLabelMarginLoss(functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("MultiLabelMarginLoss", reduction) {}
  explicit MultiLabelMarginLoss(std::string_view reduction)
      : MultiLabelMarginLoss(functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

// weight: PyTorch's weight= (a buffer "weight" when defined).
class MultiLabelSoftMarginLoss : public Loss {
 public:
  explicit MultiLabelSoftMarginLoss(const Tensor& weight = {},
                                    functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("MultiLabelSoftMarginLoss", reduction), weight(register_buffer("weight", weight)) {}
  MultiLabelSoftMarginLoss(const Tensor& weight, std::string_view reduction)
      : MultiLabelSoftMarginLoss(weight, functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor& weight;
};

// p is 1 or 2 (checked here, as PyTorch's constructor does); weight: a buffer when defined.
class MultiMarginLoss : public Loss {
 public:
  explicit MultiMarginLoss(int64_t p = 1, double margin = 1.0, const Tensor& weight = {},
                           functional::Reduction reduction = functional::Reduction::Mean);
  MultiMarginLoss(int64_t p, double margin, const Tensor& weight, std::string_view reduction)
      : MultiMarginLoss(p, margin, weight, functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const int64_t p;
  const double margin;
  Tensor& weight;
};

// Called with (input, target, var).
class GaussianNLLLoss : public ThreeInputLoss {
 public:
  explicit GaussianNLLLoss(bool full = false, double eps = 1e-6,
                           functional::Reduction reduction = functional::Reduction::Mean)
      : ThreeInputLoss("GaussianNLLLoss", reduction), full(full), eps(eps) {}
  GaussianNLLLoss(bool full, double eps, std::string_view reduction)
      : GaussianNLLLoss(full, eps, functional::reduction_from_string(reduction)) {}
  using ThreeInputLoss::forward;
  Tensor forward(const Tensor& input, const Tensor& target, const Tensor& var) override;
  const bool full;
  const double eps;
};

class PoissonNLLLoss : public Loss {
 public:
  explicit PoissonNLLLoss(bool log_input = true, bool full = false, double eps = 1e-8,
                          functional::Reduction reduction = functional::Reduction::Mean)
      : Loss("PoissonNLLLoss", reduction), log_input(log_input), full(full), eps(eps) {}
  PoissonNLLLoss(bool log_input, bool full, double eps, std::string_view reduction)
      : PoissonNLLLoss(log_input, full, eps, functional::reduction_from_string(reduction)) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  const bool log_input, full;
  const double eps;
};

}  // namespace ember::nn
