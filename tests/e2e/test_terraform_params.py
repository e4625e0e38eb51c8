"""Terraform and parameter groups: an aws_db_parameter_group with a dynamic and a static
parameter and an aws_db_instance using it apply; the real server runs with both values
(psql SHOW), `terraform plan -detailed-exitcode` finds no drift, and destroy removes the
instance and then the group. Style and helpers of test_terraform.py."""
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

resource "aws_db_parameter_group" "pg" {
  name   = "tf-params"
  family = "postgres15"

  parameter {
    name  = "log_min_duration_statement"
    value = "250"
  }

  parameter {
    name         = "max_locks_per_transaction"
    value        = "128"
    apply_method = "pending-reboot"
  }

  tags = {
    Team = "ci"
  }
}

resource "aws_db_instance" "db" {
  identifier           = "tf-params-db"
  engine               = "postgres"
  instance_class       = "db.t3.micro"
  allocated_storage    = 20
  username             = "appuser"
  password             = "Tf-s3cret-pass"
  parameter_group_name = aws_db_parameter_group.pg.name
  publicly_accessible  = true
  apply_immediately    = true
  skip_final_snapshot  = true
}

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "group_arn" { value = aws_db_parameter_group.pg.arn }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformParams(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-params-")
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

    def test_group_with_dynamic_and_static_parameter(self):
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = {k: self.tf("output", "-raw", k).stdout.strip() for k in ("address", "port", "group_arn")}
        self.assertTrue(out["group_arn"].endswith(":pg:tf-params"))

        def show(setting):
            rc, res, err = t.psql(int(out["port"]), "appuser", "Tf-s3cret-pass", "show " + setting,
                                  host=out["address"])
            self.assertEqual(rc, 0, err)
            return res
        self.assertEqual(show("log_min_duration_statement"), "250ms")
        self.assertEqual(show("max_locks_per_transaction"), "128")
        rds = self.server.client()
        d = t.describe_one(rds, "tf-params-db")
        self.assertEqual(d["DBParameterGroups"], [{"DBParameterGroupName": "tf-params",
                                                   "ParameterApplyStatus": "in-sync"}])

        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

        self.tf("destroy", "-auto-approve", "-input=false")
        with self.assertRaises(rds.exceptions.DBParameterGroupNotFoundFault):
            rds.describe_db_parameter_groups(DBParameterGroupName="tf-params")


if __name__ == "__main__":
    t.main()
