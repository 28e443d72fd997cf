"""LMTP delivery (RFC 2033) to Dovecot: the smtp agent under the service
name lmtp, for transport_maps entries "lmtp:unix:PATH" and
"lmtp:inet:HOST:PORT" and for virtual_transport, as a mailbox server
behind tegami is set up.  LMTP answers once per recipient after the
data: one mailbox over quota does not hold up the others.
"""
import os
import re

import pytest

from conftest import log_line
from dovecot_peer import DovecotPeer

MSG = "From: vera@localhost\nSubject: lmtp\n\nto the mailbox server\n"



@pytest.fixture
def dovecot():
    with DovecotPeer(users={"alice": "a", "bob": "b"},
                     over_quota=["carol"]) as dov:
        yield dov


def test_lmtp_unix_per_recipient_replies(new_instance, dovecot):
    inst = new_instance()
    # A relative path is under queue_directory, as Postfix's
    # "lmtp:unix:private/dovecot-lmtp" (here a link to Dovecot's socket).
    os.symlink(dovecot.lmtp_socket, os.path.join(inst.spool, "private",
                                                 "dovecot-lmtp"))
    tmap = inst.dir + "/transport"
    with open(tmap, "w") as f:
        f.write("lmtp.example lmtp:unix:private/dovecot-lmtp\n")
    inst.conf(transport_maps="texthash:" + tmap)
    inst.start()
    inst.sendmail(["-f", "vera@localhost", "alice@lmtp.example",
                   "ghost@lmtp.example", "carol@lmtp.example",
                   "bob@lmtp.example"], MSG)
    line = log_line(inst, "alice@lmtp.example", "sent")
    assert "dsn=2." in line, line
    log_line(inst, "bob@lmtp.example", "sent")
    line = log_line(inst, "ghost@lmtp.example", "bounced")
    assert "dsn=5.1.1" in line and "RCPT TO" in line, line
    # Over quota: refused after the data, for this recipient only.
    line = log_line(inst, "carol@lmtp.example", "bounced")
    assert "dsn=5.2.2" in line and "end of data" in line.lower(), line
    for user in ("alice", "bob"):
        text = open(dovecot.wait_messages(user, 1)[0]).read()
        assert "to the mailbox server" in text
    assert dovecot.messages("carol") == []
    # One transaction carried all four: the same server for each.
    relays = set(re.findall(r"to=<\w+@lmtp\.example>, relay=([^,]+),", inst.log()))
    assert relays == {"private/dovecot-lmtp"}, relays


def test_virtual_transport_lmtp_inet(new_instance, dovecot):
    inst = new_instance()
    inst.conf(virtual_mailbox_domains="v.example",
              virtual_transport="lmtp:inet:%s" % dovecot.lmtp_address)
    inst.start()
    inst.sendmail(["-f", "vera@localhost", "bob@v.example"], MSG)
    line = log_line(inst, "bob@v.example", "sent")
    assert "relay=127.0.0.1[127.0.0.1]:%d" % dovecot.lmtp_port in line, line
    dovecot.wait_messages("bob", 1)
