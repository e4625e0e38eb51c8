"""Terraform end to end: the hashicorp/aws provider (from the machine's filesystem mirror,
with the README's provider block) applies, in one configuration, a typical aws_db_instance,
the encryption lesson's resources (an aws_kms_key with an aws_kms_alias and an instance
encrypted with that key) and an aws_db_snapshot of the plain instance (tagged, shared with
an account); psql reaches both instances with the outputs, `terraform plan
-detailed-exitcode` finds no drift, and destroy removes everything (the snapshot's files
too) and schedules the key's deletion, as AWS does. One configuration, one apply: the
provider's slow waiters are paid once.

The configuration is written the way most are: no engine_version (the provider then sends
EngineVersion= empty, which AWS reads as "the default version"). Any attribute the
provider reads back differently from what it sent shows up as drift in the plan, which
this test refuses. The provider's own waiters poll slowly (tens of seconds), so this test
takes a few minutes; it runs in parallel with the rest of the suite."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import rdslocal_testlib as t

TERRAFORM = shutil.which("terraform")
MIRRORS = sorted(glob.glob("/opt/tf-plugins") + glob.glob("/usr/share/terraform/plugins")
                 + glob.glob(os.path.expanduser("~/.terraform.d/plugins")))


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def readme_provider_block(endpoint):
    """The README's Terraform provider block (its hcl code block), pointed at endpoint:
    the snippet users copy is the one this test applies."""
    with open(README) as f:
        text = f.read()
    block = text.split("```hcl\n", 1)[1].split("```", 1)[0]
    lines = [line[2:] if line.startswith("  ") else line for line in block.splitlines()]
    return "\n".join(lines).replace("http://127.0.0.1:4566", endpoint)


def find_mirror():
    """A filesystem mirror directory holding registry.terraform.io/hashicorp/aws."""
    env = os.environ.get("RDSLOCAL_TF_MIRROR")
    for d in ([env] if env else []) + MIRRORS:
        if glob.glob(os.path.join(d, "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return d
    return None


CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

%(provider)s

resource "aws_db_instance" "db" {
  identifier              = "tf-db"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  storage_type            = "gp3"
  db_name                 = "app"
  username                = "appuser"
  password                = "Tf-s3cret-pass"
  backup_retention_period = 7
  publicly_accessible     = true
  apply_immediately       = true
  skip_final_snapshot     = true
  tags = {
    Name = "tf-test"
    Team = "ci"
  }
}

resource "aws_kms_key" "k" {
  description             = "rdslocal terraform key"
  deletion_window_in_days = 7
  tags = {
    Team = "ci"
  }
}

resource "aws_kms_alias" "k" {
  name          = "alias/tf-db"
  target_key_id = aws_kms_key.k.key_id
}

resource "aws_db_instance" "enc" {
  identifier          = "tf-enc"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  db_name             = "app"
  username            = "appuser"
  password            = "Tf-s3cret-pass"
  storage_encrypted   = true
  kms_key_id          = aws_kms_key.k.arn
  publicly_accessible = true
  apply_immediately   = true
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

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "enc_address" { value = aws_db_instance.enc.address }
output "enc_port" { value = aws_db_instance.enc.port }
output "key_arn" { value = aws_kms_key.k.arn }
output "snapshot_arn" { value = aws_db_snapshot.snap.db_snapshot_arn }
output "snapshot_status" { value = aws_db_snapshot.snap.status }
"""


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class Terraform(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-")
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

    def test_apply_plan_without_changes_destroy(self):
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = {k: self.tf("output", "-raw", k).stdout.strip()
               for k in ("address", "port", "enc_address", "enc_port", "key_arn", "snapshot_arn",
                         "snapshot_status")}

        # The instance is real: psql reaches it with what Terraform reported.
        rc, res, err = t.psql(int(out["port"]), "appuser", "Tf-s3cret-pass",
                              "create table t (v int); insert into t values (42); select v from t",
                              db="app", host=out["address"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(res, "42")
        rds = self.server.client()
        d = t.describe_one(rds, "tf-db")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["BackupRetentionPeriod"], 7)
        tags = rds.list_tags_for_resource(ResourceName=d["DBInstanceArn"])["TagList"]
        self.assertEqual(sorted((x["Key"], x["Value"]) for x in tags), [("Name", "tf-test"), ("Team", "ci")])

        # The encrypted instance: real, encrypted with the customer key, found by its alias.
        rc, res, err = t.psql(int(out["enc_port"]), "appuser", "Tf-s3cret-pass", "select 42",
                              db="app", host=out["enc_address"])
        self.assertEqual((rc, res), (0, "42"), err)
        kms = self.server.client("kms")
        enc = t.describe_one(rds, "tf-enc")
        self.assertTrue(enc["StorageEncrypted"])
        self.assertFalse(d["StorageEncrypted"])
        self.assertEqual(enc["KmsKeyId"], out["key_arn"])
        self.assertEqual(kms.describe_key(KeyId="alias/tf-db")["KeyMetadata"]["Arn"], out["key_arn"])

        # The snapshot of the plain instance: available, tagged, shared, with its files.
        self.assertEqual(out["snapshot_status"], "available")
        self.assertEqual(out["snapshot_arn"], "arn:aws:rds:us-east-1:000000000000:snapshot:tf-snap")
        s = rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")["DBSnapshots"][0]
        self.assertEqual((s["DBInstanceIdentifier"], s["Encrypted"]), ("tf-db", False))
        self.assertEqual(s["TagList"], [{"Key": "Purpose", "Value": "lesson"}])
        a = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="tf-snap")["DBSnapshotAttributesResult"]
        self.assertEqual(a["DBSnapshotAttributes"][0]["AttributeValues"], ["123456789012"])
        snaps = os.path.join(self.server.state_dir, "snapshots")
        # one dir per snapshot: the manual one and the automated ones of the instances (issue 9)
        self.assertEqual(len(rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]), 1)
        t.wait_for(lambda: len([e for e in os.listdir(snaps) if not e.startswith(".")]) ==
                   len(rds.describe_db_snapshots()["DBSnapshots"]), 30, 0.2, "one dir per snapshot")

        # No drift: exit code 0 means "no changes" (2 would mean a diff).
        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

        self.tf("destroy", "-auto-approve", "-input=false")
        with self.assertRaises(rds.exceptions.DBInstanceNotFoundFault):
            rds.describe_db_instances(DBInstanceIdentifier="tf-db")
        with self.assertRaises(rds.exceptions.DBInstanceNotFoundFault):
            rds.describe_db_instances(DBInstanceIdentifier="tf-enc")
        with self.assertRaises(rds.exceptions.DBSnapshotNotFoundFault):
            rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")
        # the automated snapshots went with their instances; the worker removes their files
        t.wait_for(lambda: [e for e in os.listdir(snaps) if not e.startswith(".")] == [], 10, 0.2,
                   "snapshot files removed")
        self.assertEqual(kms.list_aliases()["Aliases"], [])
        self.assertEqual(kms.describe_key(KeyId=out["key_arn"])["KeyMetadata"]["KeyState"],
                         "PendingDeletion")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
