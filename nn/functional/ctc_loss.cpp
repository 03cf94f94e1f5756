// nn::functional::ctc_loss: PyTorch's checks on the host (where lengths and targets are read),
// a plan of extended targets and masks made there, and the alpha and beta recursions as a
// custom autograd function of native ops, so it runs on any device.
#include "nn/functional/ctc_loss.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "autograd/custom_function.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"

namespace ember::nn::functional {

// Note [CTC loss as native ops]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Each target l (length S_n) is extended to l' = blank, l1, blank, l2, ..., blank (2 S_n + 1
// states; shorter ones padded to the batch's longest, whose states are masked off). With
// y_t(s) = log_probs[t, n, l'(s)] (-inf on a masked state), the forward recursion is
//   alpha_0(s) = y_0(s) for s in {0, 1},
//   alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if l'(s) is not
//                blank and differs from l'(s-2)) + y_t(s),
// and -log p = -logsumexp(alpha_{T_n-1}(2 S_n), alpha_{T_n-1}(2 S_n - 1)): T steps of a few
// [N, 2 S + 1] ops, every sample at once (a sample past its own T_n is computed and unused).
// backward runs the mirror recursion for beta from each sample's last frame and returns
// PyTorch's gradient, exp(log_probs) - exp(log sum_{s: l'(s) = c} alpha_t(s) beta_t(s) - log p
// - log_probs) for t < T_n (the sum per class is a scatter_add of exp(alpha + beta - the
// class's max), so that no class underflows against a more likely one).
// That is the gradient through a log_softmax of the logits rather than of log_probs alone,
// which PyTorch's kernels return and its users compare against; both agree once a
// log_softmax's backward has been applied. Lengths and targets are read on the host once
// (one synchronisation on CUDA), which also lets bad ones be clear errors: negative lengths
// in PyTorch 2.x's words, and target values out of range or blank in a target, which it does
// not check.

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The masks and numbers of one call, made on the host (Note [CTC loss as native ops]).
struct CtcPlan {
  Tensor extended;         // [N, L] int64, L = 2 * S + 1: blank, l1, blank, ..., blank-padded
  Tensor valid;            // [N, L] bool: s < 2 * S_n + 1
  Tensor starts;           // [N, L] bool: s == 0, or s == 1 for a nonempty target
  Tensor ends;             // [N, L] bool: s == 2 * S_n, or 2 * S_n - 1 for a nonempty target
  Tensor skip;             // [N, L] bool: alpha_t(s) may come from alpha_{t-1}(s - 2)
  Tensor skip_back;        // [N, L] bool: beta_t(s) may come from beta_{t+1}(s + 2)
  Tensor input_lengths;    // [N] int64
  Tensor last_frame;       // [N] int64: T_n - 1, at least 0
  Tensor empty_input;      // [N] bool: T_n == 0
  Tensor empty_input_nll;  // [N]: 0 for an empty target, inf else (used where empty_input)
};

// Lengths of any integer dtype, as PyTorch's (its targets: Long or Int; ember's: int64).
std::vector<int64_t> host_int64(const Tensor& t) { return t.to(Device()).to(kInt64).contiguous().to_vector<int64_t>(); }

Tensor bool_tensor(const std::vector<int64_t>& flags, const Dims& shape, Device device) {
  return ne(tensor(flags, shape).to(device), Scalar(0));
}

// The lengths, one per sample: any integer dtype, [N] (0-dim or [1] for one sample).
std::vector<int64_t> checked_lengths(const Tensor& lengths, int64_t batch, bool batched, const char* name) {
  EMBER_CHECK(is_integral(lengths.dtype()), name, " must be integral (ctc_loss got ",
              dtype_torch_name(lengths.dtype()), ")");
  const bool sized = batched ? lengths.dim() == 1 && lengths.size(0) == batch
                             : lengths.dim() == 0 || (lengths.dim() == 1 && lengths.size(0) == 1);
  EMBER_CHECK(sized, name, " must be of size batch_size");
  const std::vector<int64_t> values = host_int64(lengths);
  for (size_t n = 0; n < values.size(); ++n)
    EMBER_CHECK(values[n] >= 0, "Expected ", name, " to have value at least 0, but got value ", values[n],
                " (while checking arguments for ctc_loss, sample ", n, ")");
  return values;
}

CtcPlan make_plan(const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& in_len,
                  const std::vector<int64_t>& tgt_len, int64_t blank, bool batched) {
  const int64_t T = log_probs.size(0), N = log_probs.size(1), C = log_probs.size(2);
  for (const int64_t length : in_len)
    EMBER_CHECK(length <= T, "Expected input_lengths to have value at most ", T, ", but got value ", length,
                " (while checking arguments for ctc_loss)");
  EMBER_CHECK(targets.dtype() == kInt64, "ctc_loss: expected targets of an integer dtype (Long), got ",
              dtype_torch_name(targets.dtype()));
  const int64_t longest = N ? *std::max_element(tgt_len.begin(), tgt_len.end()) : 0;
  // Where each sample's target starts in the host copy of targets.
  std::vector<int64_t> begin(N);
  const bool padded = batched ? targets.dim() == 2 : true;
  if (padded) {
    const Tensor rows = batched || targets.dim() != 1 ? targets : targets.unsqueeze(0);  // one sample: [S] or [1, S]
    EMBER_CHECK(rows.dim() == 2 && rows.size(0) == N, "ctc_loss: expected targets [N, S] with N = ", N,
                " (or the targets concatenated, 1-D), got ", targets.sizes());
    EMBER_CHECK(rows.size(1) >= longest, "Expected tensor to have size at least ", longest,
                " at dimension 1, but got size ", rows.size(1),
                " for argument #2 'targets' (while checking arguments "
                "for ctc_loss)");
    for (int64_t n = 0; n < N; ++n) begin[n] = n * rows.size(1);
  } else {
    EMBER_CHECK(targets.dim() == 1, "ctc_loss: expected targets [N, S] or 1-D, got ", targets.sizes());
    int64_t total = 0;
    for (int64_t n = 0; n < N; ++n) begin[n] = total, total += tgt_len[n];
    EMBER_CHECK(targets.size(0) == total, "Expected tensor to have size ", total, " at dimension 0, but got size ",
                targets.size(0), " for argument #2 'targets' (while checking arguments for ctc_loss)");
  }
  const std::vector<int64_t> labels = host_int64(targets);

  const int64_t L = 2 * longest + 1;
  std::vector<int64_t> extended(N * L, blank), valid(N * L, 0), starts(N * L, 0), ends(N * L, 0), skip(N * L, 0),
      skip_back(N * L, 0), last_frame(N);
  std::vector<double> empty_nll(N);
  for (int64_t n = 0; n < N; ++n) {
    const int64_t S = tgt_len[n];
    int64_t* ext = &extended[n * L];
    for (int64_t k = 0; k < S; ++k) {
      const int64_t label = labels[begin[n] + k];
      EMBER_CHECK(label >= 0 && label < C && label != blank, "ctc_loss: target values must be in [0, ", C,
                  ") and not the blank (", blank, "), but sample ", n, " has ", label, " at position ", k);
      ext[2 * k + 1] = label;
    }
    for (int64_t s = 0; s <= 2 * S; ++s) {
      valid[n * L + s] = 1;
      starts[n * L + s] = s == 0 || (s == 1 && S > 0);
      ends[n * L + s] = s == 2 * S || (S > 0 && s == 2 * S - 1);
      skip[n * L + s] = s >= 2 && ext[s] != blank && ext[s] != ext[s - 2];
      if (s >= 2) skip_back[n * L + s - 2] = skip[n * L + s];
    }
    last_frame[n] = std::max<int64_t>(in_len[n] - 1, 0);
    empty_nll[n] = S == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  const Device device = log_probs.device();
  std::vector<int64_t> empty_input(N);
  for (int64_t n = 0; n < N; ++n) empty_input[n] = in_len[n] == 0;
  return CtcPlan{.extended = tensor(extended, {N, L}).to(device),
                 .valid = bool_tensor(valid, {N, L}, device),
                 .starts = bool_tensor(starts, {N, L}, device),
                 .ends = bool_tensor(ends, {N, L}, device),
                 .skip = bool_tensor(skip, {N, L}, device),
                 .skip_back = bool_tensor(skip_back, {N, L}, device),
                 .input_lengths = tensor(in_len, {N}).to(device),
                 .last_frame = tensor(last_frame, {N}).to(device),
                 .empty_input = bool_tensor(empty_input, {N}, device),
                 .empty_input_nll = tensor(empty_nll, {N}).to(device, log_probs.dtype())};
}

// states [N, L] moved `by` states toward the end (by > 0) or the start (by < 0), -inf filling.
Tensor shifted(const Tensor& states, int64_t by) {
  const int64_t N = states.size(0), L = states.size(1), k = std::min<int64_t>(by < 0 ? -by : by, L);
  const Tensor fill = full({N, k}, kNegInf, states.options());
  if (k == L) return full({N, L}, kNegInf, states.options());
  return by > 0 ? cat({fill, states.narrow(1, 0, L - k)}, 1) : cat({states.narrow(1, k, L - k), fill}, 1);
}

// One step of either recursion: logsumexp of a state, its neighbour and (where allowed) the
// one two states away, all `direction` states back (alpha: 1; beta: -1), plus this frame's y.
Tensor recurse(const Tensor& previous, const Tensor& skip, int64_t direction, const Tensor& emitted) {
  const Tensor two_away = where(skip, shifted(previous, 2 * direction), Scalar(kNegInf));
  return add(logsumexp(stack({previous, shifted(previous, direction), two_away}), Dims{0}), emitted);
}

// What the gradient reads, kept by the forward (Note [CTC loss as native ops]).
struct CtcSaved {
  Tensor alpha{}, emitted{};               // [T, N, L]; undefined for T = 0
  Tensor extended{}, ends{}, skip_back{};  // the plan's, [N, L]
  Tensor input_lengths{}, nll{};           // [N]; nll before zero_infinity
  bool zero_infinity = false;
};

// PyTorch's gradient of the per-sample losses (weighted by grad_nll [N]) to log_probs [T, N, C].
Tensor ctc_gradient(const Tensor& log_probs, const Tensor& grad_nll, const CtcSaved& saved) {
  const int64_t T = log_probs.size(0), N = log_probs.size(1), C = log_probs.size(2), L = saved.extended.size(1);
  if (T == 0) return zeros_like(log_probs);
  // beta_t(s), from each sample's last frame T_n - 1 back to 0 (-inf at and after T_n).
  std::vector<Tensor> betas(T);
  for (int64_t t = T - 1; t >= 0; --t) {
    const Tensor next = t == T - 1 ? full({N, L}, kNegInf, log_probs.options()) : betas[t + 1];
    const Tensor from_next = recurse(next, saved.skip_back, -1, saved.emitted[t]);
    const Tensor at_last = where(saved.ends, saved.emitted[t], Scalar(kNegInf));
    const Tensor is_last = eq(saved.input_lengths, Scalar(t + 1)).view({N, 1});
    const Tensor before_last = gt(saved.input_lengths, Scalar(t + 1)).view({N, 1});
    betas[t] = where(is_last, at_last, where(before_last, from_next, Scalar(kNegInf)));
  }
  // log of the summed alpha * beta of each class's states, per frame: [T, N, C].
  // Each class's terms are shifted by that class's own largest: alpha + beta counts a frame's
  // log-probability twice, so against the frame's largest a confident frame's other classes
  // would underflow to 0 (float32 below about -87) and lose their posterior.
  const Tensor both = add(saved.alpha, stack(betas));
  const Tensor state_class = saved.extended.unsqueeze(0).expand({T, N, L});
  const Tensor peak = scatter_reduce(full({T, N, C}, kNegInf, log_probs.options()), 2, state_class, both, "amax");
  const Tensor shift = where(isinf(peak), Scalar(0.0), peak);
  const Tensor per_class =
      scatter_add(zeros({T, N, C}, log_probs.options()), 2, state_class, exp(sub(both, gather(shift, 2, state_class))));
  const Tensor log_per_class = add(log(per_class), shift);
  Tensor grad = sub(exp(log_probs), exp(sub(add(log_per_class, saved.nll.view({1, N, 1})), log_probs)));
  grad = mul(grad, grad_nll.view({1, N, 1}));
  const TensorOptions int64_opts = TensorOptions().dtype(kInt64).device(log_probs.device());
  const Tensor in_frame = lt(arange(T, int64_opts).view({T, 1, 1}), saved.input_lengths.view({1, N, 1}));
  grad = where(in_frame, grad, Scalar(0.0));
  if (saved.zero_infinity) grad = where(isinf(saved.nll).view({1, N, 1}), Scalar(0.0), grad);
  return grad;
}

// The gradient as a node of its own, so that a gradient made with create_graph fails with
// PyTorch's phrase when differentiated again (as its _ctc_loss_backward), not silently.
struct CtcLossGradient : autograd::Function<CtcLossGradient> {
  static Tensor forward(autograd::AutogradContext* /*ctx*/, const Tensor& log_probs, const Tensor& grad_nll,
                        const CtcSaved& saved) {
    return ctc_gradient(log_probs, grad_nll, saved);
  }
  static autograd::tensor_list backward(autograd::AutogradContext* /*ctx*/, autograd::tensor_list /*grads*/) {
    EMBER_FAIL("the derivative for '_ctc_loss_backward' is not implemented.");
  }
};

struct CtcLoss : autograd::Function<CtcLoss> {
  // The per-sample negative log-likelihood [N] of log_probs [T, N, C].
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& log_probs, const CtcPlan& plan,
                        bool zero_infinity) {
    const int64_t T = log_probs.size(0), N = log_probs.size(1), L = plan.extended.size(1);
    CtcSaved saved{.extended = plan.extended,
                   .ends = plan.ends,
                   .skip_back = plan.skip_back,
                   .input_lengths = plan.input_lengths,
                   .nll = plan.empty_input_nll,
                   .zero_infinity = zero_infinity};
    if (T > 0) {
      saved.emitted = where(plan.valid, gather(log_probs, 2, plan.extended.unsqueeze(0).expand({T, N, L})),
                            Scalar(kNegInf));  // [T, N, L]
      std::vector<Tensor> alphas{where(plan.starts, saved.emitted[0], Scalar(kNegInf))};
      for (int64_t t = 1; t < T; ++t) alphas.push_back(recurse(alphas.back(), plan.skip, 1, saved.emitted[t]));
      saved.alpha = stack(alphas);
      const Tensor last = gather(saved.alpha, 0, plan.last_frame.view({1, N, 1}).expand({1, N, L})).squeeze(0);
      const Tensor log_likelihood = logsumexp(where(plan.ends, last, Scalar(kNegInf)), Dims{1});
      saved.nll = where(plan.empty_input, plan.empty_input_nll, neg(log_likelihood));
    }
    ctx->save_for_backward({log_probs});
    ctx->saved_data["alpha"] = saved.alpha;
    ctx->saved_data["emitted"] = saved.emitted;
    ctx->saved_data["extended"] = saved.extended;
    ctx->saved_data["ends"] = saved.ends;
    ctx->saved_data["skip_back"] = saved.skip_back;
    ctx->saved_data["input_lengths"] = saved.input_lengths;
    ctx->saved_data["nll"] = saved.nll;
    ctx->saved_data["zero_infinity"] = zero_infinity;
    return zero_infinity ? where(isinf(saved.nll), Scalar(0.0), saved.nll) : saved.nll;
  }

  static autograd::tensor_list backward(autograd::AutogradContext* ctx, autograd::tensor_list grads) {
    const auto& d = ctx->saved_data;
    const CtcSaved saved{.alpha = d.at("alpha").toTensor(),
                         .emitted = d.at("emitted").toTensor(),
                         .extended = d.at("extended").toTensor(),
                         .ends = d.at("ends").toTensor(),
                         .skip_back = d.at("skip_back").toTensor(),
                         .input_lengths = d.at("input_lengths").toTensor(),
                         .nll = d.at("nll").toTensor(),
                         .zero_infinity = d.at("zero_infinity").toBool()};
    return {CtcLossGradient::apply(ctx->get_saved_variables()[0], grads[0], saved), Tensor(), Tensor()};
  }
};

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets_in, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity) {
  // Targets of any integer dtype (uint8, int32), as PyTorch's targets.to(kLong).
  const Tensor targets =
      is_integral(targets_in.dtype()) && targets_in.dtype() != kInt64 ? targets_in.to(kInt64) : targets_in;
  EMBER_CHECK(log_probs.dim() == 3 || log_probs.dim() == 2,
              "ctc_loss: expected log_probs [T, N, C] (or [T, C] for one sample), got ", log_probs.sizes());
  EMBER_CHECK(log_probs.dtype() == kFloat32 || log_probs.dtype() == kFloat64, "\"ctc_loss\" not implemented for '",
              dtype_torch_name(log_probs.dtype()), "'");
  const bool batched = log_probs.dim() == 3;
  const Tensor lp = batched ? log_probs : log_probs.unsqueeze(1);
  const int64_t N = lp.size(1), C = lp.size(2);
  EMBER_CHECK(blank >= 0 && blank < C, "blank must be in label range");
  const std::vector<int64_t> in_len = checked_lengths(input_lengths, N, batched, "input_lengths");
  const std::vector<int64_t> tgt_len = checked_lengths(target_lengths, N, batched, "target_lengths");
  const CtcPlan plan = make_plan(lp, targets, in_len, tgt_len, blank, batched);

  const Tensor nll = CtcLoss::apply(lp, plan, zero_infinity);  // [N]
  switch (reduction) {
    case Reduction::None:
      return batched ? nll : nll.squeeze(0);
    case Reduction::Sum:
      return nll.sum();
    case Reduction::Mean:
      break;
  }
  std::vector<double> divisors(N);
  for (int64_t n = 0; n < N; ++n) divisors[n] = static_cast<double>(std::max<int64_t>(tgt_len[n], 1));
  return div(nll, tensor(divisors, {N}).to(lp.device(), lp.dtype())).mean();
}

}  // namespace ember::nn::functional
