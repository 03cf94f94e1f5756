// nn::functional's further losses, with PyTorch's names, argument order, defaults and
// reductions: kl_div, the margin losses (margin_ranking, hinge_embedding, soft_margin,
// cosine_embedding, triplet_margin and triplet_margin_with_distance, multilabel_soft_margin,
// multilabel_margin, multi_margin) and the likelihood losses (gaussian_nll, poisson_nll).
// Composed of differentiable ops.
#pragma once
#include <functional>
#include <string_view>

#include "core/tensor.h"
#include "nn/functional/loss.h"

namespace ember::nn::functional {

// Pointwise target * (log(target) - input) (0 where target is 0; target's gradient there is
// -input, where PyTorch's xlogy gives NaN), or with log_target
// exp(target) * (target - input); input holds log-probabilities. reduction: "none",
// "mean" (over every element, as PyTorch), "sum" or "batchmean" (the sum / input.size(0),
// the KL divergence's definition).
Tensor kl_div(const Tensor& input, const Tensor& target, std::string_view reduction = "mean",
              bool log_target = false);

// max(0, -target * (input1 - input2) + margin); the three of one dimension (then broadcast).
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           Reduction reduction = Reduction::Mean);
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           std::string_view reduction);

// input where target != -1, plus max(0, margin - input) where target != 1 (targets are 1 or -1).
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin = 1.0,
                            Reduction reduction = Reduction::Mean);
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, std::string_view reduction);

// log(1 + exp(-target * input))
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, std::string_view reduction);

// Per row (inputs [N, D] with target [N], or [D] with a 0-dim target): 1 - cos where
// target == 1, max(0, cos - margin) where target == -1, cos the cosine of the two rows
// (squared norms + 1e-12, as PyTorch).
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             Reduction reduction = Reduction::Mean);
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             std::string_view reduction);

// max(0, margin + d(anchor, positive) - d(anchor, negative)), d = pairwise_distance(., ., p, eps);
// swap: d(anchor, negative) becomes min(it, d(positive, negative)). All of one dimension.
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin = 1.0,
                           double p = 2.0, double eps = 1e-6, bool swap = false,
                           Reduction reduction = Reduction::Mean);
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, std::string_view reduction);

// A distance between two batches of rows, as PyTorch's distance_function: [N, D] x [N, D] -> [N].
using DistanceFunction = std::function<Tensor(const Tensor&, const Tensor&)>;

// max(0, margin + d(anchor, positive) - d(anchor, negative)) with d = distance_function
// (pairwise_distance when empty); swap: d(anchor, negative) becomes min(it, d(positive,
// negative)). The three of one dimension (PyTorch 2's check). Differentiable as d is.
Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                                         const DistanceFunction& distance_function = {}, double margin = 1.0,
                                         bool swap = false, Reduction reduction = Reduction::Mean);
Tensor triplet_margin_with_distance_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                                         const DistanceFunction& distance_function, double margin, bool swap,
                                         std::string_view reduction);

// -(target log sigmoid(input) + (1 - target) log sigmoid(-input)), times weight (broadcast,
// optional), averaged over the last (class) dim; then the reduction over samples.
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                   Reduction reduction = Reduction::Mean);
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   std::string_view reduction);

// input [N, C] (or [C], or 0-dim), target int64 of input's shape: each row lists the sample's
// classes, ended by the first -1 (the rest of the row is ignored, but every entry must lie
// in [-1, C)). Per sample sum over listed classes j and unlisted classes i of
// max(0, 1 - (x[j] - x[i])), divided by C; a class listed twice counts twice, as in
// PyTorch. Composed over [N, C, C] pairs (memory N * C^2 elements; PyTorch's kernel loops).
// The range check reads one flag back to the host (a sync on CUDA), as multi_margin_loss's.
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, std::string_view reduction);

// input [N, C] (or [C]), target int64 [N] (or 0-dim / [1]) in [0, C): per sample
// sum_{i != y} weight[y] * max(0, margin - x[y] + x[i])^p / C, p 1 or 2; weight [C] optional.
// An empty batch's "mean" is NaN (PyTorch's kernel returns an unset value there). The
// target range check reads one flag back to the host (a sync on CUDA), as does
// gaussian_nll_loss's check of var.
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p = 1, double margin = 1.0,
                         const Tensor& weight = {}, Reduction reduction = Reduction::Mean);
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         std::string_view reduction);

// 0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when full);
// var of input's shape, or of it without the last dim, or with a last dim of 1; var >= 0.
// The clamp does not reach the gradient (PyTorch's; Note [Clamped norms] in composed.h).
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full = false,
                         double eps = 1e-6, Reduction reduction = Reduction::Mean);
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full, double eps,
                         std::string_view reduction);

// log_input: exp(input) - target * input; else input - target * log(input + eps);
// full adds Stirling's term target log(target) - target + 0.5 log(2 pi target) where target > 1.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input = true, bool full = false,
                        double eps = 1e-8, Reduction reduction = Reduction::Mean);
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        std::string_view reduction);

}  // namespace ember::nn::functional
