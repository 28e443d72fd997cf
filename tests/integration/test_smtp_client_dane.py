"""smtp-client DANE (RFC 7672): smtp_tls_security_level = dane with TLSA
records from a DNSSEC-signed zone (ldns-signzone, served by unbound:
dnssec.py), validated by tegami's resolver against the zone's trust anchor.

  - a TLSA 3 1 1 record that matches the server's key: sent, "Verified";
  - a TLSA record that matches another key: deferred, never sent;
  - a TLSA RRset whose signature is broken (bogus): deferred, never sent;
  - an unsigned zone: RFC 7672's fallback to opportunistic TLS: sent over
    TLS without authentication.
"""
import os
import re


from conftest import log_line
from dnssec import DnssecDns, dane_records, tlsa_rdata
from peer_common import TestCA
from scripted_smtp import Script

MYHOST = "client.test"
MSG = "From: vera@localhost\nSubject: dane\n\nover DANE\n"



def test_dane_levels(new_instance, tmp_path):
    for d in ("ca", "other"):
        (tmp_path / d).mkdir()
    ca = TestCA(str(tmp_path / "ca"))
    other = TestCA(str(tmp_path / "other"))
    # Certificates from a CA nobody trusts: only DANE can vouch for them.
    good_cert = ca.issue("mx", ["mx.dane.example", "mx.dane2.example",
                                "bog.dane.example", "mx.plain.example"])
    stranger = other.issue("stranger", ["mx.dane2.example"])
    good = Script("ok", name="mx.dane.example", tls=good_cert)
    wrong = Script("ok", name="mx.dane2.example", tls=good_cert)
    bogus = Script("ok", name="bog.dane.example", tls=good_cert)
    plain = Script("ok", name="mx.plain.example", tls=good_cert)
    servers = [good, wrong, bogus, plain]
    signed = {
        "dane.example.": dane_records("dane.example.", good_cert[0], port=good.port)
        + ["bogus.dane.example. MX 10 bog.dane.example.",
           "bog.dane.example. A 127.0.0.1"],
        # The TLSA record names another key than the server presents.
        "dane2.example.": dane_records("dane2.example.", stranger[0], port=wrong.port),
    }
    broken = {"dane.example.": ["_%d._tcp.bog.dane.example. TLSA %s"
                                % (bogus.port, tlsa_rdata(good_cert[0]))]}
    unsigned = {"plain.example.": dane_records("plain.example.", good_cert[0],
                                               port=plain.port)}
    try:
        with DnssecDns(signed=signed, unsigned=unsigned, bogus=broken) as dns:
            inst = new_instance()
            tmap = os.path.join(inst.dir, "transport")
            with open(tmap, "w") as f:
                for dom, srv in (("dane.example", good), ("dane2.example", wrong),
                                 ("bogus.dane.example", bogus),
                                 ("plain.example", plain)):
                    f.write("%s smtp:%s:%d\n" % (dom, dom, srv.port))
            inst.conf(myhostname=MYHOST, transport_maps="texthash:" + tmap,
                      smtp_host_lookup="dns", dns_nameservers=dns.address,
                      dns_trust_anchor_file=dns.trust_anchor,
                      smtp_dns_support_level="dnssec",
                      smtp_tls_security_level="dane", smtp_tls_loglevel="1")
            inst.start()
            for rcpt in ("a@dane.example", "b@dane2.example",
                         "c@bogus.dane.example", "d@plain.example"):
                inst.sendmail(["-f", "vera@localhost", rcpt], MSG)
            log_line(inst, "a@dane.example", "sent")
            assert good.messages[0]["tls"] is True
            assert re.search(r"Verified TLS connection established to "
                             r"mx\.dane\.example\[127\.0\.0\.1\]:%d" % good.port,
                             inst.log())
            line = log_line(inst, "b@dane2.example", "deferred")
            assert "TLSA" in line, line
            assert wrong.messages == []
            line = log_line(inst, "c@bogus.dane.example", "deferred")
            assert "TLSA lookup error" in line, line
            assert bogus.messages == []
            log_line(inst, "d@plain.example", "sent")
            assert plain.messages[0]["tls"] is True
            assert re.search(r"(Untrusted|Anonymous) TLS connection established to "
                             r"mx\.plain\.example\[127\.0\.0\.1\]:%d" % plain.port,
                             inst.log())
    finally:
        for s in servers:
            s.close()
