#!/usr/bin/env python3
# pprof_check.py - read what gilspy's pprof output says, for the t07xx tests.
#
#   pprof_check.py folded RAW.txt
#       `go tool pprof -raw` output -> folded stacks, root first, frames
#       written as the collapsed output writes them without state frames
#       (`name (short file:line)`), counts summed, sorted; then one
#       `# STATE count` line per GIL state
#   pprof_check.py wire FILE.pb.gz
#       check the file itself: a gzip member with mtime 0 and no name, a
#       protobuf whose string table starts with "" and holds only valid
#       UTF-8; prints "ok N strings" or what is wrong (exit 1)
#   pprof_check.py mappings RAW.txt
#       the native mappings of `go tool pprof -raw` output: each with a
#       page-aligned start and offset, start < limit, none overlapping
#       another, and every location that names one at an address inside
#       it; prints one `MAPPING-BASE-NAME LOCATIONS` line per mapping but
#       the first (Python's), or what is wrong (exit 1)
import collections
import gzip
import re
import sys


def short_file(path):
    for mark in ("/site-packages/", "/dist-packages/"):
        if mark in path:
            return path.split(mark, 1)[1]
    i = path.find("/lib/python")
    if i >= 0:
        j = path.find("/", i + len("/lib/python"))
        if j >= 0:
            return path[j + 1:]
    return path.rsplit("/", 1)[-1]


def clean(s):
    return "".join(":" if c == ";" else " " if ord(c) < 0x20 else c
                   for c in s)


# A location without a mapping (a native [truncated]) has no M=.
LOC = re.compile(r"^\s+(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.+) (\S+):(\d+) s=\d+(\(.*\))?$")
LOC_ADDR = re.compile(r"^\s+\d+: (0x[0-9a-f]+) (?:M=(\d+) )?")
MAPPING = re.compile(r"^(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (\S+)")
SAMPLE = re.compile(r"^\s+(\d+)\s+(\d+):((?: \d+)*) ?$")
LABEL = re.compile(r"(\w+):\[([^\]]*)\]")


def folded(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    samples = text.split("\nSamples:\n", 1)[1]
    samples, locs = samples.split("\nLocations\n", 1)
    locs = locs.split("\nMappings\n", 1)[0]
    frame = {}
    for line in locs.splitlines():
        m = LOC.match(line)
        if m:
            name, file, lineno = m.group(2), m.group(3), int(m.group(4))
            text = "%s (%s" % (clean(name), clean(short_file(file)))
            frame[m.group(1)] = text + (":%d)" % lineno if lineno else ")")
    stacks = collections.Counter()
    states = collections.Counter()
    last = None
    for line in samples.splitlines():
        m = SAMPLE.match(line)
        if m:
            count, ids = int(m.group(1)), m.group(3).split()
            if ids:
                stacks[";".join(frame[i] for i in reversed(ids))] += count
            last = count
            continue
        for k, v in LABEL.findall(line):
            if k == "gil_state" and last is not None:
                states[v] += last
    for s in sorted(stacks):
        print("%s %d" % (s, stacks[s]))
    for s in sorted(states):
        print("# %s %d" % (s, states[s]))


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def wire(path):
    raw = open(path, "rb").read()
    problems = []
    if raw[:3] != b"\x1f\x8b\x08":
        problems.append("not gzip")
    if raw[4:8] != b"\0\0\0\0":
        problems.append("gzip mtime is not 0")
    if raw[3] & 0x08:
        problems.append("gzip header holds a file name")
    b = gzip.decompress(raw)
    strings = []
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            _, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            if field == 6:
                strings.append(b[i:i + n])
            i += n
        else:
            problems.append("unexpected wire type %d" % wt)
            break
    if not strings or strings[0] != b"":
        problems.append("string_table[0] is not empty")
    for s in strings:
        try:
            s.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("invalid UTF-8: %r" % s[:40])
    if len(set(strings)) != len(strings):
        problems.append("a string appears twice")
    if problems:
        print("; ".join(problems))
        sys.exit(1)
    print("ok %d strings" % len(strings))


def mappings(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    locs, maps = text.split("\nLocations\n", 1)[1].split("\nMappings\n", 1)
    m = {}
    for line in maps.splitlines():
        g = MAPPING.match(line)
        if g:
            m[int(g.group(1))] = (int(g.group(2), 16), int(g.group(3), 16),
                                  int(g.group(4), 16), g.group(5))
    problems = []
    native = sorted((v for k, v in m.items() if k != 1))
    for start, limit, off, name in native:
        if not start < limit or start % 4096 or off % 4096:
            problems.append("%s: %#x/%#x/%#x" % (name, start, limit, off))
    for a, b in zip(native, native[1:]):
        if a[1] > b[0]:
            problems.append("%s overlaps %s" % (a[3], b[3]))
    used = collections.Counter()
    for line in locs.splitlines():
        g = LOC_ADDR.match(line)
        if not g or not g.group(2) or int(g.group(2)) == 1:
            continue
        mid, addr = int(g.group(2)), int(g.group(1), 16)
        if mid not in m or not m[mid][0] <= addr < m[mid][1]:
            problems.append("location %s outside its mapping" % line.strip())
            continue
        used[mid] += 1
    if problems:
        print("; ".join(problems[:5]))
        sys.exit(1)
    for k in sorted(m):
        if k != 1:
            print("%s %d" % (m[k][3].rsplit("/", 1)[-1], used[k]))


{"folded": folded, "wire": wire, "mappings": mappings}[sys.argv[1]](sys.argv[2])
