"""submission(8): ports N+87 (STARTTLS) and N+65 (TLS from the first byte)
with SMTP AUTH (RFC 4954), over real sockets and with real clients.

The credentials are checked by a small fake auth service written here: a
thread serving QUEUE_DIR/private/auth in the framing of doc/ipc.md and the
protocol of lib/ipc_names.h ("auth").  It knows alice/secret and bob/pw2;
the user "temp" gets a temporary failure and "slow" a failure with a
delay.  The real auth(8) is tested with the engine end-to-end elsewhere.
Covered: EHLO (AUTH only after TLS), every refusal of AUTH with its exact
code, PLAIN and LOGIN with and without initial responses, relay only after
AUTH, sender login maps, MAIL AUTH=, Received: "with ESMTPSA" and the
authenticated-sender comment, the log lines (never a password), and the
clients smtplib, swaks and msmtp.
"""
import base64
import os
import re
import shutil
import smtplib
import socket
import ssl
import struct
import subprocess
import threading

import pytest

from conftest import wait_until

USERS = {"alice": "secret", "bob": "pw2"}
FAIL = "535 5.7.8 Error: authentication failed: authentication failure"


# ---- the fake auth service ---------------------------------------------------

def ipc_encode(attrs):
    payload = b""
    for name, value in attrs:
        if isinstance(value, int):
            t, v = b"i", struct.pack(">q", value)
        elif isinstance(value, bytes):
            t, v = b"b", value
        else:
            t, v = b"s", value.encode()
        payload += t + bytes([len(name)]) + name.encode() + struct.pack(">I", len(v)) + v
    return struct.pack(">I", len(payload)) + payload


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def ipc_recv(sock):
    head = recv_exact(sock, 4)
    if head is None:
        return None
    payload = recv_exact(sock, struct.unpack(">I", head)[0])
    attrs, i = {}, 0
    while i < len(payload):
        t, nlen = payload[i:i + 1], payload[i + 1]
        name = payload[i + 2:i + 2 + nlen].decode()
        vlen = struct.unpack(">I", payload[i + 2 + nlen:i + 6 + nlen])[0]
        v = payload[i + 6 + nlen:i + 6 + nlen + vlen]
        i += 6 + nlen + vlen
        attrs[name] = struct.unpack(">q", v)[0] if t == b"i" else (
            v.decode() if t == b"s" else v)
    return attrs


class FakeAuth:
    """private/auth: PLAIN and LOGIN against USERS.

    Only the thread blocked in a socket closes it: close() shuts the
    listener down to wake the accept loop, which then closes it.  (A
    listener closed under a blocked accept() leaves that thread holding
    the descriptor number; the kernel restarts the call with it after an
    ignored signal such as SIGCHLD, and it then takes the connections of
    whatever socket got the number next -- see scripted_smtp.py.)"""

    def __init__(self, inst):
        self.path = os.path.join(inst.spool, "private", "auth")
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(64)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        try:
            while True:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                conn.settimeout(30)
                threading.Thread(target=self.serve, args=(conn,), daemon=True).start()
        finally:
            self.sock.close()

    def verdict(self, user, password):
        if user == "temp":
            return [("auth_status", "tempfail"),
                    ("reason", "454 4.7.0 Temporary authentication failure")]
        if user == "slow":
            return [("auth_status", "fail"), ("reason", FAIL), ("delay", 2)]
        if USERS.get(user) == password:
            return [("auth_status", "ok"), ("user", user)]
        return [("auth_status", "fail"), ("reason", FAIL)]

    def serve(self, conn):
        with conn:
            try:
                self.converse(conn)
            except OSError:     # a timeout or a reset: submission sees the end
                pass

    def converse(self, conn):
        req = ipc_recv(conn)
        if req is None:
            return
        self.requests.append(req)
        if req.get("req") == "mechs":
            conn.sendall(ipc_encode([("auth_status", "ok"), ("mechs", "PLAIN LOGIN")]))
            return
        mech, resp = req.get("mech"), req.get("resp")
        if mech == "PLAIN":
            if resp is None:
                conn.sendall(ipc_encode([("auth_status", "continue"), ("challenge", b"")]))
                step = ipc_recv(conn)
                self.requests.append(step)
                if step is None or step.get("req") != "auth-step":
                    return
                resp = step["resp"]
            parts = resp.split(b"\0")
            if len(parts) != 3:
                conn.sendall(ipc_encode([("auth_status", "fail"), ("reason", FAIL)]))
                return
            conn.sendall(ipc_encode(self.verdict(parts[1].decode(), parts[2].decode())))
        elif mech == "LOGIN":
            answers = []
            if resp is not None:
                answers.append(resp)
            for prompt in (b"Username:", b"Password:")[len(answers):]:
                conn.sendall(ipc_encode([("auth_status", "continue"), ("challenge", prompt)]))
                step = ipc_recv(conn)
                self.requests.append(step)
                if step is None or step.get("req") != "auth-step":
                    return
                answers.append(step["resp"])
            conn.sendall(ipc_encode(self.verdict(answers[0].decode(), answers[1].decode())))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # accept() fails: EINVAL
        except OSError:
            pass
        self.thread.join(30)
        assert not self.thread.is_alive(), "the fake auth accept loop did not end"


