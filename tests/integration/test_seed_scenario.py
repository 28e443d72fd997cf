"""The seed scenario, tegami on both sides, across a (namespaced) network.

Host A (mx.a.example, 192.0.2.1, 2001:db8::1) is the users' server: alice
logs in on its submission port 587 and sends to bob@b.example.  A finds
B's MX through unbound (which runs on A at 192.0.2.1:53 and is the DNS of
both hosts), connects to port 25 of host B (mx.b.example, 192.0.2.2,
2001:db8::2), and B puts the message in bob's Maildir.  Real ports, no
transport_maps, no relayhost: the path an Internet MX takes.
"""
import os
import re
import smtplib

import pytest

from conftest import port_free, wait_until
from dnsserver import DnsServer
from netns import Net
from test_submission_e2e import tls_context

A4, A6 = "192.0.2.1", "2001:db8::1"
B4, B6 = "192.0.2.2", "2001:db8::2"
MSG = ("From: alice@a.example\r\nTo: bob@b.example\r\n"
       "Subject: seed scenario\r\n\r\nover the wire\r\n")


def standard_ports(inst):
    """Listen on 25, 587 and 465 on every address of the host."""
    path = os.path.join(inst.dir, "master.cf")
    text = open(path).read()
    text = re.sub(r"^127\.0\.0\.1:%d inet" % (inst.base + 25), "25 inet", text, flags=re.M)
    text = re.sub(r"^127\.0\.0\.1:%d inet" % (inst.base + 87), "587 inet", text, flags=re.M)
    text = re.sub(r"^127\.0\.0\.1:%d inet" % (inst.base + 65), "465 inet", text, flags=re.M)
    open(path, "w").write(text)
    inst.port = 25


@pytest.fixture
def net():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with Net() as n:
        yield n


def test_submit_on_a_deliver_to_b_by_mx(net, new_instance):
    host_a = net.host("a", A4, A6)
    host_b = net.host("b", B4, B6)
    records = [
        "a.example. MX 10 mx.a.example.",
        "mx.a.example. A %s" % A4, "mx.a.example. AAAA %s" % A6,
        "b.example. MX 10 mx.b.example.",
        "mx.b.example. A %s" % B4, "mx.b.example. AAAA %s" % B6,
    ]
    dns = DnsServer(records, port=53,
                    extra=["access-control: 192.0.2.0/24 allow"])
    dns.host = A4
    net.call(host_a, dns.start)
    try:
        a = new_instance()
        standard_ports(a)
        a.conf(myhostname="mx.a.example", mydomain="a.example",
               mydestination="a.example", mynetworks="127.0.0.0/8",
               inet_interfaces="all",
               smtp_host_lookup="dns", dns_nameservers="%s@53" % A4,
               smtpd_sender_login_maps="inline:{alice@a.example=alice}")
        assert a.tegami("passwd", "alice", input="alice-secret\n").returncode == 0
        b = new_instance()
        standard_ports(b)
        b.conf(myhostname="mx.b.example", mydomain="b.example",
               mydestination="b.example", dns_nameservers="%s@53" % A4,
               inet_interfaces="all")
        net.call(host_b, b.start)
        net.call(host_a, a.start)

        def submit():
            ctx = tls_context(a)
            with smtplib.SMTP(A4, 587, timeout=30) as s:
                s.starttls(context=ctx)
                s.login("alice", "alice-secret")
                return s.sendmail("alice@a.example", ["bob@b.example"], MSG)
        assert net.call(host_a, submit) == {}

        got = b.wait_messages("bob", 1, timeout=60)
        text = open(got[0]).read()
        head = text.split("\n\n")[0]
        assert "over the wire" in text
        # B received it from A over the network (A's address, A's name) ...
        assert re.search(r"from mx\.a\.example \(.*(%s|%s)" %
                         (re.escape(A4), re.escape(A6)), head), head
        # ... after A took it from alice with a login.
        assert "with ESMTPSA" in head
        line = wait_until(lambda: re.search(r"^.*to=<bob@b\.example>.*status=sent.*$",
                                            a.log(), re.M), 30, what="A's log line")
        assert re.search(r"relay=mx\.b\.example\[(%s|%s)\]:25," %
                         (re.escape(B4), re.escape(B6)), line.group(0)), line.group(0)
        # B's smtpd listens on the real port 25 of its own host only.
        assert net.call(host_b, lambda: not port_free(25))
    finally:
        dns.stop()
