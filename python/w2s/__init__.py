"""w2s — Python bindings to libw2s (ctypes + numpy): label texts or token ids with a trained
GPT-2 classifier in int8/bf16/fp32, tokenize, fine-tune, and run the weak-to-strong protocol.

Not a compiled extension: every call goes through libw2s's C API (w2s.h). The one thing to
know: libw2s is found, in order, at $W2S_LIBRARY (a file path), next to this package, in the
prefix the package was installed into by `cmake --install` (PREFIX/lib...), then by the
system's library search (ldconfig). Errors raise w2s.Error carrying the C message.

    import w2s
    m = w2s.Model("model_cls.safetensors")
    p = m.predict(["a text", "another"], precision="int8")   # np.ndarray (2, classes)
"""
import ctypes
import ctypes.util
import glob
import json
import os

import numpy as np

__all__ = ["Error", "Model", "run", "train", "version", "isa"]

_ERR_CAP = 4096
_PRECISIONS = {"int8": 0, "bf16": 1, "fp32": 2}


class Error(RuntimeError):
    """A libw2s call failed; str(e) is the C message, e.status the w2s_status name."""

    def __init__(self, message, status="runtime"):
        super().__init__(message)
        self.status = status


def _candidates():
    env = os.environ.get("W2S_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield from sorted(glob.glob(os.path.join(here, "libw2s.so*")))
    # Installed by cmake: PREFIX/lib/python3.X/dist-packages/w2s, the library in PREFIX/<libdir>.
    d = here
    for _ in range(5):
        d = os.path.dirname(d)
        yield from sorted(glob.glob(os.path.join(d, "libw2s.so.*")))
        yield from sorted(glob.glob(os.path.join(d, "lib", "libw2s.so.*")))
    found = ctypes.util.find_library("w2s")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
    raise ImportError("libw2s not found (set W2S_LIBRARY to the path of libw2s.so); tried: "
                      + ("; ".join(tried) or "nothing"))


_lib = _load()
_c = ctypes
_P = _c.c_void_p
_ERR = (_c.c_char_p, _c.c_size_t)
for name, args in {
    "w2s_version": (_c.POINTER(_c.c_char_p),),
    "w2s_context_create": (_c.POINTER(_P),) + _ERR,
    "w2s_context_set_threads": (_P, _c.c_size_t) + _ERR,
    "w2s_context_set_progress": (_P, _c.c_int) + _ERR,
    "w2s_context_isa": (_P, _c.POINTER(_c.c_char_p)) + _ERR,
    "w2s_model_open": (_P, _c.c_char_p, _c.c_char_p, _c.POINTER(_P)) + _ERR,
    "w2s_model_shape": (_P, _c.POINTER(_c.c_size_t), _c.POINTER(_c.c_size_t), _c.POINTER(_c.c_size_t)) + _ERR,
    "w2s_model_set_batch": (_P, _c.c_size_t) + _ERR,
    "w2s_model_tokenize": (_P, _c.c_char_p, _c.c_size_t, _c.POINTER(_c.c_int32), _c.c_size_t,
                           _c.POINTER(_c.c_size_t)) + _ERR,
    "w2s_model_predict_ids": (_P, _c.POINTER(_c.c_int32), _c.POINTER(_c.c_size_t), _c.c_size_t, _c.c_int,
                              _c.POINTER(_c.c_float)) + _ERR,
    "w2s_model_predict_texts": (_P, _c.POINTER(_c.c_char_p), _c.c_size_t, _c.c_int, _c.POINTER(_c.c_float)) + _ERR,
    "w2s_train": (_P, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_size_t,
                  _c.POINTER(_c.c_size_t)) + _ERR,
    "w2s_run": (_P, _c.c_char_p, _c.c_char_p, _c.c_size_t, _c.POINTER(_c.c_size_t)) + _ERR,
}.items():
    f = getattr(_lib, name)
    f.argtypes = list(args)
    f.restype = _c.c_int
for name in ("w2s_context_destroy", "w2s_model_close"):
    getattr(_lib, name).argtypes = [_P]
    getattr(_lib, name).restype = None
_lib.w2s_status_name.argtypes = [_c.c_int]
_lib.w2s_status_name.restype = _c.c_char_p

_OK, _SPACE = 0, 3


def _call(fn, *args):
    """Calls fn(*args, err, cap); raises Error unless W2S_OK. Returns the status."""
    err = _c.create_string_buffer(_ERR_CAP)
    st = fn(*args, err, _ERR_CAP)
    if st != _OK:
        raise Error(err.value.decode("utf-8", "replace"), _lib.w2s_status_name(st).decode())
    return st


def _text_out(fn, *args, size=1 << 16):
    """Calls fn(*args, buf, cap, &len, err, cap), growing buf once if it was too small."""
    need = _c.c_size_t(0)
    for _ in range(2):
        buf = _c.create_string_buffer(size)
        err = _c.create_string_buffer(_ERR_CAP)
        st = fn(*args, buf, size, _c.byref(need), err, _ERR_CAP)
        if st == _OK:
            return buf.value.decode("utf-8")
        if st != _SPACE:
            raise Error(err.value.decode("utf-8", "replace"), _lib.w2s_status_name(st).decode())
        size = need.value
    raise Error("output did not fit", "space")


def _enc(s):
    return None if s is None else os.fsencode(s)


def version():
    """The library's version, e.g. "0.1.0"."""
    v = _c.c_char_p()
    _lib.w2s_version(_c.byref(v))
    return v.value.decode()


class _Context:
    def __init__(self, threads=0, progress=False):
        self._h = _P()
        _call(_lib.w2s_context_create, _c.byref(self._h))
        if threads:
            _call(_lib.w2s_context_set_threads, self._h, threads)
        if progress:
            _call(_lib.w2s_context_set_progress, self._h, 1)

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.w2s_context_destroy(self._h)
            self._h = None


def isa():
    """The instruction set libw2s's kernels use on this CPU, e.g. "avx512_bf16"."""
    ctx = _Context()
    s = _c.c_char_p()
    _call(_lib.w2s_context_isa, ctx._h, _c.byref(s))
    return s.value.decode()


class Model:
    """A trained GPT-2 classifier (w2s checkpoint or Hugging Face directory) and its tokenizer.

    Model(path, tokenizer=None, threads=0, batch=8). Use from one thread at a time."""

    def __init__(self, path, tokenizer=None, threads=0, batch=8):
        self._ctx = _Context(threads)
        self._h = _P()
        _call(_lib.w2s_model_open, self._ctx._h, _enc(path), _enc(tokenizer), _c.byref(self._h))
        k, t, v = _c.c_size_t(), _c.c_size_t(), _c.c_size_t()
        _call(_lib.w2s_model_shape, self._h, _c.byref(k), _c.byref(t), _c.byref(v))
        self.n_classes, self.n_positions, self.vocab_size = k.value, t.value, v.value
        if batch != 8:
            _call(_lib.w2s_model_set_batch, self._h, batch)

    def close(self):
        if getattr(self, "_h", None):
            _lib.w2s_model_close(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def tokenize(self, texts):
        """GPT-2 BPE ids: a list of int32 arrays for a list of texts (one array for one str)."""
        single = isinstance(texts, (str, bytes))
        out = []
        for t in [texts] if single else texts:
            b = t.encode("utf-8") if isinstance(t, str) else bytes(t)
            n = _c.c_size_t(0)
            cap = max(16, len(b) + 1)
            for _ in range(2):
                ids = np.empty(cap, dtype=np.int32)
                err = _c.create_string_buffer(_ERR_CAP)
                st = _lib.w2s_model_tokenize(self._h, b, len(b), ids.ctypes.data_as(_c.POINTER(_c.c_int32)), cap,
                                             _c.byref(n), err, _ERR_CAP)
                if st == _SPACE:
                    cap = n.value
                    continue
                if st != _OK:
                    raise Error(err.value.decode("utf-8", "replace"), _lib.w2s_status_name(st).decode())
                break
            out.append(ids[: n.value].copy())
        return out[0] if single else out

    def predict(self, inputs, precision="int8"):
        """Class probabilities np.ndarray (n, n_classes) float32 of a list of texts (str) or of
        token-id sequences (lists / int arrays), at precision "int8", "bf16" or "fp32"."""
        if precision not in _PRECISIONS:
            raise Error(f"precision '{precision}': expected int8, bf16 or fp32", "argument")
        inputs = list(inputs)
        n = len(inputs)
        probs = np.zeros((n, self.n_classes), dtype=np.float32)
        if n == 0:
            return probs
        pf = probs.ctypes.data_as(_c.POINTER(_c.c_float))
        if all(isinstance(x, str) for x in inputs):
            arr = (_c.c_char_p * n)(*[x.encode("utf-8") for x in inputs])
            _call(_lib.w2s_model_predict_texts, self._h, arr, n, _PRECISIONS[precision], pf)
            return probs
        seqs = [np.asarray(x, dtype=np.int64).ravel() for x in inputs]
        offsets = np.zeros(n + 1, dtype=np.uintp)
        offsets[1:] = np.cumsum([len(s) for s in seqs])
        flat = np.concatenate(seqs) if offsets[-1] else np.zeros(1, dtype=np.int64)
        if flat.size and (flat.min() < -2**31 or flat.max() >= 2**31):
            raise Error("token ids must fit in int32", "argument")
        ids = np.ascontiguousarray(flat, dtype=np.int32)
        _call(_lib.w2s_model_predict_ids, self._h, ids.ctypes.data_as(_c.POINTER(_c.c_int32)),
              offsets.ctypes.data_as(_c.POINTER(_c.c_size_t)), n, _PRECISIONS[precision], pf)
        return probs


def train(model, data, out, threads=0, progress=False, **options):
    """Fine-tunes like `w2s train --model MODEL --data DATA --out OUT`, options as keywords
    (loss="logconf", epochs=1, lr=1e-4, linear_probe=True, ...). Returns the summary dict."""
    ctx = _Context(threads, progress)
    return json.loads(_text_out(_lib.w2s_train, ctx._h, _enc(model), _enc(data), _enc(out),
                                json.dumps(options).encode()))


def run(config, threads=0, progress=False):
    """Runs the weak-to-strong protocol like `w2s run --config FILE`: config is a dict of the
    same keys ({"weak": DIR, "strong": DIR, "data": FILE, "out": DIR, "seeds": [0], ...}) or
    the path of a JSON file. Returns results_summary.json as a dict."""
    if isinstance(config, (str, os.PathLike)):
        with open(config) as f:
            text = f.read()
    else:
        text = json.dumps(config)
    ctx = _Context(threads, progress)
    return json.loads(_text_out(_lib.w2s_run, ctx._h, text.encode()))
