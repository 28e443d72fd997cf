"""smtpd's access restrictions (Postfix's restriction language) over real
SMTP sockets against a real instance: every list and stage, the common
elements with their exact reply codes and enhanced status codes, access
tables (inline:, texthash:, hash: built by `tegami map`), restriction
classes, smtpd_delay_reject, HOLD and DISCARD, and the DNS-based elements
(DNSBL, RHSBL, unknown domains, the client's forward-confirmed name)
against a real unbound started by the test (dnsserver.py).
"""
import os
import smtplib
import socket

import pytest

from conftest import wait_until
from dnsserver import DnsServer

MSG = b"Subject: restrictions\r\n\r\nhello\r\n"


def started(inst, **conf):
    """Start inst with conf; no DNS unless the test asks for it."""
    settings = {"smtpd_peername_lookup": "no"}
    settings.update(conf)
    inst.conf(**settings)
    inst.start()
    return inst


def session(inst, helo="client.example.org"):
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
    code, _ = s.ehlo(helo)
    assert code == 250
    return s


def rcpt_reply(inst, sender="a@sender.example", rcpt="bob@localhost",
               helo="client.example.org"):
    with session(inst, helo) as s:
        code, msg = s.mail(sender)
        if code != 250:
            return code, msg
        return s.rcpt(rcpt)


def write(inst, name, text):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- relay control and the defaults --------------------------------------

def test_default_relay_denied_and_logged(new_instance):
    inst = started(new_instance(), mynetworks="192.0.2.0/24")
    code, msg = rcpt_reply(inst, rcpt="victim@elsewhere.example")
    assert code == 554
    assert msg == b"5.7.1 <victim@elsewhere.example>: Relay access denied"
    code, _ = rcpt_reply(inst, rcpt="bob@localhost")
    assert code == 250
    wait_until(lambda: "NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 "
               "5.7.1 <victim@elsewhere.example>: Relay access denied; "
               "from=<a@sender.example> to=<victim@elsewhere.example> "
               "proto=ESMTP helo=<client.example.org>" in inst.log(), 10,
               what="reject log line")


def test_relay_from_mynetworks(new_instance):
    inst = started(new_instance())
    assert rcpt_reply(inst, rcpt="x@elsewhere.example")[0] == 250


def test_defer_unauth_destination_and_relay_domains(new_instance):
    inst = started(new_instance(), mynetworks="192.0.2.0/24",
                   relay_domains="partner.example",
                   smtpd_relay_restrictions="defer_unauth_destination")
    code, msg = rcpt_reply(inst, rcpt="x@elsewhere.example")
    assert (code, msg) == (450, b"4.7.1 <x@elsewhere.example>: Relay access denied")
    assert rcpt_reply(inst, rcpt="x@partner.example")[0] == 250
    assert rcpt_reply(inst, rcpt="x@sub.partner.example")[0] == 250


def test_open_relay_configuration_refused_at_start(new_instance):
    inst = new_instance()
    inst.conf(smtpd_relay_restrictions="permit_mynetworks",
              smtpd_peername_lookup="no")
    inst.start()
    # master starts; smtpd dies at its start-up with a clear message.
    s = None
    try:
        s = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
        s.recv(100)
    except OSError:
        pass
    finally:
        if s:
            s.close()
    wait_until(lambda: "neither contains reject_unauth_destination" in inst.log(),
               20, what="fatal configuration message")


def test_unknown_restriction_is_fatal(new_instance):
    inst = new_instance()
    inst.conf(smtpd_sender_restrictions="reject_frobnicate",
              smtpd_peername_lookup="no")
    inst.start()
    try:
        socket.create_connection(("127.0.0.1", inst.port), timeout=10).close()
    except OSError:
        pass
    wait_until(lambda: 'parameter smtpd_sender_restrictions: unknown '
               'restriction "reject_frobnicate"' in inst.log(), 20,
               what="fatal configuration message")


# ---- stages and smtpd_delay_reject ------------------------------------------

def test_client_reject_delayed_to_rcpt(new_instance):
    inst = started(new_instance(), smtpd_client_restrictions=
                   "check_client_access inline:{ {127.0.0.1=REJECT no thanks} }")
    with session(inst) as s:
        assert s.mail("a@sender.example")[0] == 250
        code, msg = s.rcpt("bob@localhost")
        assert code == 554
        assert msg == b"5.7.1 <unknown[127.0.0.1]>: Client host rejected: no thanks"


