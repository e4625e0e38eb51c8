"""The container image (issue 11, parts 1-3): docker/Dockerfile built for real on the local
bookworm base (scripts/build-base-image.sh; no registry is reachable), then run as users
run it: health, an instance created through the published API port, psql through its
published port, `docker stop` stops the instances cleanly and `docker start` brings them
back with their data, nothing runs after `docker rm`. Then the recipes that use the image:
docker/compose.yaml (rdslocal + an application container) and Testcontainers for Node
(tests/js/testcontainers_rds.js).

Figures (printed as FIGURE lines): image size, start-to-healthy (Docker's own HEALTHCHECK
verdict), create-to-first-query through the published ports. Without a Docker engine the
test exits 77 (ctest SKIP), except under CI=true where that is a failure. Every container,
volume and image it makes carries this process's id and is removed at the end; the base
image and the build cache are kept (tagged / untagged layers) so later runs are fast.
"""
import json
import os
import shutil
import subprocess
import time
import unittest

import docker_helpers as dh
import rdslocal_testlib as t

TAG = "rdslocal:test-%d" % os.getpid()
NAME = "rdslocal-ct-%d" % os.getpid()
VOLUME = NAME + "-data"
JS_DIR = os.path.join(dh.ROOT, "tests", "js")
FIG = {}
ENGINE = None


def setUpModule():
    global ENGINE
    ENGINE = dh.Engine().start()
    try:
        base = dh.base_image()
    except unittest.SkipTest:
        ENGINE.stop()
        raise
    FIG["build_s"] = dh.build_image(TAG, os.path.join(dh.ROOT, "docker", "Dockerfile"), dh.ROOT, base)
    size = int(dh.docker("image", "inspect", "-f", "{{.Size}}", TAG).stdout.strip())
    FIG["image_mb"] = round(size / 1e6, 1)


def tearDownModule():
    dh.remove(NAME)
    dh.docker("volume", "rm", "-f", VOLUME, check=False)
    dh.remove(images=[TAG])
    for k, v in sorted(FIG.items()):
        print("FIGURE %s=%s" % (k, v))
    if ENGINE:
        ENGINE.stop()


