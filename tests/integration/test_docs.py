"""The manual pages keep up with the programs.

Every parameter that `tegami conf -d` prints has an entry in main.cf(5),
with the default the programs really use, and main.cf(5) documents no
parameter that does not exist.  Every installed program has a manual page,
and every page renders without warnings.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN, BUILD, SRCDIR

MAN = os.path.join(SRCDIR, "man")
MAIN_CF_5 = os.path.join(MAN, "man5", "main.cf.5")

# Defaults computed at run time (host name, environment): the page
# describes them in words.
COMPUTED = {"config_directory", "myhostname", "mydomain"}

# A parameter entry: ".TP" then "\fBname\fR (default: ...)" and an
# optional "(tegami)" mark for tegami's own parameters.
ENTRY = re.compile(r"^\\fB(?P<name>[A-Za-z0-9_]+)\\fR "
                   r"\(default: (?P<default>.*?)\)(?: \(tegami\))?$")


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def defaults():
    """{name: default} as `tegami -c DIR conf -d` prints it."""
    root = tempfile.mkdtemp(prefix="tegami-docs-", dir="/tmp")
    try:
        os.chmod(root, 0o755)
        tegami = os.path.join(BIN, "tegami")
        res = run(tegami, "init", root)
        assert res.returncode == 0, res.stdout + res.stderr
        res = run(tegami, "-c", root, "conf", "-d")
        assert res.returncode == 0, res.stdout + res.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)
    found = {}
    for line in res.stdout.splitlines():
        m = re.match(r"^([A-Za-z0-9_]+) =(?: (.*))?$", line)
        assert m, "unexpected line from tegami conf -d: %r" % line
        found[m.group(1)] = m.group(2) or ""
    assert len(found) > 20, res.stdout
    return found


def roff_text(s):
    """The plain text of a roff fragment: font changes and escapes removed."""
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def documented():
    """{name: default text} of every parameter entry in main.cf(5)."""
    with open(MAIN_CF_5) as f:
        lines = f.read().splitlines()
    entries = {}
    for prev, line in zip(lines, lines[1:]):
        if prev.strip() != ".TP":
            continue
        m = ENTRY.match(line)
        if m:
            assert m.group("name") not in entries, \
                "%s has two entries in main.cf(5)" % m.group("name")
            entries[m.group("name")] = roff_text(m.group("default"))
    return entries


def test_every_parameter_has_an_entry(defaults):
    with open(MAIN_CF_5) as f:
        text = f.read()
    missing = sorted(n for n in defaults if "\\fB%s\\fR" % n not in text)
    assert not missing, "not in man/man5/main.cf.5: %s" % ", ".join(missing)
    entries = documented()
    missing = sorted(n for n in defaults if n not in entries)
    assert not missing, \
        "no '.TP / \\fBname\\fR (default: ...)' entry for: %s" % ", ".join(missing)


def test_no_entry_for_a_parameter_that_does_not_exist(defaults):
    stale = sorted(n for n in documented() if n not in defaults)
    assert not stale, "main.cf(5) documents unknown parameters: %s" % \
        ", ".join(stale)


def test_documented_defaults_are_the_real_ones(defaults):
    # The page gives the defaults of a build with PREFIX=/usr/local.
    prefix = defaults["daemon_directory"].rsplit("/libexec/tegami", 1)[0]
    wrong = []
    for name, text in sorted(documented().items()):
        if name in COMPUTED or name not in defaults:
            continue
        want = "" if text == "empty" else text
        if want.startswith("/usr/local/"):
            want = prefix + want[len("/usr/local"):]
        if want != defaults[name]:
            wrong.append("%s: page says %r, tegami conf -d says %r"
                         % (name, want, defaults[name]))
    assert not wrong, "\n".join(wrong)


def page_names(path):
    """The names in a page's NAME section ("sendmail, mailq \\- ...")."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"^\.SH \"?NAME\"?\n(.*?)\\-", text, re.M | re.S)
    assert m, "%s has no NAME section" % path
    return {n.strip() for n in roff_text(m.group(1)).split(",")}


def programs(subdir):
    d = os.path.join(BUILD, subdir)
    names = sorted(n for n in os.listdir(d)
                   if os.access(os.path.join(d, n), os.X_OK)
                   and not os.path.isdir(os.path.join(d, n)))
    assert names, "no programs in %s (is tegami built?)" % d
    return names


def test_every_program_has_a_manual_page():
    named = {}
    for path in glob.glob(os.path.join(MAN, "man*", "*.[0-9]")):
        for n in page_names(path):
            named.setdefault(n, []).append(os.path.relpath(path, SRCDIR))
    missing = []
    # Daemons and helpers: man8/NAME.8, naming the program.
    for name in programs(os.path.join("libexec", "tegami")):
        page = os.path.join(MAN, "man8", name + ".8")
        if not os.path.isfile(page) or name not in page_names(page):
            missing.append("libexec/tegami/%s (man/man8/%s.8)" % (name, name))
    # Commands: a page in man1 whose NAME section lists it (sendmail.1
    # covers mailq and newaliases).
    for name in programs("bin"):
        if not any(p.startswith("man/man1/") for p in named.get(name, [])):
            missing.append("bin/%s (a man/man1 page naming it)" % name)
    assert not missing, "programs without a manual page:\n" + "\n".join(missing)


def test_pages_render_without_warnings():
    assert shutil.which("man"), "man-db is installed by scripts/install-deps"
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    pages = sorted(glob.glob(os.path.join(MAN, "man*", "*.[0-9]")))
    assert pages
    bad = []
    for page in pages:
        res = subprocess.run(["man", "--warnings", "-l", page],
                             capture_output=True, text=True, env=env,
                             timeout=60)
        if res.returncode != 0 or res.stderr.strip():
            bad.append("%s: %s" % (os.path.relpath(page, SRCDIR),
                                   res.stderr.strip() or "exit %d" % res.returncode))
    assert not bad, "\n".join(bad)
