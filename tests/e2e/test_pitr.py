"""End-to-end tests of point-in-time restore (issue 9 parts 2, 3, 5, 6) on real PostgreSQL
with boto3, the AWS CLI and psql: rows committed at distinct instants and restores to
instants between them, checked row by row; UseLatestRestorableTime; LatestRestorableTime
close to the clock; a restore to a time after a clock advance and to an instant the clock
skipped; the errors (both/neither time, outside the window, retention 0, unknown source)
with their codes and statuses; restarts of rdslocal (SIGTERM and kill -9) between the
writes and the restores; an encrypted instance's archive (no plaintext on disk, an
encrypted restore) and a disabled key (KMSKeyNotAccessibleFault)."""
import datetime
import os
import time
import unittest

from botocore.exceptions import ClientError

import rdslocal_testlib as tl

MARKER = "pitr-marker-5b1e0d"
UTC = datetime.timezone.utc


def wal_files(state_dir, rid):
    d = os.path.join(state_dir, "backups", rid, "wal")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


class PitrTest(tl.PgTestCase):
    def model_now(self):
        """rdslocal's clock now (real time plus the advanced offset), as a UTC datetime."""
        off = self.server.admin("GET", "/_rdslocal/clock")["offset_ms"]
        return datetime.datetime.fromtimestamp((time.time() * 1000 + off) / 1000.0, UTC)

    def make_source(self, ident, **kw):
        d = self.create(ident, DBName="appdb", BackupRetentionPeriod=1, **kw)
        # the first automated backup (autobackup) is the base of every restore
        def first_backup():
            try:
                b = self.rds.describe_db_instance_automated_backups(DBInstanceIdentifier=ident)
            except ClientError:
                return None
            return b["DBInstanceAutomatedBackups"][0].get("RestoreWindow", {}).get("EarliestTime")
        tl.wait_for(first_backup, 60, interval=0.2, what="first automated backup")
        tl.wait_status(self.rds, ident, "available", 60)
        self.sql(d, "create table t (id int primary key, note text)", db="appdb")
        return tl.describe_one(self.rds, ident)

    def insert_rows(self, d, ids, gap=0.4):
        """Inserts each id at its own instant; returns [time before row 1, after row 1, ...]."""
        times = [self.model_now()]
        for i in ids:
            time.sleep(gap)
            self.sql(d, "insert into t values (%d, '%s-%d')" % (i, MARKER, i), db="appdb")
            time.sleep(gap)
            times.append(self.model_now())
        return times

    def wait_restorable(self, ident, t, timeout=20):
        def ok():
            d = tl.describe_one(self.rds, ident)
            lrt = d.get("LatestRestorableTime")
            return d if lrt and lrt >= t else None
        return tl.wait_for(ok, timeout, interval=0.2, what="LatestRestorableTime >= %s" % t)

    def restore(self, source, target, **kw):
        r = self.rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier=source,
                                                         TargetDBInstanceIdentifier=target, **kw)["DBInstance"]
        tl.wait_status(self.rds, target, "available", 120)
        return r, tl.describe_one(self.rds, target)

    def ids(self, d):
        return self.sql(d, "select coalesce(string_agg(id::text, ',' order by id), '') from t", db="appdb")

    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]

    def test_restores_between_rows_are_exact(self):
        src = self.make_source("src")
        t = self.insert_rows(src, [1, 2, 3, 4])
        d = self.wait_restorable("src", t[-1])
        # LatestRestorableTime of an idle instance is the clock's now (within a poll)
        self.assertLess(abs((d["LatestRestorableTime"] - self.model_now()).total_seconds()), 2.0)
        for k, want in ((0, ""), (2, "1,2"), (3, "1,2,3")):
            r, got = self.restore("src", "r%d" % k, RestoreTime=t[k])
            self.assertEqual(r["DBInstanceStatus"], "creating")
            self.assertEqual(self.ids(got), want, "restore to %s (after row %d)" % (t[k], k))
            self.assertNotEqual(got["DbiResourceId"], src["DbiResourceId"])
            self.rds.delete_db_instance(DBInstanceIdentifier="r%d" % k, SkipFinalSnapshot=True)
        # by DbiResourceId, with the AWS CLI, to the instant after row 1, with overrides
        rc, out, err = self.server.cli(
            "rds", "restore-db-instance-to-point-in-time", "--source-dbi-resource-id", src["DbiResourceId"],
            "--target-db-instance-identifier", "cli1", "--restore-time", t[1].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "--db-instance-class", "db.t3.small", "--deletion-protection", "--copy-tags-to-snapshot",
            "--tags", "Key=team,Value=blue")
        self.assertEqual(out["DBInstance"]["DBInstanceIdentifier"], "cli1")
        cli1 = tl.wait_status(self.rds, "cli1", "available", 120)
        self.assertEqual(self.ids(cli1), "1")
        self.assertEqual(cli1["DBInstanceClass"], "db.t3.small")
        self.assertTrue(cli1["DeletionProtection"])
        self.assertTrue(cli1["CopyTagsToSnapshot"])
        self.assertEqual(cli1["TagList"], [{"Key": "team", "Value": "blue"}])
        self.rds.modify_db_instance(DBInstanceIdentifier="cli1", DeletionProtection=False, ApplyImmediately=True)
        # UseLatestRestorableTime: everything
        _, latest = self.restore("src", "rl", UseLatestRestorableTime=True)
        self.assertEqual(self.ids(latest), "1,2,3,4")
        ev = self.rds.describe_events(SourceIdentifier="rl", SourceType="db-instance")["Events"]
        self.assertTrue(any(e["Message"].startswith("Restored from DB instance src") for e in ev), ev)

    def test_errors(self):
        src = self.make_source("src")
        t = self.insert_rows(src, [1], gap=0.2)
        self.wait_restorable("src", t[-1])
        f = self.rds.restore_db_instance_to_point_in_time
        code, _, status = self.error(f, SourceDBInstanceIdentifier="src", TargetDBInstanceIdentifier="x",
                                     RestoreTime=t[1], UseLatestRestorableTime=True)
        self.assertEqual((code, status), ("InvalidParameterCombination", 400))
        code, _, status = self.error(f, SourceDBInstanceIdentifier="src", TargetDBInstanceIdentifier="x")
        self.assertEqual((code, status), ("InvalidParameterCombination", 400))
        future = self.model_now() + datetime.timedelta(hours=1)
        code, msg, status = self.error(f, SourceDBInstanceIdentifier="src", TargetDBInstanceIdentifier="x",
                                       RestoreTime=future)
        self.assertEqual((code, status), ("InvalidRestoreFault", 400))
        self.assertIn("src", msg)
        code, _, status = self.error(f, SourceDBInstanceIdentifier="src", TargetDBInstanceIdentifier="x",
                                     RestoreTime=t[0] - datetime.timedelta(days=1))
        self.assertEqual((code, status), ("InvalidRestoreFault", 400))
        code, _, status = self.error(f, SourceDBInstanceIdentifier="nope", TargetDBInstanceIdentifier="x",
                                     UseLatestRestorableTime=True)
        self.assertEqual((code, status), ("DBInstanceNotFound", 404))
        code, _, status = self.error(f, SourceDBInstanceIdentifier="src", TargetDBInstanceIdentifier="src",
                                     UseLatestRestorableTime=True)
        self.assertEqual((code, status), ("DBInstanceAlreadyExists", 400))
        self.create("zero", BackupRetentionPeriod=0)
        code, _, status = self.error(f, SourceDBInstanceIdentifier="zero", TargetDBInstanceIdentifier="x",
                                     UseLatestRestorableTime=True)
        self.assertEqual((code, status), ("PointInTimeRestoreNotEnabled", 400))
        # the AWS CLI shows the same code
        rc, _, err = self.server.cli("rds", "restore-db-instance-to-point-in-time", "--source-db-instance-identifier",
                                     "zero", "--target-db-instance-identifier", "x", "--use-latest-restorable-time",
                                     check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("PointInTimeRestoreNotEnabled", err)
        # nothing was made by the refusals
        ids = [d["DBInstanceIdentifier"] for d in self.rds.describe_db_instances()["DBInstances"]]
        self.assertEqual(sorted(ids), ["src", "zero"])

    def test_restore_after_a_clock_advance(self):
        src = self.make_source("src")
        t = self.insert_rows(src, [1], gap=0.3)
        self.wait_restorable("src", t[-1])
        jump_from = self.model_now()
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 3600})
        after_jump = self.model_now()
        self.assertGreater((after_jump - jump_from).total_seconds(), 3599)
        t2 = self.insert_rows(src, [2], gap=0.3)
        self.wait_restorable("src", t2[-1])
        # an instant the clock skipped: the real moment of the jump (row 1 only)
        _, a = self.restore("src", "skipped", RestoreTime=jump_from + datetime.timedelta(minutes=30))
        self.assertEqual(self.ids(a), "1")
        # after the jump, before row 2; then after row 2
        _, b = self.restore("src", "between", RestoreTime=t2[0])
        self.assertEqual(self.ids(b), "1")
        _, c = self.restore("src", "after", RestoreTime=t2[1])
        self.assertEqual(self.ids(c), "1,2")

    def test_restarts_lose_nothing(self):
        src = self.make_source("src")
        t = self.insert_rows(src, [1], gap=0.3)
        self.wait_restorable("src", t[-1])
        self.server.stop()                          # SIGTERM
        self.server.start()
        src = tl.wait_status(self.rds, "src", "available", 60)
        t2 = self.insert_rows(src, [2], gap=0.3)
        self.wait_restorable("src", t2[-1])
        self.server.kill9()                         # kill -9
        self.server.start()
        src = tl.wait_status(self.rds, "src", "available", 60)
        t3 = self.insert_rows(src, [3], gap=0.3)
        self.wait_restorable("src", t3[-1])
        for name, when, want in (("k1", t[1], "1"), ("k2", t2[1], "1,2"), ("k3", t3[1], "1,2,3")):
            _, got = self.restore("src", name, RestoreTime=when)
            self.assertEqual(self.ids(got), want, name)

    def test_retained_backup_after_delete(self):
        src = self.make_source("src")
        t = self.insert_rows(src, [1, 2], gap=0.3)
        self.wait_restorable("src", t[-1])
        self.rds.delete_db_instance(DBInstanceIdentifier="src", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)
        tl.wait_for(lambda: not [d for d in self.rds.describe_db_instances()["DBInstances"]
                                 if d["DBInstanceIdentifier"] == "src"], 30, what="src gone")
        b = self.rds.describe_db_instance_automated_backups(DBInstanceIdentifier="src")["DBInstanceAutomatedBackups"][0]
        self.assertEqual(b["Status"], "retained")
        r = self.rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceAutomatedBackupsArn=b["DBInstanceAutomatedBackupsArn"],
            TargetDBInstanceIdentifier="from-retained", RestoreTime=t[1])["DBInstance"]
        got = tl.wait_status(self.rds, "from-retained", "available", 120)
        self.assertEqual(self.ids(got), "1")
        # by the deleted instance's name too, to its latest restorable time
        _, latest = self.restore("src", "from-retained-2", UseLatestRestorableTime=True)
        self.assertEqual(self.ids(latest), "1,2")

    def test_encrypted_instance(self):
        kms = self.server.client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        src = self.make_source("esrc", StorageEncrypted=True, KmsKeyId=key)
        t = self.insert_rows(src, [1, 2], gap=0.3)
        self.wait_restorable("esrc", t[-1])
        files = wal_files(self.server.state_dir, src["DbiResourceId"])
        self.assertIn("datakey.kms", files)
        self.assertTrue(any(f.endswith(".enc") for f in files), files)
        d = os.path.join(self.server.state_dir, "backups", src["DbiResourceId"], "wal")
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                self.assertNotIn(MARKER.encode(), fh.read(), f)
        _, r = self.restore("esrc", "er", RestoreTime=t[1])
        self.assertEqual(self.ids(r), "1")
        self.assertTrue(r["StorageEncrypted"])
        self.assertEqual(r["KmsKeyId"], src["KmsKeyId"])
        kms.disable_key(KeyId=key)
        code, _, status = self.error(self.rds.restore_db_instance_to_point_in_time,
                                     SourceDBInstanceIdentifier="esrc", TargetDBInstanceIdentifier="er2",
                                     RestoreTime=t[2])
        self.assertEqual((code, status), ("KMSKeyNotAccessibleFault", 400))
        kms.enable_key(KeyId=key)


if __name__ == "__main__":
    tl.main()
