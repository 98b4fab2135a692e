# test_stream_load.sh — `w2s label --stream` under load: CLIENTS writer processes (default 10)
# share its stdin through one FIFO for SECONDS seconds (default 20; docs/RELIABILITY.md has a
# 10-minute run), each request with a unique id, RATE requests/s per client (default 0 = as
# fast as the pipe takes them). Every request must be answered exactly once, in each client's
# order, with a valid label (or, for the deliberately invalid ones, an error carrying its id),
# and the server's resident memory must not grow: RSS after the first second and at the end
# (from /proc) within RSS_GROWTH_KB. Env: W2S_STREAM_CLIENTS, W2S_STREAM_SECONDS, W2S_STREAM_RATE.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
PY=/usr/bin/python3
CLIENTS=${W2S_STREAM_CLIENTS:-10}
SECONDS_=${W2S_STREAM_SECONDS:-20}
RATE=${W2S_STREAM_RATE:-0}
# A bounded server holds at most one read buffer and one batch of requests: a few MB over
# its warm-up size is noise (malloc arenas); a leak or an unbounded queue grows past it.
RSS_GROWTH_KB=8192
T=$(mktemp -d)
server=""
checker=""
cleanup() {
    [ -n "$server" ] && kill -9 "$server" 2>/dev/null
    [ -n "$checker" ] && kill -9 "$checker" 2>/dev/null
    exec 3>&- 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
"$PROBE" model weak 1 2 16 64 32 1
"$PROBE" data data.jsonl 200 64 11
"$W2S_BIN" train --model weak --data data.jsonl --out m.safetensors --epochs 1 --lr 1e-3 --quiet > /dev/null

mkfifo req
# Held open read-write by the test (so opening it never blocks) and by nobody else (children
# get 3>&-): the server sees EOF once the clients are done and the test closes it.
exec 3<> req
# Answers go straight into the checker (a 10-minute run is tens of millions of lines). The
# server answers in request order and each client writes its requests in order, so client c's
# answers must be exactly c-0, c-1, c-2, ...: checking that needs one counter per client.
"$W2S_BIN" label --model m.safetensors --stream --threads 1 < req 2> server.err 3>&- | $PY -c '
import json, sys
nxt, n_ok, n_err = {}, 0, 0
for line in sys.stdin:
    a = json.loads(line)
    c, k = a["id"].split("-")
    k = int(k)
    assert k == nxt.get(c, 0), f"{c}-{k} answered where {c}-{nxt.get(c, 0)} was due"
    nxt[c] = k + 1
    if k % 50 == 49:
        assert "error" in a and "soft_label" not in a, f"invalid request {c}-{k} got {a}"
        n_err += 1
    else:
        assert "error" not in a, f"valid request {c}-{k} got an error: {a}"
        p = a["soft_label"]
        assert len(p) == 2 and abs(sum(p) - 1) < 1e-6, a
        # hard_label is the argmax; a near-tie may print as 0.5/0.5 at 9 digits either way
        assert a["hard_label"] == (p[1] > p[0]) or abs(p[1] - p[0]) < 1e-6, a
        n_ok += 1
json.dump({"next": nxt, "ok": n_ok, "err": n_err}, open("answered.json", "w"))
' 3>&- &
checker=$!
for _ in $(seq 1 100); do  # the forked child shows the server's command line once it has exec'ed
    server=$(pgrep -n -P $$ -f "label --model m.safetensors") && break
    sleep 0.05
done
[ -n "$server" ] || fail "no server process"
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status"; }
clients=""
for c in $(seq 1 "$CLIENTS"); do
    $PY "$W2S_SOURCE_DIR/tests/runtime/stream_load_client.py" req "c$c" "$SECONDS_" "$RATE" "sent$c" 3>&- &
    clients+=" $!"
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
for p in $clients; do wait "$p" || fail "a client failed"; done
exec 3>&-
wait "$checker" || { cat server.err; fail "answers (see above)"; }
server=""
checker=""
[ ! -s server.err ] || { cat server.err; fail "the server wrote to stderr"; }
echo "server RSS: ${rss0} kB after 1 s, ${rss1} kB at $SECONDS_ s, peak ${peak} kB"

$PY - "$CLIENTS" "$SECONDS_" <<'PY' || fail "answers"
import json, sys
clients, secs = int(sys.argv[1]), int(sys.argv[2])
got = json.load(open("answered.json"))
total = 0
for c in range(1, clients + 1):
    n, bad = map(int, open(f"sent{c}").read().split())
    assert got["next"].get(f"c{c}", 0) == n, f"client c{c} sent {n}, {got['next'].get(f'c{c}', 0)} answered"
    total += n
print(f"{total} requests from {clients} clients in {secs} s answered exactly once, in order "
      f"({got['ok']} labels, {got['err']} errors)")
PY
# ASan's quarantine holds freed memory (up to 256 MB by design): the bound is the Release pass's.
if [ "${W2S_SANITIZED:-0}" = 1 ]; then
    echo "RSS bound not checked in the sanitizer build"
else
    [ "$rss1" -le $((rss0 + RSS_GROWTH_KB)) ] || fail "RSS grew from $rss0 to $rss1 kB"
fi
echo "ok"
