"""Interop: Debian's Postfix (a private instance the test starts) delivers
to tegami's smtpd as an Internet peer would: over STARTTLS, with
PIPELINING, several recipients, a large message.  tegami offers CHUNKING
too, but Postfix's SMTP client never sends BDAT (Postfix implements
CHUNKING in its server only), so BDAT is shown with other clients in
test_esmtp.py and test_smuggling.py."""
import email
import re

from postfix_peer import PostfixPeer


def test_postfix_delivers_to_tegami_over_starttls(instance):
    inst = instance
    with PostfixPeer(relayhost="[127.0.0.1]:%d" % inst.port,
                     smtp_tls_security_level="encrypt") as pfx:
        body = "".join("line %d of the message\r\n" % i for i in range(20000))
        msg = ("From: a@pfx.example\r\nTo: vera@localhost\r\n"
               "Subject: from postfix\r\n\r\n" + body)
        pfx.send("a@pfx.example", ["vera@localhost", "walt@localhost"], msg)
        log = pfx.wait_log("status=sent")
        assert "relay=127.0.0.1[127.0.0.1]:%d" % inst.port in log
        assert re.search(r"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]"
                         r":%d: TLSv1\.[23] " % inst.port, log), log[-2000:]
        for user in ("vera", "walt"):
            got = inst.wait_messages(user, 1)
            with open(got[0], "rb") as f:
                m = email.message_from_bytes(f.read())
            assert m["Subject"] == "from postfix"
            assert "with ESMTPS" in m["Received"]
            assert m.get_payload().replace("\r\n", "\n") == body.replace("\r\n", "\n")
    tlog = inst.log()
    assert "TLS connection established from unknown[127.0.0.1]" in tlog
    # The session's command statistics: EHLO twice (before and after
    # STARTTLS), one transaction for both recipients.
    line = [l for l in tlog.splitlines() if "disconnect from" in l][-1]
    assert "starttls=1" in line and "ehlo=2" in line, line
    assert " mail=1 rcpt=2 data=1 " in line, line
