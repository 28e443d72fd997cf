"""TLS in smtpd: STARTTLS (RFC 3207) and wrapper mode, with real clients.

Every instance from `tegami init` has a self-signed RSA and ECDSA
certificate and smtpd_tls_security_level = may, so STARTTLS works out of
the box.  Clients: Python's ssl module (smtplib and raw sockets) and
`openssl s_client -starttls smtp`.  Covered: protocols (TLS 1.2 and 1.3
only), RSA and ECDSA chosen by the client's signature algorithms, the
CVE-2011-0411 defence, the reset after STARTTLS, level encrypt, the
Received: header, client certificate fingerprints, session resumption, a
handshake that never finishes, wrapper mode and `tegami tls-selfsigned`.
"""
import datetime
import hashlib
import os
import re
import smtplib
import socket
import ssl
import subprocess

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import wait_until


# ---- helpers ---------------------------------------------------------------

def myhostname(inst):
    out = inst.tegami("conf", "myhostname", check=True).stdout
    return out.split("=", 1)[1].strip()


def client_context(inst):
    """A verifying client context that trusts the instance's two certs."""
    ca = os.path.join(inst.dir, "tls", "ca-both.pem")
    if not os.path.exists(ca):
        with open(ca, "w") as out:
            for name in ("cert.pem", "eccert.pem"):
                out.write(open(os.path.join(inst.dir, "tls", name)).read())
    ctx = ssl.create_default_context(cafile=ca)
    return ctx


class Raw:
    """A line-level SMTP client over a plain or TLS socket."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
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
        """One whole reply: (code, [lines])."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return int(lines[-1][:3]), lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def starttls(self, ctx, hostname, session=None, pipelined=""):
        self.send("STARTTLS\r\n" + pipelined)
        code, lines = self.reply()
        assert code == 220, lines
        assert lines == ["220 2.0.0 Ready to start TLS"]
        assert self.buf == b""
        self.sock = ctx.wrap_socket(self.sock, server_hostname=hostname,
                                    session=session)
        return self.sock

    def rest(self):
        """Everything until the server closes the connection."""
        data = self.buf
        while True:
            try:
                chunk = self.sock.recv(4096)
            except ConnectionResetError:    # closed with input unread
                chunk = b""
            if not chunk:
                return data.decode(errors="replace")
            data += chunk

    def close(self):
        self.sock.close()


def greet(inst):
    c = Raw(inst.port)
    assert c.reply()[0] == 220
    code, lines = c.cmd("EHLO client.example")
    assert code == 250
    return c, lines


def s_client(port, *args, input_text="QUIT\n", timeout=60):
    return subprocess.run(["openssl", "s_client", "-starttls", "smtp",
                           "-connect", "127.0.0.1:%d" % port] + list(args),
                          input=input_text, capture_output=True, text=True,
                          timeout=timeout)


def set_maxproc(inst, service, n):
    path = os.path.join(inst.dir, "master.cf")
    out = []
    for line in open(path).read().splitlines(True):
        f = line.split()
        if len(f) >= 8 and f[7] == service and not line[0].isspace():
            f[6] = str(n)
            line = " ".join(f) + "\n"
        out.append(line)
    open(path, "w").write("".join(out))


def send_message(inst, ctx, subject, verify_host=None):
    host = verify_host or myhostname(inst)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s._host = host                      # name checked by starttls()
        s.ehlo("client.example")
        assert s.has_extn("starttls")
        code, _ = s.starttls(context=ctx)
        assert code == 220
        s.ehlo("client.example")
        assert not s.has_extn("starttls")   # not offered twice
        s.sendmail("a@example.org", ["tlsuser@localhost"],
                   "Subject: %s\r\n\r\nbody\r\n" % subject)

    def delivered():
        for m in inst.messages("tlsuser"):
            text = open(m).read()
            if "Subject: %s\n" % subject in text:
                return text
        return None
    return wait_until(delivered, 30, what="message %s" % subject)


# ---- out of the box ----------------------------------------------------------

