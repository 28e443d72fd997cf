"""A message over SMTP reaches the Maildir through every daemon."""
import email
import email.policy
import shutil
import smtplib
import socket
import subprocess

import pytest

from conftest import wait_until


def read_message(path):
    with open(path, "rb") as f:
        return email.message_from_bytes(f.read(), policy=email.policy.compat32)


def smtp_lines(sock, count, timeout=10):
    """Read `count` complete replies (multi-line replies count once)."""
    sock.settimeout(timeout)
    buf = b""
    replies = []
    while len(replies) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            text = line.decode()
            if len(text) >= 4 and text[3] == "-":
                continue
            replies.append(text)
    return replies


def test_message_reaches_maildir_with_headers(instance):
    body = "Subject: hello\r\nFrom: <alice@example.org>\r\nMessage-ID: <m1@example.org>\r\n\r\nfirst line\r\n.leading dot\r\n"
    with smtplib.SMTP("127.0.0.1", instance.port, timeout=30) as s:
        code, banner = s.ehlo("client.example.org")
        assert code == 250
        assert b"PIPELINING" in banner and b"8BITMIME" in banner
        assert b"ENHANCEDSTATUSCODES" in banner and b"SIZE" in banner
        refused = s.sendmail("alice@example.org", ["bob@localhost"], body)
        assert refused == {}
    [path] = instance.wait_messages("bob", 1)
    msg = read_message(path)
    assert msg["Return-Path"] == "<alice@example.org>"
    assert msg["Delivered-To"] == "bob@localhost"
    assert "from client.example.org" in msg["Received"]
    assert "127.0.0.1" in msg["Received"]
    assert msg["Subject"] == "hello"
    assert msg["Message-ID"] == "<m1@example.org>"
    payload = msg.get_payload()
    # Dot-unstuffing and LF line ends in the mailbox.
    assert payload == "first line\n.leading dot\n"
    # The queue is empty once the message is delivered.
    wait_until(lambda: instance.queue_files() == [], 10, what="empty queue")
    log = instance.log()
    assert "status=sent" in log and "to=<bob@localhost>" in log


