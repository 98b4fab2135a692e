#!/usr/bin/env bash
# serve_load.sh — load run of `w2s serve` with wrk (bench/serve_load.lua: POST /predict, one
# input of 16..128 random token ids per request). Not run by CI: a measurement you run and
# report. Starts the server on 127.0.0.1 (a free port), warms up, records the server's RSS
# after warm-up and at the end, and prints wrk's JSON line (p50/p90/p99 ms, requests/s, non-2xx,
# socket errors) plus the RSS figures, the server's own /metrics batch sizes, the tokens/s
# labeled in the timed run and the server's CPU seconds (all threads) in it.
# With SEGMENTS=N the run is N back-to-back wrk runs of DURATION/N each, one JSON line per
# segment (its p50/p99, failures and the RSS at its end), so drift in p99 or memory shows.
# usage: bench/serve_load.sh MODEL [DURATION (default 60s)] [CONNECTIONS (default 32)] [-- serve options]
# env: W2S_BIN (default <repo>/build/w2s), WRK_THREADS (default 2), WARMUP (default 10s),
#      SEGMENTS (default 1; DURATION then in seconds, e.g. 600s),
#      W2S_MIN_LEN/W2S_MAX_LEN/W2S_VOCAB (the Lua script's token mix).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n 's/^# usage: //p' "$0"; exit 2; }
model=$1; shift
dur=${1:-60s}; [ $# -ge 1 ] && shift
conns=${1:-32}; [ $# -ge 1 ] && shift
[ "${1:-}" = "--" ] && shift
w2s=${W2S_BIN:-$src/build/w2s}
command -v wrk > /dev/null || { echo "serve_load: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
log=$(mktemp -d)
"$w2s" serve --model "$model" --port 0 --max-concurrent "$((conns * 2))" "$@" > "$log/out" 2> "$log/err" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$log"' EXIT
for _ in $(seq 600); do
  grep -q listening "$log/out" && break
  kill -0 $pid 2>/dev/null || { cat "$log/err" >&2; exit 1; }
  sleep 0.1
done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$log/out")
url="http://127.0.0.1:$port"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "serve_load: server pid $pid on $url, RSS at start $(rss) kB" >&2
wrk -t "${WRK_THREADS:-2}" -c "$conns" -d "${WARMUP:-10s}" -s "$src/bench/serve_load.lua" "$url" > "$log/warm" 2>&1
rss0=$(rss)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat"; }  # user + system s
cpu0=$(cpu)
segments=${SEGMENTS:-1}
if [ "$segments" -gt 1 ]; then
  secs=${dur%s}
  [[ $secs =~ ^[0-9]+$ ]] || { echo "serve_load: with SEGMENTS, DURATION is whole seconds (600s)" >&2; exit 2; }
  echo "{\"rss_after_warmup_kb\": $rss0}"
  : > "$log/segs"
  for i in $(seq "$segments"); do
    wrk -t "${WRK_THREADS:-2}" -c "$conns" -d "$((secs / segments))s" --timeout 30s -s "$src/bench/serve_load.lua" \
      "$url" > "$log/seg" 2>&1
    seg=$(grep '^{"requests"' "$log/seg") || { cat "$log/seg" >&2; exit 1; }
    echo "${seg%\}}, \"segment\": $i, \"rss_kb\": $(rss)}" | tee -a "$log/segs"
  done
  # The whole run: requests and failures summed, the worst segment's p99.
  line=$(python3 -c 'import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
t = sum(x["seconds"] for x in s)
print(json.dumps({"requests": sum(x["requests"] for x in s), "seconds": round(t, 3),
                  "requests_per_s": round(sum(x["requests"] for x in s) / t, 2),
                  "p99_ms_min": min(x["p99_ms"] for x in s), "p99_ms_max": max(x["p99_ms"] for x in s),
                  "non_2xx": sum(x["non_2xx"] for x in s), "socket_errors": sum(x["socket_errors"] for x in s)}))' "$log/segs")
  rss1=$(rss)
  cpu1=$(cpu)
else
  wrk -t "${WRK_THREADS:-2}" -c "$conns" -d "$dur" --timeout 30s -s "$src/bench/serve_load.lua" "$url" > "$log/run" 2>&1
  rss1=$(rss)
  cpu1=$(cpu)
  line=$(grep '^{"requests"' "$log/run") || { cat "$log/run" >&2; exit 1; }
fi
metrics=$(curl -s "$url/metrics")
bs=$(awk '/^w2s_serve_batch_size_sum/ {s=$2} /^w2s_serve_batch_size_count/ {c=$2} END {printf "%.2f", c ? s/c : 0}' <<< "$metrics")
bt=$(awk '/^w2s_serve_batch_tokens_sum/ {s=$2} /^w2s_serve_batch_tokens_count/ {c=$2} END {printf "%.1f", c ? s/c : 0}' <<< "$metrics")
tok=$(awk '/^w2s_serve_tokens_total/ {print $2}' <<< "$metrics")
# Tokens/s of the timed run: wrk's answered requests/s (each one input) times the server's mean
# tokens per input (same mix all along), which counts no request outside wrk's window.
ex=$(awk '/^w2s_serve_examples_total/ {print $2}' <<< "$metrics")
rps=$(sed 's/.*"requests_per_s": \([0-9.]*\).*/\1/' <<< "$line")
tps=$(awk -v t="${tok:-0}" -v e="${ex:-0}" -v r="$rps" 'BEGIN {printf "%.1f", e ? r * t / e : 0}')
echo "${line%\}}, \"connections\": $conns, \"duration\": \"$dur\", \"rss_after_warmup_kb\": $rss0, \"rss_end_kb\": $rss1, \"rss_growth\": $(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.4f", (b - a) / a}'), \"mean_batch_inputs\": $bs, \"mean_batch_tokens\": $bt, \"tokens_total\": ${tok:-0}, \"tokens_per_s\": $tps, \"server_cpu_s\": $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", b - a}')}"
