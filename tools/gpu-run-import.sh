#!/usr/bin/env bash
# Files a GPU run's results (what tools/gpu-check.sh left in the device tool's $OUT:
# summary.txt and gpu-check.tgz) under docs/gpu-runs/<date>-<commit>/, unpacked, as the
# evidence docs/gpu-status.md summarises. Usage: tools/gpu-run-import.sh FILES_DIR [NAME]
set -euo pipefail
src="${1:?usage: tools/gpu-run-import.sh FILES_DIR [NAME]}"
[[ -f "$src/summary.txt" && -f "$src/gpu-check.tgz" ]] || { echo "gpu-run-import: $src lacks summary.txt or gpu-check.tgz" >&2; exit 2; }
commit=$(sed -n 's/^gpu-check of commit \([0-9a-f]*\).*/\1/p' "$src/summary.txt" | head -1)
name="${2:-$(date +%F)-${commit:-unknown}}"
[[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "gpu-run-import: a run's name is letters, digits, '.', '_' and '-', not '$name'" >&2; exit 2; }
dest="docs/gpu-runs/$name"
[[ ! -e "$dest" ]] || { echo "gpu-run-import: $dest exists; give another NAME" >&2; exit 2; }
mkdir -p "$dest"
# Only plain files and folders come out of the archive (no links, no paths leaving $dest).
tar -xzf "$src/gpu-check.tgz" -C "$dest" --no-same-owner --no-same-permissions --exclude='*..*'
find "$dest" -type l -delete
cp "$src/summary.txt" "$dest/summary.txt"
du -sh "$dest"
echo "filed under $dest: summarise it in docs/gpu-status.md"
