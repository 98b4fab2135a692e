#!/usr/bin/env bash
# scaling_measure.sh — the measured points of docs/SCALING.md: the same training steps (the
# same global batch) as 1 process × 2 threads and as 2 MPI ranks × 1 thread on this machine,
# interleaved round by round (a neighbour taking a core hits both alike); prints each run's
# JSON line, then the medians and the ratio. Not a CI step: it takes minutes.
# usage: bench/scaling_measure.sh BUILD_DIR [ROUNDS] [-- w2s bench train options]
# (default options: --arch gpt2 --batch 8 --seq 128 --steps 3)
set -euo pipefail
W2S="$1/w2s"
ROUNDS=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
OPTS=${*:-"--arch gpt2 --batch 8 --seq 128 --steps 3"}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
"$W2S" info --peak | grep -iE "^cpu|peak" || true
for r in $(seq "$ROUNDS"); do
    echo "round $r"
    OMP_NUM_THREADS=2 "$W2S" bench train $OPTS --threads 2 | sed 's/^/one /' | tee -a "$LOG"
    OMP_NUM_THREADS=1 mpirun --allow-run-as-root -np 2 --bind-to core "$W2S" bench train $OPTS --threads 1 \
        | sed 's/^/two /' | tee -a "$LOG"
done
/usr/bin/python3 - "$LOG" <<'PY'
import json, statistics, sys
runs = {"one": [], "two": []}
for line in open(sys.argv[1]):
    tag, js = line.split(" ", 1)
    runs[tag].append(json.loads(js))
med = lambda tag, k: statistics.median(r[k] for r in runs[tag])
for tag, what in (("one", "1 process x 2 threads"), ("two", "2 ranks x 1 thread")):
    print(f"{what:24s} tokens/s {med(tag, 'tokens_per_s'):8.1f}  ms/step {med(tag, 'ms_per_step'):8.1f}  "
          f"comm ms {med(tag, 'comm_ms'):7.1f}  compute ms {med(tag, 'compute_ms'):8.1f}")
ratios = [b["tokens_per_s"] / a["tokens_per_s"] for a, b in zip(runs["one"], runs["two"])]
print(f"2 ranks / 1 process tokens/s: median {statistics.median(ratios):.3f} over {len(ratios)} rounds "
      f"(each {min(ratios):.3f}..{max(ratios):.3f})")
PY