def test_client_reject_at_connect_without_delay(new_instance):
    inst = started(new_instance(), smtpd_delay_reject="no",
                   smtpd_client_restrictions="check_client_access "
                   "inline:{ 127.0.0=REJECT }")
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
    assert e.value.smtp_code == 554
    assert b"5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied" \
        in e.value.smtp_error


def test_helo_restrictions_at_helo_without_delay(new_instance):
    inst = started(new_instance(), smtpd_delay_reject="no",
                   smtpd_helo_restrictions="reject_invalid_helo_hostname, "
                   "reject_non_fqdn_helo_hostname")
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
    code, msg = s.ehlo("localhost")
    assert (code, msg) == (504, b"5.5.2 <localhost>: Helo command rejected: "
                           b"need fully-qualified hostname")
    code, msg = s.ehlo("bad!name")
    assert (code, msg) == (501, b"5.5.2 <bad!name>: Helo command rejected: "
                           b"Invalid name")
    assert s.ehlo("[127.0.0.1]")[0] == 250
    s.quit()


def test_sender_restrictions_mail_or_rcpt(new_instance):
    inst = started(new_instance(), smtpd_sender_restrictions="reject_non_fqdn_sender")
    with session(inst) as s:
        assert s.mail("a@localhost")[0] == 250     # delayed to RCPT
        code, msg = s.rcpt("bob@localhost")
        assert (code, msg) == (504, b"5.5.2 <a@localhost>: Sender address "
                               b"rejected: need fully-qualified address")
        s.rset()
        assert s.mail("")[0] == 250               # the null sender is fine
        assert s.rcpt("bob@localhost")[0] == 250
    inst.stop()
    inst.conf(smtpd_delay_reject="no")
    inst.start()
    with session(inst) as s:
        code, msg = s.mail("a@localhost")
        assert code == 504 and msg.startswith(b"5.5.2 <a@localhost>")


def test_recipient_restrictions(new_instance):
    inst = started(new_instance(), mydestination="localhost, mx.example.test",
                   smtpd_recipient_restrictions=
                   "reject_non_fqdn_recipient, check_recipient_access "
                   "inline:{ {carol@mx.example.test=550 5.7.0 carol is away} }")
    with session(inst) as s:
        assert s.mail("a@sender.example")[0] == 250
        code, msg = s.rcpt("postmaster")
        assert (code, msg) == (504, b"5.5.2 <postmaster>: Recipient address "
                               b"rejected: need fully-qualified address")
        assert s.rcpt("bob@localhost")[0] == 504
        assert s.rcpt("carol@mx.example.test") == (550, b"5.7.0 carol is away")
        assert s.rcpt("bob@mx.example.test")[0] == 250


def test_data_and_end_of_data_restrictions(new_instance):
    inst = started(new_instance(), smtpd_data_restrictions=
                   "check_sender_access inline:{ nodata@sender.example=REJECT }",
                   smtpd_end_of_data_restrictions=
                   "check_sender_access inline:{ {noeod@sender.example=DEFER "
                   "4.7.0 later} }")
    with session(inst) as s:
        s.mail("nodata@sender.example")
        s.rcpt("bob@localhost")
        code, msg = s.docmd("DATA")
        assert (code, msg) == (554, b"5.7.1 <nodata@sender.example>: Sender "
                               b"address rejected: Access denied")
        s.rset()
        s.mail("noeod@sender.example")
        s.rcpt("bob@localhost")
        assert s.data(MSG) == (450, b"4.7.0 <noeod@sender.example>: Sender "
                               b"address rejected: later")
    assert inst.messages("bob") == []


def test_reject_unauth_pipelining(new_instance):
    inst = started(new_instance(), smtpd_delay_reject="no",
                   smtpd_sender_restrictions="reject_unauth_pipelining")
    with socket.create_connection(("127.0.0.1", inst.port), timeout=30) as c:
        f = c.makefile("rb")
        assert f.readline().startswith(b"220")
        c.sendall(b"HELO client.example.org\r\nMAIL FROM:<a@sender.example>\r\n")
        assert f.readline().startswith(b"250")
        line = f.readline()
        assert line == (b"503 5.5.0 <a@sender.example>: Sender address rejected: "
                        b"Improper use of SMTP command pipelining\r\n")
        c.sendall(b"MAIL FROM:<a@sender.example>\r\n")
        assert f.readline().startswith(b"503 5.5.0")    # for the session
    # After EHLO, MAIL and RCPT may be pipelined.
    with socket.create_connection(("127.0.0.1", inst.port), timeout=30) as c:
        f = c.makefile("rb")
        assert f.readline().startswith(b"220")
        c.sendall(b"EHLO client.example.org\r\n")
        while f.readline()[3:4] == b"-":
            pass
        c.sendall(b"MAIL FROM:<a@sender.example>\r\nRCPT TO:<bob@localhost>\r\n")
        assert f.readline().startswith(b"250 2.1.0")
        assert f.readline().startswith(b"250 2.1.5")


