"""End-to-end API tests of DB instances (API-only mode): create rules and fields, describe,
filters, pagination, modify (pending vs immediate, maintenance window via the clock),
delete, stop/start/reboot state rules, tags. Real boto3 against the real rdslocal."""
import re
import time
from datetime import datetime, timezone

from api_helpers import ApiTestCase, main
import rdslocal_testlib as tl

ARN_PREFIX = "arn:aws:rds:us-east-1:000000000000:db:"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def window_minutes(w):
    """'ddd:hh:mm-ddd:hh:mm' -> (start, end) minute-of-week; 'hh:mm-hh:mm' -> minute-of-day."""
    def one(p):
        parts = p.split(":")
        if len(parts) == 3:
            return DAYS.index(parts[0].lower()) * 1440 + int(parts[1]) * 60 + int(parts[2])
        return int(parts[0]) * 60 + int(parts[1])
    a, b = w.split("-")
    return one(a), one(b)


def windows_overlap(backup, maint):
    week = 7 * 1440
    bs, be = window_minutes(backup)
    ms, me = window_minutes(maint)
    if me <= ms:
        me += week
    blen = (be - bs) % 1440
    for day in range(-1, 8):
        s = day * 1440 + bs
        for shift in (-week, 0, week):
            if s < me + shift and ms + shift < s + blen:
                return True
    return False


