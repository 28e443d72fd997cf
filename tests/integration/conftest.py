"""Fixtures for tegami's end-to-end tests.

Each test gets real instances made by `tegami init` on free loopback ports,
started and stopped with the `tegami` command, talked to with real clients
(smtplib, swaks, build/bin/sendmail).  Nothing here stands in for a tegami
daemon: a test that passes has driven the real processes.
"""
import os
import re
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

BUILD = os.environ.get("TEGAMI_BUILD") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
BUILD = os.path.abspath(BUILD)
# An ASan build keeps freed memory in quarantine: its RSS says nothing about
# what a daemon holds, so memory bounds are checked on normal builds only.
SANITIZED = os.path.basename(BUILD) == "san"
BIN = os.path.join(BUILD, "bin")
LIBEXEC = os.path.join(BUILD, "libexec", "tegami")
SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Sanitizer reports (make check SANITIZE=1) from any process the tests
# start, daemons included, land here; every test fails if one appears.
SANITIZER_LOGS = tempfile.mkdtemp(prefix="tegami-sanitizer-", dir="/tmp")
os.chmod(SANITIZER_LOGS, 0o1777)    # daemons that dropped privileges write too
os.environ["ASAN_OPTIONS"] = "log_path=%s/asan:detect_leaks=0" % SANITIZER_LOGS
os.environ["UBSAN_OPTIONS"] = "log_path=%s/ubsan:print_stacktrace=1" % SANITIZER_LOGS

# Settings that make retries fast enough for a test run.
FAST_RETRY = {
    "minimal_backoff_time": "1s",
    "maximal_backoff_time": "2s",
    "queue_run_delay": "1s",
}


def port_free(port, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_base():
    """A port base N such that N+25, N+65 and N+87 are all free.  Bases
    stay below 25100 and the test DNS servers between 25100 and 32000, so
    neither can meet the ports the kernel hands out for bind(0) and for
    outgoing connections (32768 and up): a server a test started, or a
    client's source port, could otherwise sit on an instance's port."""
    for _ in range(200):
        base = random.randrange(10000, 25000, 100)
        if all(port_free(base + off) for off in (25, 65, 87)):
            return base
    raise RuntimeError("no free port base found")


def wait_until(pred, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))