# ---- generic elements, codes ------------------------------------------------

def test_defer_if_permit_and_warn_if_reject(new_instance):
    inst = started(new_instance(), smtpd_client_restrictions=
                   "warn_if_reject, reject, defer_if_permit, permit")
    code, msg = rcpt_reply(inst)
    assert (code, msg) == (450, b"4.7.1 <unknown[127.0.0.1]>: Client host "
                           b"rejected: defer_if_permit requested")
    assert "NOQUEUE: reject_warning: RCPT from unknown[127.0.0.1]: 554 5.7.1 " \
        "<unknown[127.0.0.1]>: Client host rejected: Access denied" in inst.log()


def test_reject_codes_parameters(new_instance):
    inst = started(new_instance(), reject_code="550", defer_code="451",
                   smtpd_helo_restrictions="check_helo_access inline:{ "
                   "ok.example=OK }, defer",
                   smtpd_sender_restrictions="reject")
    assert rcpt_reply(inst, helo="other.example") == (
        451, b"4.7.1 <other.example>: Helo command rejected: Access denied")
    assert rcpt_reply(inst, helo="ok.example") == (
        550, b"5.7.1 <a@sender.example>: Sender address rejected: Access denied")


def test_unknown_client_without_dns(new_instance):
    # No lookup at all: the name is unknown for good.
    inst = started(new_instance(), smtpd_client_restrictions=
                   "reject_unknown_reverse_client_hostname")
    code, msg = rcpt_reply(inst)
    assert (code, msg) == (450, b"4.7.25 Client host rejected: cannot find your "
                           b"reverse hostname, [127.0.0.1]")


# ---- access tables, actions, classes ----------------------------------------

def test_access_table_hash_built_by_tegami_map(new_instance):
    inst = new_instance()
    path = write(inst, "sender_access",
                 "spammer@bad.example   REJECT go away\n"
                 "bad.example           DEFER not now\n"
                 "good.bad.example      OK\n"
                 "<>                    550 5.7.1 no bounces here\n")
    res = inst.tegami("map", "hash:" + path)
    assert res.returncode == 0, res.stderr
    started(inst, mynetworks="192.0.2.0/24", smtpd_sender_restrictions=
            "check_sender_access hash:" + path)
    assert rcpt_reply(inst, sender="spammer@bad.example") == (
        554, b"5.7.1 <spammer@bad.example>: Sender address rejected: go away")
    assert rcpt_reply(inst, sender="other@bad.example") == (
        450, b"4.7.1 <other@bad.example>: Sender address rejected: not now")
    assert rcpt_reply(inst, sender="x@sub.bad.example")[0] == 450  # parent
    assert rcpt_reply(inst, sender="x@good.bad.example")[0] == 250
    assert rcpt_reply(inst, sender="") == (550, b"5.7.1 no bounces here")
    # OK in the sender list does not open the relay.
    assert rcpt_reply(inst, sender="x@good.bad.example",
                      rcpt="v@elsewhere.example")[0] == 554


def test_client_access_by_network_texthash(new_instance):
    inst = new_instance()
    path = write(inst, "client_access", "127.0.0   REJECT local net\n")
    started(inst, smtpd_client_restrictions="check_client_access texthash:" + path)
    assert rcpt_reply(inst) == (554, b"5.7.1 <unknown[127.0.0.1]>: Client host "
                                b"rejected: local net")


def test_helo_access(new_instance):
    inst = started(new_instance(), smtpd_helo_restrictions=
                   "check_helo_access inline:{ {example.org=REJECT fake helo} }")
    assert rcpt_reply(inst, helo="mx.example.org") == (
        554, b"5.7.1 <mx.example.org>: Helo command rejected: fake helo")
    assert rcpt_reply(inst, helo="mx.example.net")[0] == 250


def test_restriction_classes(new_instance):
    inst = new_instance()
    with open(os.path.join(inst.dir, "main.cf"), "a") as f:
        f.write("strict = reject_non_fqdn_sender, permit\n")
    started(inst, smtpd_restriction_classes="strict",
            smtpd_recipient_restrictions="check_recipient_access "
            "inline:{ bob@localhost=strict }, reject")
    assert rcpt_reply(inst, sender="a@localhost") == (
        504, b"5.5.2 <a@localhost>: Sender address rejected: need "
        b"fully-qualified address")
    assert rcpt_reply(inst, sender="a@sender.example")[0] == 250
    assert rcpt_reply(inst, sender="a@sender.example",
                      rcpt="alice@localhost")[0] == 554
    # A class is a name the administrator defines, not a misspelling.
    res = inst.tegami("check")
    assert "unknown parameter strict" not in res.stdout + res.stderr
    with open(os.path.join(inst.dir, "main.cf"), "a") as f:
        f.write("strikt = reject\n")
    res = inst.tegami("check")
    assert "unknown parameter strikt" in res.stdout + res.stderr


