"""End-to-end API fidelity tests (API-only mode): answers that must match real AWS RDS in
shape, code and message. DescribeOrderableDBInstanceOptions rows per storage type and its
filters and paging; DescribeEventCategories for every source type; DB subnet group errors
(unknown and missing subnets, AZ coverage, in-use, the built-in "default" group); tag rules;
DescribeDBEngineVersions MaxRecords and DefaultOnly per major. The source of each AWS message
is cited in the C code that produces it (engine/subnet_groups/subnet_groups.c, engine/rules/rules_events.c)."""
import os
import shutil
import stat
import tempfile

from api_helpers import ApiTestCase, main

ACCOUNT = "000000000000"
DEFAULT_ARN = "arn:aws:rds:us-east-1:%s:subgrp:default" % ACCOUNT


class OrderableOptionsTest(ApiTestCase):
    def version(self):
        return self.rds.describe_db_engine_versions(Engine="postgres", DefaultOnly=True)[
            "DBEngineVersions"][0]["EngineVersion"]

    def rows(self, **kw):
        return self.rds.describe_orderable_db_instance_options(Engine="postgres", **kw)[
            "OrderableDBInstanceOptions"]

    def test_one_row_per_storage_type_with_its_limits(self):
        rows = self.rows(DBInstanceClass="db.t3.micro", EngineVersion=self.version())
        by_type = {r["StorageType"]: r for r in rows}
        self.assertEqual(len(rows), 5)
        self.assertEqual(sorted(by_type), ["gp2", "gp3", "io1", "io2", "standard"])
        gp2, gp3, io1, io2, std = (by_type[t] for t in ("gp2", "gp3", "io1", "io2", "standard"))
        self.assertEqual((gp2["MinStorageSize"], gp2["MaxStorageSize"]), (20, 65536))
        self.assertFalse(gp2["SupportsIops"])
        self.assertFalse(gp2["SupportsStorageThroughput"])
        self.assertNotIn("MinIopsPerDbInstance", gp2)
        self.assertEqual((gp3["MinStorageSize"], gp3["MaxStorageSize"]), (20, 65536))
        self.assertTrue(gp3["SupportsIops"])
        self.assertEqual((gp3["MinIopsPerDbInstance"], gp3["MaxIopsPerDbInstance"]), (12000, 64000))
        self.assertTrue(gp3["SupportsStorageThroughput"])
        self.assertEqual((gp3["MinStorageThroughputPerDbInstance"],
                          gp3["MaxStorageThroughputPerDbInstance"]), (500, 4000))
        self.assertEqual(gp3["MaxStorageThroughputPerIops"], 0.25)
        self.assertEqual((io1["MinStorageSize"], io1["MaxStorageSize"]), (100, 65536))
        self.assertTrue(io1["SupportsIops"])
        self.assertEqual((io1["MinIopsPerDbInstance"], io1["MaxIopsPerDbInstance"]), (1000, 256000))
        self.assertEqual((io1["MinIopsPerGib"], io1["MaxIopsPerGib"]), (0.5, 50.0))
        self.assertFalse(io1["SupportsStorageThroughput"])
        self.assertEqual((io2["MinIopsPerGib"], io2["MaxIopsPerGib"]), (0.5, 1000.0))
        self.assertEqual((std["MinStorageSize"], std["MaxStorageSize"]), (5, 3072))
        self.assertFalse(std["SupportsIops"])
        for r in rows:
            self.assertEqual(r["DBInstanceClass"], "db.t3.micro")
            self.assertEqual(r["LicenseModel"], "postgresql-license")
            self.assertTrue(r["Vpc"])

    def test_the_advertised_ranges_are_what_create_accepts(self):
        rows = self.rows(DBInstanceClass="db.t3.micro", EngineVersion=self.version())
        for r in rows:
            kw = dict(StorageType=r["StorageType"], AllocatedStorage=r["MinStorageSize"])
            if r["StorageType"] in ("io1", "io2"):
                kw["Iops"] = r["MinIopsPerDbInstance"]
                kw["AllocatedStorage"] = max(r["MinStorageSize"],
                                             int(r["MinIopsPerDbInstance"] / r["MaxIopsPerGib"]))
            ident = "ord-" + r["StorageType"]
            self.create(ident, **kw)
            self.assertEqual(self.describe(ident)["StorageType"], r["StorageType"])
            self.assertError(self.create, "InvalidParameterCombination", 400, ident=ident + "-small",
                             **dict(kw, AllocatedStorage=r["MinStorageSize"] - 1))

    def test_filters(self):
        v = self.version()
        base = dict(DBInstanceClass="db.m5.large", EngineVersion=v)
        self.assertEqual(len(self.rows(**base)), 5)
        self.assertEqual(len(self.rows(LicenseModel="postgresql-license", **base)), 5)
        self.assertEqual(self.rows(LicenseModel="license-included", **base), [])
        self.assertEqual(len(self.rows(Vpc=True, **base)), 5)
        self.assertEqual(self.rows(Vpc=False, **base), [])
        self.assertEqual(len(self.rows(AvailabilityZoneGroup="us-east-1", **base)), 5)
        self.assertEqual(self.rows(AvailabilityZoneGroup="us-west-2-lax-1", **base), [])
        self.assertEqual(self.rows(DBInstanceClass="db.t2.micro", EngineVersion=v), [])
        self.assertEqual(self.rds.describe_orderable_db_instance_options(Engine="mysql")[
            "OrderableDBInstanceOptions"], [])

    def test_max_records_and_paging(self):
        for bad in (19, 1001):
            self.assertError(self.rds.describe_orderable_db_instance_options, "InvalidParameterValue", 400,
                             "Invalid value %d for MaxRecords. Must be between 20 and 1000" % bad,
                             Engine="postgres", MaxRecords=bad)
        first = self.rds.describe_orderable_db_instance_options(Engine="postgres")
        self.assertEqual(len(first["OrderableDBInstanceOptions"]), 100)   # the model's default
        self.assertIn("Marker", first)
        big = self.rds.describe_orderable_db_instance_options(Engine="postgres", MaxRecords=1000)
        self.assertEqual(len(big["OrderableDBInstanceOptions"]), 1000)
        # paging visits every (version, class, storage type) exactly once
        pages = self.rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine="postgres", PaginationConfig={"PageSize": 20})
        keys = [(o["EngineVersion"], o["DBInstanceClass"], o["StorageType"])
                for p in pages for o in p["OrderableDBInstanceOptions"]]
        self.assertEqual(len(keys), len(set(keys)))
        versions = {k[0] for k in keys}
        classes = {k[1] for k in keys}
        self.assertEqual(len(keys), len(versions) * len(classes) * 5)
        self.assertEqual(keys[:100], [(o["EngineVersion"], o["DBInstanceClass"], o["StorageType"])
                                      for o in first["OrderableDBInstanceOptions"]])


