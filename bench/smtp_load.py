#!/usr/bin/python3
"""bench/smtp_load.py — a small SMTP load client (asyncio, pipelined).

Sends COUNT messages of SIZE bytes over SESSIONS concurrent sessions, each
session reusing its connection for many transactions (MAIL, RCPT, DATA
pipelined as RFC 2920 allows).  Prints one JSON line: messages acknowledged,
seconds from the first connect to the last 250, failures.  Bounded in count
and time; talks only to the address it is given (loopback in our scripts).
"""
import argparse
import asyncio
import json
import time


async def read_reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return line


async def session(host, port, todo, body, rcpt, stats, deadline):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await read_reply(reader)
        writer.write(b"EHLO bench.example\r\n")
        await read_reply(reader)
        while todo and time.monotonic() < deadline:
            n = todo.pop()
            writer.write(b"MAIL FROM:<bench@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n" % rcpt)
            r1 = await read_reply(reader)
            r2 = await read_reply(reader)
            r3 = await read_reply(reader)
            if not (r1.startswith(b"250") and r2.startswith(b"250") and r3.startswith(b"354")):
                stats["failed"] += 1
                writer.write(b"RSET\r\n")
                await read_reply(reader)
                continue
            writer.write(b"Subject: bench %d\r\nX-Bench: %d\r\n\r\n" % (n, n) + body + b".\r\n")
            r4 = await read_reply(reader)
            if r4.startswith(b"250"):
                stats["ok"] += 1
                stats["last"] = time.monotonic()
            else:
                stats["failed"] += 1
        writer.write(b"QUIT\r\n")
        await writer.drain()
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--rcpt", default="bench@localhost")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    line = b"x" * 70 + b"\r\n"
    body = line * max(1, a.size // len(line))
    todo = list(range(a.count))
    stats = {"ok": 0, "failed": 0, "last": None}
    start = time.monotonic()
    deadline = start + a.timeout
    await asyncio.gather(*[session(a.host, a.port, todo, body, a.rcpt.encode(),
                                   stats, deadline) for _ in range(a.sessions)],
                         return_exceptions=True)
    print(json.dumps({"ok": stats["ok"], "failed": stats["failed"],
                      "start": start, "last_ack": stats["last"]}))


if __name__ == "__main__":
    asyncio.run(main())