class CreateTest(ApiTestCase):
    def test_create_response_and_fields(self):
        d = self.create("db1", Tags=[{"Key": "env", "Value": "test"}])
        self.assertEqual(d["DBInstanceStatus"], "creating")
        d = self.describe("db1")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["DBInstanceIdentifier"], "db1")
        self.assertEqual(d["DBInstanceArn"], ARN_PREFIX + "db1")
        self.assertRegex(d["DbiResourceId"], r"^db-[A-Z0-9]{26}$")
        self.assertEqual(d["Engine"], "postgres")
        self.assertRegex(d["EngineVersion"], r"^\d+\.\d+$")
        self.assertEqual(d["DBInstanceClass"], "db.t3.micro")
        self.assertEqual(d["MasterUsername"], "app")
        self.assertEqual(d["AllocatedStorage"], 20)
        # AWS's defaults (CreateDBInstance reference): gp3 with its baseline 3000 IOPS and
        # 125 MiB/s below 400 GiB; public in the default VPC (it has an internet gateway)
        self.assertEqual(d["StorageType"], "gp3")
        self.assertEqual(d["Iops"], 3000)
        self.assertEqual(d["StorageThroughput"], 125)
        self.assertTrue(d["PubliclyAccessible"])
        self.assertEqual(d["LicenseModel"], "postgresql-license")
        self.assertEqual(d["Endpoint"]["Address"], "localhost")
        # API-only mode allocates no port: the engine's default, as on AWS (a host per instance)
        self.assertEqual(d["Endpoint"]["Port"], 5432, d["Endpoint"])
        self.assertIsInstance(d["InstanceCreateTime"], datetime)
        age = (datetime.now(timezone.utc) - d["InstanceCreateTime"]).total_seconds()
        self.assertLess(abs(age), 120)
        self.assertRegex(d["AvailabilityZone"], r"^us-east-1[a-f]$")
        sg = d["DBSubnetGroup"]
        self.assertEqual(sg["DBSubnetGroupName"], "default")
        self.assertEqual(len(sg["Subnets"]), 3)
        azs = {s["SubnetAvailabilityZone"]["Name"] for s in sg["Subnets"]}
        self.assertEqual(len(azs), 3)
        self.assertTrue(all(a.startswith("us-east-1") for a in azs))
        self.assertRegex(sg["VpcId"], r"^vpc-[0-9a-f]+$")
        self.assertTrue(d["VpcSecurityGroups"])
        self.assertRegex(d["VpcSecurityGroups"][0]["VpcSecurityGroupId"], r"^sg-[0-9a-f]+$")
        self.assertEqual(d["VpcSecurityGroups"][0]["Status"], "active")
        major = d["EngineVersion"].split(".")[0]
        self.assertEqual(d["DBParameterGroups"][0]["DBParameterGroupName"], "default.postgres" + major)
        self.assertEqual(d["DBParameterGroups"][0]["ParameterApplyStatus"], "in-sync")
        self.assertTrue(d["CACertificateIdentifier"].startswith("rds-ca-"))
        self.assertRegex(d["PreferredBackupWindow"], r"^\d\d:\d\d-\d\d:\d\d$")
        self.assertRegex(d["PreferredMaintenanceWindow"], r"^(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-"
                                                          r"(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d$")
        # the default windows do not overlap (the backup window is daily)
        self.assertFalse(windows_overlap(d["PreferredBackupWindow"], d["PreferredMaintenanceWindow"]),
                         (d["PreferredBackupWindow"], d["PreferredMaintenanceWindow"]))
        self.assertEqual(d["BackupRetentionPeriod"], 1)
        self.assertFalse(d["MultiAZ"])
        self.assertFalse(d["DeletionProtection"])
        self.assertEqual(d["PendingModifiedValues"], {})
        self.assertEqual(d["TagList"], [{"Key": "env", "Value": "test"}])
        tags = self.rds.list_tags_for_resource(ResourceName=d["DBInstanceArn"])["TagList"]
        self.assertEqual(tags, [{"Key": "env", "Value": "test"}])

    def test_waiter_returns_on_first_poll(self):
        self.create("waited")
        t0 = time.time()
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="waited", WaiterConfig={"Delay": 30, "MaxAttempts": 2})
        self.assertLess(time.time() - t0, 5)

    def test_identifier_upper_case_is_stored_lower_case(self):
        d = self.create("MyDB-One")
        self.assertEqual(d["DBInstanceIdentifier"], "mydb-one")
        self.assertEqual(self.describe("MYDB-ONE")["DBInstanceIdentifier"], "mydb-one")

    def test_empty_db_name_is_no_database(self):
        # The Terraform provider sends DBName= for an aws_db_instance without db_name; AWS
        # reads it as "no database" and so must we. A blank-but-nonempty name is refused.
        d = self.rds.create_db_instance(**tl.create_args("nodbname", DBName=""))["DBInstance"]
        self.assertNotIn("DBName", d)
        self.assertNotIn("DBName", self.describe("nodbname"))
        self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                         **tl.create_args("baddbname", DBName="1abc"))
        self.assertEqual(self.ids(), ["nodbname"])

    def test_identifier_length(self):
        self.create("a" * 63)
        self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                         **tl.create_args("b" * 64))
        self.assertEqual(self.ids(), ["a" * 63])

    def test_identifier_bad_forms(self):
        for bad in ("1abc", "a--b", "a-", "a_b"):
            with self.subTest(bad=bad):
                self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                                 **tl.create_args(bad))
        self.assertEqual(self.ids(), [])

    def test_duplicate_identifier(self):
        self.create("dup")
        before = self.describe("dup")
        self.assertError(self.rds.create_db_instance, "DBInstanceAlreadyExists", 400,
                         **tl.create_args("DUP", DBInstanceClass="db.t3.small"))
        self.assertEqual(self.describe("dup"), before)

    def assertCreateRefused(self, code, status=400, message=None, contains=None, **kw):
        e = self.assertError(self.rds.create_db_instance, code, status, message, contains,
                             **tl.create_args("refused", **kw))
        self.assertEqual(self.ids(), [])
        return e

    def test_unknown_instance_class(self):
        self.assertCreateRefused("InvalidParameterCombination", DBInstanceClass="db.nope.huge")

    def test_storage_too_small(self):
        # real AWS: "InvalidParameterCombination: Invalid storage size for engine name postgres and storage type gp2: 5"
        self.assertCreateRefused("InvalidParameterCombination", AllocatedStorage=5, StorageType="gp2",
                                 message="Invalid storage size for engine name postgres and storage type gp2: 5")
        self.assertCreateRefused("InvalidParameterCombination", AllocatedStorage=19,
                                 message="Invalid storage size for engine name postgres and storage type gp3: 19")

    def test_bad_passwords(self):
        self.assertCreateRefused("InvalidParameterValue", MasterUserPassword="short")
        self.assertCreateRefused("InvalidParameterValue", MasterUserPassword="with@sign-long")
        self.assertCreateRefused("InvalidParameterValue", MasterUserPassword='quo"te-long')
        self.assertCreateRefused("InvalidParameterValue", MasterUserPassword="sla/sh-long")

    def test_reserved_master_username(self):
        self.assertCreateRefused("InvalidParameterValue", MasterUsername="rdsadmin")

    def test_port_out_of_range(self):
        self.assertCreateRefused("InvalidParameterValue", Port=80)
        self.assertCreateRefused("InvalidParameterValue", Port=70000)

    def test_backup_retention_36(self):
        self.assertCreateRefused("InvalidParameterValue", BackupRetentionPeriod=36)

    def test_bad_windows(self):
        self.assertCreateRefused("InvalidParameterValue", PreferredMaintenanceWindow="Sunday 3am")
        self.assertCreateRefused("InvalidParameterValue", PreferredBackupWindow="25:00-25:30")
        self.assertCreateRefused("InvalidParameterValue", PreferredMaintenanceWindow="sun:03:00-sun:03:10",
                                 contains="at least 30 minutes")
        self.assertCreateRefused("InvalidParameterValue", PreferredBackupWindow="03:00-03:10",
                                 contains="at least 30 minutes")
        self.assertCreateRefused("InvalidParameterValue", PreferredBackupWindow="03:00-04:00",
                                 PreferredMaintenanceWindow="sun:03:30-sun:04:30",
                                 message="The backup window and maintenance window must not overlap.")

    def test_multi_az_with_availability_zone(self):
        self.assertCreateRefused(
            "InvalidParameterCombination", MultiAZ=True, AvailabilityZone="us-east-1a",
            message="Requesting a specific availability zone is not valid for Multi-AZ instances.")

    def test_unknown_engine_version(self):
        self.assertCreateRefused("InvalidParameterCombination", EngineVersion="99",
                                 message="Cannot find version 99 for postgres")

    def test_unknown_engine(self):
        self.assertCreateRefused("InvalidParameterValue", Engine="oracle-ee-nope")

    def test_missing_required_parameter_via_cli(self):
        rc, out, err = self.server.cli("rds", "create-db-instance", "--db-instance-identifier", "x",
                                       "--engine", "postgres", check=False)
        # the CLI refuses client-side: DBInstanceClass is required by the model
        self.assertNotEqual(rc, 0)
        self.assertIn("db-instance-class", err)
        self.assertEqual(self.ids(), [])

    def test_missing_required_parameter_raw(self):
        from api_helpers import raw, xml_field
        st, h, body = raw(self.server, params={"Action": "CreateDBInstance", "Version": "2014-10-31",
                                               "DBInstanceIdentifier": "x", "Engine": "postgres"})
        self.assertEqual(st, 400, body)
        self.assertEqual(xml_field(body, "Code"), "MissingParameter")
        self.assertIn("DBInstanceClass", xml_field(body, "Message"))
        self.assertEqual(self.ids(), [])


