"""An instance made and run by an ordinary user: every daemon is that user."""
import os
import pwd
import shutil
import smtplib
import subprocess
import tempfile

import pytest

from conftest import BIN, free_port_base, port_free, wait_until, LIBEXEC

pytestmark = pytest.mark.skipif(os.getuid() != 0,
                                reason="needs root to create the ordinary user")

USER = "tegamitest2"


@pytest.fixture
def user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER],
                       check=True)
    return pwd.getpwnam(USER)


def as_user(user, *argv, **kw):
    return subprocess.run(list(argv), user=user.pw_uid, group=user.pw_gid,
                          extra_groups=[], capture_output=True, text=True,
                          timeout=60, **kw)


def instance_pids(root):
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % entry)
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if exe.startswith(LIBEXEC + "/") and root.encode() in argv:
            found.setdefault(os.path.basename(exe), []).append(int(entry))
    return found


def uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]


def test_ordinary_user_runs_every_daemon_as_itself(user):
    root = tempfile.mkdtemp(prefix="tegami-user-", dir="/tmp")
    os.chmod(root, 0o755)
    os.chown(root, user.pw_uid, user.pw_gid)
    inst = os.path.join(root, "inst")
    base = free_port_base()
    tegami = os.path.join(BIN, "tegami")
    try:
        res = as_user(user, tegami, "init", inst, "--port-base", str(base))
        assert res.returncode == 0, res.stderr
        assert "mail_owner = %s" % USER in open(os.path.join(inst, "main.cf")).read()
        res = as_user(user, tegami, "-c", inst, "start")
        assert res.returncode == 0, res.stdout + res.stderr
        wait_until(lambda: not port_free(base + 25), 10, what="smtpd port")
        with smtplib.SMTP("127.0.0.1", base + 25, timeout=30) as s:
            s.sendmail("a@example.org", ["yuki@localhost"], "Subject: mine\r\n\r\nx\r\n")
            new = os.path.join(inst, "mail", "yuki", "Maildir", "new")
            wait_until(lambda: os.path.isdir(new) and os.listdir(new), 30,
                       what="delivery")
            pids = instance_pids(inst)     # smtpd still serves this session
        [name] = os.listdir(new)
        assert os.stat(os.path.join(new, name)).st_uid == user.pw_uid
        for prog in ("master", "smtpd", "cleanup", "qmgr", "local"):
            assert prog in pids, (prog, pids)
        for prog, plist in pids.items():
            for pid in plist:
                assert uids(pid) == [user.pw_uid] * 4, (prog, pid, uids(pid))
        res = as_user(user, tegami, "-c", inst, "stop")
        assert res.returncode == 0, res.stderr
        assert instance_pids(inst) == {}
    finally:
        subprocess.run([tegami, "-c", inst, "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
