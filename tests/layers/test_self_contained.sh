#!/usr/bin/env bash
# test_self_contained.sh — users get only the repository: no file may send them to a design or
# demo page they do not have (the shared folder beside the repository, or a bare DESIGN or
# DEMO page name; the project's own docs/DEMO.md is fine). Checks the tracked files of this
# tree, then that the same check fails on a planted reference. (This file spells the names so
# that it does not match itself.)
set -euo pipefail
src=${W2S_SOURCE_DIR:?}
pattern='\.\./shared|(^|[^/])(DEMO|DESIGN)\.md'

# Prints offending lines of the files given on stdin (NUL-separated), relative to $1.
offending() {
  (cd "$1" && xargs -0 grep -nE "$pattern" -- 2>/dev/null) || true
}

if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  hits=$(git -C "$src" ls-files -z | offending "$src")
else
  hits=$(cd "$src" && find . -type f -not -path './build*' -not -path './.git/*' -print0 | offending "$src")
fi
if [ -n "$hits" ]; then
  echo "FAIL: references to pages users do not have:"
  echo "$hits"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '// see DESIGN%s section 5\n' .md > "$tmp/planted.c"
printf 'see docs/DEMO.md\n' > "$tmp/fine.md"
planted=$(printf 'planted.c\0fine.md\0' | offending "$tmp")
[ "$(echo "$planted" | wc -l)" = 1 ] && grep -q "^planted.c:1:" <<<"$planted" \
  || { echo "FAIL: the check missed a planted reference or flagged docs/DEMO.md: $planted"; exit 1; }
echo "test_self_contained: ok"
