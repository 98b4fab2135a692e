# test_mpi_pretrain.sh — `w2s pretrain` under mpirun (1 thread per rank), data-parallel: two
# 2-rank runs give bit-identical weights; 2 ranks (batch 16) and 3 ranks (batch 10, shares 4,
# 3, 3) agree with one process within LOSS_RTOL and PARAM_RTOL; a 2-rank run whose rank 1 is
# killed mid-training resumes from OUT.ckpt to the uninterrupted run's bytes; only rank 0
# prints; --demo refuses mpirun in one line.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
. "$W2S_SOURCE_DIR/tests/support/mpi.sh"
scratch_dir_bg
. "$W2S_SOURCE_DIR/tests/support/progressions.sh"
write_progressions  # as test_pretrain_cli.sh: a rule the model can learn
PT="pretrain --config config.json --data data.jsonl --lr 3e-3 --quiet"

# ---- same world, same bits (bf16, the default)
for r in a b; do
    $MPIRUN -np 2 "$W2S_BIN" $PT --batch 16 --steps 40 --out two_$r.safetensors > two_$r.json \
        || fail "pretrain on 2 ranks"
    [ "$(wc -l < two_$r.json)" = 1 ] || fail "pretrain on 2 ranks: only rank 0 prints its summary"
done
cmp -s two_a.safetensors two_b.safetensors || fail "two 2-rank pretrainings are not bit-identical"
[ ! -e two_a.safetensors.ckpt ] || fail "the resume checkpoint was left behind after a finished run"

# ---- against one process (fp32, so only the grouping of the gradient sums differs)
"$W2S_BIN" $PT --precision fp32 --batch 16 --steps 40 --out one.safetensors > one.json
$MPIRUN -np 2 "$W2S_BIN" $PT --precision fp32 --batch 16 --steps 40 --out two.safetensors > two.json \
    || fail "fp32 pretrain on 2 ranks"
"$W2S_BIN" $PT --precision fp32 --batch 10 --steps 40 --out one10.safetensors > one10.json
$MPIRUN -np 3 "$W2S_BIN" $PT --precision fp32 --batch 10 --steps 40 --out three10.safetensors > three10.json \
    || fail "fp32 pretrain on 3 ranks"
"$W2S_BIN" $PT --precision fp32 --batch 16 --steps 1 --lr 1e-12 --out start.safetensors > /dev/null
# Measured: weights 9.5e-6 (2 ranks) and 1.0e-5 (3 ranks) of the distance 40 steps moved them;
# a rank that kept its own half-batch gradient (no reduction) is 0.40 away, so PARAM_RTOL 1e-3
# tells the two apart by 2 orders of magnitude each way. The tail losses agree to ~1e-7.
/usr/bin/python3 - "$W2S_SOURCE_DIR/tests/support/st_distance.py" <<'PY' || fail "data-parallel pretraining differs from one process"
import json, subprocess, sys
LOSS_RTOL, PARAM_RTOL = 1e-4, 1e-3
for a, b, ranks in (("one", "two", 2), ("one10", "three10", 3)):
    x, y = json.load(open(a + ".json")), json.load(open(b + ".json"))
    assert x["steps"] == y["steps"] and x["ranks"] == 1 and y["ranks"] == ranks, (x, y)
    d = abs(x["train_loss"] - y["train_loss"]) / abs(x["train_loss"])
    w = float(subprocess.check_output([sys.executable, sys.argv[1], "start.safetensors", a + ".safetensors",
                                       b + ".safetensors"]))
    print(f"{a} vs {b}: train loss {x['train_loss']} vs {y['train_loss']} (rel {d:.2e}), weights {w:.2e} apart")
    assert d <= LOSS_RTOL and w <= PARAM_RTOL, (x, y, w)
PY

# ---- rank 1 killed (SIGKILL) mid-training ends the job; the rerun resumes from OUT.ckpt to the
# uninterrupted run's bytes. Rank 1 records its pid before it becomes w2s (exec keeps it).
LONG="$PT --batch 16 --steps 600 --ckpt-every 10"
$MPIRUN -np 2 "$W2S_BIN" $LONG --out full.safetensors > full.json || fail "uninterrupted 2-rank pretrain"
cat > rank.sh <<SH
#!/bin/sh
[ "\$OMPI_COMM_WORLD_RANK" = 1 ] && echo \$\$ > rank1.pid
exec "$W2S_BIN" "\$@"
SH
chmod +x rank.sh
$MPIRUN -np 2 ./rank.sh $LONG --out killed.safetensors > /dev/null 2> killed.err &
pid=$!
for _ in $(seq 6000); do
    [ -e killed.safetensors.ckpt ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
[ -e killed.safetensors.ckpt ] || { cat killed.err; fail "no checkpoint seen before the run ended"; }
[ -s rank1.pid ] || fail "rank 1 did not record its pid"
kill -9 "$(cat rank1.pid)"
if wait "$pid"; then fail "the job went on after rank 1 was killed"; fi
pid=""
[ ! -e killed.safetensors ] || fail "the run finished before rank 1 was killed"
$MPIRUN -np 2 "$W2S_BIN" $LONG --out killed.safetensors > resumed.json 2> resume.err \
    || { cat resume.err; fail "resumed 2-rank pretrain"; }
/usr/bin/python3 -c 'import json,sys; s=json.load(open("resumed.json"))["resumed_step"]; sys.exit(not 0 < s < 600)' \
    || { cat resumed.json; fail "the rerun did not resume from the checkpoint"; }
cmp -s full.safetensors killed.safetensors || fail "the resumed run differs from the uninterrupted one"

# ---- --demo makes one cached body: it says to run it alone
if $MPIRUN -np 2 "$W2S_BIN" pretrain --demo weak --quick > /dev/null 2> demo.err; then fail "pretrain --demo ran under mpirun"; fi
grep -q "run it without mpirun/srun" demo.err || { cat demo.err; fail "--demo's refusal does not say why"; }
echo "ok"