class EventCategoriesTest(ApiTestCase):
    def maps(self, **kw):
        return {m["SourceType"]: m["EventCategories"]
                for m in self.rds.describe_event_categories(**kw)["EventCategoriesMapList"]}

    def test_every_source_type_listed(self):
        m = self.maps()
        for t in ("db-instance", "db-security-group", "db-parameter-group", "db-snapshot",
                  "db-cluster", "db-cluster-snapshot", "db-proxy"):
            self.assertIn(t, m)
            self.assertTrue(m[t], t)
        self.assertIn("failover", m["db-cluster"])
        self.assertIn("backtrack", m["db-cluster"])
        self.assertIn("backup", m["db-cluster-snapshot"])
        self.assertIn("low storage", m["db-instance"])
        self.assertEqual(m["db-parameter-group"], ["configuration change"])

    def test_source_type_filter(self):
        for t in ("db-cluster", "db-cluster-snapshot", "db-snapshot", "blue-green-deployment"):
            m = self.maps(SourceType=t)
            self.assertEqual(list(m), [t])
            self.assertEqual(m[t], self.maps()[t])
        self.assertError(self.rds.describe_event_categories, "InvalidParameterValue", 400,
                         SourceType="db-nonsense")


class SubnetGroupFidelityTest(ApiTestCase):
    def default_group(self):
        return self.rds.describe_db_subnet_groups(DBSubnetGroupName="default")["DBSubnetGroups"][0]

    def subnets(self):
        return [(s["SubnetIdentifier"], s["SubnetAvailabilityZone"]["Name"])
                for s in self.default_group()["Subnets"]]

    def names(self):
        return [g["DBSubnetGroupName"] for g in self.rds.describe_db_subnet_groups()["DBSubnetGroups"]]

    def test_unknown_subnet_ids(self):
        (a, _), _, _ = self.subnets()
        self.assertError(self.rds.create_db_subnet_group, "InvalidParameterValue", 400,
                         "Some input subnets in :[%s, subnet-00000000] are invalid." % a,
                         DBSubnetGroupName="bogus", DBSubnetGroupDescription="x",
                         SubnetIds=[a, "subnet-00000000"])
        self.assertError(self.rds.create_db_subnet_group, "InvalidParameterValue", 400,
                         "Some input subnets in :[10.0.10.0/24] are invalid.",
                         DBSubnetGroupName="bogus", DBSubnetGroupDescription="x", SubnetIds=["10.0.10.0/24"])
        self.assertEqual(self.names(), ["default"])

    def test_no_subnet_ids(self):
        self.assertError(self.rds.create_db_subnet_group, "InvalidSubnet", 400, "Subnet IDs are required.",
                         DBSubnetGroupName="empty", DBSubnetGroupDescription="x", SubnetIds=[])
        self.assertEqual(self.names(), ["default"])

    def test_az_coverage_names_the_covered_az(self):
        subnets = self.subnets()
        for sid, az in subnets[1:]:   # not the first AZ: the message must name the one covered
            self.assertError(self.rds.create_db_subnet_group, "DBSubnetGroupDoesNotCoverEnoughAZs", 400,
                             "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                             "Current AZ coverage: %s. Add subnets to cover at least 2 AZs." % az,
                             DBSubnetGroupName="one", DBSubnetGroupDescription="x", SubnetIds=[sid, sid])
        ids = [s for s, _ in subnets]
        self.rds.create_db_subnet_group(DBSubnetGroupName="two", DBSubnetGroupDescription="x", SubnetIds=ids[:2])
        self.assertError(self.rds.modify_db_subnet_group, "DBSubnetGroupDoesNotCoverEnoughAZs", 400,
                         contains="Current AZ coverage: %s." % subnets[2][1],
                         DBSubnetGroupName="two", SubnetIds=[ids[2]])
        g = self.rds.describe_db_subnet_groups(DBSubnetGroupName="two")["DBSubnetGroups"][0]
        self.assertEqual(sorted(s["SubnetIdentifier"] for s in g["Subnets"]), sorted(ids[:2]))

    def test_delete_in_use_names_the_instance(self):
        ids = [s for s, _ in self.subnets()]
        self.rds.create_db_subnet_group(DBSubnetGroupName="used", DBSubnetGroupDescription="x", SubnetIds=ids)
        self.create("zz-user", DBSubnetGroupName="used")
        self.create("aa-other")   # in the default group: not named
        self.assertError(self.rds.delete_db_subnet_group, "InvalidDBSubnetGroupStateFault", 400,
                         "Cannot delete the subnet group 'used' because at least one database instance: "
                         "zz-user is still using it.", DBSubnetGroupName="used")
        self.assertIn("used", self.names())

    def test_default_group_tags(self):
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=DEFAULT_ARN)["TagList"], [])
        self.rds.add_tags_to_resource(ResourceName=DEFAULT_ARN, Tags=[{"Key": "team", "Value": "qa"}])
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=DEFAULT_ARN)["TagList"],
                         [{"Key": "team", "Value": "qa"}])
        self.rds.remove_tags_from_resource(ResourceName=DEFAULT_ARN, TagKeys=["team"])
        self.assertEqual(self.rds.list_tags_for_resource(ResourceName=DEFAULT_ARN)["TagList"], [])
        self.assertEqual(self.default_group()["DBSubnetGroupArn"], DEFAULT_ARN)

    def test_default_group_cannot_be_modified_or_deleted(self):
        before = self.default_group()
        ids = [s for s, _ in self.subnets()]
        self.assertError(self.rds.modify_db_subnet_group, "InvalidParameterValue", 400,
                         "Cannot modify a default DB subnet group.",
                         DBSubnetGroupName="default", DBSubnetGroupDescription="mine", SubnetIds=ids[:2])
        self.assertError(self.rds.modify_db_subnet_group, "InvalidParameterValue", 400,
                         "Cannot modify a default DB subnet group.",
                         DBSubnetGroupName="Default", SubnetIds=ids)
        self.assertError(self.rds.delete_db_subnet_group, "InvalidDBSubnetGroupStateFault", 400,
                         "Default DBSubnetGroup cannot be deleted: default", DBSubnetGroupName="default")
        self.assertEqual(self.default_group(), before)


