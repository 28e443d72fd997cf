"""ESMTP extensions of smtpd end to end: CHUNKING/BDAT (RFC 3030), DSN
(RFC 3461), SMTPUTF8 (RFC 6531), SIZE during BDAT, and
smtpd_discard_ehlo_keywords.

Conversations go over raw sockets (exact replies, pipelined BDAT chunks);
what was stored is read back from the queue file with `tegami qdump`
(header_checks HOLD keeps a message in hold/), and what was delivered
from the recipient's Maildir.  The reply texts of every parameter error
are in tests/proto/*.chat.
"""
import os
import socket
import subprocess

import pytest

from conftest import BIN, wait_until

HOLD_TABLE = "/^Subject: hold me/ HOLD\n"


class Client:
    """A raw SMTP client: send bytes, read whole replies."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def reply(self):
        """One (multi-line) reply as text, None at EOF."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                try:
                    more = self.sock.recv(65536)
                except ConnectionResetError:
                    more = b""
                if not more:
                    return "\n".join(lines) if lines else None
                self.buf += more
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(lines[-1]) < 4 or lines[-1][3] != "-":
                return "\n".join(lines)

    def cmd(self, data):
        self.send(data)
        return self.reply()

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def close(self):
        self.sock.close()


def greeted(inst, helo="client.example"):
    c = Client(inst.port)
    assert c.reply().startswith("220 ")
    ehlo = c.cmd("EHLO %s\r\n" % helo)
    assert ehlo.startswith("250"), ehlo
    return c, ehlo


def write_table(inst, name, text):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def qdump(inst, sub="hold"):
    """The dump of the one queue file in spool/SUB."""
    wait_until(lambda: inst.queue_files(sub), 15, what="a file in " + sub)
    [name] = inst.queue_files(sub)
    res = inst.tegami("qdump", os.path.join(inst.spool, sub, name), check=True)
    return res.stdout


@pytest.fixture
def held(new_instance):
    """Every message with "Subject: hold me" stays in hold/."""
    inst = new_instance()
    inst.conf(header_checks="pcre:" + write_table(inst, "hold", HOLD_TABLE))
    inst.start()
    return inst


def test_ehlo_offers_the_extensions(instance):
    c, ehlo = greeted(instance)
    lines = [l[4:] for l in ehlo.split("\n")]
    for kw in ("PIPELINING", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
               "ENHANCEDSTATUSCODES"):
        assert kw in lines, ehlo
    assert "BINARYMIME" not in lines
    assert c.cmd("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n") == \
        "555 5.5.4 Unsupported option: BODY=BINARYMIME"
    c.close()


def test_dsn_parameters_reach_the_queue_file(held):
    c, _ = greeted(held)
    c.send("MAIL FROM:<alice@example.org> RET=HDRS ENVID=QQ+2B314\r\n"
           "RCPT TO:<bob@localhost> NOTIFY=SUCCESS,DELAY"
           " ORCPT=rfc822;orig+2Buser@example.org\r\n"
           "RCPT TO:<carol@localhost> NOTIFY=NEVER\r\n"
           "RCPT TO:<dave@localhost>\r\n"
           "DATA\r\n")
    assert c.replies(5) == ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                            "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"]
    assert c.cmd("Subject: hold me\r\n\r\nbody\r\n.\r\n").startswith(
        "250 2.0.0 Ok: queued as ")
    c.close()
    dump = qdump(held)
    assert "attr: envid=QQ+314\n" in dump
    assert "attr: ret=HDRS\n" in dump
    assert ("recipient: bob@localhost status=pending notify=10"
            " orcpt=rfc822;orig+user@example.org\n") in dump
    assert "recipient: carol@localhost status=pending notify=1\n" in dump
    assert "recipient: dave@localhost status=pending notify=0\n" in dump
    assert "flags: 0x0\n" in dump
    assert "attr: protocol=ESMTP\n" in dump


