#!/usr/bin/env python3
"""PyTorch twin of bench_train_cuda's BM_epoch (issue 14): one training epoch of the small
CNN on 60,000 random images resident on cuda:0, shuffled there each epoch, batch 128 (468
full batches; the last 96 images dropped), SGD (lr 0.05, Nesterov momentum 0.9). Modes, each in its own process
(fresh allocator and cuDNN plan cache):
  eager       forward, loss, backward, step as written
  graph       the whole step captured once with torch.cuda.graph (PyTorch's whole-network
              capture recipe: warm-up on a side stream, static input buffers, replay)
  graph_bf16  the same with forward and loss under torch.autocast("cuda", torch.bfloat16)
  eager_fp16  eager, forward and loss under torch.autocast("cuda", torch.float16), with
              torch.cuda.amp.GradScaler (PyTorch's fp16 recipe; ember train --amp-dtype float16)
  compile     torch.compile(model, mode="max-autotune") eagerly stepped: opt-in (--compile,
              or --mode compile): it can compile for minutes (skipped with the reason
              when it fails there, e.g. no Triton)
Prints the median and minimum epoch time over 5 epochs after 1 warm-up epoch (host time,
torch.cuda.synchronize() at the end of each); --json prints them as JSON.

Usage: python3 bench/pytorch_epoch.py [--json] [--compile] [--mode MODE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_train import cuda_host_ms, small_cnn  # noqa: E402  (the same model as ember's small CNN)

BATCH = 128
IMAGES = 60000
EPOCHS = 5
MODES = ("eager", "graph", "graph_bf16", "eager_fp16")  # run by default
OPT_IN_MODES = ("compile",)  # with --compile


def run_mode(mode):
    dev = torch.device("cuda", 0)
    torch.manual_seed(0)
    model = small_cnn().to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    images = torch.randn(IMAGES, 1, 28, 28, device=dev)
    labels = torch.randint(0, 10, (IMAGES,), device=dev)
    starts = range(0, IMAGES - BATCH + 1, BATCH)
    forward = torch.compile(model, mode="max-autotune") if mode == "compile" else model
    bf16 = mode == "graph_bf16"
    fp16 = mode == "eager_fp16"
    scaler = torch.cuda.amp.GradScaler(enabled=fp16)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16 if fp16 else torch.bfloat16, enabled=bf16 or fp16):
            loss = F.cross_entropy(forward(x), y)
        scaler.scale(loss).backward()  # the loss itself when disabled
        scaler.step(opt)
        scaler.update()

    if mode in ("graph", "graph_bf16"):
        static_x, static_y = images[:BATCH].clone(), labels[:BATCH].clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step(static_x, static_y)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            step(static_x, static_y)

        def run_batch(x, y):
            static_x.copy_(x)
            static_y.copy_(y)
            graph.replay()
    else:
        run_batch = step

    def epoch():  # shuffled on the device, as a training epoch is (and as ember's twin does)
        perm = torch.randperm(IMAGES, device=dev)
        xs, ys = images[perm], labels[perm]
        for i in starts:
            run_batch(xs[i:i + BATCH], ys[i:i + BATCH])

    times = [ms / 1e3 for ms in cuda_host_ms(epoch, 1, EPOCHS)]  # one warm-up epoch (and compilation)
    return {"mode": mode, "median_s": statistics.median(times), "min_s": min(times), "epochs": EPOCHS,
            "batches": len(starts), "torch_version": torch.__version__,
            "device": torch.cuda.get_device_name(dev)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES + OPT_IN_MODES,
                    help="one mode in this process (default: each of eager, graph, graph_bf16, eager_fp16 in its own)")
    ap.add_argument("--compile", action="store_true",
                    help="also torch.compile(mode='max-autotune'), which compiles for minutes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode)))
        return
    results = []
    for mode in MODES + (OPT_IN_MODES if args.compile else ()):
        try:  # max-autotune compiles for minutes on some hosts: bounded, so one mode cannot eat the run
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--mode", mode],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=120 if mode == "compile" else 60)
        except subprocess.TimeoutExpired as e:
            results.append({"mode": mode, "skipped": f"did not finish within {e.timeout} s"})
            continue
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
            results.append({"mode": mode, "skipped": reason[:300]})
        else:
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # kept if the run is stopped later
    if args.json:
        print(json.dumps({"epochs": results}, indent=2))
        return
    eager = next((r["median_s"] for r in results if r["mode"] == "eager" and "median_s" in r), None)
    for r in results:
        if "median_s" not in r:
            print(f"  {r['mode']:<11} skipped: {r['skipped']}")
            continue
        ratio = f"  ({r['median_s'] / eager:.2f}x eager)" if eager else ""
        print(f"  {r['mode']:<11} epoch median {r['median_s'] * 1e3:8.1f} ms, min {r['min_s'] * 1e3:8.1f} ms{ratio}")


if __name__ == "__main__":
    main()
