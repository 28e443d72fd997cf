"""smtp-client: the ESMTP session features and the DNS corner cases.

The receiving end is the scripted server (scripted_smtp.py), which records
every command and message, so each test can check what went over the wire:
DSN parameters passed on, SMTPUTF8 refused to a server without it, BDAT
framing with CHUNKING, one connection reused for two messages.  DNS answers
come from unbound (dnsserver.py): CNAMEs, a CNAME loop, an MX naming an
address, an MX naming localhost (our own smtpd: a mail loop), AAAA only.
"""
import os
import re
import smtplib

from conftest import log_line, wait_until
from dnsserver import DnsServer
from scripted_smtp import Script

MYHOST = "client.test"
MSG = "From: vera@localhost\nSubject: session\n\nline one\n.leading dot\n"



def transport(inst, routes, **settings):
    """transport_maps from {domain: nexthop}; starts the instance."""
    tmap = os.path.join(inst.dir, "transport")
    with open(tmap, "w") as f:
        for d, hop in routes.items():
            f.write("%s smtp:%s\n" % (d, hop))
    inst.conf(myhostname=MYHOST, transport_maps="texthash:" + tmap, **settings)
    inst.start()


def test_dsn_parameters_passed_on(new_instance):
    inst = new_instance()
    srv = Script("ok", ext=["PIPELINING", "DSN", "8BITMIME"])
    try:
        transport(inst, {"dsn.example": "[127.0.0.1]:%d" % srv.port})
        with smtplib.SMTP("127.0.0.1", inst.port) as c:
            c.ehlo("sender.test")
            c.sendmail("vera@localhost", ["a@dsn.example"], MSG,
                       mail_options=["RET=HDRS", "ENVID=env+2Bid"],
                       rcpt_options=["NOTIFY=SUCCESS,FAILURE",
                                     "ORCPT=rfc822;orig+2Ba@dsn.example"])
        log_line(inst, "a@dsn.example", "sent")
        mail = [c for c in srv.commands if c.upper().startswith("MAIL FROM")][0]
        rcpt = [c for c in srv.commands if c.upper().startswith("RCPT TO")][0]
        assert "RET=HDRS" in mail and "ENVID=env+2Bid" in mail, mail
        assert "NOTIFY=SUCCESS,FAILURE" in rcpt, rcpt
        assert "ORCPT=rfc822;orig+2Ba@dsn.example" in rcpt, rcpt
    finally:
        srv.close()


def test_dsn_parameters_not_sent_without_dsn(new_instance):
    inst = new_instance()
    srv = Script("ok", ext=["PIPELINING"])
    try:
        transport(inst, {"nodsn.example": "[127.0.0.1]:%d" % srv.port})
        with smtplib.SMTP("127.0.0.1", inst.port) as c:
            c.sendmail("vera@localhost", ["a@nodsn.example"], MSG,
                       mail_options=["RET=FULL"], rcpt_options=["NOTIFY=NEVER"])
        log_line(inst, "a@nodsn.example", "sent")
        assert not any("NOTIFY=" in c or "RET=" in c for c in srv.commands)
    finally:
        srv.close()


