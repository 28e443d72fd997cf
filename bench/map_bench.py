#!/usr/bin/python3
"""bench/map_bench.py — lookups per second of tegami's tables.

A hash: table of KEYS keys (`user123456@example.com  mailbox...`) is built
with `tegami map hash:FILE` and, from an identical copy of the source,
with Debian's `/usr/sbin/postmap hash:FILE` (build times reported); then
LOOKUPS random existing keys and MISSING absent keys, shuffled, are piped
through `tegami map -q - hash:FILE` and `postmap -q - hash:FILE`.  The
same for the lmdb: copy made by `tegami map -C`, and for a PCRE_LINES-line
pcre: table (`/^user12345@ex[a-z]*\\.com$/ OK12345`) with PCRE_LOOKUPS
keys, half matching, half not (Debian's postmap has pcre: only with the
postfix-pcre package; it is used when present).  Process start-up and
table open are subtracted: a 1-key run through the same command is timed
and its time taken off.  Both tools must print the same answers.  Median
of RUNS runs each.  Data lives in a directory under /tmp, removed at the
end.  Prints a Markdown section; with --write it is appended to
bench/RESULTS.md.  Usage:

    bench/map_bench.py BUILD_DIR [--runs 3] [--keys 1000000] [--write]
"""
import argparse
import os
import platform
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POSTMAP = "/usr/sbin/postmap"


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


def postfix_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "postfix"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        out = ""
    return out or "unknown"


def postmap_has(pfconf, typ):
    r = subprocess.run([POSTMAP, "-c", pfconf, "-m"], capture_output=True,
                       text=True)
    return typ in r.stdout.split()