class TagRulesTest(ApiTestCase):
    KEY_CHARS = ("Tag keys may only contain unicode letters, digits, whitespace, or one of these symbols: "
                 "_ . : / = + \\ - @")
    VALUE_CHARS = ("Tag values may only contain unicode letters, digits, whitespace, or one of these symbols: "
                   "_ . : / = + \\ - @")

    def setUp(self):
        super().setUp()
        self.arn = self.create("tagged")["DBInstanceArn"]

    def add(self, *pairs):
        self.rds.add_tags_to_resource(ResourceName=self.arn, Tags=[{"Key": k, "Value": v} for k, v in pairs])

    def tags(self):
        return {t["Key"]: t["Value"] for t in self.rds.list_tags_for_resource(ResourceName=self.arn)["TagList"]}

    def refused(self, message, *pairs):
        before = self.tags()
        self.assertError(lambda: self.add(*pairs), "InvalidParameterValue", 400, message)
        self.assertEqual(self.tags(), before)

    def test_lengths_count_characters_not_bytes(self):
        self.add(("é" * 128, "ü" * 256), ("empty", ""))
        self.assertEqual(self.tags(), {"é" * 128: "ü" * 256, "empty": ""})
        self.refused("Tag keys must be between 1 and 128 characters in length.", ("k" * 129, "v"))
        self.refused("Tag values must be between 0 and 256 characters in length.", ("k", "v" * 257))

    def test_characters(self):
        self.add(("k_.:/=+-@ 9", "v_.:/=+-@ 9"), ("チーム", "開発"))
        self.refused(self.VALUE_CHARS, ("schedule", "off(M-F,18)"))
        self.refused(self.KEY_CHARS, ("a,b", "v"))
        self.refused(self.KEY_CHARS, ("back\\slash", "v"))
        self.refused(self.VALUE_CHARS, ("ok", "semi;colon"))

    def test_reserved_prefixes(self):
        self.refused('Tag keys cannot start with the reserved prefix "aws:".', ("aws:cloudformation:stack-id", "v"))
        self.refused('Tag keys cannot start with the reserved prefix "rds:".', ("rds:x", "v"))
        self.refused('Tag values cannot start with the reserved prefix "aws:".', ("k", "aws:x"))
        self.refused('Tag values cannot start with the reserved prefix "rds:".', ("k", "rds:x"))
        self.add(("awsome", "rds-ok"))
        self.assertEqual(self.tags()["awsome"], "rds-ok")

    def test_fifty_per_resource(self):
        self.add(*[("k%d" % i, "v") for i in range(49)])
        self.add(("k0", "again"), ("k49", "v"))          # an existing key does not count twice
        self.assertEqual(len(self.tags()), 50)
        self.refused("Cannot add more than 50 tags to a resource.", ("k50", "v"))

    def test_one_bad_tag_refuses_the_request(self):
        self.refused(self.VALUE_CHARS, ("good", "v"), ("bad", "x(y)"))
        self.assertNotIn("good", self.tags())


