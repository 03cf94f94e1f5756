#!/usr/bin/env python3
"""Checks that an `ember train --save` checkpoint is a real safetensors file for PyTorch:
loads it with the safetensors library, builds the same small CNN in torch.nn, loads the
model.* tensors with strict=True, and evaluates the Fashion-MNIST test images (the IDX
.gz files in DATA_DIR). Prints the keys' count, the optimizer's state count and the test
accuracy, which must match `ember eval --load CKPT` for the same data.

usage: check_safetensors_interop.py CKPT DATA_DIR"""
import gzip
import struct
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def small_cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def main():
    ckpt, data_dir = sys.argv[1], sys.argv[2]
    tensors = load_file(ckpt)
    with safe_open(ckpt, framework="pt") as f:
        metadata = f.metadata()
    model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    optim_state = [k for k in tensors if k.startswith("optim.")]
    model = small_cnn()
    model.load_state_dict(model_state, strict=True)
    model.eval()
    # ember's FashionMNIST normalisation: (x / 255 - 0.2860) / 0.3530
    images = read_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").float().div(255.0).sub(0.2860).div(0.3530).unsqueeze(1)
    labels = read_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz").long()
    with torch.no_grad():
        correct = sum((model(images[i:i + 1000]).argmax(1) == labels[i:i + 1000]).sum().item()
                      for i in range(0, len(images), 1000))
    print(f"safetensors: {len(model_state)} model tensors, {len(optim_state)} optimizer tensors, "
          f"metadata {metadata}")
    print(f"pytorch test accuracy of the ember checkpoint: {correct / len(images):.4f}")


if __name__ == "__main__":
    main()
