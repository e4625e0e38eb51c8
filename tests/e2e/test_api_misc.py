"""End-to-end API tests (API-only mode): DB subnet groups, engine versions, orderable
options, events (messages, categories, Duration, 14-day retention), regions, realistic
timing, and the real AWS CLI."""
import os
import time

from api_helpers import ApiTestCase, main
import rdslocal_testlib as tl


class SubnetGroupTest(ApiTestCase):
    def default_subnets(self):
        g = self.rds.describe_db_subnet_groups(DBSubnetGroupName="default")["DBSubnetGroups"][0]
        return g, [s["SubnetIdentifier"] for s in g["Subnets"]], [s["SubnetAvailabilityZone"]["Name"]
                                                                 for s in g["Subnets"]]

    def test_default_group(self):
        g, ids, azs = self.default_subnets()
        self.assertEqual(g["DBSubnetGroupName"], "default")
        self.assertEqual(len(ids), 3)
        self.assertEqual(len(set(azs)), 3)
        self.assertRegex(g["VpcId"], r"^vpc-[0-9a-f]+$")
        self.assertEqual(g["SubnetGroupStatus"], "Complete")
        self.assertTrue(all(s["SubnetStatus"] == "Active" for s in g["Subnets"]))

    def test_create_describe_modify_delete(self):
        g0, ids, azs = self.default_subnets()
        g = self.rds.create_db_subnet_group(DBSubnetGroupName="MyGroup", DBSubnetGroupDescription="two",
                                            SubnetIds=ids[:2])["DBSubnetGroup"]
        self.assertEqual(g["DBSubnetGroupName"], "mygroup")
        self.assertEqual(g["DBSubnetGroupDescription"], "two")
        self.assertEqual(g["VpcId"], g0["VpcId"])
        self.assertEqual(sorted(s["SubnetIdentifier"] for s in g["Subnets"]), sorted(ids[:2]))
        self.assertEqual(g["DBSubnetGroupArn"], "arn:aws:rds:us-east-1:000000000000:subgrp:mygroup")
        names = [x["DBSubnetGroupName"] for x in self.rds.describe_db_subnet_groups()["DBSubnetGroups"]]
        self.assertIn("mygroup", names)
        self.assertIn("default", names)
        self.assertError(self.rds.create_db_subnet_group, "DBSubnetGroupAlreadyExists", 400,
                         DBSubnetGroupName="mygroup", DBSubnetGroupDescription="x", SubnetIds=ids[:2])
        self.rds.modify_db_subnet_group(DBSubnetGroupName="mygroup", DBSubnetGroupDescription="three",
                                        SubnetIds=ids)
        g = self.rds.describe_db_subnet_groups(DBSubnetGroupName="mygroup")["DBSubnetGroups"][0]
        self.assertEqual(g["DBSubnetGroupDescription"], "three")
        self.assertEqual(len(g["Subnets"]), 3)
        self.rds.delete_db_subnet_group(DBSubnetGroupName="mygroup")
        self.assertError(self.rds.describe_db_subnet_groups, "DBSubnetGroupNotFoundFault", 404,
                         DBSubnetGroupName="mygroup")

    def test_create_needs_two_azs_and_real_subnets(self):
        _, ids, _ = self.default_subnets()
        self.assertError(self.rds.create_db_subnet_group, "DBSubnetGroupDoesNotCoverEnoughAZs", 400,
                         DBSubnetGroupName="one", DBSubnetGroupDescription="x", SubnetIds=ids[:1])
        self.assertError(self.rds.create_db_subnet_group, "InvalidParameterValue", 400,
                         DBSubnetGroupName="bogus", DBSubnetGroupDescription="x",
                         SubnetIds=[ids[0], "subnet-00000000"])
        names = [x["DBSubnetGroupName"] for x in self.rds.describe_db_subnet_groups()["DBSubnetGroups"]]
        self.assertEqual(names, ["default"])

    def test_instance_in_group_and_delete_in_use(self):
        _, ids, _ = self.default_subnets()
        self.rds.create_db_subnet_group(DBSubnetGroupName="used", DBSubnetGroupDescription="x", SubnetIds=ids[1:])
        d = self.create("ing", DBSubnetGroupName="used")
        self.assertEqual(d["DBSubnetGroup"]["DBSubnetGroupName"], "used")
        self.assertEqual(self.describe("ing")["DBSubnetGroup"]["DBSubnetGroupName"], "used")
        self.assertEqual(len(self.describe("ing")["DBSubnetGroup"]["Subnets"]), 2)
        self.assertError(self.rds.delete_db_subnet_group, "InvalidDBSubnetGroupStateFault", 400,
                         DBSubnetGroupName="used")
        self.assertEqual(len(self.rds.describe_db_subnet_groups(DBSubnetGroupName="used")["DBSubnetGroups"]), 1)
        self.rds.delete_db_instance(DBInstanceIdentifier="ing", SkipFinalSnapshot=True)
        self.rds.delete_db_subnet_group(DBSubnetGroupName="used")

    def test_unknown_group(self):
        _, ids, _ = self.default_subnets()
        self.assertError(self.rds.describe_db_subnet_groups, "DBSubnetGroupNotFoundFault", 404,
                         DBSubnetGroupName="nosuch")
        self.assertError(self.rds.delete_db_subnet_group, "DBSubnetGroupNotFoundFault", 404,
                         DBSubnetGroupName="nosuch")
        self.assertError(self.rds.modify_db_subnet_group, "DBSubnetGroupNotFoundFault", 404,
                         DBSubnetGroupName="nosuch", SubnetIds=ids)
        self.assertError(self.rds.create_db_instance, "DBSubnetGroupNotFoundFault", 404,
                         **tl.create_args("nogroup", DBSubnetGroupName="nosuch"))
        self.assertEqual(self.ids(), [])

    def test_delete_default_refused(self):
        self.assertError(self.rds.delete_db_subnet_group, "InvalidDBSubnetGroupStateFault", 400,
                         DBSubnetGroupName="default")