# ---- helpers ---------------------------------------------------------------

def myhostname(inst):
    out = inst.tegami("conf", "myhostname", check=True).stdout
    return out.split("=", 1)[1].strip()


def client_context(inst):
    ca = os.path.join(inst.dir, "tls", "ca-both.pem")
    if not os.path.exists(ca):
        with open(ca, "w") as out:
            for name in ("cert.pem", "eccert.pem"):
                out.write(open(os.path.join(inst.dir, "tls", name)).read())
    return ssl.create_default_context(cafile=ca)


class Raw:
    """A line-level SMTP client, plain or TLS."""

    def __init__(self, port, ctx=None, hostname=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=hostname)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return int(lines[-1][:3]), lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def starttls(self, ctx, hostname):
        assert self.cmd("STARTTLS")[0] == 220
        self.sock = ctx.wrap_socket(self.sock, server_hostname=hostname)

    def close(self):
        self.sock.close()


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def plain(user, password):
    return b64("\0%s\0%s" % (user, password))


def ehlo_auth(lines):
    return [l[4:] for l in lines if l[4:].startswith("AUTH")]


@pytest.fixture
def sub(new_instance):
    """A started instance with the fake auth service and a login map."""
    inst = new_instance()
    path = os.path.join(inst.dir, "master.cf")
    text = open(path).read()
    # The real auth(8) must not also serve private/auth in these tests.
    text = "".join(l for l in text.splitlines(True)
                   if not (l.split() and l.split()[0] == "auth"))
    open(path, "w").write(text)
    inst.conf(smtpd_sender_login_maps="inline:{alice@example.com=alice, "
              "bob@example.com=bob, shared@example.com=alice bob}",
              smtpd_sasl_authenticated_header="yes",
              # 127.0.0.1 is not "ours": port 25 must not relay for it.
              mynetworks="192.0.2.0/24")
    inst.start()
    inst.sub_port = inst.base + 87
    inst.smtps_port = inst.base + 65
    inst.auth = FakeAuth(inst)
    inst.host = myhostname(inst)
    inst.ctx = client_context(inst)
    yield inst
    inst.auth.close()


