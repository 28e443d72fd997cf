"""A scripted SMTP server for smtp-client tests: a real socket on loopback
that plays a well-behaved server or misbehaves in one named way.

    srv = Script("ok", ext=["PIPELINING", "CHUNKING"])
    ... tegami delivers to 127.0.0.1:srv.port ...
    srv.messages   # [{"from": "MAIL FROM:<...> ...", "rcpt": [...], "data": b"..."}]
    srv.commands   # every command line received, in order
    srv.connections  # how many connections were accepted
    srv.close()

`behave` names what the server does wrong; every connection gets the same
script.  `ext` replaces the EHLO keywords (default PIPELINING and SIZE).
For STARTTLS give `tls=(certfile, keyfile)`; behave "tlsfail" answers 220
and then sends garbage instead of a handshake, "tlsinject" sends a forged
reply right after its 220 (before the handshake: a client must discard it).

Threads and descriptors: one thread accepts, one thread serves each
connection, and only the thread that uses a socket ever closes it.  close()
shuts the sockets down (that wakes a thread blocked in accept() or recv())
and waits for the threads.  Closing a socket under a thread blocked in it
is what this must never do: the kernel restarts a blocked accept() or
read with the same descriptor *number* when a signal that is then ignored
woke it (a SIGCHLD arriving while subprocess has signals blocked in another
thread does), and by then the number may belong to a later test's socket:
a stale accept loop here once took the connections of test_submission's
FakeAuth listener and greeted submission's auth client with "220 ".
"""
import socket
import ssl
import threading

