"""Virtual mailbox domains and transport_maps (issue 3): mail for a
virtual_mailbox_domains address lands in virtual_mailbox_base with the uid
of virtual_uid_maps; an unknown virtual address is refused at RCPT; and
transport_maps routes per domain and address: `local:` to local delivery,
`error:` bounces with its text, `retry:` defers, `*` is a wildcard."""
import os
import re
import smtplib

import pytest

from conftest import wait_until

MSG = b"Subject: virtual test\n\nhello\n"
NOBODY = 65534


def write(inst, name, text):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def smtp_send(inst, sender, rcpts):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        refused = s.sendmail(sender, rcpts, MSG.replace(b"\n", b"\r\n"))
    return refused


def virtual_setup(inst):
    base = os.path.join(inst.dir, "vmail")
    os.mkdir(base)
    if os.geteuid() == 0:
        os.chown(base, NOBODY, NOBODY)
    vmaps = write(inst, "vmailbox", "ann@vmail.example  vmail.example/ann/\n"
                  "bob@vmail.example  vmail.example/bob.mbox\n")
    inst.conf(virtual_mailbox_domains="vmail.example",
              virtual_mailbox_maps="texthash:" + vmaps,
              virtual_mailbox_base=base,
              virtual_uid_maps="static:%d" % NOBODY,
              virtual_gid_maps="static:%d" % NOBODY)
    return base


def test_virtual_mailbox_maildir_and_mbox(new_instance):
    inst = new_instance()
    base = virtual_setup(inst)
    inst.start()
    assert smtp_send(inst, "someone@client.example",
                     ["ann@vmail.example", "bob@vmail.example"]) == {}
    new = os.path.join(base, "vmail.example", "ann", "new")
    wait_until(lambda: os.path.isdir(new) and os.listdir(new), 30,
               what="virtual maildir delivery")
    path = os.path.join(new, os.listdir(new)[0])
    text = open(path, "rb").read()
    assert b"Delivered-To: ann@vmail.example\n" in text
    assert b"Return-Path: <someone@client.example>\n" in text
    assert text.endswith(b"hello\n")
    mbox = os.path.join(base, "vmail.example", "bob.mbox")
    wait_until(lambda: os.path.exists(mbox) and b"hello" in open(mbox, "rb").read(),
               30, what="virtual mbox delivery")
    assert open(mbox, "rb").read().startswith(b"From someone@client.example ")
    if os.geteuid() == 0:
        assert os.stat(path).st_uid == NOBODY
        assert os.stat(os.path.join(base, "vmail.example")).st_uid == NOBODY
        assert os.stat(mbox).st_uid == NOBODY
    # Nothing went to the instance's local mailboxes.
    assert inst.messages("ann") == []


def test_virtual_unknown_user_refused_at_rcpt(new_instance):
    inst = new_instance()
    virtual_setup(inst)
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo()
        s.mail("someone@client.example")
        code, text = s.rcpt("nobody@vmail.example")
        assert code == 550
        assert b"5.1.1" in text
        assert b"User unknown in virtual mailbox table" in text
        code, _ = s.rcpt("ann@vmail.example")
        assert code == 250


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are switched only as root")
def test_virtual_uid_below_minimum_defers(new_instance):
    inst = new_instance()
    base = virtual_setup(inst)
    inst.conf(virtual_uid_maps="static:50")
    inst.start()
    smtp_send(inst, "someone@client.example", ["ann@vmail.example"])
    wait_until(lambda: "virtual_minimum_uid" in inst.log(), 30, what="deferral")
    assert "status=deferred" in inst.log()
    assert not os.path.exists(os.path.join(base, "vmail.example", "ann"))


def test_transport_maps_local_error_and_wildcard(new_instance):
    inst = new_instance()
    tmaps = write(inst, "transport",
                  "remote.example   local:\n"
                  "bounce.example   error:5.7.1 no mail here\n"
                  "later.example    retry:4.4.1 not today\n"
                  "*                local:\n")
    inst.conf(transport_maps="texthash:" + tmaps)
    inst.start()
    # remote.example -> local delivery by local part.
    inst.sendmail(["-f", "sender@localhost", "u@remote.example"], MSG)
    msgs = inst.wait_messages("u", 1)
    assert b"Delivered-To: u@remote.example\n" in open(msgs[0], "rb").read()
    # The wildcard catches any other domain.
    inst.sendmail(["-f", "sender@localhost", "w@anywhere.example"], MSG)
    inst.wait_messages("w", 1)
    # error: bounces back to the sender with the table's status and text.
    inst.sendmail(["-f", "sender@localhost", "x@bounce.example"], MSG)
    bounces = inst.wait_messages("sender", 1)
    text = open(bounces[0], "rb").read()
    assert b"5.7.1" in text
    assert b"no mail here" in text
    log = inst.log()
    assert "to=<x@bounce.example>" in log and "dsn=5.7.1" in log
    # retry: defers with the text, nothing bounces.
    inst.sendmail(["-f", "sender@localhost", "y@later.example"], MSG)
    wait_until(lambda: "not today" in inst.log(), 30, what="retry deferral")
    assert "dsn=4.4.1" in inst.log()
    assert len(inst.messages("sender")) == 1


def test_transport_maps_subdomain_and_address(new_instance):
    inst = new_instance()
    tmaps = write(inst, "transport",
                  ".sub.example            local:\n"
                  "vip@other.example       local:\n"
                  "other.example           error:5.1.2 domain closed\n")
    # Remote mail goes to smtp-client; relayhost keeps it off the network
    # (nothing listens on port 1: the delivery is deferred).
    inst.conf(transport_maps="texthash:" + tmaps, relayhost="[127.0.0.1]:1")
    inst.start()
    # ".sub.example" matches its subdomains (parent_domain_matches_subdomains
    # does not list transport_maps by default, as Postfix).
    inst.sendmail(["-f", "sender@localhost", "p@a.sub.example"], MSG)
    inst.wait_messages("p", 1)
    # The address wins over its domain.
    inst.sendmail(["-f", "sender@localhost", "vip@other.example",
                   "q@other.example"], MSG)
    inst.wait_messages("vip", 1)
    inst.wait_messages("sender", 1)
    assert inst.messages("q") == []
    # Without a transport_maps entry a remote domain is still deferred.
    inst.sendmail(["-f", "sender@localhost", "r@elsewhere.example"], MSG)
    wait_until(lambda: re.search(r"to=<r@elsewhere\.example>, relay=127\.0\.0\.1"
                                 r"\[127\.0\.0\.1\]:1, .*status=deferred",
                                 inst.log()), 30, what="deferral")
