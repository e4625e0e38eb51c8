"""End-to-end tests of DB snapshots on real PostgreSQL: a snapshot holds exactly the rows
written before it; the final snapshot of DeleteDBInstance and the snapshot of
StopDBInstance restore; snapshot files go with DeleteDBSnapshot and the admin reset; and
the encryption lesson (issue 8 part 6) with the AWS CLI: unencrypted instance -> snapshot
-> copy with a customer key -> restore -> an encrypted instance with the same rows, plus
the wrong turns a learner takes, and restarts of rdslocal (SIGTERM, kill -9) between
snapshot and restore."""
import os
import unittest

from botocore.exceptions import ClientError, ParamValidationError

from api_helpers import raw, xml_field
import rdslocal_testlib as tl

MARKER = "lesson-marker-7f3a9c"


def snapshot_dirs(state_dir):
    d = os.path.join(state_dir, "snapshots")
    return sorted(e for e in os.listdir(d) if not e.startswith(".")) if os.path.isdir(d) else []


def files_contain(state_dir, key, needle):
    root = os.path.join(state_dir, "snapshots", key)
    for dirpath, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as f:
                if needle.encode() in f.read():
                    return True
    return False


class PgSnapshotTest(tl.PgTestCase):
    def wait_snap(self, sid):
        self.rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=sid,
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 5})

    def restore(self, ident, sid, **kw):
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=ident, DBSnapshotIdentifier=sid, **kw)
        self.rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=ident,
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        return tl.describe_one(self.rds, ident)

    def rows(self, d, db="postgres"):
        return self.sql(d, "select count(*), coalesce(max(n), 0) from t", db=db)

    def test_snapshot_holds_exactly_the_rows_before_it(self):
        # retention 0: no automated snapshots among the snapshot dirs this test counts
        d = self.create("db1", DBName="appdb", BackupRetentionPeriod=0)
        self.sql(d, "create table t (n int, s text); insert into t select g, 'x' from generate_series(1, 100) g",
                 db="appdb")
        r = self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")["DBSnapshot"]
        self.assertEqual(r["Status"], "creating")
        self.assertEqual(tl.describe_one(self.rds, "db1")["DBInstanceStatus"], "available")
        self.sql(d, "insert into t select g, 'y' from generate_series(101, 200) g", db="appdb")
        self.wait_snap("s1")
        self.assertEqual(len(snapshot_dirs(self.server.state_dir)), 1)
        r1 = self.restore("r1", "s1", BackupRetentionPeriod=0)
        self.assertNotEqual(r1["Endpoint"]["Port"], d["Endpoint"]["Port"])
        self.assertEqual(r1["DBName"], "appdb")
        self.assertEqual(self.rows(r1, db="appdb"), "100|100")
        self.assertEqual(self.rows(d, db="appdb"), "200|200")
        # the restored server is a server of its own
        self.sql(r1, "insert into t values (999, 'z')", db="appdb")
        self.assertEqual(self.rows(d, db="appdb"), "200|200")
        self.rds.delete_db_snapshot(DBSnapshotIdentifier="s1")
        self.assertEqual(snapshot_dirs(self.server.state_dir), [])
        self.assertEqual(self.rows(r1, db="appdb"), "101|999")

    def test_final_snapshot_then_restore(self):
        d = self.create("db1")
        self.sql(d, "create table t (n int); insert into t select generate_series(1, 42)")
        self.rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="db1-final")
        self.rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="db1",
                                                        WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        self.assertEqual(tl.describe_one and self.rds.describe_db_snapshots(
            DBSnapshotIdentifier="db1-final")["DBSnapshots"][0]["Status"], "available")
        r = self.restore("db1", "db1-final")        # the same name again, from its final snapshot
        self.assertEqual(self.rows(r), "42|42")

    def test_stop_with_snapshot(self):
        d = self.create("db1")
        self.sql(d, "create table t (n int); insert into t select generate_series(1, 7)")
        self.rds.stop_db_instance(DBInstanceIdentifier="db1", DBSnapshotIdentifier="at-stop")
        self.assertTrue(tl.port_refuses(d["Endpoint"]["Port"]))
        r = self.restore("r1", "at-stop")
        self.assertEqual(self.rows(r), "7|7")
        # a snapshot of the stopped instance too
        self.rds.create_db_snapshot(DBSnapshotIdentifier="stopped", DBInstanceIdentifier="db1")
        self.assertEqual(self.rows(self.restore("r2", "stopped")), "7|7")

    def test_reset_removes_snapshot_files(self):
        d = self.create("db1", BackupRetentionPeriod=0)  # only the manual snapshot's dir
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        self.assertEqual(len(snapshot_dirs(self.server.state_dir)), 1)
        self.server.admin("POST", "/_rdslocal/reset")
        self.assertEqual(snapshot_dirs(self.server.state_dir), [])
        self.assertTrue(d)