def timed(cmd, stdin_path=None, stdout_path=os.devnull, env=None, cpu=None):
    """Seconds to run cmd with stdin from a file; fails loudly.  cpu (a
    list) receives the command's user and system CPU seconds."""
    with open(stdin_path or os.devnull, "rb") as fin, \
            open(stdout_path, "wb") as fout:
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE,
                           env=env)
        dt = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        sys.exit("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                      r.stderr.decode(errors="replace")[-500:]))
    if cpu is not None:
        cpu[:] = [ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime]
    return dt


def timed_build(cmd, env=None):
    """(wall, user, system) seconds of a build command."""
    cpu = []
    wall = timed(cmd, env=env, cpu=cpu)
    return (wall, cpu[0], cpu[1])


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def make_data(d, a):
    rng = random.Random(20261124)
    with open(os.path.join(d, "t", "table"), "w") as f:
        for i in range(a.keys):
            f.write("user%06d@example.com\tmailbox%d@store.example.net\n" % (i, i))
    shutil.copyfile(os.path.join(d, "t", "table"), os.path.join(d, "p", "table"))
    q = ["user%06d@example.com" % rng.randrange(a.keys) for _ in range(a.lookups)]
    q += ["user%06d@example.org" % rng.randrange(a.keys) for _ in range(a.missing)]
    rng.shuffle(q)
    write_lines(os.path.join(d, "hash.keys"), q)
    write_lines(os.path.join(d, "one.key"), [q[0]])
    with open(os.path.join(d, "t", "re"), "w") as f:
        for i in range(a.pcre_lines):
            f.write("/^user%05d@ex[a-z]*\\.com$/ OK%d\n" % (i, i))
    shutil.copyfile(os.path.join(d, "t", "re"), os.path.join(d, "p", "re"))
    half = a.pcre_lookups // 2
    q = ["user%05d@example.com" % rng.randrange(a.pcre_lines) for _ in range(half)]
    q += ["user%05d@example.org" % rng.randrange(a.pcre_lines)
          for _ in range(a.pcre_lookups - half)]
    rng.shuffle(q)
    write_lines(os.path.join(d, "pcre.keys"), q)


def query_rate(cmd, d, keys, n, env, out):
    """Lookups per second of `cmd` (ending in -q - SPEC) over keys, with the
    1-key run subtracted; also the raw seconds."""
    full = timed(cmd, os.path.join(d, keys), out, env)
    one = timed(cmd, os.path.join(d, "one.key" if keys == "hash.keys"
                                  else "one.pcre"), os.devnull, env)
    return n / max(full - one, 1e-6), full, one


def one_run(d, a, tegami, env, pf, with_pcre_postmap):
    r = {}
    tt, pt = os.path.join(d, "t", "table"), os.path.join(d, "p", "table")
    for p in (tt + ".db", pt + ".db", tt + ".lmdb"):
        if os.path.exists(p):
            os.unlink(p)
    r["build tegami hash"] = timed_build([tegami, "map", "hash:" + tt], env=env)
    r["build postmap hash"] = timed_build([POSTMAP, "-c", pf, "hash:" + pt])
    r["convert tegami lmdb"] = timed_build([tegami, "map", "-C", "hash:" + tt,
                                            "lmdb:" + tt], env=env)
    n = a.lookups + a.missing
    outs = {}
    for name, cmd in [
            ("tegami hash", [tegami, "map", "-q", "-", "hash:" + tt]),
            ("postmap hash", [POSTMAP, "-c", pf, "-q", "-", "hash:" + pt]),
            ("tegami lmdb", [tegami, "map", "-q", "-", "lmdb:" + tt])]:
        out = os.path.join(d, "out." + name.replace(" ", "_"))
        r[name] = query_rate(cmd, d, "hash.keys", n, env, out)
        outs[name] = open(out).read()
    if len(set(outs.values())) != 1 or \
            len(outs["tegami hash"].splitlines()) != a.lookups:
        sys.exit("hash: the tools gave different answers")
    pcmds = [("tegami pcre", [tegami, "map", "-q", "-", "pcre:" +
                              os.path.join(d, "t", "re")])]
    if with_pcre_postmap:
        pcmds.append(("postmap pcre", [POSTMAP, "-c", pf, "-q", "-", "pcre:" +
                                       os.path.join(d, "p", "re")]))
    outs = {}
    for name, cmd in pcmds:
        out = os.path.join(d, "out." + name.replace(" ", "_"))
        r[name] = query_rate(cmd, d, "pcre.keys", a.pcre_lookups, env, out)
        outs[name] = open(out).read()
    if len(set(outs.values())) != 1 or \
            len(outs["tegami pcre"].splitlines()) != a.pcre_lookups // 2:
        sys.exit("pcre: wrong or different answers")
    return r


def section(a, runs, with_pcre_postmap, pfver, elapsed):
    med = lambda k, i=None: statistics.median(
        (r[k][i] if i is not None else r[k]) for r in runs)
    nq = a.lookups + a.missing
    lines = [
        "## Table lookups (hash:, lmdb:, pcre:), %s" % time.strftime("%Y-%m-%d"),
        "",
        "- machine: %s" % machine(),
        "- command: `bench/map_bench.py %s`" % " ".join(
            shlex.quote(x) for x in sys.argv[1:]),
        "- compared with: Debian postfix %s (`%s`), same machine, same run, "
        "identical source files" % (pfver, POSTMAP),
        "- hash: source: %d lines `user123456@example.com<TAB>mailbox123456@store."
        "example.net`; built with `tegami map hash:FILE` and `postmap -c EMPTY "
        "hash:FILE`; lmdb: made with `tegami map -C hash:FILE lmdb:FILE`"
        % a.keys,
        "- hash:/lmdb: lookups: %d random existing keys and %d missing keys "
        "(`user123456@example.org`), shuffled, piped through `tegami map -q - "
        "TABLE` / `postmap -q - TABLE`; the answers of all three are identical"
        % (a.lookups, a.missing),
        "- pcre: source: %d lines `/^user12345@ex[a-z]*\\.com$/ OK12345`; %d "
        "lookups, half matching a random line, half matching none (every "
        "line tried)%s" % (a.pcre_lines, a.pcre_lookups,
                           "" if with_pcre_postmap else
                           "; Debian's postmap here has no pcre: "
                           "(postfix-pcre not installed), so tegami only"),
        "- lookups/s = lookups / (time of the batch run - time of a 1-key run "
        "through the same command), which takes off process start-up and "
        "table open; median of %d runs (whole benchmark: %.0f s)"
        % (a.runs, elapsed),
        "",
        "| what | tegami | Debian postmap |",
        "| --- | --- | --- |",
        "| build %d-key hash: (s: wall; user + system CPU) | %.2f; %.2f + %.2f "
        "| %.2f; %.2f + %.2f |" % (
            (a.keys,) + tuple(med("build tegami hash", i) for i in range(3)) +
            tuple(med("build postmap hash", i) for i in range(3))),
        "| convert hash: to lmdb: (`-C`; same) | %.2f; %.2f + %.2f | - |" % tuple(
            med("convert tegami lmdb", i) for i in range(3)),
        "| hash: lookups/s (%d keys) | **%.0f** | **%.0f** |" % (
            nq, med("tegami hash", 0), med("postmap hash", 0)),
        "| hash: batch run / 1-key run (s) | %.2f / %.3f | %.2f / %.3f |" % (
            med("tegami hash", 1), med("tegami hash", 2),
            med("postmap hash", 1), med("postmap hash", 2)),
        "| lmdb: lookups/s (%d keys) | **%.0f** | - |" % (
            nq, med("tegami lmdb", 0)),
        "| lmdb: batch run / 1-key run (s) | %.2f / %.3f | - |" % (
            med("tegami lmdb", 1), med("tegami lmdb", 2)),
    ]
    if with_pcre_postmap:
        lines += [
            "| pcre: lookups/s (%d lines, %d keys) | **%.0f** | **%.0f** |" % (
                a.pcre_lines, a.pcre_lookups, med("tegami pcre", 0),
                med("postmap pcre", 0)),
            "| pcre: batch run / 1-key run (s) | %.2f / %.3f | %.2f / %.3f |" % (
                med("tegami pcre", 1), med("tegami pcre", 2),
                med("postmap pcre", 1), med("postmap pcre", 2))]
    else:
        lines += [
            "| pcre: lookups/s (%d lines, %d keys) | **%.0f** | - |" % (
                a.pcre_lines, a.pcre_lookups, med("tegami pcre", 0)),
            "| pcre: batch run / 1-key run (s) | %.2f / %.3f | - |" % (
                med("tegami pcre", 1), med("tegami pcre", 2))]
    lines += [
        "",
        "Notes: a pcre: table is searched line by line, as Postfix does, so "
        "its rate falls with the number of lines (a miss runs all %d "
        "expressions; PCRE2's JIT is used). Build times are of the whole "
        "command (read the source, write the database, rename); the CPU "
        "columns show where the time goes. Per-run figures are printed on "
        "standard error." % a.pcre_lines,
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--lookups", type=int, default=200000)
    ap.add_argument("--missing", type=int, default=50000)
    ap.add_argument("--pcre-lines", type=int, default=10000)
    ap.add_argument("--pcre-lookups", type=int, default=20000)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    if a.keys > 1000000 or a.pcre_lines > 100000:
        sys.exit("--keys at most 1000000, --pcre-lines at most 100000 "
                 "(6- and 5-digit keys)")
    tegami = os.path.join(os.path.abspath(a.build), "bin", "tegami")
    if not os.access(tegami, os.X_OK) or not os.access(POSTMAP, os.X_OK):
        sys.exit("need %s and %s" % (tegami, POSTMAP))
    d = tempfile.mkdtemp(prefix="tegami-map-bench-", dir="/tmp")
    t0 = time.perf_counter()
    try:
        for sub in ("t", "p", "pf"):
            os.mkdir(os.path.join(d, sub))
        pf = os.path.join(d, "pf")
        open(os.path.join(pf, "main.cf"), "w").close()
        env = dict(os.environ, TEGAMI_CONFIG_DIR=os.path.join(d, "none"))
        make_data(d, a)
        write_lines(os.path.join(d, "one.pcre"), ["user00000@example.com"])
        with_pcre_postmap = postmap_has(pf, "pcre")
        runs = []
        for i in range(a.runs):
            r = one_run(d, a, tegami, env, pf, with_pcre_postmap)
            print("run %d: %s" % (i + 1, {k: (tuple(round(x, 3) for x in v)
                                               if isinstance(v, tuple)
                                               else round(v, 3))
                                           for k, v in r.items()}),
                  file=sys.stderr)
            runs.append(r)
        pfver = postfix_version()
    finally:
        shutil.rmtree(d)
    text = section(a, runs, with_pcre_postmap, pfver,
                   time.perf_counter() - t0)
    print(text)
    if a.write:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
