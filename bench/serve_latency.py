#!/usr/bin/env python3
# serve_latency.py — single-request latency of a running `w2s serve`: N sequential POST /predict
# of one input of T random token ids over one keep-alive connection; prints p50/p90/p99 in ms
# (client-side wall time: HTTP, parsing, batching and the forward). Not a load test
# (bench/serve_load.sh is). usage: serve_latency.py PORT [T=64] [N=50] [VOCAB=50257]
import http.client, json, random, statistics, sys, time
port = int(sys.argv[1])
T = int(sys.argv[2]) if len(sys.argv) > 2 else 64
N = int(sys.argv[3]) if len(sys.argv) > 3 else 50
V = int(sys.argv[4]) if len(sys.argv) > 4 else 50257
rnd = random.Random(7)
body = json.dumps({"inputs": [rnd.randrange(V) for _ in range(T)]})
c = http.client.HTTPConnection("127.0.0.1", port)
ms = []
for i in range(N + 3):
    t0 = time.perf_counter()
    c.request("POST", "/predict", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
    if i >= 3:  # warm-up
        ms.append((time.perf_counter() - t0) * 1e3)
ms.sort()
q = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
print(json.dumps({"tokens": T, "requests": N, "p50_ms": round(statistics.median(ms), 3),
                  "p90_ms": round(q(0.9), 3), "p99_ms": round(q(0.99), 3)}))
