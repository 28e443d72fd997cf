"""Test hosts in network namespaces: several "machines" on one host.

    with Net() as net:
        a = net.host("a", "192.0.2.1", "2001:db8::1")
        b = net.host("b", "192.0.2.2", "2001:db8::2")
        net.call(a, fn, *args)     # fn runs with a's network, in a thread

Each host is a namespace (`ip netns add`) with loopback up and one end of
a veth pair on a shared bridge namespace, so every host reaches every
other on the documentation prefixes 192.0.2.0/24 and 2001:db8::/64 and
nothing else.  call() runs a function in a thread that has entered the
host's namespace (setns(2) changes only the calling thread), so sockets it
opens and processes it starts (subprocess forks from that thread) live on
that host.  Everything is deleted on exit.  Needs root and iproute2.
"""
import ctypes
import os
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=30)


class Net:
    def __init__(self):
        self.tag = "tg%d" % (os.getpid() % 100000)
        self.bridge_ns = self.tag + "br"
        self.hosts = []

    def __enter__(self):
        _ip("netns", "add", self.bridge_ns)
        _ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.bridge_ns, "link", "set", "br0", "up")
        return self

    def __exit__(self, *exc):
        for ns in self.hosts + [self.bridge_ns]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)

    def host(self, name, addr4, addr6):
        ns = "%s%s" % (self.tag, name)
        _ip("netns", "add", ns)
        self.hosts.append(ns)
        peer = "p" + name
        _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer,
            "netns", self.bridge_ns)
        _ip("-n", self.bridge_ns, "link", "set", peer, "master", "br0")
        _ip("-n", self.bridge_ns, "link", "set", peer, "up")
        _ip("-n", ns, "addr", "add", addr4 + "/24", "dev", "eth0")
        _ip("-n", ns, "addr", "add", addr6 + "/64", "dev", "eth0", "nodad")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "link", "set", "eth0", "up")
        return ns

    @staticmethod
    def call(ns, fn, *args, **kwargs):
        """fn(*args, **kwargs) with ns's network; its result or exception."""
        box = {}

        def run():
            fd = os.open("/run/netns/" + ns, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns " + ns)
            finally:
                os.close(fd)
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as e:     # re-raised in the caller
                box["error"] = e
        t = threading.Thread(target=run)
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]
        return box.get("value")
