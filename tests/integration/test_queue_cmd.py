"""`tegami queue`: flush, list, delete, hold, release against a running
instance, with the real smtp agent and real peers the tests start: a closed
loopback port (mail stays deferred), Postfix's smtp-sink (mail goes out),
and a Python SMTP server that holds a session after DATA until the test lets
it answer (a message stays in active/ while the queue is changed under
qmgr, the way postsuper is used on a live system).
"""
import os
import re
import socket
import subprocess
import threading

from conftest import BIN, wait_until

SMTP_SINK = "/usr/sbin/smtp-sink"
MSG = "From: vera@localhost\nSubject: queued\n\nhello\n"
# Mail stays where the test puts it: no retry before a flush.
SLOW_RETRY = dict(minimal_backoff_time="300s", maximal_backoff_time="600s",
                  queue_run_delay="300s")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sink_greets(proc, port):
    """Is smtp-sink itself (not a listener that is still closing) answering
    on port?"""
    assert proc.poll() is None, "smtp-sink exited: %r" % (proc.stderr.read(),)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            return c.recv(4).startswith(b"220")
    except OSError:
        return False


def start_sink(port):
    # -c: count sessions; -u: run as nobody when started as root.
    argv = [SMTP_SINK, "-c", "127.0.0.1:%d" % port, "64"]
    if os.geteuid() == 0:
        argv[1:1] = ["-u", "nobody"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until(lambda: sink_greets(proc, port), 10, what="smtp-sink listening")
    return proc


def sent(inst):
    return re.findall(r"to=<([^>]+)>, relay=[^,]*, .*status=sent", inst.log())


def queue_ids(out):
    """Queue ids at the start of mailq lines (a '*' or '!' may follow)."""
    return re.findall(r"^([0-9A-F]{10,})[*!]?\s", out, re.M)


def deferred_instance(new_instance, n):
    """An instance whose smtp destination is a closed port, with n messages
    in deferred/; returns (instance, port, ids)."""
    port = closed_port()
    inst = new_instance()
    inst.conf(myhostname="client.test", relayhost="[127.0.0.1]:%d" % port,
              **SLOW_RETRY)
    inst.start()
    for i in range(n):
        inst.sendmail(["-f", "vera@localhost", "q%d@remote.example" % i], MSG)
    wait_until(lambda: len(inst.queue_files("deferred")) == n, 60,
               what="%d deferred" % n)
    return inst, port, sorted(inst.queue_files("deferred"))


def test_list_is_mailq(new_instance):
    inst, _, ids = deferred_instance(new_instance, 2)
    res = inst.tegami("queue", "list", check=True)
    assert sorted(queue_ids(res.stdout)) == ids
    assert "q0@remote.example" in res.stdout and "q1@remote.example" in res.stdout
    assert "vera@localhost" in res.stdout
    assert "-- " in res.stdout and "in 2 Requests." in res.stdout
    # The same listing as mailq's (one code path).
    assert res.stdout == inst.mailq().stdout


def test_hold_release_delete(new_instance):
    inst, port, ids = deferred_instance(new_instance, 3)
    a, b, c = ids
    res = inst.tegami("queue", "hold", a, check=True)
    assert "Placed on hold: 1 message" in res.stderr + res.stdout
    assert inst.queue_files("hold") == [a]
    assert a not in inst.queue_files("deferred")
    out = inst.tegami("queue", "list", check=True).stdout
    assert re.search(r"^%s!" % a, out, re.M), out
    # Holding it again changes nothing.
    res = inst.tegami("queue", "hold", a, check=True)
    assert "Placed on hold: 0 messages" in res.stderr + res.stdout

    res = inst.tegami("queue", "delete", b, check=True)
    assert "Deleted: 1 message" in res.stderr + res.stdout
    assert b not in inst.queue_files()
    assert not os.path.exists(os.path.join(inst.spool, "defer", b))
    # Unknown ids and things that are not ids are errors, nothing happens.
    res = inst.tegami("queue", "delete", b)
    assert res.returncode != 0 and "no such message" in res.stderr
    res = inst.tegami("queue", "delete", "../../etc/passwd")
    assert res.returncode != 0 and "not a queue id" in res.stderr
    assert sorted(inst.queue_files()) == sorted([a, c])

    # The destination comes back; the held message stays held over a flush.
    sink = start_sink(port)
    try:
        inst.tegami("queue", "flush", check=True)
        wait_until(lambda: "q2@remote.example" in sent(inst), 60, what="c sent")
        wait_until(lambda: inst.queue_files() == [a], 20, what="only a left")
        assert inst.queue_files("hold") == [a]
        assert "q0@remote.example" not in sent(inst)
        # Released: due now, delivered once.
        res = inst.tegami("queue", "release", a, check=True)
        assert "Released from hold: 1 message" in res.stderr + res.stdout
        wait_until(lambda: "q0@remote.example" in sent(inst), 60, what="a sent")
        wait_until(lambda: inst.queue_files() == [], 20, what="empty queue")
        assert sent(inst).count("q0@remote.example") == 1
        assert "q1@remote.example" not in sent(inst)
    finally:
        sink.kill()
        sink.wait()
    assert "Mail queue is empty" in inst.tegami("queue", "list", check=True).stdout


def test_all_and_root_only(new_instance):
    inst, _, ids = deferred_instance(new_instance, 3)
    if os.geteuid() == 0:
        # The modifying commands are root's; list and flush are anyone's.
        for op in ("delete", "hold", "release"):
            res = subprocess.run(
                [os.path.join(BIN, "tegami"), "-c", inst.dir, "queue", op, "ALL"],
                capture_output=True, text=True, user="nobody", timeout=60)
            assert res.returncode != 0, res
            assert "only root" in res.stderr
        assert sorted(inst.queue_files("deferred")) == ids
    res = inst.tegami("queue", "hold", "ALL", check=True)
    assert "Placed on hold: 3 messages" in res.stderr + res.stdout
    assert sorted(inst.queue_files("hold")) == ids
    res = inst.tegami("queue", "release", "ALL", check=True)
    assert "Released from hold: 3 messages" in res.stderr + res.stdout
    wait_until(lambda: sorted(inst.queue_files("deferred")) == ids, 60,
               what="back in deferred/")
    res = inst.tegami("queue", "delete", "ALL", check=True)
    assert "Deleted: 3 messages" in res.stderr + res.stdout
    assert inst.queue_files() == []
    res = inst.tegami("queue", "bogus")
    assert res.returncode != 0 and "usage" in res.stderr


class HoldingServer:
    """An SMTP server that answers the end of DATA only when the test sets
    `go`; counts the messages it accepted."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.in_data = threading.Event()
        self.go = threading.Event()
        self.messages = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        self.go.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        try:
            conn.settimeout(60)
            f = conn.makefile("rb")
            conn.sendall(b"220 hold.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250 hold.test\r\n")
                elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    conn.sendall(b"250 2.0.0 Ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    while f.readline() not in (b".\r\n", b""):
                        pass
                    self.in_data.set()
                    self.go.wait(30)
                    self.messages += 1
                    conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.2 what\r\n")
        except OSError:
            pass
        finally:
            conn.close()


def test_changes_under_a_running_delivery(new_instance):
    """hold and delete of a message in active/: qmgr finishes the delivery
    it started, does not deliver it again, and carries on."""
    srv = HoldingServer()
    try:
        inst = new_instance()
        inst.conf(myhostname="client.test", relayhost="[127.0.0.1]:%d" % srv.port,
                  **SLOW_RETRY)
        inst.start()
        inst.sendmail(["-f", "vera@localhost", "busy@remote.example"], MSG)
        assert srv.in_data.wait(60)
        (qid,) = inst.queue_files("active")
        res = inst.tegami("queue", "hold", qid, check=True)
        assert "Placed on hold: 1 message" in res.stderr + res.stdout
        assert inst.queue_files("hold") == [qid]
        srv.go.set()
        wait_until(lambda: "busy@remote.example" in sent(inst), 60, what="sent")
        wait_until(lambda: "%s: removed" % qid in inst.log(), 30, what="removed")
        # The delivery was recorded in the held file: a release does not
        # send it again.
        assert inst.queue_files("hold") == [qid]
        inst.tegami("queue", "release", qid, check=True)
        wait_until(lambda: inst.queue_files() == [], 30, what="empty queue")
        assert srv.messages == 1
        assert sent(inst).count("busy@remote.example") == 1

        # delete while active: the same, and the file is simply gone.
        srv.in_data.clear()
        srv.go.clear()
        inst.sendmail(["-f", "vera@localhost", "gone@remote.example"], MSG)
        assert srv.in_data.wait(60)
        (qid,) = inst.queue_files("active")
        inst.tegami("queue", "delete", qid, check=True)
        assert inst.queue_files() == []
        srv.go.set()
        wait_until(lambda: "gone@remote.example" in sent(inst), 60, what="sent")
        # qmgr is still there and still works.
        inst.sendmail(["-f", "vera@localhost", "after@remote.example"], MSG)
        wait_until(lambda: "after@remote.example" in sent(inst), 60, what="sent")
        assert "panic" not in inst.log() and "fatal" not in inst.log()
    finally:
        srv.close()
