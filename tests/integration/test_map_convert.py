"""`tegami map -C hash:X lmdb:X`: an aliases database built by Debian's
postalias(1) is converted to lmdb:, and `tegami map -q` (single and `-q -`
batch) on the lmdb: result gives what `postalias -q` gives on the
original; both dumps hold the same entries.  A failed conversion leaves
the old lmdb: file in place.

Skipped when /usr/sbin/postalias is not installed (scripts/install-deps
installs the postfix package)."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN

POSTALIAS = "/usr/sbin/postalias"
TEGAMI = os.path.join(BIN, "tegami")

pytestmark = pytest.mark.skipif(not os.path.exists(POSTALIAS),
                                reason="Debian postfix (postalias) not installed")

ALIASES = """# /etc/aliases as administrators write it
postmaster: root
root: Admin
Admin: alice, bob@example.org
staff:
  alice,
  carol
list: :include:/etc/tegami/list
pipe: "|/usr/bin/procmail -a $EXTENSION"
archive: /var/mail/archive
MixedCase: user+tag@Example.COM
"""
for _i in range(200):
    ALIASES += "user%d: user%d@example.net, backup%d\n" % (_i, _i, _i % 7)


def run(cmd, stdin=None, env=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture
def tdir():
    root = tempfile.mkdtemp(prefix="tegami-convert-", dir="/tmp")
    pf = os.path.join(root, "postfix-conf")
    os.mkdir(pf)
    open(os.path.join(pf, "main.cf"), "w").close()
    env = dict(os.environ, TEGAMI_CONFIG_DIR=os.path.join(root, "nonexistent"))
    with open(os.path.join(root, "aliases"), "w") as f:
        f.write(ALIASES)
    yield root, pf, env
    shutil.rmtree(root)


def test_postalias_hash_to_lmdb(tdir):
    root, pf, env = tdir
    name = os.path.join(root, "aliases")
    r = run([POSTALIAS, "-c", pf, "hash:" + name])
    assert r.returncode == 0, r.stderr
    r = run([TEGAMI, "map", "-C", "hash:" + name, "lmdb:" + name], env=env)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(name + ".lmdb")
    assert not [f for f in os.listdir(root) if ".tmp" in f]

    # a few keys, one at a time: value and exit status as postalias
    for key, want in [("postmaster", "root"), ("ROOT", "Admin"),
                      ("admin", "alice, bob@example.org"),
                      ("staff", "alice, carol"),
                      ("pipe", '"|/usr/bin/procmail -a $EXTENSION"'),
                      ("mixedcase", "user+tag@Example.COM"),
                      ("user150", "user150@example.net, backup3"),
                      ("nosuchalias", None)]:
        p = run([POSTALIAS, "-c", pf, "-q", key, "hash:" + name])
        t = run([TEGAMI, "map", "-q", key, "lmdb:" + name], env=env)
        assert t.returncode == p.returncode, (key, t.stderr)
        assert t.stdout == p.stdout, key
        if want is None:
            assert t.returncode == 1
        else:
            assert t.stdout == want + "\n"

    # batch mode over every key, plus misses
    keys = [l.split(":")[0] for l in ALIASES.splitlines()
            if l and l[0] not in "# \t"] + ["nobody", "@", "USER7"]
    batch = "\n".join(keys) + "\n"
    p = run([POSTALIAS, "-c", pf, "-q", "-", "hash:" + name], stdin=batch)
    t = run([TEGAMI, "alias", "-q", "-", "lmdb:" + name], stdin=batch, env=env)
    assert t.returncode == 0, t.stderr
    assert t.stdout == p.stdout
    assert len(t.stdout.splitlines()) == len(keys) - 1     # all but nobody

    # the dumps hold exactly the same entries (YP_* and "@" markers too)
    p = run([POSTALIAS, "-c", pf, "-s", "hash:" + name])
    t = run([TEGAMI, "map", "-s", "lmdb:" + name], env=env)
    assert t.returncode == 0, t.stderr
    want = sorted(l.replace(":\t", "\t", 1) for l in p.stdout.splitlines())
    assert sorted(t.stdout.splitlines()) == want
    assert "@\t@" in want


def test_failed_conversion_keeps_old_result(tdir):
    root, pf, env = tdir
    name = os.path.join(root, "aliases")
    r = run([POSTALIAS, "-c", pf, "hash:" + name])
    assert r.returncode == 0, r.stderr
    r = run([TEGAMI, "map", "-C", "hash:" + name, "lmdb:" + name], env=env)
    assert r.returncode == 0, r.stderr
    with open(name + ".db", "r+b") as f:     # corrupt the source
        f.write(b"\0" * 4096)
    r = run([TEGAMI, "map", "-C", "hash:" + name, "lmdb:" + name], env=env)
    assert r.returncode == 2
    assert "aliases.db" in r.stderr
    t = run([TEGAMI, "map", "-q", "postmaster", "lmdb:" + name], env=env)
    assert t.returncode == 0 and t.stdout == "root\n"
    r = run([TEGAMI, "map", "-C", "hash:" + name], env=env)
    assert r.returncode == 2 and "two tables" in r.stderr
