"""pytest tests of the w2s Python package against the `w2s` command on the same inputs.

Run by tests/api/test_python_api.sh (ctest) against the package installed by `cmake --install`;
it sets W2S_BIN (the command) and W2S_FIXTURE (a directory with a tiny byte-level text
classifier mt/, its data text.jsonl, and tiny weak/strong models + data for the protocol).
"""
import ctypes
import json
import os
import subprocess

import numpy as np
import pytest

import w2s

W2S = os.environ["W2S_BIN"]
FIX = os.environ["W2S_FIXTURE"]
MODEL = os.path.join(FIX, "mt", "model_cls.safetensors")


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f]


def w2s_label(tmp_path, precision):
    out = tmp_path / f"lab_{precision}.jsonl"
    subprocess.run([W2S, "label", "--model", MODEL, "--data", os.path.join(FIX, "text.jsonl"), "--out", str(out),
                    "--precision", precision, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return np.array([r["soft_label"] for r in lines(out)], dtype=np.float32)


def test_version_and_isa(monkeypatch):
    # The version is the project's (CMakeLists.txt); the ISA is the one `w2s info` reports.
    with open(os.path.join(os.environ["W2S_SOURCE_DIR"], "CMakeLists.txt")) as f:
        assert f"VERSION {w2s.version()} " in f.read()
    info = subprocess.run([W2S, "info"], capture_output=True, text=True, check=True).stdout
    isa_line = next(l for l in info.splitlines() if l.startswith("isa:"))
    assert isa_line.split()[1] == w2s.isa()
    monkeypatch.setenv("W2S_ISA", "avx2")
    # W2S_ISA is read once per process by the library, so a fresh interpreter sees it.
    out = subprocess.run(["/usr/bin/python3", "-c", "import w2s; print(w2s.isa())"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "avx2" or (out == "scalar" and isa_line.split()[1] == "scalar")


@pytest.mark.parametrize("precision", ["int8", "bf16", "fp32"])
def test_predict_texts_equals_w2s_label(tmp_path, precision):
    texts = [r["txt"] for r in lines(os.path.join(FIX, "text.jsonl"))]
    with w2s.Model(MODEL) as m:
        assert m.n_classes == 2
        p = m.predict(texts, precision=precision)
    assert p.shape == (len(texts), 2) and p.dtype == np.float32
    np.testing.assert_array_equal(p, w2s_label(tmp_path, precision))


def test_predict_ids_equals_texts_and_tokenize_equals_w2s_tokenize():
    texts = [r["txt"] for r in lines(os.path.join(FIX, "text.jsonl"))]
    m = w2s.Model(MODEL, batch=3)
    ids = m.tokenize(texts)
    ref = subprocess.run([W2S, "tokenize", "--vocab", os.path.join(FIX, "mt")], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert [json.loads(r) for r in ref] == [list(map(int, x)) for x in ids]
    assert m.tokenize(texts[0]).tolist() == ids[0].tolist()
    np.testing.assert_array_equal(m.predict(ids), m.predict(texts))
    np.testing.assert_array_equal(m.predict([x.tolist() for x in ids], precision="fp32"),
                                  m.predict(texts, precision="fp32"))


def test_errors_carry_the_c_message(tmp_path):
    missing = str(tmp_path / "nope" / "model.safetensors")
    with pytest.raises(w2s.Error) as e:
        w2s.Model(missing)
    assert missing in str(e.value)
    m = w2s.Model(MODEL)
    with pytest.raises(w2s.Error, match="outside the vocabulary"):
        m.predict([[1, 2, 100000]])
    with pytest.raises(w2s.Error, match="tokens: expected 1 to"):
        m.predict([[1] * (m.n_positions + 1)])
    with pytest.raises(w2s.Error, match="empty"):
        m.predict(["ok", ""])
    with pytest.raises(w2s.Error, match="precision"):
        m.predict(["ok"], precision="int4")
    with pytest.raises(w2s.Error, match="unknown option"):
        w2s.run({"weak": "w", "strong": "s", "data": "d", "out": str(tmp_path / "o"), "colour": "blue"})


def test_train_equals_w2s_train(tmp_path):
    data = os.path.join(FIX, "text.jsonl")
    body = os.path.join(FIX, "mt")
    s = w2s.train(body, data, str(tmp_path / "py.safetensors"), lr=1e-3, epochs=1)
    ref = json.loads(subprocess.run([W2S, "train", "--model", body, "--data", data, "--out",
                                     str(tmp_path / "cli.safetensors"), "--lr", "1e-3", "--epochs", "1", "--quiet"],
                                    capture_output=True, text=True, check=True).stdout)
    assert (s["examples"], s["steps"], s["final_loss"]) == (ref["examples"], ref["steps"], ref["final_loss"])
    assert (tmp_path / "py.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()


def test_run_equals_w2s_run(tmp_path, capfd):
    base = {"weak": os.path.join(FIX, "weak"), "strong": os.path.join(FIX, "strong"),
            "data": os.path.join(FIX, "data.jsonl"), "n_train": 120, "n_test": 60, "seeds": [0],
            "losses": ["xent", "logconf"], "lr": 1e-3}
    summary = w2s.run(dict(base, out=str(tmp_path / "py")))
    # The library prints nothing without progress: neither progress nor `w2s run`'s table
    # (C's stdout is flushed first, so a buffered table would show).
    ctypes.CDLL(None).fflush(None)
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out, err)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(dict(base, out=str(tmp_path / "cli"), quiet=True)))
    subprocess.run([W2S, "run", "--config", str(cfg)], check=True, stdout=subprocess.DEVNULL)
    with open(tmp_path / "cli" / "results_summary.json") as f:
        ref = json.load(f)
    assert summary == ref
    assert set(summary) >= {"weak_acc", "strong_acc", "transfer_acc_xent", "transfer_acc_logconf"}
    # The path form reads the same config.
    cfg.write_text(json.dumps(dict(base, out=str(tmp_path / "py2"))))
    assert w2s.run(str(cfg)) == ref
