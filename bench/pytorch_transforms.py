"""Twin of bench/bench_transforms.cpp: torchvision's RandomCrop(28, padding=4) +
RandomHorizontalFlip applied image by image (as inside a Dataset) to a [128, 1, 28, 28]
batch, and to the whole batch at once (one decision for all: not the same augmentation);
RandomResizedCrop(28) image by image, and Resize(32, BICUBIC) of a [64, 3, 96, 96] batch;
F.interpolate's bilinear x2 upsampling of [32, 16, 32, 32], forward and forward+backward.
Prints the median of 5 repetitions in milliseconds per batch."""
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision.transforms as T


def median_ms(fn, reps=5, iters=20):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        times.append((time.perf_counter() - start) / iters * 1e3)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    batch = torch.rand(128, 1, 28, 28)
    augment = T.Compose([T.RandomCrop(28, padding=4), T.RandomHorizontalFlip()])
    with torch.no_grad():
        per_image = median_ms(lambda: torch.stack([augment(img) for img in batch]))
        whole = median_ms(lambda: augment(batch))
    print(f"torchvision crop+flip per image (128 images): {per_image:.3f} ms/batch")
    print(f"torchvision crop+flip whole batch (one decision): {whole:.3f} ms/batch")
    resized_crop = T.RandomResizedCrop(28, antialias=True)
    colour = torch.rand(64, 3, 96, 96)
    bicubic = T.Resize(32, interpolation=T.InterpolationMode.BICUBIC, antialias=True)
    with torch.no_grad():
        per_image = median_ms(lambda: torch.stack([resized_crop(img) for img in batch]))
        resized = median_ms(lambda: bicubic(colour))
    print(f"torchvision RandomResizedCrop(28) per image (128 images): {per_image:.3f} ms/batch")
    print(f"torchvision Resize(32, BICUBIC) of 64x3x96x96: {resized:.3f} ms/batch")
    x = torch.rand(32, 16, 32, 32)
    with torch.no_grad():
        forward = median_ms(lambda: F.interpolate(x, scale_factor=2.0, mode="bilinear"))
    leaf = x.clone().requires_grad_(True)
    both = median_ms(lambda: F.interpolate(leaf, scale_factor=2.0, mode="bilinear").sum().backward())
    print(f"F.interpolate bilinear x2 of 32x16x32x32: forward {forward:.3f} ms, forward+backward {both:.3f} ms")


if __name__ == "__main__":
    main()
