#!/usr/bin/env python3
"""PyTorch twin of bench/bench_cuda.cpp (run on a GPU): add of 64M floats vs a
device-to-device copy, caching allocator alloc+free vs raw cudaMalloc (through
torch.cuda.caching_allocator bypass is not public, so only the cached path), host
cost of a 1-element op, matmul 4096^3 (with and without TF32), scatter_add / index_add
with and without deterministic algorithms, and F.ctc_loss forward + backward. Medians of runs."""
import statistics
import time

import torch


def gpu_time_ms(fn, inner=10, repeats=15):
    fn()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(repeats):
        start.record()
        for _ in range(inner):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / inner)
    return statistics.median(times)


def host_time_us(fn, n=20000, repeats=5):
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(n):
            fn()
            if i % 4096 == 4095:
                torch.cuda.synchronize()
        t1 = time.perf_counter()
        times.append((t1 - t0) / n * 1e6)
    torch.cuda.synchronize()
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    n = 64 << 20
    a = torch.ones(n, device=dev)
    b = torch.ones(n, device=dev)
    add_ms = gpu_time_ms(lambda: a + b)
    out = torch.empty_like(a)
    copy_ms = gpu_time_ms(lambda: out.copy_(a))
    print(f"pytorch add 64M floats: {add_ms * 1e3:.1f} us, {3 * 4 * n / add_ms / 1e6:.1f} GB/s")
    print(f"pytorch d2d copy 64M floats: {copy_ms * 1e3:.1f} us, {2 * 4 * n / copy_ms / 1e6:.1f} GB/s")
    print(f"pytorch add / copy bandwidth: {(3 * 4 * n / add_ms) / (2 * 4 * n / copy_ms):.3f}")

    def alloc_free():
        t = torch.empty(1 << 18, device=dev)  # 1 MiB
        del t
    print(f"pytorch caching alloc+free 1 MiB (host): {host_time_us(alloc_free):.3f} us")

    x = torch.ones(1, device=dev)
    y = torch.ones(1, device=dev)
    print(f"pytorch 1-element add launch (host): {host_time_us(lambda: x + y):.3f} us")

    m = 4096
    ma = torch.randn(m, m, device=dev)
    mb = torch.randn(m, m, device=dev)
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ms = gpu_time_ms(lambda: ma @ mb, inner=5, repeats=9)
        print(f"pytorch matmul 4096^3 tf32={int(tf32)}: {ms:.3f} ms, {2 * m ** 3 / ms / 1e9:.1f} TFLOP/s")

    # BM_ScatterAdd4M and BM_IndexAddRows, with and without deterministic algorithms.
    self_s = torch.zeros(1 << 16, 4, device=dev)
    src = torch.randn(1 << 20, 4, device=dev)
    index = torch.randint(0, 1 << 16, (1 << 20, 4), device=dev)
    self_i = torch.zeros(4096, 256, device=dev)
    source = torch.randn(1 << 16, 256, device=dev)
    rows = torch.randint(0, 4096, (1 << 16,), device=dev)
    for deterministic in (False, True):
        torch.use_deterministic_algorithms(deterministic)
        for name, fn in (("scatter_add 4M", lambda: self_s.scatter_add(0, index, src)),
                         ("index_add 64Ki rows", lambda: self_i.index_add(0, rows, source))):
            try:
                ms = gpu_time_ms(fn, inner=5, repeats=9)
                print(f"pytorch {name} deterministic={int(deterministic)}: {ms * 1e3:.1f} us")
            except RuntimeError as e:
                print(f"pytorch {name} deterministic={int(deterministic)}: refused ({str(e).splitlines()[0]})")
    torch.use_deterministic_algorithms(False)

    # BM_CtcLoss: through log_softmax, forward and backward, [T, 16, 20], lengths and targets on the host.
    for frames in (50, 200):
        torch.manual_seed(0)
        logits = torch.randn(frames, 16, 20, device=dev, requires_grad=True)
        input_lengths = torch.tensor([frames - n * frames // 25 for n in range(16)])
        target_lengths = torch.tensor([frames // 5 + (n * 7) % (frames // 5 + 1) for n in range(16)])
        targets = torch.randint(1, 20, (16, 2 * frames // 5))

        def ctc_step():
            logits.grad = None
            torch.nn.functional.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths,
                                         zero_infinity=True).backward()
        print(f"pytorch ctc_loss forward+backward frames={frames}: {gpu_time_ms(ctc_step, inner=3, repeats=9) * 1e3:.1f} us")


if __name__ == "__main__":
    main()
