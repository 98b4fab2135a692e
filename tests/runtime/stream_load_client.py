# stream_load_client.py — one client of test_stream_load.sh (not a test itself):
#   stream_load_client.py FIFO CLIENT SECONDS RATE OUT
# Writes requests {"id": "CLIENT-N", "input_ids": [...]} to FIFO for SECONDS seconds, RATE per
# second (0: as fast as the pipe takes them), each line in one write() (atomic on a pipe up to
# PIPE_BUF, so clients' lines never interleave). Every 50th request is invalid (a token id
# outside the vocabulary) and must be answered with an error carrying its id. Writes the
# number of requests sent and how many were invalid to OUT.
import json
import os
import random
import sys
import time

fifo, client, seconds, rate, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rng = random.Random(client)
fd = os.open(fifo, os.O_WRONLY)
end = time.monotonic() + seconds
n = bad = 0
next_t = time.monotonic()
while time.monotonic() < end:
    ids = [rng.randrange(64) for _ in range(rng.randint(2, 12))]
    if n % 50 == 49:
        ids[-1] = 1000
        bad += 1
    os.write(fd, (json.dumps({"id": f"{client}-{n}", "input_ids": ids}) + "\n").encode())
    n += 1
    if rate > 0:
        next_t += 1.0 / rate
        time.sleep(max(0.0, next_t - time.monotonic()))
os.close(fd)
with open(out, "w") as f:
    f.write(f"{n} {bad}\n")
