"""smtp-client TLS: the levels of smtp_tls_security_level and
smtp_tls_policy_maps against the scripted server with real certificates
(a test CA made at test time, peer_common.TestCA), and against Debian's
Postfix with STARTTLS.

The bad cases: a server that says 220 to STARTTLS and then sends garbage
(may falls back to plaintext on a new connection, encrypt defers), one
that forges a reply right after its 220 (discarded: CVE-2021-38371's
client side), a certificate from an unknown CA or for another name
(verify and secure defer), a server without STARTTLS (encrypt defers).
"""
import os
import re

import pytest

from conftest import log_line
from dnsserver import DnsServer
from peer_common import TestCA
from scripted_smtp import Script

MYHOST = "client.test"
MSG = "From: vera@localhost\nSubject: tls\n\nover TLS\n"
MX = "mx.tls.example"



@pytest.fixture
def pki(tmp_path):
    for d in ("ca", "other"):
        (tmp_path / d).mkdir()
    ca = TestCA(str(tmp_path / "ca"), "tegami client test CA")
    other = TestCA(str(tmp_path / "other"), "an unknown CA")
    return {
        "ca": ca.cert_file,
        "good": ca.issue("good", [MX]),
        "wrongname": ca.issue("wrong", ["other.example"], ips=()),
        "untrusted": other.issue("untrusted", [MX]),
    }


def start(inst, dns, routes, policy=None, **settings):
    """routes: {domain: (level-or-None, server)}; next hop [MX]:port."""
    tmap = os.path.join(inst.dir, "transport")
    with open(tmap, "w") as f:
        for d, srv in routes.items():
            f.write("%s smtp:[%s]:%d\n" % (d, MX, srv.port))
    if policy:
        pmap = os.path.join(inst.dir, "tls_policy")
        with open(pmap, "w") as f:
            for d, text in policy.items():
                f.write("[%s]:%d %s\n" % (MX, routes[d].port, text))
        settings["smtp_tls_policy_maps"] = "texthash:" + pmap
    inst.conf(myhostname=MYHOST, transport_maps="texthash:" + tmap,
              smtp_host_lookup="dns", dns_nameservers=dns.address,
              smtp_tls_loglevel="1", **settings)
    inst.start()


@pytest.fixture
def dns():
    with DnsServer(["%s. A 127.0.0.1" % MX]) as d:
        yield d


def test_may_encrypt_and_fallback(new_instance, pki, dns):
    inst = new_instance()
    good = Script("ok", name=MX, tls=pki["good"])
    broken = Script("tlsfail", name=MX, tls=pki["good"])
    broken2 = Script("tlsfail", name=MX, tls=pki["good"])
    plain = Script("ok", name=MX)
    inject = Script("tlsinject", name=MX, tls=pki["good"])
    servers = [good, broken, broken2, plain, inject]
    try:
        routes = {"good.example": good, "broken.example": broken,
                  "broken2.example": broken2, "plain.example": plain,
                  "inject.example": inject}
        start(inst, dns, routes, smtp_tls_security_level="may",
              policy={"broken2.example": "encrypt", "plain.example": "encrypt",
                      "inject.example": "encrypt"})
        for d in routes:
            inst.sendmail(["-f", "vera@localhost", "a@" + d], MSG)
        # may + working TLS: sent over TLS, with SNI, and logged (also in
        # the delivery's own log line).
        line = log_line(inst, "a@good.example", "sent")
        assert re.search(r"relay=\S+, tls=\w+ TLS TLSv1\.[23] with cipher \S+ "
                         r"\(\d+/\d+ bits\), delay=", line), line
        assert good.messages[0]["tls"] is True
        assert MX in good.sni
        assert re.search(r"(Untrusted|Trusted|Verified) TLS connection established "
                         r"to %s\[127\.0\.0\.1\]:%d: TLSv1\.[23] with cipher"
                         % (re.escape(MX), good.port), inst.log())
        # may + broken handshake: again without TLS, and sent.
        log_line(inst, "a@broken.example", "sent")
        assert broken.messages[0]["tls"] is False
        assert broken.connections == 2
        assert "trying again without TLS" in inst.log()
        # encrypt + broken handshake: deferred, never sent in plaintext.
        line = log_line(inst, "a@broken2.example", "deferred")
        assert "Cannot start TLS: handshake failure" in line, line
        assert broken2.messages == []
        # encrypt + no STARTTLS offered: deferred.
        line = log_line(inst, "a@plain.example", "deferred")
        assert "TLS is required, but was not offered" in line, line
        assert plain.messages == [] and not any(
            c.upper().startswith("MAIL") for c in plain.commands)
        # A reply forged before the handshake is thrown away.
        log_line(inst, "a@inject.example", "sent")
        assert inject.messages[0]["tls"] is True
    finally:
        for s in servers:
            s.close()


def test_verify_and_secure(new_instance, pki, dns):
    inst = new_instance()
    good = Script("ok", name=MX, tls=pki["good"])
    good2 = Script("ok", name=MX, tls=pki["good"])
    wrong = Script("ok", name=MX, tls=pki["wrongname"])
    untrusted = Script("ok", name=MX, tls=pki["untrusted"])
    secure_bad = Script("ok", name=MX, tls=pki["good"])
    servers = [good, good2, wrong, untrusted, secure_bad]
    try:
        routes = {"good.example": good, "good2.example": good2,
                  "wrong.example": wrong, "untrusted.example": untrusted,
                  "securebad.example": secure_bad}
        start(inst, dns, routes, smtp_tls_security_level="verify",
              smtp_tls_CAfile=pki["ca"],
              policy={"good2.example": "secure match=%s" % MX,
                      "securebad.example": "secure match=nothere.example"})
        for d in routes:
            inst.sendmail(["-f", "vera@localhost", "a@" + d], MSG)
        log_line(inst, "a@good.example", "sent")
        log_line(inst, "a@good2.example", "sent")
        assert re.search(r"Verified TLS connection established to %s\[127\.0\.0\.1\]:%d"
                         % (re.escape(MX), good.port), inst.log())
        line = log_line(inst, "a@wrong.example", "deferred")
        assert "name mismatch" in line, line
        line = log_line(inst, "a@untrusted.example", "deferred")
        assert "not trusted" in line, line
        line = log_line(inst, "a@securebad.example", "deferred")
        assert "name mismatch" in line, line
        for s in (wrong, untrusted, secure_bad):
            assert s.messages == [] and s.tls_sessions >= 1
    finally:
        for s in servers:
            s.close()


def test_starttls_to_postfix(new_instance):
    """Debian's Postfix with STARTTLS: tegami at level encrypt; Postfix's
    log shows the TLS session from us."""
    from postfix_peer import PostfixPeer
    inst = new_instance()
    with PostfixPeer(tls=True, mydestination="remote.example",
                     local_recipient_maps="", local_transport="discard:",
                     smtpd_tls_loglevel="1") as pfx:
        inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % pfx.port,
                  smtp_tls_security_level="encrypt", smtp_tls_loglevel="1")
        inst.start()
        inst.sendmail(["-f", "vera@localhost", "u@remote.example"], MSG)
        line = log_line(inst, "u@remote.example", "sent")
        m = re.search(r"queued as (\w+)\)", line)
        assert m, line
        pfx.wait_log("%s: to=<u@remote.example>" % m.group(1))
        assert re.search(r"TLS connection established from \S+: TLSv1\.[23]", pfx.log())
        assert re.search(r"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d"
                         % pfx.port, inst.log())
