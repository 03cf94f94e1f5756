#!/usr/bin/env bash
# The GPU evidence run (on a GPU host without network, e.g. through the device tool):
# the CUDA tests and `ember kernels` from programs built elsewhere (bundle made by
# tools/gpu-host-bundle.sh --binaries), compute-sanitizer memcheck on them, the CUDA
# benchmarks with their PyTorch twin, and a from-source build of the GPU-host
# configuration (-DEMBER_BLAS=OFF, bundled deps) whose cuda-labelled tests run too.
# Results go to $OUT (default /tmp/gpu-check): at most 8 small files. BUDGET (seconds,
# default 480) bounds the run: memcheck and the source build stop when it runs out.
set -uo pipefail
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
bundle="$PWD/.gpuhost"
cublas_dir=$(dirname "$(find / -name 'libcublas.so.13*' -not -path '/proc/*' 2>/dev/null | head -1)" 2>/dev/null)
export LD_LIBRARY_PATH="$bundle/runtime:/usr/local/cuda/lib64:${cublas_dir:-}:${LD_LIBRARY_PATH:-}"
export PATH="/usr/local/cuda/bin:$PATH"
start=$(date +%s)
if [[ -f "$bundle/prebuilt.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/prebuilt.tar.xz"; fi
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
budget="${BUDGET:-480}"
left() { echo $((budget - ($(date +%s) - start))); }

{
  stamp "environment"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  for c in g++ cmake ninja nvcc compute-sanitizer python3; do echo "$c: $(command -v $c)"; done
  nvcc --version | tail -2
  echo "cublas: $cublas_dir"
  find / \( -name 'libcudnn.so*' -o -name 'cudnn.h' \) -not -path '/proc/*' 2>/dev/null | head -4
  ldd "$bundle/bin/ember_cuda_tests" | grep -E "not found|cublas|cudart"
} > "$OUT/env.txt" 2>&1

# Benchmarks first, on a quiet machine (nothing else running).
stamp "benchmarks" > "$OUT/bench.txt"
timeout 150 "$bundle/bin/bench_cuda" --benchmark_repetitions=5 --benchmark_min_time=0.2 --benchmark_report_aggregates_only=true \
  >> "$OUT/bench.txt" 2>&1
echo "exit $?" >> "$OUT/bench.txt"
stamp "pytorch twin" >> "$OUT/bench.txt"
PYTHONUNBUFFERED=1 timeout 120 python3 bench/pytorch_cuda.py >> "$OUT/bench.txt" 2>&1

# The from-source GPU-host build, in the background at low priority.
(
  gen=Ninja; command -v ninja >/dev/null || gen="Unix Makefiles"
  cmake -S . -B build-gpu -G "$gen" -DCMAKE_BUILD_TYPE=Release -DEMBER_BLAS=OFF -DEMBER_BENCH=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$bundle" -DZLIB_ROOT="$bundle" &&
    nice -n 19 cmake --build build-gpu -j 10 --target ember_cuda_tests ember_cli
) > "$OUT/source_build.txt" 2>&1 &
build_pid=$!

stamp "cuda tests" > "$OUT/cuda_tests.txt"
timeout 90 "$bundle/bin/ember_cuda_tests" --gtest_brief=1 >> "$OUT/cuda_tests.txt" 2>&1
echo "exit $?" >> "$OUT/cuda_tests.txt"
stamp "ember kernels" >> "$OUT/cuda_tests.txt"
timeout 60 "$bundle/bin/ember" kernels >> "$OUT/cuda_tests.txt" 2>&1
echo "exit $?" >> "$OUT/cuda_tests.txt"

stamp "memcheck" > "$OUT/memcheck.txt"
timeout $(( $(left) / 3 )) compute-sanitizer --tool memcheck --error-exitcode 9 \
  "$bundle/bin/ember_cuda_tests" --gtest_brief=1 >> "$OUT/memcheck.txt" 2>&1
echo "exit $?" >> "$OUT/memcheck.txt"

# `ember train --device auto` on a GPU host, and its checkpoint read by PyTorch through
# the safetensors library (data: the Fashion-MNIST test files in .gpudata, which also
# stand in for the training files).
if [[ -f .gpudata/t10k-images-idx3-ubyte.gz ]]; then
  {
    stamp "train --device auto + safetensors interop"
    data=/tmp/ember-fm && mkdir -p $data && cp .gpudata/t10k-* $data/
    ln -sf t10k-images-idx3-ubyte.gz $data/train-images-idx3-ubyte.gz
    ln -sf t10k-labels-idx1-ubyte.gz $data/train-labels-idx1-ubyte.gz
    timeout 120 "$bundle/bin/ember" train --device auto --epochs 1 --limit 4096 --data $data --save /tmp/ember.safetensors
    timeout 60 "$bundle/bin/ember" eval --load /tmp/ember.safetensors --data $data
    PYTHONUNBUFFERED=1 timeout 60 python3 tools/check_safetensors_interop.py /tmp/ember.safetensors $data
  } > "$OUT/interop.txt" 2>&1
fi

stamp "waiting for the source build" > "$OUT/source_tests.txt"
( sleep $(( $(left) - 60 > 0 ? $(left) - 60 : 1 )); kill $build_pid 2>/dev/null; pkill -f build-gpu ) &
wait $build_pid
stamp "source build's cuda tests (build exit $?)" >> "$OUT/source_tests.txt"
if [[ -x build-gpu/tests/ember_cuda_tests ]]; then
  (cd build-gpu && timeout 50 ctest -L cuda -j 8 --output-on-failure | tail -25) >> "$OUT/source_tests.txt" 2>&1
  timeout 20 build-gpu/tools/ember kernels | tail -3 >> "$OUT/source_tests.txt" 2>&1
fi
stamp "done" >> "$OUT/source_tests.txt"
tail -c 20000 "$OUT/source_build.txt" > "$OUT/source_build.tail" && mv "$OUT/source_build.tail" "$OUT/source_build.txt"
