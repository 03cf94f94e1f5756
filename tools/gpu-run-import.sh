#!/usr/bin/env bash
# Files a GPU run's results (what tools/gpu-check.sh left in the device tool's $OUT:
# summary.txt and gpu-check.tgz, or summary.txt alone when the archive did not come back)
# under docs/gpu-runs/<date>-<commit>/, unpacked, as the evidence docs/gpu-status.md
# summarises. Usage: tools/gpu-run-import.sh FILES_DIR [NAME]
set -euo pipefail
src="${1:?usage: tools/gpu-run-import.sh FILES_DIR [NAME]}"
[[ -f "$src/summary.txt" ]] || { echo "gpu-run-import: $src lacks summary.txt" >&2; exit 2; }
commit=$(sed -n 's/^gpu-check of commit \([0-9a-f]*\).*/\1/p' "$src/summary.txt" | head -1)
name="${2:-$(date +%F)-${commit:-unknown}}"
[[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "gpu-run-import: a run's name is letters, digits, '.', '_' and '-', not '$name'" >&2; exit 2; }
dest="docs/gpu-runs/$name"
[[ ! -e "$dest" ]] || { echo "gpu-run-import: $dest exists; give another NAME" >&2; exit 2; }
mkdir -p "$dest"
if [[ -f "$src/gpu-check.tgz" ]]; then
  # Only plain files and folders come out of the archive (no links, no paths leaving $dest).
  tar -xzf "$src/gpu-check.tgz" -C "$dest" --no-same-owner --no-same-permissions --exclude='*..*'
  find "$dest" -type l -delete
else
  echo "gpu-run-import: $src has no gpu-check.tgz (it did not come back): filing summary.txt alone" >&2
  echo "gpu-check.tgz did not come back from this run: summary.txt alone was filed." > "$dest/MISSING-gpu-check.tgz.txt"
fi
cp "$src/summary.txt" "$dest/summary.txt"
du -sh "$dest"
echo "filed under $dest: summarise it in docs/gpu-status.md"
