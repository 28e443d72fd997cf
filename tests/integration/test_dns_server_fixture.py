"""The DnsServer fixture (dnsserver.py) that DNSBL and reverse-lookup tests
use: a real unbound on a free loopback port answers the records it was
given, NXDOMAIN and NODATA inside its zones, REFUSED outside them (nothing is
sent to the Internet), and is gone after stop().  SilentDns never answers.
"""
import socket

import pytest

from dnsserver import DnsServer, SilentDns

NOERROR, NXDOMAIN, REFUSED = 0, 3, 5

RECORDS = [
    "1.2.0.192.zen.example. A 127.0.0.2",
    '1.2.0.192.zen.example. TXT "listed" "see https://zen.example/"',
    "1.0.0.127.in-addr.arpa. PTR other.example.",
    "10.2.0.192.in-addr.arpa. PTR host.example.",
    "host.example. MX 20 mx2.example.",
    "host.example. MX 10 mx1.example.",
    "host.example. AAAA 2001:db8::10",
    "mail.test. A 192.0.2.25",
]


@pytest.fixture(scope="module")
def dns():
    with DnsServer(RECORDS) as server:
        yield server


def test_address_form(dns):
    host, port = dns.address.split("@")
    assert host == "127.0.0.1" and 0 < int(port) < 65536
    assert int(port) == dns.port


def test_records_answered(dns):
    assert dns.query("1.2.0.192.zen.example.", "A") == (NOERROR, [(1, "127.0.0.2")])
    rcode, txt = dns.query("1.2.0.192.zen.example.", "TXT")
    assert rcode == NOERROR
    assert txt == [(16, [b"listed", b"see https://zen.example/"])]
    rcode, mx = dns.query("host.example.", "MX")
    assert rcode == NOERROR
    assert sorted(r[1] for r in mx) == [(10, "mx1.example"), (20, "mx2.example")]
    assert dns.query("host.example.", "AAAA") == (NOERROR, [(28, "2001:db8::10")])
    assert dns.query("mail.test.", "A") == (NOERROR, [(1, "192.0.2.25")])


def test_ptr_replaces_unbound_default_data(dns):
    # unbound's default 127.in-addr.arpa zone says "localhost"; ours wins.
    assert dns.query("1.0.0.127.in-addr.arpa.", "PTR") == (
        NOERROR, [(12, "other.example")])
    assert dns.query("10.2.0.192.in-addr.arpa.", "PTR") == (
        NOERROR, [(12, "host.example")])


def test_nxdomain_and_nodata(dns):
    assert dns.query("2.2.0.192.zen.example.", "A") == (NXDOMAIN, [])
    assert dns.query("host.example.", "TXT") == (NOERROR, [])
    assert dns.query("11.2.0.192.in-addr.arpa.", "PTR") == (NXDOMAIN, [])


def test_outside_zones_refused_not_recursed(dns):
    # Answered at once (no time-out waiting for the Internet), REFUSED.
    for name in ("www.debian.org.", "x.refused.", "example.com."):
        assert dns.query(name, "A", timeout=5) == (REFUSED, [])
    assert "iterator" in dns.log()


def test_dict_form_and_explicit_zones():
    recs = {"a.example.": ["A 192.0.2.1", "TXT \"t\""], "b.example.": "A 192.0.2.2"}
    with DnsServer(recs, zones=["a.example."]) as one, DnsServer(recs) as two:
        assert one.port != two.port
        assert one.query("a.example.", "A") == (NOERROR, [(1, "192.0.2.1")])
        # Records outside the zones are still served (unbound makes a
        # zone for each such name); other names there are refused.
        assert one.query("b.example.", "A") == (NOERROR, [(1, "192.0.2.2")])
        assert one.query("c.example.", "A") == (REFUSED, [])
        assert one.query("x.a.example.", "A") == (NXDOMAIN, [])
        assert two.query("c.example.", "A") == (NXDOMAIN, [])
        assert two.query("b.example.", "A") == (NOERROR, [(1, "192.0.2.2")])
        assert two.query("a.example.", "TXT") == (NOERROR, [(16, [b"t"])])


def test_stop_ends_the_server():
    server = DnsServer(["x.example. A 192.0.2.9"]).start()
    assert server.query("x.example.", "A")[0] == NOERROR
    proc = server.proc
    server.stop()
    assert proc.poll() is not None
    with pytest.raises((socket.timeout, ConnectionRefusedError)):
        server.query("x.example.", "A", timeout=0.5)


def test_silent_dns_never_answers():
    with SilentDns() as dead:
        probe = DnsServer()
        probe.port = dead.port
        with pytest.raises(socket.timeout):
            probe.query("x.example.", "A", timeout=0.5)
        assert dead.address == "127.0.0.1@%d" % dead.port
