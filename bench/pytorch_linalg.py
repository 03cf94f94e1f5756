#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_linalg (Debian's python3-torch, 2 threads), forward +
backward, float64: svd of [64, 64], eigh of a symmetric [128, 128], qr of [256, 64], lstsq of
[512, 32] by [512, 4] (driver gelsd), solve_triangular of [256, 256] by [256, 16],
matrix_exp of [64, 64] and cholesky of x x^T + 256 I for [256, 256], with the same losses as
the C++ cases.
Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_linalg.py [--steps N] [--json]
"""
import torch

from twin_timing import run_twin

D = torch.float64


def case(make, loss):
    def make_step():
        torch.manual_seed(0)
        x = make().requires_grad_(True)

        def step():
            x.grad = None
            loss(x).backward()
            return x.grad
        return step
    return make_step


def svd_loss(x):
    U, S, Vh = torch.linalg.svd(x, full_matrices=False)
    return S.sum() + (U * U).sum() * 0.5 + (Vh * Vh).sum() * 0.25


def eigh_loss(x):
    L, V = torch.linalg.eigh(x + x.t())
    return L.sum() + (V * V)[0].sum()


def qr_loss(x):
    Q, R = torch.linalg.qr(x)
    return Q.sum() + R.sum()


def rhs(rows, cols):
    torch.manual_seed(1)
    return torch.randn(rows, cols, dtype=D)


def main():
    B_lstsq, B_triangular = rhs(512, 4), rhs(256, 16)
    run_twin({
        "svd_64_forward_backward_ms": case(lambda: torch.randn(64, 64, dtype=D), svd_loss),
        "eigh_128_forward_backward_ms": case(lambda: torch.randn(128, 128, dtype=D), eigh_loss),
        "qr_256x64_forward_backward_ms": case(lambda: torch.randn(256, 64, dtype=D), qr_loss),
        "lstsq_512x32_forward_backward_ms": case(
            lambda: torch.randn(512, 32, dtype=D),
            lambda x: torch.linalg.lstsq(x, B_lstsq, driver="gelsd").solution.sum()),
        "solve_triangular_256_forward_backward_ms": case(
            lambda: torch.randn(256, 256, dtype=D) + torch.eye(256, dtype=D) * 16.0,
            lambda x: torch.linalg.solve_triangular(x, B_triangular, upper=True).sum()),
        "matrix_exp_64_forward_backward_ms": case(
            lambda: torch.randn(64, 64, dtype=D) * 0.125, lambda x: torch.linalg.matrix_exp(x).sum()),
        "cholesky_256_forward_backward_ms": case(
            lambda: torch.randn(256, 256, dtype=D),
            lambda x: torch.linalg.cholesky(x @ x.T + torch.eye(256, dtype=D) * 256.0).sum()),
    }, default_steps=30)


if __name__ == "__main__":
    main()
