"""test_demo_reference.py — scripts/demo_reference.py (the independent PyTorch implementation of
docs/DEMO.md that `w2s demo`'s accuracy is compared with) still runs and still reproduces docs/DEMO.md's
expected weak body: one seed, weak body only, checked against docs/DEMO.md's figures.
"""
import json
import os
import subprocess
import sys

# docs/DEMO.md: weak test LM loss ≈ 1.73, caption accuracy 0.35–0.43. The bands add the spread of 20
# seeds of this script (LM 1.72–1.78, caption 0.30–0.44, weak probe 0.80–0.88).
WEAK_LM_LOSS = (1.65, 1.85)
WEAK_CAPTION_ACC = (0.25, 0.50)
WEAK_PROBE_ACC = (0.78, 0.92)


def main():
    if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        sys.exit("FAIL: dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
    script = os.path.join(os.environ["W2S_SOURCE_DIR"], "scripts", "demo_reference.py")
    out = subprocess.run([sys.executable, script, "--weak-only", "--seeds", "0", "--threads", "1"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"FAIL: demo_reference.py exited {out.returncode}:\n{out.stderr}")
    seed = json.loads(out.stdout.splitlines()[0])
    failures = []
    for key, (lo, hi) in (("weak_lm_loss", WEAK_LM_LOSS), ("weak_caption_acc", WEAK_CAPTION_ACC),
                          ("weak", WEAK_PROBE_ACC)):
        ok = lo <= seed[key] <= hi
        print(f"{key} {seed[key]:.4f} in [{lo}, {hi}]: {'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append(key)
    if "| weak |" not in out.stdout:
        failures.append("summary table")
    if failures:
        sys.exit("FAIL: " + ", ".join(failures))


if __name__ == "__main__":
    main()
