"""As root: delivery to real users' ~/Maildir and mbox, with their ownership."""
import email
import os
import pwd
import subprocess

import pytest

from conftest import wait_until

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root (CI runs as root)")

USER = "tegamitest1"


@pytest.fixture
def test_user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER],
                       check=True)
    pw = pwd.getpwnam(USER)
    yield pw
    subprocess.run(["rm", "-rf", os.path.join(pw.pw_dir, "Maildir")])


def system_mode(inst, **extra):
    # No instance mailboxes: local parts are the system's users.
    settings = {"instance_mailbox_base": "",
                "local_recipient_maps": "unix:passwd.byname"}
    settings.update(extra)
    inst.conf(**settings)


def test_maildir_in_home_owned_by_user(new_instance, test_user):
    inst = new_instance()
    system_mode(inst, home_mailbox="Maildir/")
    inst.start()
    inst.sendmail(["-f", "root@localhost", "%s@localhost" % USER],
                  "Subject: to your home\n\nhi\n")
    new = os.path.join(test_user.pw_dir, "Maildir", "new")
    wait_until(lambda: os.path.isdir(new) and os.listdir(new), 30, what="maildir message")
    [name] = os.listdir(new)
    st = os.stat(os.path.join(new, name))
    assert st.st_uid == test_user.pw_uid
    assert os.stat(new).st_uid == test_user.pw_uid
    with open(os.path.join(new, name), "rb") as f:
        msg = email.message_from_bytes(f.read())
    assert msg["Subject"] == "to your home"
    assert msg["Delivered-To"] == "%s@localhost" % USER


def test_mbox_in_spool_owned_by_user(new_instance, test_user):
    inst = new_instance()
    spool = "/var/mail"
    mbox = os.path.join(spool, USER)
    if os.path.exists(mbox):
        os.unlink(mbox)
    system_mode(inst, home_mailbox="", mail_spool_directory=spool)
    inst.start()
    try:
        inst.sendmail(["-f", "root@localhost", "%s@localhost" % USER],
                      "Subject: to your mbox\n\nFrom here on\nbody\n")
        wait_until(lambda: os.path.exists(mbox) and os.path.getsize(mbox) > 0, 30,
                   what="mbox")
        st = os.stat(mbox)
        assert st.st_uid == test_user.pw_uid
        assert st.st_mode & 0o777 == 0o600
        text = open(mbox).read()
        assert text.startswith("From root@localhost ")
        assert "\n>From here on\n" in text
        assert "Subject: to your mbox" in text
        assert text.endswith("\n\n")
    finally:
        if os.path.exists(mbox):
            os.unlink(mbox)


def test_unknown_user_bounces_to_sender(new_instance, test_user):
    inst = new_instance()
    system_mode(inst, home_mailbox="Maildir/", local_recipient_maps="")
    inst.start()
    inst.sendmail(["-f", "%s@localhost" % USER, "nobody-here-xyz@localhost"],
                  "Subject: will bounce\n\nx\n")
    new = os.path.join(test_user.pw_dir, "Maildir", "new")
    wait_until(lambda: os.path.isdir(new) and os.listdir(new), 30, what="bounce")
    [name] = os.listdir(new)
    with open(os.path.join(new, name), "rb") as f:
        msg = email.message_from_bytes(f.read())
    assert msg["Return-Path"] == "<>"
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    status = parts[1]
    assert status.get_content_type() == "message/delivery-status"
    text = status.as_string()
    assert "Final-Recipient: rfc822; nobody-here-xyz@localhost" in text
    assert "Action: failed" in text
    assert "Status: 5.1.1" in text
    assert "Subject: will bounce" in parts[2].as_string()
