"""rdslocal_testlib: start/stop the real rdslocal binary for end-to-end tests.

Each Server runs rdslocal on a free 127.0.0.1 port with its own temporary state dir and
port range, waits for /_rdslocal/health, and on stop checks that no postgres process of
that state dir is left. Clients are real boto3 / AWS CLI pointed at the server.
Python: the machine's pyenv python (boto3, botocore, awscli); nothing from PyPI at test time.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN = os.environ.get("RDSLOCAL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rdslocal")

_next_port_block = [int(os.environ.get("RDSLOCAL_TEST_PORT_BASE", "20000")) + (os.getpid() % 200) * 100]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_block(size=60):
    """A range of instance ports unlikely to collide with other test processes."""
    lo = _next_port_block[0]
    _next_port_block[0] += size
    return lo, lo + size - 1


def wait_for(pred, timeout=10.0, interval=0.01, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % what)


def postgres_pids_under(path):
    """PIDs of postgres processes whose data dir (cwd) is under path."""
    pids = []
    real = os.path.realpath(path)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                comm = f.read().strip()
            if comm != "postgres" and not comm.startswith("postgres"):
                continue
            cwd = os.readlink("/proc/%s/cwd" % d)
        except OSError:
            continue
        if cwd.startswith(real):
            pids.append(int(d))
    return pids


class Server:
    def __init__(self, *extra, state_dir=None, no_engine=False, env=None):
        self.own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="rdslocal-test-")
        os.chmod(self.state_dir, 0o755)
        self.port = free_port()
        self.extra = list(extra)
        if no_engine:
            self.extra.append("--no-engine")
        self.ports = port_block()
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.state_dir, "rdslocal.log")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=15.0):
        args = [BIN, "--listen", "127.0.0.1:%d" % self.port, "--state-dir", self.state_dir,
                "--port-range", "%d-%d" % self.ports] + self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=self.env)
        wait_for(self._healthy, timeout, what="rdslocal health")
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError("rdslocal exited with %s; log:\n%s" % (self.proc.returncode, self.read_log()))
        try:
            with urllib.request.urlopen(self.endpoint + "/_rdslocal/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # a server that does not stop is killed, so a failing test leaves nothing
                # running; the caller still gets the failure
                self.proc.kill()
                self.proc.wait(10)
                self.log.close()
                self.proc = None
                raise
        if self.proc:
            self.log.close()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait(10)
        self.log.close()
        self.proc = None

    def cleanup(self):
        """Stops the server; asserts no postgres process of this state dir is left. Even
        when the stop fails, nothing of the state dir is left running."""
        left = []
        try:
            self.stop()
        finally:
            left = postgres_pids_under(self.state_dir)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if self.own_dir:
                shutil.rmtree(self.state_dir, ignore_errors=True)
        if left:
            raise AssertionError("postgres processes left after stop: %s" % left)

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"{}")

    def client(self, service="rds", region="us-east-1"):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))

    def cli(self, *args, check=True):
        """Runs the real AWS CLI; returns (rc, parsed JSON or None, stderr)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
        aws = shutil.which("aws") or "/root/.pyenv/shims/aws"
        p = subprocess.run([aws, "--endpoint-url", self.endpoint, "--output", "json"] + list(args),
                           capture_output=True, text=True, env=env, timeout=120)
        out = json.loads(p.stdout) if p.stdout.strip() else None
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p.returncode, out, p.stderr


def psql(port, user, password, sql, db="postgres", host="localhost"):
    """Runs sql with the real psql client; returns (rc, stdout, stderr)."""
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    p = subprocess.run(["psql", "-h", host, "-p", str(port), "-U", user, "-d", db, "-Atq",
                        "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def create_args(ident, **kw):
    args = dict(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro",
                AllocatedStorage=20, MasterUsername="app", MasterUserPassword="S3cret-pass")
    args.update(kw)
    return args


def main():
    """unittest main that prints the closing 'N passed, N failed' line."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print("%d passed, %d failed" % (r.testsRun - failed - len(r.skipped), failed))
    sys.exit(1 if failed else 0)


# ---- helpers for the real-postgres e2e tests (tests/e2e/test_pg_*.py) ----

def instance_dir(state_dir, resource_id):
    """<state_dir>/instances/<DbiResourceId>: the instance's data/, log/, ..."""
    return os.path.join(state_dir, "instances", resource_id)


def postmaster_pid(state_dir, resource_id):
    """The postmaster pid from data/postmaster.pid (first line), or None if absent."""
    try:
        with open(os.path.join(instance_dir(state_dir, resource_id), "data", "postmaster.pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def port_refuses(port):
    """True if nothing accepts TCP connections on 127.0.0.1:port."""
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def describe_one(client, ident):
    return client.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def wait_status(client, ident, status, timeout=30.0):
    """Polls DescribeDBInstances until ident has status; returns the instance."""
    def ok():
        d = describe_one(client, ident)
        return d if d["DBInstanceStatus"] == status else None
    return wait_for(ok, timeout, interval=0.1, what="%s to be %s" % (ident, status))


class PgTestCase(unittest.TestCase):
    """One rdslocal per class (real postgres); POST /_rdslocal/reset before each test, and
    after each test a reset must leave no postgres process under the state dir."""
    server_args = ()
    no_engine = False

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_args, no_engine=cls.no_engine).start()
        cls.rds = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        if self.server.proc is None:  # a test stopped or killed it
            self.server.start()
        self.server.admin("POST", "/_rdslocal/reset")

    def tearDown(self):
        if self.server.proc is None:
            self.server.start()
        self.server.admin("POST", "/_rdslocal/reset")
        left = postgres_pids_under(self.server.state_dir)
        self.assertEqual(left, [], "postgres processes left after reset")

    def create(self, ident, **kw):
        """CreateDBInstance with create_args; returns the first Describe of it."""
        self.rds.create_db_instance(**create_args(ident, **kw))
        return describe_one(self.rds, ident)

    def sql(self, d, sql, user="app", password="S3cret-pass", db="postgres"):
        """psql as the master user against d's Endpoint; asserts success, returns stdout."""
        ep = d["Endpoint"]
        rc, out, err = psql(ep["Port"], user, password, sql, db=db, host=ep["Address"])
        self.assertEqual(rc, 0, "psql failed: %s" % err)
        return out
