"""Hostile SMTP clients against smtpd: each gets a precise reply and a log
line, memory stays bounded, and other sessions never notice."""
import socket

from conftest import SANITIZED, read_reply, wait_until


def session(inst, timeout=30):
    s = socket.create_connection(("127.0.0.1", inst.port), timeout=timeout)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    return s, f


reply = read_reply



def rss_kib(pid):
    if SANITIZED:
        return 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def other_session_works(inst):
    s, f = session(inst)
    s.sendall(b"EHLO other.example\r\n")
    code, _ = reply(f)
    s.sendall(b"QUIT\r\n")
    assert reply(f)[0] == 221
    s.close()
    return code == 250


def test_client_that_reads_no_replies(new_instance):
    inst = new_instance()
    inst.conf(smtpd_timeout="3s")
    inst.start()
    s, f = session(inst)
    s.settimeout(2)
    sent = 0
    chunk = b"EHLO flood.example\r\n" * 1000
    try:
        while sent < 200 * len(chunk):      # bounded: ~4 MB of commands
            s.sendall(chunk)
            sent += len(chunk)
    except socket.timeout:
        pass                                 # smtpd stopped reading: good
    assert sent < 200 * len(chunk), "smtpd kept reading without writing"
    assert other_session_works(inst)
    smtpd = inst.pids()["smtpd"]
    assert all(rss_kib(p) < 64 * 1024 for p in smtpd)
    wait_until(lambda: "timeout after EHLO from unknown[127.0.0.1]" in inst.log(),
               30, what="write timeout")
    s.close()


def test_hundred_megabyte_header_section(new_instance):
    inst = new_instance()
    inst.start()
    s, f = session(inst)
    s.sendall(b"EHLO big.example\r\nMAIL FROM:<a@example.org>\r\n"
              b"RCPT TO:<vera@localhost>\r\nDATA\r\n")
    for want in (250, 250, 250, 354):
        assert reply(f)[0] == want
    line = b"X-Junk: " + b"j" * 90 + b"\r\n"
    block = line * 10000                     # ~1 MB
    for _ in range(100):
        s.sendall(block)
    s.sendall(b"\r\nbody\r\n.\r\n")
    code, lines = reply(f)
    assert code == 552 and lines[0].startswith("552 5.3.4 "), lines
    s.sendall(b"NOOP\r\n")                   # the session goes on
    assert reply(f)[0] == 250
    s.close()
    pids = inst.pids()
    for name in ("smtpd", "cleanup"):
        assert all(rss_kib(p) < 64 * 1024 for p in pids.get(name, [])), name
    assert inst.messages("vera") == []


def test_ten_thousand_recipients(new_instance):
    inst = new_instance()
    inst.start()
    s, f = session(inst)
    s.sendall(b"EHLO many.example\r\nMAIL FROM:<a@example.org>\r\n")
    assert reply(f)[0] == 250 and reply(f)[0] == 250
    s.sendall(b"".join(b"RCPT TO:<vera+%d@localhost>\r\n" % i for i in range(10000)))
    codes = []
    try:
        while len(codes) < 10000:
            code, lines = reply(f)
            codes.append(code)
            if code == 421:
                break
    except AssertionError:
        pass
    assert codes[:1000] == [250] * 1000
    assert codes[1000] == 452
    assert codes[-1] == 421                  # the error limit ends it
    assert len(codes) < 1100
    s.close()
    wait_until(lambda: "too many errors after RCPT from unknown[127.0.0.1]" in inst.log(),
               10, what="log")
    assert other_session_works(inst)


def test_slow_clients_do_not_stall_others(new_instance):
    inst = new_instance()
    inst.start()
    idle = [session(inst) for _ in range(50)]   # connected, silent
    for s, f in idle[:25]:
        s.sendall(b"EHLO half")                 # half a command, then nothing
    assert other_session_works(inst)
    for s, f in idle:
        s.close()
