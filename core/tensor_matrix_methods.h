// Tensor's linear-algebra and matrix-shape methods (libtorch spellings): a fragment of
// class Tensor's body, which core/tensor.h includes inside the class (so no include
// guard and no includes here; don't include it anywhere else). Each is the free function
// of core/ops.h with *this first (autograd/functions/reduce.cpp, matrix_shape.cpp).
Tensor matmul(const Tensor& other) const;
Tensor mm(const Tensor& other) const;
Tensor bmm(const Tensor& other) const;
Tensor addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
Tensor addmv(const Tensor& mat, const Tensor& vec, const Scalar& beta = 1, const Scalar& alpha = 1) const;
Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
Tensor addbmm(const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
// In place (the result must keep self's shape; version bump; CopySlices on views).
Tensor& addmm_(const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor& addmv_(const Tensor& mat, const Tensor& vec, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor& baddbmm_(const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor& addbmm_(const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor tril(int64_t diagonal = 0) const;
Tensor triu(int64_t diagonal = 0) const;
// In place: bump the version; refused on a leaf that requires grad (PyTorch's rule).
Tensor& tril_(int64_t diagonal = 0);
Tensor& triu_(int64_t diagonal = 0);
Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;  // a view
Tensor diag(int64_t diagonal = 0) const;
Tensor diag_embed(int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1) const;
Tensor trace() const;
Tensor outer(const Tensor& other) const;
Tensor ger(const Tensor& other) const;  // PyTorch's deprecated alias of outer
Tensor vdot(const Tensor& other) const;
// torch.svd's (U, S, V) and torch.qr's (Q, R) as methods (core/linalg_ops.h).
std::tuple<Tensor, Tensor, Tensor> svd(bool some = true, bool compute_uv = true) const;
std::pair<Tensor, Tensor> qr(bool some = true) const;
// Methods of the free linalg / composite functions (core/linalg_ops.h, core/composite_ops.h).
Tensor dist(const Tensor& other, double p = 2) const;
Tensor cholesky(bool upper = false) const;
Tensor cholesky_solve(const Tensor& L, bool upper = false) const;
Tensor cholesky_inverse(bool upper = false) const;
Tensor mv(const Tensor& vec) const;
Tensor addr(const Tensor& vec1, const Tensor& vec2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
Tensor& addr_(const Tensor& vec1, const Tensor& vec2, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor renorm(double p, int64_t dim, double maxnorm) const;
Tensor& renorm_(double p, int64_t dim, double maxnorm);  // in place: a version bump, CopySlices on views
// core/linalg_ops.h's LU-based functions (autograd/functions/linalg_lu.cpp).
Tensor det() const;
Tensor logdet() const;
Tensor inverse() const;
// torch.Tensor's spellings of core/linalg_ops.h's functions and of kron / diagflat / inner.
Tensor matrix_power(int64_t n) const;
std::pair<Tensor, Tensor> slogdet() const;
Tensor pinverse(double rcond = 1e-15) const;
Tensor matrix_exp() const;
Tensor kron(const Tensor& other) const;
Tensor diagflat(int64_t offset = 0) const;
Tensor inner(const Tensor& other) const;
