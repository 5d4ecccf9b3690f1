# gen_linetable.py - dump line tables and the interpreter's own answers.
#
# Run by tests/unit/gen-data.sh with every interpreter found (3.6 to 3.15,
# so no syntax newer than 3.6 here).  Compiles a sample module full of
# awkward constructs, plus a few code objects whose table we craft
# ourselves, and writes to stdout, for each code object:
#
#   python <version>[d] <kind>            (once, first line)
#   code <name> <firstlineno> <codelen> <table as hex, or ->
#   <line at byte offset 0> <line at 2> ...   (-1 for "no line")
#
# kind is lnotab (<=3.9, co_lnotab), linetable (3.10, co_linetable) or
# locations (3.11+, co_linetable).  The expected lines come from the
# interpreter's own PyCode_Addr2Line (through ctypes), which is what every
# traceback and co_lines() use; co_lines()/co_positions()/findlinestarts are
# checked against it and any disagreement is reported on stderr.
import ctypes
import dis
import sys
import types
import warnings

warnings.simplefilter("ignore")

V = sys.version_info[:2]
if V < (3, 10):
    KIND = "lnotab"
elif V == (3, 10):
    KIND = "linetable"
else:
    KIND = "locations"

addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int


def table_of(co):
    return co.co_lnotab if KIND == "lnotab" else co.co_linetable


# --- the sample module --------------------------------------------------------

SAMPLE = '''\
import os


def small(a, b):
    return a + b


@staticmethod
@property
def decorated(x):
    return x


def loops(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
        else:
            total -= 1
    while total > 0:
        total -= 3
        if total == 7:
            break
    else:
        total = 1
    return total


def multiline(a, b, c):
    result = small(
        a,
        b,
    ) + small(c,
              a)
    return (result
            if a else
            b)


def comprehensions(xs):
    a = [x * 2
         for x in xs
         if x]
    b = {x: y for x, y in
         zip(xs, xs)}
    c = (x for x in xs)
    d = {x
         for x in xs}
    return a, b, list(c), d


def lambdas():
    f = lambda x: (x +
                   1)
    g = lambda: None
    return f, g, [lambda: i for i in range(3)]


def exceptions(x):
    try:
        y = 1 / x
    except ZeroDivisionError as e:
        y = 0
    except (TypeError,
            ValueError):
        y = -1
    else:
        y += 1
    finally:
        x = None
    with open(os.devnull) as f, \\
            open(os.devnull) as g:
        pass
    try:
        pass
    finally:
        y += 2
    return y


def gen(n):
    for i in range(n):
        yield i
    yield from range(
        n)


async def coro(x):
    await x
    async with x:
        pass
    async for i in x:
        pass


class K:
    attr = 1

    def method(self):
        return super().method()

    @classmethod
    def cm(cls):
        return cls


def fstrings(a, b):
    return f"{a}{b!r:>10}" \\
        f"{a + b}" if False else f"""{
        a +
        b}"""


def nested(a):
    def inner(b):
        def innermost(c):
            return a + b + c
        return innermost
    return inner


def chain(a, b, c):
    assert a < b, (
        "message")
    del a
    return (a <
            b <
            c)
'''

# Constructs that need a newer parser; each is compiled only if it parses.
EXTRA = [
    ("walrus", "def walrus(xs):\n    if (n := len(xs)) > 3:\n"
               "        return [y for x in xs if (y := x)]\n    return n\n"),
    ("match", "def m(x):\n    match x:\n        case [a, b]:\n"
              "            return a\n        case {'k': v} if v:\n"
              "            return v\n        case _:\n            pass\n"),
    ("exceptstar", "def es():\n    try:\n        pass\n"
                   "    except* ValueError:\n        pass\n"),
    ("typeparams", "def tp[T](x: T) -> T:\n    return x\n"
                   "type Alias[T] = list[T]\n"),
]


def generated():
    """Code with big line jumps, long lines and wide columns."""
    out = []
    out.append("def far(a, b):")
    out.append("    x = a")
    out.extend([""] * 300)            # +301: two lnotab line steps
    out.append("    x = b")
    out.extend(["    # gap"] * 1000)   # +1001
    out.append("    x = a + b")
    out.extend([""] * 70000)          # +70001: hundreds of lnotab steps
    out.append("    y = x")
    out.append("    z = small(")      # a call whose arguments are far below:
    out.extend([""] * 400)            # a big negative delta afterwards
    out.append("        y)")
    # one line with far more than 255 bytes of bytecode
    out.append("    w = [" + ", ".join(["a + b"] * 150) + "]")
    # columns far past 255 (long form in the location table)
    out.append("    v = (" + " " * 400 + "a + b)")
    out.append("    return (x, y, z, w, v,")
    out.extend([""] * 200)
    out.append("            a)")
    out.extend([""] * 500)            # functions far apart
    out.append("def after_gap():")
    out.append("    return [x for x in range(3)")
    out.extend([""] * 260)
    out.append("            if x]")
    return "\n".join(out) + "\n"


def all_code(co, out):
    out.append(co)
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            all_code(c, out)
    return out


# --- crafted tables -----------------------------------------------------------
# The compiler never emits some encodings (or only rarely); build tables by
# hand and let the interpreter say what they mean.

def varint(v):
    out = []
    while v >= 64:
        out.append(64 | (v & 63))
        v >>= 6
    out.append(v)
    return out


def svarint(v):
    return varint(((-v) << 1) | 1 if v < 0 else v << 1)


