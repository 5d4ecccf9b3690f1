#!/usr/bin/env python3
# mkraw.py KIND OUT.gilspy - write a synthetic raw recording (the layout in
# include/gilspy/raw.h, version 1) for renderer tests that no live target
# can give in a couple of seconds:
#
#   empty    a recording without a single sample
#   hostile  functions, files and threads named with any bytes: invalid
#            UTF-8, control characters, quotes, separators, 4000 bytes
#   many     100 000 distinct stacks (main;mid_I;leaf_J, 317 x 317 minus
#            a few), each seen once, 4 threads a sample, 1 kHz
#
# One block holds everything (the reader takes up to 16 MB of records).
import struct
import sys
import zlib


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    if s is None:
        return varint(0)
    if isinstance(s, str):
        s = s.encode()
    return varint(len(s) + 1) + s


def meta(rate):
    return (b"M" + varint(4242) + string("3.12.1") + string("/usr/bin/python3")
            + string(None) + string("synthetic") + varint(
                struct.unpack("<Q", struct.pack("<d", rate))[0]) + varint(0))


def end(wall_ns):
    return (b"E" + varint(wall_ns) + string("duration") + varint(0)
            + varint(0) + varint(0) + varint(1))  # exit code -1, zigzagged


def thread(idx, tid, name):
    return b"T" + varint(idx) + varint(tid) + varint(1000 + idx) + string(name)


def frame(fid, name, path, line, first):
    return (b"F" + varint(fid) + string(name) + string(path) + varint(line)
            + varint(first))


def stack(sid, parent, fid):
    return b"K" + varint(sid) + varint(parent) + varint(fid)


HELD, WAITING, NATIVE, IDLE = 0, 1, 2, 3


def sample(dt, threads):
    """threads: (thread index, state, stack id) each."""
    rec = bytearray(b"S" + varint(dt) + varint(2) + varint(0) + varint(0)
                    + varint(len(threads)))
    for idx, state, sid in threads:
        rec += varint(idx) + varint(state) + b"R" + varint(sid + 1)
    return bytes(rec)


def write(path, records):
    data = b"".join(records)
    z = zlib.compress(data, 1)
    with open(path, "wb") as f:
        f.write(b"GILSPYRW" + struct.pack("<II", 1, 0))
        f.write(b"GSBK" + struct.pack("<III", len(data), len(z),
                                      zlib.crc32(data)))
        f.write(z)


def empty():
    return [meta(100.0), thread(0, 100, "MainThread"), end(1000000000)]


def hostile():
    names = [
        b"bad\xff\xfeutf8",
        b"cut\xe2\x82",                 # a sequence cut short
        b"surrogate\xed\xa0\x80",
        b"over\xc0\xaflong",
        b"semi;colon space\ttab\nnewline\rcr",
        b"quote\"back\\slash'<b>&amp;",
        "\u00e9t\u00e9 \u2603 \U0001f40d".encode(),
        b"L" * 4000,
    ]
    recs = [meta(100.0), thread(0, 100, b"main\xff\x01thread"),
            thread(1, 101, "w\u00f6rker;1\n")]
    recs.append(frame(1, "<module>", "/srv/app/main.py", 3, 1))
    sid = 1
    recs.append(stack(sid, 0, 1))
    leaves = []
    for i, n in enumerate(names):
        fid = 10 + i
        recs.append(frame(fid, n, b"/srv/\xff/h\xfeostile.py", 10 + i, 10))
        sid += 1
        recs.append(stack(sid, 1, fid))
        leaves.append(sid)
    for k in range(40):
        recs.append(sample(10000000, [(0, HELD, leaves[k % len(leaves)]),
                                      (1, WAITING,
                                       leaves[(k + 3) % len(leaves)])]))
    recs.append(end(400000000))
    return recs


def many(n=100000):
    side = 317                          # 317 * 317 > 100 000
    recs = [meta(1000.0)]
    for t in range(4):
        recs.append(thread(t, 200 + t, "worker-%d" % t))
    recs.append(frame(1, "main", "/srv/many.py", 1, 1))
    for i in range(side):
        recs.append(frame(100 + i, "mid_%03d" % i, "/srv/many.py",
                          10 + i, 10 + i))
        recs.append(frame(1000 + i, "leaf_%03d" % i, "/srv/leaves.py",
                          10 + i, 10 + i))
    recs.append(stack(1, 0, 1))
    next_id = 2
    mids = []
    for i in range(side):
        recs.append(stack(next_id, 1, 100 + i))
        mids.append(next_id)
        next_id += 1
    leaves = []
    for k in range(n):
        i, j = divmod(k, side)
        recs.append(stack(next_id, mids[i], 1000 + j))
        leaves.append(next_id)
        next_id += 1
    states = (HELD, WAITING, WAITING, NATIVE)
    for k in range(0, n, 4):
        recs.append(sample(1000000, [(t, states[t], leaves[k + t])
                                     for t in range(4) if k + t < n]))
    recs.append(end(n // 4 * 1000000))
    return recs


def main():
    kind, path = sys.argv[1:3]
    write(path, {"empty": empty, "hostile": hostile, "many": many}[kind]())


main()
