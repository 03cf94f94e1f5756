#!/usr/bin/env python3
"""PyTorch twin of `ember mem`'s per-layer saved bytes: what PyTorch's autograd keeps
for backward after one forward of the small CNN, by layer, measured with
torch.autograd.graph.saved_tensors_hooks (each saved tensor's storage counted once,
for the first layer that saves it, as ember's ledger counts; the loss is not a layer).

Prints one JSON object: {"torch": version, "device", "batch_size", "modes": {"train_grad":
{"total": bytes, "layers": {"0": bytes, ...}}, "eval_grad": {...}}}. With --check
EMBER_JSON (the file of `ember mem --json`), compares the measured bytes with ember's
"pytorch_saved_bytes" (PyTorch's save rules written down in tools/pytorch_saved.cpp)
layer by layer and exits 1 on any difference. With --peaks (CUDA only), also "peaks": for
each of ember mem's four modes, torch.cuda.max_memory_allocated over the forward and loss and
over forward + backward, less what was allocated before (the twin of ember mem's "peak (fwd)"
and "peak (fwd+bwd)" columns, Note [Measuring the modes] in nn/memory_modes.h).

Usage: /usr/bin/python3 bench/pytorch_mem.py [--batch-size 256] [--device cpu] [--check FILE] [--peaks]
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


def peaks(model, x, y):
    """Each mode as ember mem runs it: a warm-up step first (cuDNN's plans and workspace), the
    cache emptied and the gradients set to none before each mode."""
    import torch.nn.functional as F
    model.train()
    F.cross_entropy(model(x), y).backward()
    torch.cuda.synchronize()
    modes = {"train_grad": (True, None), "eval_grad": (False, None),
             "eval_no_grad": (False, torch.no_grad), "eval_inference_mode": (False, torch.inference_mode)}
    out = {}
    for name, (training, guard) in modes.items():
        model.zero_grad(set_to_none=True)
        model.train(training)
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        if guard is None:
            loss = F.cross_entropy(model(x), y)
            torch.cuda.synchronize()
            fwd = torch.cuda.max_memory_allocated() - base
            loss.backward()
            torch.cuda.synchronize()
            both = torch.cuda.max_memory_allocated() - base
            del loss
        else:
            with guard():
                loss = F.cross_entropy(model(x), y)
            torch.cuda.synchronize()
            fwd, both = torch.cuda.max_memory_allocated() - base, None
            del loss
        out[name] = {"forward_peak_bytes": fwd, "forward_backward_peak_bytes": both}
    model.zero_grad(set_to_none=True)
    model.train()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--check", help="ember mem --json file to compare with")
    ap.add_argument("--peaks", action="store_true", help="the allocator's peaks in the four modes (CUDA)")
    args = ap.parse_args()
    torch.manual_seed(0)
    model = small_cnn().to(args.device)
    for p in model.parameters():
        p.requires_grad_(True)
    x = torch.randn(args.batch_size, 1, 28, 28, device=args.device)
    result = {"torch": torch.__version__, "device": args.device, "batch_size": args.batch_size,
              "modes": {m: measure(model, x, m == "train_grad") for m in ("train_grad", "eval_grad")}}
    if args.peaks:
        y = torch.randint(0, 10, (args.batch_size,), device=args.device)
        result["peaks"] = peaks(model, x, y)
    print(json.dumps(result, indent=1))
    if not args.check:
        return 0
    with open(args.check) as f:
        ember = json.load(f)
    bad = 0
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