DEFAULT_EXT = ["PIPELINING", "SIZE 10240000"]
JOIN_TIMEOUT = 30           # seconds close() waits for each woken thread


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Script:
    def __init__(self, behave="ok", name="script.test", ext=None, tls=None,
                 host="127.0.0.1", greet_name=None):
        self.behave = behave
        self.name = name
        self.greet_name = greet_name or name
        self.ext = list(DEFAULT_EXT if ext is None else ext)
        if behave == "size":
            self.ext = [e for e in self.ext if not e.startswith("SIZE")] + ["SIZE 100"]
        if behave == "nopipe":
            self.ext = [e for e in self.ext if e != "PIPELINING"]
        self.tls = tls
        if tls and "STARTTLS" not in self.ext:
            self.ext.append("STARTTLS")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.messages = []
        self.commands = []
        self.connections = 0
        self.tls_sessions = 0
        self.sni = []
        self.stop = False
        self._lock = threading.Lock()
        self._live = set()      # accepted sockets not yet closed
        self._sessions = []     # their threads
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self):
        """Stop: wake the accept loop and every session, wait for their
        threads; each closes its own socket on the way out."""
        if self.stop:
            return
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # accept() fails: EINVAL
        except OSError:
            pass
        self.thread.join(JOIN_TIMEOUT)
        with self._lock:
            for conn in self._live:
                try:
                    conn.shutdown(socket.SHUT_RDWR)  # recv() sees the end
                except OSError:
                    pass
            sessions = list(self._sessions)
        for t in sessions:
            t.join(JOIN_TIMEOUT)
        stuck = [t.name for t in [self.thread] + sessions if t.is_alive()]
        if stuck:
            raise RuntimeError("scripted server threads did not end: %s" % stuck)

    def serve(self):
        try:
            while not self.stop:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                t = threading.Thread(target=self.session, args=(conn,), daemon=True)
                with self._lock:
                    self.connections += 1
                    self._live.add(conn)
                    self._sessions.append(t)
                    t.start()
        finally:
            self.sock.close()

    def _ehlo(self, conn, tls_active):
        ext = [e for e in self.ext if not (tls_active and e == "STARTTLS")]
        out = b"250-" + self.name.encode() + b"\r\n" if ext else b""
        if not ext:
            return conn.sendall(b"250 " + self.name.encode() + b"\r\n")
        for i, e in enumerate(ext):
            out += (b"250 " if i == len(ext) - 1 else b"250-") + e.encode() + b"\r\n"
        conn.sendall(out)

    def _starttls(self, conn, opened):
        """Answer STARTTLS; the TLS socket, or None when the script ends.
        TLS runs on a duplicate descriptor (in opened), so the accepted
        socket stays open, and close() can reach it, until the session
        thread closes it."""
        if self.behave == "tlsfail":
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            conn.sendall(b"this is not a TLS handshake\r\n" * 4)
            return None
        if self.behave == "tlsinject":
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n"
                         b"554 5.7.0 injected before the handshake\r\n")
        else:
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.tls)

        def sni_cb(sslsock, name, _ctx):
            self.sni.append(name)
        ctx.sni_callback = sni_cb
        dup = conn.dup()
        opened.append(dup)              # detached (a no-op to close) once wrapped
        try:
            tconn = ctx.wrap_socket(dup, server_side=True)
        except (ssl.SSLError, OSError):
            return None
        opened.append(tconn)
        self.tls_sessions += 1
        return tconn

    def session(self, raw):
        opened = []             # files and TLS sockets on top of raw
        try:
            self._converse(raw, opened)
        except OSError:         # timeouts, resets, TLS errors
            pass
        finally:
            # Out of _live first: from then on close() leaves raw alone, and
            # its descriptor number may be reused once it is closed here.
            with self._lock:
                self._live.discard(raw)
            for o in reversed(opened):
                try:
                    o.close()
                except OSError:
                    pass
            raw.close()

    def _converse(self, conn, opened):
        conn.settimeout(30)
        f = conn.makefile("rb")
        opened.append(f)
        b = self.behave
        if b == "stall":
            # Say nothing: the client's smtp_helo_timeout must end it.
            f.readline()
            return
        if b == "greet5xx":
            conn.sendall(b"554 5.7.1 go away\r\n")
            f.readline()
            return
        if b == "garbage":
            conn.sendall(b"hello there, I am not SMTP\r\n")
            f.readline()
            return
        if b == "longline":
            conn.sendall(b"220-" + b"x" * 5000 + b"\r\n220 ok\r\n")
            f.readline()
            return
        if b == "manylines":
            conn.sendall(b"220-hi\r\n" * 150 + b"220 ok\r\n")
            f.readline()
            return
        conn.sendall(b"220 %s ESMTP scripted\r\n" % self.greet_name.encode())
        env = {"rcpt": []}
        tls_active = False
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").rstrip("\r\n")
            self.commands.append(cmd)
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                if b == "noehlo":
                    conn.sendall(b"502 5.5.1 no EHLO here\r\n")
                    continue
                self._ehlo(conn, tls_active)
            elif verb == "HELO":
                conn.sendall(b"250 " + self.name.encode() + b"\r\n")
            elif verb == "STARTTLS" and self.tls and not tls_active:
                tconn = self._starttls(conn, opened)
                if tconn is None:
                    return
                conn = tconn
                conn.settimeout(30)
                f = conn.makefile("rb")
                opened.append(f)
                tls_active = True
            elif verb == "MAIL" and b == "stallmail":
                while f.read(1):    # never answers MAIL
                    pass
                return
            elif verb == "MAIL":
                env = {"from": cmd, "rcpt": [], "tls": tls_active}
                conn.sendall(b"250 2.1.0 Ok\r\n")
            elif verb == "RCPT":
                if "soft@" in cmd:
                    conn.sendall(b"450 4.2.0 <soft@x>: mailbox busy\r\n")
                elif "hard@" in cmd:
                    conn.sendall(b"550 5.1.1 <hard@x>: no such user\r\n")
                else:
                    env["rcpt"].append(cmd)
                    conn.sendall(b"250 2.1.5 Ok\r\n")
            elif verb == "DATA":
                if not env["rcpt"]:
                    conn.sendall(b"554 5.5.1 Error: no valid recipients\r\n")
                    continue
                conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                data = b""
                while True:
                    l = f.readline()
                    if not l:
                        return
                    if b == "dropdata":
                        return          # session() closes it
                    if l == b".\r\n":
                        break
                    data += l
                env["data"] = data
                if self.behave == "stalldot":
                    # Took the data, never answers: the client's
                    # smtp_data_done_timeout (or a kill) ends it.
                    self.stalled = getattr(self, "stalled", 0) + 1
                    while f.read(1):
                        pass
                    return
                self.messages.append(env)
                conn.sendall(b"250 2.0.0 Ok: queued as SCRIPT1\r\n")
            elif verb == "BDAT":
                args = cmd.split()
                n = int(args[1])
                chunk = f.read(n)
                if len(chunk) != n:
                    return
                env.setdefault("chunks", []).append(n)
                env["data"] = env.get("data", b"") + chunk
                if len(args) > 2 and args[2].upper() == "LAST":
                    self.messages.append(env)
                    conn.sendall(b"250 2.0.0 Ok: %d bytes queued as SCRIPT2\r\n"
                                 % len(env["data"]))
                else:
                    conn.sendall(b"250 2.0.0 Ok: %d octets received\r\n" % n)
            elif verb == "AUTH":
                # Any login is good; the tests look at what was sent.
                if len(cmd.split()) == 2 and cmd.split()[1].upper() == "LOGIN":
                    conn.sendall(b"334 VXNlcm5hbWU6\r\n")
                    self.commands.append(f.readline().decode().rstrip("\r\n"))
                    conn.sendall(b"334 UGFzc3dvcmQ6\r\n")
                    self.commands.append(f.readline().decode().rstrip("\r\n"))
                conn.sendall(b"235 2.7.0 Authentication successful\r\n")
            elif verb == "RSET":
                env = {"rcpt": []}
                conn.sendall(b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 unknown\r\n")
