"""End-to-end tests of the DB snapshot API in API-only mode (--no-engine: snapshots are
records only): every operation and error, pagination, filters, the boto3 waiters,
tags/CopyTagsToSnapshot, the restore attribute, the quota, and restarts of rdslocal
(SIGTERM and kill -9) between steps. Real data is tested in test_pg_snapshots.py."""
import shutil
import subprocess
import tempfile
import unittest

from api_helpers import ApiTestCase, main, raw, xml_field
import rdslocal_testlib as tl

ARN = "arn:aws:rds:us-east-1:000000000000:snapshot:"


def tags(d):
    return sorted((t["Key"], t["Value"]) for t in d.get("TagList", []))


class SnapshotApiTest(ApiTestCase):
    def snap(self, sid, inst="db1", **kw):
        return self.rds.create_db_snapshot(DBSnapshotIdentifier=sid, DBInstanceIdentifier=inst, **kw)["DBSnapshot"]

    def dsnap(self, sid):
        return self.rds.describe_db_snapshots(DBSnapshotIdentifier=sid)["DBSnapshots"][0]

    def snap_ids(self, **kw):
        # the manual ones: without a SnapshotType AWS also lists the automated ones, which the
        # worker makes for every instance with backups (issue 9)
        kw.setdefault("SnapshotType", "manual")
        return [s["DBSnapshotIdentifier"] for s in self.rds.describe_db_snapshots(**kw)["DBSnapshots"]]

    # ---- create / describe ----
    def test_create_then_available_with_instance_fields(self):
        inst = self.create("db1", Port=6543, AllocatedStorage=30)
        r = self.snap("S1")
        self.assertEqual((r["DBSnapshotIdentifier"], r["Status"], r["PercentProgress"]), ("s1", "creating", 0))
        self.assertNotIn("SnapshotCreateTime", r)
        self.rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="s1",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 3})
        d = self.dsnap("s1")
        self.assertEqual(d["Status"], "available")
        self.assertEqual(d["PercentProgress"], 100)
        self.assertEqual(d["SnapshotType"], "manual")
        self.assertEqual(d["DBInstanceIdentifier"], "db1")
        self.assertEqual(d["Port"], 6543)
        self.assertEqual(d["AllocatedStorage"], 30)
        inst = self.describe("db1")
        for k in ("Engine", "EngineVersion", "MasterUsername", "AvailabilityZone", "DbiResourceId",
                  "LicenseModel", "StorageType", "Iops", "StorageThroughput", "InstanceCreateTime"):
            self.assertEqual(d[k], inst[k], k)
        self.assertEqual(d["VpcId"], inst["DBSubnetGroup"]["VpcId"])
        self.assertEqual(d["OptionGroupName"], inst["OptionGroupMemberships"][0]["OptionGroupName"])
        self.assertFalse(d["Encrypted"])
        self.assertNotIn("KmsKeyId", d)
        self.assertEqual(d["DBSnapshotArn"], ARN + "s1")
        self.assertIn("SnapshotCreateTime", d)
        self.assertEqual(d["SnapshotTarget"], "region")
        self.assertEqual(inst["DBInstanceStatus"], "available")   # the instance stays available
        ev = self.rds.describe_events(SourceType="db-snapshot", SourceIdentifier="s1")["Events"]
        self.assertEqual([e["Message"] for e in ev], ["Creating manual snapshot", "Manual snapshot created"])

    def test_create_errors_change_nothing(self):
        self.create("db1")
        self.snap("s1")
        self.assertError(self.snap, "DBSnapshotAlreadyExists", 400,
                         "Cannot create the snapshot because a snapshot with the identifier s1 already exists.",
                         sid="S1")
        self.assertError(self.snap, "DBInstanceNotFound", 404, "DBInstance nope not found.", sid="s2", inst="nope")
        self.assertError(self.snap, "InvalidParameterValue", 400, sid="2bad")
        self.assertError(self.snap, "InvalidParameterValue", 400, sid="a--b")
        self.assertError(self.snap, "InvalidParameterValue", 400, sid="a" * 256)
        self.snap("a" * 255)
        self.assertError(self.snap, "InvalidParameterValue", 400, sid="s3",
                         Tags=[{"Key": "aws:x", "Value": "1"}])
        self.assertEqual(sorted(self.snap_ids()), ["a" * 255, "s1"])

    def test_snapshot_of_stopped_instance(self):
        self.create("db1")
        self.rds.stop_db_instance(DBInstanceIdentifier="db1")
        self.snap("s1")
        self.assertEqual(self.dsnap("s1")["Status"], "available")

    def test_describe_not_found_and_by_instance(self):
        self.create("db1")
        self.create("db2")
        self.snap("a1")
        self.snap("a2")
        self.snap("b1", inst="db2")
        self.assertError(self.rds.describe_db_snapshots, "DBSnapshotNotFound", 404, "DBSnapshot zz not found.",
                         DBSnapshotIdentifier="zz")
        self.assertEqual(self.snap_ids(DBInstanceIdentifier="db1"), ["a1", "a2"])
        self.assertEqual(self.snap_ids(DBInstanceIdentifier="nope"), [])
        # the instance as its ARN or in another case, as every instance parameter takes it
        self.assertEqual(self.snap_ids(DBInstanceIdentifier="arn:aws:rds:us-east-1:000000000000:db:db1"),
                         ["a1", "a2"])
        self.assertEqual(self.snap_ids(DBInstanceIdentifier="DB2"), ["b1"])
        self.snap("b2", inst="arn:aws:rds:us-east-1:000000000000:db:DB2")
        self.assertEqual(self.snap_ids(Filters=[{"Name": "db-instance-id", "Values": ["DB2"]}]), ["b1", "b2"])
        self.rds.delete_db_snapshot(DBSnapshotIdentifier="b2")
        self.assertEqual(self.snap_ids(DBSnapshotIdentifier=ARN + "b1"), ["b1"])
        self.assertEqual(self.snap_ids(), ["a1", "a2", "b1"])
        rid = self.describe("db2")["DbiResourceId"]
        self.assertEqual(self.snap_ids(DbiResourceId=rid), ["b1"])

    def test_snapshot_types(self):
        self.create("db1")
        self.snap("m1")
        self.snap("m2")
        self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="m2", AttributeName="restore",
                                              ValuesToAdd=["all"])
        self.assertEqual(self.snap_ids(SnapshotType="manual"), ["m1", "m2"])
        # automated ones are the worker's (rds:<id>-yyyy-mm-dd-hh-mm), never these manual ones
        self.assertTrue(all(i.startswith("rds:") for i in self.snap_ids(SnapshotType="automated")))
        self.assertEqual(self.snap_ids(SnapshotType="shared"), [])
        self.assertEqual(self.snap_ids(SnapshotType="public"), ["m2"])
        self.assertEqual(self.snap_ids(IncludeShared=True, IncludePublic=True), ["m1", "m2"])
        self.assertError(self.rds.describe_db_snapshots, "InvalidParameterValue", 400, SnapshotType="weekly")

    def test_filters(self):
        self.create("db1")
        self.create("db2")
        self.snap("a1")
        self.snap("b1", inst="db2")
        F = lambda name, *v: [{"Name": name, "Values": list(v)}]
        self.assertEqual(self.snap_ids(Filters=F("db-instance-id", "db2")), ["b1"])
        self.assertEqual(self.snap_ids(Filters=F("db-instance-id", "arn:aws:rds:us-east-1:000000000000:db:db1")),
                         ["a1"])
        self.assertEqual(self.snap_ids(Filters=F("db-snapshot-id", "a1", "b1")), ["a1", "b1"])
        self.assertEqual(self.snap_ids(Filters=F("dbi-resource-id", self.describe("db1")["DbiResourceId"])), ["a1"])
        self.assertEqual(self.snap_ids(Filters=F("snapshot-type", "manual")), ["a1", "b1"])
        self.assertEqual(self.snap_ids(Filters=F("snapshot-type", "automated")), [])
        self.assertEqual(self.snap_ids(Filters=F("engine", "postgres")), ["a1", "b1"])
        self.assertEqual(self.snap_ids(Filters=F("engine", "mysql")), [])
        self.assertError(self.rds.describe_db_snapshots, "InvalidParameterValue", 400,
                         Filters=F("color", "red"))

    def test_pagination(self):
        self.create("db1")
        want = ["s%02d" % i for i in range(45)]
        for s in want:
            self.snap(s)
        got, marker, pages = [], None, 0
        while True:
            kw = {"MaxRecords": 20, "SnapshotType": "manual"}  # not the automated one (issue 9)
            if marker:
                kw["Marker"] = marker
            r = self.rds.describe_db_snapshots(**kw)
            got += [s["DBSnapshotIdentifier"] for s in r["DBSnapshots"]]
            pages += 1
            marker = r.get("Marker")
            if not marker:
                break
        self.assertEqual((got, pages), (want, 3))
        pag = self.rds.get_paginator("describe_db_snapshots")
        self.assertEqual(sum(len(p["DBSnapshots"]) for p in pag.paginate(SnapshotType="manual",
                                                                   PaginationConfig={"PageSize": 20})), 45)
        self.assertError(self.rds.describe_db_snapshots, "InvalidParameterValue", 400,
                         "Invalid value 10 for MaxRecords. Must be between 20 and 100", MaxRecords=10)
        self.assertError(self.rds.describe_db_snapshots, "InvalidParameterValue", 400, MaxRecords=101)

    # ---- delete ----
    def test_delete(self):
        self.create("db1")
        self.snap("s1")
        r = self.rds.delete_db_snapshot(DBSnapshotIdentifier="s1")["DBSnapshot"]
        self.assertEqual(r["Status"], "deleted")
        self.rds.get_waiter("db_snapshot_deleted").wait(DBSnapshotIdentifier="s1",
                                                        WaiterConfig={"Delay": 1, "MaxAttempts": 3})
        self.assertError(self.rds.delete_db_snapshot, "DBSnapshotNotFound", 404, "DBSnapshot s1 not found.",
                         DBSnapshotIdentifier="s1")
        self.assertEqual(self.snap_ids(), [])
        self.assertIn("Deleted manual snapshot",
                      [e["Message"] for e in self.rds.describe_events(SourceType="db-snapshot")["Events"]])
        self.snap("s1")   # the identifier is free again
        self.assertError(self.rds.list_tags_for_resource, "DBSnapshotNotFound", 404, ResourceName=ARN + "zz")

    # ---- tags ----
    def test_tags_and_copy_tags_to_snapshot(self):
        self.create("db1", CopyTagsToSnapshot=True, Tags=[{"Key": "team", "Value": "a"}])
        self.create("db2", Tags=[{"Key": "team", "Value": "b"}])
        self.assertEqual(tags(self.snap("s1")), [("team", "a")])
        self.assertEqual(tags(self.snap("s2", Tags=[{"Key": "k", "Value": "v"}])), [("k", "v")])
        self.assertEqual(tags(self.snap("s3", inst="db2")), [])
        self.rds.add_tags_to_resource(ResourceName=ARN + "s3", Tags=[{"Key": "x", "Value": "1"}])
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=ARN + "s3")["TagList"],
                         [{"Key": "x", "Value": "1"}])
        self.rds.remove_tags_from_resource(ResourceName=ARN + "s3", TagKeys=["x"])
        self.assertEqual(tags(self.dsnap("s3")), [])
        self.rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="final1")
        self.assertEqual(tags(self.dsnap("final1")), [("team", "a")])

    # ---- copy ----
    def test_copy(self):
        self.create("db1", Tags=[{"Key": "t", "Value": "1"}], CopyTagsToSnapshot=True)
        src = self.snap("s1")
        r = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="C1")["DBSnapshot"]
        self.assertEqual((r["DBSnapshotIdentifier"], r["Status"]), ("c1", "pending"))
        # AWS (DBSnapshot.SourceDBSnapshotIdentifier): set only by a cross-Region or
        # cross-account copy
        self.assertNotIn("SourceDBSnapshotIdentifier", r)
        self.assertNotIn("SourceDBSnapshotIdentifier", self.dsnap("c1"))
        self.assertEqual(tags(r), [])
        d = self.dsnap("c1")
        self.assertEqual((d["Status"], d["SnapshotType"], d["DbiResourceId"]),
                         ("available", "manual", self.dsnap("s1")["DbiResourceId"]))
        self.assertEqual(d["OriginalSnapshotCreateTime"], self.dsnap("s1")["SnapshotCreateTime"])
        self.assertFalse(d["Encrypted"])
        r = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier=ARN + "s1", TargetDBSnapshotIdentifier="c2",
                                      CopyTags=True, Tags=[{"Key": "n", "Value": "2"}])["DBSnapshot"]
        self.assertEqual(tags(r), [("n", "2"), ("t", "1")])
        r = self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c3",
                                      Tags=[{"Key": "n", "Value": "3"}])["DBSnapshot"]
        self.assertEqual(tags(r), [("n", "3")])
        ev = [e["Message"] for e in self.rds.describe_events(SourceType="db-snapshot", SourceIdentifier="c1")["Events"]]
        self.assertEqual(ev, ["Started copy of snapshot s1", "Finished copy of snapshot s1"])
        self.assertError(self.rds.copy_db_snapshot, "DBSnapshotAlreadyExists", 400,
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c1")
        self.assertError(self.rds.copy_db_snapshot, "DBSnapshotAlreadyExists", 400,
                         "Cannot create the snapshot because a snapshot with the identifier s1 already exists.",
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="S1")
        self.assertError(self.rds.copy_db_snapshot, "DBSnapshotNotFound", 404, "DBSnapshot nope not found.",
                         SourceDBSnapshotIdentifier="nope", TargetDBSnapshotIdentifier="c9")
        self.assertError(self.rds.copy_db_snapshot, "InvalidParameterValue", 400,
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="-x")
        og = self.dsnap("s1")["OptionGroupName"]
        self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c4", OptionGroupName=og)
        self.assertError(self.rds.copy_db_snapshot, "OptionGroupNotFoundFault", 404,
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c5", OptionGroupName="nope")
        self.assertEqual(sorted(self.snap_ids()), ["c1", "c2", "c3", "c4", "s1"])
        self.assertEqual(src["DBSnapshotIdentifier"], "s1")

    def test_copy_across_regions_lands_in_request_region(self):
        self.create("db1")
        self.snap("s1")
        west = self.server.client(region="us-west-2")
        # boto3 turns SourceRegion into a PreSignedUrl; the source is named by its ARN
        r = west.copy_db_snapshot(SourceDBSnapshotIdentifier=ARN + "s1", TargetDBSnapshotIdentifier="w1",
                                  SourceRegion="us-east-1")["DBSnapshot"]
        self.assertEqual(r["DBSnapshotArn"], "arn:aws:rds:us-west-2:000000000000:snapshot:w1")
        self.assertEqual(r["SourceRegion"], "us-east-1")
        self.assertEqual(r["SourceDBSnapshotIdentifier"], ARN + "s1")
        self.assertEqual([s["DBSnapshotIdentifier"] for s in west.describe_db_snapshots()["DBSnapshots"]], ["w1"])
        self.assertEqual(self.snap_ids(), ["s1"])
        with self.assertRaises(Exception):
            west.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="w2")

    # ---- attributes ----
    def test_restore_attribute(self):
        self.create("db1")
        self.snap("s1")
        a = self.rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="s1")["DBSnapshotAttributesResult"]
        self.assertEqual(a, {"DBSnapshotIdentifier": "s1",
                             "DBSnapshotAttributes": [{"AttributeName": "restore", "AttributeValues": []}]})
        a = self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="s1", AttributeName="restore",
                                                  ValuesToAdd=["123456789012", "210987654321"])
        self.assertEqual(a["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"],
                         ["123456789012", "210987654321"])
        a = self.rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="s1", AttributeName="restore",
                                                  ValuesToRemove=["123456789012"], ValuesToAdd=["all"])
        self.assertEqual(a["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"],
                         ["210987654321", "all"])
        self.assertError(self.rds.modify_db_snapshot_attribute, "InvalidParameterValue", 400,
                         DBSnapshotIdentifier="s1", AttributeName="copy", ValuesToAdd=["all"])
        self.assertError(self.rds.modify_db_snapshot_attribute, "InvalidParameterValue", 400,
                         DBSnapshotIdentifier="s1", AttributeName="restore", ValuesToAdd=["12"])
        self.assertError(self.rds.modify_db_snapshot_attribute, "DBSnapshotNotFound", 404,
                         DBSnapshotIdentifier="zz", AttributeName="restore", ValuesToAdd=["all"])
        self.assertError(self.rds.describe_db_snapshot_attributes, "DBSnapshotNotFound", 404,
                         DBSnapshotIdentifier="zz")
        many = ["%012d" % i for i in range(1, 21)]
        self.assertError(self.rds.modify_db_snapshot_attribute, "SharedSnapshotQuotaExceeded", 400,
                         DBSnapshotIdentifier="s1", AttributeName="restore", ValuesToAdd=many)
        a = self.rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="s1")["DBSnapshotAttributesResult"]
        self.assertEqual(a["DBSnapshotAttributes"][0]["AttributeValues"], ["210987654321", "all"])

    # ---- restore ----
    def test_restore(self):
        self.create("db1", DBName="appdb", DBInstanceClass="db.t3.small", AllocatedStorage=25,
                    EnableIAMDatabaseAuthentication=True)
        self.snap("s1")
        r = self.rds.restore_db_instance_from_db_snapshot(
            DBInstanceIdentifier="R1", DBSnapshotIdentifier="s1", Port=7777, AvailabilityZone="us-east-1b",
            PubliclyAccessible=False, DeletionProtection=True, CopyTagsToSnapshot=True,
            Tags=[{"Key": "k", "Value": "v"}])["DBInstance"]
        self.assertEqual((r["DBInstanceIdentifier"], r["DBInstanceStatus"]), ("r1", "creating"))
        d = self.describe("r1")
        src = self.describe("db1")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertNotEqual(d["DbiResourceId"], src["DbiResourceId"])
        for k in ("DBInstanceClass", "MasterUsername", "DBName", "AllocatedStorage", "EngineVersion",
                  "StorageEncrypted", "IAMDatabaseAuthenticationEnabled"):
            self.assertEqual(d[k], src[k], k)
        self.assertEqual((d["Endpoint"]["Port"], d["AvailabilityZone"], d["PubliclyAccessible"],
                          d["DeletionProtection"], d["CopyTagsToSnapshot"]), (7777, "us-east-1b", False, True, True))
        self.assertEqual(tags(d), [("k", "v")])
        ev = [e["Message"] for e in self.rds.describe_events(SourceType="db-instance", SourceIdentifier="r1")["Events"]]
        self.assertIn("Restored from snapshot s1", ev)
        r = self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="r2", DBSnapshotIdentifier=ARN + "s1",
                                                          DBInstanceClass="db.t3.medium", MultiAZ=True,
                                                          StorageType="gp2", AllocatedStorage=40)["DBInstance"]
        d = self.describe("r2")
        self.assertEqual((d["DBInstanceClass"], d["MultiAZ"], d["StorageType"], d["AllocatedStorage"]),
                         ("db.t3.medium", True, "gp2", 40))

    def test_restore_errors_change_nothing(self):
        self.create("db1")
        self.snap("s1")
        before = self.rds.describe_db_instances()["DBInstances"]
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "DBInstanceAlreadyExists", 400,
                         DBInstanceIdentifier="db1", DBSnapshotIdentifier="s1")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "DBSnapshotNotFound", 404,
                         "DBSnapshot nope not found.", DBInstanceIdentifier="r1", DBSnapshotIdentifier="nope")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "DBSubnetGroupNotFoundFault", 404,
                         DBInstanceIdentifier="r1", DBSnapshotIdentifier="s1", DBSubnetGroupName="nope")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "InvalidParameterCombination", 400,
                         DBInstanceIdentifier="r1", DBSnapshotIdentifier="s1", MultiAZ=True,
                         AvailabilityZone="us-east-1a")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "InvalidParameterCombination", 400,
                         DBInstanceIdentifier="r1", DBSnapshotIdentifier="s1", DBInstanceClass="db.x9.huge")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="r1", DBSnapshotIdentifier="s1", AllocatedStorage=5)
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="-r1", DBSnapshotIdentifier="s1")
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], before)

    # ---- final snapshot on delete, snapshot on stop ----
    def test_delete_with_final_snapshot(self):
        self.create("db1")
        rid = self.describe("db1")["DbiResourceId"]
        self.snap("taken")
        self.assertError(self.rds.delete_db_instance, "DBSnapshotAlreadyExists", 400,
                         DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="taken")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")
        self.assertError(self.rds.delete_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="bad--id")
        self.assertError(self.rds.delete_db_instance, "InvalidParameterCombination", 400,
                         "Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.",
                         DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="f1", SkipFinalSnapshot=True)
        r = self.rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="Final-1")["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "deleting")
        f = self.dsnap("final-1")
        self.assertEqual((f["Status"], f["DBInstanceIdentifier"], f["DbiResourceId"]), ("available", "db1", rid))
        self.assertEqual(self.ids(), [])

    def test_stop_with_snapshot(self):
        self.create("db1")
        r = self.rds.stop_db_instance(DBInstanceIdentifier="db1", DBSnapshotIdentifier="before-stop")["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "stopping")
        self.assertEqual(self.dsnap("before-stop")["Status"], "available")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "stopped")
        self.rds.start_db_instance(DBInstanceIdentifier="db1")
        self.assertError(self.rds.stop_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="db1", DBSnapshotIdentifier="1x")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")

    def test_reset_removes_snapshots(self):
        self.create("db1")
        self.snap("s1")
        self.server.admin("POST", "/_rdslocal/reset")
        self.assertEqual(self.snap_ids(), [])

    def test_cli_lesson_commands(self):
        self.create("db1")
        rc, out, err = self.server.cli("rds", "create-db-snapshot", "--db-instance-identifier", "db1",
                                       "--db-snapshot-identifier", "cli-snap")
        self.assertEqual(out["DBSnapshot"]["Status"], "creating")
        rc, out, err = self.server.cli("rds", "wait", "db-snapshot-available", "--db-snapshot-identifier", "cli-snap")
        rc, out, err = self.server.cli("rds", "copy-db-snapshot", "--source-db-snapshot-identifier", "cli-snap",
                                       "--target-db-snapshot-identifier", "cli-copy", "--copy-tags")
        self.assertEqual(out["DBSnapshot"]["DBSnapshotIdentifier"], "cli-copy")
        rc, out, err = self.server.cli("rds", "restore-db-instance-from-db-snapshot", "--db-instance-identifier",
                                       "cli-db", "--db-snapshot-identifier", "cli-copy")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "creating")
        rc, out, err = self.server.cli("rds", "delete-db-snapshot", "--db-snapshot-identifier", "cli-snap",
                                       check=False)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.server.cli("rds", "describe-db-snapshots", "--db-snapshot-identifier", "cli-snap",
                                       check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("DBSnapshotNotFound", err)

    def test_raw_xml_shape(self):
        self.create("db1")
        st, h, body = raw(self.server, params={"Action": "CreateDBSnapshot", "Version": "2014-10-31",
                                               "DBSnapshotIdentifier": "x1", "DBInstanceIdentifier": "db1"})
        self.assertEqual(st, 200, body)
        self.assertIn("<CreateDBSnapshotResult><DBSnapshot>", body)
        self.assertEqual(xml_field(body, "Status"), "creating")
        st, h, body = raw(self.server, params={"Action": "DescribeDBSnapshots", "Version": "2014-10-31",
                                               "DBSnapshotIdentifier": "nope"})
        self.assertEqual(st, 404)
        self.assertEqual(xml_field(body, "Code"), "DBSnapshotNotFound")


class RealisticTimingTest(ApiTestCase):
    """With --realistic-timing the transitional statuses stay visible: an instance still
    creating cannot be snapshotted, a snapshot still creating cannot be deleted, copied or
    restored."""
    server_args = ("--realistic-timing", "30")

    def test_transitional_states_refused(self):
        self.create("db1")
        self.assertError(self.rds.create_db_snapshot, "InvalidDBInstanceState", 400,
                         "Cannot create a snapshot because the database instance db1 is not currently in the "
                         "available state.", DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        self.advance(31)
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        self.assertEqual(self.rds.describe_db_snapshots(DBSnapshotIdentifier="s1")["DBSnapshots"][0]["Status"],
                         "creating")
        self.assertError(self.rds.delete_db_snapshot, "InvalidDBSnapshotState", 400, DBSnapshotIdentifier="s1")
        self.assertError(self.rds.copy_db_snapshot, "InvalidDBSnapshotState", 400,
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c1")
        self.assertError(self.rds.restore_db_instance_from_db_snapshot, "InvalidDBSnapshotState", 400,
                         DBInstanceIdentifier="r1", DBSnapshotIdentifier="s1")
        self.assertError(self.rds.modify_db_snapshot_attribute, "InvalidDBSnapshotState", 400,
                         "DBSnapshot s1 is not in available state.", DBSnapshotIdentifier="s1",
                         AttributeName="restore", ValuesToAdd=["123456789012"])
        self.advance(31)
        self.assertEqual(self.rds.describe_db_snapshots(DBSnapshotIdentifier="s1")["DBSnapshots"][0]["Status"],
                         "available")
        self.rds.delete_db_snapshot(DBSnapshotIdentifier="s1")


class QuotaTest(ApiTestCase):
    server_args = ("--snapshot-quota", "2")

    def test_quota(self):
        self.create("db1")
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        self.rds.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="s2")
        msg = "Cannot create more than 2 manual snapshots"
        self.assertError(self.rds.create_db_snapshot, "SnapshotQuotaExceeded", 400, msg,
                         DBSnapshotIdentifier="s3", DBInstanceIdentifier="db1")
        self.assertError(self.rds.copy_db_snapshot, "SnapshotQuotaExceeded", 400, msg,
                         SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="s3")
        self.assertError(self.rds.delete_db_instance, "SnapshotQuotaExceeded", 400, msg,
                         DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="s3")
        self.assertError(self.rds.stop_db_instance, "SnapshotQuotaExceeded", 400, msg,
                         DBInstanceIdentifier="db1", DBSnapshotIdentifier="s3")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")
        self.west = self.server.client(region="us-west-2")    # the quota is per region
        self.west.create_db_instance(**tl.create_args("w1"))
        self.west.create_db_snapshot(DBSnapshotIdentifier="s3", DBInstanceIdentifier="w1")
        self.rds.delete_db_snapshot(DBSnapshotIdentifier="s2")
        self.rds.create_db_snapshot(DBSnapshotIdentifier="s3", DBInstanceIdentifier="db1")

    def test_quota_from_environment_and_bad_values(self):
        s = tl.Server(no_engine=True, env={"RDSLOCAL_SNAPSHOT_QUOTA": "1"}).start()
        try:
            c = s.client()
            c.create_db_instance(**tl.create_args("db1"))
            c.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
            self.assertError(c.create_db_snapshot, "SnapshotQuotaExceeded", 400,
                             "Cannot create more than 1 manual snapshots",
                             DBSnapshotIdentifier="s2", DBInstanceIdentifier="db1")
        finally:
            s.cleanup()
        for bad in ("0", "-1", "abc", "5x", "", "1000001"):
            p = subprocess.run([tl.BIN, "--no-engine", "--listen", "127.0.0.1:%d" % tl.free_port(),
                                "--snapshot-quota", bad], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, (bad, p.stderr))
            self.assertIn('--snapshot-quota wants a count, got "%s"' % bad, p.stderr)


class SnapshotRestartTest(unittest.TestCase):
    """Snapshots, their tags and attributes survive SIGTERM and kill -9 of rdslocal."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rdslocal-snaprestart-")
        self.servers = []

    def tearDown(self):
        for s in reversed(self.servers):
            s.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        s = tl.Server(state_dir=self.dir, no_engine=True).start()
        self.servers.append(s)
        return s, s.client()

    def test_restart_between_steps(self):
        s, c = self.start()
        c.create_db_instance(**tl.create_args("db1", Tags=[{"Key": "t", "Value": "1"}], CopyTagsToSnapshot=True))
        c.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier="db1")
        c.modify_db_snapshot_attribute(DBSnapshotIdentifier="s1", AttributeName="restore",
                                       ValuesToAdd=["123456789012"])
        before = c.describe_db_snapshots(DBSnapshotIdentifier="s1")["DBSnapshots"][0]
        s.stop()
        s, c = self.start()
        self.assertEqual(c.describe_db_snapshots(DBSnapshotIdentifier="s1")["DBSnapshots"][0], before)
        c.copy_db_snapshot(SourceDBSnapshotIdentifier="s1", TargetDBSnapshotIdentifier="c1", CopyTags=True)
        s.kill9()
        s, c = self.start()
        self.assertEqual(sorted(x["DBSnapshotIdentifier"] for x in c.describe_db_snapshots()["DBSnapshots"]),
                         ["c1", "s1"])
        self.assertEqual(c.describe_db_snapshots(DBSnapshotIdentifier="c1")["DBSnapshots"][0]["TagList"],
                         [{"Key": "t", "Value": "1"}])
        a = c.describe_db_snapshot_attributes(DBSnapshotIdentifier="s1")["DBSnapshotAttributesResult"]
        self.assertEqual(a["DBSnapshotAttributes"][0]["AttributeValues"], ["123456789012"])
        c.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="r1", DBSnapshotIdentifier="c1")
        c.delete_db_snapshot(DBSnapshotIdentifier="s1")
        s.stop()
        s, c = self.start()
        self.assertEqual([x["DBSnapshotIdentifier"] for x in c.describe_db_snapshots()["DBSnapshots"]], ["c1"])
        self.assertEqual(c.describe_db_instances(DBInstanceIdentifier="r1")["DBInstances"][0]["DBInstanceStatus"],
                         "available")


if __name__ == "__main__":
    main()
