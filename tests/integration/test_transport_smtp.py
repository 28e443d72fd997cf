"""smtp-client (program `smtp`): outbound delivery, first cut.

Receivers the tests start themselves: Postfix's smtp-sink (Debian's postfix
package) for the plain path, a scripted misbehaving server in Python for the
failure classes, and unbound (dnsserver.py) serving MX, null MX and
NXDOMAIN answers.  Results are checked in the maillog (status=sent /
deferred / bounced) and, for bounces, in the local sender's Maildir.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile


from conftest import log_line, wait_until
from dnsserver import DnsServer
from scripted_smtp import Script, free_port

SMTP_SINK = "/usr/sbin/smtp-sink"
MYHOST = "client.test"
MSG = "From: vera@localhost\nSubject: outbound\n\nline one\n.leading dot\n"



def bounce_texts(inst):
    return [open(p, "rb").read() for p in inst.messages("vera")]


def configure(inst, **settings):
    inst.conf(myhostname=MYHOST, **settings)


def test_relayhost_delivers_to_smtp_sink(new_instance):
    """relayhost = [127.0.0.1]:PORT: no DNS, one session to Postfix's
    smtp-sink, which keeps the message as tegami sent it."""
    inst = new_instance()
    port = free_port()
    dump = tempfile.mkdtemp(prefix="tegami-sink-")
    os.chmod(dump, 0o777)
    sink = subprocess.Popen([SMTP_SINK, "-u", "nobody", "-h", "sink.test",
                             "-d", dump + "/%H%M%S.", "127.0.0.1:%d" % port, "10"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: subprocess.run(
            ["bash", "-c", "echo > /dev/tcp/127.0.0.1/%d" % port],
            capture_output=True).returncode == 0, 10, what="smtp-sink")
        configure(inst, relayhost="[127.0.0.1]:%d" % port)
        inst.start()
        inst.sendmail(["-f", "vera@localhost", "bob@example.net",
                       "carol@example.net"], MSG)
        line = log_line(inst, "bob@example.net", "sent")
        assert "relay=127.0.0.1[127.0.0.1]:%d," % port in line
        assert re.search(r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, "
                         r"dsn=2\.0\.0, status=sent \(250 ", line), line
        log_line(inst, "carol@example.net", "sent")
        files = wait_until(lambda: glob.glob(dump + "/*"), 10, what="dump")
        data = open(files[0], "rb").read()
        # One transaction for both recipients (one request per next hop).
        # smtp-sink removes the dot-stuffing: the line comes back as it was
        # only if tegami doubled the leading dot on the wire.
        assert b"bob@example.net" in data and b"carol@example.net" in data
        assert b"X-Helo-Args: client.test\n" in data
        assert b"\n\nline one\n.leading dot\n" in data
        wait_until(lambda: inst.queue_files() == [], 20, what="empty queue")
    finally:
        sink.kill()
        sink.wait()
        shutil.rmtree(dump, ignore_errors=True)


def test_scripted_success_without_pipelining_helo_fallback_native_lookup(new_instance):
    inst = new_instance()
    nopipe, noehlo = Script("nopipe"), Script("noehlo")
    try:
        tmap = os.path.join(inst.dir, "transport")
        with open(tmap, "w") as f:
            f.write("nopipe.example smtp:[127.0.0.1]:%d\n" % nopipe.port)
            f.write("noehlo.example smtp:[127.0.0.1]:%d\n" % noehlo.port)
            # smtp_host_lookup = native: getaddrinfo and /etc/hosts.
            f.write("native.example smtp:localhost:%d\n" % nopipe.port)
        configure(inst, transport_maps="texthash:" + tmap, smtp_host_lookup="native")
        inst.start()
        inst.sendmail(["-f", "vera@localhost", "a@nopipe.example",
                       "hard@nopipe.example"], MSG)
        inst.sendmail(["-f", "vera@localhost", "b@noehlo.example"], MSG)
        line = log_line(inst, "a@nopipe.example", "sent")
        assert "(250 2.0.0 Ok: queued as SCRIPT1)" in line
        line = log_line(inst, "hard@nopipe.example", "bounced")
        assert "dsn=5.1.1" in line and "in reply to RCPT TO command" in line
        log_line(inst, "b@noehlo.example", "sent")
        inst.sendmail(["-f", "vera@localhost", "c@native.example"], MSG)
        line = log_line(inst, "c@native.example", "sent")
        assert "relay=localhost[127.0.0.1]:%d" % nopipe.port in line, line
        assert any(c.startswith("HELO ") for c in noehlo.commands)
        assert nopipe.messages[0]["data"].endswith(b"..leading dot\r\n")
        # The 5xx recipient is returned to the sender with a DSN.
        texts = wait_until(lambda: bounce_texts(inst), 30, what="bounce")
        assert b"hard@nopipe.example" in texts[0]
    finally:
        nopipe.close()
        noehlo.close()


FAILURES = [
    # (behaviour, recipient, status, text in the log line, dsn)
    ("greet5xx", "a@greet5xx.example", "deferred", "refused to talk to me: 554", None),
    ("garbage", "a@garbage.example", "deferred", "malformed reply", None),
    ("longline", "a@longline.example", "deferred", "reply line too long", None),
    ("manylines", "a@manylines.example", "deferred", "too many lines", None),
    ("dropdata", "a@dropdata.example", "deferred", "lost connection", None),
    ("stall", "a@stall.example", "deferred", "timed out while receiving the initial server greeting", None),
    ("stallmail", "a@stallmail.example", "deferred", "timed out while receiving the MAIL FROM reply", None),
    ("stalldot", "a@stalldot.example", "deferred", "timed out while receiving the end of data reply", None),
    ("loop", "a@loop.example", "bounced", "loops back to myself", "5.4.6"),
    ("size", "a@size.example", "bounced", "exceeds size limit 100", "5.3.4"),
    ("ok", "soft@soft.example", "deferred", "450 4.2.0", "4.2.0"),
]


def test_failure_classes(new_instance):
    inst = new_instance()
    servers = {b: Script(b, greet_name=MYHOST if b == "loop" else None)
               for b, *_ in FAILURES}
    try:
        tmap = os.path.join(inst.dir, "transport")
        with open(tmap, "w") as f:
            for b, rcpt, *_ in FAILURES:
                f.write("%s smtp:[127.0.0.1]:%d\n" % (rcpt.split("@")[1],
                                                      servers[b].port))
        # The stall case must end by our timeout, not the server's.
        configure(inst, transport_maps="texthash:" + tmap, smtp_helo_timeout="2s",
                  smtp_mail_timeout="2s", smtp_data_done_timeout="2s")
        inst.start()
        big = MSG + ("x" * 70 + "\n") * 10
        for b, rcpt, *_ in FAILURES:
            inst.sendmail(["-f", "vera@localhost", rcpt], big if b == "size" else MSG)
        for b, rcpt, status, text, dsn in FAILURES:
            line = log_line(inst, rcpt, status)
            assert text in line, line
            if dsn:
                assert "dsn=%s" % dsn in line, line
            assert "relay=127.0.0.1[127.0.0.1]:%d" % servers[b].port in line, line
        # Nothing was delivered by the broken servers.
        assert servers["dropdata"].messages == []
        # The two bounces reach the sender; the deferred mail stays queued.
        texts = wait_until(lambda: len(bounce_texts(inst)) >= 2 and bounce_texts(inst),
                           30, what="two bounces")
        joined = b"".join(texts)
        assert b"loops back to myself" in joined
        assert b"a@size.example" in joined
        assert len(inst.queue_files("deferred", "active", "incoming")) >= 1
    finally:
        for s in servers.values():
            s.close()


def test_mx_lookup_null_mx_and_nxdomain(new_instance):
    """MX by preference (a dead best MX, then the live one), the implicit
    MX, a null MX bounced 5.1.10 at once, NXDOMAIN bounced 5.1.2, a DNS
    failure deferred."""
    inst = new_instance()
    srv = Script("ok", name="mx2.dest.example")
    records = [
        # 127.0.0.2: nothing listens there -> connection refused.
        "dest.example. MX 5 mx1.dest.example.",
        "dest.example. MX 10 mx2.dest.example.",
        "mx1.dest.example. A 127.0.0.2",
        "mx2.dest.example. A 127.0.0.1",
        "implicit.example. A 127.0.0.1",
        "nullmx.example. MX 0 .",
    ]
    try:
        with DnsServer(records) as dns:
            tmap = os.path.join(inst.dir, "transport")
            with open(tmap, "w") as f:
                # "host:port": MX lookup, then this port.
                for d in ("dest.example", "implicit.example", "nullmx.example",
                          "nx.example", "x.refused"):
                    f.write("%s smtp:%s:%d\n" % (d, d, srv.port))
            configure(inst, transport_maps="texthash:" + tmap, smtp_host_lookup="dns",
                  dns_nameservers=dns.address)
            inst.start()
            for rcpt in ("a@dest.example", "b@implicit.example",
                         "c@nullmx.example", "d@nx.example", "e@x.refused"):
                inst.sendmail(["-f", "vera@localhost", rcpt], MSG)
            line = log_line(inst, "a@dest.example", "sent")
            assert "relay=mx2.dest.example[127.0.0.1]:%d" % srv.port in line
            line = log_line(inst, "b@implicit.example", "sent")
            assert "relay=implicit.example[127.0.0.1]:%d" % srv.port in line
            line = log_line(inst, "c@nullmx.example", "bounced")
            assert "dsn=5.1.10" in line and "does not accept mail (nullMX)" in line
            line = log_line(inst, "d@nx.example", "bounced")
            assert "dsn=5.1.2" in line and "Host or domain name not found" in line
            line = log_line(inst, "e@x.refused", "deferred")
            assert "dsn=4.4.3" in line
            texts = wait_until(lambda: len(bounce_texts(inst)) >= 2 and bounce_texts(inst),
                               30, what="two bounces")
            joined = b"".join(texts)
            assert b"c@nullmx.example" in joined and b"d@nx.example" in joined
            # The best MX was tried first and refused the connection.
            assert re.search(r"connect to mx1\.dest\.example\[127\.0\.0\.2\]:%d: "
                             r"Connection refused" % srv.port, inst.log())
    finally:
        srv.close()


def test_delivery_to_postfix(new_instance):
    """Debian's Postfix as the receiving server: a message it accepts (its
    queue id comes back in our log line) and one bigger than the SIZE it
    announces (bounced 5.3.4 without being sent)."""
    from postfix_peer import PostfixPeer
    inst = new_instance()
    with PostfixPeer(mydestination="remote.example", local_recipient_maps="",
                     local_transport="discard:", message_size_limit="2000") as pfx:
        configure(inst, relayhost="[127.0.0.1]:%d" % pfx.port)
        inst.start()
        inst.sendmail(["-f", "vera@localhost", "u@remote.example"], MSG)
        line = log_line(inst, "u@remote.example", "sent")
        # Postfix offers CHUNKING, so the content went in BDAT, whose reply
        # says how many bytes it took.
        m = re.search(r"status=sent \(250 2\.0\.0 Ok: \d+ bytes queued as "
                      r"(\w+)\)", line)
        assert m, line
        log = pfx.wait_log("%s: to=<u@remote.example>" % m.group(1))
        assert re.search(r"%s: from=<vera@localhost>" % m.group(1), log), log
        inst.sendmail(["-f", "vera@localhost", "big@remote.example"],
                      MSG + ("y" * 70 + "\n") * 40)
        line = log_line(inst, "big@remote.example", "bounced")
        assert "dsn=5.3.4" in line and "exceeds size limit 2000" in line, line
        texts = wait_until(lambda: bounce_texts(inst), 30, what="bounce")
        assert b"big@remote.example" in texts[0]
        assert "big@remote.example" not in pfx.log()
