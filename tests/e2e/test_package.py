"""The Debian package (issue 11, part 4): cpack builds rdslocal_<version>_amd64.deb from
this build tree; its metadata and files are checked here, then it is installed with apt
into a clean bookworm container (the local base image of scripts/build-base-image.sh), so
only the dependencies it declares come with it. There `rdslocal --version` runs, rdslocal
starts as root (instances as the postgres user created by Debian's postgresql package),
finds its guard module at the installed path, and an instance created through the
published API port answers psql. Without a Docker engine the install part is skipped
(exit 77), except under CI=true.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import docker_helpers as dh
import rdslocal_testlib as t

BUILD_DIR = os.path.dirname(os.path.abspath(t.BIN))
VERSION = subprocess.run([t.BIN, "--version"], capture_output=True, text=True).stdout.split()[-1]
NAME = "rdslocal-pkgtest-%d" % os.getpid()


def build_deb(out_dir):
    cfg = os.path.join(BUILD_DIR, "CPackConfig.cmake")
    p = subprocess.run(["cpack", "--config", cfg, "-G", "DEB", "-B", out_dir], capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("cpack failed: %s%s" % (p.stdout[-2000:], p.stderr[-2000:]))
    return os.path.join(out_dir, "rdslocal_%s_amd64.deb" % VERSION)


def rds_client(url):
    import boto3
    from botocore.config import Config
    return boto3.client("rds", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rdslocal-deb-")
        cls.deb = build_deb(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True, text=True,
                              check=True).stdout.strip()

    def test_name_version_architecture(self):
        self.assertTrue(os.path.exists(self.deb), os.listdir(self.tmp))
        self.assertEqual(self.field("Package"), "rdslocal")
        self.assertEqual(self.field("Version"), VERSION)
        self.assertEqual(self.field("Architecture"), "amd64")

    def test_dependencies_declared(self):
        deps = [d.strip().split()[0] for d in self.field("Depends").split(",")]
        for want in ("postgresql-15", "libmicrohttpd12", "libsqlite3-0", "libssl3", "libpq5", "libc6"):
            self.assertIn(want, deps)

    def test_files(self):
        listing = subprocess.run(["dpkg-deb", "-c", self.deb], capture_output=True, text=True,
                                 check=True).stdout
        files = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
        for want in ("/usr/bin/rdslocal", "/usr/bin/rdslocal-aws", "/usr/lib/rdslocal/rdslocal_guard.so",
                     "/usr/share/man/man8/rdslocal.8.gz", "/lib/systemd/system/rdslocal.service"):
            self.assertIn(want, files)

    def test_systemd_unit_not_enabled_by_package(self):
        # No maintainer script enables or starts the unit (CPack's only run ldconfig).
        ctrl = os.path.join(self.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", self.deb, ctrl], check=True)
        for script in set(os.listdir(ctrl)) & {"preinst", "postinst", "prerm", "postrm"}:
            with open(os.path.join(ctrl, script), errors="replace") as f:
                text = f.read()
            for word in ("systemctl", "deb-systemd", "invoke-rc.d", "rdslocal"):
                self.assertNotIn(word, text, "%s mentions %s" % (script, word))

    def test_man_page_lists_every_flag_of_help(self):
        helptext = subprocess.run([t.BIN, "--help"], capture_output=True, text=True).stdout
        flags = set(re.findall(r"--[a-z][a-z-]+", helptext))
        man = os.path.join(dh.ROOT, "docs", "rdslocal.8")
        p = subprocess.run(["man", "-l", "-Tutf8", man], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="100"))
        text = p.stdout if p.returncode == 0 else open(man).read().replace("\\-", "-")
        text = re.sub(r".\x08", "", text)
        missing = sorted(f for f in flags if f not in text)
        self.assertEqual(missing, [], "flags of --help missing from rdslocal(8)")
        envs = set(re.findall(r"RDSLOCAL_[A-Z_]+[A-Z]", helptext))
        self.assertEqual(sorted(e for e in envs if e not in text), [],
                         "environment variables of --help missing from rdslocal(8)")
        for section in ("ENVIRONMENT", "ADMIN API", "EXIT STATUS", "/_rdslocal/health", "/_rdslocal/reset"):
            self.assertIn(section, text)


class InstalledInContainer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.engine = dh.Engine().start()
        cls.tmp = tempfile.mkdtemp(prefix="rdslocal-debctx-")
        deb = build_deb(cls.tmp)
        shutil.copy(deb, os.path.join(cls.tmp, "rdslocal.deb"))
        try:
            base = dh.base_image()
        except unittest.SkipTest:
            cls.engine.stop()
            raise
        with open(os.path.join(cls.tmp, "Dockerfile"), "w") as f:
            f.write("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY rdslocal.deb /tmp/\n"
                    "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "--no-install-recommends /tmp/rdslocal.deb\n")
        cls.image = NAME + ":latest"
        dh.build_image(cls.image, os.path.join(cls.tmp, "Dockerfile"), cls.tmp, base)

    @classmethod
    def tearDownClass(cls):
        dh.remove(NAME, images=[cls.image])
        shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.engine.stop()

    def run_in(self, *cmd):
        return dh.docker("run", "--rm", self.image, *cmd, check=False)

    def test_version_and_dependencies_resolve(self):
        p = self.run_in("rdslocal", "--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "rdslocal " + VERSION)
        p = self.run_in("sh", "-c", "ldd /usr/bin/rdslocal; dpkg -s rdslocal | grep Status; "
                        "test ! -e /etc/systemd/system/multi-user.target.wants/rdslocal.service && echo unit-disabled")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("not found", p.stdout)
        self.assertIn("Status: install ok installed", p.stdout)
        self.assertIn("unit-disabled", p.stdout)

    def test_create_instance_and_query_it(self):
        api = t.free_port()
        lo, hi = t.port_block(10)
        dh.docker("run", "-d", "--name", NAME, "-p", "127.0.0.1:%d:4566" % api, self.image, "rdslocal",
                  "--listen", "0.0.0.0:4566", "--allowed-hosts", "*", "--port-range", "%d-%d" % (lo, hi))
        url = "http://127.0.0.1:%d" % api
        t.wait_for(lambda: dh.http_ok(url + "/_rdslocal/health"), 60, what="installed rdslocal health")
        rds = rds_client(url)
        rds.create_db_instance(**t.create_args("debdb"))
        d = t.wait_status(rds, "debdb", "available", timeout=120)
        port = d["Endpoint"]["Port"]
        self.assertTrue(lo <= port <= hi)
        # The instance listens on the container's loopback: psql runs there (the package's
        # postgresql-15 brought postgresql-client-15).
        p = dh.docker("exec", "-e", "PGPASSWORD=S3cret-pass", NAME, "psql", "-h", "127.0.0.1", "-p", str(port),
                      "-U", "app", "-d", "postgres", "-Atc", "select current_user || ' ' || current_setting('server_version_num')::int / 10000",
                      check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "app 15")
        # Run as root, the instance's processes belong to the postgres user.
        p = dh.docker("exec", NAME, "sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = postgres ] "
                      "&& stat -c %U $p; done | sort -u", check=False)
        self.assertEqual(p.stdout.split(), ["postgres"], p.stderr)
        rds.delete_db_instance(DBInstanceIdentifier="debdb", SkipFinalSnapshot=True)
        dh.docker("stop", "-t", "60", NAME)
        out = dh.logs(NAME)
        self.assertIn("stopped", out)


if __name__ == "__main__":
    dh.main()
