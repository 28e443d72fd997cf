#!/usr/bin/python3
"""bench/relay_bench.py — messages per second relayed, and time to drain a
deferred queue, tegami beside Debian's Postfix.

Relay: Postfix's smtp-source injects COUNT messages (1 KiB and 100 KiB
bodies; 20 and 200 parallel sessions, one message per session) into a
fresh `tegami init` instance whose relayhost is Postfix's smtp-sink on
127.0.0.1; timed from the start of smtp-source until the sink has counted
COUNT messages (its -c counters: every "." it answered) and the sender's
queue (incoming, active, deferred, maildrop) is empty.  --postfix runs the
same cells through a private Debian Postfix (tests/integration/postfix_peer.py)
in the same run.  --tls adds the outbound leg over STARTTLS: smtp-sink has
no TLS, so there the receiver is a private Postfix smtpd with a self-signed
certificate that discards everything (counted by its "status=sent" log
lines), once with smtp_tls_security_level = encrypt on the sender and once
with no TLS (the baseline against the same receiver).
Drain: with no sink listening, DRAIN messages are injected (20 sessions)
and deferred (connection refused); once all are in deferred/, the sink is
started, the queue flushed (`tegami queue flush`, `postqueue -f`), and the
time until the sink has them all and the queue is empty is taken.
Everything else is at its default on both MTAs.  Every wait is bounded
(--timeout); a run that times out or loses messages is an error.  Prints a
Markdown section (per-run figures on standard error); with --write it is
appended to bench/RESULTS.md.  Run as root.  Usage:

    bench/relay_bench.py BUILD_DIR [--runs 3] [--count N] [--postfix]
        [--tls | --tls-only] [--drain 20000 | --no-relay] [--timeout 600] [--write]

--tls-only: only the rows against the Postfix receiver; --no-relay: only the
drain test; --drain 0: no drain test.
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

SIZES = (1024, 102400)
SESSIONS = (20, 200)
DEFAULT_COUNT = {1024: 2000, 102400: 500}
SENDER = "from@bench.example"
RCPT = "to@remote.example"
QUEUE_DIRS = ("maildrop", "incoming", "active", "deferred")


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, Linux %s" % (cpu, os.cpu_count(), mem,
                                                  platform.release())


def fs_type(path):
    out = subprocess.run(["df", "-T", path], capture_output=True, text=True)
    try:
        return out.stdout.splitlines()[1].split()[1]
    except IndexError:
        return "unknown"


def postfix_version():
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "postfix"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def tcp_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A loopback port below the kernel's source ports (see peer_common)."""
    from peer_common import free_peer_port
    return free_peer_port()


def free_base():
    """A tegami --port-base whose +25, +65 and +87 are free."""
    for _ in range(200):
        base = random.randrange(26000, 31900, 100)
        if all(tcp_free(base + o) for o in (25, 65, 87)):
            return base
    raise RuntimeError("no free port base")