class DescribeTest(ApiTestCase):
    def test_describe_unknown(self):
        self.assertError(self.rds.describe_db_instances, "DBInstanceNotFound", 404,
                         "DBInstance nosuch not found.", DBInstanceIdentifier="nosuch")

    def test_describe_by_arn(self):
        self.create("byarn")
        self.assertEqual(self.rds.describe_db_instances(DBInstanceIdentifier=ARN_PREFIX + "byarn")
                         ["DBInstances"][0]["DBInstanceIdentifier"], "byarn")

    def test_filters(self):
        a = self.create("fa")
        self.create("fb")
        self.create("fc")
        self.assertEqual(self.ids(Filters=[{"Name": "db-instance-id", "Values": ["fa", "fc"]}]), ["fa", "fc"])
        self.assertEqual(self.ids(Filters=[{"Name": "db-instance-id", "Values": [ARN_PREFIX + "fb"]}]),
                         ["fb"])
        self.assertEqual(self.ids(Filters=[{"Name": "dbi-resource-id", "Values": [a["DbiResourceId"]]}]),
                         ["fa"])
        self.assertEqual(self.ids(Filters=[{"Name": "engine", "Values": ["postgres"]}]), ["fa", "fb", "fc"])
        self.assertEqual(self.ids(Filters=[{"Name": "engine", "Values": ["mysql"]}]), [])
        self.assertEqual(self.ids(Filters=[{"Name": "db-instance-id", "Values": ["nosuch"]}]), [])

    def test_max_records_bounds(self):
        for bad in (19, 101):
            with self.subTest(max_records=bad):
                self.assertError(self.rds.describe_db_instances, "InvalidParameterValue", 400,
                                 "Invalid value %d for MaxRecords. Must be between 20 and 100" % bad,
                                 MaxRecords=bad)

    def test_pagination_boto3_and_cli(self):
        want = ["p%02d" % i for i in range(45)]
        for i in reversed(want):
            self.create(i)
        pages = list(self.rds.get_paginator("describe_db_instances").paginate(
            PaginationConfig={"PageSize": 20}))
        self.assertEqual([len(p["DBInstances"]) for p in pages], [20, 20, 5])
        self.assertIn("Marker", pages[0])
        self.assertNotIn("Marker", pages[-1])
        got = [d["DBInstanceIdentifier"] for p in pages for d in p["DBInstances"]]
        self.assertEqual(got, want)
        rc, out, err = self.server.cli("rds", "describe-db-instances", "--page-size", "20")
        self.assertEqual([d["DBInstanceIdentifier"] for d in out["DBInstances"]], want)
        rc, out, err = self.server.cli("rds", "describe-db-instances", "--max-items", "30")
        self.assertEqual(len(out["DBInstances"]), 30)
        self.assertIn("NextToken", out)


