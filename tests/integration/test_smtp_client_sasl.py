"""smtp-client as a smarthost client: SASL login (smtp_sasl_auth_enable,
smtp_sasl_password_maps) to Debian's Postfix with Dovecot SASL, on a
587-style port (STARTTLS required before AUTH) and a 465-style port (TLS
from the first byte: smtp_tls_wrappermode), the way a home server behind a
port-25 block relays through its provider.  And the rule that a password
never crosses the wire in clear unless the configuration says so.
"""
import base64
import os
import re

import pytest

from conftest import log_line
from postfix_peer import PostfixPeer
from scripted_smtp import Script

MSG = "From: vera@localhost\nSubject: via the smarthost\n\nrelayed\n"
USERS = {"alice": "alice-pw"}



@pytest.fixture(scope="module")
def smarthost():
    with PostfixPeer(submission=True, smtps=True, sasl_users=USERS,
                     sasl_mechanisms="plain login scram-sha-256",
                     mailboxes=True) as pfx:
        yield pfx


def relay_via(inst, port, password="alice-pw", **settings):
    pw = os.path.join(inst.dir, "sasl_passwd")
    with open(pw, "w") as f:
        f.write("[127.0.0.1]:%d alice:%s\n" % (port, password))
    os.chmod(pw, 0o600)
    settings.setdefault("smtp_tls_security_level", "encrypt")
    inst.conf(myhostname="home.test", relayhost="[127.0.0.1]:%d" % port,
              smtp_sasl_auth_enable="yes",
              smtp_sasl_password_maps="texthash:" + pw, **settings)
    inst.start()


def test_smarthost_587_starttls_and_auth(new_instance, smarthost):
    inst = new_instance()
    relay_via(inst, smarthost.submission_port)
    inst.sendmail(["-f", "vera@localhost", "friend@far.example"], MSG)
    line = log_line(inst, "friend@far.example", "sent")
    m = re.search(r"queued as (\w+)\)", line)
    assert m, line
    log = smarthost.wait_log("%s: client=" % m.group(1))
    # SCRAM-SHA-256 is preferred when offered; the login is alice's.
    assert re.search(r"%s: client=.*sasl_method=SCRAM-SHA-256, sasl_username=alice"
                     % m.group(1), log), log
    assert re.search(r"SASL SCRAM-SHA-256 login to .* as alice", inst.log())
    got = smarthost.wait_messages("friend@far.example", 1)
    assert "relayed" in open(got[-1]).read()
    assert "alice-pw" not in inst.log()


def test_smarthost_465_wrappermode_plain(new_instance, smarthost):
    inst = new_instance()
    relay_via(inst, smarthost.smtps_port, smtp_tls_wrappermode="yes",
              smtp_sasl_mechanism_filter="plain")
    inst.sendmail(["-f", "vera@localhost", "friend465@far.example"], MSG)
    line = log_line(inst, "friend465@far.example", "sent")
    m = re.search(r"queued as (\w+)\)", line)
    log = smarthost.wait_log("%s: client=" % m.group(1))
    assert re.search(r"%s: client=.*sasl_method=PLAIN, sasl_username=alice"
                     % m.group(1), log), log


def test_wrong_password_defers(new_instance, smarthost):
    inst = new_instance()
    relay_via(inst, smarthost.submission_port, password="not-the-password")
    inst.sendmail(["-f", "vera@localhost", "nobody@far.example"], MSG)
    line = log_line(inst, "nobody@far.example", "deferred")
    assert "SASL authentication failed" in line and "535" in line, line


def test_no_password_in_clear_unless_configured(new_instance):
    """A server that offers only PLAIN and LOGIN, without TLS: with the
    default smtp_sasl_security_options the mail is deferred and no AUTH
    is sent; with noanonymous only (the configuration says so) the login
    goes in clear."""
    srv = Script("ok", ext=["PIPELINING", "AUTH PLAIN LOGIN"])
    try:
        inst = new_instance()
        relay_via(inst, srv.port, smtp_tls_security_level="may")
        inst.sendmail(["-f", "vera@localhost", "a@far.example"], MSG)
        line = log_line(inst, "a@far.example", "deferred")
        assert "no mechanism" in line, line
        assert not any(c.upper().startswith("AUTH") for c in srv.commands)
        inst.stop()
        clear = new_instance()
        relay_via(clear, srv.port, smtp_tls_security_level="may",
                  smtp_sasl_security_options="noanonymous")
        clear.sendmail(["-f", "vera@localhost", "b@far.example"], MSG)
        log_line(clear, "b@far.example", "sent")
        auth = [c for c in srv.commands if c.upper().startswith("AUTH")]
        assert auth and auth[0].split()[1].upper() == "PLAIN", auth
        assert base64.b64decode(auth[0].split()[2]) == b"\0alice\0alice-pw"
    finally:
        srv.close()


def test_sender_dependent_authentication(new_instance):
    """smtp_sender_dependent_authentication: the sender's own login when
    the table has one, else the server's; connections are not shared
    between senders."""
    srv = Script("ok", ext=["PIPELINING", "AUTH PLAIN"])
    try:
        inst = new_instance()
        pw = os.path.join(inst.dir, "sasl_passwd")
        with open(pw, "w") as f:
            f.write("alice@home.test alice:alice-own\n")
            f.write("[127.0.0.1]:%d shared:shared-pw\n" % srv.port)
        inst.conf(myhostname="home.test", relayhost="[127.0.0.1]:%d" % srv.port,
                  smtp_sasl_auth_enable="yes",
                  smtp_sasl_password_maps="texthash:" + pw,
                  smtp_sasl_security_options="noanonymous",
                  smtp_sender_dependent_authentication="yes",
                  smtp_connection_cache_time_limit="30s")
        inst.start()
        inst.sendmail(["-f", "alice@home.test", "x@far.example"], MSG)
        log_line(inst, "x@far.example", "sent")
        inst.sendmail(["-f", "bob@home.test", "y@far.example"], MSG)
        log_line(inst, "y@far.example", "sent")
        logins = [base64.b64decode(c.split()[2]) for c in srv.commands
                  if c.upper().startswith("AUTH PLAIN ")]
        assert logins == [b"\0alice\0alice-own", b"\0shared\0shared-pw"], logins
        assert srv.connections == 2
    finally:
        srv.close()
