#!/usr/bin/env bash
# side-by-side.sh: dl4j-pe's training and inference images/s against another implementation of the same models,
# measured in one run with the two sides alternating (other, pe, other, pe, ...) so that both see the same machine
# load, every round shown, with the peak resident memory of each process.
#
# usage: scripts/side-by-side.sh [--rounds N] [--batch B] [--iterations K] [--warmup W] --other "COMMAND" MODEL...
#
# COMMAND is run as `COMMAND --batch B --iters K --warmup W MODEL` and must print a line containing
# "train <x> img/s" and "infer <y> img/s" (a PyTorch benchmark script, for example). dl4j-pe's side is
# `./pe bench MODEL --batch B --iterations K --warmup W`. Both sides get OMP_NUM_THREADS (default 1).
# The machine's load average is printed before every round; results go to standard output as a Markdown table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 batch=64 iterations=10 warmup=2 other=""
models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --other) other="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "side-by-side.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ -n "$other" ]] || { echo "side-by-side.sh: --other COMMAND is required (see --help)" >&2; exit 2; }
[[ ${#models[@]} -gt 0 ]] || { echo "side-by-side.sh: name at least one MODEL" >&2; exit 2; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# "<train> <infer> <peak RSS MB>" of one run of the other side
run_other() {
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M" -o "$tmp/rss" $other --batch "$batch" --iters "$iterations" --warmup "$warmup" "$1" \
    > "$tmp/other.out" 2> "$tmp/other.err" || { cat "$tmp/other.err" >&2; return 1; }
  local train infer
  train="$(grep -o 'train *[0-9.]* img/s' "$tmp/other.out" | grep -o '[0-9.]*' | head -1)"
  infer="$(grep -o 'infer *[0-9.]* img/s' "$tmp/other.out" | grep -o '[0-9.]*' | head -1)"
  echo "$train $infer $(( $(tail -1 "$tmp/rss") / 1024 ))"
}

# "<train> <infer> <peak RSS MB of the training steps>" of one run of dl4j-pe
run_pe() {
  "$root/pe" bench "$1" --batch "$batch" --iterations "$iterations" --warmup "$warmup" \
    > "$tmp/pe.out" 2> "$tmp/pe.err" || { cat "$tmp/pe.err" >&2; return 1; }
  local row mem
  row="$(grep "^$1 " "$tmp/pe.out" | head -1)"
  mem="$(grep "^$1 " "$tmp/pe.out" | sed -n 2p)"
  # columns: model parameters batch train-img/s step-ms train-GFLOP/s of-gemm infer-img/s GFLOP/s of-gemm
  echo "$(echo "$row" | awk '{print $4, $8}') $(echo "$mem" | awk '{print $2}')"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "| round | load | model | other train img/s | dl4j-pe train | ratio | other infer img/s | dl4j-pe infer | ratio | other peak RSS MB | dl4j-pe peak RSS MB |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for ((r = 1; r <= rounds; r++)); do
  for m in "${models[@]}"; do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    echo "round $r/$rounds: $m (load $load) ..." >&2
    read -r ot oi orss < <(run_other "$m")
    read -r pt pi prss < <(run_pe "$m")
    echo "| $r | $load | $m | $ot | $pt | $(ratio "$pt" "$ot") | $oi | $pi | $(ratio "$pi" "$oi") | $orss | $prss |"
  done
done
echo
echo "ratio: dl4j-pe over the other side, per round (higher is faster for dl4j-pe); $OMP_NUM_THREADS native thread(s)"
echo "each side; batch $batch, $iterations timed steps after $warmup warm-up, images/s from the median step"
