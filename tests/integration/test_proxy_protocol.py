"""smtpd behind a load balancer: HAProxy's PROXY protocol v1 and v2
(smtpd_upstream_proxy_protocol = haproxy).  The header names the real
client, which smtpd then uses for its logs, its policy and Received:; a
header that is malformed, too long or late ends the connection with a
reply and a log line."""
import socket
import struct

from conftest import read_reply, wait_until

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(src, dst, sport, dport, command=0x21, family=0x11, tlv=b""):
    addrs = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    body = addrs + tlv
    return V2_SIG + bytes([command, family]) + struct.pack("!H", len(body)) + body


def proxied(inst, **kw):
    conf = dict(smtpd_upstream_proxy_protocol="haproxy", smtpd_greet_wait="0s")
    conf.update(kw)
    inst.conf(**conf)
    inst.start()


def session(inst):
    s = socket.create_connection(("127.0.0.1", inst.port), timeout=30)
    return s, s.makefile("rb")


reply = read_reply



def send_message(s, f, rcpt="vera@localhost"):
    for cmd, want in ((b"EHLO lb.example", 250), (b"MAIL FROM:<a@example.org>", 250),
                      (b"RCPT TO:<%s>" % rcpt.encode(), 250), (b"DATA", 354)):
        s.sendall(cmd + b"\r\n")
        code, lines = reply(f)
        assert code == want, (cmd, lines)
    s.sendall(b"Subject: proxied\r\n\r\nhello\r\n.\r\n")
    code, lines = reply(f)
    assert code == 250, lines


def test_v1_header_names_the_client(new_instance):
    inst = new_instance()
    proxied(inst)
    s, f = session(inst)
    s.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40001 25\r\n")
    assert reply(f)[0] == 220
    send_message(s, f)
    s.close()
    msg = open(inst.wait_messages("vera", 1)[0]).read()
    assert "[192.0.2.7]" in msg.split("\n\n")[0]
    log = inst.log()
    assert "connect from unknown[192.0.2.7]" in log
    assert "client=unknown[192.0.2.7]" in log


def test_v1_tcp6(new_instance):
    inst = new_instance()
    proxied(inst)
    s, f = session(inst)
    s.sendall(b"PROXY TCP6 2001:db8::7 2001:db8::1 40001 25\r\n")
    assert reply(f)[0] == 220
    s.close()
    wait_until(lambda: "connect from unknown[2001:db8::7]" in inst.log(), 10, what="log")


def test_v2_header_in_pieces_with_tlv(new_instance):
    inst = new_instance()
    proxied(inst)
    s, f = session(inst)
    hdr = v2_header("198.51.100.9", "127.0.0.1", 40002, 25,
                    tlv=b"\x04\x00\x03abc")          # a NOOP TLV, skipped
    for i in range(0, len(hdr), 5):                  # arrives in pieces
        s.sendall(hdr[i:i + 5])
    assert reply(f)[0] == 220
    send_message(s, f)
    s.close()
    inst.wait_messages("vera", 1)
    assert "client=unknown[198.51.100.9]" in inst.log()


def test_v2_local_keeps_the_connection_address(new_instance):
    inst = new_instance()
    proxied(inst)
    s, f = session(inst)
    s.sendall(V2_SIG + bytes([0x20, 0x00]) + b"\x00\x00")   # LOCAL, health check
    assert reply(f)[0] == 220
    s.close()
    wait_until(lambda: "connect from unknown[127.0.0.1]" in inst.log(), 10, what="log")


def expect_refused(inst, data):
    before = inst.log().count("haproxy read: ")
    s, f = session(inst)
    if data:
        s.sendall(data)
    code, lines = reply(f)
    assert lines[-1].startswith("421 4."), lines
    assert f.readline() == b""
    s.close()
    wait_until(lambda: inst.log().count("haproxy read: ") > before, 10,
               what="a haproxy log line")
    assert "from [127.0.0.1]:" in inst.log().split("haproxy read: ")[-1]


def test_plain_smtp_client_is_refused_at_once(new_instance):
    inst = new_instance()
    proxied(inst)
    expect_refused(inst, b"EHLO direct.example\r\n")


def test_malformed_headers(new_instance):
    inst = new_instance()
    proxied(inst)
    for bad in (b"PROXY TCP4 192.0.2.300 127.0.0.1 1 25\r\n",
                b"PROXY TCP4 192.0.2.7 127.0.0.1 99999 25\r\n",
                b"PROXY TCP4 2001:db8::1 127.0.0.1 1 25\r\n",
                b"PROXY TCP9 192.0.2.7 127.0.0.1 1 25\r\n",
                b"PROXY TCP4 192.0.2.7 127.0.0.1 1 25\n",
                V2_SIG + bytes([0x31, 0x11]) + b"\x00\x0c" + b"\x00" * 12,
                V2_SIG + bytes([0x21, 0x11]) + b"\x00\x04" + b"\x00" * 4):
        expect_refused(inst, bad)


def test_overlong_headers(new_instance):
    inst = new_instance()
    proxied(inst)
    expect_refused(inst, b"PROXY TCP4 " + b"1" * 200 + b"\r\n")
    expect_refused(inst, V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", 60000)
                   + b"\x00" * 600)


def test_late_header_times_out(new_instance):
    inst = new_instance()
    proxied(inst, smtpd_upstream_proxy_timeout="1s")
    s, f = session(inst)
    s.sendall(b"PROXY TCP4 192.0.2.7")             # and then nothing
    code, lines = reply(f)
    assert lines[-1].startswith("421 4.4.2 "), lines
    s.close()
    wait_until(lambda: "haproxy read: timeout error from [127.0.0.1]" in inst.log(),
               10, what="log")


def test_real_client_after_header_may_not_pregreet(new_instance):
    inst = new_instance()
    proxied(inst, smtpd_greet_wait="2s")
    s, f = session(inst)
    s.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40001 25\r\nEHLO early\r\n")
    code, lines = reply(f)
    assert code == 554, lines
    s.close()
    wait_until(lambda: "PREGREET 12 after CONNECT from unknown[192.0.2.7]" in inst.log(),
               10, what="log")

