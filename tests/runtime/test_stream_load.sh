# test_stream_load.sh — `w2s label --stream` under load: CLIENTS writer processes (default 10)
# share its stdin through one FIFO for SECONDS seconds (default 20; docs/RELIABILITY.md has a
# 10-minute run), each request with a unique id, RATE requests/s per client (default 0 = as
# fast as the pipe takes them). Every request must be answered exactly once, in each client's
# order, with a valid label (or, for the deliberately invalid ones, an error carrying its id),
# and the server's resident memory must not grow: RSS after the first second and at the end
# (from /proc) within RSS_GROWTH_KB. Env: W2S_STREAM_CLIENTS, W2S_STREAM_SECONDS, W2S_STREAM_RATE.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
PROBE="$W2S_BUILD_DIR/tests/probe_w2s_fixture"
PY=/usr/bin/python3
CLIENTS=${W2S_STREAM_CLIENTS:-10}
SECONDS_=${W2S_STREAM_SECONDS:-20}
RATE=${W2S_STREAM_RATE:-0}
# A bounded server holds at most one read buffer and one batch of requests: a few MB over
# its warm-up size is noise (malloc arenas); a leak or an unbounded queue grows past it.
RSS_GROWTH_KB=8192
T=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null; exec 3>&- 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
"$PROBE" model weak 1 2 16 64 32 1
"$PROBE" data data.jsonl 200 64 11
"$W2S_BIN" train --model weak --data data.jsonl --out m.safetensors --epochs 1 --lr 1e-3 --quiet > /dev/null

mkfifo req
"$W2S_BIN" label --model m.safetensors --stream --threads 1 < req > answers.jsonl 2> server.err &
server=$!
exec 3> req  # held open by the test: the server sees EOF only when the test closes it
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status"; }
for c in $(seq 1 "$CLIENTS"); do
    $PY "$W2S_SOURCE_DIR/tests/runtime/stream_load_client.py" req "c$c" "$SECONDS_" "$RATE" "sent$c" &
done
sleep 1
rss0=$(rss)
peak=$rss0
t_end=$(( $(date +%s) + SECONDS_ - 1 ))
while [ "$(date +%s)" -lt "$t_end" ]; do
    kill -0 "$server" 2>/dev/null || { cat server.err; fail "the server died under load"; }
    r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.5
done
rss1=$(rss)
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
exec 3>&-
wait "$server" || { cat server.err; fail "the server exited with an error"; }
server=""
echo "$(wc -l < answers.jsonl) answers in $SECONDS_ s"
echo "server RSS: ${rss0} kB after 1 s, ${rss1} kB at $SECONDS_ s, peak ${peak} kB"

$PY - "$CLIENTS" <<'PY' || fail "answers"
import json, sys
clients = int(sys.argv[1])
sent = {}
for c in range(1, clients + 1):
    n, bad = map(int, open(f"sent{c}").read().split())
    sent[f"c{c}"] = (n, bad)
seen, last = {}, {}
n_ok = n_err = 0
for line in open("answers.jsonl"):
    a = json.loads(line)
    rid = a.get("id")
    assert rid is not None, f"an answer without an id: {a}"
    assert rid not in seen, f"request {rid} answered twice"
    seen[rid] = a
    c, k = rid.split("-")
    k = int(k)
    assert k > last.get(c, -1), f"{rid} answered after {c}-{last[c]}"
    last[c] = k
    if k % 50 == 49:
        assert "error" in a and "soft_label" not in a, f"invalid request {rid} got {a}"
        n_err += 1
    else:
        assert "error" not in a, f"valid request {rid} got an error: {a}"
        p = a["soft_label"]
        # hard_label is the argmax; a near-tie may print as 0.5/0.5 at 9 digits either way
        assert len(p) == 2 and abs(sum(p) - 1) < 1e-6, a
        assert a["hard_label"] == (p[1] > p[0]) or abs(p[1] - p[0]) < 1e-6, a
        n_ok += 1
total = sum(n for n, _ in sent.values())
for c, (n, bad) in sent.items():
    for k in range(n):
        assert f"{c}-{k}" in seen, f"request {c}-{k} never answered"
assert len(seen) == total, (len(seen), total)
print(f"{total} requests from {clients} clients answered exactly once ({n_ok} labels, {n_err} errors)")
PY
[ "$rss1" -le $((rss0 + RSS_GROWTH_KB)) ] || fail "RSS grew from $rss0 to $rss1 kB"
echo "ok"
