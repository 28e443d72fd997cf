"""The peers that the outbound-delivery tests use, checked with standard
clients: the DNSSEC-signed zones (dnssec.py) through a validating libunbound
(unbound-host) and dig, the Postfix smarthost that requires AUTH
(postfix_peer.py with Dovecot SASL) through smtplib and swaks, and Dovecot's
LMTP (dovecot_peer.py) through smtplib.LMTP.  No tegami daemon is involved:
these tests show that the fixtures behave as the tegami tests assume.
"""
import base64
import hashlib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from dnssec import DnssecDns, dane_records, tlsa_rdata
from dovecot_peer import DovecotPeer
from peer_common import TestCA
from postfix_peer import PostfixPeer

MSG = ("From: alice@sender.example\r\nTo: bob@remote.example\r\n"
       "Subject: fixture check\r\n\r\nfirst line\r\n.starts with a dot\r\n")


# -- DNSSEC ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def certdir():
    d = tempfile.mkdtemp(prefix="tegami-certs-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def mx_cert(certdir):
    return TestCA(certdir).issue("mx", ["mx.dane.example"])


@pytest.fixture(scope="module")
def zones(mx_cert):
    signed = dane_records("dane.example.", cert_file=mx_cert[0], port=25)
    signed.append("notlsa.dane.example. A 127.0.0.1")
    bogus = ["bad.dane.example. A 127.0.0.1",
             "_25._tcp.badmx.dane.example. TLSA 3 1 1 " + "ab" * 32]
    plain = ["plain.example. MX 10 mx.plain.example.",
             "mx.plain.example. A 127.0.0.1"]
    with DnssecDns(signed={"dane.example.": signed},
                   unsigned={"plain.example.": plain},
                   bogus={"dane.example.": bogus}) as dns:
        yield dns


def test_tlsa_matches_openssl(mx_cert):
    """The TLSA data is SHA-256 of the certificate's SPKI (3 1 1), as
    openssl computes it independently."""
    pub = subprocess.run(["openssl", "x509", "-in", mx_cert[0], "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True).stdout
    assert tlsa_rdata(mx_cert[0]) == "3 1 1 " + hashlib.sha256(der).hexdigest()
    full = subprocess.run(["openssl", "x509", "-in", mx_cert[0], "-outform", "DER"],
                          capture_output=True, check=True).stdout
    assert tlsa_rdata(mx_cert[0], 2, 0, 0) == "2 0 0 " + full.hex()


def test_signed_zone_validates_secure(zones, mx_cert):
    verdict, out = zones.validate("_25._tcp.mx.dane.example.", "TLSA")
    assert verdict == "secure", out
    assert tlsa_rdata(mx_cert[0]).split()[3].upper() in out.replace(" ", "")
    for name, qtype in (("dane.example.", "MX"), ("mx.dane.example.", "A")):
        verdict, out = zones.validate(name, qtype)
        assert verdict == "secure", out
    # Denials are signed too (NSEC): no TLSA, no such name.
    verdict, out = zones.validate("_25._tcp.notlsa.dane.example.", "TLSA")
    assert verdict == "secure" and "not found: 3(NXDOMAIN)" in out, out
    verdict, out = zones.validate("notlsa.dane.example.", "TXT")
    assert verdict == "secure" and "has no TXT record" in out, out


def test_bogus_records(zones):
    for name, qtype in (("bad.dane.example.", "A"),
                        ("_25._tcp.badmx.dane.example.", "TLSA")):
        verdict, out = zones.validate(name, qtype)
        assert verdict == "bogus", out
        assert "signature verification failed" in out, out
    # The rest of the zone is unaffected.
    assert zones.validate("mx.dane.example.", "A")[0] == "secure"


def test_unsigned_zone_and_outside(zones):
    verdict, out = zones.validate("plain.example.", "MX")
    assert verdict == "insecure" and "mx.plain.example" in out, out
    # Without the trust anchor the signed zone is merely insecure.
    verdict, out = zones.validate("dane.example.", "MX", trust_anchor=False)
    assert verdict == "insecure", out
    # Outside every zone: REFUSED, SERVFAIL to a forwarding resolver.
    verdict, out = zones.validate("www.debian.org.", "A")
    assert verdict == "error" and "SERVFAIL" in out, out


def test_served_with_rrsigs_and_trust_anchor_file(zones):
    host, port = zones.address.split("@")
    out = subprocess.run(["dig", "+dnssec", "+norec", "-p", port, "@" + host,
                          "_25._tcp.mx.dane.example.", "TLSA"],
                         capture_output=True, text=True, timeout=30).stdout
    assert re.search(r"flags: qr aa", out), out
    assert re.search(r"IN\s+RRSIG\s+TLSA 13 ", out), out
    with open(zones.trust_anchor) as f:
        ta = f.read()
    assert re.fullmatch(r"dane\.example\.\s+IN\s+DS\s+\d+ 13 2 [0-9a-f]{64}\n", ta), ta
    assert os.stat(zones.trust_anchor).st_mode & 0o004
    # The hand-made client of dnsserver.py works here too.
    assert zones.query("mx.dane.example.", "A") == (0, [(1, "127.0.0.1")])


def test_dnssec_stop_cleans_up(mx_cert):
    dns = DnssecDns(signed={"s.example.": ["s.example. A 127.0.0.1"]}).start()
    proc, d = dns.proc, dns.dir
    assert dns.validate("s.example.", "A")[0] == "secure"
    dns.stop()
    assert proc.poll() is not None and not os.path.exists(d)


# -- Postfix smarthost with Dovecot SASL ------------------------------------------------
USERS = {"alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture(scope="module")
def smarthost():
    with PostfixPeer(submission=True, smtps=True, sasl_users=USERS,
                     sasl_mechanisms="plain login cram-md5 scram-sha-256",
                     mailboxes=True) as pfx:
        yield pfx


def tls_context(pfx):
    ctx = ssl.create_default_context(cafile=pfx.ca_file)
    return ctx


def submit(pfx, mechanism, user="alice", password="alice-pw",
           rcpt="bob@remote.example"):
    with smtplib.SMTP("127.0.0.1", pfx.submission_port, timeout=30) as s:
        s.starttls(context=tls_context(pfx))
        s.ehlo("client.example")
        s.user, s.password = user, password
        auth = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login,
                "CRAM-MD5": s.auth_cram_md5}[mechanism]
        s.auth(mechanism, auth)
        s.sendmail("alice@sender.example", [rcpt], MSG)


def test_submission_auth_mechanisms_deliver(smarthost):
    for mech, rcpt in (("PLAIN", "p@remote.example"), ("LOGIN", "l@remote.example"),
                       ("CRAM-MD5", "c@remote.example")):
        submit(smarthost, mech, rcpt=rcpt)
        path = smarthost.wait_messages(rcpt, 1)[0]
        with open(path, "rb") as f:
            text = f.read()
        assert b"\n..starts" not in text and b"\n.starts with a dot" in text
        assert b"Authenticated sender: alice" in text
    log = smarthost.log()
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        assert re.search(r"postfix/submission/smtpd\[\d+\]: \w+: client=localhost"
                         r"\[127\.0\.0\.1\], sasl_method=%s, sasl_username=alice"
                         % mech, log), log[-3000:]


def test_mechanisms_offered_only_after_starttls(smarthost):
    with smtplib.SMTP("127.0.0.1", smarthost.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls") and not s.has_extn("auth")
        code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(
            b"\0alice\0alice-pw").decode())
        assert code == 530 and b"STARTTLS" in text, (code, text)
        code, text = s.docmd("MAIL", "FROM:<alice@sender.example>")
        assert code == 530 and b"STARTTLS" in text, (code, text)
        s.starttls(context=tls_context(smarthost))
        s.ehlo("client.example")
        mechs = s.esmtp_features["auth"].upper().split()
        assert mechs == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"], mechs


def test_wrong_password_and_no_auth_refused(smarthost):
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        submit(smarthost, "PLAIN", password="wrong")
    assert e.value.smtp_code == 535
    with pytest.raises(smtplib.SMTPAuthenticationError):
        submit(smarthost, "LOGIN", user="mallory", password="x")
    # TLS but no AUTH: no mail at all, relay or not.
    with smtplib.SMTP("127.0.0.1", smarthost.submission_port, timeout=30) as s:
        s.starttls(context=tls_context(smarthost))
        s.ehlo("client.example")
        s.mail("alice@sender.example")
        code, text = s.rcpt("bob@remote.example")
        assert code == 554 and b"Client host rejected: Access denied" in text, text
    assert "sasl_method=PLAIN, sasl_username=alice" in smarthost.log()
    assert re.search(r"warning: localhost\[127\.0\.0\.1\]: SASL PLAIN "
                     r"authentication failed", smarthost.log())


def test_smtps_wrapper_mode_with_swaks(smarthost):
    res = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(smarthost.smtps_port),
         "--tlsc", "--tls-verify", "--tls-ca-path", smarthost.ca_file,
         "--auth", "LOGIN", "--auth-user", "bob", "--auth-password", "bob-pw",
         "--from", "bob@sender.example", "--to", "w@wrapped.example",
         "--helo", "client.example"],
        capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "235 2.7.0 Authentication successful" in res.stdout
    assert smarthost.wait_messages("w@wrapped.example", 1)
    assert re.search(r"postfix/smtps/smtpd\[\d+\]: \w+: client=localhost\[127\.0\.0\.1\], "
                     r"sasl_method=LOGIN, sasl_username=bob", smarthost.log())
    # A plain-text client gets no SMTP greeting there: TLS comes first,
    # and plain text is a broken TLS handshake (an alert, then close).
    with socket.create_connection(("127.0.0.1", smarthost.smtps_port), 30) as c:
        c.sendall(b"EHLO client.example\r\n")
        got = b""
        try:
            for _ in range(100):
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
    assert b"220" not in got and b"ESMTP" not in got, got
    # With implicit TLS the certificate verifies against pfx.ca_file.
    with smtplib.SMTP_SSL("127.0.0.1", smarthost.smtps_port, timeout=30,
                          context=tls_context(smarthost)) as s:
        s.ehlo("client.example")
        assert "PLAIN" in s.esmtp_features["auth"].upper()


def test_port_25_listener_unchanged(smarthost):
    with smtplib.SMTP("127.0.0.1", smarthost.port, timeout=30) as s:
        s.ehlo("client.example")
        assert not s.has_extn("auth") and not s.has_extn("starttls")


def test_listed_mailboxes_and_cleanup():
    pfx = PostfixPeer(mailboxes=["known@dest.example"], tls=True).start()
    d = pfx.dir
    try:
        with smtplib.SMTP("127.0.0.1", pfx.port, timeout=30) as s:
            s.starttls(context=ssl.create_default_context(cafile=pfx.ca_file))
            s.ehlo("client.example")
            s.mail("a@sender.example")
            assert s.rcpt("known@dest.example")[0] == 250
            assert s.rcpt("unknown@dest.example")[0] == 550
            code, _ = s.data(MSG)
            assert code == 250
        path = pfx.wait_messages("known@dest.example", 1)[0]
        assert path.startswith(os.path.join(pfx.mail, "dest.example", "known", "new"))
        with open(os.path.join(pfx.spool, "pid", "master.pid")) as f:
            master = int(f.read().split()[0])
    finally:
        pfx.stop()
    assert not os.path.exists(d)
    assert not running(master)


def running(pid):
    """pid is a live process (not gone, not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# -- Dovecot LMTP --------------------------------------------------------------------
@pytest.fixture(scope="module")
def lmtp():
    with DovecotPeer(users=USERS, over_quota=["carol"]) as dov:
        yield dov


def test_lmtp_per_recipient_replies(lmtp):
    rcpt, data = lmtp.lmtp_deliver("s@sender.example",
                                   ["alice@lmtp.example", "ghost@lmtp.example",
                                    "bob@lmtp.example"], MSG)
    assert rcpt["alice@lmtp.example"][0] == 250
    assert rcpt["bob@lmtp.example"][0] == 250
    assert rcpt["ghost@lmtp.example"][0] == 550
    assert "5.1.1" in rcpt["ghost@lmtp.example"][1]
    # One reply per accepted recipient after DATA (RFC 2033), in order.
    assert list(data) == ["alice@lmtp.example", "bob@lmtp.example"]
    assert all(code == 250 and "Saved" in text for code, text in data.values())
    for user in ("alice", "bob"):
        path = lmtp.wait_messages(user, 1)[-1]
        with open(path, "rb") as f:
            text = f.read()
        assert b"Return-Path: <s@sender.example>" in text
        assert b"\n.starts with a dot" in text and b"\n..starts" not in text
    assert lmtp.messages("ghost") == []


def test_lmtp_tcp_and_failure_after_data(lmtp):
    before = len(lmtp.messages("alice"))
    rcpt, data = lmtp.lmtp_deliver("s@sender.example",
                                   ["carol@lmtp.example", "alice@lmtp.example"],
                                   MSG, tcp=True)
    assert rcpt == {"carol@lmtp.example": (250, "2.1.5 OK"),
                    "alice@lmtp.example": (250, "2.1.5 OK")}
    code, text = data["carol@lmtp.example"]
    assert code == 552 and text.startswith("5.2.2 <carol@lmtp.example> Quota"), text
    assert data["alice@lmtp.example"][0] == 250
    assert len(lmtp.wait_messages("alice", before + 1)) == before + 1
    assert lmtp.messages("carol") == []
    assert "lmtp(carol)" in lmtp.log() and "Quota exceeded" in lmtp.log()
    assert lmtp.lmtp_address == "127.0.0.1:%d" % lmtp.lmtp_port


def test_dovecot_stop_cleans_up():
    dov = DovecotPeer(lmtp=False).start()
    proc, d = dov.proc, dov.dir
    assert os.path.exists(dov.auth_socket) and dov.lmtp_socket is None
    children = [int(p) for p in os.listdir("/proc") if p.isdigit()
                and _ppid(int(p)) == proc.pid]
    assert children, "dovecot has no child processes?"
    dov.stop()
    assert proc.poll() is not None and not os.path.exists(d)
    # Dovecot's own children exit with it.
    for _ in range(100):
        if not any(running(c) for c in children):
            break
        time.sleep(0.1)
    assert not any(running(c) for c in children)


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().split(")")[-1].split()[1])
    except (OSError, ValueError):
        return None
