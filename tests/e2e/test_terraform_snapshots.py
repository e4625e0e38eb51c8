"""Terraform end to end for DB snapshots: the hashicorp/aws provider (from the machine's
filesystem mirror) applies an aws_db_instance and an aws_db_snapshot of it (tags, shared
with an account through the restore attribute) against rdslocal with real PostgreSQL;
`terraform plan -detailed-exitcode` then finds no drift, and destroy removes both (the
snapshot's files too). Shares the provider setup of test_terraform.py."""
import os
import shutil
import subprocess
import tempfile
import unittest

import rdslocal_testlib as t
from test_terraform import TERRAFORM, find_mirror, readme_provider_block

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

%(provider)s

resource "aws_db_instance" "db" {
  identifier          = "tf-snap-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  db_name             = "app"
  username            = "appuser"
  password            = "Tf-s3cret-pass"
  skip_final_snapshot = true
}

resource "aws_db_snapshot" "snap" {
  db_instance_identifier = aws_db_instance.db.identifier
  db_snapshot_identifier = "tf-snap"
  shared_accounts        = ["123456789012"]
  tags = {
    Purpose = "lesson"
  }
}

output "snapshot_arn" { value = aws_db_snapshot.snap.db_snapshot_arn }
output "snapshot_status" { value = aws_db_snapshot.snap.status }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformSnapshot(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-snap-")
        with open(os.path.join(self.work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n' % find_mirror())
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(CONFIG % {"provider": readme_provider_block(self.server.endpoint)})
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

    def test_snapshot_apply_plan_without_changes_destroy(self):
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        self.assertEqual(self.tf("output", "-raw", "snapshot_status").stdout.strip(), "available")
        self.assertEqual(self.tf("output", "-raw", "snapshot_arn").stdout.strip(),
                         "arn:aws:rds:us-east-1:000000000000:snapshot:tf-snap")
        rds = self.server.client()
        s = rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")["DBSnapshots"][0]
        self.assertEqual(s["TagList"], [{"Key": "Purpose", "Value": "lesson"}])
        a = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="tf-snap")["DBSnapshotAttributesResult"]
        self.assertEqual(a["DBSnapshotAttributes"][0]["AttributeValues"], ["123456789012"])
        snaps = os.path.join(self.server.state_dir, "snapshots")
        self.assertEqual(len([e for e in os.listdir(snaps) if not e.startswith(".")]), 1)

        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

        self.tf("destroy", "-auto-approve", "-input=false")
        with self.assertRaises(rds.exceptions.DBSnapshotNotFoundFault):
            rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")
        self.assertEqual([e for e in os.listdir(snaps) if not e.startswith(".")], [])
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
