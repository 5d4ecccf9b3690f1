#!/usr/bin/env python3
"""gen_folded.py OUT LINES [SEED [deep [DISTINCT]]] - a synthetic folded-stack file for the
flame-graph benchmark: LINES distinct stacks (about 285 bytes each, so 1.4
million lines make about 400 MB) as a sampling profiler of a large Python
service would write them, sorted the way stackcollapse tools sort.

Each stack shares a random prefix with the one before it (a depth-first
walk of a call tree), frames are `function (path/module.py:LINE)` from a
pool of 30,000 functions in 3,000 modules (a few of them hot), depths 3 to 10, and a fifth of
the stacks end in a gilspy GIL-state frame.

`deep`: the many-distinct-stacks shape instead: stacks 8 to 22 frames deep
(about 650 bytes a line) that share a shorter prefix with the one before,
so nearly every line is a distinct stack with several frames of its own.
With DISTINCT, only that many distinct stacks are made, and LINES lines
pick among them at random (unsorted): a file of any size whose distinct
stacks stay fixed."""
import random
import sys

out, nlines = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
pkgs = ["app", "app/api", "app/models", "app/services", "lib/db",
        "site-packages/requests", "site-packages/numpy/core", "json",
        "concurrent/futures", "asyncio", "http", "email"]
modules = ["%s/mod%d.py" % (rng.choice(pkgs), i) for i in range(3000)]
funcs = []
for i in range(30000):
    m = rng.choice(modules)
    funcs.append("%s_%d (%s:%d)" % (rng.choice(
        ["handle", "process", "load", "run", "compute", "parse", "fetch",
         "Worker.step", "Session.request", "_wrap", "encode", "decode"]),
        i, m, rng.randint(1, 2000)))
states = ["[GIL held]", "[waiting for GIL]", "[running without GIL]", "[idle]"]
roots = ["thread MainThread (%d)" % 1000] + \
        ["thread worker-%d (%d)" % (i, 1001 + i) for i in range(15)]

deep = len(sys.argv) > 4 and sys.argv[4] == "deep"
distinct = int(sys.argv[5]) if len(sys.argv) > 5 else 0


def deep_stacks(n):
    """n distinct deep stacks, in depth-first order."""
    stack, seen, made = [], set(), 0
    while made < n:
        keep = rng.randint(3, max(3, len(stack) - 4)) if stack else 0
        if rng.random() < 0.001:
            keep = 0
        del stack[keep:]
        if not stack:
            stack.append(rng.choice(roots))
        depth = rng.randint(8, 22)
        while len(stack) < depth:
            stack.append(funcs[int(len(funcs) * rng.random() ** 2)])
        line = ";".join(stack)
        if rng.random() < 0.2:
            line += ";" + rng.choice(states)
        if line in seen:
            continue
        if len(seen) > 4096:
            seen.clear()
        seen.add(line)
        made += 1
        yield line


if deep:
    with open(out, "w") as f:
        if distinct:
            pool = list(deep_stacks(distinct))
            buf = []
            for i in range(nlines):
                buf.append("%s %d\n" % (pool[int(rng.random() * len(pool))],
                                        rng.randint(1, 500)))
                if len(buf) >= 10000:
                    f.write("".join(buf))
                    buf = []
            f.write("".join(buf))
        else:
            buf = []
            for line in deep_stacks(nlines):
                buf.append("%s %d\n" % (line, rng.randint(1, 500)))
                if len(buf) >= 10000:
                    f.write("".join(buf))
                    buf = []
            f.write("".join(buf))
    sys.exit(0)

stack = []
seen = set()
written = 0
with open(out, "w") as f:
    buf = []
    while written < nlines:
        keep = rng.randint(1, max(1, len(stack) - 1)) if stack else 0
        keep = max(keep, len(stack) - rng.choice([1, 1, 1, 2, 2, 3, 5, 9]))
        if rng.random() < 0.0002:
            keep = 0                    # now another thread
        del stack[keep:]
        if not stack:
            stack.append(rng.choice(roots))
        depth = rng.randint(3, 10)
        while len(stack) < depth:
            # Skewed, as real call trees are: a few hot functions.
            stack.append(funcs[int(len(funcs) * rng.random() ** 4)])
        line = ";".join(stack)
        if rng.random() < 0.2:
            line += ";" + rng.choice(states)
        if line in seen:
            continue
        if len(seen) > 4096:
            seen.clear()
        seen.add(line)
        buf.append("%s %d\n" % (line, rng.randint(1, 500)))
        written += 1
        if len(buf) >= 10000:
            f.write("".join(buf))
            buf = []
    f.write("".join(buf))
