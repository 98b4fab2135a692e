#!/usr/bin/env bash
# test_layers.sh — the room structure holds: scripts/check_layers.py passes on this tree and
# build, and fails, naming each fault, on a planted two-room tree with an upward include, an
# upward symbol use and a cycle between files.
set -euo pipefail
src=${W2S_SOURCE_DIR:?}
build=${W2S_BUILD_DIR:?}
py=/usr/bin/python3

"$py" "$src/scripts/check_layers.py" "$src" "$build"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lo" "$tmp/hi" "$tmp/b/lo.dir/lo" "$tmp/b/hi.dir/hi"
cat > "$tmp/CMakeLists.txt" <<'CM'
w2s_room(w2s_lo lo)
w2s_room(w2s_hi hi w2s_lo)
CM
printf 'int hi_fn(void);\n' > "$tmp/hi/hi.h"
printf 'int lo_fn(void);\n' > "$tmp/lo/lo.h"
printf '#include "hi.h"\nint lo_fn(void) { return hi_fn(); }\n' > "$tmp/lo/lo.c"
printf '#include "lo.h"\nint hi_fn(void) { return 1; }\nint hi_top(void) { return lo_fn(); }\n' > "$tmp/hi/hi.c"
cc -c -I"$tmp/lo" -I"$tmp/hi" "$tmp/lo/lo.c" -o "$tmp/b/lo.dir/lo/lo.c.o"
cc -c -I"$tmp/lo" -I"$tmp/hi" "$tmp/hi/hi.c" -o "$tmp/b/hi.dir/hi/hi.c.o"

set +e
out=$("$py" "$src/scripts/check_layers.py" "$tmp" "$tmp/b" 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" = 1 ] || { echo "FAIL: planted faults gave exit status $rc, not 1"; exit 1; }
for want in "lo/lo.c:1: includes hi.h of room w2s_hi, which is not below w2s_lo" \
            "lo/lo.c (w2s_lo) uses a symbol of hi/hi.c (w2s_hi), a room above it" \
            "files depend on each other in a cycle: hi/hi.c <-> lo/lo.c"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: not reported: $want"; exit 1; }
done
echo "test_layers: ok"
