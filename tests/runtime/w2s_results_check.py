# w2s_results_check.py — helper of test_protocol.sh / test_resume.sh (not a test itself):
#   check OUT            consistency of OUT/results.json, results_summary.json, report.html
#   same OUT_A OUT_B     the two runs' numbers are identical (timings and reuse flags excluded)
import json
import math
import os
import statistics
import sys

TIMING = {"train_s", "eval_s", "label_s", "total_s", "reused", "resumed_step", "train_examples_per_s",
          "label_examples_per_s"}
PGR_TOL = 1e-12  # PGR and means recomputed in double from the same doubles: rounding only


def load(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(out):
    r = load(out, "results.json")
    s = load(out, "results_summary.json")
    html = open(os.path.join(out, "report.html")).read()
    if "<svg" not in html or "http" in html.replace("http://www.w3.org/2000/svg", ""):
        fail("report.html has no inline SVG or references the network")
    for key in ("config", "versions", "machine", "seeds", "stats", "label_precision"):
        if key not in r:
            fail(f"results.json has no {key}")
    for key in ("w2s", "onednn", "hwloc", "jansson"):
        if key not in r["versions"]:
            fail(f"no version of {key}")
    if not r["machine"].get("isa") or not r["machine"].get("threads"):
        fail("no ISA / threads")
    losses = list(r["seeds"][0]["students"].keys())
    accs = {"weak_acc": [], "strong_acc": []}
    for loss in losses:
        accs["transfer_acc_" + loss] = []
    for sd in r["seeds"]:
        w, c = sd["weak"]["accuracy"], sd["ceiling"]["accuracy"]
        accs["weak_acc"].append(w)
        accs["strong_acc"].append(c)
        for loss in losses:
            a = sd["students"][loss]["accuracy"]
            accs["transfer_acc_" + loss].append(a)
            p = sd["pgr"][loss]
            if c > w:
                want = (a - w) / (c - w)
                if p is None or abs(p - want) > PGR_TOL:
                    fail(f"seed {sd['seed']} {loss}: PGR {p} != recomputed {want}")
            else:
                if p is not None:
                    fail(f"seed {sd['seed']} {loss}: PGR {p} should be null (ceiling {c} <= weak {w})")
                if not sd.get("pgr_undefined_reason", {}).get(loss):
                    fail(f"seed {sd['seed']} {loss}: undefined PGR without a reason")
        seed_dir = os.path.join(out, f"seed{sd['seed']}")
        with open(os.path.join(seed_dir, "weak_labels.jsonl")) as f:
            lines = [json.loads(x) for x in f]
        if len(lines) != sd["ceiling"]["n_train"]:
            fail(f"weak_labels.jsonl has {len(lines)} lines, train2 has {sd['ceiling']['n_train']}")
        for ln in lines:
            if abs(sum(ln["soft_label"]) - 1) > 1e-5 or ln["hard_label"] != max(range(len(ln["soft_label"])), key=lambda k: ln["soft_label"][k]):
                fail(f"bad weak label line {ln}")
        for step in ["weak", "ceiling"] + ["student_" + x for x in losses]:
            if os.path.exists(os.path.join(seed_dir, step, "train.ckpt")):
                fail(f"{step}: training checkpoint left behind")
    for key, vals in accs.items():
        mean = statistics.fmean(vals)
        if key not in s or abs(s[key] - mean) > PGR_TOL:
            fail(f"summary {key} = {s.get(key)} != mean {mean}")
        if abs(r["stats"][key]["mean"] - mean) > PGR_TOL:
            fail(f"stats {key} mean != {mean}")
    # One PGR definition: of the mean accuracies, what results_summary's keys give.
    for loss in losses:
        vals = [sd["pgr"][loss] for sd in r["seeds"] if sd["pgr"][loss] is not None]
        st = r["stats"]["pgr_" + loss]
        w, c, a = s["weak_acc"], s["strong_acc"], s["transfer_acc_" + loss]
        want = (a - w) / (c - w) if c > w else None
        got = st["pgr"]
        if (want is None) != (got is None) or (want is not None and abs(got - want) > PGR_TOL):
            fail(f"pgr_{loss} {got} is not the PGR of the mean accuracies {want}")
        if want is None and not st.get("undefined_reason"):
            fail(f"pgr_{loss} undefined without a reason")
        if s["pgr_" + loss] != got or s["pgr_" + loss + "_n_seeds"] != len(vals):
            fail(f"results_summary pgr_{loss} disagrees with results.json")
        sd_want = statistics.stdev(vals) if len(vals) > 1 else None
        if st["n_seeds"] != len(vals) or (sd_want is None) != (st["seed_std"] is None) or \
                (sd_want is not None and abs(st["seed_std"] - sd_want) > PGR_TOL):
            fail(f"pgr_{loss} spread {st} disagrees with the per-seed PGRs {vals}")
    print(f"ok: {out} consistent ({len(r['seeds'])} seeds, losses {losses})")


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def same(a, b):
    ra, rb = load(a, "results.json"), load(b, "results.json")
    for key in ("seeds", "stats"):
        if strip(ra[key]) != strip(rb[key]):
            fail(f"{key} differ between {a} and {b}:\n{json.dumps(strip(ra[key]))}\n{json.dumps(strip(rb[key]))}")
    if load(a, "results_summary.json") != load(b, "results_summary.json"):
        fail("results_summary.json differ")
    print(f"ok: {a} and {b} have identical numbers")


if __name__ == "__main__":
    {"check": lambda: check(sys.argv[2]), "same": lambda: same(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