def rds_client(api_port):
    import boto3
    from botocore.config import Config
    return boto3.client("rds", endpoint_url="http://127.0.0.1:%d" % api_port, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def host_pid_alive(pid, comm):
    try:
        with open("/proc/%s/comm" % pid) as f:
            return f.read().strip() == comm
    except OSError:
        return False


class A_Image(unittest.TestCase):
    """What the image is, read off its configuration."""

    def cfg(self, fmt):
        return dh.docker("image", "inspect", "-f", fmt, TAG).stdout.strip()

    def test_healthcheck_user_volume_ports(self):
        self.assertIn("/_rdslocal/health", self.cfg("{{json .Config.Healthcheck.Test}}"))
        self.assertEqual(self.cfg("{{.Config.User}}"), "rdslocal")
        self.assertIn("/var/lib/rdslocal", self.cfg("{{json .Config.Volumes}}"))
        exposed = json.loads(self.cfg("{{json .Config.ExposedPorts}}"))
        self.assertIn("4566/tcp", exposed)
        env = self.cfg("{{json .Config.Env}}")
        for want in ("RDSLOCAL_LISTEN=0.0.0.0:4566", "RDSLOCAL_ENDPOINT_ADDRESS=localhost",
                     "RDSLOCAL_PORT_RANGE=4510-4559"):
            self.assertIn(want, env)
        for p in ("4510/tcp", "4559/tcp"):
            self.assertIn(p, exposed)

    def test_no_compiler_in_runtime_stage(self):
        p = dh.docker("run", "--rm", "--entrypoint", "sh", TAG, "-c",
                      "for c in gcc cc c99 clang cmake make ld; do command -v $c; done; true")
        self.assertEqual(p.stdout.strip(), "")

    def test_jit_left_out_but_queries_that_would_use_it_run(self):
        # apt-get check (as root: it takes apt's lock): dpkg's path filters left the
        # packages' records whole, so apt works in images derived from this one.
        p = dh.docker("run", "--rm", "--user", "root", "--entrypoint", "sh", TAG, "-c",
                      "ls /usr/lib/postgresql/15/lib/llvmjit.so /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 2>&1;"
                      " apt-get check >/dev/null 2>&1 && echo apt-consistent; true")
        self.assertIn("No such file", p.stdout)
        self.assertIn("apt-consistent", p.stdout)


class B_Lifecycle(unittest.TestCase):
    """One container through its whole life, in order (test_1 ... test_5)."""

    @classmethod
    def setUpClass(cls):
        cls.api = t.free_port()
        cls.lo, cls.hi = t.port_block(5)
        dh.docker("volume", "create", VOLUME)

    def run_container(self):
        # Clients here use 127.0.0.1 (Endpoint.Address set so); ports 1:1 on loopback only.
        rng = "%d-%d" % (self.lo, self.hi)
        dh.docker("run", "-d", "--name", NAME, "-v", VOLUME + ":/var/lib/rdslocal",
                  "-e", "RDSLOCAL_PORT_RANGE=" + rng, "-e", "RDSLOCAL_ENDPOINT_ADDRESS=127.0.0.1",
                  "-p", "127.0.0.1:%d:4566" % self.api, "-p", "127.0.0.1:%s:%s" % (rng, rng), TAG)

    def assert_row_kept(self, rds):
        """ctdb becomes available and, within 60 s, answers the row written in test_1."""
        d = t.wait_status(rds, "ctdb", "available", timeout=60)
        deadline = time.time() + 60
        while True:
            rc, out, err = self.psql(d["Endpoint"]["Port"], "select v from kept")
            if rc == 0 or time.time() >= deadline:
                break
            time.sleep(0.2)
        self.assertEqual((rc, out), (0, "survives"), err)

    def psql(self, port, sql):
        return t.psql(port, "app", "S3cret-pass", sql, host="127.0.0.1")

    def test_1_run_healthy_create_query(self):
        t0 = time.time()
        self.run_container()
        t.wait_for(lambda: dh.http_ok("http://127.0.0.1:%d/_rdslocal/health" % self.api, 0.5), 60,
                   interval=0.05, what="health through the published port")
        FIG["start_to_api_answers_s"] = round(time.time() - t0, 2)
        dh.wait_healthy(NAME)
        FIG["start_to_healthy_s"] = round(time.time() - t0, 2)
        self.assertTrue(dh.http_ok("http://127.0.0.1:%d/_rdslocal/health" % self.api))
        # PID 1 is tini; rdslocal runs as the image's non-root user.
        procs = dh.docker("exec", NAME, "sh", "-c", "cat /proc/1/comm; id -un").stdout.split()
        self.assertEqual(procs, ["tini", "rdslocal"])
        rds = rds_client(self.api)
        t1 = time.time()
        rds.create_db_instance(**t.create_args("ctdb"))
        d = t.describe_one(rds, "ctdb")
        port = d["Endpoint"]["Port"] if d.get("Endpoint") else None
        rc = 1
        while time.time() - t1 < 120:
            if port is None:
                d = t.describe_one(rds, "ctdb")
                port = d["Endpoint"]["Port"] if d.get("Endpoint") else None
            if port is not None:
                rc, out, err = self.psql(port, "select 'first'")
                if rc == 0:
                    break
            time.sleep(0.05)
        self.assertEqual(rc, 0, err)
        FIG["create_to_first_query_s"] = round(time.time() - t1, 2)
        d = t.wait_status(rds, "ctdb", "available", timeout=60)
        self.assertEqual(d["Endpoint"]["Address"], "127.0.0.1")
        self.assertTrue(self.lo <= d["Endpoint"]["Port"] <= self.hi)
        rc, out, err = self.psql(port, "create table kept(v text); insert into kept values ('survives');"
                                 " set jit_above_cost = 0; select count(*) from generate_series(1, 1000)")
        self.assertEqual((rc, out), (0, "1000"), err)
        # Instance processes run as the same non-root user.
        users = dh.docker("exec", NAME, "sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = "
                          "postgres ] && stat -c %U $p; done | sort -u", check=False).stdout.split()
        self.assertEqual(users, ["rdslocal"])

    def test_2_docker_stop_stops_instances_cleanly(self):
        pg = [pid for pid, comm in dh.container_pids(NAME) if comm == "postgres"]
        self.assertTrue(pg)
        t0 = time.time()
        dh.docker("stop", "-t", "60", NAME)
        FIG["docker_stop_s"] = round(time.time() - t0, 2)
        self.assertEqual(dh.docker("inspect", "-f", "{{.State.ExitCode}}", NAME).stdout.strip(), "0")
        out = dh.logs(NAME)
        self.assertIn("shutting down on signal 15", out)
        self.assertRegex(out, r'postgres for instance "[^"]+" exited pid=\d+ status="exit status 0"')
        self.assertTrue(out.rstrip().endswith("stopped"), out[-500:])
        self.assertEqual([p for p in pg if host_pid_alive(p, "postgres")], [])

    def test_3_start_again_keeps_instance_and_data(self):
        t0 = time.time()
        dh.docker("start", NAME)
        dh.wait_healthy(NAME)
        FIG["restart_to_healthy_s"] = round(time.time() - t0, 2)
        self.assert_row_kept(rds_client(self.api))

    def test_4_new_container_same_volume_keeps_instance(self):
        # A new container (new image layer, say after an upgrade) with the same volume.
        dh.docker("rm", "-f", NAME)
        self.run_container()
        dh.wait_healthy(NAME)
        self.assert_row_kept(rds_client(self.api))

    def test_5_nothing_runs_after_docker_rm(self):
        procs = dh.container_pids(NAME)
        self.assertTrue(any(c == "postgres" for _, c in procs))
        self.assertTrue(any(c == "socat" for _, c in procs))
        dh.docker("rm", "-f", NAME)
        t.wait_for(lambda: not [p for p, c in procs if host_pid_alive(p, c)], 30, what="container processes gone")
        self.assertNotEqual(dh.docker("inspect", NAME, check=False).returncode, 0)
        self.assertTrue(t.port_refuses(self.api))
        dh.docker("volume", "rm", VOLUME)


class C_Recipes(unittest.TestCase):
    """The README's recipes that run here: docker compose and Testcontainers for Node."""

    def test_compose_app_uses_rdslocal(self):
        compose = shutil.which("docker-compose")
        if not compose:
            if dh.IN_CI:
                self.fail("docker-compose missing (sh scripts/install-deps.sh --packaging)")
            self.skipTest("docker-compose missing")
        lo, hi = t.port_block(3)
        proj = "rdslocalct%d" % os.getpid()
        env = dict(os.environ, RDSLOCAL_IMAGE=TAG, BASE_IMAGE=dh.BASE_TAG, RDSLOCAL_API_PORT=str(t.free_port()),
                   RDSLOCAL_PORTS="%d-%d" % (lo, hi), DOCKER_HOST="unix:///var/run/docker.sock")
        cmd = [compose, "-f", os.path.join(dh.ROOT, "docker", "compose.yaml"), "-p", proj]
        try:
            p = subprocess.run(["nice"] + cmd + ["up", "--exit-code-from", "app"], capture_output=True,
                               text=True, env=env, timeout=900)
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
            self.assertIn("app reached postgres", p.stdout)
        finally:
            subprocess.run(cmd + ["down", "-v", "--rmi", "local", "-t", "60"], capture_output=True, env=env,
                           timeout=300)

    def test_testcontainers_node(self):
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "testcontainers")):
            if dh.IN_CI:
                self.fail("node or tests/js/node_modules missing (sh scripts/install-deps.sh --packaging)")
            self.skipTest("node or tests/js/node_modules missing")
        lo, hi = t.port_block(3)
        # Ryuk (Testcontainers' reaper) is an image from a registry: off; the script stops
        # its container itself, and leftovers are removed below by label.
        env = dict(os.environ, TESTCONTAINERS_RYUK_DISABLED="true", DOCKER_HOST="unix:///var/run/docker.sock")
        try:
            p = subprocess.run([node, os.path.join(JS_DIR, "testcontainers_rds.js"), TAG, "%d-%d" % (lo, hi)],
                               capture_output=True, text=True, env=env, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            out = json.loads(p.stdout.strip().splitlines()[-1])
            self.assertEqual(out["answer"], "tc app")
            self.assertEqual(out["endpoint"]["Address"], "localhost")
            self.assertTrue(lo <= out["endpoint"]["Port"] <= hi)
        finally:
            left = dh.docker("ps", "-aq", "--filter", "ancestor=" + TAG, check=False).stdout.split()
            if left:
                dh.docker("rm", "-f", "-v", *left, check=False)
        self.assertEqual(left, [], "Testcontainers left a container")


if __name__ == "__main__":
    dh.main()
