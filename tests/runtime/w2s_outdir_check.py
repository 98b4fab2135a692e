# w2s_outdir_check.py — helper of test_kill_resume.sh / test_resource_limits.sh (not a test):
#   w2s_outdir_check.py DIR [--no-tmp]
# Every file w2s left in DIR must be whole: each .json parses, each .jsonl line parses, each
# .safetensors / .ckpt has a valid header whose tensors exactly fill the file, each .html ends
# with </html>. Temp files (NAME.tmp.PID) of an interrupted write are skipped, or with --no-tmp
# are an error (after a completed run none may survive). Exit 1 with one line per problem.
import json
import os
import re
import struct
import sys

TMP = re.compile(r"\.tmp\.\d+$")
SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
         "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def check_safetensors(path):
    data = open(path, "rb").read()
    if len(data) < 8:
        return "shorter than the 8-byte header length"
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        return f"header length {n} runs past the end ({len(data)} bytes)"
    header = json.loads(data[8:8 + n])
    end = 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        count = 1
        for d in t["shape"]:
            count *= d
        if b - a != count * SIZES[t["dtype"]]:
            return f"tensor {name}: {b - a} bytes for shape {t['shape']} {t['dtype']}"
        end = max(end, b)
    if 8 + n + end != len(data):
        return f"tensors end at {8 + n + end}, the file has {len(data)} bytes"
    return None


def check(path):
    if path.endswith(".json"):
        json.load(open(path))
    elif path.endswith(".jsonl"):
        for i, line in enumerate(open(path), 1):
            try:
                json.loads(line)
            except ValueError as e:
                return f"line {i}: {e}"
    elif path.endswith(".safetensors") or path.endswith(".ckpt"):
        return check_safetensors(path)
    elif path.endswith(".html"):
        if not open(path).read().rstrip().endswith("</html>"):
            return "does not end with </html>"
    return None


def main():
    root, no_tmp = sys.argv[1], "--no-tmp" in sys.argv[2:]
    problems = []
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            if TMP.search(name):
                if no_tmp:
                    problems.append(f"{path}: temp file left behind")
                continue
            try:
                why = check(path)
            except Exception as e:  # any parse failure is a corrupt file
                why = f"{type(e).__name__}: {e}"
            if why:
                problems.append(f"{path}: {why}")
    for p in problems:
        print("CORRUPT:", p)
    sys.exit(1 if problems else 0)


main()
