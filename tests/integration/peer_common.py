"""Shared bits of the peer fixtures (postfix_peer, dovecot_peer, dnssec).

    from peer_common import TestCA, free_peer_port
    ca = TestCA(directory)                       # ca.cert_file, ca.key_file
    cert, key = ca.issue("mx.dane.example", ["mx.dane.example"])

free_peer_port() picks a loopback TCP port that neither a tegami instance
(conftest.free_port_base: bases below 25100, offsets 25, 65, 87) nor a test
DNS server (25100-32000) nor the kernel's outgoing source ports (32768 and
up) will take.  TestCA makes a throw-away CA and leaf certificates (EC P-256)
with python3-cryptography; files are written world-readable (no secrets:
test keys), so daemons that dropped privileges can read them.
"""
import datetime
import os
import random
import shutil
import socket
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import ipaddress


def _tcp_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_peer_port():
    """A free loopback port for a peer server (see the module comment)."""
    for _ in range(500):
        port = random.randrange(10000, 25000)
        if port % 100 in (25, 65, 87):
            continue
        if _tcp_free(port):
            return port
    raise RuntimeError("no free peer port found")


def wait_for(pred, timeout, what):
    """Poll pred() until it is true (bounded); AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))


def _write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


class TestCA:
    """A throw-away certificate authority in directory."""
    __test__ = False            # not a pytest test class

    def __init__(self, directory, name="tegami test CA"):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder()
                     .subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                    critical=True)
                     .add_extension(x509.KeyUsage(
                         digital_signature=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                         encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.cert_file = os.path.join(directory, "ca.pem")
        self.key_file = os.path.join(directory, "ca.key")
        _write(self.cert_file, self.cert.public_bytes(serialization.Encoding.PEM))
        _write(self.key_file, _key_pem(self.key))

    def issue(self, basename, hostnames, ips=("127.0.0.1",)):
        """A server certificate for hostnames (first one is the CN) and ips,
        signed by this CA: (cert_file, key_file) named basename.pem/.key.
        The cert file holds the leaf then the CA (a full chain)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        sans = [x509.DNSName(h) for h in hostnames]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                            hostnames[0])]))
                .issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                               critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        cert_file = os.path.join(self.dir, basename + ".pem")
        key_file = os.path.join(self.dir, basename + ".key")
        _write(cert_file, cert.public_bytes(serialization.Encoding.PEM) +
               self.cert.public_bytes(serialization.Encoding.PEM))
        _write(key_file, _key_pem(key))
        return cert_file, key_file


def remove_tree(path, timeout=20):
    """rmtree that outlasts a daemon's children still writing in path
    (postlogd, Dovecot's log process): retried until the tree is gone."""
    deadline = time.monotonic() + timeout
    while os.path.lexists(path) and time.monotonic() < deadline:
        shutil.rmtree(path, ignore_errors=True)
        if os.path.lexists(path):
            time.sleep(0.1)


def wait_pid_gone(pid, timeout=20):
    """Wait (bounded) until process pid, not our child, has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False