class EncryptionLessonTest(tl.PgTestCase):
    """Issue 8 part 6, with the AWS CLI for the lesson's commands."""

    def cli(self, *args, check=True):
        return self.server.cli(*args, check=check)

    def test_lesson_and_wrong_turns(self):
        kms = self.server.client("kms")
        d = self.create("plain-db", BackupRetentionPeriod=0)  # no automated snapshot dirs
        self.assertFalse(d["StorageEncrypted"])
        self.sql(d, "create table t (n int, s text); insert into t select g, '%s' from generate_series(1, 50) g"
                 % MARKER)
        key = kms.create_key(Description="lesson")["KeyMetadata"]
        kms.create_alias(AliasName="alias/lesson", TargetKeyId=key["KeyId"])

        # 1. snapshot of the unencrypted instance
        _, out, _ = self.cli("rds", "create-db-snapshot", "--db-instance-identifier", "plain-db",
                             "--db-snapshot-identifier", "plain-snap")
        self.assertFalse(out["DBSnapshot"]["Encrypted"])
        self.cli("rds", "wait", "db-snapshot-available", "--db-snapshot-identifier", "plain-snap")
        plain_keys = snapshot_dirs(self.server.state_dir)
        self.assertEqual(len(plain_keys), 1)
        self.assertTrue(files_contain(self.server.state_dir, plain_keys[0], MARKER))

        # 2. copy it with a customer key: the copy is encrypted, really
        _, out, _ = self.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "plain-snap",
                             "--target-db-snapshot-identifier", "enc-snap", "--kms-key-id", "alias/lesson")
        self.assertTrue(out["DBSnapshot"]["Encrypted"])
        self.assertEqual(out["DBSnapshot"]["KmsKeyId"], key["Arn"])
        self.cli("rds", "wait", "db-snapshot-available", "--db-snapshot-identifier", "enc-snap")
        enc_key = [k for k in snapshot_dirs(self.server.state_dir) if k not in plain_keys][0]
        self.assertFalse(files_contain(self.server.state_dir, enc_key, MARKER))

        # 3. restore: a new instance, encrypted with that key, with the same rows
        _, out, _ = self.cli("rds", "restore-db-instance-from-db-snapshot", "--db-instance-identifier",
                             "enc-db", "--db-snapshot-identifier", "enc-snap")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "creating")
        self.cli("rds", "wait", "db-instance-available", "--db-instance-identifier", "enc-db")
        enc = tl.describe_one(self.rds, "enc-db")
        self.assertTrue(enc["StorageEncrypted"])
        self.assertEqual(enc["KmsKeyId"], key["Arn"])
        self.assertEqual(self.sql(enc, "select count(*), min(s) from t"), "50|" + MARKER)
        self.assertFalse(tl.describe_one(self.rds, "plain-db")["StorageEncrypted"])

        # wrong turn 1: encrypt in place. ModifyDBInstance has no StorageEncrypted: boto3
        # refuses it before sending; sent raw, rdslocal ignores the unknown parameters as AWS's
        # Query API does, so nothing was asked ("No modifications were requested"), and the
        # instance stays unencrypted.
        with self.assertRaises(ParamValidationError):
            self.rds.modify_db_instance(DBInstanceIdentifier="plain-db", StorageEncrypted=True)
        st, _, body = raw(self.server, params={"Action": "ModifyDBInstance", "Version": "2014-10-31",
                                               "DBInstanceIdentifier": "plain-db", "StorageEncrypted": "true",
                                               "KmsKeyId": "alias/lesson", "ApplyImmediately": "true"})
        self.assertEqual((st, xml_field(body, "Code"), xml_field(body, "Message")),
                         (400, "InvalidParameterCombination", "No modifications were requested"))
        self.assertFalse(tl.describe_one(self.rds, "plain-db")["StorageEncrypted"])

        # wrong turn 2: restore with a KmsKeyId. Not a parameter of the restore: boto3 refuses;
        # sent raw it is ignored, and the restored instance is as unencrypted as its snapshot.
        with self.assertRaises(ParamValidationError):
            self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="x", DBSnapshotIdentifier="plain-snap",
                                                          KmsKeyId="alias/lesson")
        st, _, body = raw(self.server, params={"Action": "RestoreDBInstanceFromDBSnapshot", "Version": "2014-10-31",
                                               "DBInstanceIdentifier": "still-plain",
                                               "DBSnapshotIdentifier": "plain-snap", "KmsKeyId": "alias/lesson"})
        self.assertEqual(st, 200, body)
        self.assertEqual(xml_field(body, "StorageEncrypted"), "false")
        self.assertFalse(tl.describe_one(self.rds, "still-plain")["StorageEncrypted"])

        # wrong turn 3: copy encrypted -> unencrypted. Without KmsKeyId the copy keeps the key.
        c = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="enc-snap",
                                      TargetDBSnapshotIdentifier="enc-copy")["DBSnapshot"]
        self.assertEqual((c["Encrypted"], c["KmsKeyId"]), (True, key["Arn"]))
        # re-encryption under another key works
        key2 = kms.create_key()["KeyMetadata"]
        c = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="enc-snap", TargetDBSnapshotIdentifier="enc-k2",
                                      KmsKeyId=key2["KeyId"])["DBSnapshot"]
        self.assertEqual(c["KmsKeyId"], key2["Arn"])
        self.rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="enc-k2")
        k2 = self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="k2-db",
                                                           DBSnapshotIdentifier="enc-k2")["DBInstance"]
        k2 = tl.describe_one(self.rds, "k2-db")
        self.assertEqual(k2["KmsKeyId"], key2["Arn"])
        self.assertEqual(self.sql(k2, "select count(*) from t"), "50")

        # wrong turn 4: a disabled key
        kms.disable_key(KeyId=key["KeyId"])
        before = sorted(s["DBSnapshotIdentifier"] for s in self.rds.describe_db_snapshots()["DBSnapshots"])
        for fn, kw in ((self.rds.copy_db_snapshot, dict(SourceDBSnapshotIdentifier="plain-snap",
                                                         TargetDBSnapshotIdentifier="nope", KmsKeyId="alias/lesson")),
                       (self.rds.copy_db_snapshot, dict(SourceDBSnapshotIdentifier="enc-snap",
                                                         TargetDBSnapshotIdentifier="nope")),
                       (self.rds.restore_db_instance_from_db_snapshot, dict(DBInstanceIdentifier="nope",
                                                                             DBSnapshotIdentifier="enc-snap"))):
            with self.assertRaises(ClientError) as cm:
                fn(**kw)
            self.assertEqual(cm.exception.response["Error"]["Code"], "KMSKeyNotAccessibleFault")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertIn("does not exist, is not enabled or you do not have permissions to access it.",
                          cm.exception.response["Error"]["Message"])
        self.assertEqual(sorted(s["DBSnapshotIdentifier"] for s in self.rds.describe_db_snapshots()["DBSnapshots"]),
                         before)
        self.assertNotIn("nope", [x["DBInstanceIdentifier"] for x in
                                  self.rds.describe_db_instances()["DBInstances"]])
        kms.enable_key(KeyId=key["KeyId"])

        # sharing: an encrypted snapshot cannot be made public
        with self.assertRaises(ClientError) as cm:
            self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="enc-snap", AttributeName="restore",
                                                  ValuesToAdd=["all"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")
        self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="enc-snap", AttributeName="restore",
                                              ValuesToAdd=["123456789012"])

    def test_aws_managed_key_snapshot_cannot_be_shared(self):
        d = self.create("enc", StorageEncrypted=True)
        self.assertTrue(d["StorageEncrypted"])
        self.sql(d, "create table t (n int); insert into t values (1), (2)")
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="enc")
        s = self.rds.describe_db_snapshots(DBSnapshotIdentifier="s1")["DBSnapshots"][0]
        self.assertEqual((s["Encrypted"], s["KmsKeyId"]), (True, d["KmsKeyId"]))
        with self.assertRaises(ClientError) as cm:
            self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="s1", AttributeName="restore",
                                                  ValuesToAdd=["123456789012"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")
        r = self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="r1",
                                                          DBSnapshotIdentifier="s1")["DBInstance"]
        r = tl.describe_one(self.rds, "r1")
        self.assertEqual(r["KmsKeyId"], d["KmsKeyId"])
        self.assertEqual(self.sql(r, "select count(*) from t"), "2")

    def test_restart_between_snapshot_and_restore(self):
        kms = self.server.client("kms")
        d = self.create("db1", BackupRetentionPeriod=0)  # the dir count below is of manual snapshots
        self.sql(d, "create table t (n int); insert into t select generate_series(1, 33)")
        key = kms.create_key()["KeyMetadata"]
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="e1",
                                  KmsKeyId=key["Arn"])
        self.server.stop()
        self.server.start(timeout=60)
        self.rds = self.server.client()
        r = tl.describe_one(self.rds, "db1")
        self.assertEqual(self.rds.describe_db_snapshots(DBSnapshotIdentifier="e1")["DBSnapshots"][0]["Status"],
                         "available")
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="r1", DBSnapshotIdentifier="e1",
                                                      BackupRetentionPeriod=0)
        self.assertEqual(self.sql(tl.describe_one(self.rds, "r1"), "select count(*) from t"), "33")
        # an entry of snapshots/ the model does not know is quarantined, never deleted
        os.makedirs(os.path.join(self.server.state_dir, "snapshots", "stray"))
        self.server.kill9()
        self.server.start(timeout=60)
        self.rds = self.server.client()
        self.assertEqual(len(snapshot_dirs(self.server.state_dir)), 2)
        self.assertTrue(any("stray" in q for q in self.server.admin("GET", "/_rdslocal/health")["quarantined"]))
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="r2", DBSnapshotIdentifier="e1")
        self.assertEqual(self.sql(tl.describe_one(self.rds, "r2"), "select count(*) from t"), "33")
        self.assertEqual(self.sql(tl.describe_one(self.rds, "r1"), "select count(*) from t"), "33")
        self.assertTrue(r)


if __name__ == "__main__":
    tl.main()
