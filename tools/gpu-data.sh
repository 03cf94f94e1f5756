#!/usr/bin/env bash
# Packs Debian's Fashion-MNIST files (dataset-fashion-mnist) into .gpudata (git-ignored) as
# xz, the form tools/gpu-check.sh unpacks on a GPU host: about 4 MiB less than the .gz files
# of the device tool's 64 MiB carry. Usage: bash tools/gpu-data.sh [SOURCE_DIR [OUT_DIR]].
set -euo pipefail
src="${1:-/usr/share/datasets/fashion-mnist}"
out="${2:-.gpudata}"
mkdir -p "$out"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gz="$src/$name.gz"
  if [[ ! -f "$gz" ]]; then
    echo "gpu-data: $gz is missing (apt install dataset-fashion-mnist, or give its folder)" >&2
    exit 1
  fi
  gzip -t "$gz"  # a damaged file stops here, not on the GPU host
  # Written beside its final name and renamed: a half-written file is never taken.
  tmp=$(mktemp "$out/.$name.XXXXXX")
  gzip -dc "$gz" | xz -9 -T1 > "$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$out/$name.xz"
  rm -f "$out/$name.gz"  # one copy of each file travels
done
du -sh "$out"
