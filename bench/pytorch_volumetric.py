#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_volumetric (Debian's python3-torch, 2 threads): one
training step of the same small volumetric CNN at batch 8 of 16 x 32 x 32 volumes (SGD with
momentum), conv3d forward (and backward), and max_pool3d forward and backward.
Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_volumetric.py [--steps N] [--json]
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from twin_timing import run_twin


def cnn_step():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv3d(1, 16, 3, padding=1), nn.BatchNorm3d(16), nn.ReLU(), nn.MaxPool3d(2),
                        nn.Conv3d(16, 32, 3, padding=1), nn.BatchNorm3d(32), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
                        nn.Flatten(), nn.Linear(32, 10))
    sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(8, 1, 16, 32, 32), torch.randint(0, 10, (8,))

    def step():
        sgd.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        sgd.step()
        return loss.item()
    return step


def conv3d(backward):
    torch.manual_seed(0)
    x = torch.randn(8, 16, 8, 16, 16).requires_grad_(True)
    w = (torch.randn(32, 16, 3, 3, 3) * 0.05).requires_grad_(True)

    def step():
        out = F.conv3d(x, w, None, 1, 1)
        if backward:
            out.sum().backward()
        return out
    return step


def max_pool3d():
    torch.manual_seed(0)
    x = torch.randn(8, 16, 16, 32, 32).requires_grad_(True)

    def step():
        out = F.max_pool3d(x, 2)
        out.sum().backward()
        return out
    return step


def main():
    run_twin({
        "volumetric_cnn_step_batch8_ms": cnn_step,
        "conv3d_forward_ms": lambda: conv3d(False),
        "conv3d_forward_backward_ms": lambda: conv3d(True),
        "max_pool3d_forward_backward_ms": max_pool3d,
    }, default_steps=20)


if __name__ == "__main__":
    main()
