"""Aliases and local recipients (local(8), aliases(5)): alias_maps fan-out to
mailboxes, a file and a command (with the alias file owner's uid when run as
root), user+tag delivery, loops, a broken table deferring, a failing command's
output in the bounce, forwarding to a remote address, and ~/.forward."""
import os
import pwd
import shutil
import smtplib
import subprocess

import pytest

from conftest import BIN, wait_until

OWNER = "tegamialias"
MSG = "From: sender@localhost\nSubject: alias test\n\nhello aliases\n"


def alias_owner():
    """(uid, gid) that alias deliveries should run as."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    try:
        pwd.getpwnam(OWNER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", OWNER],
                       check=True)
    pw = pwd.getpwnam(OWNER)
    return pw.pw_uid, pw.pw_gid


def write_aliases(inst, text, owner=None):
    path = os.path.join(inst.dir, "aliases")
    with open(path, "w") as f:
        f.write(text)
    res = subprocess.run([os.path.join(BIN, "postalias"), "hash:" + path],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    if owner is not None and os.getuid() == 0:
        for p in (path, path + ".db"):
            os.chown(p, owner[0], owner[1])
    inst.conf(alias_maps="hash:" + path)
    return path


def out_dir(inst, owner):
    d = os.path.join(inst.dir, "out")
    os.mkdir(d)
    os.chown(d, owner[0], owner[1])
    os.chmod(d, 0o755)
    return d


def test_alias_fans_out_to_users_file_and_command(new_instance):
    inst = new_instance()
    owner = alias_owner()
    out = out_dir(inst, owner)
    mbox = os.path.join(out, "team.mbox")
    cmdout = os.path.join(out, "cmd.txt")
    write_aliases(inst, (
        "# the team\n"
        "team: alice, bob,\n"
        "  %s,\n"
        "  \"|/bin/sh -c 'cat > %s; id -u > %s.uid; echo $LOCAL $SENDER > %s.env'\"\n"
        % (mbox, cmdout, cmdout, cmdout)), owner)
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "team@localhost"], MSG)
    inst.wait_messages("alice", 1)
    inst.wait_messages("bob", 1)
    wait_until(lambda: os.path.exists(mbox) and os.path.getsize(mbox) > 0, 30,
               what="the alias file")
    wait_until(lambda: os.path.exists(cmdout + ".env"), 30, what="the command")
    text = open(mbox).read()
    assert text.startswith("From sender@localhost ")
    assert "hello aliases" in text
    assert "hello aliases" in open(cmdout).read()
    assert open(cmdout + ".env").read().split() == ["team", "sender@localhost"]
    # Written with the alias file owner's rights, never root's.
    assert os.stat(mbox).st_uid == owner[0]
    assert os.stat(cmdout).st_uid == owner[0]
    assert int(open(cmdout + ".uid").read()) == owner[0]
    wait_until(lambda: "status=sent" in inst.log(), 30, what="log")


def test_root_owned_aliases_run_as_default_privs(new_instance):
    if os.getuid() != 0:
        pytest.skip("needs root")
    inst = new_instance()
    nobody = pwd.getpwnam("nobody")
    out = out_dir(inst, (nobody.pw_uid, nobody.pw_gid))
    target = os.path.join(out, "who")
    write_aliases(inst, "who: \"|id -u > %s\"\n" % target)
    inst.start()
    inst.sendmail(["who@localhost"], MSG)
    wait_until(lambda: os.path.exists(target) and os.path.getsize(target) > 0, 30,
               what="the command")
    assert int(open(target).read()) == nobody.pw_uid


def test_user_plus_tag_lands_in_user_mailbox(new_instance):
    inst = new_instance()
    write_aliases(inst, "list: carol\n")
    inst.conf(recipient_delimiter="+")
    inst.start()
    inst.sendmail(["dave+news@localhost", "list+x@localhost"], MSG)
    inst.wait_messages("dave", 1)
    inst.wait_messages("carol", 1)
    assert not os.path.exists(inst.maildir("dave+news"))


def test_alias_loop_bounces(new_instance):
    inst = new_instance()
    write_aliases(inst, "a: b\nb: a\n")
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "a@localhost"], MSG)
    wait_until(lambda: "mail forwarding loop" in inst.log(), 30, what="loop")
    wait_until(lambda: "status=bounced" in inst.log(), 30, what="bounce")
    # The bounce goes back to the sender.
    inst.wait_messages("sender", 1)


def test_broken_table_defers(new_instance):
    inst = new_instance()
    path = write_aliases(inst, "alice: bob\n")
    with open(path + ".db", "wb") as f:
        f.write(b"this is not a Berkeley DB file\n" * 100)
    inst.start()
    inst.sendmail(["alice@localhost"], MSG)
    wait_until(lambda: "status=deferred" in inst.log(), 30, what="deferral")
    assert "status=bounced" not in inst.log()
    assert inst.messages("alice") == []
    assert inst.queue_files("deferred", "active", "incoming")


def test_failing_command_output_in_bounce(new_instance):
    inst = new_instance()
    write_aliases(inst, "fail: \"|echo no such list >&2; exit 67\"\n"
                        "later: \"|exit 75\"\n", alias_owner())
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "fail@localhost", "later@localhost"], MSG)
    wait_until(lambda: "status=bounced" in inst.log(), 30, what="bounce")
    log = inst.log()
    assert "Command died with status 67" in log
    assert "no such list" in log
    wait_until(lambda: "status=deferred" in inst.log(), 30, what="deferral")
    msgs = inst.wait_messages("sender", 1)
    assert "no such list" in open(msgs[0], errors="replace").read()


def test_remote_member_is_forwarded_as_new_message(new_instance):
    inst = new_instance()
    write_aliases(inst, "fwd: alice, someone@remote.example\n")
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "fwd@localhost"], MSG)
    inst.wait_messages("alice", 1)
    wait_until(lambda: "forwarded as" in inst.log(), 30, what="forwarding")
    assert "to=<someone@remote.example>" in inst.log() or \
        "forwarded as" in inst.log()


def test_delivered_to_loop_bounces(new_instance):
    inst = new_instance()
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "alice@localhost"],
                  "Delivered-To: alice@localhost\n" + MSG)
    wait_until(lambda: "mail forwarding loop for alice@localhost" in inst.log(),
               30, what="loop")
    assert inst.messages("alice") == []


@pytest.mark.skipif(os.getuid() != 0, reason="needs root (system users)")
def test_dot_forward(new_instance):
    user = "tegamitest2"
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", user],
                       check=True)
    pw = pwd.getpwnam(user)
    os.makedirs(pw.pw_dir, exist_ok=True)
    fwd = os.path.join(pw.pw_dir, ".forward")
    marker = os.path.join(pw.pw_dir, "forward-ran")
    maildir = os.path.join(pw.pw_dir, "Maildir")
    for p in (marker,):
        if os.path.exists(p):
            os.unlink(p)
    shutil.rmtree(maildir, ignore_errors=True)
    try:
        with open(fwd, "w") as f:
            f.write("\\%s, \"|id -u > %s\"\n" % (user, marker))
        os.chown(fwd, pw.pw_uid, pw.pw_gid)
        os.chmod(fwd, 0o644)
        inst = new_instance()
        write_aliases(inst, "someone: else\n")
        inst.conf(instance_mailbox_base="", local_recipient_maps="unix:passwd.byname",
                  home_mailbox="Maildir/")
        inst.start()
        inst.sendmail(["-f", "root@localhost", "%s@localhost" % user], MSG)
        wait_until(lambda: os.path.exists(marker) and os.path.getsize(marker) > 0, 30,
                   what=".forward command")
        assert int(open(marker).read()) == pw.pw_uid
        new = os.path.join(maildir, "new")
        wait_until(lambda: os.path.isdir(new) and os.listdir(new), 30, what="mailbox")
        # A group-writable .forward is refused: deferred, naming the file.
        os.chmod(fwd, 0o664)
        inst.sendmail(["-f", "root@localhost", "%s@localhost" % user], MSG)
        wait_until(lambda: "group-writable" in inst.log(), 30, what="refusal")
        assert fwd in inst.log()
    finally:
        for p in (fwd, marker):
            if os.path.exists(p):
                os.unlink(p)
        shutil.rmtree(maildir, ignore_errors=True)


def test_local_recipient_maps_with_alias_maps(new_instance):
    import smtplib
    inst = new_instance()
    write_aliases(inst, "team: alice\nlist: bob\n")
    inst.conf(local_recipient_maps="$alias_maps", recipient_delimiter="+")
    inst.start()
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
    try:
        s.ehlo("client.test")
        assert s.mail("sender@example.org")[0] == 250
        assert s.rcpt("team@localhost")[0] == 250
        assert s.rcpt("TEAM+tag@localhost")[0] == 250
        code, text = s.rcpt("nobody-known@localhost")
        assert code == 550, text
    finally:
        s.quit()


def test_init_instance_aliases_postmaster_to_root(instance):
    # tegami init writes DIR/aliases (postmaster: root) and builds its .db.
    with smtplib.SMTP("127.0.0.1", instance.port, timeout=30) as s:
        s.sendmail("a@example.org", ["postmaster@localhost"], "Subject: pm\r\n\r\nx\r\n")
    [path] = instance.wait_messages("root", 1)
    assert "Subject: pm" in open(path).read()
    assert instance.messages("postmaster") == []


def scan_for(root, needle):
    """Paths of files under root whose content contains needle (bytes)."""
    hits = []
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            try:
                with open(p, "rb") as f:
                    if needle in f.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


@pytest.mark.skipif(os.getuid() != 0, reason="needs root (system users)")
def test_include_is_not_read_as_root(new_instance):
    # A user's ~/.forward naming a file only root can read: the include is
    # opened with the user's privileges, so it cannot be read, the
    # recipient is deferred, and its text never shows up in a DSN.
    user = "tegamitest1"
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", user],
                       check=True)
    pw = pwd.getpwnam(user)
    os.makedirs(pw.pw_dir, exist_ok=True)
    fwd = os.path.join(pw.pw_dir, ".forward")
    secret_line = b"tegamisecret4711"
    import tempfile
    sdir = tempfile.mkdtemp(prefix="tegami-secret.")
    os.chmod(sdir, 0o700)
    secret = os.path.join(sdir, "secret")
    try:
        with open(secret, "wb") as f:
            f.write(secret_line + b"\n")
        os.chmod(secret, 0o644)
        with open(fwd, "w") as f:
            f.write(":include:%s\n" % secret)
        os.chown(fwd, pw.pw_uid, pw.pw_gid)
        os.chmod(fwd, 0o644)
        inst = new_instance()
        nobody = pwd.getpwnam("nobody")
        out = out_dir(inst, (nobody.pw_uid, nobody.pw_gid))
        # The sender's mail (any DSN) lands in a file we can inspect.
        write_aliases(inst, "sender: %s/sender.mbox\n" % out)
        inst.conf(instance_mailbox_base="", local_recipient_maps="",
                  home_mailbox="Maildir/")
        inst.start()
        inst.sendmail(["-f", "sender@localhost", "%s@localhost" % user], MSG)
        wait_until(lambda: "status=deferred" in inst.log() or
                   "status=bounced" in inst.log(), 30, what="a result")
        if "status=bounced" in inst.log():
            wait_until(lambda: os.path.exists(os.path.join(out, "sender.mbox")),
                       30, what="the DSN")
        assert "status=deferred" in inst.log()
        assert scan_for(inst.dir, secret_line) == []
        assert not os.path.exists(os.path.join(pw.pw_dir, "Maildir")) or \
            scan_for(os.path.join(pw.pw_dir, "Maildir"), secret_line) == []
    finally:
        for p in (fwd,):
            if os.path.exists(p):
                os.unlink(p)
        shutil.rmtree(os.path.join(pw.pw_dir, "Maildir"), ignore_errors=True)
        shutil.rmtree(sdir, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root (system users)")
def test_pcre_alias_substitution_is_refused(new_instance):
    # $1 would copy the quoted local part of a remote address into the
    # alias value, where "|command" becomes a member.
    inst = new_instance()
    target = "/tmp/tegami-pcre-inject.%d" % os.getpid()
    if os.path.exists(target):
        os.unlink(target)
    path = os.path.join(inst.dir, "aliases.pcre")
    with open(path, "w") as f:
        f.write("/^(.*)-list$/ $1-owner\n")
    # Every local recipient accepted (system users, so any local part):
    # the alias table decides on delivery.
    inst.conf(alias_maps="pcre:" + path, local_recipient_maps="static:ok",
              instance_mailbox_base="")
    inst.start()
    try:
        s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
        try:
            s.ehlo("client.test")
            assert s.mail("sender@example.org")[0] == 250
            code, text = s.rcpt('"x,|id>%s;x-list"@localhost' % target)
            assert code == 250, text
            assert s.data("Subject: inject\r\n\r\nx\r\n")[0] == 250
        finally:
            s.quit()
        wait_until(lambda: "status=deferred" in inst.log() or
                   "status=sent" in inst.log() or
                   "status=bounced" in inst.log(), 30, what="a result")
        assert "status=deferred" in inst.log()
        assert not os.path.exists(target)
    finally:
        if os.path.exists(target):
            os.unlink(target)


def test_command_time_limit_after_closing_output(new_instance):
    inst = new_instance()
    owner = alias_owner()
    out = out_dir(inst, owner)
    um = os.path.join(out, "umask")
    write_aliases(inst, "slow: \"|exec >&- 2>&-; sleep 30\"\n"
                        "um: \"|umask > %s\"\n" % um, owner)
    inst.conf(command_time_limit="2s")
    inst.start()
    inst.sendmail(["-f", "sender@localhost", "slow@localhost", "um@localhost"], MSG)
    # The command's 30 s sleep is not waited for: the limit ends it.
    wait_until(lambda: "command time limit exceeded" in inst.log(), 15,
               what="the time limit")
    wait_until(lambda: "status=deferred" in inst.log(), 10, what="the deferral")
    # Commands run with umask 077.
    wait_until(lambda: os.path.exists(um) and os.path.getsize(um) > 0, 30,
               what="the umask command")
    assert open(um).read().strip() == "0077"


def test_missing_alias_database_defers_until_built(new_instance):
    # Postfix's rule: an alias table that was never built defers the mail
    # (its aliases may send it elsewhere); newaliases and a flush deliver it.
    inst = new_instance()
    source = os.path.join(inst.dir, "aliases2")
    with open(source, "w") as f:
        f.write("team: zed\n")
    inst.conf(alias_maps="hash:" + source, alias_database="hash:" + source)
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["team@localhost"], "Subject: t\r\n\r\nx\r\n")
    wait_until(lambda: "does not exist (run newaliases)" in inst.log(), 20,
               what="deferral naming newaliases")
    assert "status=deferred" in inst.log()
    assert inst.messages("team") == [] and inst.messages("zed") == []
    res = inst.tegami("alias")
    assert res.returncode == 0, res.stderr
    inst.sendmail(["-q"], b"")
    inst.wait_messages("zed", 1)
    assert inst.messages("team") == []
