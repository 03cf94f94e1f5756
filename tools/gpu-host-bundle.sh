#!/usr/bin/env bash
# Packs what a GPU host without network or apt lacks to build and test ember there
# (headers, CMake packages and libraries of spdlog, fmt, GoogleTest, Google Benchmark,
# CLI11, nlohmann-json, zlib, SLEEF: Debian's own files, and the cuDNN frontend's headers)
# into DIR (default .gpuhost, git-ignored); cuDNN and NVRTC themselves come from the host
# (its CUDA toolkit or PyTorch's wheels: the cuDNN shim must match its engine libraries). With
# --binaries BUILD, also the CUDA test, CLI and benchmark programs built here plus the
# shared libraries they need that such a host may not have, packed as prebuilt.tar.xz (the
# dependencies as deps.tar.xz). tools/gpu-check.sh unpacks and uses it. Build the programs
# with the gpuhost preset (cmake --preset gpuhost && cmake --build --preset gpuhost, then
# --binaries build-gpuhost): Hopper code only (H100 and H200 are sm_90), 21 MiB packed where
# the release build's sm_80 + sm_90 code and PTX take 30.
set -euo pipefail
binaries=""
if [[ "${1:-}" == "--binaries" ]]; then binaries="$2"; shift 2; fi
out="${1:-.gpuhost}"
lib=/usr/lib/x86_64-linux-gnu
programs=(tests/ember_cuda_tests tools/ember bench/bench_cuda bench/bench_train_cuda)
# Every program tools/gpu-check.sh runs must be there: checked before the old bundle goes.
if [[ -n "$binaries" ]]; then
  missing=()
  for b in "${programs[@]}"; do [[ -x "$binaries/$b" ]] || missing+=("$binaries/$b"); done
  if ((${#missing[@]})); then
    echo "gpu-host-bundle: not built: ${missing[*]} (build them first, e.g. cmake --build $binaries" \
      "--target ember_cuda_tests ember_cli bench_cuda bench_train_cuda, or cmake --build --preset gpuhost);" \
      "$out left as it was" >&2
    exit 1
  fi
fi
rm -rf "${out:?}"
# The bundle keeps Debian's layout (include/, lib/x86_64-linux-gnu/{,cmake/}, share/cmake/),
# so the packages' CMake files find their prefix relative to themselves.
mkdir -p "$out/include" "$out/lib/x86_64-linux-gnu/cmake" "$out/share/cmake" "$out/bin" "$out/runtime"
for h in spdlog fmt gtest gmock benchmark CLI nlohmann zlib.h; do
  if [[ -e /usr/include/$h ]]; then cp -rL /usr/include/$h "$out/include/"; fi
done
mkdir -p "$out/include/x86_64-linux-gnu"
cp -L /usr/include/x86_64-linux-gnu/zconf.h "$out/include/x86_64-linux-gnu/" 2>/dev/null || true
cp -L /usr/include/x86_64-linux-gnu/zconf.h "$out/include/" 2>/dev/null || true
cp -L /usr/include/x86_64-linux-gnu/sleef.h "$out/include/" 2>/dev/null || true
for l in libspdlog.so* libfmt.so* libgtest.a libgtest_main.a libgmock.a libgmock_main.a libbenchmark.so* \
         libbenchmark_main.a libz.so* libz.a libsleef.so*; do
  for f in $lib/$l; do if [[ -e $f ]]; then cp -a "$f" "$out/lib/x86_64-linux-gnu/"; fi; done
done
for pkg in spdlog fmt GTest benchmark; do cp -r $lib/cmake/$pkg "$out/lib/x86_64-linux-gnu/cmake/"; done
# NVIDIA's header-only cuDNN frontend (tools/install-deps.sh unpacked it here).
frontend="${XDG_CACHE_HOME:-$HOME/.cache}/ember/cudnn-frontend-1.32.0/include"
if [[ -d "$frontend" ]]; then cp -r "$frontend"/. "$out/include/"; fi
cp -r /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json "$out/share/cmake/"

if [[ -n "$binaries" ]]; then
  for b in "${programs[@]}"; do strip -o "$out/bin/$(basename "$b")" "$binaries/$b"; done
  # The shared libraries outside glibc/libstdc++/the CUDA driver that the programs need
  # (NCCL, 200+ MiB, comes from the GPU host's CUDA or PyTorch's nvidia-nccl wheel).
  for b in "$out"/bin/*; do
    ldd "$b" | awk '/=> \//{print $3}'
  done | sort -u | grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux|libdl|libpthread|librt|libcuda|libcublas|libcublasLt|libcudnn|libnvrtc|libnccl)\.so' |
    while read -r so; do cp -L "$so" "$out/runtime/"; done
  # Packed (the device tool carries at most 64 MiB); tools/gpu-check.sh unpacks it. The four
  # programs each hold the whole library and its CUDA kernels: a dictionary larger than all
  # of them lets xz store that once (about 18 MiB instead of 40 with xz's default 8 MiB).
  tar -C "$out" -c bin runtime | xz -T1 --lzma2=preset=9,dict=192MiB > "$out/prebuilt.tar.xz"
  rm -rf "${out:?}/bin" "${out:?}/runtime"
  # Which GPUs the programs can run on (tools/gpu-check.sh prints it beside the GPU's own).
  # (Not in the cache: cmake/EmberDependencies.cmake's default, 80 90.)
  archs=$(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$binaries/CMakeCache.txt" 2>/dev/null)
  archs=${archs:-80;90}
  echo "$archs" > "$out/cuda-archs.txt"
  if [[ "$archs" != "90-real" ]]; then
    echo "gpu-host-bundle: $binaries has CUDA code for $archs; the gpuhost preset's build-gpuhost" \
      "(sm_90 only) packs about 9 MiB smaller" >&2
  fi
fi
# The build dependencies packed too (headers shrink ~5x): the bundle and the four
# Fashion-MNIST files (.gpudata: 25.3 MiB as tools/gpu-data.sh packs them) then fit the device
# tool's 64 MiB carry.
tar -C "$out" -cJf "$out/deps.tar.xz" include lib share
rm -rf "${out:?}/include" "${out:?}/lib" "${out:?}/share"
# The commit the programs were built from, for the run's summary (tools/gpu-run-import.sh).
dirty=""
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then dirty=" (with uncommitted changes)"; fi
echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty" > "$out/commit.txt"
du -sh "$out"
# The device tool carries at most 64 MiB in all: the working tree that travels (tracked and
# untracked-not-ignored files), this bundle and .gpudata (25.3 MiB with all four files as xz,
# tools/gpu-data.sh; 29.4 MiB as Debian's .gz files).
mib=$((1024 * 1024))
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
tree=$({ git -C "$root" ls-files -z --cached --others --exclude-standard 2>/dev/null |
  (cd "$root" && du -cb --files0-from=- 2>/dev/null) || true; } | tail -1 | cut -f1)
if [[ -d "$root/.gpudata" ]]; then gpudata=$(du -sb "$root/.gpudata" | cut -f1); else gpudata=$((253 * mib / 10)); fi
total=$(du -sb "$out" | cut -f1)
room=$((64 * mib - ${tree:-0} - gpudata))
echo "gpu-host-bundle: carried $(((${tree:-0} + gpudata + total) / mib)) MiB of 64: tree $((${tree:-0} / mib))," \
  ".gpudata $((gpudata / mib))$([[ -d "$root/.gpudata" ]] || echo ' (not there yet: bash tools/gpu-data.sh; all four files counted)'), bundle $((total / mib))"
if ((total > room)); then
  echo "gpu-host-bundle: $out is $((total / mib)) MiB, over the $((room / mib)) MiB the device tool's 64 MiB carry" \
    "leaves beside the tree and .gpudata: carry fewer Fashion-MNIST files (the t10k ones alone" \
    "stand in for the training set) or shrink the tree" >&2
fi
