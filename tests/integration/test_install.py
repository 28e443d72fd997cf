"""make install's tree, staged into a DESTDIR."""
import os
import shutil
import stat
import subprocess
import tempfile

from conftest import BUILD, SRCDIR


def test_install_tree_into_destdir():
    dest = tempfile.mkdtemp(prefix="tegami-destdir-", dir="/tmp")
    try:
        res = subprocess.run([os.path.join(SRCDIR, "scripts", "install-tree"),
                              BUILD, dest, "/usr"], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        sbin = os.path.join(dest, "usr", "sbin")
        for name in ("tegami", "sendmail"):
            st = os.stat(os.path.join(sbin, name))
            assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o111
        for name in ("mailq", "newaliases"):
            assert os.readlink(os.path.join(sbin, name)) == "sendmail"
        libexec = os.path.join(dest, "usr", "libexec", "tegami")
        for name in ("master", "smtpd", "cleanup", "qmgr", "local", "pickup",
                     "showq", "postdrop"):
            assert os.access(os.path.join(libexec, name), os.X_OK), name
        for name in ("main.cf", "master.cf"):
            assert os.path.isfile(os.path.join(dest, "etc", "tegami", name))
        assert os.path.isfile(os.path.join(dest, "usr", "share", "man", "man1",
                                           "tegami.1"))
        # A second install keeps the administrator's configuration.
        cf = os.path.join(dest, "etc", "tegami", "main.cf")
        with open(cf, "a") as f:
            f.write("myhostname = kept.example\n")
        res = subprocess.run([os.path.join(SRCDIR, "scripts", "install-tree"),
                              BUILD, dest, "/usr"], capture_output=True, text=True)
        assert res.returncode == 0
        assert "myhostname = kept.example" in open(cf).read()
        # The installed tegami reads the installed configuration.
        res = subprocess.run([os.path.join(sbin, "tegami"), "-c",
                              os.path.join(dest, "etc", "tegami"), "conf",
                              "myhostname"], capture_output=True, text=True)
        assert res.stdout.strip() == "myhostname = kept.example", res.stderr
    finally:
        shutil.rmtree(dest, ignore_errors=True)