class CatalogTest(ApiTestCase):
    def test_engine_versions(self):
        vs = self.rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
        self.assertTrue(vs)
        installed = sorted(int(x) for x in os.listdir("/usr/lib/postgresql") if x.isdigit())
        majors = sorted({int(v["EngineVersion"].split(".")[0]) for v in vs})
        self.assertEqual(majors, installed)
        for v in vs:
            self.assertEqual(v["Engine"], "postgres")
            self.assertEqual(v["DBParameterGroupFamily"], "postgres" + v["EngineVersion"].split(".")[0])
        d = self.rds.describe_db_engine_versions(Engine="postgres", DefaultOnly=True)["DBEngineVersions"]
        self.assertEqual(len(d), 1)
        # the default is what a create without EngineVersion gets
        inst = self.create("dflt")
        self.assertEqual(inst["EngineVersion"], d[0]["EngineVersion"])
        self.assertEqual(self.rds.describe_db_engine_versions(Engine="mysql")["DBEngineVersions"], [])

    def test_orderable_options(self):
        pages = self.rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="postgres")
        opts = [o for p in pages for o in p["OrderableDBInstanceOptions"]]
        classes = {o["DBInstanceClass"] for o in opts}
        self.assertIn("db.t3.micro", classes)
        o = [o for o in opts if o["DBInstanceClass"] == "db.t3.micro"][0]
        self.assertEqual(o["Engine"], "postgres")
        self.assertIn("StorageType", o)
        micro = self.rds.describe_orderable_db_instance_options(
            Engine="postgres", DBInstanceClass="db.t3.micro")["OrderableDBInstanceOptions"]
        self.assertTrue(micro)
        self.assertTrue(all(x["DBInstanceClass"] == "db.t3.micro" for x in micro))


class EventsTest(ApiTestCase):
    def events(self, ident, **kw):
        return self.rds.describe_events(SourceType="db-instance", SourceIdentifier=ident, **kw)["Events"]

    def test_lifecycle_events(self):
        self.create("ev1")
        self.create("other")
        self.rds.stop_db_instance(DBInstanceIdentifier="ev1")
        self.rds.start_db_instance(DBInstanceIdentifier="ev1")
        self.rds.delete_db_instance(DBInstanceIdentifier="ev1", SkipFinalSnapshot=True)
        ev = self.events("ev1")
        got = [(e["Message"], e["EventCategories"]) for e in ev]
        self.assertEqual(got, [("DB instance created", ["creation"]),
                               ("DB instance stopped", ["notification"]),
                               ("DB instance started", ["notification"]),
                               ("DB instance deleted", ["deletion"])])
        for e in ev:
            self.assertEqual(e["SourceIdentifier"], "ev1")
            self.assertEqual(e["SourceType"], "db-instance")
            self.assertEqual(e["SourceArn"], "arn:aws:rds:us-east-1:000000000000:db:ev1")
            self.assertIn("Date", e)
        ids = [e["SourceIdentifier"] for e in self.rds.describe_events(SourceType="db-instance")["Events"]]
        self.assertIn("other", ids)
        only = self.events("ev1", EventCategories=["notification"])
        self.assertEqual([e["Message"] for e in only], ["DB instance stopped", "DB instance started"])
        self.assertError(self.rds.describe_events, "InvalidParameterValue", 400,
                         SourceType="db-instance", EventCategories=["nonsense"])

    def test_duration_and_retention(self):
        self.create("ev2", BackupRetentionPeriod=0)  # counts every event: no automated backups
        self.assertEqual(len(self.events("ev2", Duration=60)), 1)
        self.advance(2 * 3600)
        self.assertEqual(self.events("ev2"), [])          # default: the past hour
        self.assertEqual(len(self.events("ev2", Duration=180)), 1)
        self.assertEqual(len(self.events("ev2", Duration=14 * 1440)), 1)
        self.advance(15 * 86400)
        # events older than 14 days are gone (pruned by the server's tick)
        tl.wait_for(lambda: self.events("ev2", Duration=20160) == [], 5, 0.1, "old events pruned")


