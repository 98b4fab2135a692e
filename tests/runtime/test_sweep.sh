# test_sweep.sh — `w2s sweep` on three tiny random-init models of different sizes: all six
# weak <= strong pairs run (ordered by size, whatever the order given), sweep.json holds each
# pair's results_summary.json, sweep.html has a point per result, each weak model and ceiling is
# trained once and taken by the later pairs (counted), a rerun reuses every pair (after `touch`
# too: content decides) and an edit redoes the steps saying why,
# the PGR of a pair is the one its `w2s run` reports, and bad arguments give one clear line.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
"$PROBE" model small 1 2 16 64 32 1
"$PROBE" model mid 1 2 32 64 32 2
"$PROBE" model big 2 2 32 64 32 3
"$PROBE" data data.jsonl 240 64 7
ARGS="--data data.jsonl --n-train 160 --n-test 80 --losses xent,logconf --lr 1e-3 --epochs 1 --quiet"

"$W2S_BIN" sweep --models big,small,mid ${ARGS/--quiet/} --out out > sweep.out 2> sweep.err ||
    { cat sweep.err; fail "w2s sweep failed"; }
# Six pairs, but each weak model and ceiling trained once (seed 0): the 3 later pairs of a weak
# model take it (and its labels), the 3 later pairs of a strong model take its ceiling.
grep -q "^sweep: 6 pairs; taken from earlier pairs instead of retrained: 3 weak models, 3 ceilings, 3 label sets" \
    sweep.out || { cat sweep.out; fail "reuse across pairs not counted as expected"; }
[ "$(grep -c 'weak: test accuracy .* steps, ' sweep.err)" = 3 ] && [ "$(grep -c 'ceiling: test accuracy .* steps, ' sweep.err)" = 3 ] ||
    fail "weak models or ceilings trained more than once"
for p in small__small small__mid small__big mid__mid mid__big big__big; do
    [ -s "out/$p/results_summary.json" ] || fail "pair $p missing"
done
[ -e out/mid__small ] && fail "a weak model larger than its strong one was run"
/usr/bin/python3 - <<'PY' || fail "sweep.json / sweep.html inconsistent"
import json
s = json.load(open("out/sweep.json"))
assert [m["name"] for m in s["models"]] == ["small", "mid", "big"], s["models"]
assert len(s["pairs"]) == 6
for p in s["pairs"]:
    summary = json.load(open(f"out/{p['weak']}__{p['strong']}/results_summary.json"))
    assert p["results_summary"] == summary, p
    # each pair records the options as w2s run would: its own models and folder, not --models
    cfg = json.load(open(f"out/{p['weak']}__{p['strong']}/results.json"))["config"]
    assert cfg["weak"].endswith(p["weak"]) and cfg["strong"].endswith(p["strong"]), cfg
    assert cfg["out"].endswith(f"{p['weak']}__{p['strong']}") and "models" not in cfg, cfg
html = open("out/sweep.html").read()
# one dot per ceiling (3 diagonal pairs) and per transfer accuracy (6 pairs x 2 losses)
assert html.count('class="pt"') == 3 + 12, html.count('class="pt"')
assert "</html>" in html
assert "<h2>Models</h2>" in html and all(f"<td>{m['dir']}</td>" in html for m in s["models"])
PY
cp out/sweep.json before.json
"$W2S_BIN" sweep --models small,mid,big $ARGS --out out 2> rerun.err || { cat rerun.err; fail "rerun failed"; }
cmp -s before.json out/sweep.json || fail "rerun changed sweep.json"
# Content, not timestamps: `touch` reuses everything; an edit redoes the steps and says why.
touch data.jsonl small/model.safetensors
"$W2S_BIN" sweep --models small,mid,big ${ARGS/--quiet/} --out out > /dev/null 2> touch.err || fail "rerun after touch"
grep -q "test accuracy .* steps, " touch.err && { cat touch.err; fail "a step was retrained after touch"; }
grep -q ": reused" touch.err || fail "no reuse reported"
cmp -s before.json out/sweep.json || fail "rerun after touch changed sweep.json"


# ---- one PGR definition: the sweep shows exactly what `w2s run` reports on the same pair
# (PGR of the mean accuracies over seeds), in sweep.json and on the page.
ARGS2="--data data.jsonl --n-train 160 --n-test 80 --losses xent,logconf --lr 1e-3 --epochs 1 --seeds 0,1,2 --quiet"
"$W2S_BIN" sweep --models small,mid $ARGS2 --out pg 2> pg.err || { cat pg.err; fail "sweep with seeds failed"; }
"$W2S_BIN" run --weak small --strong mid $ARGS2 --out pgrun 2> pgrun.err || { cat pgrun.err; fail "run of the pair"; }
/usr/bin/python3 - <<'PY' || fail "PGR differs between run and sweep"
import json
run = json.load(open("pgrun/results_summary.json"))
pair = [p for p in json.load(open("pg/sweep.json"))["pairs"] if p["weak"] == "small" and p["strong"] == "mid"][0]
s = pair["results_summary"]
html = open("pg/sweep.html").read()
for loss in ("xent", "logconf"):
    w, c, a = run["weak_acc"], run["strong_acc"], run["transfer_acc_" + loss]
    want = (a - w) / (c - w) if c > w else None
    assert run["pgr_" + loss] == want or abs(run["pgr_" + loss] - want) < 1e-12, (loss, run, want)
    assert s["pgr_" + loss] == run["pgr_" + loss], (loss, s["pgr_" + loss], run["pgr_" + loss])
    assert s["pgr_" + loss + "_n_seeds"] == run["pgr_" + loss + "_n_seeds"] <= 3
    cell = "undefined" if want is None else "%.3f" % want
    assert f">{cell}<" in html, (loss, cell)
assert "averaged over the seeds" in html
PY

"$W2S_BIN" sweep --models small,nosuch $ARGS --out bad 2> err1.txt && fail "missing model accepted"
[ "$(wc -l < err1.txt)" = 1 ] && grep -q "nosuch" err1.txt || { cat err1.txt; fail "missing model: not one clear line"; }
"$W2S_BIN" sweep --models small,mid --weak small $ARGS --out bad 2> err2.txt && fail "--weak accepted"
grep -q "chosen by the sweep" err2.txt || fail "--weak: $(cat err2.txt)"
# (last: it changes data.jsonl)
echo '{"input_ids": [1, 2, 3], "hard_label": 0}' >> data.jsonl
"$W2S_BIN" sweep --models small,mid ${ARGS/--quiet/} --out out > /dev/null 2> edit.err || { cat edit.err; fail "rerun after an edit"; }
grep -q "seed 0 weak: redone: the data's content changed" edit.err || { cat edit.err; fail "no reason for redoing"; }
echo "sweep ok: 6 pairs, rerun identical"
