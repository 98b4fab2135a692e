# test_api_install.sh — libw2s as another program uses it: `cmake --install` into a temporary
# prefix, only w2s_* symbols exported under the versioned SONAME, then examples/label.c and
# examples/tokenize.c built against the installed package with find_package(w2s), with
# pkg-config and (label) statically, run on a tiny trained classifier: their probabilities
# equal `w2s label`'s soft_label (int8 and fp32) and their ids `w2s tokenize`'s; a missing model
# is an error message, not a crash.
set -eu
. "$W2S_SOURCE_DIR/tests/support/common.sh"
scratch_dir
command -v pkg-config > /dev/null || fail "pkg-config is not installed (scripts/setup.sh installs it)"
P="$T/prefix"
cmake --install "$W2S_BUILD_DIR" --prefix "$P" > install.log || { cat install.log; fail "cmake --install"; }
LIBDIR=$(dirname "$(find "$P" -name 'libw2s.so' | head -1)")
[ -n "$LIBDIR" ] && [ -f "$LIBDIR/libw2s.a" ] && [ -f "$P/include/w2s/w2s.h" ] || fail "installed files missing"
[ -f "$LIBDIR/cmake/w2s/w2sConfig.cmake" ] && [ -f "$LIBDIR/cmake/w2s/w2sConfigVersion.cmake" ] || fail "no w2sConfig.cmake"
[ -f "$LIBDIR/pkgconfig/w2s.pc" ] || fail "no w2s.pc"

# ---- exported symbols and SONAME
nm -D --defined-only "$LIBDIR/libw2s.so" | awk '{print $3}' > syms.txt
[ -s syms.txt ] || fail "no exported symbols"
if grep -v '^w2s_' syms.txt; then fail "symbols other than w2s_* exported (above)"; fi
for s in w2s_error_set w2s_isa_name w2s_read_file; do  # internal helpers named w2s_* stay hidden
    if grep -qx "$s" syms.txt; then fail "internal $s is exported"; fi
done
grep -qx w2s_model_predict_texts syms.txt || fail "w2s_model_predict_texts not exported"
objdump -p "$LIBDIR/libw2s.so" | grep -q 'SONAME *libw2s\.so\.[0-9]*\.[0-9]*$' || fail "no versioned SONAME"

# ---- the examples, three ways (in the sanitizer build, instrumented like the library they load)
SAN=""
[ "${W2S_SANITIZED:-}" = 1 ] && SAN="-fsanitize=address,undefined"
cmake -S "$W2S_SOURCE_DIR/examples" -B ex-cmake -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="$SAN" > ex.log 2>&1 &&
    cmake --build ex-cmake >> ex.log 2>&1 || { cat ex.log; fail "examples with find_package(w2s)"; }
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
mkdir ex-pc
for e in label tokenize; do
    cc $SAN -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "$W2S_SOURCE_DIR/examples/$e.c" -o "ex-pc/$e" \
        $(pkg-config --cflags --libs w2s) -Wl,-rpath,"$LIBDIR" || fail "$e with pkg-config"
done
# Static: libw2s.a, then the shared system libraries it needs (w2s.pc's Requires.private and
# Libs.private; `pkg-config --static` would also want static ones, e.g. hwloc's -ludev).
cc $SAN -std=c11 -D_GNU_SOURCE "$W2S_SOURCE_DIR/examples/label.c" -o label-static $(pkg-config --cflags w2s) \
    "$LIBDIR/libw2s.a" $(pkg-config --libs $(pkg-config --print-requires-private w2s)) \
    $(pkg-config --static --libs-only-other --libs-only-l w2s | tr ' ' '\n' | grep -E '^-(ldnnl|fopenmp|lpthread|lm)$') \
    || fail "label against libw2s.a"
ldd label-static | grep -q libw2s && fail "label-static links libw2s.so"

# ---- a tiny classifier with a byte-level tokenizer (every byte a token)
"$PROBE" model mt 1 2 32 256 32 3
"$PROBE" tokenizer mt
"$PROBE" textdata text.jsonl 40 5
"$W2S_BIN" train --model mt --data text.jsonl --out mt/model_cls.safetensors --lr 1e-3 --epochs 1 --quiet > /dev/null
/usr/bin/python3 - <<'PY'
import json
with open("texts.txt", "w") as f:
    for l in open("text.jsonl"):
        t = json.loads(l)["txt"]
        assert "\n" not in t
        f.write(t + "\n")
PY

# ---- labels = w2s label's, bit for bit (both print floats with %.9g)
for prec in int8 fp32; do
    "$W2S_BIN" label --model mt/model_cls.safetensors --data text.jsonl --out "ref_$prec.jsonl" --precision $prec \
        --quiet > /dev/null
    for bin in ex-cmake/label ex-pc/label ./label-static; do
        "$bin" mt/model_cls.safetensors texts.txt $prec > out.txt || fail "$bin $prec"
        /usr/bin/python3 - "ref_$prec.jsonl" out.txt <<'PY' || fail "$bin $prec differs from w2s label"
import json, sys
ref = [json.loads(l)["soft_label"] for l in open(sys.argv[1])]
got = [[float(x) for x in l.split()] for l in open(sys.argv[2])]
assert len(ref) == len(got) == 40, (len(ref), len(got))
for i, (a, b) in enumerate(zip(ref, got)):
    assert a == b, (i, a, b)
PY
    done
done

# ---- ids = w2s tokenize's
"$W2S_BIN" tokenize --vocab mt < texts.txt > ids_ref.txt
for bin in ex-cmake/tokenize ex-pc/tokenize; do
    "$bin" mt/model_cls.safetensors texts.txt > ids.txt || fail "$bin"
    cmp -s ids.txt ids_ref.txt || fail "$bin ids differ from w2s tokenize"
done

# ---- errors are messages
if ex-cmake/label missing/model.safetensors texts.txt > /dev/null 2> err.txt; then fail "missing model accepted"; fi
grep -q "missing/model.safetensors" err.txt || { cat err.txt; fail "the error does not name the missing model"; }
echo "ok: installed libw2s, examples via find_package, pkg-config and static agree with w2s label / tokenize"
