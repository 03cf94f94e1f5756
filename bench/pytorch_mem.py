#!/usr/bin/env python3
"""PyTorch twin of `ember mem`'s per-layer saved bytes: what PyTorch's autograd keeps
for backward after one forward of the small CNN, by layer, measured with
torch.autograd.graph.saved_tensors_hooks (each saved tensor's storage counted once,
for the first layer that saves it, as ember's ledger counts; the loss is not a layer).

Prints one JSON object: {"torch": version, "device", "batch_size", "modes": {"train_grad":
{"total": bytes, "layers": {"0": bytes, ...}}, "eval_grad": {...}}}. With --check
EMBER_JSON (the file of `ember mem --json`), compares the measured bytes with ember's
"pytorch_saved_bytes" (PyTorch's save rules written down in tools/pytorch_saved.cpp)
layer by layer and exits 1 on any difference.

--dtype bfloat16 / float16 casts the model and input as `ember mem --dtype` does (PyTorch's
module.to(dtype); PyTorch 1.13 has no float16 convolution on the CPU).

Usage: /usr/bin/python3 bench/pytorch_mem.py [--batch-size 256] [--device cpu] [--dtype float32]
       [--check FILE]
"""
import argparse
import json
import sys

import torch

from pytorch_train import small_cnn  # the same model as the training twin


def storage_of(t):
    s = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage().untyped()
    return s.data_ptr(), s.nbytes()


def measure(model, x, training):
    model.train(training)
    layers = {}
    seen = set()
    current = [None]
    keep = []  # the saved tensors stay alive until the graph is dropped

    def pack(t):
        ptr, nbytes = storage_of(t)
        if current[0] is not None and (ptr, t.device) not in seen and nbytes > 0:
            seen.add((ptr, t.device))
            layers[current[0]] = layers.get(current[0], 0) + nbytes
        keep.append(t)
        return t

    hooks = []
    for name, child in model.named_children():
        layers[name] = 0
        hooks.append(child.register_forward_pre_hook(lambda m, i, name=name: current.__setitem__(0, name)))
        hooks.append(child.register_forward_hook(lambda m, i, o: current.__setitem__(0, None)))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    for h in hooks:
        h.remove()
    del out, keep
    return {"total": sum(layers.values()), "layers": layers}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--check", help="ember mem --json file to compare with")
    args = ap.parse_args()
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    model = small_cnn().to(args.device, dtype)
    for p in model.parameters():
        p.requires_grad_(True)
    x = torch.randn(args.batch_size, 1, 28, 28, device=args.device).to(dtype)
    result = {"torch": torch.__version__, "device": args.device, "dtype": args.dtype, "batch_size": args.batch_size,
              "modes": {m: measure(model, x, m == "train_grad") for m in ("train_grad", "eval_grad")}}
    print(json.dumps(result, indent=1))
    if not args.check:
        return 0
    with open(args.check) as f:
        ember = json.load(f)
    bad = 0
    if ember.get("dtype", "float32") != args.dtype:
        print(f"ember measured {ember.get('dtype', 'float32')}, this run {args.dtype}", file=sys.stderr)
        bad += 1
    for run in ember["runs"]:
        if run["mode"] not in result["modes"] or run["batch_size"] != args.batch_size:
            continue
        measured = result["modes"][run["mode"]]
        for name, entry in run["modules"].items():
            want, got = measured["layers"].get(name, 0), entry.get("pytorch_saved_bytes", 0)
            if want != got:
                print(f"{run['mode']} layer {name}: PyTorch keeps {want} bytes, ember's rules say {got}",
                      file=sys.stderr)
                bad += 1
        if measured["total"] != run["pytorch_saved_bytes"]:
            print(f"{run['mode']}: PyTorch keeps {measured['total']} bytes in all, ember's rules say "
                  f"{run['pytorch_saved_bytes']}", file=sys.stderr)
            bad += 1
    print(f"pytorch_mem check: {bad} differences", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
