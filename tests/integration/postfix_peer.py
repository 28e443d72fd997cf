"""A private Debian Postfix instance for interoperability tests.

    with PostfixPeer(relayhost="[127.0.0.1]:2525",
                     smtp_tls_security_level="encrypt") as pfx:
        pfx.send("a@pfx.example", ["b@remote.example"], message_bytes)
        pfx.wait_log("status=sent")

The instance lives in a temporary directory (its own main.cf, master.cf,
queue and log file), listens on 127.0.0.1:<free port> for injection, never
uses DNS (smtp_host_lookup = native, disable_dns_lookups) and is stopped
and removed on exit.  Needs root (Postfix's master) and Debian's postfix
package (scripts/install-deps).

A smarthost that requires AUTH (keyword options, not main.cf settings):

    with PostfixPeer(submission=True, smtps=True, sasl_users={"alice": "pw"},
                     mailboxes=True) as pfx:
        pfx.submission_port   # 587-style: STARTTLS required, AUTH after TLS only
        pfx.smtps_port        # 465-style: TLS from the first byte (wrapper mode)
        pfx.ca_file           # the test CA that issued pfx.cert_file (key_file)
        ... tegami relays through [127.0.0.1]:pfx.submission_port as alice ...
        pfx.wait_messages("bob@remote.example", 1)   # paths of delivered mail

The certificate names hostname= (default pfx.example, also myhostname),
localhost and 127.0.0.1; pfx.cert_file holds the leaf then the CA.
tls=True gives the port-25 listener STARTTLS (smtpd_tls_security_level=may)
with the same certificate.  sasl_users starts a private Dovecot
(dovecot_peer.DovecotPeer, .dovecot) whose auth socket Postfix uses
(smtpd_sasl_type = dovecot); sasl_mechanisms chooses what it offers.  On the
submission and smtps ports only authenticated clients may send (relay or
not: smtpd_client/relay_restrictions = permit_sasl_authenticated, reject),
and their log lines carry postfix/submission and postfix/smtps.
mailboxes makes every domain a virtual mailbox domain (virtual(8), owned by
nobody, under pfx.mail), whatever port the mail came in on: True accepts
every recipient into one shared Maildir; a list of addresses accepts only
those (others: 550 5.1.1 at RCPT), each into its own Maildir
pfx.maildir(address).  Either way pfx.messages(address) /
pfx.wait_messages(address, n) give the delivered copies for one recipient
(shared Maildir: chosen by their Delivered-To header).
"""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

from peer_common import (TestCA, free_peer_port, remove_tree, wait_for,
                         wait_pid_gone)

MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       1       1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _free_port():
    return free_peer_port()


# The submission services of a smarthost: TLS (STARTTLS required or wrapper
# mode), AUTH through Dovecot, nothing accepted from unauthenticated clients.
SUBMISSION_CF = """\
{listen} inet n - n - - smtpd
  -o syslog_name=postfix/{name}
  {tls}
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
"""