def crafted_locations(units):
    """A 3.11+ location table using every entry code, covering units."""
    deltas = [300, -7, 70000, -70000, 0, 5, -1, 129, 1 << 20, -(1 << 20)]
    tab = []
    i = 0
    n = 0
    while units > 0:
        length = min(units, (n * 5) % 8 + 1)
        units -= length
        code = n % 16
        tab.append(0x80 | (code << 3) | (length - 1))
        if code < 10:
            tab.append(n & 0x7f)
        elif code < 13:
            tab += [n & 0x7f, (n * 3) & 0x7f]
        elif code == 13:
            tab += svarint(deltas[i % len(deltas)])
            i += 1
        elif code == 14:
            tab += svarint(deltas[i % len(deltas)])
            i += 1
            tab += varint(n % 3) + varint(n * 37) + varint(n * 41 + 5)
        n += 1
    return bytes(tab)


def crafted_linetable(nbytes):
    """A 3.10 table with no-line entries, zero-length steps, big deltas."""
    steps = [(2, 3), (0, 127), (0, -127), (4, -128), (6, -5), (0, 100),
             (254, 0), (2, -128), (8, 1), (0, -100), (2, 50)]
    tab = []
    n = 0
    while nbytes > 0:
        d, l = steps[n % len(steps)]
        d = min(d, nbytes)
        nbytes -= d
        tab += [d, l & 0xff]
        n += 1
    return bytes(tab)


def crafted_lnotab(nbytes):
    """A <=3.9 table with negative (signed) and big line deltas."""
    steps = [(2, 5), (2, -3), (0, 127), (4, -128), (0, 10), (255, 1),
             (6, -1), (2, 0), (0, -20)]
    tab = []
    n = 0
    while nbytes > 0:
        d, l = steps[n % len(steps)]
        d = min(d, nbytes)
        nbytes -= d
        tab += [d, l & 0xff]
        n += 1
    return bytes(tab)


def with_table(co, firstlineno, tab):
    if hasattr(co, "replace"):
        key = "co_lnotab" if KIND == "lnotab" else "co_linetable"
        return co.replace(co_firstlineno=firstlineno, **{key: tab})
    return types.CodeType(co.co_argcount, co.co_kwonlyargcount,
                          co.co_nlocals, co.co_stacksize, co.co_flags,
                          co.co_code, co.co_consts, co.co_names,
                          co.co_varnames, co.co_filename, co.co_name,
                          firstlineno, tab, co.co_freevars, co.co_cellvars)


def crafted(base):
    nbytes = len(base.co_code)
    if KIND == "lnotab":
        tabs = [("signed", crafted_lnotab(nbytes)),
                ("empty", b""),
                ("odd", crafted_lnotab(nbytes) + b"\x07")]
    elif KIND == "linetable":
        tabs = [("mixed", crafted_linetable(nbytes)),
                ("noline", bytes([254, 0x80] * (nbytes // 254) +
                                 [nbytes % 254, 0x80]))]
    else:
        units = nbytes // 2
        tabs = [("allcodes", crafted_locations(units)),
                ("noline", bytes([0xff] * (units // 8) +
                                 ([0xf8 | (units % 8 - 1)]
                                  if units % 8 else [])))]
    return [("crafted-" + name, with_table(base, 100000, tab))
            for name, tab in tabs]


# --- cross-checks -------------------------------------------------------------

def other_view(co):
    """Line per byte offset according to the Python-level API, or None."""
    n = len(co.co_code)
    if hasattr(co, "co_positions"):
        return [-1 if p[0] is None else p[0] for p in co.co_positions()]
    if hasattr(co, "co_lines"):
        res = [None] * (n // 2)
        for s, e, l in co.co_lines():
            for off in range(s, min(e, n), 2):
                if res[off // 2] is None:
                    res[off // 2] = -1 if l is None else l
        return res
    starts = dict(dis.findlinestarts(co))
    res = []
    line = co.co_firstlineno
    for off in range(0, n, 2):
        line = starts.get(off, line)
        res.append(line)
    return res


def main():
    ver = "%d.%d.%d" % sys.version_info[:3]
    if sys.version_info.releaselevel != "final":
        ver += "%s%d" % (sys.version_info.releaselevel[0],
                         sys.version_info.serial)
    if hasattr(sys, "gettotalrefcount"):
        ver += "d"
    codes = []
    sources = [("sample", SAMPLE), ("generated", generated())]
    for name, src in EXTRA:
        try:
            compile(src, name, "exec")
        except SyntaxError:
            continue
        sources.append((name, src))
    for name, src in sources:
        all_code(compile(src, "<%s>" % name, "exec"), codes)
    named = [(c.co_name, c) for c in codes]
    base = compile(SAMPLE, "<sample>", "exec")
    named += crafted(base)

    w = sys.stdout.write
    w("python %s %s\n" % (ver, KIND))
    warned = 0
    for name, co in named:
        n = len(co.co_code)
        tab = table_of(co)
        lines = [addr2line(co, off) for off in range(0, n, 2)]
        w("code %s %d %d %s\n" % (name.replace(" ", "_") or "?",
                                  co.co_firstlineno, n,
                                  tab.hex() if tab else "-"))
        w(" ".join(str(l) for l in lines) + "\n")
        other = other_view(co)
        if other != lines and warned < 5:
            warned += 1
            bad = [i * 2 for i in range(len(lines))
                   if i >= len(other) or other[i] != lines[i]]
            sys.stderr.write("gen_linetable: %s %s: PyCode_Addr2Line and "
                             "the Python API disagree at offsets %s\n"
                             % (ver, name, bad[:8]))


main()
