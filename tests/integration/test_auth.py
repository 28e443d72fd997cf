"""auth(8): the SASL verification service on QUEUE_DIR/private/auth.

A small client speaks the IPC framing (doc/ipc.md §1) directly, as the
submission server does: PLAIN and LOGIN against the password file made by
`tegami passwd` (yescrypt) and by hand (sha512-crypt, bcrypt, a malformed
line), the failed-login delay and limit, hostile frames, and a real Dovecot
(Debian dovecot-core, started here with its own configuration) as the
backend, including Dovecot going away mid-test.
"""
import contextlib
import crypt
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import warnings

import pytest

from conftest import wait_until

warnings.filterwarnings("ignore", category=DeprecationWarning)


# -- the IPC framing ---------------------------------------------------------
def frame(*attrs):
    out = b""
    for name, value in attrs:
        n = name.encode()
        if isinstance(value, bool) or isinstance(value, int):
            t, v = b"i", struct.pack(">q", int(value))
        elif isinstance(value, bytes):
            t, v = b"b", value
        else:
            t, v = b"s", value.encode()
        out += t + bytes([len(n)]) + n + struct.pack(">I", len(v)) + v
    return struct.pack(">I", len(out)) + out


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except ConnectionResetError:     # closed with our frame unread
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(s):
    head = read_exact(s, 4)
    if head is None:
        return None
    payload = read_exact(s, struct.unpack(">I", head)[0])
    attrs, i = {}, 0
    while i < len(payload):
        t = payload[i:i + 1]
        nl = payload[i + 1]
        name = payload[i + 2:i + 2 + nl].decode()
        vl = struct.unpack(">I", payload[i + 2 + nl:i + 6 + nl])[0]
        v = payload[i + 6 + nl:i + 6 + nl + vl]
        i += 6 + nl + vl
        if t == b"i":
            v = struct.unpack(">q", v)[0]
        elif t == b"s":
            v = v.decode()
        attrs[name] = v
    return attrs


class AuthClient:
    def __init__(self, inst):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(os.path.join(inst.spool, "private", "auth"))

    def ask(self, *attrs):
        self.s.sendall(frame(*attrs))
        return read_frame(self.s)

    def close(self):
        self.s.close()


def exchange(inst, mech, steps, client="192.0.2.1", initial=None, tls=1):
    """One exchange: initial response (or None), then the responses in
    steps as long as auth says continue.  Returns (final reply, challenges)."""
    c = AuthClient(inst)
    try:
        attrs = [("req", "auth-start"), ("mech", mech),
                 ("client_addr", client), ("tls", tls)]
        if initial is not None:
            attrs.append(("resp", initial))
        r = c.ask(*attrs)
        challenges = []
        steps = list(steps)
        while r is not None and r.get("auth_status") == "continue":
            challenges.append(r.get("challenge"))
            if not steps:
                r = c.ask(("req", "auth-cancel"))
                break
            r = c.ask(("req", "auth-step"), ("resp", steps.pop(0)))
        return r, challenges
    finally:
        c.close()


def plain(inst, user, password, authzid="", client="192.0.2.1"):
    resp = b"%s\0%s\0%s" % (authzid.encode(), user.encode(), password.encode())
    return exchange(inst, "PLAIN", [], client=client, initial=resp)[0]


def login(inst, user, password, client="192.0.2.1"):
    return exchange(inst, "LOGIN", [user.encode(), password.encode()],
                    client=client)


def passwd(inst, user, password, *opts):
    res = inst.tegami("passwd", *opts, user, input=password + "\n")
    assert res.returncode == 0, res.stderr
    return res


def passwd_file(inst):
    return os.path.join(inst.dir, "passwd")