class PostfixPeer:
    def __init__(self, *, submission=False, smtps=False, tls=False,
                 sasl_users=None, sasl_mechanisms="plain login",
                 mailboxes=False, hostname="pfx.example", **settings):
        self.dir = tempfile.mkdtemp(prefix="tegami-postfix-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = _free_port()
        self.submission_port = _free_port() if submission else None
        self.smtps_port = _free_port() if smtps else None
        self.dovecot = None
        self.ca_file = self.cert_file = self.key_file = None
        self.mail = os.path.join(self.dir, "mail")
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.maillog = os.path.join(self.dir, "maillog")
        for d in (self.etc, self.spool, self.data):
            os.mkdir(d)
        shutil.chown(self.data, "postfix")
        conf = {
            "compatibility_level": "3.6",
            "queue_directory": self.spool,
            "data_directory": self.data,
            "command_directory": "/usr/sbin",
            "daemon_directory": "/usr/lib/postfix/sbin",
            "shlib_directory": "/usr/lib/postfix",
            "meta_directory": "/etc/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "pfx.example",
            "mydomain": "example",
            "myorigin": "pfx.example",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": "/tmp",
            "smtp_host_lookup": "native",
            "disable_dns_lookups": "yes",
            "smtp_tls_loglevel": "1",
        }
        master_cf = MASTER_CF.format(listen="127.0.0.1:%d" % self.port)
        if submission or smtps or tls:
            os.mkdir(os.path.join(self.dir, "tls"))
            ca = TestCA(os.path.join(self.dir, "tls"), "pfx test CA")
            self.ca_file = ca.cert_file
            self.cert_file, self.key_file = ca.issue(
                "server", [hostname, "localhost"])
            conf.update(smtpd_tls_cert_file=self.cert_file,
                        smtpd_tls_key_file=self.key_file,
                        smtpd_tls_loglevel="1",
                        smtpd_tls_received_header="yes")
            if tls:
                conf["smtpd_tls_security_level"] = "may"
        if sasl_users is not None:
            from dovecot_peer import DovecotPeer
            self.dovecot = DovecotPeer(users=sasl_users, lmtp=False,
                                       mechanisms=sasl_mechanisms)
            conf.update(smtpd_sasl_type="dovecot",
                        smtpd_sasl_path=self.dovecot.auth_socket,
                        smtpd_sasl_authenticated_header="yes",
                        # no pause after a failed AUTH: tests try many
                        smtpd_error_sleep_time="0")
        for name, port, tlsopt in (
                ("submission", self.submission_port,
                 "-o smtpd_tls_security_level=encrypt"),
                ("smtps", self.smtps_port, "-o smtpd_tls_wrappermode=yes")):
            if port is not None:
                master_cf += SUBMISSION_CF.format(
                    listen="127.0.0.1:%d" % port, name=name, tls=tlsopt)
        if mailboxes:
            os.mkdir(self.mail)
            shutil.chown(self.mail, "nobody", "nogroup")
            # Every domain is ours.  A list: user@domain -> mail/domain/user/
            # (a Maildir: the result ends in "/"), other users unknown (550).
            # True: everything into mail/all/ (virtual(8) refuses regexp
            # substitutions, so there is no per-user catch-all);
            # messages() picks a recipient's copies by Delivered-To.
            if mailboxes is True:
                maps = "static:all/"
            else:
                maps = "inline:{ %s }" % ", ".join(
                    "%s=%s/" % (a.lower(), os.path.relpath(
                        self.maildir(a), self.mail)) for a in mailboxes)
            conf.update(virtual_mailbox_domains="static:all",
                        virtual_mailbox_base=self.mail,
                        virtual_mailbox_maps=maps,
                        virtual_uid_maps="static:65534",
                        virtual_gid_maps="static:65534",
                        virtual_minimum_uid="1",
                        alias_maps="", alias_database="")
        conf["myhostname"] = hostname
        conf.update(settings)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master_cf)

    def postfix(self, *args):
        # postfix(1) logs its complaints only to a terminal or syslog.
        cmd = "postfix -c %s %s" % (self.etc, " ".join(args))
        return subprocess.run(["script", "-qc", cmd, "/dev/null"],
                              capture_output=True, text=True, timeout=60)

    def ports(self):
        """Every port this peer listens on."""
        return [p for p in (self.port, self.submission_port, self.smtps_port)
                if p is not None]

    def start(self):
        try:
            if self.dovecot is not None:
                self.dovecot.start()
            res = self.postfix("start")

            def listening():
                for port in self.ports():
                    try:
                        socket.create_connection(("127.0.0.1", port), 1).close()
                    except OSError:
                        return False
                return True
            try:
                wait_for(listening, 20, "postfix's ports")
            except AssertionError:
                raise AssertionError("postfix did not start: %s\n%s" %
                                     (res.stdout, self.log()))
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self):
        # Robust: each step runs even when an earlier one failed.
        try:
            master = self._master_pid()
            self.postfix("stop")
            # postfix stop only signals master: wait until it is gone (its
            # children go with it) so nothing writes into self.dir any more.
            if master is not None:
                wait_pid_gone(master)
        finally:
            try:
                if self.dovecot is not None:
                    self.dovecot.stop()
            finally:
                if os.environ.get("TEGAMI_KEEP"):
                    print("kept", self.dir)
                else:
                    remove_tree(self.dir)

    def _master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def send(self, sender, rcpts, message):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.sendmail(sender, rcpts, message)

    def wait_log(self, text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return self.log()
            time.sleep(0.2)
        raise AssertionError("postfix log has no %r:\n%s" % (text, self.log()[-3000:]))

    # -- mailboxes ---------------------------------------------------------------
    def maildir(self, address):
        """The Maildir of address when mailboxes was a list of addresses."""
        local, _, domain = address.lower().rpartition("@")
        return os.path.join(self.mail, domain, local)

    def messages(self, address):
        """Paths of the messages delivered to address, oldest first: its own
        Maildir (mailboxes=[...]) or the copies in the shared one
        (mailboxes=True) whose Delivered-To (added by virtual(8)) is it."""
        found = []
        own = os.path.join(self.maildir(address), "new")
        shared = os.path.join(self.mail, "all", "new")
        for new, check in ((own, False), (shared, True)):
            try:
                names = os.listdir(new)
            except FileNotFoundError:
                continue
            for n in names:
                path = os.path.join(new, n)
                if check and not self._delivered_to(path, address):
                    continue
                found.append(path)
        return sorted(found, key=lambda p: (os.stat(p).st_mtime, p))

    @staticmethod
    def _delivered_to(path, address):
        want = "delivered-to: %s" % address.lower()
        with open(path, "rb") as f:
            for line in f:
                line = line.decode(errors="replace").rstrip("\r\n")
                if not line:
                    return False        # end of the header
                if line.lower() == want:
                    return True
        return False

    def wait_messages(self, address, count, timeout=60):
        wait_for(lambda: len(self.messages(address)) >= count, timeout,
                 "%d message(s) for %s in postfix's mailboxes" % (count, address))
        return self.messages(address)
