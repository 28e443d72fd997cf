"""Start, status, stop, and who runs as root."""
import os

from conftest import wait_until


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError("no Uid line")


def test_status_and_stop_leave_nothing_behind(new_instance):
    inst = new_instance()
    assert inst.tegami("status").returncode == 1
    inst.start()
    assert inst.tegami("status").returncode == 0
    # Make sure on-demand daemons exist too.
    inst.sendmail(["ruth@localhost"], "Subject: s\n\nx\n")
    inst.wait_messages("ruth", 1)
    pids = inst.pids()
    assert "master" in pids and "qmgr" in pids and "pickup" in pids
    assert inst.tegami("start").returncode != 0, "a second start must refuse"
    inst.stop()
    assert inst.pids() == {}
    assert inst.tegami("status").returncode == 1


def test_only_master_and_local_keep_root(new_instance):
    import smtplib
    from scripted_smtp import Script
    # The smtp agent runs while it delivers: to a server that takes the
    # data and never answers.
    srv = Script("stalldot")
    inst = new_instance()
    inst.conf(relayhost="[127.0.0.1]:%d" % srv.port)
    inst.start()
    inst.sendmail(["far@remote.example"], "Subject: s\n\nx\n")
    inst.sendmail(["sam@localhost"], "Subject: s\n\nx\n")
    inst.wait_messages("sam", 1)
    wait_until(lambda: getattr(srv, "stalled", 0) > 0, 30, what="the smtp agent")
    # smtpd starts on demand: connect once.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.noop()
        pids = inst.pids()
    srv.close()
    for name in ("master", "smtpd", "cleanup", "qmgr", "pickup", "local", "smtp"):
        assert name in pids, (name, pids)
    for name, plist in pids.items():
        for pid in plist:
            real, eff, saved, fs = uid_of(pid)
            if os.getuid() != 0 or name in ("master", "local"):
                continue
            assert real != 0 and eff != 0 and saved != 0 and fs != 0, (name, pid)
    if os.getuid() == 0:
        for pid in pids["master"]:
            assert uid_of(pid)[1] == 0
        for pid in pids["local"]:
            assert uid_of(pid)[0] == 0


def test_check_and_conf(new_instance):
    inst = new_instance()
    res = inst.tegami("check")
    assert res.returncode == 0, res.stdout + res.stderr
    with open(os.path.join(inst.dir, "main.cf"), "a") as f:
        f.write("no_such_parameter_xyz = 1\n")
    res = inst.tegami("check")
    assert "no_such_parameter_xyz" in res.stdout + res.stderr
    res = inst.tegami("conf", "message_size_limit")
    assert res.stdout.strip() == "message_size_limit = 10240000"
    inst.conf(message_size_limit="20000")
    assert inst.tegami("conf", "message_size_limit").stdout.strip() == \
        "message_size_limit = 20000"
    res = inst.tegami("conf", "-d", "message_size_limit")
    assert res.stdout.strip() == "message_size_limit = 10240000"
    assert "message_size_limit = 20000" in inst.tegami("conf", "-n").stdout
    # A bad value stops start-up with file and line.
    inst.conf(message_size_limit="lots")
    res = inst.tegami("start")
    assert res.returncode != 0
    assert "main.cf" in res.stderr + res.stdout and "message_size_limit" in res.stderr + res.stdout


def test_check_warns_about_master_cf_columns(new_instance):
    inst = new_instance()
    path = os.path.join(inst.dir, "master.cf")
    text = open(path).read()
    smtp_line = [l for l in text.splitlines() if " inet " in l][0]
    fields = smtp_line.split()
    fields[3], fields[4] = "n", "y"     # unpriv n, chroot y
    open(path, "w").write(text.replace(smtp_line, " ".join(fields)))
    res = inst.tegami("check")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out      # warnings, not errors
    assert "chroot column is not implemented" in out
    assert "unpriv n runs smtpd as root" in out
