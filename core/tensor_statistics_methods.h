// Tensor's order-statistics, counting and random-fill methods (libtorch spellings): a
// fragment of class Tensor's body, which core/tensor.h includes inside the class (no
// include guard, no includes; don't include it anywhere else). Each is the free function
// of core/statistics_ops.h, or of core/sampling.h for the draws.

// ---- order statistics (autograd/functions/order_statistics.cpp) ----
std::tuple<Tensor, Tensor> kthvalue(int64_t k, int64_t dim = -1, bool keepdim = false) const;
std::tuple<Tensor, Tensor> mode(int64_t dim = -1, bool keepdim = false) const;
Tensor median() const;
std::tuple<Tensor, Tensor> median(int64_t dim, bool keepdim = false) const;
Tensor nanmedian() const;
std::tuple<Tensor, Tensor> nanmedian(int64_t dim, bool keepdim = false) const;
Tensor quantile(double q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                std::string_view interpolation = "linear") const;
Tensor quantile(const Tensor& q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                std::string_view interpolation = "linear") const;
Tensor nanquantile(double q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                   std::string_view interpolation = "linear") const;
Tensor nanquantile(const Tensor& q, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                   std::string_view interpolation = "linear") const;

// ---- counting (core/ops/counting.cpp; not differentiable) ----
Tensor nonzero() const;
Tensor argwhere() const;
Tensor count_nonzero(const Dims& dims = {}) const;
template <DimIndex I>
Tensor count_nonzero(I dim) const {
  return count_nonzero(Dims{static_cast<int64_t>(dim)});
}
Tensor bincount(const Tensor& weights = Tensor(), int64_t minlength = 0) const;
Tensor histc(int64_t bins = 100, double min = 0, double max = 0) const;
std::tuple<Tensor, Tensor> histogram(int64_t bins = 100,
                                     std::optional<std::pair<double, double>> range = std::nullopt,
                                     const Tensor& weight = Tensor(), bool density = false) const;
std::tuple<Tensor, Tensor> histogram(const Tensor& bins, const Tensor& weight = Tensor(), bool density = false) const;
// (values, inverse, counts), as ember::unique
std::tuple<Tensor, Tensor, Tensor> unique(bool sorted = true, bool return_inverse = false, bool return_counts = false,
                                          std::optional<int64_t> dim = std::nullopt) const;
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(bool return_inverse = false, bool return_counts = false,
                                                      std::optional<int64_t> dim = std::nullopt) const;

// ---- random fills, in place (autograd/functions/sampling.cpp): the default generator's
// Philox stream, as rand/randn (or the generator given); recorded like fill_ (the gradient through them is zero) ----
Tensor& uniform_(double from = 0, double to = 1);
Tensor& normal_(double mean = 0, double std = 1);
Tensor& bernoulli_(double p = 0.5);
Tensor& bernoulli_(const Tensor& p);
Tensor& exponential_(double lambd = 1);
Tensor& geometric_(double p);
Tensor& log_normal_(double mean = 1, double std = 2);
Tensor& cauchy_(double median = 0, double sigma = 1);
Tensor& random_(int64_t from, std::optional<int64_t> to);  // [from, to); to nullopt: up to the dtype's exact range
Tensor& random_(int64_t to);                                // [0, to)
Tensor& random_();                                          // [0, the dtype's largest exact integer]
Tensor bernoulli() const;  // 0/1 draws with self's probabilities
Tensor bernoulli(double p) const;  // 0/1 draws of self's shape and dtype, 1 with probability p
Tensor multinomial(int64_t num_samples, bool replacement = false) const;
// The same drawing from `generator` (PyTorch's generator=; Note [Explicit generators] in
// core/random.h).
Tensor& uniform_(double from, double to, Generator& generator);
Tensor& normal_(double mean, double std, Generator& generator);
Tensor& bernoulli_(double p, Generator& generator);
Tensor& bernoulli_(const Tensor& p, Generator& generator);
Tensor& exponential_(double lambd, Generator& generator);
Tensor& geometric_(double p, Generator& generator);
Tensor& log_normal_(double mean, double std, Generator& generator);
Tensor& cauchy_(double median, double sigma, Generator& generator);
Tensor& random_(int64_t from, std::optional<int64_t> to, Generator& generator);
Tensor& random_(int64_t to, Generator& generator);
Tensor& random_(Generator& generator);
Tensor bernoulli(Generator& generator) const;
Tensor bernoulli(double p, Generator& generator) const;
Tensor multinomial(int64_t num_samples, bool replacement, Generator& generator) const;