def test_smtputf8_needs_server_support(new_instance):
    """A UTF-8 envelope goes with SMTPUTF8 to a server that offers it, and
    is bounced 5.6.7 (not mangled) for a server that does not."""
    inst = new_instance()
    yes = Script("ok", ext=["PIPELINING", "8BITMIME", "SMTPUTF8"])
    no = Script("ok", ext=["PIPELINING", "8BITMIME"])
    try:
        transport(inst, {"utf8.example": "[127.0.0.1]:%d" % yes.port,
                         "ascii.example": "[127.0.0.1]:%d" % no.port})
        body = "From: vera@localhost\r\nSubject: utf8\r\n\r\nhé\r\n"
        with smtplib.SMTP("127.0.0.1", inst.port) as c:
            c.ehlo("sender.test")
            assert c.has_extn("smtputf8")
            c.sendmail("vera@localhost", ["jörg@utf8.example"], body.encode(),
                       mail_options=["SMTPUTF8", "BODY=8BITMIME"])
            c.sendmail("vera@localhost", ["jörg@ascii.example"], body.encode(),
                       mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        log_line(inst, "jörg@utf8.example", "sent")
        mail = [c for c in yes.commands if c.upper().startswith("MAIL FROM")][0]
        assert "SMTPUTF8" in mail
        assert any("jörg@utf8.example" in r for r in yes.messages[0]["rcpt"])
        line = log_line(inst, "jörg@ascii.example", "bounced")
        assert "dsn=5.6.7" in line and "SMTPUTF8 is required" in line, line
        assert not any(c.upper().startswith("RCPT") for c in no.commands)
        # The sender hears about it.
        texts = wait_until(lambda: [open(p, "rb").read()
                                    for p in inst.messages("vera")], 30, what="bounce")
        assert b"SMTPUTF8" in texts[0]
    finally:
        yes.close()
        no.close()


def test_chunking_sends_bdat_without_dot_stuffing(new_instance):
    inst = new_instance()
    srv = Script("ok", ext=["PIPELINING", "CHUNKING", "8BITMIME"])
    try:
        transport(inst, {"chunk.example": "[127.0.0.1]:%d" % srv.port})
        big = MSG + ("z" * 99 + "\n") * 2000      # ~200 KB: several chunks
        inst.sendmail(["-f", "vera@localhost", "a@chunk.example"], big)
        line = log_line(inst, "a@chunk.example", "sent")
        assert "bytes queued as SCRIPT2" in line, line
        msg = srv.messages[0]
        assert not any(c.upper() == "DATA" for c in srv.commands)
        assert sum(msg["chunks"]) == len(msg["data"])
        assert len(msg["chunks"]) >= 2
        assert b"\r\n.leading dot\r\n" in msg["data"]
        assert msg["data"].endswith(b"z" * 99 + b"\r\n")
        assert msg["data"].count(b"\r\n") == msg["data"].count(b"\n")
    finally:
        srv.close()


def test_chunking_off(new_instance):
    inst = new_instance()
    srv = Script("ok", ext=["PIPELINING", "CHUNKING"])
    try:
        transport(inst, {"chunk.example": "[127.0.0.1]:%d" % srv.port},
                  smtp_use_chunking="no")
        inst.sendmail(["-f", "vera@localhost", "a@chunk.example"], MSG)
        log_line(inst, "a@chunk.example", "sent")
        assert "DATA" in [c.upper() for c in srv.commands]
        assert srv.messages[0]["data"].endswith(b"..leading dot\r\n")
    finally:
        srv.close()


def test_connection_reuse(new_instance):
    """Two messages, one after the other, to one next hop: one TCP
    connection, checked with RSET in between."""
    inst = new_instance()
    srv = Script("ok")
    try:
        transport(inst, {"reuse.example": "[127.0.0.1]:%d" % srv.port},
                  smtp_connection_cache_time_limit="60s")
        inst.sendmail(["-f", "vera@localhost", "a@reuse.example"], MSG)
        log_line(inst, "a@reuse.example", "sent")
        inst.sendmail(["-f", "vera@localhost", "b@reuse.example"], MSG)
        log_line(inst, "b@reuse.example", "sent")
        assert srv.connections == 1, srv.commands
        assert len(srv.messages) == 2
        assert "RSET" in [c.upper() for c in srv.commands]
        assert re.search(r"reusing connection to .*conn_use=2", inst.log())
    finally:
        srv.close()


def test_dns_cname_loop_literal_mx_and_localhost(new_instance):
    inst = new_instance()
    srv = Script("ok", name="real.example")
    records = [
        "alias.example. CNAME real.example.",
        "real.example. MX 10 mx.real.example.",
        "mx.real.example. A 127.0.0.1",
        "loop1.example. CNAME loop2.example.",
        "loop2.example. CNAME loop1.example.",
        # An MX that names an address, not a host: skipped.
        "literal.example. MX 10 127.0.0.1.",
        # An MX that points at localhost: our own smtpd -> a mail loop.
        "lh.example. MX 10 localhost.",
        "localhost. A 127.0.0.1",
    ]
    try:
        with DnsServer(records) as dns:
            transport(inst, {"alias.example": "alias.example:%d" % srv.port,
                             "loop1.example": "loop1.example:%d" % srv.port,
                             "literal.example": "literal.example:%d" % srv.port,
                             "lh.example": "lh.example:%d" % inst.port},
                      smtp_host_lookup="dns", dns_nameservers=dns.address)
            for rcpt in ("a@alias.example", "b@loop1.example",
                         "c@literal.example", "d@lh.example"):
                inst.sendmail(["-f", "vera@localhost", rcpt], MSG)
            line = log_line(inst, "a@alias.example", "sent")
            assert "relay=mx.real.example[127.0.0.1]:%d" % srv.port in line, line
            line = log_line(inst, "b@loop1.example", "deferred")
            assert "dsn=4." in line, line
            line = log_line(inst, "c@literal.example", "(deferred|bounced)")
            assert "every MX record names an address" in line, line
            line = log_line(inst, "d@lh.example", "bounced")
            assert "loops back to myself" in line and "dsn=5.4.6" in line, line
            assert len(srv.messages) == 1
    finally:
        srv.close()


def test_inet_protocols(new_instance):
    """A host with only an AAAA record: reached over IPv6 with the default
    inet_protocols, not tried at all with ipv4."""
    srv = Script("ok", host="::1")
    records = ["six.example. AAAA ::1", "six.example. MX 10 six.example."]
    try:
        with DnsServer(records) as dns:
            inst = new_instance()
            transport(inst, {"six.example": "six.example:%d" % srv.port},
                      smtp_host_lookup="dns", dns_nameservers=dns.address)
            inst.sendmail(["-f", "vera@localhost", "a@six.example"], MSG)
            line = log_line(inst, "a@six.example", "sent")
            assert "relay=six.example[::1]:%d" % srv.port in line, line
            inst.stop()
            four = new_instance()
            transport(four, {"six.example": "six.example:%d" % srv.port},
                      smtp_host_lookup="dns", dns_nameservers=dns.address,
                      inet_protocols="ipv4")
            four.sendmail(["-f", "vera@localhost", "b@six.example"], MSG)
            line = log_line(four, "b@six.example", "(deferred|bounced)")
            assert "::1" not in line, line
            assert srv.connections == 1
    finally:
        srv.close()


def test_host_lookup_dns_then_native(new_instance):
    """smtp_host_lookup = dns, native: a name the DNS says does not exist
    (localhost here: our DNS server's zone has no such name) is found in
    /etc/hosts; with dns alone it is not."""
    srv = Script("ok")
    try:
        with DnsServer(["other.example. A 192.0.2.1"],
                       zones=["example.", "localhost."]) as dns:
            both = new_instance()
            transport(both, {"fallback.example": "[localhost]:%d" % srv.port},
                      smtp_host_lookup="dns, native", dns_nameservers=dns.address)
            both.sendmail(["-f", "vera@localhost", "a@fallback.example"], MSG)
            line = log_line(both, "a@fallback.example", "sent")
            assert "relay=localhost[127.0.0.1]:%d" % srv.port in line, line
            both.stop()
            dns_only = new_instance()
            transport(dns_only, {"fallback.example": "[localhost]:%d" % srv.port},
                      smtp_host_lookup="dns", dns_nameservers=dns.address)
            dns_only.sendmail(["-f", "vera@localhost", "b@fallback.example"], MSG)
            line = log_line(dns_only, "b@fallback.example", "bounced")
            assert "dsn=5.1.2" in line and "Host not found" in line, line
            assert len(srv.messages) == 1
    finally:
        srv.close()


EIGHT = ("From: vera@localhost\nSubject: 8bit\nMIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=utf-8\n"
         "Content-Transfer-Encoding: 8bit\n\ncaf\u00e9 cr\u00e8me\n")


def test_8bitmime_passed_or_converted(new_instance):
    """8-bit mail goes as it is, with BODY=8BITMIME, to a server that
    offers 8BITMIME, and as quoted-printable to one that does not."""
    inst = new_instance()
    yes = Script("ok", ext=["PIPELINING", "8BITMIME"])
    no = Script("ok", ext=["PIPELINING"])
    try:
        transport(inst, {"eight.example": "[127.0.0.1]:%d" % yes.port,
                         "seven.example": "[127.0.0.1]:%d" % no.port})
        inst.sendmail(["-f", "vera@localhost", "a@eight.example"], EIGHT.encode())
        inst.sendmail(["-f", "vera@localhost", "b@seven.example"], EIGHT.encode())
        log_line(inst, "a@eight.example", "sent")
        log_line(inst, "b@seven.example", "sent")
        mail = [c for c in yes.commands if c.upper().startswith("MAIL FROM")][0]
        assert "BODY=8BITMIME" in mail, mail
        assert "caf\u00e9 cr\u00e8me".encode() in yes.messages[0]["data"]
        data = no.messages[0]["data"]
        assert all(b < 0x80 for b in data), data
        assert b"Content-Transfer-Encoding: quoted-printable\r\n" in data
        assert b"Content-Transfer-Encoding: 8bit" not in data
        assert b"caf=C3=A9 cr=C3=A8me\r\n" in data
        mail = [c for c in no.commands if c.upper().startswith("MAIL FROM")][0]
        assert "BODY=" not in mail, mail
    finally:
        yes.close()
        no.close()


def test_kill_9_of_the_agent_loses_nothing(new_instance):
    """kill -9 of the smtp agent in the middle of a delivery (the server
    has the data, its reply never came): the message stays queued, is
    tried again, and is delivered once the server answers."""
    import signal
    inst = new_instance()
    srv = Script("stalldot")
    try:
        transport(inst, {"kill.example": "[127.0.0.1]:%d" % srv.port})
        inst.sendmail(["-f", "vera@localhost", "a@kill.example"], MSG)
        wait_until(lambda: getattr(srv, "stalled", 0) > 0, 30, what="the data")
        for pid in inst.pids().get("smtp", []):
            os.kill(pid, signal.SIGKILL)
        line = log_line(inst, "a@kill.example", "deferred")
        assert srv.messages == []
        srv.behave = "ok"
        line = log_line(inst, "a@kill.example", "sent")
        assert "queued as SCRIPT1" in line, line
        assert len(srv.messages) >= 1
        assert b"line one" in srv.messages[0]["data"]
        wait_until(lambda: inst.queue_files() == [], 30, what="an empty queue")
    finally:
        srv.close()
