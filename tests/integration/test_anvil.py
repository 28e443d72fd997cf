"""Per-client limits through anvil(8): connection count and rate, message
and recipient rates, counted over all smtpd processes; a killed smtpd gives
its connections back; without anvil nobody is limited (fail open).

Each test sets smtpd_client_event_limit_exceptions empty, so that the
loopback client (in $mynetworks) is counted, and a long
anvil_rate_time_unit, so that every event of a test falls in one window.
"""
import os
import signal
import socket

from conftest import read_reply, wait_until

LONG_WINDOW = "3600s"


def connect(inst):
    """(socket, file, greeting line) of a new SMTP connection."""
    s = socket.create_connection(("127.0.0.1", inst.port), timeout=30)
    f = s.makefile("rb")
    return s, f, f.readline().decode(errors="replace").rstrip("\r\n")


def reply(f):
    return read_reply(f)[1][-1]



def command(s, f, text):
    s.sendall(text.encode() + b"\r\n")
    return reply(f)


def quit_session(s, f):
    assert command(s, f, "QUIT").startswith("221")
    s.close()


def open_ok(inst):
    """A greeted session, or None when smtpd refused with 421."""
    s, f, greeting = connect(inst)
    if greeting.startswith("220 "):
        return s, f
    assert greeting.startswith("421 4.7.0 "), greeting
    assert f.readline() == b"", "smtpd did not close after 421"
    s.close()
    return None


def limited_instance(new_instance, **settings):
    inst = new_instance()
    conf = {"smtpd_client_event_limit_exceptions": "",
            "anvil_rate_time_unit": LONG_WINDOW}
    conf.update(settings)
    inst.conf(**conf)
    inst.start()
    return inst


def test_connection_count_limit(new_instance):
    inst = limited_instance(new_instance, smtpd_client_connection_count_limit=2)
    first = open_ok(inst)
    second = open_ok(inst)
    assert first and second
    s, f, greeting = connect(inst)
    assert greeting.startswith("421 4.7.0 ") and \
        greeting.endswith("Error: too many connections from 127.0.0.1"), greeting
    assert f.readline() == b""
    s.close()
    wait_until(lambda: "warning: Connection concurrency limit exceeded: 3 "
               "from" in inst.log(), 10, what="concurrency log line")
    assert "for service 127.0.0.1:%d" % inst.port in inst.log()
    # One closes: a new one is let in (the disconnect may reach anvil a
    # moment after the new connect when they go through different smtpd
    # processes, so try a few times).
    quit_session(*first)
    third = None
    for _ in range(50):
        third = open_ok(inst)
        if third:
            break
    assert third, "no connection accepted after one closed"
    # ... and the limit still holds with two open again.
    assert open_ok(inst) is None
    quit_session(*second)
    quit_session(*third)
    assert len(inst.pids().get("anvil", [])) == 1


def test_connection_rate_limit(new_instance):
    inst = limited_instance(new_instance, smtpd_client_connection_rate_limit=3)
    for i in range(3):
        sess = open_ok(inst)
        assert sess, "connection %d refused" % (i + 1)
        quit_session(*sess)
    s, f, greeting = connect(inst)
    assert greeting.startswith("421 4.7.0 ") and \
        greeting.endswith("Error: too many connections from 127.0.0.1"), greeting
    s.close()
    wait_until(lambda: "warning: Connection rate limit exceeded: 4 from"
               in inst.log(), 10, what="rate log line")


def test_message_rate_limit(new_instance):
    inst = limited_instance(new_instance, smtpd_client_message_rate_limit=2)
    s, f = open_ok(inst)
    assert command(s, f, "EHLO client.example").startswith("250")
    for _ in range(2):
        assert command(s, f, "MAIL FROM:<a@example.org>").startswith("250")
        assert command(s, f, "RSET").startswith("250")
    assert command(s, f, "MAIL FROM:<a@example.org>") == \
        "450 4.7.1 Error: too much mail from 127.0.0.1"
    quit_session(s, f)
    # The rate is per client, not per session.
    s, f = open_ok(inst)
    assert command(s, f, "HELO client.example").startswith("250")
    assert command(s, f, "MAIL FROM:<a@example.org>").startswith("450 4.7.1 ")
    quit_session(s, f)
    assert "Message delivery request rate limit exceeded: 3 from" in inst.log()


def test_recipient_rate_limit(new_instance):
    inst = limited_instance(new_instance, smtpd_client_recipient_rate_limit=2)
    s, f = open_ok(inst)
    assert command(s, f, "EHLO client.example").startswith("250")
    assert command(s, f, "MAIL FROM:<a@example.org>").startswith("250")
    assert command(s, f, "RCPT TO:<postmaster>").startswith("250")
    assert command(s, f, "RCPT TO:<postmaster>").startswith("250")
    assert command(s, f, "RCPT TO:<postmaster>") == \
        "450 4.7.1 Error: too many recipients from 127.0.0.1"
    quit_session(s, f)
    assert "Recipient address rate limit exceeded: 3 from" in inst.log()


def test_exceptions_are_not_counted(new_instance):
    inst = new_instance()
    # Default exceptions: $mynetworks, which has the loopback client.
    inst.conf(smtpd_client_connection_count_limit=1)
    inst.start()
    first, second = open_ok(inst), open_ok(inst)
    assert first and second
    quit_session(*first)
    quit_session(*second)


def test_killed_smtpd_gives_its_connections_back(new_instance):
    inst = limited_instance(new_instance, smtpd_client_connection_count_limit=2)
    held = [open_ok(inst), open_ok(inst)]
    assert all(held)
    assert open_ok(inst) is None
    anvil = inst.pids()["anvil"]
    for pid in inst.pids()["smtpd"]:
        os.kill(pid, signal.SIGKILL)
    for s, f in held:
        try:                            # the sessions died with smtpd
            assert f.read() == b""
        except ConnectionResetError:
            pass
        s.close()
    # Without the give-back, anvil would still count 2 (+1 refused): a new
    # client would get 421 at once.  Two are let in again, a third is not.
    again = []
    for _ in range(50):
        sess = open_ok(inst)
        if sess:
            again.append(sess)
            if len(again) == 2:
                break
    assert len(again) == 2, "counts of the killed smtpd were not given back"
    assert open_ok(inst) is None
    for sess in again:
        quit_session(*sess)
    assert inst.pids()["anvil"] == anvil    # anvil itself carried on


def test_without_anvil_nobody_is_limited(new_instance):
    inst = new_instance()
    inst.conf(smtpd_client_event_limit_exceptions="",
              smtpd_client_connection_count_limit=1)
    path = os.path.join(inst.dir, "master.cf")
    lines = open(path).read().splitlines(True)
    open(path, "w").write("".join(l for l in lines if not l.startswith("anvil")))
    inst.start()
    first, second = open_ok(inst), open_ok(inst)
    assert first and second, "a client was limited without anvil"
    quit_session(*first)
    quit_session(*second)
    wait_until(lambda: "client limits are not enforced" in inst.log(), 10,
               what="fail-open warning")
