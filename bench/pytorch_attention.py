#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_attention (Debian's python3-torch, 2 threads):
nn.MultiheadAttention(128, 4, batch_first=True) self-attention of 32 sequences of 64 tokens,
forward under no_grad (need_weights=False), forward with the averaged weights, and forward +
backward without weights. Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_attention.py [--steps N] [--json]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


def median_ms(fn, steps, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def setup():
    torch.manual_seed(0)
    return nn.MultiheadAttention(128, 4, batch_first=True), torch.randn(32, 64, 128)


def forward_no_grad():
    mha, x = setup()

    def step():
        with torch.no_grad():
            return mha(x, x, x, need_weights=False)[0]
    return step


def forward_with_weights():
    mha, x = setup()

    def step():
        with torch.no_grad():
            return mha(x, x, x)[1]
    return step


def forward_backward():
    mha, x = setup()
    x.requires_grad_(True)

    def step():
        mha.zero_grad(set_to_none=True)
        x.grad = None
        mha(x, x, x, need_weights=False)[0].sum().backward()
        return x.grad
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(),
               "mha_forward_no_grad_ms": median_ms(forward_no_grad(), args.steps),
               "mha_forward_with_weights_ms": median_ms(forward_with_weights(), args.steps),
               "mha_forward_backward_ms": median_ms(forward_backward(), args.steps)}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