class RegionTest(ApiTestCase):
    def test_regions_are_separate(self):
        self.create("east")
        eu = self.server.client(region="eu-west-1")
        self.assertEqual(eu.describe_db_instances()["DBInstances"], [])
        self.assertError(eu.describe_db_instances, "DBInstanceNotFound", 404, "DBInstance east not found.",
                         DBInstanceIdentifier="east")
        d = eu.create_db_instance(**tl.create_args("west"))["DBInstance"]
        self.assertEqual(d["DBInstanceArn"], "arn:aws:rds:eu-west-1:000000000000:db:west")
        self.assertTrue(all(s["SubnetAvailabilityZone"]["Name"].startswith("eu-west-1")
                            for s in d["DBSubnetGroup"]["Subnets"]))
        # the create response has no AZ yet (as on AWS); the instance has one afterwards
        placed = eu.describe_db_instances(DBInstanceIdentifier="west")["DBInstances"][0]
        self.assertTrue(placed["AvailabilityZone"].startswith("eu-west-1"))
        self.assertEqual(self.ids(), ["east"])
        # the same identifier may exist in both regions
        eu.create_db_instance(**tl.create_args("east"))
        self.assertEqual([x["DBInstanceIdentifier"] for x in eu.describe_db_instances()["DBInstances"]],
                         ["east", "west"])
        # an ARN of the other region is not found here
        self.assertError(self.rds.list_tags_for_resource, "InvalidParameterValue", 400,
                         ResourceName="arn:aws:rds:eu-west-1:000000000000:db:west")


class RealisticTimingTest(ApiTestCase):
    server_args = ("--realistic-timing", "2")

    def test_transitional_status_visible_then_available(self):
        t0 = time.time()
        self.create("slow")
        self.assertEqual(self.describe("slow")["DBInstanceStatus"], "creating")
        tl.wait_for(lambda: self.describe("slow")["DBInstanceStatus"] == "available", 10, 0.1, "available")
        self.assertGreater(time.time() - t0, 1.5)
        self.rds.stop_db_instance(DBInstanceIdentifier="slow")
        self.assertEqual(self.describe("slow")["DBInstanceStatus"], "stopping")
        tl.wait_for(lambda: self.describe("slow")["DBInstanceStatus"] == "stopped", 10, 0.1, "stopped")
        self.rds.start_db_instance(DBInstanceIdentifier="slow")
        tl.wait_for(lambda: self.describe("slow")["DBInstanceStatus"] == "available", 10, 0.1, "started")
        self.rds.delete_db_instance(DBInstanceIdentifier="slow", SkipFinalSnapshot=True)
        self.assertEqual(self.describe("slow")["DBInstanceStatus"], "deleting")
        self.rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="slow",
                                                        WaiterConfig={"Delay": 1, "MaxAttempts": 10})


class CliTest(ApiTestCase):
    def test_cli_create_describe_delete(self):
        rc, out, _ = self.server.cli("rds", "create-db-instance", "--db-instance-identifier", "cli1",
                                     "--engine", "postgres", "--db-instance-class", "db.t3.micro",
                                     "--allocated-storage", "20", "--master-username", "app",
                                     "--master-user-password", "S3cret-pass",
                                     "--tags", "Key=team,Value=qa")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "creating")
        self.server.cli("rds", "wait", "db-instance-available", "--db-instance-identifier", "cli1")
        rc, out, _ = self.server.cli("rds", "describe-db-instances", "--db-instance-identifier", "cli1",
                                     "--query", "DBInstances[0].[DBInstanceStatus,Endpoint.Address,TagList]")
        self.assertEqual(out, ["available", "localhost", [{"Key": "team", "Value": "qa"}]])
        rc, out, err = self.server.cli("rds", "delete-db-instance", "--db-instance-identifier", "cli1", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidParameterCombination", err)
        self.assertIn("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.", err)
        rc, out, _ = self.server.cli("rds", "delete-db-instance", "--db-instance-identifier", "cli1",
                                     "--skip-final-snapshot")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "deleting")
        self.server.cli("rds", "wait", "db-instance-deleted", "--db-instance-identifier", "cli1")
        rc, out, err = self.server.cli("rds", "describe-db-instances", "--db-instance-identifier", "cli1",
                                       check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("DBInstanceNotFound", err)
        self.assertIn("DBInstance cli1 not found.", err)


if __name__ == "__main__":
    main()