# -- the password file -------------------------------------------------------
def test_plain_and_login_with_tegami_passwd(new_instance):
    inst = new_instance()
    passwd(inst, "alice", "correct horse")
    text = open(passwd_file(inst)).read()
    assert text.startswith("alice:$y$"), text
    assert os.stat(passwd_file(inst)).st_mode & 0o077 == 0
    inst.start()

    c = AuthClient(inst)
    assert c.ask(("req", "mechs")) == {"auth_status": "ok", "mechs": "PLAIN LOGIN"}
    c.close()

    r = plain(inst, "alice", "correct horse")
    assert r == {"auth_status": "ok", "user": "alice"}
    # Authorization identity equal to the login is fine.
    assert plain(inst, "alice", "correct horse", authzid="alice")["user"] == "alice"

    r = plain(inst, "alice", "wrong", client="192.0.2.2")
    assert r["auth_status"] == "fail"
    assert r["reason"].startswith("535 5.7.8")
    assert r["delay"] == 1

    r = plain(inst, "mallory", "whatever", client="192.0.2.3")
    assert r["auth_status"] == "fail" and r["reason"].startswith("535 5.7.8")

    r = plain(inst, "alice", "correct horse", authzid="bob", client="192.0.2.4")
    assert r["auth_status"] == "fail" and "authorization identity" in r["reason"]

    r, ch = login(inst, "alice", "correct horse")
    assert ch == [b"Username:", b"Password:"]
    assert r == {"auth_status": "ok", "user": "alice"}
    r, ch = login(inst, "alice", "nope", client="192.0.2.5")
    assert r["auth_status"] == "fail"

    # PLAIN without an initial response: an empty challenge, then the
    # response.
    r, ch = exchange(inst, "PLAIN", [b"\0alice\0correct horse"], initial=None)
    assert ch == [b""] and r["user"] == "alice"

    # Cancel ("*" at the SMTP level).
    r, ch = exchange(inst, "LOGIN", [], client="192.0.2.6")
    assert r["auth_status"] == "fail" and r["reason"].startswith("501")

    # Unknown mechanism.
    r, _ = exchange(inst, "CRAM-MD5", [], initial=None)
    assert r["auth_status"] == "fail" and r["reason"].startswith("504 5.5.4")

    # Bad input: NUL or CR/LF in the user name, empty and over-long responses.
    for resp in (b"\0al\rice\0correct horse", b"\0al\nice\0correct horse",
                 b"", b"\0alice\0" + b"x" * 5000, b"alice correct horse"):
        r, _ = exchange(inst, "PLAIN", [], client="192.0.2.7", initial=resp)
        assert r["auth_status"] == "fail", resp
    r, _ = exchange(inst, "LOGIN", [b"al\0ice", b"correct horse"],
                    client="192.0.2.7")
    assert r["auth_status"] == "fail"

    log = inst.log()
    assert "auth: login ok: user=alice, client=192.0.2.1, mech=PLAIN" in log
    assert "auth: login ok: user=alice, client=192.0.2.1, mech=LOGIN" in log
    assert "auth: login failed: user=alice, client=192.0.2.2, mech=PLAIN" in log
    assert "auth: login failed: user=mallory, client=192.0.2.3" in log
    assert "correct horse" not in log
    assert "panic" not in log and "fatal" not in log


def test_hashes_and_malformed_lines(new_instance):
    inst = new_instance()
    sha = crypt.crypt("sha-pass", crypt.mksalt(crypt.METHOD_SHA512))
    bc = crypt.crypt("bcrypt-pass", crypt.mksalt(crypt.METHOD_BLOWFISH))
    assert sha.startswith("$6$") and bc.startswith("$2b$")
    with open(passwd_file(inst), "w") as f:
        f.write("# users\n\n"
                "carol:%s\n"
                "this line has no colon\n"
                "dave:%s:extra:fields\n"
                "eve:plaintext-not-a-hash\n" % (sha, bc))
    os.chmod(passwd_file(inst), 0o600)
    inst.start()
    assert plain(inst, "carol", "sha-pass")["user"] == "carol"
    assert plain(inst, "dave", "bcrypt-pass")["user"] == "dave"
    assert plain(inst, "carol", "bcrypt-pass", client="192.0.2.9")["auth_status"] == "fail"
    assert plain(inst, "eve", "plaintext-not-a-hash", client="192.0.2.9")["auth_status"] == "fail"
    log = inst.log()
    assert "passwd, line 4: expected \"user:hash\"; ignored" in log
    assert "passwd, line 6: user eve: not a crypt(3) hash; ignored" in log

    # A change while running: `tegami passwd` rewrites the file atomically,
    # keeps the other lines, and the running system picks the user up.
    res = passwd(inst, "frank", "frank-pass", "-m", "sha512")
    assert "added user frank" in res.stderr
    text = open(passwd_file(inst)).read()
    assert "this line has no colon\n" in text and "frank:$6$" in text
    wait_until(lambda: plain(inst, "frank", "frank-pass",
                             client="192.0.2.10").get("user") == "frank",
               30, what="frank can log in")
    # Changing a password keeps the extra fields.
    passwd(inst, "dave", "new-dave", "-m", "bcrypt")
    assert [l for l in open(passwd_file(inst)) if l.startswith("dave:")][0] \
        .rstrip().endswith(":extra:fields")
    wait_until(lambda: plain(inst, "dave", "new-dave",
                             client="192.0.2.11").get("user") == "dave",
               30, what="dave's new password works")


