"""qmgr's scheduling of outbound mail, end to end with the real smtp agent.

Peers the tests start themselves: Postfix's smtp-sink (Debian's postfix
package) as a destination that accepts everything, a Python SMTP server that
counts mail transactions in progress (the concurrency check), a listener that
closes every connection at once (it counts connection attempts) and a
closed port (a destination whose every connection is refused).  Checked: the
per-destination concurrency limit (smtp_destination_concurrency_limit, a
per-transport parameter that `tegami check` accepts), the dead-destination
cache ("delivery temporarily suspended", no more connection attempts) and
`tegami queue flush` reviving it, the probe after the dead time, one "delayed mail" notice per message
(delay_warning_time) and none for NOTIFY=NEVER, and the bounce after
maximal_queue_lifetime.
"""
import os
import re
import smtplib
import socket
import subprocess
import threading

import pytest

from conftest import wait_until

SMTP_SINK = "/usr/sbin/smtp-sink"
MYHOST = "client.test"
MSG = "From: vera@localhost\nSubject: scheduled\n\nhello\n"


def closed_port():
    """A loopback port nobody listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingServer:
    """A small SMTP server on 127.0.0.1 that accepts every message and
    records how many mail transactions (MAIL FROM to the reply after DATA)
    were in progress at once: a delivery request of qmgr is one transaction,
    while a TCP session may outlive it (QUIT, the agent's connection cache).
    A transaction is held after DATA until a second one is in progress too
    (or 5 s passed), so that a limit of 2 is reached whenever the client
    allows it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.current = 0
        self.max = 0
        self.sessions = 0
        self.messages = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        # shutdown() first: a thread blocked in accept() would otherwise
        # keep the port listening after close().
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

    def begin(self):
        with self.cond:
            self.current += 1
            self.max = max(self.max, self.current)
            self.cond.notify_all()

    def end(self):
        with self.cond:
            self.current -= 1

    def session(self, conn):
        in_xact = False
        with self.cond:
            self.sessions += 1
        try:
            conn.settimeout(30)
            f = conn.makefile("rb")
            conn.sendall(b"220 count.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250 count.test\r\n")
                elif verb == b"MAIL":
                    if not in_xact:
                        in_xact = True
                        self.begin()
                    conn.sendall(b"250 2.0.0 Ok\r\n")
                elif verb in (b"RCPT", b"NOOP"):
                    conn.sendall(b"250 2.0.0 Ok\r\n")
                elif verb == b"RSET":
                    if in_xact:
                        in_xact = False
                        self.end()
                    conn.sendall(b"250 2.0.0 Ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    while f.readline() not in (b".\r\n", b""):
                        pass
                    with self.cond:
                        self.cond.wait_for(lambda: self.current >= 2, timeout=5)
                        self.messages += 1
                    # The transaction ends before its reply can reach qmgr.
                    in_xact = False
                    self.end()
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
            if in_xact:
                self.end()


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


def statuses(inst, status):
    return re.findall(r"to=<[^>]+>, relay=[^,]*, .*status=%s \(([^\n]*)\)" % status,
                      inst.log())


def test_concurrency_never_exceeds_the_transport_limit(new_instance):
    srv = CountingServer()
    try:
        inst = new_instance()
        inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % srv.port,
                  smtp_destination_concurrency_limit="2",
                  initial_destination_concurrency="2")
        # The per-transport name is known to the checker (smtp is in master.cf).
        chk = inst.tegami("check")
        assert "unknown parameter smtp_destination_concurrency_limit" not in chk.stderr
        assert "initial_destination_concurrency" not in chk.stderr
        inst.start()
        for i in range(8):
            inst.sendmail(["-f", "vera@localhost", "r%d@remote.example" % i], MSG)
        wait_until(lambda: len(statuses(inst, "sent")) == 8, 60, what="8 sent")
        assert srv.messages == 8
        # The limit was reached (the server waits for a second transaction)
        # and never passed.
        assert srv.max == 2, srv.max
    finally:
        srv.close()


def test_checker_knows_per_transport_parameters(new_instance):
    inst = new_instance()
    inst.conf(relay_destination_concurrency_limit="3",
              smtp_destination_recipient_limit="10",
              smtp_destination_concurrency_failed_cohort_limit="2",
              nosuchservice_destination_concurrency_limit="3")
    res = inst.tegami("check")
    assert "unknown parameter relay_destination_concurrency_limit" not in res.stderr
    assert "unknown parameter smtp_destination_recipient_limit" not in res.stderr
    assert "smtp_destination_concurrency_failed_cohort_limit" not in res.stderr
    # A transport that master.cf does not have: unknown, as in Postfix.
    assert "unknown parameter nosuchservice_destination_concurrency_limit" in res.stderr
    inst.conf(smtp_destination_concurrency_limit="lots")
    res = inst.tegami("check")
    assert res.returncode != 0
    assert "smtp_destination_concurrency_limit" in res.stderr
    assert "expected an integer" in res.stderr


class SlammingServer:
    """A listener on 127.0.0.1 that accepts and closes every connection at
    once (a server that never greets) and counts the connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.accepts = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            conn.close()

    def close(self):
        # shutdown() first: a thread blocked in accept() would otherwise
        # keep the port listening after close().
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def test_dead_destination_suspends_and_flush_revives(new_instance):
    srv = SlammingServer()
    port = srv.port
    inst = new_instance()
    # One request at a time, dead after one failed cohort (Postfix's
    # default); a long dead time and back-off, so only a flush brings the
    # mail out.
    inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % port,
              initial_destination_concurrency="1",
              minimal_backoff_time="300s", maximal_backoff_time="600s",
              queue_run_delay="300s")
    inst.start()
    try:
        for i in range(5):
            inst.sendmail(["-f", "vera@localhost", "d%d@remote.example" % i], MSG)
        wait_until(lambda: len(statuses(inst, "deferred")) >= 5, 60,
                   what="5 deferred")
        wait_until(lambda: len(inst.queue_files("deferred")) == 5, 30,
                   what="5 files in deferred/")
        reasons = statuses(inst, "deferred")
        assert "is dead for 300s" in inst.log()
        suspended = [r for r in reasons
                     if r.startswith("delivery temporarily suspended: ")]
        tried = [r for r in reasons
                 if not r.startswith("delivery temporarily suspended")]
        # One session was tried; the other four were deferred at once with
        # the agent's reason for the first, and no connection was made.
        assert len(tried) == 1, reasons
        assert len(suspended) == 4, reasons
        assert all(tried[0] in r for r in suspended), (tried, suspended)
        assert srv.accepts == 1, srv.accepts
        # A message that arrives now is suspended too, without a connection.
        inst.sendmail(["-f", "vera@localhost", "d5@remote.example"], MSG)
        wait_until(lambda: len(statuses(inst, "deferred")) >= 6, 60,
                   what="6 deferred")
        assert statuses(inst, "deferred")[-1].startswith(
            "delivery temporarily suspended: ")
        assert srv.accepts == 1, srv.accepts
    finally:
        srv.close()
    # The site comes back; a flush retries now and forgets the dead state.
    sink = start_sink(port)
    try:
        inst.tegami("queue", "flush", check=True)
        wait_until(lambda: len(statuses(inst, "sent")) == 6, 60, what="6 sent")
        wait_until(lambda: inst.queue_files() == [], 20, what="empty queue")
        assert "dead state reset by a flush" in inst.log()
    finally:
        sink.kill()
        sink.wait()


def test_dead_destination_is_probed_after_its_dead_time(new_instance):
    port = closed_port()
    inst = new_instance()
    # Dead for minimal_backoff_time (1 s here); the next retry of a message
    # after that is one probe delivery, which finds the server back.
    inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % port,
              initial_destination_concurrency="1")
    inst.start()
    inst.sendmail(["-f", "vera@localhost", "p0@remote.example"], MSG)
    wait_until(lambda: "is dead for 1s" in inst.log(), 60, what="dead destination")
    sink = start_sink(port)
    try:
        wait_until(lambda: len(statuses(inst, "sent")) == 1, 60, what="probe sent")
        wait_until(lambda: inst.queue_files() == [], 20, what="empty queue")
        assert "dead state reset by a flush" not in inst.log()
    finally:
        sink.kill()
        sink.wait()


def test_one_delay_notice_per_message(new_instance):
    port = closed_port()
    inst = new_instance()
    inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % port,
              delay_warning_time="1s")
    inst.start()
    inst.sendmail(["-f", "vera@localhost", "late@remote.example"], MSG)
    notes = inst.wait_messages("vera", 1, timeout=60)
    # Retries go on (back-off 1-2 s); no second notice comes.
    n = len(statuses(inst, "deferred"))
    wait_until(lambda: len(statuses(inst, "deferred")) >= n + 3, 60,
               what="three more attempts")
    assert len(inst.messages("vera")) == 1
    text = open(notes[0], "rb").read().decode(errors="replace")
    assert "Subject: Delayed Mail (still being retried)" in text
    assert "Action: delayed" in text
    assert "Final-Recipient: rfc822; late@remote.example" in text
    assert "Will-Retry-Until: " in text
    assert "THIS IS A WARNING ONLY" in text
    assert re.search(r"sender delay notification: [0-9A-F]{17}", inst.log())
    assert len(re.findall(r"sender delay notification", inst.log())) == 1


def test_notify_never_gets_no_delay_notice(new_instance):
    port = closed_port()
    inst = new_instance()
    inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % port,
              delay_warning_time="1s")
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as c:
        c.ehlo("client.example")
        c.sendmail("vera@localhost", ["never@remote.example"],
                   MSG, rcpt_options=["NOTIFY=NEVER"])
    # A few attempts, well past delay_warning_time, and no notice.
    wait_until(lambda: len(statuses(inst, "deferred")) >= 3, 60,
               what="three attempts")
    # A message that asks for one gets it: the feature is on.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as c:
        c.ehlo("client.example")
        c.sendmail("vera@localhost", ["delay@remote.example"],
                   MSG, rcpt_options=["NOTIFY=DELAY"])
    notes = inst.wait_messages("vera", 1, timeout=60)
    assert len(notes) == 1
    text = open(notes[0], "rb").read().decode(errors="replace")
    assert "delay@remote.example" in text and "never@remote.example" not in text


def test_expired_message_bounces(new_instance):
    port = closed_port()
    inst = new_instance()
    inst.conf(myhostname=MYHOST, relayhost="[127.0.0.1]:%d" % port,
              maximal_queue_lifetime="3s")
    inst.start()
    inst.sendmail(["-f", "vera@localhost", "old@remote.example"], MSG)
    notes = inst.wait_messages("vera", 1, timeout=60)
    text = open(notes[0], "rb").read().decode(errors="replace")
    assert "Subject: Undelivered Mail Returned to Sender" in text
    assert "Action: failed" in text
    assert "Final-Recipient: rfc822; old@remote.example" in text
    assert "status=expired, returned to sender" in inst.log()
    wait_until(lambda: inst.queue_files() == [], 20, what="empty queue")