class ModifyTest(ApiTestCase):
    def test_no_modifications(self):
        self.create("m1")
        before = self.describe("m1")
        self.assertError(self.rds.modify_db_instance, "InvalidParameterCombination", 400,
                         "No modifications were requested", DBInstanceIdentifier="m1")
        self.assertError(self.rds.modify_db_instance, "InvalidParameterCombination", 400,
                         "No modifications were requested", DBInstanceIdentifier="m1", ApplyImmediately=True)
        self.assertEqual(self.describe("m1"), before)

    def test_modify_unknown(self):
        self.assertError(self.rds.modify_db_instance, "DBInstanceNotFound", 404, "DBInstance nosuch not found.",
                         DBInstanceIdentifier="nosuch", DeletionProtection=True)

    def test_class_change_waits_for_maintenance_window(self):
        self.create("m2", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
                    PreferredBackupWindow="02:00-02:30")
        r = self.rds.modify_db_instance(DBInstanceIdentifier="m2", DBInstanceClass="db.t3.small")["DBInstance"]
        self.assertEqual(r["DBInstanceClass"], "db.t3.micro")
        self.assertEqual(r["PendingModifiedValues"].get("DBInstanceClass"), "db.t3.small")
        d = self.describe("m2")
        self.assertEqual(d["DBInstanceClass"], "db.t3.micro")
        self.assertEqual(d["PendingModifiedValues"], {"DBInstanceClass": "db.t3.small"})
        self.assertEqual(d["DBInstanceStatus"], "available")
        # move the clock into the next sun:05:00-06:00 window
        now = self.server.admin("GET", "/_rdslocal/clock")
        now_s = self._clock_now(now)
        week = 7 * 86400
        pos = (now_s - 4 * 86400) % week  # 1970-01-01 was a Thursday: +4 days -> Monday 00:00
        target = 6 * 86400 + 5 * 3600 + 600  # sun 05:10
        self.advance(int((target - pos) % week))
        d = tl.wait_for(lambda: (lambda x: x if x["DBInstanceClass"] == "db.t3.small" else None)(
            self.describe("m2")), 10, 0.1, "class change applied in the maintenance window")
        self.assertEqual(d["PendingModifiedValues"], {})
        self.assertEqual(d["DBInstanceStatus"], "available")

    def test_pending_applied_when_clock_jumps_past_window(self):
        self.create("m3", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
                    PreferredBackupWindow="02:00-02:30")
        self.rds.modify_db_instance(DBInstanceIdentifier="m3", DBInstanceClass="db.t3.small")
        self.advance(8 * 86400)  # a whole week and a day: the window passed in between
        d = tl.wait_for(lambda: (lambda x: x if x["DBInstanceClass"] == "db.t3.small" else None)(
            self.describe("m3")), 5, 0.1, "class change applied after the clock passed the window")
        self.assertEqual(d["PendingModifiedValues"], {})

    @staticmethod
    def _clock_now(clock):
        for k in ("now_ms", "now"):
            if k in clock:
                v = clock[k]
                if isinstance(v, (int, float)):
                    return int(v / 1000) if k == "now_ms" else int(v)
        return int(time.time() + clock.get("offset_ms", 0) / 1000)

    def test_class_change_apply_immediately(self):
        self.create("m4")
        r = self.rds.modify_db_instance(DBInstanceIdentifier="m4", DBInstanceClass="db.t3.medium",
                                        ApplyImmediately=True)["DBInstance"]
        # AWS's modify response still shows the prior status (CLI reference examples)
        self.assertEqual(r["DBInstanceStatus"], "available")
        d = self.describe("m4")
        self.assertEqual(d["DBInstanceClass"], "db.t3.medium")
        self.assertEqual(d["PendingModifiedValues"], {})
        self.assertEqual(d["DBInstanceStatus"], "available")

    def test_apply_immediately_also_applies_pending(self):
        # AWS (ModifyDBInstance ApplyImmediately): "the modifications in this request and any
        # pending modifications are asynchronously applied as soon as possible"
        self.create("m7")
        self.rds.modify_db_instance(DBInstanceIdentifier="m7", DBInstanceClass="db.t3.small")
        self.assertEqual(self.describe("m7")["PendingModifiedValues"], {"DBInstanceClass": "db.t3.small"})
        self.rds.modify_db_instance(DBInstanceIdentifier="m7", AllocatedStorage=30, ApplyImmediately=True)
        d = self.describe("m7")
        self.assertEqual(d["AllocatedStorage"], 30)
        self.assertEqual(d["DBInstanceClass"], "db.t3.small")
        self.assertEqual(d["PendingModifiedValues"], {})

    def test_modify_retention_protection_windows(self):
        self.create("m5")
        self.rds.modify_db_instance(DBInstanceIdentifier="m5", BackupRetentionPeriod=7, DeletionProtection=True,
                                    PreferredBackupWindow="01:00-01:30",
                                    PreferredMaintenanceWindow="Tue:04:00-Tue:04:30")
        d = self.describe("m5")
        self.assertEqual(d["BackupRetentionPeriod"], 7)
        self.assertTrue(d["DeletionProtection"])
        self.assertEqual(d["PreferredBackupWindow"], "01:00-01:30")
        self.assertEqual(d["PreferredMaintenanceWindow"], "tue:04:00-tue:04:30")
        before = self.describe("m5")
        self.assertError(self.rds.modify_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="m5", BackupRetentionPeriod=36)
        self.assertError(self.rds.modify_db_instance, "InvalidParameterValue", 400,
                         "The backup window and maintenance window must not overlap.",
                         DBInstanceIdentifier="m5", PreferredBackupWindow="04:00-04:30",
                         PreferredMaintenanceWindow="tue:04:15-tue:05:00")
        self.assertEqual(self.describe("m5"), before)

    def test_master_password_pending_shown_masked(self):
        self.create("m6")
        r = self.rds.modify_db_instance(DBInstanceIdentifier="m6", MasterUserPassword="N3w-password",
                                        ApplyImmediately=True)["DBInstance"]
        self.assertEqual(r["PendingModifiedValues"].get("MasterUserPassword"), "****")
        self.assertEqual(r["DBInstanceStatus"], "available")
        d = self.describe("m6")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertNotIn("MasterUserPassword", d["PendingModifiedValues"])
        self.assertError(self.rds.modify_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="m6", MasterUserPassword="short")