def test_starttls_out_of_the_box(instance):
    ctx = client_context(instance)
    text = send_message(instance, ctx, "tls-1")
    assert re.search(r"with ESMTPS\b", text), text
    # No TLS comment unless smtpd_tls_received_header = yes (Postfix).
    assert "(using TLS" not in text
    log = instance.log()
    assert re.search(r"Anonymous TLS connection established from "
                     r"\S+\[127\.0\.0\.1\]: TLSv1\.3 with cipher "
                     r"TLS_\w+ \(\d+/\d+ bits\)", log), log
    assert re.search(r"disconnect from .* starttls=1", log), log
    # The key files are for root (or the instance's user) only.
    for name in ("key.pem", "eckey.pem"):
        assert os.stat(os.path.join(instance.dir, "tls", name)).st_mode & 0o777 == 0o600


def test_received_header_comment(new_instance):
    inst = new_instance()
    inst.conf(smtpd_tls_received_header="yes")
    inst.start()
    text = send_message(inst, client_context(inst), "tls-hdr")
    assert re.search(r"Received: from client\.example \(\S+ \[127\.0\.0\.1\]\)\n"
                     r"\t\(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 "
                     r"\(256/256 bits\)\)\n"
                     r"\t\(No client certificate requested\)\n"
                     r"\tby \S+ \(tegami\) with ESMTPS", text), text


# ---- the STARTTLS command -------------------------------------------------

def test_starttls_replies(instance):
    ctx = client_context(instance)
    host = myhostname(instance)
    c, lines = greet(instance)
    assert "250-STARTTLS" in lines
    assert c.cmd("STARTTLS now") == (501, ["501 5.5.4 Syntax: STARTTLS"])
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("STARTTLS") == (503, ["503 5.5.1 Error: MAIL transaction in progress"])
    assert c.cmd("RSET")[0] == 250
    c.starttls(ctx, host)
    # RFC 3207 4.2: the session starts over, HELO forgotten.
    assert c.cmd("MAIL FROM:<a@example.org>") == (503, ["503 5.5.1 Error: send HELO/EHLO first"])
    code, lines = c.cmd("EHLO client.example")
    assert code == 250 and not any("STARTTLS" in l for l in lines), lines
    assert c.cmd("STARTTLS") == (503, ["503 5.5.1 Error: TLS already active"])
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("QUIT")[0] == 221
    c.close()


def test_cve_2011_0411_pipelined_after_starttls(instance):
    """Commands sent in the same packet as STARTTLS are never run."""
    ctx = client_context(instance)
    c, _ = greet(instance)
    c.starttls(ctx, myhostname(instance),
               pipelined="RSET\r\nHELP\r\nMAIL FROM:<evil@example.org>\r\n")
    # If any injected command ran, its reply would come before NOOP's.
    c.send("NOOP\r\nQUIT\r\n")
    assert c.rest() == "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"
    c.close()
    wait_until(lambda: "sent after STARTTLS discarded" in instance.log(),
               10, what="the discard log line")


def test_no_tls_levels(new_instance):
    # Level none: not offered, and 502.
    inst = new_instance()
    inst.conf(smtpd_tls_security_level="none")
    inst.start()
    c, lines = greet(inst)
    assert not any("STARTTLS" in l for l in lines)
    assert c.cmd("STARTTLS") == (502, ["502 5.5.1 Error: command not implemented"])
    c.close()
    inst.stop()
    # A certificate that cannot be read: offered (Postfix), but 454.
    inst.conf(smtpd_tls_security_level="may",
              smtpd_tls_cert_file=os.path.join(inst.dir, "tls", "missing.pem"))
    inst.start()
    c, lines = greet(inst)
    assert "250-STARTTLS" in lines
    assert c.cmd("STARTTLS") == (454, ["454 4.7.0 TLS not available due to local problem"])
    assert c.cmd("QUIT")[0] == 221
    assert "TLS is not available" in inst.log()


