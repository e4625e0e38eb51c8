"""Managed master passwords end to end (real postgres, boto3, psql): CreateDBInstance with
ManageMasterUserPassword keeps the password in Secrets Manager (rds!db-<uuid>, owned by
rds) and the secret's password really opens the server; RotateMasterUserPassword changes
the server and the secret together (the old password is refused, AWSPREVIOUS keeps it);
turning management on and off through ModifyDBInstance; the combinations AWS refuses;
the user cannot change RDS's secret; MasterUserSecretKmsKeyId; restore from a snapshot
with a managed password; deletion schedules the secret's deletion; a restart of
rdslocal (SIGTERM and kill -9) keeps everything."""
import json
import re
import unittest

from botocore.exceptions import ClientError

import rdslocal_testlib as t

SECRET_NAME = re.compile(r"^rds!db-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def managed_args(ident, **kw):
    a = t.create_args(ident, ManageMasterUserPassword=True, **kw)
    del a["MasterUserPassword"]
    return a


class ManagedPassword(t.PgTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sm = cls.server.client("secretsmanager")
        cls.kms = cls.server.client("kms")

    def setUp(self):
        super().setUp()
        # clients bound to a restarted server stay valid (same endpoint)

    def err(self, fn, code, msg=None, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], code, e["Error"].get("Message"))
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 400)
        if msg:
            self.assertEqual(e["Error"]["Message"], msg)
        return e

    def secret_creds(self, arn, stage="AWSCURRENT"):
        v = self.sm.get_secret_value(SecretId=arn, VersionStage=stage)
        return json.loads(v["SecretString"])

    def connects(self, d, password):
        ep = d["Endpoint"]
        rc, out, err = t.psql(ep["Port"], "app", password, "select current_user", host=ep["Address"])
        return rc == 0 and out == "app", err

    def create_managed(self, ident, **kw):
        r = self.rds.create_db_instance(**managed_args(ident, **kw))["DBInstance"]
        self.assertIn("MasterUserSecret", r)
        return t.describe_one(self.rds, ident)

    def test_create_secret_password_works_then_rotate(self):
        d = self.create_managed("mp1")
        s = d["MasterUserSecret"]
        self.assertEqual(s["SecretStatus"], "active")
        self.assertRegex(s["SecretArn"], r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}$")
        self.assertRegex(s["KmsKeyId"], r"^arn:aws:kms:us-east-1:000000000000:key/[0-9a-f-]{36}$")
        # the key is the AWS managed aws/secretsmanager key, created on first use
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in self.kms.list_aliases()["Aliases"]}
        self.assertTrue(s["KmsKeyId"].endswith(aliases["alias/aws/secretsmanager"]))
        desc = self.sm.describe_secret(SecretId=s["SecretArn"])
        self.assertRegex(desc["Name"], SECRET_NAME)
        self.assertEqual(desc["OwningService"], "rds")
        self.assertTrue(desc["RotationEnabled"])
        tags = {x["Key"]: x["Value"] for x in desc["Tags"]}
        self.assertEqual(tags["aws:rds:primaryDBInstanceArn"], d["DBInstanceArn"])
        self.assertEqual(tags["aws:secretsmanager:owningService"], "rds")
        creds = self.secret_creds(s["SecretArn"])
        self.assertEqual(creds["username"], "app")
        self.assertGreaterEqual(len(creds["password"]), 20)
        ok, err = self.connects(d, creds["password"])
        self.assertTrue(ok, err)
        ok, _ = self.connects(d, "S3cret-pass")
        self.assertFalse(ok)

        # rotation needs ApplyImmediately, as on AWS
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination",
                 "You must specify apply immediately when rotating the master user password.",
                 DBInstanceIdentifier="mp1", RotateMasterUserPassword=True)
        self.assertEqual(self.secret_creds(s["SecretArn"]), creds)  # a refusal changes nothing
        self.rds.modify_db_instance(DBInstanceIdentifier="mp1", RotateMasterUserPassword=True,
                                    ApplyImmediately=True)
        new = self.secret_creds(s["SecretArn"])
        self.assertNotEqual(new["password"], creds["password"])
        self.assertEqual(self.secret_creds(s["SecretArn"], "AWSPREVIOUS"), creds)
        ok, err = self.connects(d, new["password"])
        self.assertTrue(ok, err)
        ok, err = self.connects(d, creds["password"])
        self.assertFalse(ok)
        self.assertIn('password authentication failed for user "app"', err)
        self.assertIn("LastRotatedDate", self.sm.describe_secret(SecretId=s["SecretArn"]))

        # RotateSecret through Secrets Manager: RDS rotates the server too
        r = self.sm.rotate_secret(SecretId=s["SecretArn"])
        third = self.secret_creds(s["SecretArn"])
        self.assertNotEqual(third["password"], new["password"])
        self.assertEqual(self.sm.get_secret_value(SecretId=s["SecretArn"])["VersionId"], r["VersionId"])
        self.assertTrue(self.connects(d, third["password"])[0])
        self.assertFalse(self.connects(d, new["password"])[0])

    def test_user_cannot_change_rds_secret(self):
        d = self.create_managed("mp2")
        arn = d["MasterUserSecret"]["SecretArn"]
        for fn, kw in ((self.sm.put_secret_value, dict(SecretString="x")),
                       (self.sm.update_secret, dict(Description="mine")),
                       (self.sm.delete_secret, dict(ForceDeleteWithoutRecovery=True))):
            self.err(fn, "InvalidRequestException", SecretId=arn, **kw)
        self.err(self.sm.rotate_secret, "InvalidRequestException", SecretId=arn,
                 RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:f")
        # tags and reads are allowed
        self.sm.tag_resource(SecretId=arn, Tags=[{"Key": "team", "Value": "db"}])
        self.assertTrue(self.connects(d, self.secret_creds(arn)["password"])[0])

    def test_refused_combinations(self):
        a = managed_args("mp3")
        a["MasterUserPassword"] = "S3cret-pass"
        self.err(self.rds.create_db_instance, "InvalidParameterValue", **a)
        self.err(self.rds.create_db_instance, "InvalidParameterCombination",
                 "A ManageMasterUserPassword value is required when MasterUserSecretKmsKeyId is specified.",
                 **t.create_args("mp3", MasterUserSecretKmsKeyId="alias/aws/secretsmanager"))
        # a key the secret cannot be sealed under: RDS's KMS error, nothing created
        self.err(self.rds.create_db_instance, "KMSKeyNotAccessibleFault",
                 **managed_args("mp3", MasterUserSecretKmsKeyId="11111111-2222-3333-4444-555555555555"))
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.rds.create_db_instance(**t.create_args("mp3"))
        d = t.describe_one(self.rds, "mp3")
        self.assertNotIn("MasterUserSecret", d)
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination",
                 "You cannot set ManageMasterUserPassword to false because the master user password is not "
                 "currently managed by RDS.",
                 DBInstanceIdentifier="mp3", ManageMasterUserPassword=False, MasterUserPassword="N3w-pass-123",
                 ApplyImmediately=True)
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination",
                 DBInstanceIdentifier="mp3", RotateMasterUserPassword=True, ApplyImmediately=True)
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination",
                 DBInstanceIdentifier="mp3", ManageMasterUserPassword=True, MasterUserPassword="N3w-pass-123",
                 ApplyImmediately=True)
        self.assertEqual(self.sm.list_secrets()["SecretList"], [])
        self.assertTrue(self.connects(d, "S3cret-pass")[0])

    def test_turn_on_then_off_needs_a_password(self):
        self.rds.create_db_instance(**t.create_args("mp4"))
        key = self.kms.create_key(Description="secrets key")["KeyMetadata"]
        r = self.rds.modify_db_instance(DBInstanceIdentifier="mp4", ManageMasterUserPassword=True,
                                        MasterUserSecretKmsKeyId=key["KeyId"], ApplyImmediately=True)
        d = t.describe_one(self.rds, "mp4")
        s = d["MasterUserSecret"]
        self.assertEqual(s["KmsKeyId"], key["Arn"])
        self.assertEqual(r["DBInstance"]["MasterUserSecret"]["SecretArn"], s["SecretArn"])
        self.assertEqual(self.sm.describe_secret(SecretId=s["SecretArn"])["KmsKeyId"], key["KeyId"])
        pw = self.secret_creds(s["SecretArn"])["password"]
        self.assertTrue(self.connects(d, pw)[0])
        self.assertFalse(self.connects(d, "S3cret-pass")[0])
        # MasterUserPassword while managed is refused
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination", DBInstanceIdentifier="mp4",
                 MasterUserPassword="N3w-pass-123", ApplyImmediately=True)
        # turning it off needs a new password
        self.err(self.rds.modify_db_instance, "InvalidParameterCombination",
                 "MasterUserPassword must be provided when ManageMasterUserPassword is set to false.",
                 DBInstanceIdentifier="mp4", ManageMasterUserPassword=False, ApplyImmediately=True)
        self.rds.modify_db_instance(DBInstanceIdentifier="mp4", ManageMasterUserPassword=False,
                                    MasterUserPassword="N3w-pass-123", ApplyImmediately=True)
        d = t.describe_one(self.rds, "mp4")
        self.assertNotIn("MasterUserSecret", d)
        self.assertTrue(self.connects(d, "N3w-pass-123")[0])
        self.assertFalse(self.connects(d, pw)[0])
        gone = self.sm.describe_secret(SecretId=s["SecretArn"])
        self.assertIn("DeletedDate", gone)
        # a disabled key: the secret's value cannot be read (DecryptionFailure)
        self.sm.restore_secret(SecretId=s["SecretArn"])
        self.kms.disable_key(KeyId=key["KeyId"])
        self.err(self.sm.get_secret_value, "DecryptionFailure", SecretId=s["SecretArn"])

    def test_delete_schedules_secret_deletion_and_clock_ends_it(self):
        d = self.create_managed("mp5")
        arn = d["MasterUserSecret"]["SecretArn"]
        self.rds.delete_db_instance(DBInstanceIdentifier="mp5", SkipFinalSnapshot=True)
        desc = self.sm.describe_secret(SecretId=arn)
        self.assertIn("DeletedDate", desc)
        self.err(self.sm.get_secret_value, "InvalidRequestException", SecretId=arn)
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 8 * 86400})
        t.wait_for(lambda: not self.sm.list_secrets(IncludePlannedDeletion=True)["SecretList"], 10,
                   what="the secret to be deleted")
        self.err(self.sm.describe_secret, "ResourceNotFoundException", SecretId=arn)

    def test_restore_from_snapshot_with_managed_password(self):
        self.rds.create_db_instance(**t.create_args("mp6"))
        self.rds.create_db_snapshot(DBInstanceIdentifier="mp6", DBSnapshotIdentifier="mp6-snap")
        t.wait_for(lambda: self.rds.describe_db_snapshots(DBSnapshotIdentifier="mp6-snap")["DBSnapshots"][0]["Status"]
                   == "available", 60, what="snapshot")
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="mp6r", DBSnapshotIdentifier="mp6-snap",
                                                      ManageMasterUserPassword=True)
        d = t.wait_status(self.rds, "mp6r", "available", 60)
        pw = self.secret_creds(d["MasterUserSecret"]["SecretArn"])["password"]
        self.assertTrue(self.connects(d, pw)[0])
        self.assertFalse(self.connects(d, "S3cret-pass")[0])

    def test_scheduled_rotation_by_the_clock(self):
        d = self.create_managed("mp8")
        arn = d["MasterUserSecret"]["SecretArn"]
        first = self.secret_creds(arn)
        self.assertEqual(self.sm.describe_secret(SecretId=arn)["RotationRules"], {"AutomaticallyAfterDays": 7})
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 8 * 86400})
        t.wait_for(lambda: self.secret_creds(arn) != first, 10, what="the scheduled rotation")
        new = self.secret_creds(arn)
        self.assertEqual(self.secret_creds(arn, "AWSPREVIOUS"), first)
        self.assertTrue(self.connects(d, new["password"])[0])
        self.assertFalse(self.connects(d, first["password"])[0])
        self.assertIn("LastRotatedDate", self.sm.describe_secret(SecretId=arn))

    def test_restart_keeps_secret_and_password(self):
        d = self.create_managed("mp7")
        arn = d["MasterUserSecret"]["SecretArn"]
        self.rds.modify_db_instance(DBInstanceIdentifier="mp7", RotateMasterUserPassword=True, ApplyImmediately=True)
        creds = self.secret_creds(arn)
        for how in ("term", "kill9"):
            if how == "term":
                self.server.stop()
            else:
                self.server.kill9()
            self.server.start()
            d = t.wait_status(self.rds, "mp7", "available", 60)
            self.assertEqual(d["MasterUserSecret"]["SecretArn"], arn)
            self.assertEqual(self.secret_creds(arn), creds)
            self.assertTrue(self.connects(d, creds["password"])[0])
        self.rds.modify_db_instance(DBInstanceIdentifier="mp7", RotateMasterUserPassword=True, ApplyImmediately=True)
        self.assertTrue(self.connects(d, self.secret_creds(arn)["password"])[0])


if __name__ == "__main__":
    t.main()
