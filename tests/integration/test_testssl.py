"""testssl.sh (Debian's `testssl`) against smtpd's STARTTLS.

One run with the protocol (-p), cipher category (-s), cipher-per-protocol
(-E) and server preference (-P) checks, JSON output, bounded in time.  It
must find nothing below TLS 1.2, no NULL, anonymous, export, low, RC4,
3DES or IDEA cipher, and the server's cipher order.
"""
import json
import os
import re
import subprocess

TESTSSL_TIMEOUT = 300


def test_testssl_finds_no_weak_protocol_or_cipher(instance):
    out = os.path.join(instance.dir, "testssl.json")
    res = subprocess.run(
        ["testssl", "--quiet", "--color", "0", "--warnings", "off",
         "--connect-timeout", "10", "--openssl-timeout", "10",
         "--starttls", "smtp", "-p", "-s", "-E", "-P",
         "--jsonfile", out, "127.0.0.1:%d" % instance.port],
        capture_output=True, text=True, timeout=TESTSSL_TIMEOUT)
    assert os.path.exists(out), res.stdout[-3000:] + res.stderr[-3000:]
    findings = {e["id"]: e["finding"] for e in json.load(open(out))}

    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert findings.get(proto) == "not offered", (proto, findings.get(proto))
    assert findings.get("TLS1_2", "").startswith("offered"), findings
    assert findings.get("TLS1_3", "").startswith("offered"), findings

    for cat in ("NULL", "aNULL", "EXPORT", "LOW", "3DES_IDEA"):
        assert findings.get("cipherlist_" + cat) == "not offered", (cat, findings)
    assert findings.get("cipherlist_STRONG", "").startswith("offered"), findings

    ciphers = [f for i, f in findings.items() if i.startswith("cipher-")]
    assert ciphers, findings
    weak = re.compile(r"NULL|EXP|RC4|DES|IDEA|anon|ADH|AECDH|MD5", re.I)
    for line in ciphers:
        assert line.startswith(("TLS 1.2", "TLS 1.3")), line
        assert not weak.search(line), line

    assert findings.get("cipher_order") == "server", findings.get("cipher_order")
