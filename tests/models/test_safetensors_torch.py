# test_safetensors_torch.py — cross-check of models/safetensors.c against PyTorch.
# The `safetensors` Python package is not installed here, so the Python side reads and writes
# the format with struct + json (what safetensors.torch does underneath); torch is the
# authority for dtype byte layouts and for the F16/BF16 -> f32 conversions.
# It drives the C test binary's `--dump FILE` and `--write-sample FILE` modes.
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch

BIN = os.path.join(os.environ.get("W2S_BUILD_DIR", "build"), "tests", "test_safetensors")

# The format's dtype names; their order is the reference writer's sort order (largest first).
DTYPES = {
    torch.float64: "F64", torch.int64: "I64", torch.float32: "F32", torch.int32: "I32",
    torch.bfloat16: "BF16", torch.float16: "F16", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
FROM_NAME = {v: k for k, v in DTYPES.items()}


def raw_bytes(t):
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def f32_bits(t):
    return t.to(torch.float32).contiguous().reshape(-1).view(torch.int32).tolist()


def write_file(path, tensors, metadata, layout):
    """layout 'hf': data sorted by (itemsize desc, name), header padded to 8 with spaces,
    as safetensors.torch.save_file does. 'odd': insertion order, no padding, so offsets are
    unaligned — still a valid file that any reader must accept."""
    names = list(tensors)
    if layout == "hf":
        names.sort(key=lambda n: (-tensors[n].element_size(), n))
    header, blobs, off = {}, [], 0
    for n in names:
        b = raw_bytes(tensors[n])
        header[n] = {"dtype": DTYPES[tensors[n].dtype], "shape": list(tensors[n].shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    if layout == "hf":
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def sample_tensors():
    g = torch.Generator().manual_seed(1234)
    specials = torch.tensor([0.0, -0.0, 1.0, -2.0, 65504.0, 6e-8, 1e-5, float("inf"),
                             float("-inf"), float("nan"), 0.3333, -1e-7])
    return {
        "f32": torch.randn(3, 4, 5, generator=g),
        "f16": specials.to(torch.float16),
        "f16_rand": torch.randn(17, generator=g).to(torch.float16),
        "bf16": torch.cat([torch.randn(7, generator=g), specials]).to(torch.bfloat16),
        "f64": torch.randn(2, 3, generator=g, dtype=torch.float64),
        "i64": torch.tensor([-1, 2**40, -(2**62)], dtype=torch.int64),
        "i32": torch.tensor([[-5, 7], [2**31 - 1, -(2**31)]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300, 1], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0, 5, 9], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 128], dtype=torch.uint8),
        "mask": torch.tensor([True, False, True], dtype=torch.bool),
        "h.0.attn.c_attn.weight": torch.randn(8, 24, generator=g),  # Conv1D: [in, out]
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
    }


def dump(path):
    out = subprocess.run([BIN, "--dump", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"w2s could not read {path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check_torch_to_w2s(tmp):
    tensors = sample_tensors()
    meta = {"format": "pt", "note": "ünïcode ✓"}
    for layout in ("hf", "odd"):
        path = os.path.join(tmp, f"torch_{layout}.safetensors")
        write_file(path, tensors, meta, layout)
        d = dump(path)
        assert d["metadata"] == meta, (layout, d["metadata"])
        assert set(d["tensors"]) == set(tensors), (layout, sorted(d["tensors"]))
        for name, t in tensors.items():
            got = d["tensors"][name]
            assert got["dtype"] == DTYPES[t.dtype], (name, got["dtype"])
            assert got["shape"] == list(t.shape), (name, got["shape"])
            assert bytes.fromhex(got["hex"]) == raw_bytes(t), f"{layout}: bytes of {name}"
            if t.dtype in (torch.float32, torch.float16, torch.bfloat16):
                bits = list(struct.unpack(f"<{t.numel()}i", bytes.fromhex(got["f32_hex"])))
                want = f32_bits(t)
                ref = t.to(torch.float32).reshape(-1).tolist()
                for k, (a, b) in enumerate(zip(bits, want)):
                    if math.isnan(ref[k]):
                        a_f = struct.unpack("<f", struct.pack("<i", a))[0]
                        assert math.isnan(a_f), f"{name}[{k}]: NaN lost"
                    else:
                        assert a == b, f"{layout}: {name}[{k}] f32 bits {a:#x} != torch {b:#x}"
    print(f"torch -> w2s: {len(tensors)} tensors x 2 layouts read bit-exact")


def check_w2s_to_torch(tmp):
    path = os.path.join(tmp, "w2s_sample.safetensors")
    out = subprocess.run([BIN, "--write-sample", path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, f"header length {n} not a multiple of 8"
    text = blob[8:8 + n].decode("utf-8")
    assert text.rstrip(" ").endswith("}"), "header padding must be spaces"
    header = json.loads(text)
    assert header.pop("__metadata__") == {"format": "pt"}
    data = blob[8 + n:]
    spans = sorted(tuple(e["data_offsets"]) for e in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(data), spans
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), f"not tiled: {spans}"
    got = {}
    for name, e in header.items():
        dt = FROM_NAME[e["dtype"]]
        b, end = e["data_offsets"]
        item = torch.tensor([], dtype=dt).element_size()
        assert b % item == 0, f"{name} at offset {b} is not aligned to {item}"
        got[name] = torch.frombuffer(bytearray(data[b:end]), dtype=dt).reshape(e["shape"])
    want = {
        "w": (torch.arange(6, dtype=torch.float32) * 0.5 - 1.0).reshape(2, 3),
        "h": torch.tensor([1.0, -2.0, 65504.0, 2.0**-24], dtype=torch.float16),
        "b": torch.tensor([1.0, -3.5, 1e30]).to(torch.bfloat16),  # torch rounds RNE like w2s
        "i": torch.tensor([-1, 2**40], dtype=torch.int64),
        "u": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
    }
    assert set(got) == set(want), sorted(got)
    for name, t in want.items():
        assert got[name].dtype == t.dtype and got[name].shape == t.shape, name
        assert raw_bytes(got[name]) == raw_bytes(t), f"{name}: {got[name]} != {t}"
    print(f"w2s -> torch: {len(want)} tensors read bit-exact, header padded, data tiled/aligned")


def main():
    if not os.path.exists(BIN):
        print(f"missing {BIN} (build the tests first)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        check_torch_to_w2s(tmp)
        check_w2s_to_torch(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