class EngineVersionsFidelityTest(ApiTestCase):
    """A fake older major (12.22) beside the installed postgres, found through --pg-bin-dirs:
    in API-only mode only `postgres --version` is run."""

    @classmethod
    def setUpClass(cls):
        cls.fake_dir = tempfile.mkdtemp(prefix="rdslocal-fakepg-")
        os.chmod(cls.fake_dir, 0o755)
        for name, body in (("postgres", "echo 'postgres (PostgreSQL) 12.22'"), ("initdb", "exit 1")):
            path = os.path.join(cls.fake_dir, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n%s\n" % body)
            os.chmod(path, 0o755 | stat.S_IXUSR)
        cls.server_args = ("--pg-bin-dirs", cls.fake_dir)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.fake_dir, ignore_errors=True)

    def versions(self, **kw):
        return [v["EngineVersion"] for v in
                self.rds.describe_db_engine_versions(Engine="postgres", **kw)["DBEngineVersions"]]

    def test_default_only_per_major(self):
        allv = self.versions()
        self.assertIn("12.22", allv)
        newest = allv[-1]
        self.assertNotEqual(newest, "12.22")
        self.assertEqual(self.versions(DefaultOnly=True), [newest])
        self.assertEqual(self.versions(DefaultOnly=True, EngineVersion="12"), ["12.22"])
        self.assertEqual(self.versions(DefaultOnly=True, DBParameterGroupFamily="postgres12"), ["12.22"])
        major = newest.split(".")[0]
        self.assertEqual(self.versions(DefaultOnly=True, EngineVersion=major), [newest])
        self.assertEqual(self.versions(EngineVersion="12"), ["12.22"])

    def test_max_records(self):
        for bad in (19, 101):
            self.assertError(self.rds.describe_db_engine_versions, "InvalidParameterValue", 400,
                             "Invalid value %d for MaxRecords. Must be between 20 and 100" % bad,
                             Engine="postgres", MaxRecords=bad)
        self.assertEqual(self.versions(MaxRecords=20), self.versions())
        self.assertEqual(self.versions(MaxRecords=100), self.versions())


if __name__ == "__main__":
    main()
