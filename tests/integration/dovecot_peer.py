"""A private Dovecot (Debian's dovecot-core + dovecot-lmtpd) for tests: an
LMTP server that delivers to Maildirs the test reads, and an auth socket
that Postfix (postfix_peer, smtpd_sasl_type = dovecot) or tegami can use.

    from dovecot_peer import DovecotPeer

    with DovecotPeer(users={"alice": "alice-pw", "bob": "bob-pw"},
                     over_quota=["carol"]) as dov:
        dov.lmtp_socket     # UNIX socket path of the LMTP service
        dov.lmtp_port       # LMTP on 127.0.0.1:dov.lmtp_port
        dov.auth_socket     # Dovecot auth-client socket (SASL server)
        rcpt, data = dov.lmtp_deliver("s@x.example", ["alice@lmtp.example"], msg)
        dov.wait_messages("alice", 1)   # [paths in alice's Maildir/new]

Everything lives in a temporary directory (config, base_dir with the
sockets, dovecot.log, mail/USER/Maildir) removed by stop().  Users come from
a passwd-file with {PLAIN} passwords (so every mechanism Dovecot has can be
offered: mechanisms="plain login cram-md5 scram-sha-256").  The domain of
an address is ignored (auth_username_format = %Ln): alice@any.example and
the SASL login "alice" are the same user.  Mail is stored as nobody:nogroup.
An over_quota user exists but has a one-byte quota: LMTP accepts it at RCPT
and refuses the message after DATA (552 5.2.2), the per-recipient case.  An
unknown user is refused at RCPT (550 5.1.1).  Dovecot runs as root with its
own base_dir, so it does not meet a system Dovecot.
"""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile

from peer_common import free_peer_port, remove_tree, wait_for

DOVECOT = "/usr/sbin/dovecot"

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = {protocols}
listen = 127.0.0.1
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = {mechanisms}
auth_username_format = %Ln
auth_verbose = yes
auth_failure_delay = 0
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
plugin {{
  quota = maildir:User quota
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins quota
  postmaster_address = postmaster@lmtp.example
}}
"""


class DovecotPeer:
    def __init__(self, users=None, over_quota=(), lmtp=True,
                 mechanisms="plain login"):
        self.users = dict(users if users is not None
                          else {"alice": "alice-pw", "bob": "bob-pw"})
        self.over_quota = list(over_quota)
        self.dir = tempfile.mkdtemp(prefix="tegami-dovecot-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.run_dir = os.path.join(self.dir, "run")
        self.mail = os.path.join(self.dir, "mail")
        self.logfile = os.path.join(self.dir, "dovecot.log")
        self.auth_socket = os.path.join(self.run_dir, "auth-client")
        self.lmtp_socket = os.path.join(self.run_dir, "lmtp") if lmtp else None
        self.lmtp_port = free_peer_port() if lmtp else None
        self.proc = None
        for sub in ("run", "state", "mail"):
            os.mkdir(os.path.join(self.dir, sub))
        shutil.chown(self.mail, "nobody", "nogroup")
        with open(os.path.join(self.dir, "users"), "w") as f:
            for name, pw in self.users.items():
                f.write(self._passwd_line(name, pw, ""))
            for name in self.over_quota:
                f.write(self._passwd_line(name, "full-pw",
                                          "userdb_quota_rule=*:storage=1B"))
        os.chmod(os.path.join(self.dir, "users"), 0o644)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, mechanisms=mechanisms,
                                protocols="lmtp" if lmtp else "",
                                lmtp_port=self.lmtp_port or 0))
        if not lmtp:
            # No LMTP service at all, only auth.
            text = open(self.conf).read()
            text = text[:text.index("service lmtp {")]
            with open(self.conf, "w") as f:
                f.write(text)

    def _passwd_line(self, name, pw, extra):
        if ":" in name or ":" in pw or "\n" in name + pw:
            raise ValueError("user or password with ':' or newline")
        home = os.path.join(self.mail, name)
        return "%s:{PLAIN}%s:65534:65534::%s::%s\n" % (name, pw, home, extra)

    @property
    def lmtp_address(self):
        """LMTP over TCP as "127.0.0.1:PORT"."""
        return "127.0.0.1:%d" % self.lmtp_port

    def start(self):
        err = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen([DOVECOT, "-c", self.conf, "-F"],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        try:
            wait_for(lambda: self.proc.poll() is not None or self._ready(), 20,
                     "dovecot's sockets")
            if self.proc.poll() is not None:
                raise AssertionError("dovecot exited: %s" % self.log())
            # Dovecot delays every AUTH from an IP address that failed
            # before (up to 15 s, "auth penalty", kept by anvil) and has no
            # setting to turn that off.  Tests try wrong passwords on
            # purpose: without this socket the auth process, which starts
            # at its first client, finds no penalty service and keeps none.
            os.unlink(os.path.join(self.run_dir, "anvil-auth-penalty"))
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self):
        if not os.path.exists(self.auth_socket):
            return False
        if self.lmtp_socket is None:
            return True
        if not os.path.exists(self.lmtp_socket):
            return False
        try:
            socket.create_connection(("127.0.0.1", self.lmtp_port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(20)
        self.proc = None
        if self.dir is not None and not os.environ.get("TEGAMI_KEEP"):
            remove_tree(self.dir)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- observation -----------------------------------------------------------
    def log(self):
        text = ""
        for name in ("dovecot.log", "stderr.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def maildir(self, user):
        """user's Maildir (it exists after the first delivery)."""
        return os.path.join(self.mail, user, "Maildir")

    def messages(self, user):
        """Paths of the messages in user's Maildir/new, oldest first."""
        new = os.path.join(self.maildir(user), "new")
        try:
            names = os.listdir(new)
        except FileNotFoundError:
            return []
        paths = [os.path.join(new, n) for n in names]
        return sorted(paths, key=lambda p: (os.stat(p).st_mtime, p))

    def wait_messages(self, user, count, timeout=30):
        wait_for(lambda: len(self.messages(user)) >= count, timeout,
                 "%d message(s) for %s" % (count, user))
        return self.messages(user)

    # -- a client ----------------------------------------------------------------
    def lmtp_deliver(self, sender, rcpts, message, tcp=False):
        """One LMTP transaction (RFC 2033) with Python's smtplib.LMTP over
        the UNIX socket (tcp=True: the TCP port).  Returns (rcpt_replies,
        data_replies): {rcpt: (code, text)} for every RCPT, and for every
        accepted recipient its own reply after DATA."""
        if isinstance(message, str):
            message = message.encode()
        if tcp:
            lm = smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30)
        else:
            lm = smtplib.LMTP(self.lmtp_socket, timeout=30)
        try:
            lm.ehlo("client.example")
            code, text = lm.mail(sender)
            assert code == 250, (code, text)
            rcpt_replies, accepted = {}, []
            for r in rcpts:
                code, text = lm.rcpt(r)
                rcpt_replies[r] = (code, text.decode(errors="replace"))
                if code == 250:
                    accepted.append(r)
            data_replies = {}
            if accepted:
                code, text = lm.docmd("DATA")
                assert code == 354, (code, text)
                body = re.sub(rb"\r\n|\n|\r", b"\r\n", message)
                body = re.sub(rb"(?m)^\.", b"..", body)
                if not body.endswith(b"\r\n"):
                    body += b"\r\n"
                lm.send(body + b".\r\n")
                for r in accepted:       # one reply per accepted RCPT, in order
                    code, text = lm.getreply()
                    data_replies[r] = (code, text.decode(errors="replace"))
            lm.quit()
            return rcpt_replies, data_replies
        finally:
            lm.close()
