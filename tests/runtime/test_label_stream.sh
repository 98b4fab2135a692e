# test_label_stream.sh — `w2s label --stream`: one request in, its answer out before the next
# request is written (low latency: no waiting for EOF or for a full batch); answers echo the
# request's fields (id) and equal batch mode's int8 labels; malformed requests (invalid UTF-8
# included) get an error line with their line number and the server keeps serving; a burst of
# requests is answered in order.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
tiny_classifier 60 1
"$W2S_BIN" label --model model.safetensors --data data.jsonl --out lab.jsonl --quiet > /dev/null

# ---- interactive: each answer must arrive while the server still waits for more input
coproc SRV { "$W2S_BIN" label --model model.safetensors --stream --batch 4 2> srv.err; }
srv_pid=$SRV_PID   # bash unsets SRV_PID as soon as it reaps the server: keep our own copy
srv_in=${SRV[1]} srv_out=${SRV[0]}   # (and the array too)
for i in 1 2 3; do
    sed -n "${i}p" data.jsonl >&"$srv_in"
    IFS= read -r -t 20 ans <&"$srv_out" || fail "no answer to request $i within 20 s"
    echo "$ans" >> inter.jsonl
done
echo '{"input_ids": [1, 2,' >&"$srv_in"                     # request line 4: malformed
IFS= read -r -t 20 ans <&"$srv_out" || fail "no answer to the malformed request"
echo "$ans" | grep -q '"error"' || fail "malformed request answer: $ans"
echo "$ans" | grep -q '"line": *4' || fail "error answer lacks its line number: $ans"
echo '{"id": "x", "input_ids": [1, 99]}' >&"$srv_in"       # line 5: id out of the vocabulary
IFS= read -r -t 20 ans <&"$srv_out" || fail "no answer to the bad-id request"
echo "$ans" | grep -q '"error"' && echo "$ans" | grep -q '"id": *"x"' || fail "bad-id answer: $ans"
sed -n 4p data.jsonl >&"$srv_in"                             # the server still works
IFS= read -r -t 20 ans <&"$srv_out" || fail "server died after bad requests"
echo "$ans" >> inter.jsonl
exec {srv_in}>&-
wait "$srv_pid" || { cat srv.err; fail "server exit status"; }

# ---- a request jansson rejects with a message quoting invalid UTF-8 still gets an error line
printf '{"txt": "ab\xdb\x97cd"}\n{"input_ids": [1, 2]}\n' |
    "$W2S_BIN" label --model model.safetensors --stream > utf8.jsonl 2> utf8.err || fail "invalid UTF-8 run"
/usr/bin/python3 -c '
import json, sys
a = [json.loads(l) for l in open("utf8.jsonl")]
assert len(a) == 2 and a[0]["line"] == 1 and a[0]["error"] and "soft_label" in a[1], a
' || fail "invalid UTF-8 answer: $(cat utf8.jsonl)"

# ---- burst: all requests at once (micro-batched), answers in request order, blank line ignored
{ head -20 data.jsonl; echo; echo 'not json'; sed -n '21,30p' data.jsonl; } |
    "$W2S_BIN" label --model model.safetensors --stream --batch 8 > burst.jsonl 2> burst.err || fail "burst run"
/usr/bin/python3 - <<'PY' || fail "stream answers"
import json
ref = [json.loads(l) for l in open("lab.jsonl")]
inter = [json.loads(l) for l in open("inter.jsonl")]
burst = [json.loads(l) for l in open("burst.jsonl")]
for got, want in zip(inter, ref[:4]):
    assert got == want, (got, want)       # bit-identical floats printed the same way
assert len(burst) == 31, len(burst)
assert "error" in burst[20] and burst[20]["line"] == 22, burst[20]
for got, want in zip(burst[:20] + burst[21:], ref[:30]):
    assert got["id"] == want["id"] and got["soft_label"] == want["soft_label"], (got, want)
    assert got["hard_label"] == want["hard_label"] and got["gt_label"] == want["gt_label"]
PY
echo "test_label_stream: ok"
