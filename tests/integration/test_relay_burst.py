"""A burst of parallel sessions relayed end to end: Postfix's smtp-source
opens 200 sessions at once against smtpd, every one gets its MAIL FROM
accepted (each needs a cleanup connection at that moment: a full listen
backlog on private/cleanup used to answer 451), and every message reaches
smtp-sink through the smtp agent."""
import re
import subprocess

from conftest import port_free, wait_until
from scripted_smtp import free_port

SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
COUNT = 400


def test_two_hundred_sessions_at_once(new_instance):
    inst = new_instance()
    port = free_port()
    sink = subprocess.Popen([SMTP_SINK, "-u", "nobody", "127.0.0.1:%d" % port, "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: not port_free(port), 10, what="smtp-sink")
        inst.conf(relayhost="[127.0.0.1]:%d" % port, mynetworks="127.0.0.0/8")
        inst.start()
        src = subprocess.run([SMTP_SOURCE, "-s", "200", "-m", str(COUNT), "-l", "1024",
                              "-f", "from@burst.example", "-t", "to@remote.example",
                              "127.0.0.1:%d" % inst.port],
                             capture_output=True, text=True, timeout=300)
        assert src.returncode == 0, src.stderr
        assert "queue file write error" not in inst.log()
        wait_until(lambda: len(re.findall(r"to=<to@remote\.example>.*status=sent",
                                          inst.log())) == COUNT, 120,
                   what="%d deliveries" % COUNT)
    finally:
        sink.kill()
        sink.wait()


def test_flush_drains_more_than_one_batch(new_instance):
    """A flush makes every deferred message due, not only the first batch
    qmgr takes into active/ (qmgr_message_active_limit = 5 here, retry
    time an hour away): all 20 go as soon as the site is back."""
    inst = new_instance()
    port = free_port()
    inst.conf(relayhost="[127.0.0.1]:%d" % port, qmgr_message_active_limit="5",
              minimal_backoff_time="3600s", maximal_backoff_time="3600s")
    inst.start()
    for i in range(20):
        inst.sendmail(["-f", "vera@localhost", "d%d@remote.example" % i],
                      "Subject: %d\n\nwaiting\n" % i)
    wait_until(lambda: len(inst.queue_files("deferred")) == 20, 120,
               what="20 deferred messages")
    sink = subprocess.Popen([SMTP_SINK, "-u", "nobody", "127.0.0.1:%d" % port, "64"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: not port_free(port), 10, what="smtp-sink")
        inst.tegami("queue", "flush", check=True)
        wait_until(lambda: len(re.findall(r"to=<d\d+@remote\.example>.*status=sent",
                                          inst.log())) == 20, 60,
                   what="20 deliveries after the flush")
        wait_until(lambda: inst.queue_files() == [], 30, what="an empty queue")
    finally:
        sink.kill()
        sink.wait()