def wait_until(pred, timeout, what, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return time.monotonic()
        time.sleep(step)
    raise RuntimeError("timed out after %.0f s waiting for %s" %
                       (timeout, what() if callable(what) else what))


def count_files(root, dirs=QUEUE_DIRS):
    n = 0
    for d in dirs:
        for _, _, files in os.walk(os.path.join(root, d)):
            n += len(files)
    return n


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


# -- receivers ----------------------------------------------------------------

class SmtpSink:
    """smtp-sink on 127.0.0.1:port; count() is the messages it answered."""

    def __init__(self, port):
        self.port = port
        self.proc = None
        self.mesg = 0

    def start(self):
        self.proc = subprocess.Popen(
            ["/usr/sbin/smtp-sink", "-u", "nobody", "-c",
             "127.0.0.1:%d" % self.port, "1024"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        wait_until(lambda: listening(self.port), 10, "smtp-sink to listen")
        # that probe was one session, no message
        return self

    def _read(self):
        # -c prints "sess=N quit=N mesg=N\r" whenever a session ends, a QUIT
        # is executed or a "." is received.
        tail = b""
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return
            tail = (tail + chunk)[-256:]
            found = re.findall(rb"mesg=(\d+)", tail)
            if found:
                self.mesg = int(found[-1])

    def count(self):
        return self.mesg

    def sessions(self):
        # sess= counts sessions that ended; a cached connection has not
        return None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


class TlsSink:
    """A private Postfix: smtpd with STARTTLS (self-signed certificate, level
    may), every message to discard(8); count() is its "status=sent" lines."""

    def __init__(self):
        from postfix_peer import PostfixPeer
        self.peer = PostfixPeer(tls=True, hostname="sink.bench.example",
                                default_transport="discard",
                                relay_transport="discard")
        self.port = self.peer.port
        self.offset = 0
        self.sent = 0
        self.nsess = 0
        self.tls_sessions = 0

    def start(self):
        self.peer.start()
        return self

    def _scan(self):
        try:
            with open(self.peer.maillog, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            if b"status=sent" in line:
                self.sent += 1
            elif re.search(rb"\]: connect from ", line):
                self.nsess += 1
            elif b"TLS connection established from" in line:
                self.tls_sessions += 1

    def count(self):
        self._scan()
        return self.sent

    def sessions(self):
        self._scan()
        return self.nsess

    def stop(self):
        self._scan()
        self.peer.stop()


# -- senders ------------------------------------------------------------------

class Tegami:
    name = "tegami"

    def __init__(self, build, relayhost_port, tls):
        self.build = build
        self.bin = os.path.join(build, "bin", "tegami")
        self.root = tempfile.mkdtemp(prefix="tegami-relaybench-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.dir = os.path.join(self.root, "i")
        base = free_base()
        self.port = base + 25
        self.run("init", self.dir, "--port-base", str(base))
        settings = ["relayhost=[127.0.0.1]:%d" % relayhost_port,
                    "mynetworks=127.0.0.0/8",
                    "myhostname=relay.bench.example"]
        if tls:
            settings.append("smtp_tls_security_level=encrypt")
        self.ctl("conf", "-e", *settings)
        self.spool = os.path.join(self.dir, "spool")

    def run(self, *args):
        return subprocess.run([self.bin] + list(args), check=True,
                              capture_output=True, text=True, timeout=60)

    def ctl(self, *args):
        return self.run("-c", self.dir, *args)

    def start(self):
        self.ctl("start")
        wait_until(lambda: listening(self.port), 10, "tegami's smtpd")
        return self

    def queued(self, dirs=QUEUE_DIRS):
        return count_files(self.spool, dirs)

    def flush(self):
        r = subprocess.run([self.bin, "-c", self.dir, "queue", "flush"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            # before `tegami queue flush` existed
            subprocess.run([os.path.join(self.build, "bin", "sendmail"),
                            "-C", self.dir, "-q"], check=True,
                           capture_output=True, timeout=60)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        try:
            subprocess.run([self.bin, "-c", self.dir, "stop"],
                           capture_output=True, timeout=60)
        finally:
            if os.environ.get("TEGAMI_KEEP"):
                print("kept", self.root, file=sys.stderr)
            else:
                shutil.rmtree(self.root, ignore_errors=True)


class Postfix:
    name = "Postfix"

    def __init__(self, build, relayhost_port, tls):
        from postfix_peer import PostfixPeer
        settings = {"relayhost": "[127.0.0.1]:%d" % relayhost_port}
        if tls:
            settings["smtp_tls_security_level"] = "encrypt"
        self.peer = PostfixPeer(hostname="relay.bench.example", **settings)
        self.port = self.peer.port
        self.spool = self.peer.spool

    def start(self):
        self.peer.start()
        return self

    def queued(self, dirs=QUEUE_DIRS):
        return count_files(self.spool, dirs)

    def flush(self):
        subprocess.run(["/usr/sbin/postqueue", "-c", self.peer.etc, "-f"],
                       check=True, capture_output=True, timeout=60)

    def log(self):
        return self.peer.log()

    def stop(self):
        self.peer.stop()


# -- runs ---------------------------------------------------------------------

def inject(port, count, sessions, size):
    """smtp-source in the background; returns the Popen."""
    return subprocess.Popen(
        ["/usr/sbin/smtp-source", "-c", "-s", str(sessions), "-m", str(count),
         "-l", str(size), "-f", SENDER, "-t", RCPT, "127.0.0.1:%d" % port],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def injected(src, timeout):
    """Wait for smtp-source; the number of DATA commands it completed."""
    try:
        out, err = src.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        src.kill()
        src.communicate()
        raise RuntimeError("smtp-source did not finish in %.0f s" % timeout)
    counts = re.findall(rb"\d+", out)
    if src.returncode != 0:
        raise RuntimeError("smtp-source failed (%d): %s" %
                           (src.returncode, err.decode(errors="replace")[-500:]))
    return int(counts[-1]) if counts else 0, err.decode(errors="replace")


def relay_run(mta_cls, build, size, sessions, count, tls, timeout):
    if tls is None:
        sink = SmtpSink(free_port())
    else:
        sink = TlsSink()
    mta = None
    try:
        sink.start()
        mta = mta_cls(build, sink.port, tls)
        mta.start()
        time.sleep(0.2)             # the start-up probes' sessions end
        sess0, tls0 = sink.sessions() or 0, getattr(sink, "tls_sessions", 0)
        t0 = time.monotonic()
        src = inject(mta.port, count, sessions, size)
        n, err = injected(src, timeout)
        t_acc = time.monotonic()
        if n < count:
            raise RuntimeError("%s accepted only %d of %d: %s" %
                               (mta.name, n, count, err[-500:]))
        wait_until(lambda: sink.count() >= count and mta.queued() == 0,
                   timeout, lambda: "%d messages at the sink (have %d, %d "
                   "queued)" % (count, sink.count(), mta.queued()))
        t1 = time.monotonic()
        got = sink.count()
        time.sleep(0.3)             # the last sessions end, are logged
        res = {"mta": mta.name, "size": size, "sessions": sessions,
               "tls": tls, "count": count, "received": got,
               "seconds": t1 - t0, "accept_seconds": t_acc - t0,
               "rate": count / (t1 - t0)}
        if tls is not None:
            res["sink_sessions"] = sink.sessions() - sess0
            res["sink_tls_sessions"] = sink.tls_sessions - tls0
            if tls and res["sink_tls_sessions"] < res["sink_sessions"]:
                raise RuntimeError("%s: %d of %d sessions without TLS at the "
                                   "receiver" % (mta.name, res["sink_sessions"]
                                                 - res["sink_tls_sessions"],
                                                 res["sink_sessions"]))
            if not tls and res["sink_tls_sessions"]:
                raise RuntimeError("%s used TLS in a no-TLS run" % mta.name)
        return res
    finally:
        try:
            if mta is not None:
                mta.stop()
        finally:
            sink.stop()


def drain_run(mta_cls, build, n, timeout):
    sink = SmtpSink(free_port())     # not started yet: connection refused
    mta = mta_cls(build, sink.port, None)
    try:
        mta.start()
        t0 = time.monotonic()
        src = inject(mta.port, n, 20, 1024)
        got, err = injected(src, timeout)
        if got < n:
            raise RuntimeError("%s accepted only %d of %d: %s" %
                               (mta.name, got, n, err[-500:]))
        wait_until(lambda: mta.queued(("deferred",)) >= n, timeout,
                   lambda: "%d messages in deferred/ (have %d)"
                   % (n, mta.queued(("deferred",))), step=0.5)
        t_def = time.monotonic()
        sink.start()
        t1 = time.monotonic()
        mta.flush()
        wait_until(lambda: sink.count() >= n and mta.queued() == 0, timeout,
                   lambda: "%d messages at the sink (have %d, %d queued)"
                   % (n, sink.count(), mta.queued()))
        t2 = time.monotonic()
        return {"mta": mta.name, "count": n, "received": sink.count(),
                "defer_seconds": t_def - t0, "seconds": t2 - t1,
                "rate": n / (t2 - t1)}
    finally:
        try:
            mta.stop()
        finally:
            sink.stop()


# -- report -------------------------------------------------------------------

def fmt_list(xs, f):
    return ", ".join(f % x for x in xs)


def tls_label(tls):
    return {None: "smtp-sink, no TLS", False: "Postfix+discard, no TLS",
            True: "Postfix+discard, STARTTLS"}[tls]


def report(a, cmd, mtas, modes, counts, relay, drain):
    med = statistics.median
    out = ["## SMTP relay through to a sink, and draining a deferred queue, %s"
           % time.strftime("%Y-%m-%d"), "",
           "- machine: %s; queues on %s (%s)" % (machine(), "/tmp",
                                                  fs_type("/tmp")),
           "- command: `%s`" % cmd]
    if "Postfix" in mtas:
        out.append("- compared with: Debian postfix %s, a private instance "
                   "(tests/integration/postfix_peer.py), same machine, same run,"
                   " runs interleaved" % postfix_version())
    if modes:
        out += [
            "- relay: `smtp-source -c -s SESSIONS -m COUNT -l SIZE` into the"
            " MTA's smtpd on 127.0.0.1 (one message per session); relayhost ="
            " [127.0.0.1]:PORT of the receiver; all other parameters at their"
            " defaults on both (default_destination_concurrency_limit = 20)."
            " Timed from the start of smtp-source to the moment the receiver"
            " has counted COUNT messages and the MTA's queue is empty.",
            "- receiver: `smtp-sink -c`, counting every \".\" it answered"]
        if modes != [None]:
            out[-1] += (
                "; in the STARTTLS rows and their no-TLS baseline a private"
                " Postfix smtpd with a self-signed certificate"
                " (smtpd_tls_security_level = may) that discards everything,"
                " counting its status=sent lines; the sender has"
                " smtp_tls_security_level = encrypt in the STARTTLS rows, and"
                " every session the receiver logged was a TLS one")
        out += [
            "- runs: %d per cell; msg/s = COUNT / seconds" % a.runs, "",
            "| size | sessions | receiver | MTA | messages | seconds per run |"
            " msg/s per run | accepted in (s, median) | SMTP sessions at the"
            " receiver (median) | **median msg/s** |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    else:
        out.append("- runs: %d" % a.runs)
    for tls in modes:
        for size in SIZES:
            for sess in SESSIONS:
                for m in mtas:
                    rs = relay[(tls, size, sess, m)]
                    out.append("| %d KiB | %d | %s | %s | %d | %s | %s | %.1f | %s"
                               " | **%.0f** |" % (
                                   size // 1024, sess, tls_label(tls), m,
                                   counts[size],
                                   fmt_list([r["seconds"] for r in rs], "%.1f"),
                                   fmt_list([r["rate"] for r in rs], "%.0f"),
                                   med(r["accept_seconds"] for r in rs),
                                   "%d" % med(r["sink_sessions"] for r in rs)
                                   if tls is not None else "-",
                                   med(r["rate"] for r in rs)))
    if drain:
        out += ["",
                "Drain: %d messages of 1 KiB injected over 20 sessions while"
                " nothing listens on the relayhost's port (connection refused),"
                " so all are deferred; once all %d are in deferred/, smtp-sink"
                " is started and the queue flushed (`tegami queue flush`,"
                " `postqueue -f`); timed from the flush to the moment the sink"
                " has them all and the queue is empty." % (a.drain, a.drain), "",
                "| MTA | messages | inject + defer (s, median) | drain seconds per"
                " run | msg/s per run | **median drain seconds** | median msg/s |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for m in mtas:
            rs = drain[m]
            out.append("| %s | %d | %.1f | %s | %s | **%.1f** | %.0f |" % (
                m, a.drain, med(r["defer_seconds"] for r in rs),
                fmt_list([r["seconds"] for r in rs], "%.1f"),
                fmt_list([r["rate"] for r in rs], "%.0f"),
                med(r["seconds"] for r in rs), med(r["rate"] for r in rs)))
    out += ["", "Notes: smtp-source, the receiver and the MTA share the same"
            " cores; every accepted message costs the MTA an fsync of its queue"
            " file and directory. SMTP sessions at the receiver: the"
            " connections the sender opened for COUNT messages (fewer: it"
            " reused connections). Per-run figures are printed on standard"
            " error."]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=None,
                    help="messages per relay run (default: 2000 of 1 KiB, "
                    "500 of 100 KiB)")
    ap.add_argument("--postfix", action="store_true")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--tls-only", action="store_true",
                    help="only the rows against the Postfix receiver")
    ap.add_argument("--no-relay", action="store_true",
                    help="only the drain test")
    ap.add_argument("--drain", type=int, default=20000,
                    help="messages for the drain test (0: no drain test)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="bound on every wait, seconds")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("relay_bench.py: run as root (tegami init, Postfix)")
    build = os.path.abspath(a.build)
    classes = {"tegami": Tegami, "Postfix": Postfix}
    mtas = ["tegami"] + (["Postfix"] if a.postfix else [])
    modes = [] if a.tls_only or a.no_relay else [None]
    if (a.tls or a.tls_only) and not a.no_relay:
        modes += [False, True]
    counts = {s: a.count or DEFAULT_COUNT[s] for s in SIZES}
    cmd = " ".join(["bench/relay_bench.py"] +
                   [x for x in sys.argv[1:] if x != "--write"])
    relay = {}
    drain = {}
    for i in range(a.runs):
        for tls in modes:
            for size in SIZES:
                for sess in SESSIONS:
                    for m in mtas:
                        r = relay_run(classes[m], build, size, sess, counts[size],
                                      tls, a.timeout)
                        print("run %d: %s" % (i + 1, json.dumps(r)), file=sys.stderr)
                        relay.setdefault((tls, size, sess, m), []).append(r)
        if a.drain:
            for m in mtas:
                r = drain_run(classes[m], build, a.drain, a.timeout)
                print("drain run %d: %s" % (i + 1, json.dumps(r)), file=sys.stderr)
                drain.setdefault(m, []).append(r)
    text = report(a, cmd, mtas, modes, counts, relay, drain)
    print(text)
    if a.write:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
