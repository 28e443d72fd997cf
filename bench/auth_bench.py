#!/usr/bin/python3
"""bench/auth_bench.py — logins per second that auth(8) sustains.

For each hash method (yescrypt, sha512-crypt; libxcrypt's default costs, as
`tegami passwd -m METHOD` makes them) a fresh `tegami init` instance with
one user is started, and COUNT PLAIN exchanges with the right password are
sent straight to QUEUE_DIR/private/auth (the IPC framing of doc/ipc.md,
as the submission server sends them) from CLIENTS concurrent connections.
Timed from the first request to the last reply; median of RUNS runs.
Every exchange must succeed.  Prints a Markdown section; with --write it is
appended to bench/RESULTS.md.  Run as root (so auth drops to mail_owner as
in production).  Usage:

    bench/auth_bench.py BUILD_DIR [--runs 3] [--count 300] [--clients 4] [--write]
"""
import argparse
import os
import platform
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def machine():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, Linux %s" % (cpu, os.cpu_count(), mem,
                                                  platform.release())


def frame(*attrs):
    out = b""
    for name, value in attrs:
        n = name.encode()
        if isinstance(value, int):
            t, v = b"i", struct.pack(">q", value)
        elif isinstance(value, bytes):
            t, v = b"b", value
        else:
            t, v = b"s", value.encode()
        out += t + bytes([len(n)]) + n + struct.pack(">I", len(v)) + v
    return struct.pack(">I", len(out)) + out


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            raise RuntimeError("auth closed the connection")
        buf += c
    return buf


REQ = frame(("req", "auth-start"), ("mech", "PLAIN"),
            ("client_addr", "127.0.0.1"), ("tls", 1),
            ("resp", b"\0bench\0bench-password"))


def one_login(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(60)
        s.connect(path)
        s.sendall(REQ)
        n = struct.unpack(">I", recv_exact(s, 4))[0]
        payload = recv_exact(s, n)
        if b"auth_status\x00\x00\x00\x02ok" not in payload:
            raise RuntimeError("login failed: %r" % payload)


def run_once(build, method, count, clients):
    tegami = os.path.join(build, "bin", "tegami")
    root = tempfile.mkdtemp(prefix="tegami-authbench-", dir="/tmp")
    os.chmod(root, 0o755)
    inst = os.path.join(root, "i")
    try:
        subprocess.run([tegami, "init", inst, "--port-base", "31000"],
                       check=True, capture_output=True)
        subprocess.run([tegami, "-c", inst, "passwd", "-m", method, "bench"],
                       input="bench-password\n", text=True, check=True,
                       capture_output=True)
        subprocess.run([tegami, "-c", inst, "start"], check=True,
                       capture_output=True)
        path = os.path.join(inst, "spool", "private", "auth")
        one_login(path)         # auth started, file read
        left = [count]
        lock = threading.Lock()
        errors = []

        def worker():
            while True:
                with lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                try:
                    one_login(path)
                except Exception as e:     # noqa: BLE001 — reported below
                    errors.append(e)
                    return
        threads = [threading.Thread(target=worker) for _ in range(clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.monotonic() - t0
        if errors:
            raise errors[0]
        return secs
    finally:
        subprocess.run([tegami, "-c", inst, "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    rows = []
    for method, label in (("yescrypt", "yescrypt ($y$)"),
                          ("sha512", "sha512-crypt ($6$)")):
        secs = [run_once(build, method, a.count, a.clients) for _ in range(a.runs)]
        rates = [a.count / s for s in secs]
        rows.append((label, secs, rates))
    out = ["", "## auth logins per second, %s" % time.strftime("%Y-%m-%d"), "",
           "- machine: %s" % machine(),
           "- command: `bench/auth_bench.py %s --runs %d --count %d --clients %d`"
           % (a.build, a.runs, a.count, a.clients),
           "- what: %d PLAIN exchanges with the right password, from %d "
           "concurrent connections straight to private/auth (one auth "
           "process, as master.cf runs it); first request to last reply"
           % (a.count, a.clients), "",
           "| hash | runs (s) | logins/s per run | **median logins/s** |",
           "| --- | --- | --- | --- |"]
    for label, secs, rates in rows:
        out.append("| %s | %s | %s | **%.0f** |" % (
            label, ", ".join("%.2f" % s for s in secs),
            ", ".join("%.0f" % r for r in rates), statistics.median(rates)))
    out += ["", "Notes: auth verifies one login at a time in one process "
            "(crypt(3) is CPU work, libxcrypt's default cost), so this is "
            "the rate of one core; the failed-login table needs the single "
            "process.", ""]
    text = "\n".join(out)
    print(text)
    if a.write:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
