"""Terraform end to end for KMS and encryption at rest: the hashicorp/aws provider (from the
machine's filesystem mirror, with the README's provider block) applies an aws_kms_key, an
aws_kms_alias and an aws_db_instance encrypted with that key; psql reaches the instance,
Describe shows the key's ARN, `terraform plan -detailed-exitcode` finds no drift, and
destroy removes the instance and the alias and schedules the key's deletion (as AWS does:
a KMS key is never deleted at once)."""
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

resource "aws_kms_key" "db" {
  description             = "rdslocal terraform key"
  deletion_window_in_days = 7
  tags = {
    Team = "ci"
  }
}

resource "aws_kms_alias" "db" {
  name          = "alias/tf-db"
  target_key_id = aws_kms_key.db.key_id
}

resource "aws_db_instance" "db" {
  identifier          = "tf-enc"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  db_name             = "app"
  username            = "appuser"
  password            = "Tf-s3cret-pass"
  storage_encrypted   = true
  kms_key_id          = aws_kms_key.db.arn
  publicly_accessible = true
  apply_immediately   = true
  skip_final_snapshot = true
}

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "key_arn" { value = aws_kms_key.db.arn }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformKms(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tfkms-")
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

    def test_key_alias_encrypted_instance(self):
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = {k: self.tf("output", "-raw", k).stdout.strip() for k in ("address", "port", "key_arn")}
        rc, res, err = t.psql(int(out["port"]), "appuser", "Tf-s3cret-pass", "select 42", db="app",
                              host=out["address"])
        self.assertEqual((rc, res), (0, "42"), err)
        rds, kms = self.server.client(), self.server.client("kms")
        d = t.describe_one(rds, "tf-enc")
        self.assertTrue(d["StorageEncrypted"])
        self.assertEqual(d["KmsKeyId"], out["key_arn"])
        self.assertEqual(kms.describe_key(KeyId="alias/tf-db")["KeyMetadata"]["Arn"], out["key_arn"])

        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

        self.tf("destroy", "-auto-approve", "-input=false")
        with self.assertRaises(rds.exceptions.DBInstanceNotFoundFault):
            rds.describe_db_instances(DBInstanceIdentifier="tf-enc")
        self.assertEqual(kms.list_aliases()["Aliases"], [])
        self.assertEqual(kms.describe_key(KeyId=out["key_arn"])["KeyMetadata"]["KeyState"], "PendingDeletion")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