class Instance:
    def __init__(self, root):
        self.dir = root
        self.base = free_port_base()
        self.port = self.base + 25
        self.spool = os.path.join(root, "spool")
        self.mail = os.path.join(root, "mail")
        self.maillog = os.path.join(root, "maillog")
        self.running = False
        out = self.tegami("init", root, "--port-base", str(self.base))
        assert out.returncode == 0, out.stderr
        self.conf(**FAST_RETRY)
        # An instance under test never asks the machine's resolver: tests
        # that need DNS start unbound (dnsserver.py) and set
        # dns_nameservers and smtpd_peername_lookup themselves.
        # dns_nameservers points at a port where nothing answers, so a
        # lookup a test did not arrange fails (temporarily) instead of
        # reaching the machine's resolver.
        self.conf(smtpd_peername_lookup="no", dns_nameservers="127.0.0.1@1")
        # qmgr and pickup wake up every second in tests (master.cf wakeup).
        self.set_wakeup("qmgr", 1)
        self.set_wakeup("pickup", 1)

    # -- commands ---------------------------------------------------------
    def tegami(self, *args, check=False, input=None, timeout=60):
        argv = [os.path.join(BIN, "tegami")]
        if args and args[0] != "init":
            argv += ["-c", self.dir]
        argv += list(args)
        res = subprocess.run(argv, capture_output=True, text=True,
                             input=input, timeout=timeout)
        if check:
            assert res.returncode == 0, "%s: %s%s" % (argv, res.stdout, res.stderr)
        return res

    def sendmail(self, args, message, check=True, env=None, user=None):
        argv = [os.path.join(BIN, "sendmail"), "-C", self.dir] + list(args)
        if isinstance(message, str):
            message = message.encode()
        res = subprocess.run(argv, input=message, capture_output=True,
                             timeout=60, env=env, user=user)
        if check:
            assert res.returncode == 0, res.stderr.decode(errors="replace")
        return res

    def mailq(self):
        return subprocess.run([os.path.join(BIN, "mailq"), "-C", self.dir],
                              capture_output=True, text=True, timeout=60)

    def conf(self, **settings):
        args = ["%s=%s" % (k, v) for k, v in settings.items()]
        self.tegami("conf", "-e", *args, check=True)

    def set_wakeup(self, service, seconds):
        path = os.path.join(self.dir, "master.cf")
        lines = open(path).read().splitlines(True)
        out = []
        for line in lines:
            f = line.split()
            if len(f) >= 8 and f[0] == service and not line[0].isspace():
                f[5] = str(seconds)
                line = " ".join(f) + "\n"
            out.append(line)
        open(path, "w").write("".join(out))

    def start(self):
        res = self.tegami("start", timeout=30)
        assert res.returncode == 0, res.stdout + res.stderr
        self.running = True
        wait_until(lambda: not port_free(self.port), 10, what="smtpd port")

    def stop(self):
        if not self.running:
            return
        res = self.tegami("stop", timeout=60)
        self.running = False
        assert res.returncode == 0, res.stdout + res.stderr

    # -- observation -------------------------------------------------------
    def maildir(self, localpart):
        return os.path.join(self.mail, localpart, "Maildir")

    def messages(self, localpart):
        new = os.path.join(self.maildir(localpart), "new")
        try:
            names = sorted(os.listdir(new))
        except FileNotFoundError:
            return []
        return [os.path.join(new, n) for n in names]

    def wait_messages(self, localpart, count, timeout=30):
        wait_until(lambda: len(self.messages(localpart)) >= count, timeout,
                   what="%d message(s) for %s" % (count, localpart))
        return self.messages(localpart)

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def pids(self):
        """{program name: [pid, ...]} of every process of this instance."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    argv = f.read().split(b"\0")
                exe = os.readlink("/proc/%s/exe" % entry)
            except OSError:
                continue
            if not exe.startswith(LIBEXEC + "/"):
                continue
            if self.dir.encode() not in argv:
                continue
            found.setdefault(os.path.basename(exe), []).append(int(entry))
        return found

    def queue_files(self, *subdirs):
        subdirs = subdirs or ("maildrop", "incoming", "active", "deferred", "hold")
        names = []
        for sub in subdirs:
            try:
                names += [n for n in os.listdir(os.path.join(self.spool, sub))
                          if not n.startswith("t.")]
            except FileNotFoundError:
                pass
        return names



def log_line(inst, rcpt, status, timeout=60):
    """Wait for the delivery log line of rcpt with status (a regex such as
    "sent" or "(deferred|bounced)"); the line.  The log shows bytes
    outside ASCII as "?"."""
    addr = re.escape(rcpt.encode().decode("ascii", "replace")).replace("\ufffd", "\\?+")
    pat = re.compile(r"^.*to=<%s>.*status=%s.*$" % (addr, status), re.M)

    def found():
        m = pat.search(inst.log())
        return m.group(0) if m else None
    return wait_until(found, timeout, what="%s %s" % (rcpt, status))

def read_reply(f):
    """One whole SMTP reply from a binary file object: (code, [lines]).
    A closed connection in the middle is a test failure."""
    lines = []
    while True:
        line = f.readline()
        assert line, "connection closed after %r" % lines
        lines.append(line.decode(errors="replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return int(lines[-1][:3]), lines


def make_root():
    root = tempfile.mkdtemp(prefix="tegami-test-", dir="/tmp")
    # When the tests run as root the daemons drop to mail_owner, which must
    # be able to reach the instance.
    os.chmod(root, 0o755)
    return root


@pytest.fixture(autouse=True)
def no_sanitizer_reports():
    """Fail the test during which any process wrote a sanitizer report."""
    yield
    reports = sorted(n for n in os.listdir(SANITIZER_LOGS) if not n.startswith("seen-"))
    if reports:
        text = ""
        for name in reports[:3]:
            with open(os.path.join(SANITIZER_LOGS, name), errors="replace") as f:
                text += "==> %s\n%s\n" % (name, f.read()[:4000])
            os.rename(os.path.join(SANITIZER_LOGS, name),
                      os.path.join(SANITIZER_LOGS, "seen-" + name))
        pytest.fail("sanitizer report(s):\n" + text)


@pytest.fixture
def new_instance():
    """A factory: new_instance() -> Instance (initialised, not started)."""
    made = []

    def factory():
        inst = Instance(make_root())
        made.append(inst)
        return inst
    yield factory
    for inst in made:
        try:
            inst.stop()
        finally:
            leftover = inst.pids()
            for pids in leftover.values():
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if os.environ.get("TEGAMI_KEEP"):
                print("kept", inst.dir)
            else:
                shutil.rmtree(inst.dir, ignore_errors=True)


@pytest.fixture
def instance(new_instance):
    """A started instance."""
    inst = new_instance()
    inst.start()
    return inst