def test_hold_puts_message_on_hold(new_instance):
    inst = started(new_instance(), smtpd_sender_restrictions=
                   "check_sender_access inline:{ held@sender.example=HOLD }")
    with session(inst) as s:
        s.sendmail("held@sender.example", ["bob@localhost"], MSG)
    wait_until(lambda: inst.queue_files("hold"), 20, what="a file in hold/")
    assert "NOQUEUE: hold: RCPT from unknown[127.0.0.1]: <held@sender.example>: " \
        "Sender address triggers HOLD action" in inst.log()
    assert inst.messages("bob") == []


def test_discard_accepts_and_drops(new_instance):
    inst = started(new_instance(), smtpd_recipient_restrictions=
                   "check_recipient_access inline:{ {bob@localhost=DISCARD "
                   "not wanted} }")
    with session(inst) as s:
        s.mail("a@sender.example")
        assert s.rcpt("bob@localhost")[0] == 250
        assert s.rcpt("alice@localhost")[0] == 250
        code, _ = s.data(MSG)
        assert code == 250
    # A normal message afterwards is delivered, the discarded one never.
    with session(inst) as s:
        s.sendmail("a@sender.example", ["carol@localhost"], MSG)
    inst.wait_messages("carol", 1)
    assert inst.messages("bob") == [] and inst.messages("alice") == []
    assert "NOQUEUE: discard: RCPT from unknown[127.0.0.1]: <bob@localhost>: " \
        "Recipient address not wanted" in inst.log()


# ---- DNS: blocklists, domains, client names ----------------------------------

RECORDS = [
    "1.0.0.127.zen.dnsbl.example. A 127.0.0.2",
    '1.0.0.127.zen.dnsbl.example. TXT "listed, see https://dnsbl.example/"',
    "1.0.0.127.codes.dnsbl.example. A 127.0.0.10",
    "bad.example.dbl.dnsbl.example. A 127.0.1.2",
    'bad.example.dbl.dnsbl.example. TXT "bad domain"',
    "withmx.example. MX 10 mail.withmx.example.",
    "mail.withmx.example. A 192.0.2.5",
    "aonly.example. A 192.0.2.6",
    "nullmx.example. MX 0 .",
    "1.0.0.127.in-addr.arpa. PTR mail.good.example.",
    "mail.good.example. A 127.0.0.1",
    "3.0.0.127.in-addr.arpa. PTR liar.example.",
    "liar.example. A 192.0.2.1",
]


@pytest.fixture(scope="module")
def dns():
    with DnsServer(RECORDS) as server:
        yield server


def dns_started(inst, dns, **conf):
    return started(inst, dns_nameservers=dns.address, **conf)


def test_reject_rbl_client_with_txt(new_instance, dns):
    inst = dns_started(new_instance(), dns, smtpd_client_restrictions=
                       "reject_rbl_client zen.dnsbl.example")
    code, msg = rcpt_reply(inst)
    assert code == 554
    assert msg == (b"5.7.1 Service unavailable; Client host [127.0.0.1] blocked "
                   b"using zen.dnsbl.example; listed, see https://dnsbl.example/")


def test_reject_rbl_client_filters(new_instance, dns):
    inst = dns_started(new_instance(), dns, smtpd_client_restrictions=
                       "reject_rbl_client zen.dnsbl.example=127.0.0.[3..11], "
                       "reject_rbl_client nothere.dnsbl.example")
    assert rcpt_reply(inst)[0] == 250       # 127.0.0.2 is filtered out
    inst.stop()
    inst.conf(smtpd_client_restrictions="reject_rbl_client "
              "codes.dnsbl.example=127.0.0.[3..11]")
    inst.start()
    code, msg = rcpt_reply(inst)
    assert (code, msg) == (554, b"5.7.1 Service unavailable; Client host "
                           b"[127.0.0.1] blocked using codes.dnsbl.example")


