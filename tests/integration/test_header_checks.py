"""header_checks and body_checks in cleanup, end to end over SMTP.

A pcre: table is written into the instance directory and named in main.cf;
messages sent with smtplib are refused at the end of DATA (REJECT), logged
and delivered (WARN), changed (REPLACE, IGNORE), kept in spool/hold (HOLD),
and a table that does not compile defers mail with a 4xx instead of
letting it through.
"""
import os
import smtplib

import pytest

from conftest import wait_until

HEADER_TABLE = r"""# header_checks for the tests
/^Subject: buy now/        REJECT no spam here
/^Subject: watch me/       WARN watched
/^Subject: old (.*)/       REPLACE Subject: new $1
/^X-Secret:/               IGNORE
/^Subject: hold me/        HOLD
/^Subject: route me/       FILTER local:
/^Subject: refuse me/      FILTER error:5.7.1 filtered out
"""

BODY_TABLE = r"""/^click here$/   REJECT 5.7.0 no clicking
"""


def write_table(inst, name, text):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


@pytest.fixture
def checked(new_instance):
    inst = new_instance()
    hpath = write_table(inst, "header_checks", HEADER_TABLE)
    bpath = write_table(inst, "body_checks", BODY_TABLE)
    # No alias table: these tests are about cleanup, not local delivery.
    inst.conf(header_checks="pcre:" + hpath, body_checks="pcre:" + bpath,
              alias_maps="")
    inst.start()
    return inst


def send(inst, text, rcpt="bob@localhost"):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        return s.sendmail("alice@example.org", [rcpt], text)


def test_reject_gives_5xx_at_end_of_data(checked):
    with pytest.raises(smtplib.SMTPDataError) as e:
        send(checked, "Subject: buy now\r\nFrom: <alice@example.org>\r\n\r\nhi\r\n")
    assert e.value.smtp_code == 550
    assert b"5.7.1 no spam here" in e.value.smtp_error
    wait_until(lambda: "reject: header Subject: buy now from" in checked.log(),
               10, what="reject log line")
    log = checked.log()
    assert "from=<alice@example.org> to=<bob@localhost> proto=ESMTP" in log
    assert checked.queue_files() == []


def test_warn_is_logged_and_delivered(checked):
    send(checked, "Subject: watch me\r\n\r\nhello\r\n")
    [path] = checked.wait_messages("bob", 1)
    assert "Subject: watch me" in open(path).read()
    assert "warning: header Subject: watch me from" in checked.log()
    assert ": watched" in checked.log()


def test_replace_and_ignore_change_the_message(checked):
    send(checked, "X-Secret: 42\r\nSubject: old title\r\n\r\nbody text\r\n")
    [path] = checked.wait_messages("bob", 1)
    text = open(path).read()
    assert "Subject: new title\n" in text
    assert "old title" not in text
    assert "X-Secret" not in text
    assert text.endswith("\n\nbody text\n")


def test_hold_leaves_the_message_in_hold(checked):
    send(checked, "Subject: hold me\r\n\r\nbody\r\n")
    wait_until(lambda: checked.queue_files("hold") != [], 10, what="held file")
    assert checked.queue_files("incoming", "active", "deferred") == []
    assert checked.messages("bob") == []
    assert "hold: header Subject: hold me" in checked.log()


def test_body_checks_reject(checked):
    with pytest.raises(smtplib.SMTPDataError) as e:
        send(checked, "Subject: hi\r\n\r\nline one\r\nclick here\r\nbye\r\n")
    assert e.value.smtp_code == 550
    assert b"5.7.0 no clicking" in e.value.smtp_error
    assert "reject: body click here from" in checked.log()


def test_broken_table_defers(new_instance):
    inst = new_instance()
    hpath = write_table(inst, "header_checks", "/ok/ WARN\n/(unclosed/ REJECT\n")
    inst.conf(header_checks="pcre:" + hpath)
    inst.start()
    with pytest.raises(smtplib.SMTPDataError) as e:
        send(inst, "Subject: anything\r\n\r\nbody\r\n")
    assert 400 <= e.value.smtp_code < 500
    assert hpath + ", line 2:" in inst.log()
    assert inst.queue_files() == []


def test_filter_routes_every_recipient(checked):
    # FILTER overrides the address class: mail for a remote domain (which
    # would wait for the SMTP client) goes to the local transport instead.
    send(checked, "Subject: route me\r\n\r\nx\r\n", rcpt="fred@remote.example")
    [path] = checked.wait_messages("fred", 1)
    assert "Subject: route me" in open(path).read()
    # And a FILTER to the error transport bounces with its text.
    send(checked, "Subject: refuse me\r\n\r\nx\r\n", rcpt="gus@localhost")
    wait_until(lambda: "status=bounced (filtered out)" in checked.log(), 20,
               what="bounce through the error transport")
    assert checked.messages("gus") == []
