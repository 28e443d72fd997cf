"""A throw-away DNS server for tests: Debian's unbound on 127.0.0.1.

Usage (from a test in tests/integration):

    from dnsserver import DnsServer

    with DnsServer(["1.2.0.192.zen.example. A 127.0.0.2",
                    '1.2.0.192.zen.example. TXT "listed"',
                    "1.0.0.127.in-addr.arpa. PTR localhost."]) as dns:
        inst.conf(some_dns_servers_parameter=dns.address)  # "127.0.0.1@PORT"
        ...

Records are unbound `local-data` lines ("NAME [TTL] TYPE DATA"), given as a
list, or as a dict {name: "TYPE DATA" or [list of "TYPE DATA"]}.  The server
answers with authority for zones, each `local-zone: ZONE static`:
  - a name that has records of the asked type: the records;
  - a name inside a zone with records of other types only: NODATA;
  - any other name inside a zone: NXDOMAIN;
  - a name outside every zone: REFUSED, which a forwarding resolver (tegami's
    libunbound) reports as SERVFAIL, i.e. DNS_TEMPFAIL.  So "x.refused."
    (any name in a TLD that no record uses and that is not one of unbound's
    default zones such as "invalid." or "test.") is a ready-made temporary
    failure.  Slow answers are not offered (unbound cannot delay local data);
    for "no answer at all" use SilentDns(), a port that takes queries and
    never answers:  with SilentDns() as dead: ... dead.address ...
By default the zones are the top-level domains of the record names
("example.", "arpa.", ...), except that a record under one of unbound's
default zones that carry data (localhost., 127.in-addr.arpa., the ::1 reverse
zone) makes that zone one of ours, so its default data is replaced by yours;
pass zones=[...] to choose them (a record outside every zone is still
served, as unbound gives its name a zone of its own).  Records with quoted strings work as
written: '1.2.0.192.zen.example. TXT "listed"'.

Nothing ever leaves the machine: "." is a refuse zone, only the iterator
module runs (no validator, no trust anchor), and every address is in
do-not-query-address, so there is no recursion.  DnsServer.query() is a tiny
hand-made UDP client for checks in tests.
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time

UNBOUND = "/usr/sbin/unbound"

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "TLSA": 52}


def _port_free(port):
    """Both UDP and TCP port free on 127.0.0.1."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_dns_port():
    for _ in range(200):
        port = random.randrange(25100, 32000)   # see conftest.free_port_base
        if _port_free(port):
            return port
    raise RuntimeError("no free port found")


def _quote(s):
    """Quote for unbound.conf: records with "..." strings in '...'."""
    if '"' in s:
        if "'" in s:
            raise ValueError("cannot quote for unbound.conf: %r" % s)
        return "'" + s + "'"
    return '"' + s + '"'


# unbound's default zones that come with data of their own; a record under
# one of them makes it a zone of ours, so the default data goes away.
DEFAULT_DATA_ZONES = ("localhost.", "127.in-addr.arpa.",
                      "1." + "0." * 31 + "ip6.arpa.")


def _zone_of(name):
    name = name.lower().rstrip(".") + "."
    for z in DEFAULT_DATA_ZONES:
        if name == z or name.endswith("." + z):
            return z
    return _tld(name)


def _records(records):
    if isinstance(records, dict):
        lines = []
        for name, rrs in records.items():
            if isinstance(rrs, str):
                rrs = [rrs]
            lines += ["%s %s" % (name, rr) for rr in rrs]
        return lines
    return list(records)


def _tld(name):
    labels = [l for l in name.rstrip(".").split(".") if l]
    return (labels[-1] + ".") if labels else "."


def _wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
        if n == 0:
            return pos


def _read_name(msg, pos, depth=0):
    labels = []
    while depth < 20:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            ptr = ((n & 0x3F) << 8) | msg[pos + 1]
            return ".".join(labels + [_read_name(msg, ptr, depth + 1)]).strip(".")
        if n == 0:
            break
        labels.append(msg[pos + 1:pos + 1 + n].decode("latin-1"))
        pos += 1 + n
    return ".".join(labels)


