# test_python_api.sh — the w2s Python package (python/w2s, ctypes on libw2s) as installed by
# `cmake --install`, and as installed by `pip install ./python` next to a copied libw2s: its
# pytest tests (python/tests/test_w2s.py) compare Model.predict / tokenize, train and run with
# `w2s label`, `w2s tokenize`, `w2s train` and `w2s run` on the same tiny fixtures.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
PY=/usr/bin/python3
# An ASan-instrumented libw2s loads into python3 only with the sanitizer runtimes preloaded;
# python3 itself keeps memory to its exit, so leak detection is off there.
if [ "${W2S_SANITIZED:-}" = 1 ]; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
fi
$PY -c 'import numpy, pytest' 2> /dev/null || { echo "SKIP: python3-numpy / python3-pytest missing"; exit 77; }
cmake --install "$W2S_BUILD_DIR" --prefix "$T/prefix" > install.log || { cat install.log; fail "cmake --install"; }
PKG=$(dirname "$(find "$T/prefix" -path '*/w2s/__init__.py' | head -1)")
[ -n "$PKG" ] || fail "cmake --install did not install the Python package"

# ---- fixtures: a byte-level text classifier, tiny weak/strong "pretrained" models and data
mkdir fix && cd fix
"$PROBE" model mt 1 2 32 256 32 3
"$PROBE" tokenizer mt
"$PROBE" textdata text.jsonl 40 5
"$W2S_BIN" train --model mt --data text.jsonl --out mt/model_cls.safetensors --lr 1e-3 --epochs 1 --quiet > /dev/null
"$PROBE" model weak 1 2 16 64 32 1
"$PROBE" model strong 2 2 32 64 32 2
"$PROBE" data data.jsonl 200 64 7
cd "$T"
export W2S_FIXTURE="$T/fix"

# ---- installed by cmake: the package finds libw2s in its prefix (no environment variable)
PYTHONPATH="$(dirname "$PKG")" $PY -m pytest -q -p no:cacheprovider "$W2S_SOURCE_DIR/python/tests/test_w2s.py" ||
    fail "pytest against the cmake-installed package"

# ---- pip install ./python (offline, no build isolation) into a target dir, libw2s via W2S_LIBRARY
if $PY -m pip --version > /dev/null 2>&1; then
    cp -r "$W2S_SOURCE_DIR/python" src
    $PY -m pip install -q --no-index --no-build-isolation --no-deps --target "$T/site" ./src > pip.log 2>&1 ||
        { cat pip.log; fail "pip install ./python"; }
    LIB=$(find "$T/prefix" -name 'libw2s.so.*.*.*' | head -1)
    (cd "$T" && PYTHONPATH="$T/site" W2S_LIBRARY="$LIB" $PY -c 'import w2s, sys; sys.exit(0 if w2s.version() else 1)') ||
        fail "pip-installed package with W2S_LIBRARY"
    (cd "$T" && PYTHONPATH="$T/site" W2S_LIBRARY=/nonexistent/libw2s.so $PY -c 'import w2s' 2> imp.err) &&
        fail "a missing library imported"
    grep -q "libw2s not found" imp.err || { cat imp.err; fail "no clear message for a missing libw2s"; }
fi
echo "ok: Python package (cmake-installed and pip-installed) agrees with the w2s command"
