"""Submission end to end: real clients log in on 587 (STARTTLS) and 465
(implicit TLS) against the real auth(8) service, with `tegami passwd`
accounts and with Dovecot as the backend; the message is queued with the
login name, delivered, and marked ESMTPSA."""
import os
import smtplib
import ssl
import subprocess

import pytest

from conftest import wait_until
from test_auth import dovecot, run_dovecot  # noqa: F401  (dovecot: a fixture)

MSG = "From: alice@example.com\r\nSubject: submitted\r\n\r\nhello\r\n"


def tls_context(inst):
    ca = os.path.join(inst.dir, "tls", "ca-both.pem")
    with open(ca, "w") as out:
        for name in ("cert.pem", "eccert.pem"):
            out.write(open(os.path.join(inst.dir, "tls", name)).read())
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False          # the instance's name, not 127.0.0.1
    return ctx


@pytest.fixture
def msa(new_instance):
    inst = new_instance()
    # relayhost: remote mail is deferred (nothing listens on port 1)
    # instead of going to the machine's DNS.
    inst.conf(smtpd_sender_login_maps="inline:{alice@example.com=alice}",
              mynetworks="192.0.2.0/24", relayhost="[127.0.0.1]:1")
    res = inst.tegami("passwd", "alice", input="alice-secret\n")
    assert res.returncode == 0, res.stderr
    inst.start()
    inst.ctx = tls_context(inst)
    return inst


def submit(inst, user, password, sender, rcpts, port=None, implicit=False):
    port = port or inst.base + 87
    if implicit:
        s = smtplib.SMTP_SSL("127.0.0.1", inst.base + 65, context=inst.ctx, timeout=30)
    else:
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.starttls(context=inst.ctx)
    try:
        s.login(user, password)
        return s.sendmail(sender, rcpts, MSG)
    finally:
        s.quit()


def test_login_send_and_deliver_on_587_and_465(msa):
    inst = msa
    submit(inst, "alice", "alice-secret", "alice@example.com", ["vera@localhost"])
    submit(inst, "alice", "alice-secret", "alice@example.com", ["walt@localhost"],
           implicit=True)
    for user in ("vera", "walt"):
        text = open(inst.wait_messages(user, 1)[0]).read()
        assert "with ESMTPSA" in text.split("\n\n")[0]
    log = inst.log()
    assert "sasl_method=PLAIN, sasl_username=alice" in log
    assert "alice-secret" not in log


def test_queue_file_carries_the_login(msa):
    inst = msa
    # Mail for another domain waits in the queue (relayhost is down).
    submit(inst, "alice", "alice-secret", "alice@example.com", ["far@elsewhere.example"])
    def deferred():
        names = os.listdir(os.path.join(inst.spool, "deferred"))
        return names and os.path.join(inst.spool, "deferred", names[0])
    path = wait_until(deferred, 30, what="the deferred message")
    dump = inst.tegami("qdump", path, check=True).stdout
    assert "sasl_user" in dump and "alice" in dump, dump


def test_refusals_with_the_real_auth_service(msa):
    inst = msa
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        submit(inst, "alice", "wrong", "alice@example.com", ["vera@localhost"])
    assert e.value.smtp_code == 535
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        submit(inst, "alice", "alice-secret", "bob@example.com", ["vera@localhost"])
    code, text = e.value.recipients["vera@localhost"]
    assert code == 553 and b"not owned by user alice" in text
    # Without a login nobody relays, on 587 or on 25; on 587 a sender that
    # belongs to a user needs that user's login first.
    s = smtplib.SMTP("127.0.0.1", inst.base + 87, timeout=30)
    s.starttls(context=inst.ctx)
    s.ehlo("client.example")
    s.mail("stranger@example.org")
    assert s.rcpt("far@elsewhere.example")[0] == 554
    s.rset()
    s.mail("alice@example.com")
    code, text = s.rcpt("far@elsewhere.example")
    assert code == 553 and b"not logged in" in text, text
    s.quit()
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
    s.ehlo("client.example")
    s.mail("stranger@example.org")
    assert s.rcpt("far@elsewhere.example")[0] == 554
    s.quit()


def test_swaks_through_submission(msa):
    inst = msa
    res = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(inst.base + 87), "--tls",
         "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "alice-secret",
         "--from", "alice@example.com", "--to", "vera@localhost",
         "--header", "Subject: by swaks"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Subject: by swaks" in open(inst.wait_messages("vera", 1)[0]).read()


def test_dovecot_backend_through_submission(new_instance, dovecot):  # noqa: F811
    inst = new_instance()
    inst.conf(smtpd_sasl_type="dovecot", smtpd_sasl_path=dovecot["sock"])
    inst.start()
    inst.ctx = tls_context(inst)
    submit(inst, "zoe", "dove-pass", "zoe@example.com", ["vera@localhost"])
    inst.wait_messages("vera", 1)
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        submit(inst, "zoe", "bad-pass", "zoe@example.com", ["vera@localhost"])
    assert e.value.smtp_code == 535
    # Dovecot goes away: a temporary failure, never a success.
    dovecot["proc"].terminate()
    dovecot["proc"].wait(20)
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        submit(inst, "zoe", "dove-pass", "zoe@example.com", ["vera@localhost"])
    assert e.value.smtp_code == 454
    assert len(inst.messages("vera")) == 1


# -- SCRAM-SHA-256 (RFC 7677) where the backend can do it: Dovecot -------------

@pytest.fixture
def scram_dovecot():
    """Dovecot with SCRAM-SHA-256 on, and a user whose password it keeps in
    a form SCRAM can use."""
    with run_dovecot("plain login scram-sha-256", "sam:{PLAIN}sam-pass\n") as d:
        yield d


def scram_client_final(user, password, server_first, client_first_bare):
    import base64
    import hashlib
    import hmac
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                 base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_message = ",".join((client_first_bare, server_first, without_proof)).encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    want = "v=" + base64.b64encode(
        hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
    return without_proof + ",p=" + base64.b64encode(proof).decode(), want


def test_scram_sha_256_through_dovecot(new_instance, scram_dovecot):
    import base64
    inst = new_instance()
    inst.conf(smtpd_sasl_type="dovecot", smtpd_sasl_path=scram_dovecot["sock"])
    inst.start()
    inst.ctx = tls_context(inst)
    s = smtplib.SMTP("127.0.0.1", inst.base + 87, timeout=30)
    s.starttls(context=inst.ctx)
    s.ehlo("client.example")
    assert "SCRAM-SHA-256" in s.esmtp_features.get("auth", "").upper().split()
    first_bare = "n=sam,r=" + base64.b64encode(os.urandom(18)).decode()
    code, text = s.docmd("AUTH", "SCRAM-SHA-256 " +
                         base64.b64encode(("n,," + first_bare).encode()).decode())
    assert code == 334, text
    final, want = scram_client_final("sam", "sam-pass",
                                     base64.b64decode(text).decode(), first_bare)
    code, text = s.docmd(base64.b64encode(final.encode()).decode())
    if code == 334:                       # the server's signature, then done
        assert base64.b64decode(text).decode() == want
        code, text = s.docmd("")
    assert code == 235, text
    s.sendmail("sam@example.com", ["vera@localhost"], MSG)
    s.quit()
    inst.wait_messages("vera", 1)
    assert "sasl_method=SCRAM-SHA-256, sasl_username=sam" in inst.log()