def test_smtputf8_flag_and_addresses_in_the_queue_file(held):
    c, _ = greeted(held)
    c.send("MAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n"
           "RCPT TO:<bob@localhost> ORCPT=rfc822;b+C3+B6b@example.org\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    msg = "Subject: hold me\r\nFrom: Jörg <jörg@bücher.example>\r\n\r\nGrüße\r\n"
    data = msg.encode("utf-8")
    assert c.cmd(b"BDAT %d LAST\r\n" % len(data) + data).startswith(
        "250 2.0.0 Ok: queued as ")
    c.close()
    dump = qdump(held)
    assert "flags: 0x10\n" in dump
    assert "sender: j\\303\\266rg@b\\303\\274cher.example\n" in dump
    assert "orcpt=rfc822;b\\303\\266b@example.org" in dump
    assert "attr: protocol=UTF8SMTP\n" in dump
    # the content is carried as sent (qdump prints it as is)
    assert "From: Jörg <jörg@bücher.example>\n" in dump
    assert " with UTF8SMTP\n" in dump


def test_smtputf8_end_to_end(instance):
    """A UTF-8 sender and UTF-8 headers, delivered to an ASCII mailbox."""
    c, _ = greeted(instance)
    c.send("MAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n"
           "RCPT TO:<bob@localhost>\r\nDATA\r\n")
    assert c.replies(3)[2].startswith("354")
    assert c.cmd("From: Jörg <jörg@bücher.example>\r\nTo: bob@localhost\r\n"
                 "Subject: grüße 🙂\r\n\r\nBody ü\r\n.\r\n").startswith("250 2.0.0")
    # without SMTPUTF8 the same sender is refused
    assert c.cmd("MAIL FROM:<jörg@bücher.example>\r\n") == \
        "553 5.6.7 Must declare SMTPUTF8 to send unicode address"
    assert c.cmd("QUIT\r\n").startswith("221")
    c.close()
    [path] = instance.wait_messages("bob", 1)
    text = open(path, "rb").read().decode("utf-8")
    assert text.startswith("Return-Path: <jörg@bücher.example>\n")
    assert "with UTF8SMTP\n\tfor <bob@localhost>;" in text
    assert "\nFrom: Jörg <jörg@bücher.example>\n" in text
    assert "\nSubject: grüße 🙂\n" in text
    assert text.endswith("\n\nBody ü\n")


def test_bdat_many_tiny_chunks_deliver(instance):
    """About 2000 one-byte chunks, pipelined, make the same message as one."""
    body = ("Subject: chunks\r\n\r\n" + "line %03d\r\n" * 200) % tuple(range(200))
    data = body.encode()
    c, _ = greeted(instance)
    c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    c.send(b"".join(b"BDAT 1\r\n" + data[i:i + 1] for i in range(len(data))) +
           b"BDAT 0 LAST\r\n")
    got = c.replies(len(data) + 1)
    assert got[:-1] == ["250 2.0.0 Ok: 1 octets"] * len(data)
    assert got[-1].startswith("250 2.0.0 Ok: queued as ")
    # a second message in the same session, one chunk, no final CRLF
    c.send(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n"
           b"BDAT 25 LAST\r\nSubject: second\r\n\r\nno end")
    got = c.replies(3)
    assert got[2].startswith("250 2.0.0 Ok: queued as "), got
    assert c.cmd("QUIT\r\n").startswith("221")
    c.close()
    msgs = instance.wait_messages("bob", 2)
    texts = [open(p).read() for p in msgs]
    first = [t for t in texts if "Subject: chunks" in t][0]
    second = [t for t in texts if "Subject: second" in t][0]
    assert first.endswith(body.replace("\r\n", "\n"))
    assert "\nReceived: from client.example (" in first
    assert " [127.0.0.1])\n\tby " in first
    assert second.endswith("Subject: second\n\nno end\n")
    wait_until(lambda: "bdat=%d" % (len(data) + 2) in instance.log(), 10,
               what="disconnect statistics")


def test_bdat_and_data_faults(new_instance):
    """SIZE during BDAT, lying chunk sizes, the data restrictions."""
    inst = new_instance()
    inst.conf(message_size_limit="1000", smtpd_timeout="3s",
              smtpd_data_restrictions="check_sender_access inline:{ deny@example.org=REJECT }")
    inst.start()
    c, ehlo = greeted(inst)
    assert "250-SIZE 1000" in ehlo
    # a chunk over the limit is refused before it is read, then skipped
    c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    c.send(b"BDAT 1001 LAST\r\n" + b"NOOP\r\n" * 166 + b"QUIT\r\n"[:5])
    assert c.reply() == "552 5.3.4 Chunk exceeds message size limit"
    assert c.cmd("NOOP\r\n") == "250 2.0.0 Ok"
    # two chunks that together pass the limit
    c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    c.send(b"BDAT 600\r\n" + b"x" * 598 + b"\r\n")
    assert c.reply() == "250 2.0.0 Ok: 600 octets"
    c.send(b"BDAT 401 LAST\r\n" + b"y" * 398 + b"\r\n" + b"z")
    assert c.reply() == "552 5.3.4 Chunk exceeds message size limit"
    assert c.cmd("RCPT TO:<bob@localhost>\r\n") == "503 5.5.1 Error: need MAIL command"
    # a chunk that says more than it is: the rest is taken as commands
    c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    c.send(b"BDAT 2\r\nabNOOP\r\n")
    assert c.replies(2) == ["250 2.0.0 Ok: 2 octets", "250 2.0.0 Ok"]
    # smtpd_data_restrictions run at the first BDAT; the chunk is skipped
    c.send("RSET\r\nMAIL FROM:<deny@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(3)[1:] == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    reply = c.cmd(b"BDAT 6 LAST\r\nRSET\r\n")
    assert reply.startswith("554 5.7.1 "), reply
    assert c.cmd("NOOP\r\n") == "250 2.0.0 Ok"
    # a chunk that says less than it sends never ends: the session times out
    c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    c.send(b"BDAT 100 LAST\r\nSubject: short\r\n\r\n")
    assert c.reply() == "421 4.4.2 %s Error: timeout exceeded" % ehlo.split("\n")[0][4:]
    assert c.reply() is None
    c.close()
    assert inst.queue_files() == []
    assert "timeout after BDAT from" in inst.log()


def test_bdat_is_no_improper_pipelining(new_instance):
    """With reject_unauth_pipelining in smtpd_data_restrictions (a common
    Postfix setting), a chunk that follows its BDAT in the same packet is
    fine; DATA with text right behind it is not."""
    inst = new_instance()
    inst.conf(smtpd_data_restrictions="reject_unauth_pipelining")
    inst.start()
    c, _ = greeted(inst)
    c.send(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n"
           b"BDAT 21 LAST\r\nSubject: bdat\r\n\r\nok\r\n")
    got = c.replies(3)
    assert got[2].startswith("250 2.0.0 Ok: queued as "), got
    c.send(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@localhost>\r\n"
           b"DATA\r\nSubject: data\r\n\r\nok\r\n.\r\n")
    got = c.replies(3)
    assert got[2].startswith("503 5.5.0 "), got
    c.close()
    inst.wait_messages("bob", 1)


def test_discard_ehlo_keywords(new_instance):
    inst = new_instance()
    inst.conf(smtpd_discard_ehlo_keywords="dsn, chunking smtputf8 8BITMIME")
    inst.start()
    c, ehlo = greeted(inst)
    lines = [l[4:] for l in ehlo.split("\n")]
    for kw in ("DSN", "CHUNKING", "SMTPUTF8", "8BITMIME"):
        assert kw not in lines, ehlo
    assert "PIPELINING" in lines
    assert c.cmd("MAIL FROM:<a@example.org> RET=FULL\r\n") == \
        "501 5.7.1 DSN support is disabled"
    assert c.cmd("MAIL FROM:<a@example.org> SMTPUTF8\r\n") == \
        "555 5.5.4 Unsupported option: SMTPUTF8"
    assert c.cmd("MAIL FROM:<a@example.org> BODY=8BITMIME\r\n") == \
        "555 5.5.4 Unsupported option: BODY=8BITMIME"
    assert c.cmd("MAIL FROM:<a@example.org>\r\n") == "250 2.1.0 Ok"
    assert c.cmd("RCPT TO:<bob@localhost> NOTIFY=NEVER\r\n") == \
        "501 5.7.1 DSN support is disabled"
    assert c.cmd("RCPT TO:<bob@localhost>\r\n") == "250 2.1.5 Ok"
    # BDAT is refused, its chunk still skipped
    assert c.cmd(b"BDAT 6 LAST\r\nQUIT\r\n") == "502 5.5.1 Error: command not implemented"
    # ... and it ended the transaction, as every failed BDAT does
    assert c.cmd("DATA\r\n") == "503 5.5.1 Error: need MAIL command"
    c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@localhost>\r\n")
    assert c.replies(2) == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
    assert c.cmd("DATA\r\n").startswith("354")
    assert c.cmd("Subject: x\r\n\r\nplain\r\n.\r\n").startswith("250 2.0.0 Ok: queued")
    c.close()
    wait_until(lambda: "discarding EHLO keywords: 8BITMIME DSN SMTPUTF8 CHUNKING"
               in inst.log(), 10, what="discard log line")


def test_discard_ehlo_keywords_silently(new_instance):
    inst = new_instance()
    inst.conf(smtpd_discard_ehlo_keywords="silent-discard, pipelining")
    inst.start()
    c, ehlo = greeted(inst)
    assert "PIPELINING" not in ehlo and "CHUNKING" in ehlo
    assert c.cmd("QUIT\r\n").startswith("221")
    c.close()
    wait_until(lambda: "disconnect from" in inst.log(), 10, what="disconnect")
    assert "discarding EHLO keywords" not in inst.log()


def test_smtplib_dsn_and_smtputf8(instance):
    """A real client library: Python's smtplib with DSN and SMTPUTF8 options."""
    import smtplib
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Zoë <zoë@exämple.org>"
    msg["To"] = "bob@localhost"
    msg["Subject"] = "smtplib ünïcode"
    msg.set_content("hello ü\n")
    with smtplib.SMTP("127.0.0.1", instance.port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("dsn") and s.has_extn("smtputf8") and s.has_extn("chunking")
        refused = s.send_message(msg, from_addr="zoë@exämple.org",
                                 to_addrs=["bob@localhost"],
                                 mail_options=["RET=HDRS", "ENVID=env-1"],
                                 rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        assert refused == {}
    [path] = instance.wait_messages("bob", 1)
    text = open(path, "rb").read().decode("utf-8")
    assert text.startswith("Return-Path: <zoë@exämple.org>\n")
    assert "Subject: smtplib ünïcode\n" in text
