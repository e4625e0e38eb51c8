"""End-to-end tests of automated backups (issue 9 parts 1, 2, 4 and 7) on real PostgreSQL
with boto3 and the AWS CLI: the first backup right after create (status backing-up, events
RDS-EVENT-0001/0002 and 0090/0091, an automated snapshot rds:<id>-yyyy-mm-dd-hh-mm),
daily backups and expiry by advancing rdslocal's clock, BackupRetentionPeriod 0 and back,
DescribeDBInstanceAutomatedBackups (filters, pagination, RestoreWindow), retained backups
after DeleteDBInstance DeleteAutomatedBackups=false and restores from them, the AWS
errors, and restarts of rdslocal (SIGTERM, kill -9) losing nothing."""
import datetime
import re
import signal
import time

from botocore.exceptions import ClientError

import rdslocal_testlib as tl

DAY = 86400
NAME = re.compile(r"^rds:%s-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$")


class AutoBackupTest(tl.PgTestCase):
    def advance(self, seconds):
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": seconds})

    def automated(self, ident):
        snaps = self.rds.describe_db_snapshots(DBInstanceIdentifier=ident, SnapshotType="automated")["DBSnapshots"]
        return sorted(snaps, key=lambda s: s["SnapshotCreateTime"])

    def backups(self, **kw):
        return self.rds.describe_db_instance_automated_backups(**kw)["DBInstanceAutomatedBackups"]

    def arns(self, **kw):
        return [b["DBInstanceAutomatedBackupsArn"] for b in self.backups(**kw)]

    def wait_first_backup(self, ident):
        tl.wait_for(lambda: self.automated(ident), 60, 0.1, "the first automated backup of %s" % ident)
        return tl.wait_status(self.rds, ident, "available")

    def events(self, source_type, ident):
        return [(e["Message"], e.get("SourceArn", "")) for e in self.rds.describe_events(
            SourceType=source_type, SourceIdentifier=ident, Duration=10080)["Events"]]

    def assert_error(self, code, status, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], code)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return cm.exception.response["Error"]["Message"]

    def test_first_backup_after_create(self):
        r = self.rds.create_db_instance(**tl.create_args("ab1", BackupRetentionPeriod=3))
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "creating")
        # the first backup runs after the response (without --realistic-timing the instance is
        # available at once, as every transitional status; see RealisticTimingTest)
        self.assertEqual(tl.describe_one(self.rds, "ab1")["DBInstanceStatus"], "available")
        d = self.wait_first_backup("ab1")
        [snap] = self.automated("ab1")
        self.assertRegex(snap["DBSnapshotIdentifier"], NAME.pattern % "ab1")
        self.assertEqual(snap["SnapshotType"], "automated")
        self.assertEqual(snap["Status"], "available")
        self.assertEqual(snap["DbiResourceId"], d["DbiResourceId"])
        # listed without a type, not with the manual one
        ids = [s["DBSnapshotIdentifier"] for s in self.rds.describe_db_snapshots(DBInstanceIdentifier="ab1")["DBSnapshots"]]
        self.assertEqual(ids, [snap["DBSnapshotIdentifier"]])
        self.assertEqual(self.rds.describe_db_snapshots(DBInstanceIdentifier="ab1", SnapshotType="manual")["DBSnapshots"], [])
        inst_msgs = [m for m, _ in self.events("db-instance", "ab1")]
        self.assertIn("Backing up DB instance", inst_msgs)
        self.assertIn("Finished DB Instance backup", inst_msgs)
        self.assertLess(inst_msgs.index("Backing up DB instance"), inst_msgs.index("Finished DB Instance backup"))
        snap_msgs = [m for m, _ in self.events("db-snapshot", snap["DBSnapshotIdentifier"])]
        self.assertEqual(snap_msgs, ["Creating automated snapshot", "Automated snapshot created"])
        ev = self.rds.describe_events(SourceType="db-instance", SourceIdentifier="ab1", Duration=60,
                                      EventCategories=["backup"])["Events"]
        self.assertEqual([e["Message"] for e in ev], ["Backing up DB instance", "Finished DB Instance backup"])
        # the automated backup resource
        [b] = self.backups(DBInstanceIdentifier="ab1")
        self.assertEqual(b["Status"], "active")
        self.assertEqual(b["DbiResourceId"], d["DbiResourceId"])
        self.assertEqual(b["DBInstanceArn"], d["DBInstanceArn"])
        self.assertEqual(b["BackupRetentionPeriod"], 3)
        self.assertEqual(b["PreferredBackupWindow"], d["PreferredBackupWindow"])
        self.assertFalse(b["Encrypted"])
        self.assertRegex(b["DBInstanceAutomatedBackupsArn"], r"^arn:aws:rds:us-east-1:\d{12}:auto-backup:ab-[A-Z0-9]{26}$")
        self.assertEqual(b["RestoreWindow"]["EarliestTime"] >= snap["SnapshotCreateTime"], True)
        # LatestTime moves with the clock (the instance is idle): compare the backups by id
        one = [b["DBInstanceAutomatedBackupsArn"]]
        self.assertEqual(self.arns(DbiResourceId=d["DbiResourceId"]), one)
        self.assertEqual(self.arns(DBInstanceAutomatedBackupsArn=b["DBInstanceAutomatedBackupsArn"]), one)
        self.assertEqual(self.arns(Filters=[{"Name": "status", "Values": ["active"]}]), one)
        self.assertEqual(self.arns(Filters=[{"Name": "status", "Values": ["retained"]}]), [])
        # LatestTime shows once the WAL after the first base is archived (pitr), never before EarliestTime
        w = tl.wait_for(lambda: self.backups(DBInstanceIdentifier="ab1")[0]["RestoreWindow"].get("LatestTime") and
                        self.backups(DBInstanceIdentifier="ab1")[0]["RestoreWindow"], 30, 0.1, "LatestTime")
        self.assertLessEqual(w["EarliestTime"], w["LatestTime"])
        # AWS's errors
        self.assert_error("InvalidDBSnapshotState", 400, self.rds.delete_db_snapshot,
                          DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
        self.assert_error("InvalidDBInstanceAutomatedBackupState", 400,
                          self.rds.delete_db_instance_automated_backup, DbiResourceId=d["DbiResourceId"])
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.backups, DBInstanceIdentifier="nope")
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.rds.delete_db_instance_automated_backup,
                          DbiResourceId="db-NOSUCHRESOURCE")
        # an automated snapshot copies into a manual one (no quota of automated ones)
        c = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier=snap["DBSnapshotIdentifier"],
                                      TargetDBSnapshotIdentifier="ab1-copy")["DBSnapshot"]
        self.assertEqual(c["SnapshotType"], "manual")
        # the AWS CLI sees the same
        _, out, _ = self.server.cli("rds", "describe-db-instance-automated-backups", "--db-instance-identifier", "ab1")
        self.assertEqual(out["DBInstanceAutomatedBackups"][0]["Status"], "active")

    def test_clock_makes_daily_backups_and_expires_them(self):
        self.rds.create_db_instance(**tl.create_args("ab2", BackupRetentionPeriod=1,
                                                     PreferredBackupWindow="03:00-03:30"))
        d = self.wait_first_backup("ab2")
        first = self.automated("ab2")[0]["DBSnapshotIdentifier"]
        self.advance(DAY)
        snaps = self.automated("ab2")
        self.assertEqual(len(snaps), 2)
        # the daily one is dated at the start of the window (03:00-03:30) the clock jumped over
        self.assertRegex(snaps[1]["DBSnapshotIdentifier"], NAME.pattern % "ab2")
        self.assertTrue(snaps[1]["DBSnapshotIdentifier"].endswith("-03-00"), snaps[1]["DBSnapshotIdentifier"])
        self.assertEqual((snaps[1]["SnapshotCreateTime"].hour, snaps[1]["SnapshotCreateTime"].minute), (3, 0))
        self.assertNotEqual(snaps[1]["DBSnapshotIdentifier"], first)
        # the first is still the base of the oldest restorable instant (retention 1 day)
        self.assertEqual(snaps[0]["DBSnapshotIdentifier"], first)
        self.advance(DAY)
        names = [s["DBSnapshotIdentifier"] for s in self.automated("ab2")]
        self.assertEqual(len(names), 2, names)
        self.assertNotIn(first, names)  # expired after the retention period
        self.assertEqual(tl.describe_one(self.rds, "ab2")["DBInstanceStatus"], "available")
        n_backup_events = [m for m, _ in self.events("db-instance", "ab2")].count("Finished DB Instance backup")
        self.assertEqual(n_backup_events, 3)
        # RestoreWindow.EarliestTime follows the retention period
        [b] = self.backups(DBInstanceIdentifier="ab2")
        self.assertEqual(b["Status"], "active")
        self.assertIn("EarliestTime", b["RestoreWindow"])

    def test_retention_zero_and_back(self):
        self.rds.create_db_instance(**tl.create_args("ab3"))
        d = self.wait_first_backup("ab3")
        self.rds.modify_db_instance(DBInstanceIdentifier="ab3", BackupRetentionPeriod=0, ApplyImmediately=True)
        self.assertEqual(self.automated("ab3"), [])
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.backups, DBInstanceIdentifier="ab3")
        self.assertIn("Disabled automated backups", [m for m, _ in self.events("db-instance", "ab3")])
        self.advance(2 * DAY)  # no backups while retention is 0
        self.assertEqual(self.automated("ab3"), [])
        self.assertEqual(tl.describe_one(self.rds, "ab3")["DBInstanceStatus"], "available")
        self.rds.modify_db_instance(DBInstanceIdentifier="ab3", BackupRetentionPeriod=2, ApplyImmediately=True)
        self.assertIn("Enabled automated backups", [m for m, _ in self.events("db-instance", "ab3")])
        self.wait_first_backup("ab3")  # immediate backup
        self.assertEqual(len(self.automated("ab3")), 1)
        self.assertEqual(self.backups(DBInstanceIdentifier="ab3")[0]["BackupRetentionPeriod"], 2)

    def test_retained_after_delete_restore_and_delete_backup(self):
        self.rds.create_db_instance(**tl.create_args("ab4", BackupRetentionPeriod=2))
        d = self.wait_first_backup("ab4")
        self.sql(d, "create table kept (v text); insert into kept values ('in the daily backup')")
        self.advance(DAY)  # the daily backup holds the row
        snaps = self.automated("ab4")
        self.assertEqual(len(snaps), 2)
        self.sql(d, "insert into kept values ('only in the WAL')")
        inserted = datetime.datetime.fromisoformat(
            self.server.admin("GET", "/_rdslocal/clock")["now"].replace("Z", "+00:00"))
        time.sleep(0.6)  # past pitr's next WAL poll
        tl.wait_for(lambda: tl.describe_one(self.rds, "ab4")["LatestRestorableTime"] >= inserted, 30, 0.2,
                    "the insert archived")
        self.rds.delete_db_instance(DBInstanceIdentifier="ab4", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)
        [b] = self.backups(DBInstanceIdentifier="ab4")
        self.assertEqual(b["Status"], "retained")
        self.assertEqual(b["DbiResourceId"], d["DbiResourceId"])
        self.assertEqual(b["BackupRetentionPeriod"], 2)
        self.assertEqual(self.arns(Filters=[{"Name": "status", "Values": ["retained"]}]),
                         [b["DBInstanceAutomatedBackupsArn"]])
        # retained: the window is frozen at the deletion
        self.advance(3600)
        self.assertEqual(self.backups(DBInstanceIdentifier="ab4")[0]["RestoreWindow"], b["RestoreWindow"])
        self.assertEqual([s["DBSnapshotIdentifier"] for s in self.automated("ab4")],
                         [s["DBSnapshotIdentifier"] for s in snaps])
        # restarts lose nothing: SIGTERM, then kill -9
        self.server.stop(signal.SIGTERM)
        self.server.start()
        self.assertEqual(self.backups(DBInstanceIdentifier="ab4")[0]["Status"], "retained")
        self.server.stop(signal.SIGKILL)
        self.server.start()
        self.assertEqual(self.backups(DBInstanceIdentifier="ab4")[0]["Status"], "retained")
        # restore from the retained automated snapshot after the instance is gone
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="ab4-back",
                                                      DBSnapshotIdentifier=snaps[1]["DBSnapshotIdentifier"])
        r = tl.wait_status(self.rds, "ab4-back", "available", 60)
        self.assertEqual(self.sql(r, "select v from kept"), "in the daily backup")
        self.wait_first_backup("ab4-back")
        self.assertEqual(self.backups(DBInstanceIdentifier="ab4-back")[0]["Status"], "active")
        # point-in-time restore from the retained backup (pitr): base + WAL, the last row too
        self.rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceAutomatedBackupsArn=b["DBInstanceAutomatedBackupsArn"],
            TargetDBInstanceIdentifier="ab4-pitr", UseLatestRestorableTime=True)
        p = tl.wait_status(self.rds, "ab4-pitr", "available", 120)
        self.assertEqual(self.sql(p, "select string_agg(v, ',' order by v) from kept"),
                         "in the daily backup,only in the WAL")
        # the active one must be refused, the retained one goes
        self.assert_error("InvalidDBInstanceAutomatedBackupState", 400,
                          self.rds.delete_db_instance_automated_backup, DbiResourceId=r["DbiResourceId"])
        out = self.rds.delete_db_instance_automated_backup(DbiResourceId=d["DbiResourceId"])
        self.assertEqual(out["DBInstanceAutomatedBackup"]["DbiResourceId"], d["DbiResourceId"])
        self.assertEqual(self.automated("ab4"), [])
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.backups, DbiResourceId=d["DbiResourceId"])

    def test_retained_until_the_retention_ends_and_default_delete(self):
        for ident in ("ab5", "ab6"):
            self.rds.create_db_instance(**tl.create_args(ident, BackupRetentionPeriod=1))
        for ident in ("ab5", "ab6"):
            self.wait_first_backup(ident)
        self.rds.delete_db_instance(DBInstanceIdentifier="ab5", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)
        self.rds.delete_db_instance(DBInstanceIdentifier="ab6", SkipFinalSnapshot=True)  # default: they go
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.backups, DBInstanceIdentifier="ab6")
        self.assertEqual(self.automated("ab6"), [])
        self.assertEqual(self.backups(DBInstanceIdentifier="ab5")[0]["Status"], "retained")
        self.advance(DAY // 2)
        self.assertEqual(len(self.automated("ab5")), 1)
        self.advance(DAY // 2 + 60)  # the retention period (1 day) has passed by rdslocal's clock
        self.assertEqual(self.automated("ab5"), [])
        self.assert_error("DBInstanceAutomatedBackupNotFound", 404, self.backups, DBInstanceIdentifier="ab5")
        # and the files are gone
        tl.wait_for(lambda: not [e for e in __import__("os").listdir(self.server.state_dir + "/snapshots")
                                 if not e.startswith(".")], 10, 0.1, "snapshot files removed")

    def test_pagination_and_filters(self):
        for i in range(3):
            self.rds.create_db_instance(**tl.create_args("pg%d" % i))
        for i in range(3):
            self.wait_first_backup("pg%d" % i)
        self.assert_error("InvalidParameterValue", 400, self.backups, MaxRecords=5)
        # MaxRecords is at least 20 on AWS (Marker paging is tested in process, where 25
        # instances cost nothing); the CLI's own paging over them:
        _, out, _ = self.server.cli("rds", "describe-db-instance-automated-backups", "--max-items", "2")
        self.assertEqual(len(out["DBInstanceAutomatedBackups"]), 2)
        self.assertIn("NextToken", out)
        _, rest, _ = self.server.cli("rds", "describe-db-instance-automated-backups", "--starting-token",
                                     out["NextToken"])
        self.assertEqual(sorted(b["DBInstanceIdentifier"] for b in out["DBInstanceAutomatedBackups"] +
                                rest["DBInstanceAutomatedBackups"]), ["pg0", "pg1", "pg2"])
        all_ids = [b["DbiResourceId"] for b in self.backups()]
        self.assertEqual(all_ids, sorted(all_ids))
        page = self.rds.describe_db_instance_automated_backups(MaxRecords=20)
        self.assertNotIn("Marker", page)
        picked = self.backups(Filters=[{"Name": "db-instance-id", "Values": ["pg1", "pg2"]}])
        self.assertEqual(sorted(b["DBInstanceIdentifier"] for b in picked), ["pg1", "pg2"])
        picked = self.backups(Filters=[{"Name": "dbi-resource-id", "Values": [all_ids[0]]}])
        self.assertEqual([b["DbiResourceId"] for b in picked], [all_ids[0]])


class RealisticTimingTest(tl.PgTestCase):
    """With --realistic-timing the statuses AWS shows: creating, then backing-up while the
    first automated backup really runs, then available."""
    server_args = ("--realistic-timing", "1")

    def test_creating_backing_up_available(self):
        self.rds.create_db_instance(**tl.create_args("rt1"))
        seen = []

        def settled():
            st = tl.describe_one(self.rds, "rt1")["DBInstanceStatus"]
            if not seen or seen[-1] != st:
                seen.append(st)
            return st == "available"
        tl.wait_for(settled, 60, 0.02, "rt1 available")
        self.assertEqual(seen, ["creating", "backing-up", "available"])
        snaps = self.rds.describe_db_snapshots(DBInstanceIdentifier="rt1", SnapshotType="automated")["DBSnapshots"]
        self.assertEqual(len(snaps), 1)
        # retention 0 -> 1 shows backing-up again until the immediate backup is done
        self.rds.modify_db_instance(DBInstanceIdentifier="rt1", BackupRetentionPeriod=0, ApplyImmediately=True)
        tl.wait_status(self.rds, "rt1", "available")
        self.rds.modify_db_instance(DBInstanceIdentifier="rt1", BackupRetentionPeriod=1, ApplyImmediately=True)
        seen.clear()
        tl.wait_for(settled, 60, 0.02, "rt1 available again")
        self.assertIn("backing-up", seen)


if __name__ == "__main__":
    tl.main()
