#!/usr/bin/python3
"""tests/proto/run_chat.py — run SMTP conversation scripts against a server.

Usage: run_chat.py HOST PORT SCRIPT.chat [SCRIPT.chat ...]

Script lines (one per line; blank lines and lines starting with '#' ignored):
  -> TEXT          send TEXT followed by CRLF
  ~> "RAW"         send raw bytes; Python string escapes (\\r \\n \\x00 ...)
  <- PREFIX        expect the next reply line to start with PREFIX
  <~ D             expect the next reply's code to start with D (e.g. 2, 25, 554)
  <= EOF           expect the server to close the connection
Replies are read as whole SMTP replies: the continuation lines of a
multi-line reply ("250-...") are consumed together; `<-` matches against
any line of the reply.  Each script runs on its own connection; the
greeting must be expected explicitly (`<~ 220`).  Exit status 0 when every
script passed; failures print the script, line and what was received.
"""
import ast
import socket
import sys

TIMEOUT = 10


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            try:
                more = self.sock.recv(65536)
            except ConnectionResetError:
                more = b""
            if not more:
                return None
            self.buf += more
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """Read one (possibly multi-line) reply; None at EOF."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines or None
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines


def run_script(host, port, path):
    conn = Conn(host, port)
    with open(path, encoding="utf-8") as f:
        script = f.read().splitlines()
    for lineno, raw in enumerate(script, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        where = "%s:%d: %s" % (path, lineno, line)
        if op == "->":
            conn.send(arg.encode("utf-8") + b"\r\n")
        elif op == "~>":
            conn.send(ast.literal_eval(arg).encode("latin-1"))
        elif op in ("<-", "<~"):
            got = conn.reply()
            if got is None:
                return "%s\n  got: connection closed" % where
            if op == "<-":
                ok = any(l.startswith(arg) for l in got)
            else:
                ok = got[-1][:len(arg)] == arg and arg.isdigit()
            if not ok:
                return "%s\n  got: %s" % (where, " | ".join(got))
        elif op == "<=":
            got = conn.reply()
            if got is not None:
                return "%s\n  got: %s (expected EOF)" % (where, " | ".join(got))
        else:
            return "%s\n  bad script line" % where
    conn.sock.close()
    return None


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    host, port, failed = argv[1], argv[2], 0
    for path in argv[3:]:
        try:
            err = run_script(host, port, path)
        except (OSError, socket.timeout) as e:
            err = "%s: %s" % (path, e)
        if err:
            failed += 1
            print("FAIL %s" % err)
        else:
            print("ok   %s" % path)
    print("%d passed, %d failed" % (len(argv) - 3 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
