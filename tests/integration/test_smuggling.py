"""SMTP smuggling (DESIGN §10, issue 4): no variant of a fake end of data,
in DATA or in BDAT, is taken as the end of the message.

Each attempt hides a second transaction (MAIL FROM:<evil@...> ... DATA
... .) behind a fake end marker.  A server that took the fake marker would
answer the smuggled commands; tegami must give exactly one reply to the
whole content (550 5.5.2: bare CR/LF refuses the message) and then the
QUIT reply, nothing in between.  At the end a clean control message is
delivered, which shows the instance delivers at all, and it must be the
only message in the mailbox: nothing from evil@ was queued or delivered.
"""
import socket

import pytest

from conftest import wait_until

SMUGGLED = (b"MAIL FROM:<evil@attacker.example>\r\n"
            b"RCPT TO:<bob@localhost>\r\n"
            b"DATA\r\n"
            b"From: <evil@attacker.example>\r\n"
            b"Subject: smuggled\r\n\r\n"
            b"evil\r\n.\r\n")

# (name, content before the smuggled transaction); every one has a bare
# CR or LF, so every one refuses the message.
VARIANTS = [
    ("bare LF", b"Subject: x\r\n\r\nbody\n"),
    ("bare CR", b"Subject: x\r\n\r\nbody\r"),
    ("LF.CRLF", b"Subject: x\r\n\r\nbody\n.\r\n"),
    ("CR.LF", b"Subject: x\r\n\r\nbody\r.\n"),
    ("dot LF at start", b".\n"),
    ("CRLF.LF", b"Subject: x\r\n\r\nbody\r\n.\n"),
    ("LF.LF", b"Subject: x\r\n\r\nbody\n.\n"),
    ("CRLF.CR", b"Subject: x\r\n\r\nbody\r\n.\r"),
    ("CR.CRLF", b"Subject: x\r\n\r\nbody\r.\r\n"),
    ("CR.CR", b"Subject: x\r\n\r\nbody\r.\r"),
    ("CRLF.CR LF later", b"Subject: x\r\n\r\nbody\r\n.\rmore\r\n\n"),
]
IDS = [v[0] for v in VARIANTS]


def talk(port, data):
    """After the greeting, send data in one write, then read every reply
    until the server closes; returns the reply lines (the last line of
    each multi-line reply)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    buf = b""
    while b"\r\n" not in buf:       # the greeting first (no PREGREET)
        more = s.recv(65536)
        assert more, "no greeting"
        buf += more
    s.sendall(data)
    while True:
        try:
            more = s.recv(65536)
        except ConnectionResetError:
            more = b""
        if not more:
            break
        buf += more
    s.close()
    lines = buf.decode("utf-8", "replace").split("\r\n")
    return [l for l in lines if len(l) >= 4 and l[3] == " "]


def envelope(rcpt="bob@localhost"):
    return (b"EHLO client.example\r\n"
            b"MAIL FROM:<alice@example.org>\r\n"
            b"RCPT TO:<%s>\r\n" % rcpt.encode())


@pytest.fixture
def inst(instance):
    return instance


def codes(replies):
    return [r[:9] for r in replies]


def control_message_only(inst):
    """Deliver a clean message; it must be the only one bob ever gets."""
    replies = talk(inst.port, envelope() + b"DATA\r\n"
                   b"Subject: control\r\n\r\nclean\r\n.\r\nQUIT\r\n")
    assert replies[-2].startswith("250 2.0.0 Ok: queued as "), replies
    [path] = inst.wait_messages("bob", 1)
    text = open(path, errors="replace").read()
    assert "Subject: control" in text
    wait_until(lambda: "status=sent" in inst.log(), 10, what="delivery log")
    assert "from=<evil@" not in inst.log()
    assert len(inst.messages("bob")) == 1
    assert inst.queue_files() == []


def test_data_smuggling(inst):
    """Every variant in DATA: one 550 for the whole content, then 221."""
    for name, fake in VARIANTS:
        replies = talk(inst.port, envelope() + b"DATA\r\n" + fake + SMUGGLED +
                       b"QUIT\r\n")
        assert replies[0].startswith("220 ") and replies[1].startswith("250 ")
        assert codes(replies)[2:] == ["250 2.1.0", "250 2.1.5", "354 End d",
                                      "550 5.5.2", "221 2.0.0"], (name, replies)
    control_message_only(inst)


@pytest.mark.parametrize("split", ["one chunk", "chunk per byte of the marker"])
def test_bdat_smuggling(inst, split):
    """Every variant in BDAT: the chunks are taken by their size, the
    smuggled commands are content, and the bare CR/LF refuses it at LAST."""
    for name, fake in VARIANTS:
        content = fake + SMUGGLED
        if split == "one chunk":
            chunks = [content]
        else:
            # the fake marker cut into one-byte chunks: a CRLF (or not)
            # across chunk boundaries
            chunks = [fake[i:i + 1] for i in range(len(fake))] + [SMUGGLED]
        data = envelope()
        for i, chunk in enumerate(chunks):
            last = b" LAST" if i == len(chunks) - 1 else b""
            data += b"BDAT %d%s\r\n" % (len(chunk), last) + chunk
        replies = talk(inst.port, data + b"QUIT\r\n")
        want = ["250 2.1.0", "250 2.1.5"] + ["250 2.0.0"] * (len(chunks) - 1) + \
            ["550 5.5.2", "221 2.0.0"]
        assert codes(replies)[2:] == want, (name, replies)
    control_message_only(inst)


def test_bdat_content_that_looks_like_data(inst):
    """Even without any bare CR/LF, commands inside a BDAT chunk are
    content: the message is delivered with them as its body, and the
    smuggled transaction never happens."""
    content = b"Subject: looks like smuggling\r\n\r\nbody\r\n.\r\n" + SMUGGLED
    replies = talk(inst.port, envelope() + b"BDAT %d LAST\r\n" % len(content) +
                   content + b"QUIT\r\n")
    assert codes(replies)[2:] == ["250 2.1.0", "250 2.1.5", "250 2.0.0", "221 2.0.0"]
    [path] = inst.wait_messages("bob", 1)
    text = open(path).read()
    assert "\n.\nMAIL FROM:<evil@attacker.example>\nRCPT TO:<bob@localhost>\n" in text
    wait_until(lambda: "status=sent" in inst.log(), 10, what="delivery log")
    assert "from=<evil@" not in inst.log()
    assert len(inst.messages("bob")) == 1