def test_swaks_delivers(instance):
    swaks = shutil.which("swaks")
    assert swaks, "swaks is installed by scripts/install-deps"
    res = subprocess.run([swaks, "--server", "127.0.0.1:%d" % instance.port,
                          "--from", "sender@example.org", "--to", "carol@localhost",
                          "--header", "Subject: swaks test"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "250 2.0.0 Ok: queued as" in res.stdout
    [path] = instance.wait_messages("carol", 1)
    assert read_message(path)["Subject"] == "swaks test"


def test_pipelined_transaction(instance):
    with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
        assert smtp_lines(s, 1)[0].startswith("220 ")
        s.sendall(b"EHLO pipe.example\r\n")
        assert smtp_lines(s, 1)[0].startswith("250 ")
        # Everything up to DATA in one write, as RFC 2920 allows.
        s.sendall(b"MAIL FROM:<p@example.org>\r\nRCPT TO:<dave@localhost>\r\n"
                  b"RCPT TO:<erin@localhost>\r\nDATA\r\n")
        replies = smtp_lines(s, 4)
        assert [r[:3] for r in replies] == ["250", "250", "250", "354"], replies
        s.sendall(b"Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        replies = smtp_lines(s, 2)
        assert replies[0].startswith("250 2.0.0 Ok: queued as"), replies
        assert replies[1].startswith("221"), replies
    instance.wait_messages("dave", 1)
    instance.wait_messages("erin", 1)


def test_relay_is_denied(new_instance):
    inst = new_instance()
    # The test client (127.0.0.1) is not in mynetworks here.
    inst.conf(mynetworks="192.0.2.0/24")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("relay.example")
        s.mail("spammer@example.org")
        code, text = s.rcpt("victim@example.net")
        assert code == 554, text
        assert b"5.7.1" in text and b"Relay access denied" in text
        # Local mail is still accepted from the same client.
        code, _ = s.rcpt("frank@localhost")
        assert code == 250
    assert "Relay access denied" in inst.log()


def test_unknown_local_user_refused(new_instance):
    inst = new_instance()
    inst.conf(local_recipient_maps="unix:passwd.byname")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("x.example")
        s.mail("a@example.org")
        code, text = s.rcpt("no-such-user-tegami@localhost")
        assert code == 550, text
        assert b"5.1.1" in text
        code, _ = s.rcpt("root@localhost")
        assert code == 250


@pytest.mark.parametrize("payload,expect", [
    (b"Subject: x\r\n\r\nsmuggled\n.\r\nMAIL FROM:<evil@example.org>\r\n", "bare"),
    (b"Subject: x\r\n\r\nsmuggled\r\n.\nMAIL FROM:<evil@example.org>\r\n", "bare"),
    (b"Subject: x\r\n\r\nline with bare CR\r here\r\n", "bare"),
])
def test_bare_newlines_in_data_refused(instance, payload, expect):
    with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
        smtp_lines(s, 1)
        s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<gina@localhost>\r\nDATA\r\n")
        replies = smtp_lines(s, 4)
        assert replies[-1].startswith("354")
        s.sendall(payload + b"\r\n.\r\n")
        [reply] = smtp_lines(s, 1)
        assert reply[0] == "5" and expect in reply.lower(), reply
        # The session is still in step: a new transaction works.
        s.sendall(b"RSET\r\nNOOP\r\n")
        assert [r[:3] for r in smtp_lines(s, 2)] == ["250", "250"]
    # Nothing was delivered, nothing is queued.
    assert instance.messages("gina") == []
    assert instance.queue_files() == []


def test_bare_lf_in_command_refused(instance):
    with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
        smtp_lines(s, 1)
        s.sendall(b"EHLO x\nNOOP\r\n")
        replies = smtp_lines(s, 2)
        assert replies[0].startswith("5"), replies


def test_overlong_lines_refused(instance):
    with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
        smtp_lines(s, 1)
        s.sendall(b"HELO " + b"a" * 5000 + b"\r\n")
        [reply] = smtp_lines(s, 1)
        assert reply.startswith("500 5.5.2"), reply
        s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hank@localhost>\r\nDATA\r\n")
        assert smtp_lines(s, 4)[-1].startswith("354")
        s.sendall(b"Subject: long\r\n\r\n" + b"x" * 5000 + b"\r\n.\r\n")
        [reply] = smtp_lines(s, 1)
        assert reply.startswith("5"), reply
        s.sendall(b"NOOP\r\n")
        assert smtp_lines(s, 1)[0].startswith("250")
    assert instance.messages("hank") == []


def test_disconnect_mid_data_queues_nothing(instance):
    with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
        smtp_lines(s, 1)
        s.sendall(b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<ivan@localhost>\r\nDATA\r\n")
        assert smtp_lines(s, 4)[-1].startswith("354")
        s.sendall(b"Subject: cut\r\n\r\nhalf a mess")
    wait_until(lambda: "lost connection" in instance.log(), 10, what="log line")
    assert instance.queue_files() == []
    assert instance.messages("ivan") == []


def test_junk_commands_end_the_session(new_instance):
    inst = new_instance()
    inst.conf(smtpd_junk_command_limit="3", smtpd_hard_error_limit="2")
    inst.start()
    with socket.create_connection(("127.0.0.1", inst.port), timeout=10) as s:
        smtp_lines(s, 1)
        s.sendall(b"EHLO junk.example\r\n")
        smtp_lines(s, 1)
        # Three are free; the fourth and fifth count as errors, and the
        # second error reaches the hard limit.
        s.sendall(b"NOOP\r\nRSET\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n")
        replies = smtp_lines(s, 7)
        assert [r[:3] for r in replies[:5]] == ["250"] * 5, replies
        assert replies[5].startswith("421 4.7.0"), replies
        assert len(replies) == 6, "the session must end at the limit"
    assert "too many errors after NOOP" in inst.log()
