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
"""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

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
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixPeer:
    def __init__(self, **settings):
        self.dir = tempfile.mkdtemp(prefix="tegami-postfix-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = _free_port()
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
        conf.update(settings)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(listen="127.0.0.1:%d" % self.port))

    def postfix(self, *args):
        # postfix(1) logs its complaints only to a terminal or syslog.
        cmd = "postfix -c %s %s" % (self.etc, " ".join(args))
        return subprocess.run(["script", "-qc", cmd, "/dev/null"],
                              capture_output=True, text=True, timeout=60)

    def start(self):
        res = self.postfix("start")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("postfix did not start: %s\n%s" %
                             (res.stdout, self.log()))

    def stop(self):
        self.postfix("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

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