class DeleteTest(ApiTestCase):
    def test_delete_needs_final_snapshot_or_skip(self):
        self.create("d1")
        before = self.describe("d1")
        self.assertError(self.rds.delete_db_instance, "InvalidParameterCombination", 400,
                         "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
                         DBInstanceIdentifier="d1")
        self.assertEqual(self.describe("d1"), before)

    def test_delete_protected(self):
        self.create("d2", DeletionProtection=True)
        self.assertError(self.rds.delete_db_instance, "InvalidParameterCombination", 400,
                         "Cannot delete protected DB Instance, please disable deletion protection and try again.",
                         DBInstanceIdentifier="d2", SkipFinalSnapshot=True)
        self.assertEqual(self.describe("d2")["DBInstanceStatus"], "available")
        self.rds.modify_db_instance(DBInstanceIdentifier="d2", DeletionProtection=False)
        self.rds.delete_db_instance(DBInstanceIdentifier="d2", SkipFinalSnapshot=True)

    def test_delete_success_and_waiter(self):
        self.create("d3")
        r = self.rds.delete_db_instance(DBInstanceIdentifier="d3", SkipFinalSnapshot=True)["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "deleting")
        self.assertEqual(r["DBInstanceIdentifier"], "d3")
        t0 = time.time()
        self.rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="d3",
                                                        WaiterConfig={"Delay": 30, "MaxAttempts": 2})
        self.assertLess(time.time() - t0, 5)
        self.assertError(self.rds.describe_db_instances, "DBInstanceNotFound", 404, "DBInstance d3 not found.",
                         DBInstanceIdentifier="d3")
        self.assertError(self.rds.delete_db_instance, "DBInstanceNotFound", 404, "DBInstance d3 not found.",
                         DBInstanceIdentifier="d3", SkipFinalSnapshot=True)
        # the identifier is free again
        self.create("d3")


