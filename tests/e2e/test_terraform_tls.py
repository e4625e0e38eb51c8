"""Terraform and TLS (issue 12 parts 1 and 5): the hashicorp/aws provider (filesystem
mirror, the README's provider block) applies an aws_db_instance with ca_cert_identifier,
the served certificate is that CA's and psql sslmode=verify-full passes with the bundle
rdslocal serves; a change of ca_cert_identifier (apply_immediately) re-issues it; after
each apply `terraform plan -detailed-exitcode` finds no drift; destroy removes it. The
provider's waiters are slow, so this takes a minute or two."""
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

import rdslocal_testlib as t
from test_terraform import TERRAFORM, find_mirror, readme_provider_block
from test_tls import issuer_cn, psql_tls, served_cert, x509_text

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

%(provider)s

resource "aws_db_instance" "db" {
  identifier          = "tf-tls"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = "S3cret-pass"
  ca_cert_identifier  = "%(ca)s"
  apply_immediately   = true
  skip_final_snapshot = true
}

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "ca" { value = aws_db_instance.db.ca_cert_identifier }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class TerraformTls(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tftls-")
        with open(os.path.join(self.work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n' % find_mirror())
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(self.work, "cli.tfrc"),
                        TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
                        TF_DATA_DIR=os.path.join(self.work, ".terraform"))
        self.bundle = os.path.join(self.work, "global-bundle.pem")
        with urllib.request.urlopen(self.server.endpoint + "/_rdslocal/certs/global-bundle.pem", timeout=60) as r:
            with open(self.bundle, "wb") as f:
                f.write(r.read())

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def configure(self, ca):
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(CONFIG % {"provider": readme_provider_block(self.server.endpoint), "ca": ca})

    def tf(self, *args, ok=(0,)):
        p = subprocess.run([TERRAFORM] + list(args) + ["-no-color"], cwd=self.work, env=self.env,
                           capture_output=True, text=True, timeout=420)
        self.assertIn(p.returncode, ok, "terraform %s failed (%d):\n%s\n%s\nrdslocal log tail:\n%s"
                      % (args[0], p.returncode, p.stdout[-4000:], p.stderr[-4000:],
                         self.server.read_log()[-3000:]))
        return p

    def check(self, ca):
        out = {k: self.tf("output", "-raw", k).stdout.strip() for k in ("address", "port", "ca")}
        self.assertEqual(out["ca"], ca)
        port = int(out["port"])
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), ca)
        rc, res, err = psql_tls(port, self.bundle, host=out["address"])
        self.assertEqual((rc, res), (0, "t"), err)
        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

    def test_ca_cert_identifier_apply_change_plan_clean(self):
        self.configure("rds-ca-ecc384-g1")
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        self.check("rds-ca-ecc384-g1")
        self.configure("rds-ca-rsa4096-g1")
        self.tf("apply", "-auto-approve", "-input=false")
        self.check("rds-ca-rsa4096-g1")
        self.tf("destroy", "-auto-approve", "-input=false")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