def test_reject_rhsbl_sender(new_instance, dns):
    inst = dns_started(new_instance(), dns, maps_rbl_reject_code="550",
                       smtpd_sender_restrictions="reject_rhsbl_sender "
                       "dbl.dnsbl.example")
    assert rcpt_reply(inst, sender="x@bad.example") == (
        550, b"5.7.1 Service unavailable; Sender address [bad.example] blocked "
        b"using dbl.dnsbl.example; bad domain")
    assert rcpt_reply(inst, sender="x@withmx.example")[0] == 250


def test_reject_rhsbl_helo(new_instance, dns):
    inst = dns_started(new_instance(), dns, smtpd_helo_restrictions=
                       "reject_rhsbl_helo dbl.dnsbl.example")
    assert rcpt_reply(inst, helo="bad.example") == (
        554, b"5.7.1 Service unavailable; Helo command [bad.example] blocked "
        b"using dbl.dnsbl.example; bad domain")
    assert rcpt_reply(inst, helo="withmx.example")[0] == 250


def test_reject_unknown_sender_domain(new_instance, dns):
    inst = dns_started(new_instance(), dns, smtpd_sender_restrictions=
                       "reject_unknown_sender_domain")
    assert rcpt_reply(inst, sender="a@withmx.example")[0] == 250
    assert rcpt_reply(inst, sender="a@aonly.example")[0] == 250
    assert rcpt_reply(inst, sender="a@nx.example") == (
        450, b"4.1.8 <a@nx.example>: Sender address rejected: Domain not found")
    # REFUSED from the server: a temporary failure, deferred.
    assert rcpt_reply(inst, sender="a@x.refused") == (
        450, b"4.1.8 <a@x.refused>: Sender address rejected: Domain not found")
    assert rcpt_reply(inst, sender="a@nullmx.example") == (
        556, b"5.1.10 <a@nullmx.example>: Sender address rejected: Domain "
        b"nullmx.example does not accept mail (nullMX)")
    assert rcpt_reply(inst, sender="")[0] == 250


def test_reject_unknown_recipient_domain_code(new_instance, dns):
    inst = dns_started(new_instance(), dns, unknown_address_reject_code="550",
                       smtpd_recipient_restrictions=
                       "reject_unknown_recipient_domain")
    assert rcpt_reply(inst, rcpt="x@nx.example") == (
        550, b"5.1.2 <x@nx.example>: Recipient address rejected: Domain not found")
    assert rcpt_reply(inst, rcpt="x@withmx.example")[0] == 250
    assert rcpt_reply(inst, rcpt="bob@localhost")[0] == 250


def test_client_name_forward_confirmed(new_instance, dns):
    # The test's DNS server gives 127.0.0.1 a PTR whose A record agrees.
    inst = dns_started(new_instance(), dns, smtpd_peername_lookup="yes",
                       smtpd_client_restrictions="reject_unknown_client_hostname, "
                       "check_client_access inline:{ {mail.good.example=REJECT by name} }")
    code, msg = rcpt_reply(inst)
    assert (code, msg) == (554, b"5.7.1 <mail.good.example[127.0.0.1]>: Client "
                           b"host rejected: by name")
    wait_until(lambda: "connect from mail.good.example[127.0.0.1]" in inst.log(),
               10, what="the client's name in the log")


def test_client_name_not_forward_confirmed(new_instance, dns):
    """127.0.0.3 has a PTR whose name does not point back: the reverse
    name exists, the client name is unknown."""
    inst = dns_started(new_instance(), dns, smtpd_peername_lookup="yes",
                       smtpd_client_restrictions=
                       "reject_unknown_reverse_client_hostname, "
                       "reject_unknown_client_hostname")
    s = smtplib.SMTP(timeout=30, source_address=("127.0.0.3", 0))
    s.connect("127.0.0.1", inst.port)
    s.ehlo("client.example.org")
    s.mail("a@sender.example")
    assert s.rcpt("bob@localhost") == (450, b"4.7.25 Client host rejected: "
                                       b"cannot find your hostname, "
                                       b"[127.0.0.3]")
    s.quit()


def test_client_without_ptr(new_instance, dns):
    """From 127.0.0.2 there is no PTR record: both checks refuse."""
    inst = dns_started(new_instance(), dns, smtpd_peername_lookup="yes",
                       smtpd_client_restrictions=
                       "reject_unknown_reverse_client_hostname")
    s = smtplib.SMTP(timeout=30, source_address=("127.0.0.2", 0))
    s.connect("127.0.0.1", inst.port)
    s.ehlo("client.example.org")
    s.mail("a@sender.example")
    assert s.rcpt("bob@localhost") == (450, b"4.7.25 Client host rejected: "
                                       b"cannot find your reverse hostname, "
                                       b"[127.0.0.2]")
    s.quit()
