# test_profile_html.sh — `w2s profile` on a tiny model writes profile.json and profile.html; a
# real headless Chromium loads the page with no console errors and the page's own check finds
# every roofline point drawn (document.title = "ok:<points>", read back with --dump-dom).
# Also: the profiled total is within 5% of the wall clock of the steps (issue #8's criterion),
# and the console-error detection itself works (a page with a broken script is caught).
# Needs Debian's `chromium`; skipped (exit 77, ctest's SKIP_RETURN_CODE) only when it is not installed.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
command -v chromium > /dev/null || { echo "SKIP: chromium not installed (apt-get install -y chromium)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Peaks are measured into a private cache (a few seconds) so the user's cache is untouched.
export XDG_CACHE_HOME="$work/cache"
"$W2S_BIN" profile --arch gpt2 --layers 1 --mode label --precision bf16 --batch 2 --seq 16 \
    --steps 2 --warmup 1 --out "$work" > "$work/table.txt"
cat "$work/table.txt"
[ -s "$work/profile.json" ] || fail "no profile.json"
[ -s "$work/profile.html" ] || fail "no profile.html"
npoints=$(/usr/bin/python3 - "$work/profile.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
t = p["totals"]
ratio = t["profiled_over_wall"]
assert 0.95 <= ratio <= 1.0 + 1e-6, f"profiled/wall {ratio} outside [0.95, 1]"
assert abs(t["gemm_seconds"] + t["region_seconds"] - t["profiled_seconds"]) <= 1e-6 * t["profiled_seconds"]
# 1 layer, forward only (label mode keeps the test short): the 4 linears of the block, plus
# any per-head attention GEMMs run inside an OpenMP team ("nested", kept out of the total)
top = [r for r in p["gemm"] if not r["nested"]]
assert len(top) == 4, [r["path"] for r in p["gemm"]]
assert all(r["calls"] == 2 for r in top), top
assert all(r["pct_peak"] > 0 for r in p["gemm"]), p["gemm"]
assert p["peak"]["bf16"]["all_gflops"] > 0 and p["peak"]["triad_gbs"] > 0
print(len(p["gemm"]))
PY
) || fail "profile.json checks"
grep -q "profiled / wall" "$work/table.txt" || fail "table lacks the profiled/wall line"

chrome() {  # chrome <page> <dom-out> <log-out>
    timeout 50 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 \
        --dump-dom "file://$1" > "$2" 2> "$3" || true
}
chrome "$work/profile.html" "$work/dom.html" "$work/chrome.log"
grep -q "<title>ok:$npoints</title>" "$work/dom.html" ||
    fail "page check did not report ok:$npoints: $(grep -o '<title>[^<]*</title>' "$work/dom.html" | head -1)"
if grep -q "CONSOLE" "$work/chrome.log"; then
    grep "CONSOLE" "$work/chrome.log" >&2
    fail "console messages while loading profile.html"
fi
# The detector must see a real script error (else a silent Chromium would pass anything).
sed 's|</body>|<script>no_such_function();</script></body>|' "$work/profile.html" > "$work/broken.html"
chrome "$work/broken.html" "$work/dom2.html" "$work/chrome2.log"
grep -q "CONSOLE.*no_such_function" "$work/chrome2.log" || fail "a broken script was not reported on the console log"
echo "ok ($npoints points)"
