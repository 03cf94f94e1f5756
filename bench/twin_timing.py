"""What the CPU PyTorch twins in bench/ share (Debian's python3-torch, 2 threads): the median
time of a step after warm-up, and the run's report, one "name: ms" line per case or --json.
A twin calls run_twin({"case_ms": make_step, ...}); each make_step() returns the step to time.
"""
import argparse
import json
import statistics
import time

import torch


def median_ms(fn, steps, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def run_twin(cases, default_steps=20):
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=default_steps)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    results = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, make_step in cases.items():
        try:
            results[name] = median_ms(make_step(), args.steps)
        except RuntimeError as e:  # an op this torch lacks for the case's dtype
            results[name] = "unsupported: " + str(e).splitlines()[0]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
