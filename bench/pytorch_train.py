#!/usr/bin/env python3
"""PyTorch twin of `ember train` / `ember eval` timing (Debian's python3-torch, 2 threads),
and with --device cuda of build/bench/bench_train_cuda (PyTorch 2.x on a GPU).

CPU (the default): same small CNN, same SGD (lr 0.05, Nesterov momentum 0.9), same
Fashion-MNIST files. Prints the median time of a training step at batch 128 and the time
to evaluate the 10k test images under eval() + no_grad, so they can be compared with
bench_train.

CUDA (--device cuda): random data already on cuda:0 (seed 0). Reports the median of 200
training steps after 20 warm-up steps (host time, torch.cuda.synchronize() after each),
evaluating 10,000 images under eval() + no_grad in batches of 1000, per-layer forward and
forward+backward medians from CUDA events (the layers and names of bench_train_cuda's
BM_layer), and `ember mem`'s four modes at batch 256: torch.cuda.max_memory_allocated
after reset_peak_memory_stats, both minus the bytes allocated before the forward and
absolute. --channels-last and --cudnn-benchmark select a configuration; --sweep runs all
four, each in its own process; one that fails or outlasts --config-timeout is recorded as
{"failed": why} beside the others' results, and the exit status is then 1.

Usage: /usr/bin/python3 bench/pytorch_train.py [--data DIR] [--steps N] [--epochs E] [--json]
       python3 bench/pytorch_train.py --device cuda [--channels-last] [--cudnn-benchmark] [--json]
       python3 bench/pytorch_train.py --device cuda --sweep [--json]
"""
import argparse
import contextlib
import gc
import gzip
import json
import os
import statistics
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(f"{root}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{root}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    x = (x - 0.2860) / 0.3530
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    model.train()
    return correct / len(x)


# ---- CPU (Fashion-MNIST; twin of build/bench/bench_train) -----------------------------

def main_cpu(args):
    steps = args.steps if args.steps is not None else 50
    warmup = args.warmup if args.warmup is not None else 5
    torch.set_num_threads(2)
    torch.manual_seed(0)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    times = []
    for step in range(steps + warmup):
        idx = torch.randint(0, len(xtr), (128,))
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    result = {"device": "cpu", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
              "batch_size": 128, "train_step": {"median_ms": statistics.median(times) * 1e3, "steps": len(times),
                                                "warmup_steps": warmup}}
    if not args.json:
        print(f"pytorch train step (batch 128): median {statistics.median(times) * 1e3:.1f} ms over {len(times)} steps")
    t0 = time.perf_counter()
    acc = evaluate(model, xte, yte)
    eval_s = time.perf_counter() - t0
    result["eval_no_grad"] = {"images": len(xte), "batch_size": 1000, "seconds": eval_s, "accuracy": acc}
    if not args.json:
        print(f"pytorch eval of {len(xte)} test images under no_grad: {eval_s:.2f} s")
    result["epochs"] = []
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        acc = evaluate(model, xte, yte)
        result["epochs"].append({"epoch": epoch + 1, "test_accuracy": acc})
        if not args.json:
            print(f"epoch {epoch + 1}: test accuracy {acc:.4f}")
    if args.json:
        print(json.dumps(result, indent=2))


# ---- CUDA (run on a GPU; twin of build/bench/bench_train_cuda) ----------------------

BATCH = 128
MEM_MODES = ("train_grad", "eval_grad", "eval_no_grad", "eval_inference_mode")


# The per-layer cases, named as bench_train_cuda's BM_layer/<name>: the model's layers at
# their shapes at batch 128. Each returns (forward, tensors backward differentiates
# with respect to); those that require grad in the model require it here (the images
# entering the first convolution do not).
def layer_cases(dev, channels_last):
    def t(shape, grad, fill=None):
        x = torch.randn(*shape, device=dev) if fill is None else torch.full(shape, fill, device=dev)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x.requires_grad_(grad)

    def conv(cin, cout, hw, input_grad):
        x, w, b = t((BATCH, cin, hw, hw), input_grad), t((cout, cin, 3, 3), True), t((cout,), True)
        return (lambda: F.conv2d(x, w, b, 1, 1)), ([x, w, b] if input_grad else [w, b])

    def batch_norm(c, hw, training, dtype=torch.float32):  # bfloat16 x: float32 weight and statistics
        x = t((BATCH, c, hw, hw), False).to(dtype).requires_grad_()
        weight, bias = t((c,), True, 1.0), t((c,), True, 0.0)
        mean, var = t((c,), False, 0.0), t((c,), False, 1.0)
        return (lambda: F.batch_norm(x, mean, var, weight, bias, training, 0.1, 1e-5)), [x, weight, bias]

    def max_pool(c, hw):
        x = t((BATCH, c, hw, hw), True)
        return (lambda: F.max_pool2d(x, 2)), [x]

    def dropout(p, n):
        x = t((BATCH, n), True)
        return (lambda: F.dropout(x, p, True)), [x]

    def relu(c, hw):
        x = t((BATCH, c, hw, hw), True)
        return (lambda: F.relu(x)), [x]

    def linear(cin, cout):
        x, w, b = t((BATCH, cin), True), t((cout, cin), True), t((cout,), True)
        return (lambda: F.linear(x, w, b)), [x, w, b]

    return [
        ("conv2d_1to32_28x28", lambda: conv(1, 32, 28, False)),
        ("conv2d_32to64_14x14", lambda: conv(32, 64, 14, True)),
        ("batch_norm_train_32x28x28", lambda: batch_norm(32, 28, True)),
        ("batch_norm_eval_32x28x28", lambda: batch_norm(32, 28, False)),
        ("batch_norm_train_64x14x14", lambda: batch_norm(64, 14, True)),
        ("batch_norm_eval_64x14x14", lambda: batch_norm(64, 14, False)),
        ("batch_norm_train_bf16_32x28x28", lambda: batch_norm(32, 28, True, torch.bfloat16)),
        ("max_pool2d_32x28x28", lambda: max_pool(32, 28)),
        ("max_pool2d_64x14x14", lambda: max_pool(64, 14)),
        ("dropout_p0.25_3136", lambda: dropout(0.25, 64 * 7 * 7)),
        ("relu_32x28x28", lambda: relu(32, 28)),
        ("linear_3136to128", lambda: linear(64 * 7 * 7, 128)),
    ]


def cuda_event_ms(fn, inner=10, repeats=30):
    """Median over `repeats` of the GPU time per call of `fn`, from CUDA events around `inner` calls
    (the runtime benchmarks' timer, bench/pytorch_cuda.py)."""
    from pytorch_cuda import gpu_time_ms  # only on the CUDA path: the CPU path needs no events
    return gpu_time_ms(fn, inner=inner, repeats=repeats)


def cuda_host_ms(fn, warmup, repeats):
    """Host milliseconds of each of `repeats` calls of fn after `warmup` calls, the device
    synchronised after each (so a call's time includes its GPU work)."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def cuda_model(dev, channels_last):
    torch.manual_seed(0)
    model = small_cnn().to(dev)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def cuda_images(n, dev, channels_last):
    x = torch.randn(n, 1, 28, 28, device=dev)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, torch.randint(0, 10, (n,), device=dev)


def cuda_train_step(dev, channels_last, steps, warmup):
    """Host time of one SGD step (zero_grad, forward, loss, backward, step), synchronised after each."""
    model = cuda_model(dev, channels_last)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    x, y = cuda_images(BATCH, dev, channels_last)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    times = cuda_host_ms(step, warmup, steps)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "steps": steps, "warmup_steps": warmup}


def cuda_eval(dev, channels_last, runs=5):
    """10,000 random images under eval() + no_grad in batches of 1000 (evaluate() above)."""
    model = cuda_model(dev, channels_last)
    x, y = cuda_images(10000, dev, channels_last)
    times = cuda_host_ms(lambda: evaluate(model, x, y), 1, runs)
    return {"images": len(x), "batch_size": 1000, "median_ms": statistics.median(times), "runs": runs}


def cuda_layers(dev, channels_last):
    results = {}
    for name, make in layer_cases(dev, channels_last):
        torch.manual_seed(0)
        forward, inputs = make()
        with torch.no_grad():
            grad_out = torch.randn_like(forward())

        def fwd_bwd():
            torch.autograd.grad(forward(), inputs, grad_out)

        results[name] = {"fwd_ms": cuda_event_ms(forward), "fwd_bwd_ms": cuda_event_ms(fwd_bwd)}
    return results


def cuda_memory(dev, channels_last, batch):
    """`ember mem`'s four modes: one forward (model(x) + cross_entropy, as ember mem) each,
    model and input resident, after reset_peak_memory_stats; backward too where grad is on."""
    gc.collect()
    model = cuda_model(dev, channels_last)
    x, y = cuda_images(batch, dev, channels_last)
    # One training forward+backward first, so one-time allocations (cuBLAS workspace,
    # cuDNN autotuning) land in allocated_before_bytes rather than in the peaks.
    model.train()
    F.cross_entropy(model(x), y).backward()
    model.zero_grad(set_to_none=True)
    results = {}
    for mode in MEM_MODES:
        model.train(mode == "train_grad")
        model.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        if mode == "eval_no_grad":
            ctx = torch.no_grad()
        elif mode == "eval_inference_mode":
            ctx = torch.inference_mode()
        else:
            ctx = contextlib.nullcontext()
        with ctx:
            loss = F.cross_entropy(model(x), y)
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated(dev)
        r = {"allocated_before_bytes": before,
             "forward_peak_minus_before_bytes": peak - before,
             "forward_peak_absolute_bytes": peak}
        if mode in ("train_grad", "eval_grad"):
            loss.backward()
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated(dev)
            r["forward_backward_peak_minus_before_bytes"] = peak - before
            r["forward_backward_peak_absolute_bytes"] = peak
        del loss
        model.zero_grad(set_to_none=True)
        results[mode] = r
    return {"batch_size": batch,
            "definitions": {"allocated_before_bytes": "torch.cuda.memory_allocated() before the forward (model, "
                                                      "input, targets, cuBLAS workspace)",
                            "*_peak_minus_before_bytes": "torch.cuda.max_memory_allocated() - allocated_before_bytes",
                            "*_peak_absolute_bytes": "torch.cuda.max_memory_allocated()",
                            "forward": "model(x) + cross_entropy, as `ember mem`"},
            "modes": results}


def tf32_settings():
    """The TF32 settings in force (defaults: on for cuDNN convolutions, off for matmul)."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # PyTorch >= 2.9: the legacy flags warn
        return {"cudnn_conv_fp32_precision": conv.fp32_precision,
                "matmul_fp32_precision": torch.backends.cuda.matmul.fp32_precision}
    return {"cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32}


def run_cuda_config(args):
    dev = torch.device("cuda", 0)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    steps = args.steps if args.steps is not None else 200
    warmup = args.warmup if args.warmup is not None else 20
    return {
        "device": torch.cuda.get_device_name(dev),
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "cudnn_version": torch.backends.cudnn.version(),
        "tf32": tf32_settings(),
        "channels_last": args.channels_last,
        "cudnn_benchmark": args.cudnn_benchmark,
        "batch_size": BATCH,
        "train_step": cuda_train_step(dev, args.channels_last, steps, warmup),
        "eval_no_grad": cuda_eval(dev, args.channels_last),
        "layers": cuda_layers(dev, args.channels_last),
        "memory": cuda_memory(dev, args.channels_last, args.mem_batch),
    }


def mib(nbytes):
    return f"{nbytes / 2 ** 20:.2f} MiB"


def print_cuda_config(r):
    tf32 = ", ".join(f"{k}={v}" for k, v in r["tf32"].items())
    print(f"pytorch {r['torch_version']} on {r['device']} (CUDA {r['cuda_version']}, cuDNN {r['cudnn_version']}, "
          f"{tf32}): channels_last={int(r['channels_last'])} "
          f"cudnn.benchmark={int(r['cudnn_benchmark'])}")
    s = r["train_step"]
    print(f"  train step (batch {r['batch_size']}): median {s['median_ms']:.3f} ms, min {s['min_ms']:.3f} ms "
          f"over {s['steps']} steps after {s['warmup_steps']} warm-up")
    e = r["eval_no_grad"]
    print(f"  eval of {e['images']} images under no_grad (batches of {e['batch_size']}): "
          f"median {e['median_ms']:.2f} ms over {e['runs']} runs")
    print(f"  {'layer (CUDA events, median)':<30} {'fwd ms':>10} {'fwd+bwd ms':>11}")
    for name, l in r["layers"].items():
        print(f"  {name:<30} {l['fwd_ms']:>10.4f} {l['fwd_bwd_ms']:>11.4f}")
    m = r["memory"]
    print(f"  memory at batch {m['batch_size']} (forward = model(x) + cross_entropy; 'above' = "
          f"max_memory_allocated - memory_allocated before, 'abs' = max_memory_allocated):")
    print(f"  {'mode':<20} {'before':>12} {'fwd above':>12} {'fwd abs':>12} {'fwd+bwd above':>14} {'fwd+bwd abs':>12}")
    for mode, v in m["modes"].items():
        fb = v.get("forward_backward_peak_minus_before_bytes")
        fba = v.get("forward_backward_peak_absolute_bytes")
        print(f"  {mode:<20} {mib(v['allocated_before_bytes']):>12} {mib(v['forward_peak_minus_before_bytes']):>12} "
              f"{mib(v['forward_peak_absolute_bytes']):>12} {mib(fb) if fb is not None else '-':>14} "
              f"{mib(fba) if fba is not None else '-':>12}")


def main_cuda(args):
    if not args.sweep:
        r = run_cuda_config(args)
        if args.json:
            print(json.dumps(r, indent=2))
        else:
            print_cuda_config(r)
        return
    # One process per combination: PyTorch caches the cuDNN plans it picks per shape for
    # the whole process (one configuration could inherit another's), and each memory
    # measurement starts from a fresh allocator. A configuration that fails or outlasts
    # --config-timeout is recorded as such ("failed"), and the others still run and report.
    runs = []
    for channels_last in (False, True):
        for cudnn_benchmark in (False, True):
            cmd = [sys.executable, os.path.abspath(__file__), "--device", "cuda", "--json",
                   "--mem-batch", str(args.mem_batch)]
            if args.steps is not None:
                cmd += ["--steps", str(args.steps)]
            if args.warmup is not None:
                cmd += ["--warmup", str(args.warmup)]
            if channels_last:
                cmd.append("--channels-last")
            if cudnn_benchmark:
                cmd.append("--cudnn-benchmark")
            runs.append(run_sweep_config(cmd, channels_last, cudnn_benchmark, args.config_timeout))
            # One line per configuration on stderr: kept in the log if the run is stopped later.
            brief = ("channels_last", "cudnn_benchmark", "train_step", "failed")
            print(json.dumps({k: v for k, v in runs[-1].items() if k in brief}), file=sys.stderr, flush=True)
    failed = [r for r in runs if "failed" in r]
    if args.json:
        print(json.dumps({"sweep": runs}, indent=2))
    else:
        for r in runs:
            if "failed" in r:
                print(f"channels_last={int(r['channels_last'])} cudnn.benchmark={int(r['cudnn_benchmark'])}: "
                      f"failed: {r['failed']}")
            else:
                print_cuda_config(r)
            print()
        print(f"{'channels_last':>13} {'cudnn.benchmark':>15} {'step median ms':>15} {'eval 10k ms':>12}")
        for r in runs:
            if "failed" in r:
                print(f"{int(r['channels_last']):>13} {int(r['cudnn_benchmark']):>15} {'failed':>15} {'-':>12}")
            else:
                print(f"{int(r['channels_last']):>13} {int(r['cudnn_benchmark']):>15} "
                      f"{r['train_step']['median_ms']:>15.3f} {r['eval_no_grad']['median_ms']:>12.2f}")
    if failed:
        sys.exit(f"pytorch_train: {len(failed)} of {len(runs)} configurations failed")


def run_sweep_config(cmd, channels_last, cudnn_benchmark, timeout_s):
    """One --sweep configuration in its own process: its JSON, or {"failed": why}. The
    child's stderr is passed on (after it ends) so that its traceback stays in the log."""
    who = {"channels_last": channels_last, "cudnn_benchmark": cudnn_benchmark}
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        sys.stderr.write(e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or ""))
        return who | {"failed": f"did not finish within {timeout_s} s"}
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [""])[-1]
        return who | {"failed": f"exit {proc.returncode}: {last[:300]}"}
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        return who | {"failed": f"its output is not JSON ({e})"}


# ---- command line ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=None, help="timed training steps (default: 50 on cpu, 200 on cuda)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up steps (default: 5 on cpu, 20 on cuda)")
    ap.add_argument("--epochs", type=int, default=0, help="also train this many full epochs (cpu)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--channels-last", action="store_true", help="cuda: model and inputs in channels_last")
    ap.add_argument("--cudnn-benchmark", action="store_true", help="cuda: torch.backends.cudnn.benchmark = True")
    ap.add_argument("--sweep", action="store_true",
                    help="cuda: all four channels_last x cudnn.benchmark combinations, one process each")
    ap.add_argument("--mem-batch", type=int, default=256, help="cuda: batch size of the memory measurement")
    ap.add_argument("--config-timeout", type=int, default=90,
                    help="cuda --sweep: seconds one configuration may take before it is recorded as failed")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout instead of text")
    args = ap.parse_args()
    if args.device == "cuda":
        if args.epochs:
            ap.error("--epochs is for --device cpu")
        return main_cuda(args)
    if args.channels_last or args.cudnn_benchmark or args.sweep:
        ap.error("--channels-last, --cudnn-benchmark and --sweep need --device cuda")
    main_cpu(args)


if __name__ == "__main__":
    main()