def test_failure_delay_grows_then_tempfail(new_instance):
    inst = new_instance()
    inst.conf(auth_failure_limit="4", auth_failure_delay_max="30s")
    passwd(inst, "alice", "pw-alice")
    passwd(inst, "bob", "pw-bob")
    inst.start()
    delays = []
    for _ in range(3):
        r = plain(inst, "alice", "guess", client="198.51.100.1")
        assert r["auth_status"] == "fail"
        delays.append(r["delay"])
    assert delays == [1, 2, 4]
    r = plain(inst, "alice", "guess", client="198.51.100.1")
    assert r["auth_status"] == "tempfail"
    assert r["reason"] == "454 4.7.0 Too many failed authentication attempts"
    # The address is blocked even with the right password ...
    r = plain(inst, "bob", "pw-bob", client="198.51.100.1")
    assert r["auth_status"] == "tempfail"
    # ... and so is the user from elsewhere.
    r = plain(inst, "alice", "pw-alice", client="198.51.100.2")
    assert r["auth_status"] == "tempfail"
    # Others are not.
    assert plain(inst, "bob", "pw-bob", client="198.51.100.3")["user"] == "bob"
    assert "login refused: user=alice, client=198.51.100.2" in inst.log()


def test_hostile_frames_and_peer(new_instance):
    inst = new_instance()
    passwd(inst, "alice", "pw")
    inst.start()
    path = os.path.join(inst.spool, "private", "auth")
    for junk in (b"\xff\xff\xff\xff" + b"x" * 64,
                 struct.pack(">I", 5) + b"s\x00\x00\x00\x00",
                 frame(("req", "auth-step"), ("resp", b"x")),   # out of order
                 frame(("req", "no-such-request")),
                 frame(("req", "auth-start"), ("mech", "PLAIN"),
                       ("client_addr", "has space")),
                 b"\x00\x00"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path)
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        assert read_frame(s) is None
        s.close()
    # The exchange is over after the final reply: auth closes.
    c = AuthClient(inst)
    assert c.ask(("req", "auth-start"), ("mech", "PLAIN"),
                 ("client_addr", "192.0.2.1"), ("resp", b"\0alice\0pw"))["user"] == "alice"
    assert read_frame(c.s) is None
    c.close()
    # A peer that is neither root nor mail_owner is refused.
    if os.geteuid() == 0:
        # Let nobody reach the socket through the file system, so that
        # only the uid check stands in the way.
        os.chmod(os.path.dirname(path), 0o711)
        os.chmod(path, 0o666)
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_UNIX);s.settimeout(10);s.connect(sys.argv[1])\n"
                "try:\n"
                "    s.sendall(bytes.fromhex(sys.argv[2]))\n"
                "    print(len(s.recv(100)))\n"
                "except (ConnectionResetError, BrokenPipeError):\n"
                "    print(0)\n")
        res = subprocess.run(["/usr/bin/python3", "-c", code, path,
                              frame(("req", "mechs")).hex()],
                             user="nobody", capture_output=True, text=True,
                             timeout=30)
        assert res.stdout.strip() == "0", res.stdout + res.stderr
        wait_until(lambda: "auth: connection from uid=" in inst.log(), 10,
                   what="the refusal in the log")
    assert plain(inst, "alice", "pw")["user"] == "alice"
    assert "panic" not in inst.log() and "fatal" not in inst.log()


def test_auth_runs_as_mail_owner(new_instance):
    if os.geteuid() != 0:
        pytest.skip("needs root to see the privilege drop")
    inst = new_instance()
    passwd(inst, "alice", "pw")
    inst.start()
    assert plain(inst, "alice", "pw")["user"] == "alice"
    pid = inst.pids()["auth"][0]
    uid = [l for l in open("/proc/%d/status" % pid) if l.startswith("Uid:")][0]
    assert set(uid.split()[1:]) != {"0"}, uid


# -- Dovecot -------------------------------------------------------------------
DOVECOT_CONF = """
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols =
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {{
  driver = passwd-file
  args = scheme=SHA512-CRYPT {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
"""


