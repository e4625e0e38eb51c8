"""Terraform end to end for point-in-time restore: an aws_db_instance with a
restore_to_point_in_time block (hashicorp/aws from the machine's filesystem mirror)
restores a source instance made with boto3 -- rows written with psql -- once to the latest
restorable time and once to a given instant by DbiResourceId; psql finds exactly the rows
of each instant, `terraform plan -detailed-exitcode` finds no drift, and destroy removes
both. Setup, provider block and mirror lookup are those of test_terraform.py."""
import datetime
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from botocore.exceptions import ClientError

import rdslocal_testlib as t
from test_terraform import TERRAFORM, find_mirror, readme_provider_block

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

%(provider)s

resource "aws_db_instance" "latest" {
  identifier          = "tf-pitr-latest"
  instance_class      = "db.t3.micro"
  publicly_accessible = true
  skip_final_snapshot = true
  restore_to_point_in_time {
    source_db_instance_identifier = "tf-src"
    use_latest_restorable_time    = true
  }
}

resource "aws_db_instance" "at" {
  identifier          = "tf-pitr-at"
  instance_class      = "db.t3.micro"
  publicly_accessible = true
  skip_final_snapshot = true
  restore_to_point_in_time {
    source_dbi_resource_id = "%(rid)s"
    restore_time           = "%(at)s"
  }
}

output "latest_address" { value = aws_db_instance.latest.address }
output "latest_port" { value = aws_db_instance.latest.port }
output "at_port" { value = aws_db_instance.at.port }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformPitr(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.rds = self.server.client()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-pitr-")
        with open(os.path.join(self.work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n' % find_mirror())
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(self.work, "cli.tfrc"),
                        TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
                        TF_DATA_DIR=os.path.join(self.work, ".terraform"))

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def tf(self, *args, ok=(0,)):
        p = subprocess.run([TERRAFORM] + list(args) + ["-no-color"], cwd=self.work, env=self.env,
                           capture_output=True, text=True, timeout=420)
        self.assertIn(p.returncode, ok, "terraform %s failed (%d):\n%s\n%s\nrdslocal log tail:\n%s"
                      % (args[0], p.returncode, p.stdout[-4000:], p.stderr[-4000:],
                         self.server.read_log()[-3000:]))
        return p

    def psql(self, port, sql):
        rc, out, err = t.psql(port, "app", "S3cret-pass", sql, db="appdb")
        self.assertEqual(rc, 0, err)
        return out

    def test_restore_to_point_in_time_block(self):
        self.rds.create_db_instance(**t.create_args("tf-src", DBName="appdb", BackupRetentionPeriod=1))

        def first_backup():
            try:
                b = self.rds.describe_db_instance_automated_backups(DBInstanceIdentifier="tf-src")
            except ClientError:
                return None
            return b["DBInstanceAutomatedBackups"][0].get("RestoreWindow", {}).get("EarliestTime")
        t.wait_for(first_backup, 60, interval=0.2, what="first automated backup")
        src = t.wait_status(self.rds, "tf-src", "available", 60)
        port = src["Endpoint"]["Port"]
        self.psql(port, "create table t (id int); insert into t values (1)")
        time.sleep(1.2)
        at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        time.sleep(1.2)
        self.psql(port, "insert into t values (2)")
        t.wait_for(lambda: t.describe_one(self.rds, "tf-src")["LatestRestorableTime"] > at + datetime.timedelta(seconds=2),
                   20, interval=0.2, what="LatestRestorableTime past the second row")
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(CONFIG % {"provider": readme_provider_block(self.server.endpoint),
                              "rid": src["DbiResourceId"], "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = {k: self.tf("output", "-raw", k).stdout.strip() for k in ("latest_port", "at_port")}
        self.assertEqual(self.psql(int(out["latest_port"]), "select string_agg(id::text, ',' order by id) from t"),
                         "1,2")
        self.assertEqual(self.psql(int(out["at_port"]), "select string_agg(id::text, ',' order by id) from t"), "1")
        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])
        self.tf("destroy", "-auto-approve", "-input=false")
        ids = [d["DBInstanceIdentifier"] for d in self.rds.describe_db_instances()["DBInstances"]]
        self.assertEqual(ids, ["tf-src"])


if __name__ == "__main__":
    t.main()
