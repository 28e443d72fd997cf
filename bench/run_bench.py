#!/usr/bin/python3
"""bench/run_bench.py — messages per second through a fresh tegami instance.

For each run: `tegami init` a new instance, start it, send COUNT messages
of 2 KiB over SESSIONS concurrent SMTP sessions (bench/smtp_load.py), and
time from the first connection to the moment the last message is in the
Maildir.  Memory: the instance's processes are sampled every 100 ms; the
peak of their summed RSS is reported.  Prints a Markdown section; with
--write it is appended to bench/RESULTS.md.  Usage:

    bench/run_bench.py BUILD_DIR [--runs 3] [--count 10000] [--sessions 20] [--write]
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def instance_pids(build, root):
    libexec = os.path.join(build, "libexec", "tegami") + "/"
    pids = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % e)
            with open("/proc/%s/cmdline" % e, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if exe.startswith(libexec) and root.encode() in argv:
            pids.append(e)
    return pids


def rss_kib(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_run(build, count, sessions, size):
    root = tempfile.mkdtemp(prefix="tegami-bench-", dir="/tmp")
    os.chmod(root, 0o755)
    tegami = os.path.join(build, "bin", "tegami")
    base = 31000
    subprocess.run([tegami, "init", root, "--port-base", str(base)], check=True,
                   capture_output=True)
    subprocess.run([tegami, "-c", root, "start"], check=True)
    peak = {"rss": 0, "procs": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            pids = instance_pids(build, root)
            total = sum(rss_kib(p) for p in pids)
            if total > peak["rss"]:
                peak["rss"] = total
            peak["procs"] = max(peak["procs"], len(pids))
            time.sleep(0.1)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        new = os.path.join(root, "mail", "bench", "Maildir", "new")
        load = subprocess.run([sys.executable, os.path.join(HERE, "smtp_load.py"),
                               "--port", str(base + 25), "--count", str(count),
                               "--sessions", str(sessions), "--size", str(size)],
                              check=True, capture_output=True, text=True)
        res = json.loads(load.stdout)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            n = len(os.listdir(new)) if os.path.isdir(new) else 0
            if n >= res["ok"]:
                break
            time.sleep(0.02)
        end = time.monotonic()
        delivered = len(os.listdir(new)) if os.path.isdir(new) else 0
    finally:
        done.set()
        sampler.join()
        subprocess.run([tegami, "-c", root, "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
    elapsed = end - res["start"]
    accept = res["last_ack"] - res["start"] if res["last_ack"] else float("nan")
    return {"acked": res["ok"], "failed": res["failed"], "delivered": delivered,
            "seconds": elapsed, "rate": delivered / elapsed,
            "accept_rate": res["ok"] / accept, "peak_rss_kib": peak["rss"],
            "peak_procs": peak["procs"]}


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    runs = []
    for i in range(a.runs):
        r = one_run(build, a.count, a.sessions, a.size)
        print("run %d: %s" % (i + 1, json.dumps(r)), file=sys.stderr)
        runs.append(r)
    med = lambda k: statistics.median(r[k] for r in runs)
    lines = [
        "## SMTP in to Maildir, %s" % time.strftime("%Y-%m-%d"),
        "",
        "- machine: %s" % machine(),
        "- command: `bench/run_bench.py build --runs %d --count %d --sessions %d`"
        % (a.runs, a.count, a.sessions),
        "- what: %d messages of %d bytes over %d concurrent SMTP sessions to a fresh"
        " `tegami init` instance; time from the first connection to the last"
        " message in the Maildir" % (a.count, a.size, a.sessions),
        "",
        "| run | delivered | seconds | msg/s end to end | msg/s accepted | peak RSS of all processes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for i, r in enumerate(runs):
        lines.append("| %d | %d | %.1f | %.0f | %.0f | %.1f MiB (%d processes) |" % (
            i + 1, r["delivered"], r["seconds"], r["rate"], r["accept_rate"],
            r["peak_rss_kib"] / 1024, r["peak_procs"]))
    lines.append("| **median** | %d | %.1f | **%.0f** | %.0f | %.1f MiB |" % (
        med("delivered"), med("seconds"), med("rate"), med("accept_rate"),
        med("peak_rss_kib") / 1024))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.write:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
