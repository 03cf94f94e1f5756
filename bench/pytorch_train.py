#!/usr/bin/env python3
"""PyTorch twin of `ember train` / `ember eval` timing (Debian's python3-torch, 2 threads).

Same small CNN, same SGD (lr 0.05, Nesterov momentum 0.9), same Fashion-MNIST files.
Prints the median time of a training step at batch 128 and the time to evaluate the
10k test images under eval() + no_grad, so they can be compared with bench_train.
Usage: /usr/bin/python3 bench/pytorch_train.py [--data DIR] [--steps N] [--epochs E]
"""
import argparse
import gzip
import statistics
import struct
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=0, help="also train this many full epochs")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    times = []
    for step in range(args.steps + 5):
        idx = torch.randint(0, len(xtr), (128,))
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
        opt.step()
        if step >= 5:
            times.append(time.perf_counter() - t0)
    print(f"pytorch train step (batch 128): median {statistics.median(times) * 1e3:.1f} ms over {len(times)} steps")
    t0 = time.perf_counter()
    acc = evaluate(model, xte, yte)
    print(f"pytorch eval of {len(xte)} test images under no_grad: {time.perf_counter() - t0:.2f} s")
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        print(f"epoch {epoch + 1}: test accuracy {evaluate(model, xte, yte):.4f}")


if __name__ == "__main__":
    main()
