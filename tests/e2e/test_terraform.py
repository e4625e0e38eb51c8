"""Terraform end to end, in ONE configuration applied once (the hashicorp/aws provider from
the machine's filesystem mirror, the README's provider block plus a `secretsmanager`
endpoint). Terraform creates independent resources in parallel, so the provider's slow
waiters (10-30 s per poll) are paid about once for the longest chain, not once per
feature; this keeps the suite under its time budget on two cores. It covers:

- tf-db, a typical aws_db_instance (tags, backups) using an aws_db_parameter_group with a
  dynamic and a static parameter (psql SHOW sees both) and a non-default
  ca_cert_identifier (the served certificate is that CA's; psql sslmode=verify-full passes
  with the bundle rdslocal serves);
- the encryption lesson: an aws_kms_key with an aws_kms_alias and tf-enc encrypted with it,
  whose master password is managed in Secrets Manager (manage_master_user_password; a data
  source reads the secret and psql logs in with it);
- an aws_db_snapshot of tf-db (tagged, shared with an account, with its files on disk);
- two restore_to_point_in_time instances of a boto3-made source (latest restorable time,
  and a given instant by DbiResourceId): psql finds exactly the rows of each instant.

Then `terraform plan -detailed-exitcode` finds no drift; a second apply changes the CA
(re-issued certificate) and the dynamic parameter (new SHOW value) and plans clean again;
destroy removes everything and schedules the key's and the secret's deletion, as AWS does.

The configuration is written the way most are: no engine_version (the provider then sends
EngineVersion= empty, which AWS reads as "the default version"). Any attribute the
provider reads back differently from what it sent shows up as drift in the plan, which
this test refuses."""
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError

import rdslocal_testlib as t
from test_tls import issuer_cn, served_cert, x509_text

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


def provider_block(endpoint):
    """The README's block: it must name every service this configuration uses."""
    block = readme_provider_block(endpoint)
    for service in ("rds", "kms", "secretsmanager"):
        assert re.search(r"^\s*%s\s*=" % service, block, re.M), "README's provider block lacks " + service
    return block


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

