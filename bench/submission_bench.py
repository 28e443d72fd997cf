#!/usr/bin/python3
"""bench/submission_bench.py — AUTH + send over port 465 (implicit TLS).

For each run: `tegami init` a fresh instance, give it one account (its
hash made with the scheme asked for), start it, and let CLIENTS threads
each open SMTP_SSL connections to the instance's 465 port, log in with
AUTH PLAIN, send one 1 KiB message and quit, COUNT times in all.  Timed
from the first connection until the last 250; then until every message is
in the Maildir.  The median of RUNS runs is reported (the scheme decides
how fast auth(8) can verify passwords: yescrypt is slow on purpose).
Prints a Markdown section; --write appends it to bench/RESULTS.md.

    bench/submission_bench.py BUILD_DIR [--runs 3] [--count 500]
        [--clients 50] [--scheme sha512|yescrypt] [--write]
"""
import argparse
import crypt
import os
import platform
import shutil
import smtplib
import ssl
import statistics
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BODY = "From: bench@example.com\r\nSubject: bench\r\n\r\n" + ("x" * 70 + "\r\n") * 14


def one_run(build, count, clients, scheme, base):
    root = tempfile.mkdtemp(prefix="tegami-subbench-", dir="/tmp")
    os.chmod(root, 0o755)
    tegami = os.path.join(build, "bin", "tegami")
    subprocess.run([tegami, "init", root, "--port-base", str(base)], check=True,
                   capture_output=True)
    subprocess.run([tegami, "-c", root, "conf", "-e", "smtpd_peername_lookup=no"],
                   check=True, capture_output=True)
    method = crypt.METHOD_SHA512 if scheme == "sha512" else None
    if method is not None:
        with open(os.path.join(root, "passwd"), "w") as f:
            f.write("bench:%s\n" % crypt.crypt("bench-pw", crypt.mksalt(method)))
        os.chmod(os.path.join(root, "passwd"), 0o600)
    else:
        subprocess.run([tegami, "-c", root, "passwd", "bench"], input="bench-pw\n",
                       text=True, check=True, capture_output=True)
    subprocess.run([tegami, "-c", root, "start"], check=True, capture_output=True)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    port = base + 65
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=5).quit()
            break
        except OSError:
            time.sleep(0.1)
    lock = threading.Lock()
    left = [count]
    failures = []

    def client():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            try:
                s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=120)
                s.login("bench", "bench-pw")
                s.sendmail("bench@example.com", ["sink@localhost"], BODY)
                s.quit()
            except Exception as e:          # counted, reported
                with lock:
                    failures.append(repr(e))

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = time.monotonic() - t0
    new = os.path.join(root, "mail", "sink", "Maildir", "new")
    limit = time.monotonic() + 300
    while time.monotonic() < limit:
        n = len(os.listdir(new)) if os.path.isdir(new) else 0
        if n >= count - len(failures):
            break
        time.sleep(0.05)
    delivered = time.monotonic() - t0
    subprocess.run([tegami, "-c", root, "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    return accepted, delivered, n, failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--scheme", choices=("sha512", "yescrypt"), default="sha512")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    rows, rates = [], []
    failed = []
    for i in range(a.runs):
        acc, dlv, n, fails = one_run(build, a.count, a.clients, a.scheme, 33000 + 100 * i)
        failed += fails
        rate = (a.count - len(fails)) / acc
        rates.append(rate)
        rows.append("| %d | %d | %d | %.1f | %.0f | %.1f |" %
                    (i + 1, a.count - len(fails), len(fails), acc, rate, dlv))
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    text = ["", "## AUTH + send over 465, %s hashes, %s" % (a.scheme, time.strftime("%Y-%m-%d")), "",
            "Machine: %s, %d CPUs.  Command: `bench/submission_bench.py %s "
            "--runs %d --count %d --clients %d --scheme %s`.  Each message: a new "
            "TLS connection (SMTP_SSL), AUTH PLAIN, one 1 KiB message, QUIT; "
            "%d client threads (Python, one machine with the server)." %
            (cpu, os.cpu_count(), a.build, a.runs, a.count, a.clients, a.scheme, a.clients),
            "",
            "| run | sent | failed | seconds to last 250 | logins+messages/s | seconds to last delivery |",
            "| --- | --- | --- | --- | --- | --- |"] + rows + [
            "| **median** | | | | **%.0f** | |" % statistics.median(rates), ""]
    if failed:
        text.append("Failures (first 3): %s" % "; ".join(sorted(set(failed))[:3]))
    out = "\n".join(text)
    print(out)
    if a.write:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(out)


if __name__ == "__main__":
    main()
