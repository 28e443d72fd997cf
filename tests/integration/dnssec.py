"""DNSSEC-signed test zones for DANE tests: ldns-signzone + unbound auth-zone.

    from dnssec import DnssecDns, dane_records

    recs = dane_records("dane.example.", cert_file=pfx.cert_file, port=25)
    with DnssecDns(signed={"dane.example.": recs},
                   unsigned={"plain.example.": ["plain.example. MX 10 mx.plain.example.",
                                                "mx.plain.example. A 127.0.0.1"]},
                   bogus={"dane.example.": ["bad.dane.example. A 127.0.0.1"]}) as dns:
        inst.conf(dns_nameservers=dns.address,            # "127.0.0.1@PORT"
                  dns_trust_anchor_file=dns.trust_anchor)  # DS records, one per signed zone
        dns.validate("_25._tcp.mx.dane.example.", "TLSA")  # -> ("secure", text)

At start every zone in `signed` gets a fresh ECDSA P-256 key (ldns-keygen -k,
one key signs all) and is signed with NSEC by ldns-signzone (valid from a day
ago for 30 days); `bogus` records are added to their zone before signing and
then the signature of their RRset is broken, so a validator says BOGUS
(libunbound: ub_result.bogus, tegami DNS_BOGUS) while the rest of the zone
stays secure.  `unsigned` zones are served as they are: no trust anchor
covers them, so a validating resolver calls their answers insecure.  Records
are "NAME [TTL] TYPE DATA" with absolute names; a SOA and an NS (ns.ZONE,
127.0.0.1) are added to a zone that has none.  One unbound (a DnsServer,
dnsserver.py) serves every zone authoritatively (auth-zone, for-downstream)
and answers RD queries with RRSIGs when asked with DO, exactly as libunbound
in forwarding mode (tegami's dns_init with servers and a trust anchor file)
asks.  Names outside the zones are REFUSED (SERVFAIL to a forwarding client).
validate() asks like tegami does: unbound-host (libunbound) forwarding to
dns.address with dns.trust_anchor.  Needs Debian's ldnsutils, unbound,
unbound-host (scripts/install-deps).
"""
import datetime
import hashlib
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dnsserver import DnsServer, _quote

LDNS_KEYGEN = "/usr/bin/ldns-keygen"
LDNS_SIGNZONE = "/usr/bin/ldns-signzone"
UNBOUND_HOST = "/usr/bin/unbound-host"


