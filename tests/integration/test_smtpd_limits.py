"""smtpd's engine-level defences: the pre-greeting test, error limits and
the error sleep, per-session command limits.  Real sockets against a real
instance; every wait is bounded."""
import select
import socket
import time

from conftest import read_reply, wait_until


def connect(inst, timeout=30):
    s = socket.create_connection(("127.0.0.1", inst.port), timeout=timeout)
    return s, s.makefile("rb")


reply = read_reply



def outsider(inst, **kw):
    """An instance that does not count 127.0.0.1 as one of its networks."""
    inst.conf(mynetworks="192.0.2.0/24", **kw)


def test_pregreet_client_is_disconnected(new_instance):
    inst = new_instance()
    outsider(inst, smtpd_greet_wait="3s")
    inst.start()
    s, f = connect(inst)
    s.sendall(b"EHLO early.example\r\n")
    code, lines = reply(f)
    assert code == 554 and lines[0].startswith("554 5.5.1 "), lines
    assert f.readline() == b""            # and the connection is closed
    s.close()
    wait_until(lambda: "PREGREET 20 after CONNECT from unknown[127.0.0.1]: "
               "EHLO early.example\\x0d\\x0a" in inst.log(), 10, what="log")


def test_pregreet_credentials_are_not_logged(new_instance):
    inst = new_instance()
    outsider(inst, smtpd_greet_wait="3s")
    inst.start()
    s, f = connect(inst)
    s.sendall(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
    assert reply(f)[0] == 554
    s.close()
    wait_until(lambda: "PREGREET 33 after CONNECT from unknown[127.0.0.1]: "
               "AUTH <redacted>" in inst.log(), 10, what="log")
    assert "AGFsaWNl" not in inst.log()


def test_patient_client_is_greeted_after_the_wait(new_instance):
    inst = new_instance()
    outsider(inst, smtpd_greet_wait="1s")
    inst.start()
    s, f = connect(inst)
    code, lines = reply(f)               # waits for the banner
    assert code == 220, lines
    s.sendall(b"EHLO patient.example\r\n")
    assert reply(f)[0] == 250
    s.sendall(b"QUIT\r\n")
    assert reply(f)[0] == 221
    s.close()
    assert "PREGREET" not in inst.log()


def test_mynetworks_client_may_not_pregreet_either(new_instance):
    # Without a wait there is no window to talk into; a client in
    # $mynetworks is greeted at once and its pipelined EHLO is just early.
    inst = new_instance()
    inst.conf(smtpd_greet_wait="30s")
    inst.start()
    s, f = connect(inst)
    code, lines = reply(f)
    assert code == 220, lines
    s.close()


def test_hard_error_limit_closes_with_421(new_instance):
    inst = new_instance()
    inst.conf(smtpd_hard_error_limit="3", smtpd_soft_error_limit="0")
    inst.start()
    s, f = connect(inst)
    assert reply(f)[0] == 220
    s.sendall(b"BOGUS 1\r\nBOGUS 2\r\nBOGUS 3\r\n")
    assert reply(f)[0] == 502
    assert reply(f)[0] == 502
    code, lines = reply(f)
    assert code == 502
    code, lines = reply(f)
    assert code == 421 and lines[0].startswith("421 4.7.0 "), lines
    assert f.readline() == b""
    s.close()
    wait_until(lambda: "too many errors after UNKNOWN from unknown[127.0.0.1]"
               in inst.log(), 10, what="log")


def test_error_sleep_holds_replies_past_the_soft_limit(new_instance):
    # Past smtpd_soft_error_limit every error reply waits
    # smtpd_error_sleep_time.  With an hour of sleep the third error's reply
    # cannot arrive while we look, yet another session is served meanwhile.
    inst = new_instance()
    inst.conf(smtpd_soft_error_limit="2", smtpd_error_sleep_time="3600s")
    inst.start()
    s, f = connect(inst)
    assert reply(f)[0] == 220
    s.sendall(b"BOGUS 1\r\nBOGUS 2\r\n")
    assert reply(f)[0] == 502
    assert reply(f)[0] == 502
    s.sendall(b"BOGUS 3\r\n")
    other, of = connect(inst)
    assert reply(of)[0] == 220
    other.sendall(b"NOOP\r\n")
    assert reply(of)[0] == 250
    other.close()
    ready, _, _ = select.select([s], [], [], 1.0)
    assert not ready, "the reply to the third error was not held"
    s.close()


def test_successful_message_clears_the_error_count(new_instance):
    inst = new_instance()
    inst.conf(smtpd_hard_error_limit="3", smtpd_soft_error_limit="0")
    inst.start()
    s, f = connect(inst)
    assert reply(f)[0] == 220
    s.sendall(b"EHLO x.example\r\n")
    assert reply(f)[0] == 250
    for _ in range(2):
        s.sendall(b"BOGUS\r\n")
        assert reply(f)[0] == 502
    s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<vera@localhost>\r\nDATA\r\n")
    assert reply(f)[0] == 250
    assert reply(f)[0] == 250
    assert reply(f)[0] == 354
    s.sendall(b"Subject: x\r\n\r\nbody\r\n.\r\n")
    assert reply(f)[0] == 250
    for _ in range(2):
        s.sendall(b"BOGUS\r\n")
        assert reply(f)[0] == 502
    s.sendall(b"NOOP\r\n")               # still in the session: no 421 yet
    assert reply(f)[0] == 250
    s.close()


def trickle(inst, setup, text, seconds):
    """Send text a byte at a time, every 0.4 s, for at most `seconds`;
    returns the reply that ended it, or None."""
    import time
    s, f = connect(inst)
    assert reply(f)[0] == 220
    for cmd in setup:
        s.sendall(cmd + b"\r\n")
        assert reply(f)[0] in (250, 354)
    s.settimeout(0.4)
    end = time.monotonic() + seconds
    got = None
    for ch in text:
        if time.monotonic() > end:
            break
        try:
            s.sendall(bytes([ch]))
            data = s.recv(1000)
            if data:
                got = data.decode(errors="replace")
                break
        except socket.timeout:
            continue
        except OSError:
            break
    s.close()
    return got


def test_per_record_deadline_ends_a_trickling_command(new_instance):
    inst = new_instance()
    inst.conf(smtpd_timeout="2s")
    inst.start()
    got = trickle(inst, [], b"EHLO " + b"x" * 100, 20)
    assert got and got.startswith("421 4.4.2 "), got
    got = trickle(inst, [b"EHLO x.example", b"MAIL FROM:<a@example.org>",
                         b"RCPT TO:<vera@localhost>", b"DATA"],
                  b"Subject: " + b"y" * 100, 20)
    assert got and got.startswith("421 4.4.2 "), got
    assert inst.messages("vera") == []


def test_without_per_record_deadline_each_read_resets_the_clock(new_instance):
    inst = new_instance()
    inst.conf(smtpd_timeout="2s", smtpd_per_record_deadline="no")
    inst.start()
    # A byte every 0.4 s for 4 s: twice smtpd_timeout, and no reply.
    assert trickle(inst, [], b"EHLO " + b"x" * 100, 4) is None