class DnsServer:
    def __init__(self, records=(), zones=None, port=None, extra=()):
        self.records = _records(records)
        if zones is None:
            zones = sorted({_zone_of(r.split()[0]) for r in self.records})
        self.zones = [z if z.endswith(".") else z + "." for z in zones]
        self.extra = list(extra)
        self.host = "127.0.0.1"
        self.port = port
        self.proc = None
        self.dir = None

    @property
    def address(self):
        """The server as tegami's DNS server lists spell it."""
        return "%s@%d" % (self.host, self.port)

    def config(self):
        d = self.dir
        lines = [
            "server:",
            "  interface: %s" % self.host,
            "  port: %d" % self.port,
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            "  directory: %s" % _quote(d),
            "  pidfile: %s" % _quote(os.path.join(d, "unbound.pid")),
            "  logfile: %s" % _quote(os.path.join(d, "unbound.log")),
            "  use-syslog: no",
            "  verbosity: 1",
            "  num-threads: 1",
            "  so-reuseport: no",
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            '  module-config: "iterator"',
            "  do-not-query-localhost: yes",
            "  do-not-query-address: 0.0.0.0/0",
            "  do-not-query-address: ::/0",
            '  local-zone: "." refuse',
        ]
        lines += ["  local-zone: %s static" % _quote(z) for z in self.zones]
        lines += ["  local-data: %s" % _quote(r) for r in self.records]
        lines += ["  " + e for e in self.extra]
        lines += ["remote-control:", "  control-enable: no", ""]
        return "\n".join(lines)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="tegami-dns-")
        fixed = self.port is not None
        for _ in range(5):
            if not fixed:
                self.port = free_dns_port()
            conf = os.path.join(self.dir, "unbound.conf")
            with open(conf, "w") as f:
                f.write(self.config())
            with open(os.path.join(self.dir, "stderr.log"), "ab") as err:
                self.proc = subprocess.Popen(
                    [UNBOUND, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=err)
            if self._wait_ready():
                return self
            self._kill()
            if fixed:
                break
        log = self.log()
        self.stop()
        raise RuntimeError("unbound did not start: %s" % log)

    def _wait_ready(self):
        for _ in range(200):        # at most about 20 s
            if self.proc.poll() is not None:
                return False
            try:
                self.query("ready.check.invalid.", "A", timeout=0.1)
                return True
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.05)
        return False

    def log(self):
        """unbound's log and stderr, for assertion messages."""
        text = ""
        for name in ("unbound.log", "stderr.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def query(self, name, qtype="A", timeout=2.0):
        """Ask the server directly: (rcode, [answer records]).  A record is
        (type, rdata) with A/AAAA as text, PTR/CNAME/MX targets as names
        (MX as (pref, name)), TXT as a list of bytes; others raw bytes."""
        qid = random.randrange(65536)
        t = TYPES[qtype] if isinstance(qtype, str) else qtype
        pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        pkt += _wire_name(name) + struct.pack(">HH", t, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.connect((self.host, self.port))
            s.send(pkt)
            while True:
                msg = s.recv(65535)
                if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                    break
        finally:
            s.close()
        _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
        pos = 12
        for _ in range(qd):
            pos = _skip_name(msg, pos) + 4
        answers = []
        for _ in range(an):
            pos = _skip_name(msg, pos)
            rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
            pos += 10
            rdata = msg[pos:pos + rdlen]
            answers.append((rtype, self._rdata(msg, pos, rtype, rdata)))
            pos += rdlen
        return flags & 0x0F, answers

    @staticmethod
    def _rdata(msg, pos, rtype, rdata):
        if rtype == 1:
            return socket.inet_ntop(socket.AF_INET, rdata)
        if rtype == 28:
            return socket.inet_ntop(socket.AF_INET6, rdata)
        if rtype in (5, 12):
            return _read_name(msg, pos)
        if rtype == 15:
            return (struct.unpack(">H", rdata[:2])[0], _read_name(msg, pos + 2))
        if rtype == 16:
            out, i = [], 0
            while i < len(rdata):
                out.append(rdata[i + 1:i + 1 + rdata[i]])
                i += 1 + rdata[i]
            return out
        return rdata

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def stop(self):
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class SilentDns:
    """A DNS server that never answers: a UDP socket that is never read and
    a TCP socket that never accepts, on one free loopback port.  A resolver
    pointed at .address times out (tegami: DNS_TEMPFAIL, "timeout")."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = None
        self.socks = []

    @property
    def address(self):
        return "%s@%d" % (self.host, self.port)

    def start(self):
        for _ in range(20):
            port = free_dns_port()
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                udp.bind((self.host, port))
                tcp.bind((self.host, port))
                tcp.listen(1)
            except OSError:
                udp.close()
                tcp.close()
                continue
            self.port, self.socks = port, [udp, tcp]
            return self
        raise RuntimeError("no free port for SilentDns")

    def stop(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
