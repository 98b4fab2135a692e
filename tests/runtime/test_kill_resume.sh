# test_kill_resume.sh — `w2s run` killed with SIGKILL at seeded random moments (any step: weak
# training, labeling, ceiling, students, results) and rerun must end with the same numbers as
# an uninterrupted run (timings excluded), and no file it leaves is ever corrupt: after every
# kill each .json/.jsonl parses and each .safetensors/.ckpt is whole (w2s_outdir_check.py),
# and after a completed rerun no NAME.tmp.PID file survives. Two schedules: independent kills
# (fresh directory each, then one rerun) and a chain of kills on one directory (every rerun is
# itself killed until one finishes). Env: W2S_KILL_POINTS (default 24), W2S_KILL_SEED (1).
# A temp file of a killed write has the dead PID in its name; the next atomic write of the
# same file removes it (base/fileio.c), so none may survive a completed rerun.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
PY=/usr/bin/python3
CHECK="$PY $W2S_SOURCE_DIR/tests/runtime/w2s_results_check.py"
FILES="$PY $W2S_SOURCE_DIR/tests/runtime/w2s_outdir_check.py"
POINTS=${W2S_KILL_POINTS:-24}
RANDOM=${W2S_KILL_SEED:-1}  # seeds bash's generator: the delays are the same on every run
# On tmpfs, so the run's duration is CPU time, not the shared disk's fsync latency (a SIGKILL
# cannot observe what fsync adds: the page cache survives the process).
scratch_dir_bg
tiny_pair 400 11
# --ckpt-every 1: a checkpoint write is in flight at many of the kill moments.
ARGS="--weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100 --seeds 5 --lr 1e-3
      --batch 16 --minibatch 4 --epochs 2 --threads 1 --ckpt-every 1 --quiet"

now_ms() { date +%s%3N; }
D=""
for r in a a2; do  # the faster of two runs, so most kill moments fall inside a run
    t0=$(now_ms)
    "$W2S_BIN" run $ARGS --out $r > /dev/null 2> $r.err || { cat $r.err; fail "uninterrupted run failed"; }
    d=$(( $(now_ms) - t0 ))
    [ -z "$D" ] || [ "$d" -lt "$D" ] && D=$d
done
$CHECK same a a2
$CHECK check a
$FILES a --no-tmp || fail "uninterrupted run left bad files"
echo "uninterrupted run: ${D} ms"

# Which step is running: the newest step directory with no step.json yet (else "results").
step_at_kill() {
    local s
    for s in weak ceiling student_xent student_logconf student_product; do
        [ -e "$1/seed5/$s/step.json" ] || { echo "$s"; return; }
    done
    echo "results"
}

# Starts a run in $1, kills it after $2 ms. Returns 0 if it was killed, 1 if it had finished;
# then a run takes at most as long as this one did, and D shrinks to it (the machine may have
# got faster since D was measured: another job ended), so the next kills land inside a run.
run_and_kill() {
    local t0
    t0=$(now_ms)
    "$W2S_BIN" run $ARGS --out "$1" > /dev/null 2>> "$1.err" &
    pid=$!
    sleep "$(printf '%d.%03d' $(($2 / 1000)) $(($2 % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        pid=""
        return 0
    fi
    wait "$pid" || { cat "$1.err"; fail "run in $1 failed"; }
    pid=""
    local d=$(( $(now_ms) - t0 ))
    [ "$d" -lt "$D" ] && D=$d
    return 1
}

stale=0
count_stale() {  # temp files surviving a completed rerun
    local n
    n=$(find "$1" -name '*.tmp.[0-9]*' | wc -l)
    [ "$n" = 0 ] || find "$1" -name '*.tmp.[0-9]*' -printf 'stale temp file: %P\n'
    stale=$((stale + n))
}

declare -A hits
killed=0
for i in $(seq 1 "$POINTS"); do
    ms=$(( RANDOM * D / 32768 ))
    if run_and_kill "b$i" "$ms"; then
        killed=$((killed + 1))
        st=$(step_at_kill "b$i")
        hits[$st]=$(( ${hits[$st]:-0} + 1 ))
        $FILES "b$i" || fail "corrupt file after a kill at ${ms} ms ($st)"
        "$W2S_BIN" run $ARGS --out "b$i" > /dev/null 2> "b$i.err" || { cat "b$i.err"; fail "rerun after a kill at ${ms} ms failed"; }
    fi
    $CHECK same a "b$i" || fail "kill at ${ms} ms: different numbers after the rerun"
    $FILES "b$i" || fail "kill at ${ms} ms: bad files after the rerun"
    count_stale "b$i"
    rm -rf "b$i" "b$i.err"
done

# A chain: each rerun is killed too, after a random share of the remaining time.
chain=0
for _ in $(seq 1 40); do
    ms=$(( RANDOM * D / 65536 ))
    run_and_kill c "$ms" || break
    chain=$((chain + 1))
    $FILES c || fail "corrupt file after chained kill $chain"
done
"$W2S_BIN" run $ARGS --out c > /dev/null 2> c.err || { cat c.err; fail "final chained rerun failed"; }
$CHECK same a c || fail "chained kills: different numbers"
$FILES c || fail "chained kills: bad files after the final rerun"
count_stale c

summary=""
for s in "${!hits[@]}"; do summary+=" $s=${hits[$s]}"; done
echo "independent kills: $killed of $POINTS landed before the run ended (by step:$summary); chained kills: $chain"
[ "$killed" -ge $((POINTS / 2)) ] || fail "too few kills landed ($killed of $POINTS)"
[ "$chain" -ge 2 ] || fail "the chain was killed only $chain times"
[ "$stale" -eq 0 ] || fail "$stale stale temp files survived completed reruns"
echo "ok"
