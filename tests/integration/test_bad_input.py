"""Bad input from files and peers: logged precisely, never fatal, nothing lost."""
import os
import signal
import smtplib
import socket
import struct

from conftest import wait_until


def test_corrupt_queue_file_moved_aside(new_instance):
    inst = new_instance()
    inst.start()
    # A file that looks like a queue file by name but is garbage, and one
    # that is a real queue file cut short (no END record).
    bad_id = "0000000100000ABCD"
    incoming = os.path.join(inst.spool, "incoming")
    with open(os.path.join(incoming, bad_id), "wb") as f:
        f.write(b"this is not a queue file\n")
    st = os.stat(incoming)
    os.chown(os.path.join(incoming, bad_id), st.st_uid, st.st_gid)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["vera@localhost"], "Subject: good\r\n\r\nx\r\n")
    inst.wait_messages("vera", 1)
    # qmgr wakes up on the good message and scans incoming/.
    wait_until(lambda: bad_id in os.listdir(os.path.join(inst.spool, "corrupt")),
               20, what="corrupt file moved")
    wait_until(lambda: "%s: corrupt queue file" % bad_id in inst.log(), 10,
               what="log line")


def test_truncated_queue_file_is_not_delivered(new_instance):
    inst = new_instance()
    inst.set_wakeup("qmgr", 3600)
    inst.start()
    qmgr = inst.pids()["qmgr"]
    for pid in qmgr:
        os.kill(pid, signal.SIGSTOP)    # qmgr holds off while we damage the file
    try:
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
            s.sendmail("a@example.org", ["walt@localhost"], "Subject: two\r\n\r\nx\r\n")
        incoming = os.path.join(inst.spool, "incoming")
        [qid] = [n for n in os.listdir(incoming) if not n.startswith("t.")]
        path = os.path.join(incoming, qid)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 3)    # the END record is cut
    finally:
        for pid in qmgr:
            os.kill(pid, signal.SIGCONT)
    inst.sendmail(["-q"], b"")
    wait_until(lambda: qid in os.listdir(os.path.join(inst.spool, "corrupt")),
               20, what="truncated file moved to corrupt/")
    wait_until(lambda: "%s: corrupt queue file" % qid in inst.log(), 10,
               what="log line")
    assert inst.messages("walt") == []


def test_malformed_ipc_frame_to_cleanup(new_instance):
    inst = new_instance()
    inst.start()
    path = os.path.join(inst.spool, "private", "cleanup")
    for junk in (b"\xff\xff\xff\xff" + b"x" * 64,          # absurd length
                 struct.pack(">I", 5) + b"s\x00\x00\x00\x00",  # empty name
                 b"\x00\x00"):                               # truncated
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path)
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
    wait_until(lambda: "cleanup" in inst.log() and "warning" in inst.log(), 10,
               what="a warning from cleanup")
    # The mail system still works.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["xena@localhost"], "Subject: after\r\n\r\nx\r\n")
    inst.wait_messages("xena", 1)
    assert "panic" not in inst.log() and "fatal" not in inst.log()


def test_reload_applies_new_settings(instance):
    def banner():
        with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as s:
            s.settimeout(10)
            return s.recv(512).decode()
    assert "reloaded-banner" not in banner()
    instance.conf(smtpd_banner="$myhostname ESMTP reloaded-banner")
    assert instance.tegami("reload").returncode == 0
    wait_until(lambda: "reloaded-banner" in banner(), 20, what="new banner")
    assert instance.tegami("status").returncode == 0
