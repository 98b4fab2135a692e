# test_run_chain.sh — `w2s run --chain M1,M2,M3` (bootstrapping, issue #21): the hop structure
# (per loss, M2 trained on the weak model's labels of train2, M3 on M2's labels of the same
# train2, which are M2's own predictions: relabeled here with `w2s label`), each hop's accuracy
# and the chain's PGR in results.json, results_summary.json, the stdout table and report.html;
# every step reused on a rerun; a 2-model chain is the plain run's student (its step, reused);
# the same through --config (the library's path); bad lists give one line.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_pair 400 7
"$PROBE" model mid 2 2 24 64 32 3
B="--data data.jsonl --n-train 300 --n-test 100 --lr 1e-3 --losses xent,logconf --epochs 1"

# ---- a 3-model chain
"$W2S_BIN" run --chain weak,mid,strong $B --out ch > ch.txt 2> ch.err || { cat ch.err; fail "chain run"; }
for step in chain1_xent chain2_xent chain1_logconf chain2_logconf; do
    grep -q "seed 0 $step: test accuracy" ch.err || { cat ch.err; fail "$step was not trained"; }
done
for f in model.safetensors config.json labels.safetensors labels.jsonl step.json; do
    [ -f "ch/seed0/chain1_xent/$f" ] || fail "chain1_xent lacks $f (the middle model labels the next hop)"
done
[ -f ch/seed0/chain2_xent/labels.jsonl ] && fail "the chain's end labeled train2 (nothing follows it)"
grep -q '^| chain (test accuracy) | hop 1: M2 | hop 2: M3 | PGR chain | PGR direct |' ch.txt ||
    { cat ch.txt; fail "no chain table on stdout"; }
grep -q '^| xent  *| *0\.[0-9]* | *0\.[0-9]* |' ch.txt || { cat ch.txt; fail "no xent chain row"; }
grep -q "Bootstrapping (--chain)" ch/report.html || fail "report.html lacks the chain"

# M3's training labels are M2's: relabel train2 with the saved M2 (int8, as the run labels)
"$W2S_BIN" label --model ch/seed0/chain1_xent --data ch/seed0/chain1_xent/labels.jsonl --out m2.jsonl --quiet \
    > /dev/null || fail "labeling with the chain's M2"
/usr/bin/python3 - <<'PY' || fail "chain hop structure"
import json
r = json.load(open("ch/results.json"))
s = r["seeds"][0]
sm = json.load(open("ch/results_summary.json"))
assert sm["chain_models"] == ["weak", "mid", "strong"], sm["chain_models"]
pv = r["provenance"]["chain"]
assert [m["path"] for m in pv] == ["weak", "mid", "strong"] and pv[0]["hash"] == r["provenance"]["weak"]["hash"], pv
assert "<td>chain M2</td><td>mid</td>" in open("ch/report.html").read(), "report.html lacks the middle model"
# the hops' train2 is the students' train2: M2's labels cover the weak labels' examples
weak_ids = [json.loads(l)["id"] for l in open("ch/seed0/weak_labels.jsonl")]
m2 = [json.loads(l) for l in open("ch/seed0/chain1_xent/labels.jsonl")]
assert [e["id"] for e in m2] == weak_ids, "the chain labeled another split than train2"
re = [json.loads(l) for l in open("m2.jsonl")]
assert [e["soft_label"] for e in m2] == [e["soft_label"] for e in re], "chain1_xent's labels are not M2's predictions"
for loss in ("xent", "logconf"):
    hops = s["chain"][loss]
    assert [h["hop"] for h in hops] == [1, 2] and [h["model"] for h in hops] == ["mid", "strong"], hops
    assert all(h["n_train"] == 150 for h in hops), hops  # train2 of n_train 300, every hop
    w, c, end = s["weak"]["accuracy"], s["ceiling"]["accuracy"], hops[-1]["accuracy"]
    want = (end - w) / (c - w) if c > w else None
    got = s["chain_pgr"][loss]
    assert (got is None and want is None) or abs(got - want) < 1e-12, (loss, got, want)
    assert sm["chain_hop_acc_" + loss] == [h["accuracy"] for h in hops], loss
    assert sm["chain_acc_" + loss] == end and sm["pgr_chain_" + loss] == got, loss
    assert 0 <= hops[0]["agreement_with_weak"] <= 1, hops[0]
