"""Every SMTP command in every session state, with the exact reply code
and enhanced status code smtpd gives (RFC 5321 4.1.4 ordering, RFC 3463
codes).  One fresh session per cell of the table, driven over a real
socket."""
import socket

import pytest

from conftest import read_reply

STATES = ("START", "READY", "MAIL", "RCPT")

SETUP = {
    "START": [],
    "READY": [b"EHLO client.example"],
    "MAIL": [b"EHLO client.example", b"MAIL FROM:<a@example.org>"],
    "RCPT": [b"EHLO client.example", b"MAIL FROM:<a@example.org>",
             b"RCPT TO:<vera@localhost>"],
}

# command -> {state: (code, enhanced code or None)}; "*" = every state.
TABLE = {
    b"HELO client.example": {"*": (250, None)},
    b"EHLO client.example": {"*": (250, None)},
    b"MAIL FROM:<b@example.org>": {"START": (503, "5.5.1"), "READY": (250, "2.1.0"),
                                   "MAIL": (503, "5.5.1"), "RCPT": (503, "5.5.1")},
    b"RCPT TO:<walt@localhost>": {"START": (503, "5.5.1"), "READY": (503, "5.5.1"),
                                  "MAIL": (250, "2.1.5"), "RCPT": (250, "2.1.5")},
    b"DATA": {"START": (503, "5.5.1"), "READY": (503, "5.5.1"),
              "MAIL": (503, "5.5.1"), "RCPT": (354, None)},
    b"BDAT 0 LAST": {"START": (503, "5.5.1"), "READY": (503, "5.5.1"),
                     "MAIL": (503, "5.5.1"), "RCPT": (250, "2.0.0")},
    b"RSET": {"*": (250, "2.0.0")},
    b"NOOP": {"*": (250, "2.0.0")},
    b"HELP": {"*": (214, "2.0.0")},
    b"VRFY vera": {"*": (502, "5.5.1")},
    b"EXPN staff": {"*": (502, "5.5.1")},
    b"ETRN example.org": {"*": (502, "5.5.1")},
    b"AUTH PLAIN": {"*": (503, "5.5.1")},
    b"STARTTLS": {"START": (220, "2.0.0"), "READY": (220, "2.0.0"),
                  "MAIL": (503, "5.5.1"), "RCPT": (503, "5.5.1")},
    b"XYZZY": {"*": (502, "5.5.2")},
    b"QUIT": {"*": (221, "2.0.0")},
}


def reply(f):
    return read_reply(f)[1]



@pytest.fixture(scope="module")
def server(request):
    # One instance for the whole table (module scope) keeps this quick.
    from conftest import Instance, make_root
    inst = Instance(make_root())
    inst.start()
    yield inst
    inst.stop()


def cases():
    for cmd, want in TABLE.items():
        for state in STATES:
            yield pytest.param(cmd, state, want.get(state, want.get("*")),
                               id="%s-%s" % (cmd.split()[0].decode(), state))


@pytest.mark.parametrize("cmd,state,want", list(cases()))
def test_command_in_state(server, cmd, state, want):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    f = s.makefile("rb")
    try:
        assert reply(f)[-1].startswith("220 ")
        for step in SETUP[state]:
            s.sendall(step + b"\r\n")
            assert reply(f)[-1][:1] == "2", step
        s.sendall(cmd + b"\r\n")
        last = reply(f)[-1]
        code, esc = want
        assert int(last[:3]) == code, (state, cmd, last)
        if esc is not None:
            assert last[4:].split(" ")[0] == esc, (state, cmd, last)
        if code == 354:                  # finish the message cleanly
            s.sendall(b"Subject: x\r\n\r\nx\r\n.\r\n")
            assert reply(f)[-1].startswith("250 2.0.0 ")
    finally:
        s.close()
