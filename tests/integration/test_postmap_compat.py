"""Postfix compatibility of `tegami map`: the same source file built by
Debian's postmap(1) and by `tegami map` gives the same answers to
`postmap -q` and `tegami map -q` (single and `-q -` batch), and each tool
reads the other's .db (same on-disk format).  Also postalias / `-a`.

Skipped when /usr/sbin/postmap is not installed (scripts/install-deps
installs the postfix package; its service does not start here)."""
import os
import random
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN

POSTMAP = "/usr/sbin/postmap"
POSTALIAS = "/usr/sbin/postalias"
TEGAMI = os.path.join(BIN, "tegami")

pytestmark = pytest.mark.skipif(not os.path.exists(POSTMAP),
                                reason="Debian postfix (postmap) not installed")


def make_source(rng):
    """A postmap source with case, delimiter, @domain, continuation,
    comment, duplicate and malformed-line edge cases. Returns (text, keys)."""
    lines, keys = ["# generated table", ""], []
    domains = ["Example.COM", "example.org", "Sub.Example.Net", "xn--bcher-kva.de"]
    for i in range(300):
        kind = i % 6
        d = domains[i % len(domains)]
        if kind == 0:
            key = "User%d@%s" % (i, d)
        elif kind == 1:
            key = "user%d+Tag%d@%s" % (i, i, d)
        elif kind == 2:
            key = "@%s%d" % (d, i)
        elif kind == 3:
            key = "Local%d" % i
        elif kind == 4:
            key = "first.last%d+%s" % (i, "x" * (i % 5))
        else:
            key = "%d.%d.%d.%d" % (10, i % 256, i // 256, 1)
        keys.append(key)
        value = "value%d  with\tspace %s" % (i, "Mixed" if i % 2 else "lower")
        sep = rng.choice([" ", "\t", "   ", " \t "])
        if i % 7 == 0:      # continuation lines, one with a comment between
            lines.append("%s%sfirst%d," % (key, sep, i))
            lines.append("# a comment inside")
            lines.append("\tsecond%d,  " % i)
            lines.append("    third%d" % i)
        else:
            lines.append("%s%s%s   " % (key, sep, value))
        if i % 50 == 0:
            lines.append("   # indented comment")
            lines.append("")
    lines.append("Local3 duplicate-ignored")          # duplicate: first wins
    lines.append("keywithoutvalue")                   # skipped with a warning
    return "\n".join(lines) + "\n", keys


def queries(keys):
    q = []
    for k in keys:
        q += [k, k.lower(), k.upper()]
    q += ["nosuchkey", "user1@example.com", "@example.com", "local3",
          "keywithoutvalue", "user1+tag1@example.org", "+", "@"]
    return q


def run(cmd, stdin=None, env=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture
def dirs():
    root = tempfile.mkdtemp(prefix="tegami-postmap-", dir="/tmp")
    pf = os.path.join(root, "postfix-conf")
    os.mkdir(pf)
    open(os.path.join(pf, "main.cf"), "w").close()
    env = dict(os.environ, TEGAMI_CONFIG_DIR=os.path.join(root, "nonexistent"))
    a, b = os.path.join(root, "postfix"), os.path.join(root, "tegami")
    os.mkdir(a)
    os.mkdir(b)
    yield pf, a, b, env
    shutil.rmtree(root)


def postmap(pf, *args, stdin=None, tool=POSTMAP):
    return run([tool, "-c", pf] + list(args), stdin=stdin)


def single_answers(cmd_prefix, spec, keys, env=None):
    out = {}
    for k in keys:
        r = run(cmd_prefix + ["-q", k, spec], env=env)
        assert r.returncode in (0, 1), r.stderr
        out[k] = (r.returncode, r.stdout)
    return out


def test_same_answers_and_same_format(dirs):
    pf, a, b, env = dirs
    text, keys = make_source(random.Random(7))
    for d in (a, b):
        with open(os.path.join(d, "table"), "w") as f:
            f.write(text)
    pa, tb = "hash:" + os.path.join(a, "table"), "hash:" + os.path.join(b, "table")
    r = postmap(pf, pa)
    assert r.returncode == 0, r.stderr
    r = run([TEGAMI, "map", tb], env=env)
    assert r.returncode == 0, r.stderr
    assert "line" in r.stderr and "expected format: key whitespace value" in r.stderr
    assert "duplicate entry" in r.stderr

    qs = queries(keys)
    batch = "\n".join(qs) + "\n"
    # batch mode: each tool on its own file and on the other's file
    want = postmap(pf, "-q", "-", pa, stdin=batch)
    assert want.returncode == 0, want.stderr
    assert len(want.stdout.splitlines()) > 600
    for cmd in ([TEGAMI, "map", "-q", "-", tb], [TEGAMI, "map", "-q", "-", pa]):
        got = run(cmd, stdin=batch, env=env)
        assert got.returncode == 0, got.stderr
        assert got.stdout == want.stdout
    cross = postmap(pf, "-q", "-", tb, stdin=batch)
    assert cross.returncode == 0, cross.stderr
    assert cross.stdout == want.stdout

    # single queries, including exit status for missing keys
    sample = random.Random(3).sample(qs, 120) + ["nosuchkey", "Local3"]
    w = single_answers([POSTMAP, "-c", pf], pa, sample)
    g = single_answers([TEGAMI, "map"], tb, sample, env=env)
    assert g == w

    # dumps hold the same entries
    w = postmap(pf, "-s", tb)
    g = run([TEGAMI, "map", "-s", pa], env=env)
    assert w.returncode == 0 and g.returncode == 0
    assert sorted(w.stdout.splitlines()) == sorted(g.stdout.splitlines())


def test_postmap_name_and_delete(dirs):
    pf, a, b, env = dirs
    src = os.path.join(b, "t")
    with open(src, "w") as f:
        f.write("Key1 one\nkey2 two\n")
    link = os.path.join(BIN, "postmap")
    r = run([link, src], env=env)            # bare name: hash:
    assert r.returncode == 0, r.stderr
    assert run([link, "-q", "KEY1", "hash:" + src], env=env).stdout == "one\n"
    r = run([link, "-d", "key1", "hash:" + src], env=env)
    assert r.returncode == 0, r.stderr
    assert run([link, "-q", "key1", "hash:" + src], env=env).returncode == 1
    r = postmap(pf, "-q", "key2", "hash:" + src)
    assert r.stdout == "two\n"
    assert run([link, "-d", "key1", "hash:" + src], env=env).returncode == 1


@pytest.mark.skipif(not os.path.exists(POSTALIAS), reason="no postalias")
def test_postalias_same_answers(dirs):
    pf, a, b, env = dirs
    text = ("# aliases\nPostmaster: root\nroot: alice, bob\n"
            "list: alice,\n  bob,\n  carol\nmailer-daemon: postmaster\n"
            "file: /var/log/file\npipe: \"|/usr/bin/cmd arg\"\n"
            "x:   a   b  ,c\nq: \"quoted local\"@x, y\n\"Quoted Key\": z\n"
            "inc: :include:/etc/list,|/bin/prog arg\n")
    for d in (a, b):
        with open(os.path.join(d, "aliases"), "w") as f:
            f.write(text)
    pa = "hash:" + os.path.join(a, "aliases")
    tb = "hash:" + os.path.join(b, "aliases")
    r = run([POSTALIAS, "-c", pf, pa])
    assert r.returncode == 0, r.stderr
    r = run([os.path.join(BIN, "postalias"), tb], env=env)
    assert r.returncode == 0, r.stderr
    keys = ("postmaster\nroot\nlist\nmailer-daemon\nfile\npipe\n@\nnobody\n"
            "x\nq\nquoted key\ninc\n")
    want = run([POSTALIAS, "-c", pf, "-q", "-", pa], stdin=keys)
    assert want.returncode == 0, want.stderr
    got = run([TEGAMI, "map", "-a", "-q", "-", tb], stdin=keys, env=env)
    assert got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    # and the databases are interchangeable
    cross = run([POSTALIAS, "-c", pf, "-q", "-", tb], stdin=keys)
    assert cross.stdout == want.stdout