def tlsa_rdata(cert_file, usage=3, selector=1, mtype=1):
    """TLSA RDATA text "U S M HEX" for the first certificate in cert_file
    (PEM).  selector 0: whole certificate, 1: SubjectPublicKeyInfo;
    mtype 0: exact, 1: SHA-256, 2: SHA-512."""
    with open(cert_file, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    if selector == 0:
        data = cert.public_bytes(serialization.Encoding.DER)
    else:
        data = cert.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
    if mtype == 1:
        data = hashlib.sha256(data).digest()
    elif mtype == 2:
        data = hashlib.sha512(data).digest()
    return "%d %d %d %s" % (usage, selector, mtype, data.hex())


def dane_records(zone, cert_file=None, port=25, mx="mx", addr="127.0.0.1",
                 usage=3, selector=1, mtype=1):
    """The records of a DANE MX setup in zone: "ZONE MX 10 mx.ZONE",
    "mx.ZONE A addr" and, when cert_file is given,
    "_PORT._tcp.mx.ZONE TLSA <tlsa_rdata(cert_file, ...)>"."""
    zone = zone.rstrip(".") + "."
    host = "%s.%s" % (mx, zone)
    recs = ["%s MX 10 %s" % (zone, host), "%s A %s" % (host, addr)]
    if cert_file is not None:
        recs.append("_%d._tcp.%s TLSA %s" % (
            port, host, tlsa_rdata(cert_file, usage, selector, mtype)))
    return recs


def _abs(zone):
    return zone.rstrip(".").lower() + "."


def _owner_type(record):
    """(owner, TYPE) of "NAME [TTL] [IN] TYPE DATA"."""
    f = record.split()
    i = 1
    while i < len(f) and (f[i].isdigit() or f[i].upper() == "IN"):
        i += 1
    return _abs(f[0]), f[i].upper()


def _zone_text(zone, records):
    types = {_owner_type(r)[1] for r in records if _owner_type(r)[0] == zone}
    lines = ["$TTL 300"]
    if "SOA" not in types:
        lines.append("%s SOA ns.%s hostmaster.%s 1 3600 600 86400 300" %
                     (zone, zone, zone))
    if "NS" not in types:
        lines += ["%s NS ns.%s" % (zone, zone), "ns.%s A 127.0.0.1" % zone]
    return "\n".join(lines + list(records)) + "\n"


def _break_signatures(signed_text, victims):
    """Change one base64 character of the RRSIG over each (owner, TYPE) in
    victims: the data stays, its signature no longer verifies."""
    out, hit = [], set()
    for line in signed_text.splitlines():
        f = line.split()
        if len(f) > 12 and f[3] == "RRSIG" and (_abs(f[0]), f[4].upper()) in victims:
            sig = f[-1]
            i = len(sig) // 2
            f[-1] = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
            line = "\t".join(f)
            hit.add((_abs(f[0]), f[4].upper()))
        out.append(line)
    missing = set(victims) - hit
    if missing:
        raise RuntimeError("no RRSIG found to break for %s" % sorted(missing))
    return "\n".join(out) + "\n"


class DnssecDns(DnsServer):
    def __init__(self, signed=None, unsigned=None, bogus=None, port=None):
        self.signed = {_abs(z): list(r) for z, r in (signed or {}).items()}
        self.unsigned = {_abs(z): list(r) for z, r in (unsigned or {}).items()}
        self.bogus = {_abs(z): list(r) for z, r in (bogus or {}).items()}
        for z in self.bogus:
            if z not in self.signed:
                raise ValueError("bogus records for %s, which is not signed" % z)
        super().__init__([], zones=[], port=port)
        self.trust_anchor = None    # path, set by start()
        self.zone_files = {}        # zone -> served zone file

    # -- zone preparation (in self.dir, once) --------------------------------
    def _run(self, argv):
        res = subprocess.run(argv, cwd=self.dir, capture_output=True,
                             text=True, timeout=60)
        if res.returncode != 0:
            raise RuntimeError("%s: %s%s" % (argv, res.stdout, res.stderr))
        return res.stdout

    def _prepare(self):
        os.chmod(self.dir, 0o755)   # daemons read the trust anchor file
        anchors = []
        now = datetime.datetime.now(datetime.timezone.utc)
        inception = (now - datetime.timedelta(days=1)).strftime("%Y%m%d%H%M%S")
        expiry = (now + datetime.timedelta(days=30)).strftime("%Y%m%d%H%M%S")
        for zone, records in self.signed.items():
            bad = self.bogus.get(zone, [])
            src = os.path.join(self.dir, zone + "zone")
            with open(src, "w") as f:
                f.write(_zone_text(zone, records + bad))
            key = self._run([LDNS_KEYGEN, "-a", "ECDSAP256SHA256", "-k",
                             "-r", "/dev/urandom", zone]).strip()
            out = os.path.join(self.dir, zone + "signed")
            self._run([LDNS_SIGNZONE, "-i", inception, "-e", expiry,
                       "-o", zone, "-f", out, src, key])
            if bad:
                with open(out) as f:
                    text = f.read()
                with open(out, "w") as f:
                    f.write(_break_signatures(text, {_owner_type(r) for r in bad}))
            with open(os.path.join(self.dir, key + ".ds")) as f:
                anchors.append(f.read().strip())
            self.zone_files[zone] = out
        for zone, records in self.unsigned.items():
            path = os.path.join(self.dir, zone + "zone")
            with open(path, "w") as f:
                f.write(_zone_text(zone, records))
            self.zone_files[zone] = path
        self.trust_anchor = os.path.join(self.dir, "trust-anchors")
        with open(self.trust_anchor, "w") as f:
            f.write("\n".join(anchors) + "\n")
        os.chmod(self.trust_anchor, 0o644)

    def config(self):
        if not self.zone_files:
            self._prepare()
        text = super().config()
        # Local zones are looked at before auth zones: let ours through
        # the "." refuse zone.
        extra = "".join("  local-zone: %s transparent\n" % _quote(z)
                        for z in self.zone_files)
        auth = ""
        for zone, path in self.zone_files.items():
            auth += ("auth-zone:\n  name: %s\n  zonefile: %s\n"
                     "  for-downstream: yes\n  for-upstream: no\n"
                     "  fallback-enabled: no\n" % (_quote(zone), _quote(path)))
        text = text.replace("remote-control:", extra.rstrip("\n") +
                            "\n" + auth + "remote-control:", 1)
        return text

    # -- checks ----------------------------------------------------------------
    def resolver_conf(self):
        """A libunbound config that forwards "." to this server, as tegami's
        dns_init(base, dns.address, dns.trust_anchor, err) sets it up."""
        path = os.path.join(self.dir, "client.conf")
        with open(path, "w") as f:
            f.write('server:\n  do-not-query-localhost: no\n  username: ""\n'
                    '  chroot: ""\n  use-syslog: no\n  directory: %s\n'
                    'forward-zone:\n  name: "."\n  forward-addr: %s\n' %
                    (_quote(self.dir), self.address))
        return path

    def validate(self, name, qtype="A", trust_anchor=True):
        """Ask through a validating libunbound (unbound-host): (verdict,
        output), verdict one of "secure", "insecure", "bogus", "error"."""
        argv = [UNBOUND_HOST, "-C", self.resolver_conf(), "-v", "-t", qtype]
        if trust_anchor:
            argv += ["-f", self.trust_anchor]
        res = subprocess.run(argv + [name.rstrip(".")], capture_output=True,
                             text=True, timeout=60)
        text = res.stdout + res.stderr
        first = text.splitlines()[0] if text else ""
        for verdict, mark in (("bogus", "(BOGUS"), ("insecure", "(insecure)"),
                              ("secure", "(secure)")):
            if mark in first:
                return verdict, text
        return "error", text
