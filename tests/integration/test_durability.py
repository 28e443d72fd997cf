"""kill -9 of a daemon while 200 messages flow loses none that got a 250."""
import os
import signal
import smtplib
import time

import pytest

from conftest import wait_until

MESSAGES = 200


def kill_all(inst, victim):
    n = 0
    for pid in inst.pids().get(victim, []):
        try:
            os.kill(pid, signal.SIGKILL)
            n += 1
        except ProcessLookupError:
            pass
    return n


def sender(inst, victim, acked, kills):
    """Send MESSAGES messages, retrying each until it is acknowledged, and
    kill -9 every `victim` process after every 40th acknowledged message
    (or as soon after as one is running)."""
    due = 0
    for i in range(MESSAGES):
        tag = "msg-%04d" % i
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", inst.port, timeout=20) as s:
                    s.sendmail("load@example.org", ["tess@localhost"],
                               "Subject: %s\r\nX-Test-Id: %s\r\n\r\nbody %s\r\n"
                               % (tag, tag, tag))
                acked.append(tag)
                break
            except (smtplib.SMTPException, OSError):
                time.sleep(0.1)
        if i % 40 == 39:
            due += 1
        if due and kill_all(inst, victim):
            kills.append(i)
            due -= 1


def delivered_tags(inst):
    tags = set()
    for path in inst.messages("tess"):
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    if line.startswith("X-Test-Id: "):
                        tags.add(line.split()[1])
                        break
        except FileNotFoundError:
            pass
    return tags


@pytest.mark.parametrize("victim", ["qmgr", "cleanup", "local"])
def test_kill_9_loses_nothing(new_instance, victim):
    inst = new_instance()
    inst.start()
    acked, kills = [], []
    sender(inst, victim, acked, kills)
    assert kills, "the %s process was never seen running" % victim
    assert len(acked) == MESSAGES, "only %d of %d acknowledged" % (len(acked), MESSAGES)
    wait_until(lambda: set(acked) <= delivered_tags(inst), 120,
               what="every acknowledged message delivered")
    assert "killed by signal 9" in inst.log()
