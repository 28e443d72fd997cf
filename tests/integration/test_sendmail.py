"""The sendmail command line: -t, explicit recipients, mail while stopped, mailq."""
import email
import email.policy
import re

from conftest import wait_until


def read_message(path):
    with open(path, "rb") as f:
        return email.message_from_bytes(f.read(), policy=email.policy.compat32)


def test_sendmail_with_recipient(instance):
    instance.sendmail(["-f", "robot@example.org", "judy@localhost"],
                      "Subject: from sendmail\n\nhello judy\n")
    [path] = instance.wait_messages("judy", 1)
    msg = read_message(path)
    assert msg["Subject"] == "from sendmail"
    assert msg["Return-Path"] == "<robot@example.org>"
    # A local submission without them gets Message-ID, Date and From.
    assert msg["Message-ID"] and msg["Date"] and msg["From"]
    assert msg.get_payload() == "hello judy\n"
    assert "uid=" in instance.log()


def test_sendmail_t_extracts_recipients_and_drops_bcc(instance):
    instance.sendmail(["-t", "-i"],
                      "To: kim@localhost, Leo <leo@localhost>\n"
                      "Cc: \"Mia M.\" <mia@localhost>\n"
                      "Bcc: ned@localhost\n"
                      "Subject: dash t\n\n.\nline after a lone dot\n")
    for who in ("kim", "leo", "mia", "ned"):
        [path] = instance.wait_messages(who, 1)
        msg = read_message(path)
        assert msg["Subject"] == "dash t"
        assert msg["Bcc"] is None, "Bcc must be removed"
        # With -i a lone dot is content, not the end.
        assert "line after a lone dot" in msg.get_payload()


def test_sendmail_dot_ends_input_without_i(instance):
    instance.sendmail(["olga@localhost"], "Subject: dot\n\nkept\n.\ndropped\n")
    [path] = instance.wait_messages("olga", 1)
    payload = read_message(path).get_payload()
    assert "kept" in payload and "dropped" not in payload


def test_sendmail_while_stopped_is_delivered_after_start(new_instance):
    inst = new_instance()
    inst.sendmail(["pat@localhost"], "Subject: queued while down\n\nwaiting\n")
    assert inst.messages("pat") == []
    assert len(inst.queue_files("maildrop")) == 1
    inst.start()
    [path] = inst.wait_messages("pat", 1)
    assert read_message(path)["Subject"] == "queued while down"
    wait_until(lambda: inst.queue_files() == [], 10, what="empty queue")


def test_mailq_lists_and_empties(new_instance):
    inst = new_instance()
    # Remote mail is deferred: nothing listens at this relayhost.
    inst.conf(relayhost="[127.0.0.1]:1")
    inst.start()
    res = inst.mailq()
    assert res.returncode == 0, res.stderr
    assert "Mail queue is empty" in res.stdout
    # Mail for a remote domain waits in the queue.
    inst.sendmail(["-f", "quinn@example.org", "remote@example.net"],
                  "Subject: stays\n\nx\n")
    def listed():
        out = inst.mailq().stdout
        return "remote@example.net" in out and out
    out = wait_until(listed, 20, what="mailq listing")
    assert out.startswith("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------")
    assert re.search(r"^[0-9A-F]{17}[*!]?\s+\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d\s+quinn@example.org$",
                     out, re.M), out
    assert re.search(r"^-- \d+ Kbytes in 1 Request\.$", out, re.M), out


def test_sendmail_q_flushes_deferred_mail(new_instance):
    import os
    import time
    inst = new_instance()
    # Retries so far apart that only a flush can deliver within the test.
    inst.conf(minimal_backoff_time="3600s", maximal_backoff_time="3600s",
              queue_run_delay="3600s")
    inst.set_wakeup("qmgr", 3600)
    os.makedirs(inst.mail, exist_ok=True)
    blocker = os.path.join(inst.mail, "uma")
    open(blocker, "w").close()      # a file where the mailbox directory goes
    inst.start()
    inst.sendmail(["uma@localhost"], "Subject: flush me\n\nx\n")
    wait_until(lambda: inst.queue_files("deferred"), 20, what="deferred message")
    assert "status=deferred" in inst.log()
    os.unlink(blocker)
    time.sleep(1)
    assert inst.messages("uma") == []
    inst.sendmail(["-q"], b"")
    [path] = inst.wait_messages("uma", 1, timeout=20)
    assert read_message(path)["Subject"] == "flush me"
