"""Interop: Debian's Postfix (a private instance the test starts) delivers
to tegami's smtpd, as an Internet peer would: PIPELINING, and over STARTTLS
with CHUNKING when tegami offers them."""
import email

from postfix_peer import PostfixPeer


def test_postfix_delivers_to_tegami(instance):
    inst = instance
    with PostfixPeer(relayhost="[127.0.0.1]:%d" % inst.port,
                     smtp_tls_security_level="may") as pfx:
        body = "".join("line %d of the message\r\n" % i for i in range(2000))
        msg = ("From: a@pfx.example\r\nTo: vera@localhost\r\n"
               "Subject: from postfix\r\n\r\n" + body)
        pfx.send("a@pfx.example", ["vera@localhost", "walt@localhost"], msg)
        log = pfx.wait_log("status=sent")
        assert "relay=127.0.0.1[127.0.0.1]:%d" % inst.port in log
        for user in ("vera", "walt"):
            got = inst.wait_messages(user, 1)
            with open(got[0], "rb") as f:
                m = email.message_from_bytes(f.read())
            assert m["Subject"] == "from postfix"
            assert m.get_payload().replace("\r\n", "\n") == body.replace("\r\n", "\n")
    tlog = inst.log()
    assert "client=pfx.example[127.0.0.1]" in tlog or "client=unknown[127.0.0.1]" in tlog
