#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_layers_more (Debian's python3-torch, 2 threads), forward +
backward: fractional_max_pool2d (kernel 2, ratio 1/sqrt(2), on [32, 16, 32, 32]),
multilabel_margin_loss ([128, 50] scores, 5 classes listed per row) and
AdaptiveLogSoftmaxWithLoss (128 rows of 64 features over 2000 classes, cutoffs 100 and 1000).
Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_layers_more.py [--steps N] [--json]
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from twin_timing import run_twin


def fractional_max_pool2d():
    torch.manual_seed(0)
    x = torch.randn(32, 16, 32, 32, requires_grad=True)
    ratio = 1.0 / math.sqrt(2.0)

    def step():
        x.grad = None
        F.fractional_max_pool2d(x, 2, output_ratio=ratio).sum().backward()
        return x.grad
    return step


def multilabel_margin_loss():
    torch.manual_seed(0)
    x = torch.randn(128, 50, requires_grad=True)
    order = torch.argsort(torch.rand(128, 50), 1)
    target = torch.where(torch.arange(50).unsqueeze(0) < 5, order, -1)

    def step():
        x.grad = None
        F.multilabel_margin_loss(x, target).backward()
        return x.grad
    return step


def adaptive_log_softmax():
    torch.manual_seed(0)
    asm = nn.AdaptiveLogSoftmaxWithLoss(64, 2000, [100, 1000])
    x = torch.randn(128, 64, requires_grad=True)
    target = (torch.rand(128) ** 4 * 2000).floor().long()

    def step():
        asm.zero_grad(set_to_none=True)
        x.grad = None
        asm(x, target).loss.backward()
        return x.grad
    return step


def main():
    run_twin({
        "fractional_max_pool2d_forward_backward_ms": fractional_max_pool2d,
        "multilabel_margin_loss_forward_backward_ms": multilabel_margin_loss,
        "adaptive_log_softmax_forward_backward_ms": adaptive_log_softmax,
    }, default_steps=30)


if __name__ == "__main__":
    main()
