#!/usr/bin/env bash
# Fault injection for `pe train` (README, "Reliability"): repeats by hand what the test suite checks with hooks.
#
#  1. kill loop: trains a model once without interruption, then trains it again while killing the process at random
#     moments (kill -9 mostly, SIGTERM and SIGINT too) and resuming it each time; at the end the final checkpoints'
#     weights and updater state must be byte-identical to the uninterrupted run's.
#  2. two runs at once: a second `pe train` into a run directory in use must be refused at once, naming the first
#     process, and must not change anything; a resume after a kill -9 must not be blocked by the stale lock.
#
# Usage: scripts/fault-injection.sh [--kills N] [--model NAME] [--epochs N] [--limit-train N] [--work DIR] [--seed N]
# Defaults: 6 kills of vit_pe_micro_patch4_28, 2 epochs of 640 images (batch 64), checkpoints every 3 s.
# Exit status 0 when every check passed. Needs bash, unzip and sha256sum; builds ./pe on first use.
set -uo pipefail
set -m  # background jobs get default signal handling (a script's background jobs otherwise ignore SIGINT)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pe="$root/pe"
kills=6
model=vit_pe_micro_patch4_28
epochs=2
limit_train=640
work=""
seed=$RANDOM
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --limit-train) limit_train="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "fault-injection: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
RANDOM=$seed
work="${work:-$(mktemp -d "${TMPDIR:-/tmp}/pe-fault-XXXXXX")}"
mkdir -p "$work"
export PE_PROGRESS=lines
args=("$model" --data fashion-mnist-subset --epochs "$epochs" --batch 64 --limit-train "$limit_train"
      --limit-test 100)
failures=0
say() { echo "fault-injection: $*"; }
fail() { echo "fault-injection: FAILED: $*"; failures=$((failures + 1)); }

# the weights and updater state of a run's final checkpoint, as one hash
weights() {
  local dir="$1" ckpt
  ckpt="$(sed -n 's/^ *"checkpoint" : "\(.*\)",$/\1/p' "$dir/state.json")"
  { unzip -p "$dir/$ckpt" coefficients.bin; unzip -p "$dir/$ckpt" updaterState.bin; } | sha256sum | cut -c1-16
}
status() { sed -n 's/^ *"status" : "\(.*\)",$/\1/p' "$1/state.json" 2>/dev/null; }

say "work directory $work; random seed $seed (--seed $seed repeats these kill times)"
"$pe" models >/dev/null || { echo "fault-injection: ./pe does not run" >&2; exit 1; }

# ---- 1. the kill loop
say "uninterrupted reference run of $model ..."
"$pe" train "${args[@]}" --out "$work/straight" >"$work/straight.out" 2>"$work/straight.err" \
  || { cat "$work/straight.err"; exit 1; }
reference="$(weights "$work/straight")"
say "reference weights $reference"

run="$work/killed"
signals=(KILL KILL TERM KILL INT KILL)
k=0
attempt=0
while [[ "$(status "$run")" != finished ]]; do
  attempt=$((attempt + 1))
  if [[ -f "$run/state.json" ]]; then
    "$pe" train --resume "$run" --checkpoint-every 3s >>"$work/killed.out" 2>>"$work/killed.err" &
  else
    "$pe" train "${args[@]}" --out "$run" --checkpoint-every 3s >>"$work/killed.out" 2>>"$work/killed.err" &
  fi
  pid=$!
  if [[ $k -lt $kills ]]; then
    delay=$((6 + RANDOM % 15))
    sig="${signals[$((k % ${#signals[@]}))]}"
    for ((t = 0; t < delay * 10; t++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -s "$sig" "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null; code=$?
      k=$((k + 1))
      at="$(sed -n 's/^ *"checkpoint" : "\(.*\)",$/\1/p' "$run/state.json" 2>/dev/null)"
      say "kill $k: SIG$sig after ${delay}s (exit $code); last checkpoint ${at:-none}"
      leftovers="$(find "$run" -maxdepth 1 -name '.*.tmp' 2>/dev/null | wc -l)"
      if [[ "$sig" != KILL && "$leftovers" -gt 0 ]]; then
        fail "SIG$sig left $leftovers temporary files in $run"
      fi
      continue
    fi
  fi
  wait "$pid"; code=$?
  if [[ $code -ne 0 ]]; then
    fail "run ended with exit $code; see $work/killed.err"
    break
  fi
  if [[ $attempt -gt $((kills + 20)) ]]; then
    fail "no end after $attempt attempts"
    break
  fi
done
if [[ "$(status "$run")" == finished ]]; then
  final="$(weights "$run")"
  if [[ "$final" == "$reference" ]]; then
    say "after $k kills: final weights $final, byte-identical to the uninterrupted run"
  else
    fail "after $k kills: final weights $final differ from the uninterrupted run's $reference"
  fi
fi
if grep -q "internal error" "$work/killed.err"; then
  fail "an internal error was printed: $(grep -m1 "internal error" "$work/killed.err")"
fi
tmp_left="$(find "$run" -maxdepth 1 -name '.*.tmp' | wc -l)"
[[ "$tmp_left" -eq 0 ]] || fail "$tmp_left temporary files left in $run"

# ---- 2. two runs at once, and a stale lock
two="$work/two"
"$pe" train "${args[@]}" --out "$two" --checkpoint-every 3s >"$work/two-a.out" 2>"$work/two-a.err" &
first=$!
for ((t = 0; t < 600; t++)); do
  [[ -s "$two/.pe-lock" ]] && break
  sleep 0.1
done
"$pe" train resnet_pe_mini_28 --data fashion-mnist-subset --epochs 1 --limit-train 128 --out "$two" \
  >"$work/two-b.out" 2>"$work/two-b.err"
code=$?
if [[ $code -eq 2 ]] && grep -q "is in use by another run" "$work/two-b.err"; then
  say "second run refused (exit 2): $(grep -m1 "is in use" "$work/two-b.err")"
else
  fail "second run into a directory in use: exit $code, $(cat "$work/two-b.err")"
fi
for ((t = 0; t < 1200; t++)); do
  [[ -f "$two/state.json" ]] && break
  kill -0 "$first" 2>/dev/null || break
  sleep 0.1
done
kill -9 "$first" 2>/dev/null; wait "$first" 2>/dev/null
if [[ -f "$two/state.json" ]]; then
  "$pe" train --resume "$two" >"$work/two-c.out" 2>"$work/two-c.err"; code=$?
  if [[ $code -eq 0 && "$(status "$two")" == finished ]] && grep -q "$model" "$two/state.json"; then
    say "after kill -9 of the first run, its stale lock did not block the resume; the run is $model, finished"
  else
    fail "resume after kill -9: exit $code, $(tail -n 3 "$work/two-c.err")"
  fi
else
  "$pe" train "${args[@]}" --out "$two" >"$work/two-c.out" 2>"$work/two-c.err"; code=$?
  [[ $code -eq 0 ]] && say "first run killed before its first checkpoint; a new run in the same directory worked" \
    || fail "new run after kill -9 before any checkpoint: exit $code, $(tail -n 3 "$work/two-c.err")"
fi

if [[ $failures -eq 0 ]]; then
  say "all checks passed"
  exit 0
fi
say "$failures check(s) failed; logs in $work"
exit 1