def test_encrypt_level(new_instance):
    inst = new_instance()
    inst.conf(smtpd_tls_security_level="encrypt")
    inst.start()
    c, _ = greet(inst)
    assert c.cmd("MAIL FROM:<a@example.org>") == (530, ["530 5.7.0 Must issue a STARTTLS command first"])
    c.starttls(client_context(inst), myhostname(inst))
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<tlsuser@localhost>")[0] == 250
    assert c.cmd("QUIT")[0] == 221


# ---- protocols, ciphers, certificates ----------------------------------------

def test_openssl_protocols(instance):
    for flag, want in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        res = s_client(instance.port, flag, "-brief")
        assert "Protocol version: %s" % want in res.stderr, res.stderr
    # TLS 1.1 and 1.0 are refused by the server (the client is allowed
    # them with security level 0).
    for flag in ("-tls1_1", "-tls1"):
        res = s_client(instance.port, flag, "-cipher", "DEFAULT@SECLEVEL=0", "-brief")
        assert res.returncode != 0
        assert "CONNECTION ESTABLISHED" not in res.stderr, res.stderr
    wait_until(lambda: re.search(r"SSL_accept error from \S+\[127\.0\.0\.1\]: ",
                                 instance.log()), 10, what="SSL_accept error")
    assert re.search(r"SSL_accept error .*(unsupported protocol|version)",
                     instance.log()), instance.log()


def test_protocols_parameter(new_instance):
    inst = new_instance()
    inst.conf(smtpd_tls_protocols="!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3")
    inst.start()
    res = s_client(inst.port, "-brief")
    assert "Protocol version: TLSv1.2" in res.stderr, res.stderr
    res = s_client(inst.port, "-tls1_3", "-brief")
    assert "CONNECTION ESTABLISHED" not in res.stderr, res.stderr


def test_weak_ciphers_refused(instance):
    for cipher in ("RC4", "3DES", "aNULL", "eNULL", "EXPORT", "DES-CBC3-SHA"):
        res = s_client(instance.port, "-tls1_2", "-cipher", cipher + "@SECLEVEL=0",
                       "-brief")
        assert "CONNECTION ESTABLISHED" not in res.stderr, (cipher, res.stderr)
    # The server's preference wins: a client that prefers CBC still gets
    # an AEAD cipher.
    res = s_client(instance.port, "-tls1_2", "-cipher",
                   "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384", "-brief")
    assert "Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384" in res.stderr, res.stderr


@pytest.mark.parametrize("sigalgs,bits", [
    ("ECDSA+SHA256", "256"),
    ("RSA-PSS+SHA256:RSA+SHA256", "2048"),
])
@pytest.mark.parametrize("proto", ["-tls1_2", "-tls1_3"])
def test_rsa_and_ecdsa_chains(instance, sigalgs, bits, proto):
    res = s_client(instance.port, proto, "-sigalgs", sigalgs)
    assert "Server public key is %s bit" % bits in res.stdout, res.stdout + res.stderr