def tls_session(inst, ehlo=True):
    c = Raw(inst.sub_port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    c.starttls(inst.ctx, inst.host)
    if ehlo:
        code, lines = c.cmd("EHLO client.example")
        assert code == 250
        c.ehlo = lines
    return c


# ---- tests -------------------------------------------------------------------

def test_ehlo_offers_auth_only_after_tls(sub):
    c = Raw(sub.sub_port)
    assert c.reply()[0] == 220
    code, lines = c.cmd("EHLO client.example")
    assert code == 250 and ehlo_auth(lines) == [], lines
    assert "STARTTLS" in [l[4:] for l in lines]
    # smtpd_tls_auth_only (and level encrypt): 538 before TLS, 530 for MAIL.
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == (
        538, ["538 5.7.11 Encryption required for requested authentication mechanism"])
    assert c.cmd("MAIL FROM:<alice@example.com>") == (
        530, ["530 5.7.0 Must issue a STARTTLS command first"])
    c.starttls(sub.ctx, sub.host)
    code, lines = c.cmd("EHLO client.example")
    assert ehlo_auth(lines) == ["AUTH PLAIN LOGIN"], lines
    c.close()


def test_port25_has_no_auth(sub):
    c = Raw(sub.port)
    assert c.reply()[0] == 220
    code, lines = c.cmd("EHLO client.example")
    assert ehlo_auth(lines) == []
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == (
        503, ["503 5.5.1 Error: authentication not enabled"])
    # MAIL AUTH= only where AUTH is offered.
    code, lines = c.cmd("MAIL FROM:<a@example.com> AUTH=<>")
    assert code == 555, lines
    c.close()


def test_plain_initial_response_and_relay(sub):
    c = tls_session(sub)
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == (
        235, ["235 2.7.0 Authentication successful"])
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == (
        503, ["503 5.5.1 Error: already authenticated"])
    assert c.cmd("MAIL FROM:<alice@example.com> AUTH=alice+40example.com")[0] == 250
    assert c.cmd("AUTH LOGIN") == (503, ["503 5.5.1 Error: already authenticated"])
    assert c.cmd("RCPT TO:<someone@remote.example>")[0] == 250   # relay
    assert c.cmd("RSET")[0] == 250
    c.close()
    start = [r for r in sub.auth.requests if r.get("req") == "auth-start"]
    assert start, sub.auth.requests
    assert start[-1]["mech"] == "PLAIN" and start[-1]["tls"] == 1
    assert start[-1]["client_addr"] == "127.0.0.1"
    assert start[-1]["resp"] == b"\0alice\0secret"


def test_plain_and_login_with_challenges(sub):
    c = tls_session(sub)
    assert c.cmd("AUTH PLAIN") == (334, ["334 "])
    assert c.cmd(plain("bob", "pw2"))[0] == 235
    c.close()
    c = tls_session(sub)
    assert c.cmd("AUTH LOGIN") == (334, ["334 " + b64("Username:")])
    assert c.cmd(b64("alice")) == (334, ["334 " + b64("Password:")])
    assert c.cmd(b64("secret"))[0] == 235
    c.close()
    c = tls_session(sub)                # LOGIN with the user name at once
    assert c.cmd("AUTH LOGIN " + b64("alice")) == (334, ["334 " + b64("Password:")])
    assert c.cmd(b64("wrong")) == (535, [FAIL])
    c.close()


def test_refusals(sub):
    c = tls_session(sub, ehlo=False)
    # STARTTLS forgot the EHLO (RFC 3207 4.2).
    assert c.cmd("AUTH PLAIN") == (503, ["503 5.5.1 Error: send EHLO first"])
    assert c.cmd("HELO client.example")[0] == 250
    assert c.cmd("AUTH PLAIN") == (503, ["503 5.5.1 Error: send EHLO first"])
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("AUTH") == (501, ["501 5.5.4 Syntax: AUTH mechanism"])
    assert c.cmd("AUTH CRAM-MD5") == (504, ["504 5.5.4 Unsupported authentication mechanism"])
    assert c.cmd("AUTH PLAIN !!!!") == (501, ["501 5.5.2 Cannot decode response"])
    assert c.cmd("AUTH PLAIN AGFsaWNl=") == (501, ["501 5.5.2 Cannot decode response"])
    assert c.cmd("AUTH PLAIN *") == (501, ["501 5.7.0 Authentication aborted"])
    assert c.cmd("AUTH PLAIN") == (334, ["334 "])
    assert c.cmd("*") == (501, ["501 5.7.0 Authentication aborted"])
    assert c.cmd("AUTH LOGIN") == (334, ["334 " + b64("Username:")])
    assert c.cmd("not base64") == (501, ["501 5.5.2 Invalid base64 data in continued response"])
    assert c.cmd("AUTH LOGIN")[0] == 334
    assert c.cmd("QUFB" * 1000) == (500, ["500 5.5.6 Authentication exchange line is too long"])
    assert c.cmd("AUTH PLAIN " + plain("alice", "nope")) == (535, [FAIL])
    assert c.cmd("AUTH PLAIN " + plain("temp", "x")) == (
        454, ["454 4.7.0 Temporary authentication failure"])
    # In a transaction.
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == (
        503, ["503 5.5.1 Error: MAIL transaction in progress"])
    assert c.cmd("RSET")[0] == 250
    # Still usable after all that (under the hard error limit).
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret"))[0] == 235
    c.close()
    log = sub.log()
    assert "SASL PLAIN authentication failed: Error: authentication failed" in log
    assert "secret" not in log and "nope" not in log
    assert plain("alice", "nope") not in log and b64("wrong") not in log


def test_failure_delay_does_not_block_others(sub):
    slow = tls_session(sub)
    slow.send("AUTH PLAIN " + plain("slow", "x") + "\r\n")
    # While that reply is held back, another session is served.
    other = tls_session(sub)
    assert other.cmd("AUTH PLAIN " + plain("bob", "pw2"))[0] == 235
    other.close()
    assert slow.reply() == (535, [FAIL])
    assert slow.cmd("NOOP")[0] == 250
    slow.close()


def test_unauthenticated_cannot_relay(sub):
    c = tls_session(sub)
    # A sender address that has an owner needs that owner logged in.
    assert c.cmd("MAIL FROM:<alice@example.com>")[0] == 250
    assert c.cmd("RCPT TO:<someone@remote.example>") == (553, [
        "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in"])
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<mallory@example.net>")[0] == 250
    code, lines = c.cmd("RCPT TO:<someone@remote.example>")
    assert code == 554 and "Access denied" in lines[0], lines
    code, lines = c.cmd("RCPT TO:<carol@localhost>")
    assert code == 554, lines                   # an MSA is for users only
    c.close()
    # Nor through port 25.
    c = Raw(sub.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<alice@example.com>")[0] == 250
    code, lines = c.cmd("RCPT TO:<someone@remote.example>")
    assert code == 554 and "Relay access denied" in lines[0], lines
    c.close()


def test_sender_login_mismatch(sub):
    c = tls_session(sub)
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret"))[0] == 235
    assert c.cmd("MAIL FROM:<bob@example.com>")[0] == 250
    assert c.cmd("RCPT TO:<carol@localhost>") == (553, [
        "553 5.7.1 <bob@example.com>: Sender address rejected: not owned by user alice"])
    assert c.cmd("RSET")[0] == 250
    # Not in the map at all: not hers either.
    assert c.cmd("MAIL FROM:<mallory@example.net>")[0] == 250
    assert c.cmd("RCPT TO:<carol@localhost>")[0] == 553
    assert c.cmd("RSET")[0] == 250
    for sender in ("alice@example.com", "shared@example.com", ""):
        assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
        assert c.cmd("RCPT TO:<carol@localhost>")[0] == 250, sender
        assert c.cmd("RSET")[0] == 250
    c.close()


def test_message_marked_esmtpsa(sub):
    c = tls_session(sub)
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret"))[0] == 235
    assert c.cmd("MAIL FROM:<alice@example.com> AUTH=<>")[0] == 250
    assert c.cmd("RCPT TO:<carol@localhost>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    code, lines = c.cmd("Subject: hi\r\n\r\nbody\r\n.")
    assert code == 250, lines
    c.close()
    msg = open(sub.wait_messages("carol", 1)[0]).read()
    assert re.search(r"\(Authenticated sender: alice\)\n\tby .* with ESMTPSA", msg), msg
    log = sub.log()
    assert re.search(r"client=\S+\[127\.0\.0\.1\], sasl_method=PLAIN, "
                     r"sasl_username=alice, sasl_sender=<>", log), log
    qid = re.search(r"250 2\.0\.0 Ok: queued as (\w+)", lines[0]).group(1)
    assert re.search(qid + r".*sasl_username=alice", log)


def test_smtplib_starttls_login(sub):
    with smtplib.SMTP("127.0.0.1", sub.sub_port, timeout=30) as s:
        s._host = sub.host
        s.starttls(context=sub.ctx)
        s.login("alice", "secret")
        s.sendmail("alice@example.com", ["carol@localhost"],
                   "Subject: smtplib\r\n\r\nvia 587\r\n")
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        with smtplib.SMTP("127.0.0.1", sub.sub_port, timeout=30) as s:
            s._host = sub.host
            s.starttls(context=sub.ctx)
            s.login("alice", "bad")
    assert e.value.smtp_code == 535
    sub.wait_messages("carol", 1)


def test_smtp_ssl_wrappermode(sub):
    # SMTP_SSL checks the certificate against the address it connects to;
    # the chain is still verified.
    ctx = client_context(sub)
    ctx.check_hostname = False
    with smtplib.SMTP_SSL("127.0.0.1", sub.smtps_port, timeout=30,
                          context=ctx, local_hostname="client.example") as s:
        code, text = s.ehlo()
        assert b"AUTH PLAIN LOGIN" in text and b"STARTTLS" not in text
        s.login("bob", "pw2")
        s.sendmail("bob@example.com", ["carol@localhost"],
                   "Subject: smtps\r\n\r\nvia 465\r\n")
    msg = open(sub.wait_messages("carol", 1)[0]).read()
    assert "with ESMTPSA" in msg


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks(sub, mech):
    res = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(sub.sub_port),
                          "--tls", "--auth", mech, "--auth-user", "alice",
                          "--auth-password", "secret", "--from", "alice@example.com",
                          "--to", "carol@localhost", "--helo", "client.example"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "235 2.7.0 Authentication successful" in res.stdout
    res = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(sub.smtps_port),
                          "--tlsc", "--auth", mech, "--auth-user", "alice",
                          "--auth-password", "wrong", "--from", "alice@example.com",
                          "--to", "carol@localhost", "--helo", "client.example"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert "535 5.7.8" in res.stdout, res.stdout
    sub.wait_messages("carol", 1)


@pytest.mark.skipif(shutil.which("msmtp") is None, reason="msmtp not installed")
def test_msmtp(sub, tmp_path):
    conf = tmp_path / "msmtprc"
    conf.write_text("defaults\n"
                    "account sub\n"
                    "host 127.0.0.1\n"
                    "port %d\n"
                    "tls on\n"
                    "tls_starttls on\n"
                    "tls_trust_file %s\n"
                    "tls_host_override %s\n"
                    "auth plain\n"
                    "user alice\n"
                    "password secret\n"
                    "from alice@example.com\n"
                    "domain client.example\n"
                    "account default : sub\n"
                    % (sub.sub_port, os.path.join(sub.dir, "tls", "ca-both.pem"), sub.host))
    conf.chmod(0o600)
    res = subprocess.run(["msmtp", "-C", str(conf), "carol@localhost"],
                         input="Subject: msmtp\n\nvia msmtp\n",
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    msg = open(sub.wait_messages("carol", 1)[0]).read()
    assert "via msmtp" in msg and "with ESMTPSA" in msg


def test_noplaintext_and_broken_clients(sub):
    """Master.cf -o overrides: AUTH before TLS allowed in principle, but
    noplaintext keeps PLAIN/LOGIN for TLS sessions; the old AUTH= form."""
    path = os.path.join(sub.dir, "master.cf")
    text = open(path).read()
    port = "127.0.0.1:%d" % sub.sub_port
    lines = []
    for line in text.splitlines(True):
        lines.append(line)
        if line.startswith(port):
            lines.append("  -o smtpd_tls_security_level=may -o smtpd_tls_auth_only=no\n"
                         "  -o smtpd_sasl_security_options=noanonymous,noplaintext\n"
                         "  -o smtpd_sasl_tls_security_options=noanonymous\n"
                         "  -o broken_sasl_auth_clients=yes\n")
    open(path, "w").write("".join(lines))
    sub.tegami("reload", check=True)

    # A process started before the reload may still answer once.
    def fresh():
        c = Raw(sub.sub_port)
        c.reply()
        code, lines = c.cmd("EHLO client.example")
        r = c.cmd("AUTH PLAIN " + plain("alice", "secret"))
        c.close()
        return r[0] == 538 and ehlo_auth(lines) == []
    wait_until(fresh, 20, what="submission with the new master.cf")
    c = Raw(sub.sub_port)
    c.reply()
    c.cmd("EHLO client.example")
    c.starttls(sub.ctx, sub.host)
    code, lines = c.cmd("EHLO client.example")
    assert ehlo_auth(lines) == ["AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN"], lines
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret"))[0] == 235
    c.close()


def test_auth_service_missing_or_garbage(sub):
    """Never a crash, never a false success: 454 4.7.0."""
    tempfail = (454, ["454 4.7.0 Temporary authentication failure"])
    sub.auth.close()
    os.unlink(sub.auth.path)
    c = tls_session(sub)
    assert c.cmd("AUTH PLAIN " + plain("alice", "secret")) == tempfail
    # A service that answers garbage, or a frame without a status.
    for answer in (b"\x00\x00\x00\x05junk!", ipc_encode([("user", "alice")]),
                   ipc_encode([("auth_status", "ok"), ("user", "al ice")]), b""):
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sub.auth.path)
        os.chmod(sub.auth.path, 0o666)
        srv.listen(1)
        c.send("AUTH PLAIN " + plain("alice", "secret") + "\r\n")
        conn, _ = srv.accept()
        assert ipc_recv(conn)["req"] == "auth-start"
        conn.sendall(answer)
        conn.close()
        assert c.reply() == tempfail, answer
        srv.close()
        os.unlink(sub.auth.path)
    assert c.cmd("NOOP")[0] == 250
    c.close()
    log = sub.log()
    assert "SASL PLAIN authentication aborted: auth service" in log