class LifecycleTest(ApiTestCase):
    def test_stop_start_reboot_rules(self):
        self.create("db1")
        r = self.rds.stop_db_instance(DBInstanceIdentifier="db1")["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "stopping")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "stopped")
        self.assertError(self.rds.stop_db_instance, "InvalidDBInstanceState", 400,
                         "Instance db1 is not in available state.", DBInstanceIdentifier="db1")
        self.assertError(self.rds.reboot_db_instance, "InvalidDBInstanceState", 400,
                         DBInstanceIdentifier="db1")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "stopped")
        r = self.rds.start_db_instance(DBInstanceIdentifier="db1")["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "starting")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")
        self.assertError(self.rds.start_db_instance, "InvalidDBInstanceState", 400, DBInstanceIdentifier="db1")
        r = self.rds.reboot_db_instance(DBInstanceIdentifier="db1")["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "rebooting")
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")

    def test_lifecycle_unknown(self):
        for fn in (self.rds.stop_db_instance, self.rds.start_db_instance, self.rds.reboot_db_instance):
            self.assertError(fn, "DBInstanceNotFound", 404, "DBInstance ghost not found.",
                             DBInstanceIdentifier="ghost")


class TagsTest(ApiTestCase):
    def test_add_list_remove(self):
        arn = self.create("t1")["DBInstanceArn"]
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"], [])
        self.rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "1"},
                                                               {"Key": "b", "Value": "2"}])
        self.rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "a", "Value": "3"}])
        tags = sorted((t["Key"], t["Value"]) for t in self.rds.list_tags_for_resource(ResourceName=arn)["TagList"])
        self.assertEqual(tags, [("a", "3"), ("b", "2")])
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in self.describe("t1")["TagList"]), tags)
        self.rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["a", "nosuch"])
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"], [{"Key": "b", "Value": "2"}])

    def test_unknown_and_garbage_arn(self):
        self.assertError(self.rds.list_tags_for_resource, "DBInstanceNotFound", 404,
                         ResourceName=ARN_PREFIX + "ghost")
        self.assertError(self.rds.add_tags_to_resource, "DBInstanceNotFound", 404,
                         ResourceName=ARN_PREFIX + "ghost", Tags=[{"Key": "a", "Value": "1"}])
        self.assertError(self.rds.list_tags_for_resource, "InvalidParameterValue", 400, ResourceName="garbage")
        self.assertError(self.rds.add_tags_to_resource, "InvalidParameterValue", 400,
                         ResourceName="arn:aws:rds:us-east-1", Tags=[{"Key": "a", "Value": "1"}])

    def test_deleted_instance_loses_tags(self):
        arn = self.create("t2", Tags=[{"Key": "k", "Value": "v"}])["DBInstanceArn"]
        self.rds.delete_db_instance(DBInstanceIdentifier="t2", SkipFinalSnapshot=True)
        self.create("t2")
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"], [])


