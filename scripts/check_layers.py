#!/usr/bin/env python3
"""check_layers.py — fails on an upward dependency between rooms or a cycle between files.

The rooms and their direct dependencies are read from the `w2s_room(...)` lines of the
top-level CMakeLists.txt (the build's own word, so the two cannot drift). Two graphs are
checked:
  * includes: every `#include "x.h"` of a room's file must name a header of the same room or
    of a room below it (the build enforces this too; this names the offending line);
  * symbols: from `nm` over the built objects, an object that uses a symbol another object
    defines depends on it; that graph must have no cycle (strongly connected component of two
    or more objects) and no edge from a lower room to a higher one.
The CLI is a room too (runtime/cli: w2s_cli, plus main.c); tests and benchmarks are not rooms.
usage: check_layers.py SOURCE_DIR BUILD_DIR
"""
import collections
import os
import re
import subprocess
import sys

ROOM_LINE = re.compile(r"^\s*w2s_room\((\w+)\s+(\S+)((?:\s+[\w:]+)*)\)", re.M)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rooms_of(src):
    """[(target, dir, [direct room deps])] in CMake order."""
    text = open(os.path.join(src, "CMakeLists.txt")).read()
    rooms = []
    for target, d, deps in ROOM_LINE.findall(text):
        rooms.append((target, d, [x for x in deps.split() if x.startswith("w2s_")]))
    targets = [t for t, _, _ in rooms]
    for t, _, deps in rooms:
        for x in deps:
            if x not in targets:
                sys.exit(f"check_layers: room {t} depends on {x}, which is not a room")
    return rooms


def below(rooms):
    """room target -> the set of rooms it may use (itself and everything it reaches)."""
    direct = {t: set(deps) for t, _, deps in rooms}
    reach = {}

    def walk(t, seen):
        if t in reach:
            return reach[t]
        if t in seen:
            sys.exit(f"check_layers: the room graph has a cycle through {t}")
        out = {t}
        for x in direct[t]:
            out |= walk(x, seen | {t})
        reach[t] = out
        return out

    for t in direct:
        walk(t, frozenset())
    return reach


def room_files(src, rooms):
    """file path (relative) -> room target, for the .c/.h files directly in each room's folder."""
    owner = {}
    for t, d, _ in rooms:
        full = os.path.join(src, d)
        if not os.path.isdir(full):
            sys.exit(f"check_layers: room {t} names {d}, which is not a folder")
        for f in sorted(os.listdir(full)):
            if f.endswith((".c", ".h")):
                owner[os.path.join(d, f)] = t
    return owner


def check_includes(src, owner, reach):
    header_room = {}
    for path, t in owner.items():
        if path.endswith(".h"):
            name = os.path.basename(path)
            if name in header_room and header_room[name] != t:
                return [f"header {name} exists in two rooms ({header_room[name]}, {t}): "
                        "bare includes would be ambiguous"]
            header_room[name] = t
    errors = []
    for path, t in sorted(owner.items()):
        text = open(os.path.join(src, path), errors="replace").read()
        for m in INCLUDE.finditer(text):
            inc = os.path.basename(m.group(1))
            if inc not in header_room:
                continue  # a header outside the rooms (generated, third-party): not ours to order
            if header_room[inc] not in reach[t]:
                line = text.count("\n", 0, m.start()) + 1
                errors.append(f"{path}:{line}: includes {inc} of room {header_room[inc]}, "
                              f"which is not below {t}")
    return errors


def object_graph(build, owner):
    """(object node -> room, edges) from nm over the rooms' objects in BUILD_DIR."""
    by_source = {}
    for path, t in owner.items():
        if path.endswith(".c"):
            by_source[path] = t
    nodes, defs, uses = {}, {}, collections.defaultdict(set)
    for root, _, files in os.walk(build):
        for f in files:
            if not f.endswith(".c.o"):
                continue
            obj = os.path.join(root, f)
            rel = None
            for src_path in by_source:  # CMake names objects <target>.dir/<source path>.o
                if obj.endswith("/" + src_path + ".o"):
                    rel = src_path
                    break
            if rel is None:
                continue
            nodes[rel] = by_source[rel]
            out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                p = line.split()
                if len(p) == 3 and p[1] in "TDBRV":
                    defs[p[2]] = rel
                elif len(p) == 2 and p[0] == "U":
                    uses[rel].add(p[1])
    edges = collections.defaultdict(set)
    for n, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != n:
                edges[n].add(defs[s])
    return nodes, edges


def cycles(nodes, edges):
    """Strongly connected components of two or more nodes (iterative Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    src, build = sys.argv[1], sys.argv[2]
    rooms = rooms_of(src)
    reach = below(rooms)
    owner = room_files(src, rooms)
    errors = check_includes(src, owner, reach)
    nodes, edges = object_graph(build, owner)
    if not nodes:
        errors.append(f"no room objects found under {build}: build first")
    for n in sorted(edges):
        for m in sorted(edges[n]):
            if nodes[m] not in reach[nodes[n]]:
                errors.append(f"{n} ({nodes[n]}) uses a symbol of {m} ({nodes[m]}), a room above it")
    for comp in cycles(nodes, edges):
        errors.append("files depend on each other in a cycle: " + " <-> ".join(comp))
    for e in errors:
        print("check_layers: " + e)
    print(f"check_layers: {len(rooms)} rooms, {len(owner)} files, {len(nodes)} objects, "
          f"{sum(len(v) for v in edges.values())} symbol edges: "
          + ("FAILED" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
