#!/usr/bin/env python3
"""Checks that an `ember train --save` checkpoint is a real safetensors file for PyTorch:
loads it with the safetensors library, builds the same small CNN in torch.nn (the
PyTorch twin's, bench/pytorch_train.py), loads the model.* tensors with strict=True and
evaluates the Fashion-MNIST test images in DATA_DIR. The accuracy must match
`ember eval --load CKPT --data DATA_DIR`.

usage: check_safetensors_interop.py CKPT DATA_DIR"""
import pathlib
import sys

from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "bench"))
from pytorch_train import evaluate, load, small_cnn  # noqa: E402


def main():
    ckpt, data_dir = sys.argv[1], sys.argv[2]
    tensors = load_file(ckpt)
    with safe_open(ckpt, framework="pt") as f:
        metadata = f.metadata()
    model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    optim_state = [k for k in tensors if k.startswith("optim.")]
    model = small_cnn()
    model.load_state_dict(model_state, strict=True)
    x, y = load(data_dir, "test")
    print(f"safetensors: {len(model_state)} model tensors, {len(optim_state)} optimizer tensors, "
          f"metadata {metadata}")
    print(f"pytorch test accuracy of the ember checkpoint: {evaluate(model, x, y):.4f}")


if __name__ == "__main__":
    main()
