"""`rdslocal --print-env` and scripts/rdslocal-aws (issue 11, part 5).

The export lines are evaluated by a real shell, and the SDKs then reach rdslocal with no
endpoint in their code: boto3 (a fresh interpreter calling boto3.client("rds") with no
arguments) and the AWS SDK for JavaScript v3 (tests/js/sdk_env.js, `new RDSClient({})`).
Every child runs with the AWS_* variables of this process removed, so only the printed
lines can point it at the server. The JS part needs tests/js/node_modules
(`sh scripts/install-deps.sh --packaging` installs it): without it the case is skipped,
except under CI=true where it fails.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

import rdslocal_testlib as t

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
JS_DIR = os.path.join(ROOT, "tests", "js")
WRAPPER = os.path.join(ROOT, "scripts", "rdslocal-aws")
IN_CI = os.environ.get("CI") == "true"


def clean_env(**extra):
    """os.environ without any AWS_* variable (and without a shared credentials file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env.update(extra)
    return env


def print_env(*args, env=None):
    return subprocess.run([t.BIN, "--print-env"] + list(args), capture_output=True, text=True,
                          env=env or clean_env(), timeout=30)


def env_after_eval(*args):
    """The environment a shell has after eval "$(rdslocal --print-env ARGS)"."""
    script = 'eval "$("$0" --print-env "$@")" && env -0'
    p = subprocess.run(["sh", "-c", script, t.BIN] + list(args), capture_output=True,
                       env=clean_env(), timeout=30, check=True)
    out = dict(kv.split("=", 1) for kv in p.stdout.decode().split("\0") if "=" in kv)
    out["AWS_CONFIG_FILE"] = out["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return out


class PrintEnvLines(unittest.TestCase):
    def test_default_listen(self):
        p = print_env()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            "export AWS_ENDPOINT_URL='http://127.0.0.1:4566'",
            "export AWS_ACCESS_KEY_ID='test'",
            "export AWS_SECRET_ACCESS_KEY='test'",
            "export AWS_REGION='us-east-1'",
            "export AWS_DEFAULT_REGION='us-east-1'",
        ])

    def test_follows_listen_flag_and_env(self):
        p = print_env("--listen", "127.0.0.7:4999")
        self.assertIn("export AWS_ENDPOINT_URL='http://127.0.0.7:4999'", p.stdout.splitlines())
        p = print_env(env=clean_env(RDSLOCAL_LISTEN="localhost:5111"))
        self.assertIn("export AWS_ENDPOINT_URL='http://localhost:5111'", p.stdout.splitlines())

    def test_wildcard_listen_is_reached_through_loopback(self):
        p = print_env("--listen", "0.0.0.0:4566")
        self.assertIn("export AWS_ENDPOINT_URL='http://127.0.0.1:4566'", p.stdout.splitlines())

    def test_keeps_region_of_environment(self):
        p = print_env(env=clean_env(AWS_REGION="eu-west-3"))
        self.assertIn("export AWS_REGION='eu-west-3'", p.stdout.splitlines())
        self.assertIn("export AWS_DEFAULT_REGION='eu-west-3'", p.stdout.splitlines())

    def test_bad_listen_is_usage_error_and_prints_nothing(self):
        p = print_env("--listen", "nonsense")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertIn("--listen wants HOST:PORT", p.stderr)

    def test_starts_no_server(self):
        # --print-env exits at once: nothing is listening on the port it names afterwards.
        port = t.free_port()
        p = print_env("--listen", "127.0.0.1:%d" % port)
        self.assertEqual(p.returncode, 0)
        self.assertTrue(t.port_refuses(port))


class SdksHonourPrintEnv(unittest.TestCase):
    """One API-only server; each client finds it through the evaluated export lines."""

    @classmethod
    def setUpClass(cls):
        cls.server = t.Server(no_engine=True).start()
        cls.env = env_after_eval("--listen", "127.0.0.1:%d" % cls.server.port)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.server.admin("POST", "/_rdslocal/reset")

    def assert_created(self, ident):
        d = t.describe_one(self.server.client(), ident)
        self.assertEqual(d["DBInstanceIdentifier"], ident)
        return d

    def test_boto3_without_endpoint_in_code(self):
        code = ("import boto3, json; rds = boto3.client('rds'); "
                "rds.create_db_instance(DBInstanceIdentifier='from-boto3', Engine='postgres', "
                "DBInstanceClass='db.t3.micro', AllocatedStorage=20, MasterUsername='app', "
                "MasterUserPassword='S3cret-pass'); "
                "print(json.dumps(rds.describe_db_instances()['DBInstances'][0]['DBInstanceArn']))")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout),
                         "arn:aws:rds:us-east-1:000000000000:db:from-boto3")
        self.assert_created("from-boto3")

    def test_js_sdk_v3_without_endpoint_in_code(self):
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-rds")):
            if IN_CI:
                self.fail("node or tests/js/node_modules missing (sh scripts/install-deps.sh --packaging)")
            self.skipTest("node or tests/js/node_modules missing")
        p = subprocess.run([node, os.path.join(JS_DIR, "sdk_env.js"), "from-js", "app", "S3cret-pass"],
                           capture_output=True, text=True, env=self.env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = json.loads(p.stdout)
        self.assertEqual(d["DBInstanceIdentifier"], "from-js")
        self.assertEqual(d["DBInstanceArn"], "arn:aws:rds:us-east-1:000000000000:db:from-js")
        self.assertEqual(self.assert_created("from-js")["MasterUsername"], "app")

    def test_without_the_lines_the_sdk_does_not_find_rdslocal(self):
        # The control: the same boto3 call with no exported endpoint goes elsewhere (the
        # default AWS endpoint, unreachable here) and creates nothing on this server.
        code = ("import boto3; from botocore.config import Config; "
                "rds = boto3.client('rds', region_name='us-east-1', aws_access_key_id='x', "
                "aws_secret_access_key='x', config=Config(retries={'max_attempts': 1}, "
                "connect_timeout=2, read_timeout=2)); "
                "rds.create_db_instance(DBInstanceIdentifier='nowhere', Engine='postgres', "
                "DBInstanceClass='db.t3.micro', AllocatedStorage=20, MasterUsername='app', "
                "MasterUserPassword='S3cret-pass')")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=clean_env(), timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.server.client().describe_db_instances()["DBInstances"], [])

    def test_rdslocal_aws_wrapper_with_printed_env(self):
        p = subprocess.run([WRAPPER, "rds", "create-db-instance", "--db-instance-identifier", "from-cli",
                            "--engine", "postgres", "--db-instance-class", "db.t3.micro",
                            "--allocated-storage", "20", "--master-username", "app",
                            "--master-user-password", "S3cret-pass", "--output", "json"],
                           capture_output=True, text=True, env=self.env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["DBInstance"]["DBInstanceIdentifier"], "from-cli")
        self.assert_created("from-cli")

    def test_rdslocal_aws_wrapper_alone_sets_endpoint_and_credentials(self):
        # No AWS_* at all, only RDSLOCAL_URL: the wrapper supplies credentials and region.
        env = clean_env(RDSLOCAL_URL=self.server.endpoint)
        p = subprocess.run([WRAPPER, "rds", "describe-db-instances", "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"DBInstances": []})
        # Errors come back as the AWS CLI prints AWS's: the wrapper passes the exit status.
        p = subprocess.run([WRAPPER, "rds", "describe-db-instances", "--db-instance-identifier", "nope"],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("DBInstanceNotFound", p.stderr)


if __name__ == "__main__":
    t.main()
