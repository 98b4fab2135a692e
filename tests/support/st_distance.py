# st_distance.py — helper of the MPI tests (not a test itself): how far apart two trained
# checkpoints are, relative to how far training moved them.
#   st_distance.py START A B   prints ||A - B|| / ||A - START|| over every F32 tensor of A
# (START: the same training at a learning rate too small to move the weights, so it holds the
# initial weights, classification head included).
import json
import math
import struct
import sys


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    out = {}
    for k, v in h.items():
        s, e = v["data_offsets"]
        if v["dtype"] != "F32":
            sys.exit(f"st_distance: {path}: {k} is {v['dtype']}, expected F32")
        out[k] = struct.unpack("<%df" % ((e - s) // 4), b[8 + n + s:8 + n + e])
    return out


start, a, b = (load(p) for p in sys.argv[1:4])
if a.keys() != b.keys() or a.keys() != start.keys():
    sys.exit("st_distance: the checkpoints hold different tensors")
num = den = 0.0
for k in a:
    for x0, x, y in zip(start[k], a[k], b[k]):
        num += (x - y) ** 2
        den += (x - x0) ** 2
print(math.sqrt(num / den) if den > 0 else float("inf"))
