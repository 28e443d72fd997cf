"""Address rewriting in cleanup, end to end (canonical(5), virtual(5),
masquerade_domains).

Tables are written into the instance directory (texthash: read directly,
hash: built with `tegami map`), named in main.cf, and messages sent with
smtplib: a virtual alias domain fans out to two local mailboxes and refuses
an unknown address at RCPT; sender_canonical_maps rewrites the envelope
sender (Return-Path:) and From:; masquerade_domains strips the host part.
"""
import os
import smtplib
import subprocess

import pytest

from conftest import BIN


def write_table(inst, name, text, build=False):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    if not build:
        return "texthash:" + path
    res = subprocess.run([os.path.join(BIN, "tegami"), "-c", inst.dir, "map",
                          "hash:" + path], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return "hash:" + path


def send(inst, sender, rcpts, text):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        return s.sendmail(sender, rcpts, text)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def header_block(text):
    return text.split("\n\n", 1)[0]


@pytest.mark.parametrize("build", [False, True], ids=["texthash", "hash"])
def test_virtual_alias_domain(new_instance, build):
    inst = new_instance()
    spec = write_table(inst, "virtual", (
        "# a virtual alias domain\n"
        "example.com        anything\n"
        "info@example.com   alice, bob\n"), build)
    inst.conf(virtual_alias_maps=spec, alias_maps="")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        code, msg = s.rcpt("x@example.com")
        assert code == 550
        assert b"5.1.1 <x@example.com>: Recipient address rejected: " \
            b"User unknown in virtual alias table" in msg
        code, msg = s.rcpt("info@example.com")
        assert code == 250
        code, msg = s.data(b"From: sender@example.org\r\nSubject: fan out\r\n"
                           b"\r\nhello virtual\r\n")
        assert code == 250
    for user in ("alice", "bob"):
        msgs = inst.wait_messages(user, 1)
        text = read(msgs[0])
        assert "hello virtual" in text
        # Header recipients are not expanded (as Postfix).
        assert "Subject: fan out" in text
    assert inst.messages("info") == []


def test_virtual_alias_domain_relay_and_sendmail(new_instance):
    """A virtual alias domain is accepted from a client outside
    $mynetworks (other remote domains are not); from sendmail an unknown
    address of the domain is dropped with a log line, the rest delivered."""
    inst = new_instance()
    spec = write_table(inst, "virtual", (
        "example.com        anything\n"
        "info@example.com   alice\n"))
    inst.conf(virtual_alias_maps=spec, alias_maps="", mynetworks="10.9.9.0/24")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        code, msg = s.rcpt("someone@remote.example")
        assert code == 554 and b"Relay access denied" in msg
        code, msg = s.rcpt("info@example.com")
        assert code == 250
        code, msg = s.data(b"Subject: relay\r\n\r\nfrom outside\r\n")
        assert code == 250
    assert "from outside" in read(inst.wait_messages("alice", 1)[0])
    inst.sendmail(["-f", "sender@localhost", "nobody@example.com",
                   "info@example.com"], "Subject: local\n\nfrom sendmail\n")
    msgs = inst.wait_messages("alice", 2)
    assert any("from sendmail" in read(m) for m in msgs)
    assert "to=<nobody@example.com>: 5.1.1 User unknown in virtual alias table" \
        in inst.log()
    assert inst.messages("nobody") == []


def test_sender_canonical(new_instance):
    inst = new_instance()
    spec = write_table(inst, "sender_canonical",
                       "alice@example.org   a.smith@example.net\n", True)
    inst.conf(sender_canonical_maps=spec, alias_maps="")
    inst.start()
    send(inst, "alice@example.org", ["bob@localhost"],
         "From: Alice Smith <alice@example.org>\r\nTo: bob@localhost\r\n"
         "Subject: canonical\r\n\r\nsigned alice@example.org\r\n")
    text = read(inst.wait_messages("bob", 1)[0])
    hdrs = header_block(text)
    assert "Return-Path: <a.smith@example.net>" in hdrs
    assert "From: Alice Smith <a.smith@example.net>" in hdrs
    assert "To: bob@localhost" in hdrs
    # The body is never rewritten.
    assert "signed alice@example.org" in text


def test_masquerade_domains(new_instance):
    inst = new_instance()
    inst.conf(masquerade_domains="example.org", masquerade_exceptions="root",
              alias_maps="")
    inst.start()
    send(inst, "user@host.example.org", ["bob@localhost"],
         "From: User <user@host.example.org>\r\n"
         "Cc: root@host.example.org\r\nSubject: masq\r\n\r\nhi\r\n")
    hdrs = header_block(read(inst.wait_messages("bob", 1)[0]))
    assert "From: User <user@example.org>" in hdrs
    assert "Return-Path: <user@example.org>" in hdrs
    assert "Cc: root@host.example.org" in hdrs


def test_broken_table_defers(new_instance):
    inst = new_instance()
    inst.conf(canonical_maps="hash:" + os.path.join(inst.dir, "missing"),
              alias_maps="")
    inst.start()
    with pytest.raises(smtplib.SMTPDataError) as e:
        send(inst, "a@example.org", ["bob@localhost"], "Subject: x\r\n\r\nx\r\n")
    assert e.value.smtp_code == 451
    assert inst.messages("bob") == []


def test_broken_virtual_table_451_at_rcpt(new_instance):
    inst = new_instance()
    inst.conf(virtual_alias_maps="hash:" + os.path.join(inst.dir, "missing"),
              virtual_alias_domains="example.com", alias_maps="")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        code, msg = s.rcpt("info@example.com")
        assert code == 451 and b"4.3.0" in msg
