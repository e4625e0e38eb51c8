"""Terraform and managed master passwords: an aws_db_instance with
manage_master_user_password = true applies (RDS keeps the password in Secrets Manager),
a data source reads the secret through the provider's secretsmanager endpoint, psql
opens the instance with that password, `terraform plan -detailed-exitcode` finds no
drift, and destroy schedules the secret's deletion as AWS does. The provider block is the
README's with a `secretsmanager` endpoint added (see docs/readme/secrets.md)."""
import json
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
  identifier                  = "tf-managed"
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  db_name                     = "app"
  username                    = "appuser"
  manage_master_user_password = true
  publicly_accessible         = true
  apply_immediately           = true
  skip_final_snapshot         = true
}

data "aws_secretsmanager_secret_version" "master" {
  secret_id = aws_db_instance.db.master_user_secret[0].secret_arn
}

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "secret_arn" { value = aws_db_instance.db.master_user_secret[0].secret_arn }
output "secret_status" { value = aws_db_instance.db.master_user_secret[0].secret_status }
output "credentials" {
  value     = data.aws_secretsmanager_secret_version.master.secret_string
  sensitive = true
}
"""


def provider_block(endpoint):
    block = readme_provider_block(endpoint)
    if "secretsmanager" not in block:
        block = block.replace("endpoints {", 'endpoints {\n    secretsmanager = "%s"' % endpoint, 1)
    return block


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformManagedPassword(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-secrets-")
        with open(os.path.join(self.work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n' % find_mirror())
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(CONFIG % {"provider": provider_block(self.server.endpoint)})
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

    def test_manage_master_user_password(self):
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = {k: self.tf("output", "-raw", k).stdout.strip()
               for k in ("address", "port", "secret_arn", "secret_status", "credentials")}
        self.assertRegex(out["secret_arn"], r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-")
        self.assertEqual(out["secret_status"], "active")
        creds = json.loads(out["credentials"])
        self.assertEqual(creds["username"], "appuser")
        rc, res, err = t.psql(int(out["port"]), "appuser", creds["password"], "select 42", db="app",
                              host=out["address"])
        self.assertEqual((rc, res), (0, "42"), err)

        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

        self.tf("destroy", "-auto-approve", "-input=false")
        sm = self.server.client("secretsmanager")
        self.assertIn("DeletedDate", sm.describe_secret(SecretId=out["secret_arn"]))
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