PY

# ---- a rerun reuses every step: weak, labels, ceiling, 2 students, per loss 2 hops + 1 labeling
"$W2S_BIN" run --chain weak,mid,strong $B --out ch > ch2.txt 2> ch2.err || { cat ch2.err; fail "chain rerun"; }
[ "$(grep -c ': reused' ch2.err)" = 11 ] || { cat ch2.err; fail "the rerun did not reuse the 11 steps"; }
grep -q ': test accuracy [0-9.]* (' ch2.err && { cat ch2.err; fail "the rerun trained a model"; }
grep '^| ' ch.txt > t1.txt
grep '^| ' ch2.txt > t2.txt
cmp -s t1.txt t2.txt || { diff t1.txt t2.txt; fail "the rerun's tables differ"; }
# a changed middle model redoes its hops and what follows them, not the plain run's steps
"$PROBE" model mid 2 2 24 64 32 4
"$W2S_BIN" run --chain weak,mid,strong $B --out ch > ch3.txt 2> ch3.err || { cat ch3.err; fail "chain rerun 3"; }
for step in weak ceiling student_xent student_logconf; do
    grep -q "seed 0 $step: reused" ch3.err || { cat ch3.err; fail "$step redone after the middle model changed"; }
done
grep -q "seed 0 chain1_xent: redone: the model's files changed" ch3.err || { cat ch3.err; fail "chain1 not redone"; }
grep -q "seed 0 chain2_xent: test accuracy" ch3.err || { cat ch3.err; fail "chain2 not retrained on new labels"; }

# ---- a 2-model chain is the plain run: its one hop is the student's step, found by its key
"$W2S_BIN" run --weak weak --strong strong $B --out plain > /dev/null 2> plain.err || { cat plain.err; fail "plain"; }
"$W2S_BIN" run --chain weak,strong $B --out c2 > c2.txt 2> c2.err || { cat c2.err; fail "2-model chain"; }
[ "$(grep -c 'seed 0 student_xent: reused' c2.err)" = 1 ] || { cat c2.err; fail "hop 1 was not the student's step"; }
grep -q "chain1" c2.err && { cat c2.err; fail "a 2-model chain trained a chain step"; }
printf '{"chain": ["weak", "strong"], "data": "data.jsonl", "n_train": 300, "n_test": 100, "lr": 1e-3, "losses": ["xent", "logconf"], "epochs": 1, "out": "c2"}\n' > c2.json
"$W2S_BIN" run --config c2.json > /dev/null 2> c2b.err || { cat c2b.err; fail "chain through --config"; }
[ "$(grep -c ': reused' c2b.err)" = 7 ] || { cat c2b.err; fail "--config's chain is not the same run"; }
/usr/bin/python3 - <<'PY' || fail "2-model chain against the plain run"
import json
p = json.load(open("plain/results.json"))["seeds"][0]
c = json.load(open("c2/results.json"))["seeds"][0]
for k in ("weak", "ceiling"):
    assert p[k]["accuracy"] == c[k]["accuracy"] and p[k]["final_loss"] == c[k]["final_loss"], k
for loss in ("xent", "logconf"):
    hop = c["chain"][loss]
    assert len(hop) == 1 and hop[0]["model"] == "strong", hop
    st = p["students"][loss]
    for k in ("accuracy", "auroc", "final_loss", "steps"):
        assert hop[0][k] == st[k], (loss, k, hop[0][k], st[k])
    assert c["chain_pgr"][loss] == p["pgr"][loss], loss
PY

# ---- errors: one line
expect_error "at least two models" "$W2S_BIN" run --chain weak $B --out e1
expect_error "drop --weak" "$W2S_BIN" run --chain weak,strong --weak weak $B --out e1
expect_error "an empty model" "$W2S_BIN" run --chain weak,,strong $B --out e1
"$PROBE" model odd 1 2 16 32 32 5
expect_error "chain model 2 odd has vocab_size 32" "$W2S_BIN" run --chain weak,odd,strong $B --out e1
expect_error "--chain is" "$W2S_BIN" sweep --models weak,strong --chain weak,strong $B --out e1
[ ! -e e1 ] || fail "an output directory was made for a refused run"
"$W2S_BIN" run --help | grep -q -- "--chain M1" || fail "--help lacks --chain"
echo ok
