#!/usr/bin/env bash
# Installs what ember needs on Debian 12 from Debian packages (only what is missing):
# the toolchain, spdlog, GoogleTest, Google Benchmark, OpenBLAS, zlib, CLI11, nlohmann-json,
# Open MPI (distributed training: mpirun), ccache (rebuilds and fresh clones reuse objects)
# and the Fashion-MNIST data. `--bench` adds libtorch-dev, python3-torch and python3-torchvision
# for the libtorch and PyTorch twins in bench/.
# The CUDA toolkit and cuDNN are optional and expected under /usr/local/cuda; where nvcc
# is there, NVIDIA's header-only cuDNN frontend (pinned below; PyPI's nvidia-cudnn-frontend
# wheel, not in Debian) is unpacked into ~/.cache/ember, where CMake looks for it.
set -euo pipefail

CUDNN_FRONTEND_VERSION=1.32.0
install_cudnn_frontend() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/ember/cudnn-frontend-$CUDNN_FRONTEND_VERSION"
  if [[ -f "$dir/include/cudnn_frontend.h" ]]; then return 0; fi
  command -v python3 >/dev/null || { echo "install-deps: python3 is needed to fetch the cuDNN frontend"; return 1; }
  local tmp
  tmp=$(mktemp -d)
  # Any CPython 3.11 manylinux wheel carries the same headers; only include/ is kept.
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --platform manylinux_2_28_x86_64 -d "$tmp" "nvidia-cudnn-frontend==$CUDNN_FRONTEND_VERSION"
  mkdir -p "$dir.partial"
  python3 - "$tmp"/nvidia_cudnn_frontend-*.whl "$dir.partial" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith("include/") and not name.endswith("/"):
            wheel.extract(name, sys.argv[2])
PY
  rm -rf "$tmp" "$dir"
  mv "$dir.partial" "$dir"
  echo "install-deps: cuDNN frontend $CUDNN_FRONTEND_VERSION headers in $dir"
}

packages=(cmake ninja-build g++ pkg-config libspdlog-dev libfmt-dev libopenblas-dev libgtest-dev
          libbenchmark-dev zlib1g-dev libcli11-dev nlohmann-json3-dev dataset-fashion-mnist libopenmpi-dev openmpi-bin
          ccache libsleef-dev libpng-dev libjpeg-dev)
if [[ "${1:-}" == "--bench" ]]; then packages+=(libtorch-dev python3-torch python3-torchvision); fi

have_nvcc() { [[ -x /usr/local/cuda/bin/nvcc ]] || command -v nvcc >/dev/null; }
if have_nvcc && ! python3 -m pip --version >/dev/null 2>&1; then packages+=(python3 python3-pip); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
else
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if have_nvcc; then install_cudnn_frontend; fi