def make_client_cert(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client.example")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    cpath = os.path.join(directory, "client-cert.pem")
    kpath = os.path.join(directory, "client-key.pem")
    with open(cpath, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kpath, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    der = cert.public_bytes(serialization.Encoding.DER)
    fp = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
    return cpath, kpath, fp


def test_client_certificate_fingerprint(new_instance):
    inst = new_instance()
    inst.conf(smtpd_tls_ask_ccert="yes", smtpd_tls_received_header="yes")
    inst.start()
    cpath, kpath, fp = make_client_cert(inst.dir)
    ctx = client_context(inst)
    ctx.load_cert_chain(cpath, kpath)
    text = send_message(inst, ctx, "tls-ccert")
    assert '(Client CN "client.example", Issuer "client.example" (not verified))' in text, text
    log = inst.log()
    assert re.search(r"Untrusted TLS connection established from \S+\[127\.0\.0\.1\]",
                     log), log
    assert ("client certificate: subject_CN=client.example, "
            "issuer_CN=client.example, fingerprint=%s" % fp) in log, log
    # Asked, but a client without a certificate is still served.
    text = send_message(inst, client_context(inst), "tls-noccert")
    assert "(Client did not present a certificate)" in text, text


def test_permit_tls_clientcerts(new_instance):
    """A client whose certificate fingerprint is in relay_clientcerts may
    relay; the same client without its certificate may not."""
    inst = new_instance()
    cpath, kpath, fp = make_client_cert(inst.dir)
    table = os.path.join(inst.dir, "relay_clientcerts")
    with open(table, "w") as f:
        f.write("%s client.example\n" % fp)
    inst.conf(mynetworks="192.0.2.0/24", smtpd_tls_ask_ccert="yes",
              relay_clientcerts="texthash:" + table,
              smtpd_relay_restrictions="permit_mynetworks, "
              "permit_tls_clientcerts, reject_unauth_destination")
    inst.start()

    def relay(ctx):
        ctx.check_hostname = False      # the client's certificate is tested
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
            s.starttls(context=ctx)
            s.ehlo("client.example")
            s.mail("a@client.example")
            return s.rcpt("far@elsewhere.example")

    ctx = client_context(inst)
    ctx.load_cert_chain(cpath, kpath)
    assert relay(ctx)[0] == 250
    assert relay(client_context(inst)) == (
        554, b"5.7.1 <far@elsewhere.example>: Relay access denied")


# ---- resumption ------------------------------------------------------------

@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_session_resumption(new_instance, version):
    inst = new_instance()
    # Sessions live in each smtpd process: one process makes the test
    # deterministic.
    set_maxproc(inst, "smtpd", 1)
    inst.start()
    ctx = client_context(inst)
    ctx.maximum_version = version
    host = myhostname(inst)
    session = None
    for attempt in range(2):
        c, _ = greet(inst)
        tls = c.starttls(ctx, host, session=session)
        # TLS 1.3 tickets come after the handshake: read a reply first.
        assert c.cmd("EHLO client.example")[0] == 250
        if attempt == 0:
            assert not tls.session_reused
            session = tls.session
            assert session is not None
        else:
            assert tls.session_reused
        assert c.cmd("QUIT")[0] == 221
        c.close()


# ---- hostile handshakes ----------------------------------------------------------

def test_handshake_never_finishes(new_instance):
    inst = new_instance()
    inst.conf(smtpd_starttls_timeout="2s")
    set_maxproc(inst, "smtpd", 1)           # the same process serves all
    inst.start()
    silent, _ = greet(inst)
    silent.send("STARTTLS\r\n")
    assert silent.reply() == (220, ["220 2.0.0 Ready to start TLS"])
    garbage, _ = greet(inst)
    garbage.send("STARTTLS\r\n")
    assert garbage.reply()[0] == 220
    garbage.send("GET / HTTP/1.0\r\n\r\n")
    # Meanwhile other sessions are served, in plain text and TLS.
    other, _ = greet(inst)
    assert other.cmd("NOOP")[0] == 250
    other.starttls(client_context(inst), myhostname(inst))
    assert other.cmd("EHLO client.example")[0] == 250
    assert other.cmd("QUIT")[0] == 221
    other.close()
    # The garbage ends its handshake at once, the silent one at the
    # deadline; both connections are closed by the server.
    assert not garbage.rest().startswith("2")   # at most a TLS alert
    assert silent.rest() == ""
    log = inst.log()
    assert re.search(r"SSL_accept error from \S+\[127\.0\.0\.1\]: timeout", log), log
    assert re.search(r"SSL_accept error from \S+\[127\.0\.0\.1\]: "
                     r"(?!timeout).*(http|wrong version|packet)", log, re.I), log


# ---- wrapper mode, tls-selfsigned ----------------------------------------------

def test_wrappermode(new_instance):
    inst = new_instance()
    inst.conf(smtpd_tls_wrappermode="yes")
    inst.start()
    ctx = client_context(inst)
    ctx.check_hostname = False              # the chain is still verified
    with smtplib.SMTP_SSL("127.0.0.1", inst.port, context=ctx, timeout=30) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        assert not s.has_extn("starttls")
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
        s.sendmail("a@example.org", ["tlsuser@localhost"],
                   "Subject: tls-wrap\r\n\r\nbody\r\n")
    text = open(inst.wait_messages("tlsuser", 1)[0]).read()
    assert "with ESMTPS" in text, text
    assert "Anonymous TLS connection established" in inst.log()
    # A plain-text client gets no greeting, only a closed connection.
    c = Raw(inst.port)
    c.send("EHLO client.example\r\n")
    assert not c.rest().startswith("220")


def test_tls_selfsigned_command(new_instance):
    inst = new_instance()
    main_cf = os.path.join(inst.dir, "main.cf")
    kept = [l for l in open(main_cf).read().splitlines(True)
            if not l.startswith("smtpd_tls_")]
    open(main_cf, "w").write("".join(kept))
    for name in os.listdir(os.path.join(inst.dir, "tls")):
        os.unlink(os.path.join(inst.dir, "tls", name))
    res = inst.tegami("tls-selfsigned", check=True)
    assert "created" in res.stderr
    conf = inst.tegami("conf", "smtpd_tls_cert_file", "smtpd_tls_security_level",
                       check=True).stdout
    assert "smtpd_tls_cert_file = %s/tls/cert.pem" % inst.dir in conf, conf
    assert "smtpd_tls_security_level = may" in conf, conf
    # A second run changes nothing.
    res = inst.tegami("tls-selfsigned", check=True)
    assert "not making" in res.stderr
    inst.start()
    send_message(inst, client_context(inst), "tls-selfsigned")


def test_wrappermode_behind_proxy(new_instance):
    """The PROXY header and the ClientHello in one packet: the TLS bytes
    read together with the header still reach the handshake."""
    inst = new_instance()
    inst.conf(smtpd_tls_wrappermode="yes", smtpd_upstream_proxy_protocol="haproxy",
              smtpd_tls_loglevel="2")
    inst.start()
    ctx = client_context(inst)
    ctx.check_hostname = False
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out)
    sock = socket.create_connection(("127.0.0.1", inst.port), timeout=30)

    def pump(step):
        """Run step until it stops wanting input; bounded."""
        for _ in range(100):
            try:
                return step()
            except ssl.SSLWantReadError:
                pending = out.read()
                if pending:
                    sock.sendall(pending)
                data = sock.recv(65536)
                assert data, "server closed the connection"
                inc.write(data)
        raise AssertionError("no progress")

    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    sock.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 4321 25\r\n" + out.read())
    pump(tls.do_handshake)
    sock.sendall(out.read())
    reply = b""
    while not reply.endswith(b"\r\n"):
        reply += pump(lambda: tls.read(4096))
    assert reply.startswith(b"220 "), reply
    tls.write(b"QUIT\r\n")
    sock.sendall(out.read())
    reply = b""
    while not reply.endswith(b"\r\n"):
        reply += pump(lambda: tls.read(4096))
    assert reply.startswith(b"221 "), reply
    sock.close()
    wait_until(lambda: "TLS connection established from unknown[192.0.2.7]"
               in inst.log(), 10, what="TLS log line for the proxied client")
    assert re.search(r"unknown\[192\.0\.2\.7\]: \d+ byte\(s\) of TLS came with "
                     r"the PROXY header", inst.log()), inst.log()


def test_timeout_and_error_sleep_in_tls(new_instance):
    inst = new_instance()
    inst.conf(smtpd_timeout="3s", smtpd_soft_error_limit="1",
              smtpd_error_sleep_time="1s")
    inst.start()
    c, _ = greet(inst)
    c.starttls(client_context(inst), myhostname(inst))
    # Past the soft limit each error reply waits: the session's output is
    # paused and resumed on the TLS connection too.
    for _ in range(3):
        assert c.cmd("BOGUS")[0] == 502
    assert c.cmd("EHLO client.example")[0] == 250
    # Then silence: 421 over TLS, and the connection closes.
    assert c.reply() == (421, ["421 4.4.2 %s Error: timeout exceeded" % myhostname(inst)])
    assert c.rest() == ""
    assert re.search(r"timeout after EHLO from \S+\[127\.0\.0\.1\]", inst.log())