class MoreRulesTest(ApiTestCase):
    def test_explicit_port(self):
        # API-only mode: the requested port is reported as is; two instances may share one
        # (on AWS each has its own host; tests/e2e/test_api_ports_engines.py has more)
        lo, hi = self.server.ports
        self.create("pa", Port=hi)
        self.assertEqual(self.describe("pa")["Endpoint"]["Port"], hi)
        self.assertEqual(self.describe("pa")["DbInstancePort"], 0)
        self.create("pb", Port=hi)
        self.assertEqual(self.describe("pb")["Endpoint"]["Port"], hi)
        self.assertEqual(self.ids(), ["pa", "pb"])

    def test_modify_unknown_class_changes_nothing(self):
        self.create("mc")
        before = self.describe("mc")
        self.assertError(self.rds.modify_db_instance, "InvalidParameterCombination", 400,
                         DBInstanceIdentifier="mc", DBInstanceClass="db.nope.huge", ApplyImmediately=True)
        self.assertEqual(self.describe("mc"), before)

    def test_rename_keeps_tags(self):
        self.create("old", Tags=[{"Key": "k", "Value": "v"}])
        r = self.rds.modify_db_instance(DBInstanceIdentifier="old", NewDBInstanceIdentifier="New",
                                        ApplyImmediately=True)["DBInstance"]
        self.assertEqual(r["DBInstanceIdentifier"], "new")
        self.assertEqual(self.ids(), ["new"])
        self.assertEqual(self.describe("new")["TagList"], [{"Key": "k", "Value": "v"}])
        self.assertEqual(self.describe("new")["DBInstanceArn"], ARN_PREFIX + "new")
        self.assertError(self.rds.describe_db_instances, "DBInstanceNotFound", 404, DBInstanceIdentifier="old")

    def test_tag_limits(self):
        arn = self.create("tl")["DBInstanceArn"]
        self.assertError(self.rds.add_tags_to_resource, "InvalidParameterValue", 400,
                         ResourceName=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
        self.assertError(self.rds.add_tags_to_resource, "InvalidParameterValue", 400,
                         ResourceName=arn, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"], [])

    def test_reset_clears_everything(self):
        self.create("r1")
        self.server.admin("POST", "/_rdslocal/reset")
        self.assertEqual(self.ids(), [])
        self.assertEqual(self.rds.describe_events(SourceType="db-instance", Duration=60)["Events"], [])

    def test_stop_with_taken_snapshot_identifier_refused_and_unchanged(self):
        self.create("st")
        self.rds.create_db_snapshot(DBInstanceIdentifier="st", DBSnapshotIdentifier="snap1")
        self.assertError(self.rds.stop_db_instance, "DBSnapshotAlreadyExists", 400,
                         DBInstanceIdentifier="st", DBSnapshotIdentifier="snap1")
        self.assertEqual(self.describe("st")["DBInstanceStatus"], "available")

    def test_modify_stopped_instance_refused(self):
        self.create("ms")
        self.rds.stop_db_instance(DBInstanceIdentifier="ms")
        before = self.describe("ms")
        self.assertError(self.rds.modify_db_instance, "InvalidDBInstanceState", 400,
                         DBInstanceIdentifier="ms", DBInstanceClass="db.t3.small", ApplyImmediately=True)
        self.assertEqual(self.describe("ms"), before)


class AwsDefaultsAndLimitsTest(ApiTestCase):
    """Rules and defaults taken from the CreateDBInstance / ModifyDBInstance reference."""

    def subnet_group(self, name, n=2):
        g = self.rds.describe_db_subnet_groups(DBSubnetGroupName="default")["DBSubnetGroups"][0]
        subnets = g["Subnets"][:n]
        self.rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="two AZs",
                                        SubnetIds=[x["SubnetIdentifier"] for x in subnets])
        return [x["SubnetAvailabilityZone"]["Name"] for x in subnets]

    def test_custom_subnet_group_is_private_and_places_inside_the_group(self):
        azs = self.subnet_group("g2")
        self.create("priv", DBSubnetGroupName="g2")
        d = self.describe("priv")
        self.assertFalse(d["PubliclyAccessible"])
        self.assertIn(d["AvailabilityZone"], azs)
        self.assertTrue(self.describe_default_public())

    def describe_default_public(self):
        self.create("pub")
        return self.describe("pub")["PubliclyAccessible"]

    def test_az_outside_the_subnet_group_is_refused(self):
        azs = self.subnet_group("g3")
        outside = [a for a in ("us-east-1a", "us-east-1b", "us-east-1c") if a not in azs][0]
        self.assertError(self.rds.create_db_instance, "InvalidParameterCombination", 400,
                         contains="there is not a subnet in %s" % outside,
                         **tl.create_args("azx", DBSubnetGroupName="g3", AvailabilityZone=outside))
        self.assertEqual(self.ids(), [])

    def test_monitoring_interval_and_role_go_together(self):
        role = "arn:aws:iam::000000000000:role/rds-monitoring"
        self.assertError(self.rds.create_db_instance, "InvalidParameterCombination", 400,
                         "A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.",
                         **tl.create_args("mon1", MonitoringInterval=60))
        self.assertError(self.rds.create_db_instance, "InvalidParameterCombination", 400,
                         "You must specify a MonitoringInterval value other than 0 when you specify a MonitoringRoleARN value.",
                         **tl.create_args("mon1", MonitoringRoleArn=role))
        self.create("mon1", MonitoringInterval=60, MonitoringRoleArn=role)
        d = self.describe("mon1")
        self.assertEqual((d["MonitoringInterval"], d["MonitoringRoleArn"]), (60, role))
        self.assertIn(d["DbiResourceId"], d["EnhancedMonitoringResourceArn"])
        self.assertError(self.rds.modify_db_instance, "InvalidParameterValue", 400,
                         DBInstanceIdentifier="mon1", MonitoringInterval=7)

    def test_create_tags_follow_the_tag_rules(self):
        self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                         "Tag values may only contain unicode letters, digits, whitespace, or one of these "
                         "symbols: _ . : / = + \\ - @",
                         **tl.create_args("tg1", Tags=[{"Key": "team", "Value": "a&b"}]))
        self.assertError(self.rds.create_db_instance, "InvalidParameterValue", 400,
                         **tl.create_args("tg1", Tags=[{"Key": "rds:owner", "Value": "x"}]))
        self.assertEqual(self.ids(), [])

    def test_max_allocated_storage_needs_ten_percent_headroom(self):
        self.assertError(self.rds.create_db_instance, "InvalidParameterCombination", 400,
                         "Max storage size must be greater than storage size",
                         **tl.create_args("as1", AllocatedStorage=100, MaxAllocatedStorage=100))
        self.assertError(self.rds.create_db_instance, "InvalidParameterCombination", 400,
                         "The maximum allocated storage must be increased by at least 10 percent.",
                         **tl.create_args("as1", AllocatedStorage=100, MaxAllocatedStorage=105))
        self.create("as1", AllocatedStorage=100, MaxAllocatedStorage=110)
        self.assertEqual(self.describe("as1")["MaxAllocatedStorage"], 110)

    def test_small_storage_increase_is_rounded_up_to_ten_percent(self):
        self.create("st1", AllocatedStorage=100)
        self.rds.modify_db_instance(DBInstanceIdentifier="st1", AllocatedStorage=103, ApplyImmediately=True)
        self.assertEqual(self.describe("st1")["AllocatedStorage"], 110)

    def test_throughput_and_iops_on_small_gp3_are_refused_on_modify(self):
        self.create("st2")
        msg = "You can't specify IOPS or storage throughput for engine postgres and a storage size less than 400."
        self.assertError(self.rds.modify_db_instance, "InvalidParameterCombination", 400, msg,
                         DBInstanceIdentifier="st2", Iops=5000, ApplyImmediately=True)
        self.assertError(self.rds.modify_db_instance, "InvalidParameterCombination", 400, msg,
                         DBInstanceIdentifier="st2", StorageThroughput=500, ApplyImmediately=True)
        self.assertEqual(self.describe("st2")["Iops"], 3000)

    def test_rename_without_apply_immediately_waits_for_the_window(self):
        self.create("old-name", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
                    PreferredBackupWindow="02:00-02:30", Tags=[{"Key": "team", "Value": "a"}])
        r = self.rds.modify_db_instance(DBInstanceIdentifier="old-name",
                                        NewDBInstanceIdentifier="new-name")["DBInstance"]
        self.assertEqual(r["PendingModifiedValues"]["DBInstanceIdentifier"], "new-name")
        self.assertEqual(self.ids(), ["old-name"])
        self.advance(8 * 86400)
        tl.wait_for(lambda: self.ids() == ["new-name"], 5, 0.1, "rename applied in the window")
        d = self.describe("new-name")
        self.assertEqual(d["PendingModifiedValues"], {})
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=d["DBInstanceArn"])["TagList"],
                         [{"Key": "team", "Value": "a"}])


if __name__ == "__main__":
    main()