@contextlib.contextmanager
def run_dovecot(mechanisms="plain login", extra_users=""):
    """A private Dovecot whose auth-client socket serves the users zoe
    (sha512-crypt) and extra_users (passwd-file lines)."""
    d = tempfile.mkdtemp(prefix="tegami-dovecot-", dir="/tmp")
    os.chmod(d, 0o755)
    os.makedirs(os.path.join(d, "run"))
    os.makedirs(os.path.join(d, "state"))
    with open(os.path.join(d, "users"), "w") as f:
        f.write("zoe:{SHA512-CRYPT}%s\n" %
                crypt.crypt("dove-pass", crypt.mksalt(crypt.METHOD_SHA512)))
        f.write(extra_users)
    os.chmod(os.path.join(d, "users"), 0o644)
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(DOVECOT_CONF.format(d=d).replace(
            "auth_mechanisms = plain login", "auth_mechanisms = " + mechanisms))
    proc = subprocess.Popen(["/usr/sbin/dovecot", "-c", conf, "-F"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sock = os.path.join(d, "run", "auth-client")
    try:
        wait_until(lambda: os.path.exists(sock) or proc.poll() is not None, 20,
                   what="dovecot's auth socket")
        assert proc.poll() is None, proc.stderr.read().decode(errors="replace")
        yield {"dir": d, "sock": sock, "proc": proc}
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def dovecot():
    with run_dovecot() as d:
        yield d


def test_dovecot_backend(new_instance, dovecot):
    inst = new_instance()
    inst.conf(smtpd_sasl_type="dovecot", smtpd_sasl_path=dovecot["sock"])
    inst.start()
    c = AuthClient(inst)
    r = c.ask(("req", "mechs"))
    c.close()
    assert r["auth_status"] == "ok"
    assert set(r["mechs"].split()) == {"PLAIN", "LOGIN"}, r

    assert plain(inst, "zoe", "dove-pass") == {"auth_status": "ok", "user": "zoe"}
    r = plain(inst, "zoe", "bad-pass", client="192.0.2.20")
    assert r["auth_status"] == "fail" and r["reason"].startswith("535 5.7.8")
    r, ch = login(inst, "zoe", "dove-pass")
    assert r == {"auth_status": "ok", "user": "zoe"}, r
    assert ch == [b"Username:", b"Password:"]
    r, ch = exchange(inst, "PLAIN", [b"\0zoe\0dove-pass"], initial=None)
    assert r["user"] == "zoe" and ch == [b""]
    r, _ = exchange(inst, "CRAM-MD5", [])
    assert r["reason"].startswith("504 5.5.4")

    # Dovecot goes away: temporary failures, never a success, no crash.
    # (SIGTERM: the master takes its auth process with it; after a SIGKILL
    # the orphaned auth process would go on answering.)
    dovecot["proc"].send_signal(signal.SIGTERM)
    dovecot["proc"].wait(30)
    def gone():
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(2)
                s.connect(dovecot["sock"])
                s.sendall(b"VERSION\t1\t2\nCPID\t1\n")
                return s.recv(100) == b""
        except OSError:
            return True
    wait_until(gone, 20, what="dovecot's auth socket gone")
    for p in ("dove-pass", "bad-pass"):
        r = plain(inst, "zoe", p, client="192.0.2.21")
        assert r["auth_status"] == "tempfail", r
        assert r["reason"] == "454 4.7.0 Temporary authentication failure"
    c = AuthClient(inst)
    assert c.ask(("req", "mechs"))["auth_status"] == "tempfail"
    c.close()
    log = inst.log()
    assert "auth: login ok: user=zoe, client=192.0.2.1, mech=PLAIN" in log
    assert "panic" not in log and "fatal" not in log


def test_dovecot_garbage_and_silence(new_instance):
    """A fake Dovecot that answers garbage, or nothing: 454, never a success."""
    inst = new_instance()
    d = tempfile.mkdtemp(prefix="tegami-fakedove-", dir="/tmp")
    os.chmod(d, 0o755)
    sock = os.path.join(d, "auth-client")
    inst.conf(smtpd_sasl_type="dovecot", smtpd_sasl_path=sock,
              auth_dovecot_timeout="2s")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    os.chmod(sock, 0o666)
    srv.listen(8)
    srv.settimeout(30)
    inst.start()
    replies = [
        b"garbage\n",
        b"VERSION\t1\t2\nMECH\tPLAIN\nDONE\nOK\t99\tuser=zoe\n",      # wrong id
        b"VERSION\t1\t2\nMECH\tPLAIN\nDONE\nOK\t1\n",                 # no user
        b"VERSION\t1\t2\nMECH\tPLAIN\nDONE\n",                          # silence
        b"VERSION\t2\t0\nMECH\tPLAIN\nDONE\nOK\t1\tuser=zoe\n",       # version
    ]
    try:
        for rep in replies:
            c = AuthClient(inst)
            c.s.sendall(frame(("req", "auth-start"), ("mech", "PLAIN"),
                              ("client_addr", "192.0.2.30"),
                              ("resp", b"\0zoe\0x")))
            conn, _ = srv.accept()
            conn.sendall(rep)
            r = read_frame(c.s)
            assert r["auth_status"] == "tempfail", (rep, r)
            conn.close()
            c.close()
    finally:
        srv.close()
        shutil.rmtree(d, ignore_errors=True)
    # Missing socket.
    r = plain(inst, "zoe", "x", client="192.0.2.31")
    assert r["auth_status"] == "tempfail"
    assert "panic" not in inst.log() and "fatal" not in inst.log()