resource "aws_db_parameter_group" "pg" {
  name   = "tf-params"
  family = "postgres15"

  parameter {
    name  = "log_min_duration_statement"
    value = "%(min_duration)s"
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
  identifier              = "tf-db"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  storage_type            = "gp3"
  db_name                 = "app"
  username                = "appuser"
  password                = "Tf-s3cret-pass"
  parameter_group_name    = aws_db_parameter_group.pg.name
  ca_cert_identifier      = "%(ca)s"
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
  identifier                  = "tf-enc"
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  db_name                     = "app"
  username                    = "appuser"
  manage_master_user_password = true
  storage_encrypted           = true
  kms_key_id                  = aws_kms_key.k.arn
  publicly_accessible         = true
  apply_immediately           = true
  skip_final_snapshot         = true
}

data "aws_secretsmanager_secret_version" "master" {
  secret_id = aws_db_instance.enc.master_user_secret[0].secret_arn
}

resource "aws_db_snapshot" "snap" {
  db_instance_identifier = aws_db_instance.db.identifier
  db_snapshot_identifier = "tf-snap"
  shared_accounts        = ["123456789012"]
  tags = {
    Purpose = "lesson"
  }
}

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

output "address" { value = aws_db_instance.db.address }
output "port" { value = aws_db_instance.db.port }
output "ca" { value = aws_db_instance.db.ca_cert_identifier }
output "group_arn" { value = aws_db_parameter_group.pg.arn }
output "enc_address" { value = aws_db_instance.enc.address }
output "enc_port" { value = aws_db_instance.enc.port }
output "key_arn" { value = aws_kms_key.k.arn }
output "secret_arn" { value = aws_db_instance.enc.master_user_secret[0].secret_arn }
output "secret_status" { value = aws_db_instance.enc.master_user_secret[0].secret_status }
output "credentials" {
  value     = data.aws_secretsmanager_secret_version.master.secret_string
  sensitive = true
}
output "snapshot_arn" { value = aws_db_snapshot.snap.db_snapshot_arn }
output "snapshot_status" { value = aws_db_snapshot.snap.status }
output "latest_port" { value = aws_db_instance.latest.port }
output "at_port" { value = aws_db_instance.at.port }
"""

OUTPUTS = ("address", "port", "ca", "group_arn", "enc_address", "enc_port", "key_arn", "secret_arn",
           "secret_status", "credentials", "snapshot_arn", "snapshot_status", "latest_port", "at_port")


def psql_verify_full(port, host, user, password, rootcert):
    """psql with sslmode=verify-full against rootcert; (rc, out, err), out 't' when on TLS."""
    conn = "host=%s port=%d user=%s dbname=app sslmode=verify-full sslrootcert=%s" % (host, port, user, rootcert)
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    p = subprocess.run(["psql", conn, "-Atqc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
                       capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


@unittest.skipUnless(TERRAFORM and find_mirror(), "terraform or its hashicorp/aws mirror is not installed")
class Terraform(unittest.TestCase):
    def setUp(self):
        self.server = t.Server().start()
        self.rds = self.server.client()
        self.work = tempfile.mkdtemp(prefix="rdslocal-tf-")
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

    def configure(self, **values):
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(CONFIG % dict(values, provider=provider_block(self.server.endpoint)))

    def tf(self, *args, ok=(0,)):
        p = subprocess.run([TERRAFORM] + list(args) + ["-no-color"], cwd=self.work, env=self.env,
                           capture_output=True, text=True, timeout=600)
        self.assertIn(p.returncode, ok, "terraform %s failed (%d):\n%s\n%s\nrdslocal log tail:\n%s"
                      % (args[0], p.returncode, p.stdout[-4000:], p.stderr[-4000:],
                         self.server.read_log()[-3000:]))
        return p

    def assert_no_drift(self):
        """Exit code 0 means "no changes" (2 would mean a diff)."""
        p = self.tf("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        self.assertEqual(p.returncode, 0, "terraform plan shows drift:\n" + p.stdout[-4000:])

    def src_psql(self, port, sql):
        rc, out, err = t.psql(port, "app", "S3cret-pass", sql, db="appdb")
        self.assertEqual(rc, 0, err)
        return out

    def make_pitr_source(self):
        """tf-src (boto3): row 1, the instant `at`, row 2, archived; returns (resource id, at)."""
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
        self.src_psql(port, "create table t (id int); insert into t values (1)")
        time.sleep(1.2)
        at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        time.sleep(1.2)
        self.src_psql(port, "insert into t values (2)")
        t.wait_for(lambda: t.describe_one(self.rds, "tf-src")["LatestRestorableTime"] > at + datetime.timedelta(seconds=2),
                   20, interval=0.2, what="LatestRestorableTime past the second row")
        return src["DbiResourceId"], at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def outputs(self):
        return {k: self.tf("output", "-raw", k).stdout.strip() for k in OUTPUTS}

    def show(self, out, setting):
        rc, res, err = t.psql(int(out["port"]), "appuser", "Tf-s3cret-pass", "show " + setting,
                              db="app", host=out["address"])
        self.assertEqual(rc, 0, err)
        return res

    def check_tls(self, out, ca):
        """The CA Terraform reports is the served certificate's issuer; verify-full passes."""
        self.assertEqual(out["ca"], ca)
        port = int(out["port"])
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), ca)
        rc, res, err = psql_verify_full(port, out["address"], "appuser", "Tf-s3cret-pass", self.bundle)
        self.assertEqual((rc, res), (0, "t"), err)

    def test_apply_plan_change_destroy(self):
        rid, at = self.make_pitr_source()
        config = dict(rid=rid, at=at, ca="rds-ca-ecc384-g1", min_duration="250")
        self.configure(**config)
        self.tf("init", "-input=false")
        self.tf("apply", "-auto-approve", "-input=false")
        out = self.outputs()
        rds = self.rds

        # tf-db is real: psql reaches it with what Terraform reported.
        rc, res, err = t.psql(int(out["port"]), "appuser", "Tf-s3cret-pass",
                              "create table t (v int); insert into t values (42); select v from t",
                              db="app", host=out["address"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(res, "42")
        d = t.describe_one(rds, "tf-db")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["BackupRetentionPeriod"], 7)
        tags = rds.list_tags_for_resource(ResourceName=d["DBInstanceArn"])["TagList"]
        self.assertEqual(sorted((x["Key"], x["Value"]) for x in tags), [("Name", "tf-test"), ("Team", "ci")])

        # Its parameter group: the server runs with the dynamic and the static value.
        self.assertTrue(out["group_arn"].endswith(":pg:tf-params"))
        self.assertEqual(self.show(out, "log_min_duration_statement"), "250ms")
        self.assertEqual(self.show(out, "max_locks_per_transaction"), "128")
        self.assertEqual(d["DBParameterGroups"], [{"DBParameterGroupName": "tf-params",
                                                   "ParameterApplyStatus": "in-sync"}])
        # Its CA.
        self.check_tls(out, "rds-ca-ecc384-g1")

        # The encrypted instance: encrypted with the customer key (found by its alias), its
        # master password in Secrets Manager, read by the data source, opens psql.
        kms = self.server.client("kms")
        enc = t.describe_one(rds, "tf-enc")
        self.assertTrue(enc["StorageEncrypted"])
        self.assertFalse(d["StorageEncrypted"])
        self.assertEqual(enc["KmsKeyId"], out["key_arn"])
        self.assertEqual(kms.describe_key(KeyId="alias/tf-db")["KeyMetadata"]["Arn"], out["key_arn"])
        self.assertRegex(out["secret_arn"], r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-")
        self.assertEqual(out["secret_status"], "active")
        creds = json.loads(out["credentials"])
        self.assertEqual(creds["username"], "appuser")
        rc, res, err = t.psql(int(out["enc_port"]), "appuser", creds["password"], "select 42",
                              db="app", host=out["enc_address"])
        self.assertEqual((rc, res), (0, "42"), err)

        # The snapshot of tf-db: available, tagged, shared, with its files.
        self.assertEqual(out["snapshot_status"], "available")
        self.assertEqual(out["snapshot_arn"], "arn:aws:rds:us-east-1:000000000000:snapshot:tf-snap")
        s = rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")["DBSnapshots"][0]
        self.assertEqual((s["DBInstanceIdentifier"], s["Encrypted"]), ("tf-db", False))
        self.assertEqual(s["TagList"], [{"Key": "Purpose", "Value": "lesson"}])
        a = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="tf-snap")["DBSnapshotAttributesResult"]
        self.assertEqual(a["DBSnapshotAttributes"][0]["AttributeValues"], ["123456789012"])
        # Files for every snapshot the API lists (the manual one and the instances' automated
        # backups), and for nothing else.
        snaps = os.path.join(self.server.state_dir, "snapshots")
        self.assertEqual(len(rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]), 1)
        t.wait_for(lambda: len([e for e in os.listdir(snaps) if not e.startswith(".")]) ==
                   len(rds.describe_db_snapshots()["DBSnapshots"]), 30, 0.2, "one dir per snapshot")

        # The point-in-time restores hold exactly the rows of their instant.
        rows = "select string_agg(id::text, ',' order by id) from t"
        self.assertEqual(self.src_psql(int(out["latest_port"]), rows), "1,2")
        self.assertEqual(self.src_psql(int(out["at_port"]), rows), "1")

        self.assert_no_drift()

        # Second apply: a new CA (the certificate is re-issued) and a new value of the
        # dynamic parameter (the running server takes it); then still no drift.
        self.configure(**dict(config, ca="rds-ca-rsa4096-g1", min_duration="500"))
        self.tf("apply", "-auto-approve", "-input=false")
        out = self.outputs()
        self.check_tls(out, "rds-ca-rsa4096-g1")
        t.wait_for(lambda: self.show(out, "log_min_duration_statement") == "500ms", 30, interval=0.5,
                   what="log_min_duration_statement = 500ms")
        self.assertEqual(self.show(out, "max_locks_per_transaction"), "128")
        self.assert_no_drift()

        self.tf("destroy", "-auto-approve", "-input=false")
        for ident in ("tf-db", "tf-enc", "tf-pitr-latest", "tf-pitr-at"):
            with self.assertRaises(rds.exceptions.DBInstanceNotFoundFault):
                rds.describe_db_instances(DBInstanceIdentifier=ident)
        ids = [x["DBInstanceIdentifier"] for x in rds.describe_db_instances()["DBInstances"]]
        self.assertEqual(ids, ["tf-src"])
        with self.assertRaises(rds.exceptions.DBSnapshotNotFoundFault):
            rds.describe_db_snapshots(DBSnapshotIdentifier="tf-snap")
        with self.assertRaises(rds.exceptions.DBParameterGroupNotFoundFault):
            rds.describe_db_parameter_groups(DBParameterGroupName="tf-params")
        # Only AWS-managed aliases remain (alias/aws/secretsmanager, made for the secret).
        self.assertEqual([x["AliasName"] for x in kms.list_aliases()["Aliases"]
                          if not x["AliasName"].startswith("alias/aws/")], [])
        self.assertEqual(kms.describe_key(KeyId=out["key_arn"])["KeyMetadata"]["KeyState"],
                         "PendingDeletion")
        sm = self.server.client("secretsmanager")
        self.assertIn("DeletedDate", sm.describe_secret(SecretId=out["secret_arn"]))

        # With the boto3-made source gone too, no snapshot files and no postgres are left.
        rds.delete_db_instance(DBInstanceIdentifier="tf-src", SkipFinalSnapshot=True,
                               DeleteAutomatedBackups=True)

        def src_gone():
            try:
                rds.describe_db_instances(DBInstanceIdentifier="tf-src")
            except rds.exceptions.DBInstanceNotFoundFault:
                return True
            return False
        t.wait_for(src_gone, 60, interval=0.5, what="tf-src deleted")
        t.wait_for(lambda: [e for e in os.listdir(snaps) if not e.startswith(".")] == [], 30, interval=0.5,
                   what="no snapshot files left")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])


if __name__ == "__main__":
    t.main()
