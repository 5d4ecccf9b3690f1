"""check_dump.py LABEL DUMP.json... - assert what `gilspy dump --json` read
from tests/targets/threads3.py.  Prints TAP-style diagnostics ('# ...') and
exits 1 on the first list of failures.  Several dumps may be given: stacks
must be exact in every one; states must match in most (a single snapshot can
catch a thread mid-transition)."""
import json
import re
import sys

label = sys.argv[1]
dumps = [json.load(open(p)) for p in sys.argv[2:]]
m = re.match(r"(\d+)\.(\d+)", label)
minor = int(m.group(2))
qual = minor >= 11          # co_qualname arrived in 3.11
fails = []

def fn(cls, name):
    return "%s.%s" % (cls, name) if qual and cls else name

EXPECT = {
    # role: (innermost function, line, acceptable states, majority state)
    "spinner": (fn("Worker", "spin"), 17, {"held", "waiting", "native"}, {"held", "waiting"}),
    "sleeper": (fn("Worker", "sleep"), 20, {"idle"}, {"idle"}),
    "hasher": (fn(None, "hash_forever"), 24, {"native", "waiting", "held"}, {"native"}),
    "main": (fn(None, "wait_forever"), 28, {"idle"}, {"idle"}),
}
MAIN_STACK = [(fn(None, "wait_forever"), 28), ("main", 39), ("<module>", 42)]

votes = {role: [] for role in EXPECT}
for i, d in enumerate(dumps):
    v = d["python"]["version"]
    if not v.startswith("3.%d" % minor):
        fails.append("dump %d: python version %r, expected 3.%d" % (i, v, minor))
    threads = d["threads"]
    if len(threads) != 4:
        fails.append("dump %d: %d threads, expected 4" % (i, len(threads)))
    holders = [t for t in threads if t["state"] == "held"]
    if len(holders) > 1:
        fails.append("dump %d: %d threads hold the GIL" % (i, len(holders)))
    if holders and d["gil"]["holder_tid"] != holders[0]["tid"]:
        fails.append("dump %d: gil.holder_tid %r but thread %r is held"
                     % (i, d["gil"]["holder_tid"], holders[0]["tid"]))
    for t in threads:
        if not t["tid"] or t["tid"] <= 0:
            fails.append("dump %d: thread without a native tid: %r" % (i, t))
    for role, (func, line, ok_states, _) in EXPECT.items():
        found = [t for t in threads if t["frames"]
                 and t["frames"][0]["function"] == func
                 and t["frames"][0]["file"].endswith("/threads3.py")]
        if len(found) != 1:
            tops = [(t["frames"][0] if t["frames"] else None) for t in threads]
            fails.append("dump %d: %s: want one thread whose innermost frame is "
                         "%s (threads3.py:%d); innermost frames: %r"
                         % (i, role, func, line, tops))
            continue
        t = found[0]
        if t["frames"][0]["line"] != line:
            fails.append("dump %d: %s: line %d, expected %d"
                         % (i, role, t["frames"][0]["line"], line))
        if t["incomplete"]:
            fails.append("dump %d: %s: stack marked incomplete" % (i, role))
        if t["state"] not in ok_states:
            fails.append("dump %d: %s: state %s, expected one of %s"
                         % (i, role, t["state"], sorted(ok_states)))
        votes[role].append(t["state"] + (":" + t["evidence"] if t["evidence"] == "woken-waiter" else ""))
        if role == "main":
            got = [(f["function"], f["line"]) for f in t["frames"]]
            if got != MAIN_STACK:
                fails.append("dump %d: main stack %r, expected %r" % (i, got, MAIN_STACK))
        elif not any(f["file"].endswith("threading.py") for f in t["frames"][1:]):
            fails.append("dump %d: %s: no threading.py frame under the target "
                         "function: %r" % (i, role, t["frames"]))
        # threading.Thread.name, read from the target's memory on every
        # version (the OS name is "python3.X" for all threads before 3.14)
        want = "MainThread" if role == "main" else role
        if t["name"] != want:
            fails.append("dump %d: %s: thread name %r, expected %r"
                         % (i, role, t["name"], want))

for role, (_, _, _, majority) in EXPECT.items():
    got = votes[role]
    hits = sum(1 for s in got if s.split(":")[0] in majority)
    if got and hits * 2 <= len(got):
        fails.append("%s: state %s in only %d of %d dumps: %r"
                     % (role, "/".join(sorted(majority)), hits, len(got), got))

for f in fails[:12]:
    print("#   " + f)
print("#   states: " + ", ".join("%s=%s" % (r, "/".join(v)) for r, v in votes.items()))
sys.exit(1 if fails else 0)
