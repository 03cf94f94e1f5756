#!/usr/bin/env bash
# Installs what ember needs on Debian 12 from Debian packages (only what is missing):
# the toolchain, spdlog, GoogleTest, Google Benchmark, OpenBLAS, zlib, CLI11 and the
# Fashion-MNIST data. `--bench` adds libtorch-dev for the libtorch twins in bench/.
# The CUDA toolkit and cuDNN are optional and expected under /usr/local/cuda.
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config libspdlog-dev libfmt-dev libopenblas-dev libgtest-dev
          libbenchmark-dev zlib1g-dev libcli11-dev dataset-fashion-mnist)
if [[ "${1:-}" == "--bench" ]]; then packages+=(libtorch-dev); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
