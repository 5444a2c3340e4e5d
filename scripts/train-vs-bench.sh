#!/usr/bin/env bash
# train-vs-bench.sh: does `./pe train` (data pipeline, augmentation, progress and metrics around the same training
# steps) train as fast as `./pe bench` (random inputs, the steps alone)? For each model and round, alternating the
# two commands: `./pe train MODEL --epochs E --batch B` on the shipped Fashion-MNIST subset (images/s of each epoch
# from metrics.csv: the median of the epochs after the first, which holds the JIT's warm-up, and the whole run's),
# then `./pe bench MODEL --batch B --iterations 20 --warmup 5` (training images/s from the median of 20 steps after 5
# untimed ones: fewer swing by a fifth on a shared machine). Every round is shown.
#
# usage: scripts/train-vs-bench.sh [--rounds N] [--epochs E] [--batch B] MODEL...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 epochs=5 batch=64
models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "train-vs-bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || { echo "train-vs-bench.sh: name at least one MODEL" >&2; exit 2; }
[[ "$epochs" -ge 2 ]] || { echo "train-vs-bench.sh: --epochs must be at least 2 (the first holds the warm-up)" >&2; exit 2; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "| round | load | model | train: epochs 2-$epochs, median img/s | train: whole run img/s | bench train img/s | ratio (median / bench) |"
echo "|---|---|---|---:|---:|---:|---:|"
for ((r = 1; r <= rounds; r++)); do
  for m in "${models[@]}"; do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    echo "round $r/$rounds: $m (load $load) ..." >&2
    rm -rf "$tmp/run"
    "$root/pe" train "$m" --epochs "$epochs" --batch "$batch" --out "$tmp/run" > "$tmp/train.out" 2> "$tmp/train.err" \
      || { cat "$tmp/train.err" >&2; exit 1; }
    # metrics.csv: epoch,...,epoch_seconds,images_per_second
    median="$(tail -n +3 "$tmp/run/metrics.csv" | awk -F, '{print $NF}' | sort -g \
      | awk '{v[NR] = $1} END { if (NR % 2) printf "%.0f", v[(NR + 1) / 2]; else printf "%.0f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
    whole="$(grep '^images/s' "$tmp/train.out" | awk '{print $2}')"
    "$root/pe" bench "$m" --batch "$batch" --iterations 20 --warmup 5 > "$tmp/bench.out" 2> "$tmp/bench.err" || { cat "$tmp/bench.err" >&2; exit 1; }
    bench="$(grep "^$m " "$tmp/bench.out" | head -1 | awk '{print $4}')"
    echo "| $r | $load | $m | $median | $whole | $bench | $(ratio "$median" "$bench") |"
  done
done
echo
echo "$OMP_NUM_THREADS native thread(s); batch $batch; train: $epochs epochs of the shipped 2,000-image subset"
