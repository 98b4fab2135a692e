# test_run_report_html.sh — `w2s run`'s report.html as a reader sees it (issue #22): a real
# headless Chromium renders the page with no console message, and its screenshot is checked to
# hold drawn content (not a blank page); the DOM shows the provenance (model paths, sizes and
# content hashes, data lines), the settings, per-seed points and values, AUROC, the learning curves,
# the PGR definition and the sanity warnings.
# Needs Debian's `chromium`; skipped (exit 77) only when it is not installed.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
command -v chromium > /dev/null || { echo "SKIP: chromium not installed (apt-get install -y chromium)"; exit 77; }
scratch_dir
tiny_pair 400 7
"$W2S_BIN" run --weak weak --strong strong --data data.jsonl --n-train 300 --n-test 100 --seeds 0,1 --lr 1e-3 \
    --weak-lr 2e-3 --eval-every 3 --losses xent,logconf --out out > run.txt 2> run.err || { cat run.err; fail "run"; }

chrome() {  # chrome <page> <dom-out> <log-out> [extra flags]
    local page="$1" dom="$2" log="$3"; shift 3
    timeout 50 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$T")" --enable-logging=stderr --v=0 "$@" \
        "file://$page" > "$dom" 2> "$log" || true
}
chrome "$T/out/report.html" dom.html chrome.log --dump-dom
grep -q "CONSOLE" chrome.log && { grep CONSOLE chrome.log >&2; fail "console messages while loading report.html"; }
chrome "$T/out/report.html" /dev/null shot.log --screenshot="$T/shot.png" --window-size=1000,3000 --hide-scrollbars
[ -s shot.png ] || { cat shot.log; fail "no screenshot"; }

/usr/bin/python3 - <<'PY' || fail "report.html content"
import html, json, re, struct, zlib
dom = html.unescape(open("dom.html").read())
r = json.load(open("out/results.json"))
p = r["provenance"]
for key in ("weak", "strong"):
    assert p[key]["path"] in dom and p[key]["hash"] in dom, key
assert f"{p['strong']['params'] / 1e6:.4g}M parameters" in dom
assert f"{p['data']['lines']} lines, {p['data']['examples']} examples" in dom and p["data"]["hash"] in dom
assert "resolved: lr_weak" in dom and "0.002" in dom and "--eval-every" in dom, "settings missing"
assert f"w2s {r['versions']['w2s']}" in dom and r["machine"]["isa"] in dom
assert dom.count('class="seedpt"') == 2 * 4, dom.count('class="seedpt"')  # 2 seeds x (weak, ceiling, 2 students)
assert dom.count('class="curve"') == 4
assert "Per seed" in dom and "averaged over the seeds" in dom
assert ">-0<" not in dom, "a tick labelled -0"
assert ">-0<" not in dom, "a tick labelled -0"
for w in r["warnings"]:
    assert w in dom, w
for sd in r["seeds"]:
    assert f"{sd['weak']['accuracy']:.4f}" in dom
au = [sd["weak"]["auroc"] for sd in r["seeds"]]
assert "AUROC (mean)" in dom and f"{sum(au) / len(au):.4f}" in dom, au

# The screenshot: a PNG whose rows are not all one colour (the page drew tables and plots).
png = open("shot.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n"
w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
data, pos = b"", 8
while pos < len(png):
    n, kind = struct.unpack(">I4s", png[pos:pos + 8])
    if kind == b"IDAT":
        data += png[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(data)
bpp = {2: 3, 6: 4}[ctype]
stride = 1 + w * bpp
# Count rows with any non-background byte (filter bytes aside, a uniform row compresses to
# one repeated value after the first pixel under every PNG filter but Paeth/Up of a change).
busy = sum(1 for y in range(h) if len(set(raw[y * stride + 1:(y + 1) * stride])) > 2)
assert busy > h // 10, f"screenshot {w}x{h} looks blank ({busy} busy rows)"
print(f"ok: screenshot {w}x{h}, {busy} rows drawn")
PY
echo ok
