"""SMTP conversation scripts (tests/proto/*.chat) against a real instance.

Most scripts run against a default instance; relay.chat and
too_many_rcpts.chat need a client outside $mynetworks and a small
recipient limit, so they get an instance of their own.
"""
import glob
import os
import subprocess

import pytest

from conftest import SRCDIR

PROTO = os.path.join(SRCDIR, "tests", "proto")
RESTRICTED = {"relay.chat", "too_many_rcpts.chat"}
ALL = sorted(os.path.basename(p) for p in glob.glob(os.path.join(PROTO, "*.chat")))


def run_chats(port, names):
    res = subprocess.run(["/usr/bin/python3", os.path.join(PROTO, "run_chat.py"),
                          "127.0.0.1", str(port)] +
                         [os.path.join(PROTO, n) for n in names],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def test_there_are_scripts():
    assert len(ALL) >= 10, ALL


@pytest.mark.parametrize("name", [n for n in ALL if n not in RESTRICTED])
def test_chat_default(instance, name):
    run_chats(instance.port, [name])


def test_chat_restricted(new_instance):
    inst = new_instance()
    inst.conf(mynetworks="192.0.2.0/24", smtpd_recipient_limit="2")
    inst.start()
    run_chats(inst.port, sorted(RESTRICTED))
