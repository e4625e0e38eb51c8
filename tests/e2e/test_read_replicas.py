"""End-to-end tests of read replicas (issue 10 part 5) on real PostgreSQL, with boto3, the
AWS CLI and psql: a replica sees its source's writes and refuses writes with PostgreSQL's
read-only error; Describe shows both sides of the link and StatusInfos; PromoteReadReplica
makes it standalone and writable (backups as requested, events); cross-region replicas
(two regions through the client's region) and the encryption rules with AWS's exact
codes, messages and HTTP statuses; the backup-retention rules; deleting a source promotes
its replicas; replicas stay replicas across SIGTERM and kill -9 of rdslocal; the admin
health reports the measured lag; reset leaves nothing."""
import glob
import json
import os
import shutil
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

import rdslocal_testlib as tl

PW = "S3cret-pass"
JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")


class ReadReplicaTest(tl.PgTestCase):
    def source(self, ident="src", **kw):
        d = self.create(ident, DBName="appdb", **kw)
        self.sql(d, "create table t (n int primary key, s text); "
                    "insert into t select g, 'before' from generate_series(1, 100) g", db="appdb")
        return d

    def replica(self, ident, source, client=None, **kw):
        c = client or self.rds
        r = c.create_db_instance_read_replica(DBInstanceIdentifier=ident, SourceDBInstanceIdentifier=source,
                                              **kw)["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "creating")
        return r

    def count(self, d):
        return self.sql(d, "select count(*) from t", db="appdb")

    def wait_count(self, d, want):
        tl.wait_for(lambda: self.count(d) == want, 10, interval=0.02, what="replica to have %s rows" % want)

    def err(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]

    def read_only_error(self, d, sql):
        ep = d["Endpoint"]
        rc, _, err = tl.psql(ep["Port"], "app", PW, sql, db="appdb", host=ep["Address"])
        self.assertNotEqual(rc, 0)
        return err

    def events(self, ident, client=None):
        c = client or self.rds
        ev = c.describe_events(SourceIdentifier=ident, SourceType="db-instance")["Events"]
        return [(e["Message"], e.get("SourceArn", "")) for e in ev], [e["EventCategories"] for e in ev]

    def test_replica_streams_refuses_writes_and_shows_the_link(self):
        s = self.source()
        r = self.replica("rep", "src")
        self.assertEqual(r["ReadReplicaSourceDBInstanceIdentifier"], "src")
        r = tl.describe_one(self.rds, "rep")
        self.assertEqual(r["DBInstanceStatus"], "available")
        self.assertNotEqual(r["Endpoint"]["Port"], s["Endpoint"]["Port"])
        self.assertEqual(r["ReadReplicaSourceDBInstanceIdentifier"], "src")
        self.assertEqual(r["BackupRetentionPeriod"], 0)
        self.assertEqual(r["MasterUsername"], "app")
        self.assertEqual(r["DBName"], "appdb")
        self.assertEqual(r["StatusInfos"], [{"StatusType": "read replication", "Normal": True,
                                             "Status": "replicating"}])
        self.assertEqual(tl.describe_one(self.rds, "src")["ReadReplicaDBInstanceIdentifiers"], ["rep"])
        self.assertNotIn("StatusInfos", tl.describe_one(self.rds, "src"))
        # the master user logs in with the source's password; the copy and the stream
        self.assertEqual(self.count(r), "100")
        self.sql(s, "insert into t select g, 'after' from generate_series(101, 150) g", db="appdb")
        self.wait_count(r, "150")
        self.assertEqual(self.sql(r, "select pg_is_in_recovery()", db="appdb"), "t")
        # writes fail as they do on RDS
        self.assertIn("ERROR:  cannot execute INSERT in a read-only transaction",
                      self.read_only_error(r, "insert into t values (999, 'x')"))
        self.assertIn("ERROR:  cannot execute CREATE TABLE in a read-only transaction",
                      self.read_only_error(r, "create table u (i int)"))
        # the replica's creation event; the lag the health reports
        msgs, _ = self.events("rep")
        self.assertIn("DB instance created", [m for m, _ in msgs])
        h = self.server.admin("GET", "/_rdslocal/health")["replicas"]
        self.assertEqual(len(h), 1)
        self.assertEqual((h[0]["id"], h[0]["region"], h[0]["state"]), ("rep", "us-east-1", "replicating"))
        self.assertEqual(h[0]["source"], "arn:aws:rds:us-east-1:000000000000:db:src")
        self.assertGreaterEqual(h[0]["lag_ms"], 0)
        # a Multi-AZ replica is allowed and recorded as such
        m = self.replica("rep-maz", "src", MultiAZ=True)
        m = tl.describe_one(self.rds, "rep-maz")
        self.assertTrue(m["MultiAZ"])
        self.assertNotEqual(m["SecondaryAvailabilityZone"], m["AvailabilityZone"])
        self.assertEqual(sorted(tl.describe_one(self.rds, "src")["ReadReplicaDBInstanceIdentifiers"]),
                         ["rep", "rep-maz"])
        # the source moves to another port: its replicas follow it
        new_port = self.server.ports[1]
        self.rds.modify_db_instance(DBInstanceIdentifier="src", DBPortNumber=new_port, ApplyImmediately=True)
        s = tl.describe_one(self.rds, "src")
        self.assertEqual(s["Endpoint"]["Port"], new_port)
        self.sql(s, "insert into t values (160, 'new port')", db="appdb")
        self.wait_count(r, "151")
        self.wait_count(m, "151")

    def test_promote_makes_it_standalone_and_writable(self):
        s = self.source()
        self.replica("rep", "src")
        p = self.rds.promote_read_replica(DBInstanceIdentifier="rep", BackupRetentionPeriod=3,
                                          PreferredBackupWindow="03:00-03:30")["DBInstance"]
        self.assertEqual(p["DBInstanceStatus"], "modifying")
        r = tl.wait_status(self.rds, "rep", "available")
        self.assertNotIn("ReadReplicaSourceDBInstanceIdentifier", r)
        self.assertNotIn("StatusInfos", r)
        self.assertEqual((r["BackupRetentionPeriod"], r["PreferredBackupWindow"]), (3, "03:00-03:30"))
        self.assertEqual(tl.describe_one(self.rds, "src")["ReadReplicaDBInstanceIdentifiers"], [])
        self.assertEqual(self.sql(r, "insert into t values (1000, 'promoted') returning n", db="appdb"), "1000")
        self.assertEqual(self.sql(r, "select pg_is_in_recovery()", db="appdb"), "f")
        self.sql(s, "insert into t values (151, 'source only')", db="appdb")
        time.sleep(0.3)
        self.assertEqual(self.sql(r, "select count(*) from t where n = 151", db="appdb"), "0")
        msgs, cats = self.events("rep")
        self.assertIn("Replication on the read replica was terminated", [m for m, _ in msgs])
        self.assertIn("Enabled automated backups", [m for m, _ in msgs])
        self.assertIn(["read replica"], cats)
        # now a standalone instance: promoting again is refused, its password may change
        self.assertEqual(self.err(self.rds.promote_read_replica, DBInstanceIdentifier="rep"),
                         ("InvalidDBInstanceState", "DB Instance is not a read replica.", 400))
        self.rds.modify_db_instance(DBInstanceIdentifier="rep", MasterUserPassword="N3w-pass-1",
                                    ApplyImmediately=True)
        ep = r["Endpoint"]
        self.assertEqual(tl.psql(ep["Port"], "app", "N3w-pass-1", "select 1", host=ep["Address"])[0], 0)
        # the AWS CLI: a new replica, promoted with the default retention (1)
        _, out, _ = self.server.cli("rds", "create-db-instance-read-replica", "--db-instance-identifier", "rep2",
                                    "--source-db-instance-identifier", "src")
        self.assertEqual(out["DBInstance"]["ReadReplicaSourceDBInstanceIdentifier"], "src")
        _, out, _ = self.server.cli("rds", "promote-read-replica", "--db-instance-identifier", "rep2")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "modifying")
        self.assertEqual(tl.wait_status(self.rds, "rep2", "available")["BackupRetentionPeriod"], 1)

    def test_refusals_change_nothing(self):
        self.create("nobackup", BackupRetentionPeriod=0)
        self.assertEqual(self.err(self.replica, ident="r0", source="nobackup"),
                         ("InvalidDBInstanceState",
                          "Automated backups are not enabled for this database instance. To enable automated "
                          "backups, use ModifyDBInstance to set the backup retention period to a non-zero value.",
                          400))
        self.source()
        self.assertEqual(self.err(self.replica, ident="r1", source="src", KmsKeyId="alias/aws/rds"),
                         ("InvalidParameterCombination",
                          "You cannot create an encrypted Read Replica from an unencrypted DB instance.", 400))
        self.assertEqual(self.err(self.replica, ident="r2", source="nosuch"),
                         ("DBInstanceNotFound", "DBInstance nosuch not found.", 404))
        self.assertEqual(self.err(self.replica, ident="src", source="src")[:1], ("DBInstanceAlreadyExists",))
        names = [d["DBInstanceIdentifier"] for d in self.rds.describe_db_instances()["DBInstances"]]
        self.assertEqual(sorted(names), ["nobackup", "src"])
        self.replica("rep", "src")
        # master password changes on a replica: AWS's refusal
        self.assertEqual(self.err(self.rds.modify_db_instance, DBInstanceIdentifier="rep",
                                  MasterUserPassword="Other-pass-1", ApplyImmediately=True),
                         ("InvalidParameterCombination",
                          "Cannot change master user password on an RDS postgres Read Replica because it uses "
                          "physical replication and therefore cannot differ from its parent.", 400))
        self.assertEqual(self.err(self.rds.modify_db_instance, DBInstanceIdentifier="rep",
                                  BackupRetentionPeriod=7, ApplyImmediately=True)[:1],
                         ("InvalidParameterCombination",))
        # the source cannot lose its backups while it has replicas
        code, msg, status = self.err(self.rds.modify_db_instance, DBInstanceIdentifier="src",
                                     BackupRetentionPeriod=0, ApplyImmediately=True)
        self.assertEqual((code, status), ("InvalidParameterCombination", 400))
        self.assertIn("read replica", msg)
        self.assertEqual(tl.describe_one(self.rds, "src")["BackupRetentionPeriod"], 1)
        self.assertNotIn("PendingModifiedValues", {k: v for k, v in tl.describe_one(self.rds, "rep").items()
                                                   if k == "PendingModifiedValues" and v})
        # neither a replica nor its source can be stopped
        self.assertEqual(self.err(self.rds.stop_db_instance, DBInstanceIdentifier="rep"),
                         ("InvalidDBInstanceState", "Cannot stop instance rep because it is a read replica.", 400))
        self.assertEqual(self.err(self.rds.stop_db_instance, DBInstanceIdentifier="src"),
                         ("InvalidDBInstanceState", "Cannot stop instance src because it has read replicas.", 400))
        self.assertEqual(tl.describe_one(self.rds, "src")["DBInstanceStatus"], "available")
        # the replica's password is still the source's
        r = tl.describe_one(self.rds, "rep")
        self.assertEqual(self.count(r), "100")

    def test_cross_region_and_encryption(self):
        west = self.server.client(region="us-west-2")
        east_kms = self.server.client("kms", region="us-east-1")
        west_kms = self.server.client("kms", region="us-west-2")
        east_key = east_kms.create_key(Description="east")["KeyMetadata"]
        west_key = west_kms.create_key(Description="west")["KeyMetadata"]
        s = self.source("esrc", StorageEncrypted=True, KmsKeyId=east_key["KeyId"])
        arn = s["DBInstanceArn"]
        # same region: the source's key
        r = self.replica("erep", "esrc")
        self.assertTrue(r["StorageEncrypted"])
        self.assertEqual(r["KmsKeyId"], east_key["Arn"])
        # another region: a key of THAT region is needed (the SDK sends PreSignedUrl)
        self.assertEqual(self.err(self.replica, ident="wrep", source=arn, client=west, SourceRegion="us-east-1"),
                         ("InvalidParameterCombination",
                          "Cannot create a cross region unencrypted read replica from encrypted source.", 400))
        code, _, status = self.err(self.replica, ident="wrep", source=arn, client=west, SourceRegion="us-east-1",
                                   KmsKeyId=east_key["Arn"])
        self.assertEqual((code, status), ("KMSKeyNotAccessibleFault", 400))
        self.assertEqual(west.describe_db_instances()["DBInstances"], [])
        w = self.replica("wrep", arn, client=west, SourceRegion="us-east-1", KmsKeyId=west_key["KeyId"])
        self.assertEqual(w["ReadReplicaSourceDBInstanceIdentifier"], arn)
        w = tl.describe_one(west, "wrep")
        self.assertEqual((w["StorageEncrypted"], w["KmsKeyId"]), (True, west_key["Arn"]))
        self.assertTrue(w["AvailabilityZone"].startswith("us-west-2"))
        self.assertEqual(w["DBParameterGroups"][0]["DBParameterGroupName"], "default.postgres15")
        self.assertEqual(sorted(tl.describe_one(self.rds, "esrc")["ReadReplicaDBInstanceIdentifiers"]),
                         ["arn:aws:rds:us-west-2:000000000000:db:wrep", "erep"])
        self.sql(s, "insert into t values (500, 'to the west')", db="appdb")
        self.wait_count(w, "101")
        # a plain id names an instance of the request's region only
        self.assertEqual(self.err(self.replica, ident="wrep2", source="esrc", client=west)[0], "DBInstanceNotFound")
        # promotion in the other region
        west.promote_read_replica(DBInstanceIdentifier="wrep")
        w = tl.wait_status(west, "wrep", "available")
        self.assertEqual(self.sql(w, "insert into t values (501, 'west') returning n", db="appdb"), "501")
        self.assertEqual(tl.describe_one(self.rds, "esrc")["ReadReplicaDBInstanceIdentifiers"], ["erep"])

    def test_cross_region_with_the_js_sdk(self):
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-rds")):
            self.skipTest("node or tests/js/node_modules missing")
        s = self.source()
        env = dict(os.environ, AWS_ENDPOINT_URL=self.server.endpoint, AWS_ACCESS_KEY_ID="test",
                   AWS_SECRET_ACCESS_KEY="test")
        p = subprocess.run([node, os.path.join(JS_DIR, "read_replica.js"), "jsrep", s["DBInstanceArn"], "eu-west-1"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = json.loads(p.stdout)
        self.assertEqual(r["ReadReplicaSourceDBInstanceIdentifier"], s["DBInstanceArn"])
        self.assertEqual(r["DBInstanceArn"], "arn:aws:rds:eu-west-1:000000000000:db:jsrep")
        self.assertEqual(r["StatusInfos"][0]["Status"], "replicating")
        self.sql(s, "insert into t values (700, 'to europe')", db="appdb")
        self.wait_count(r, "101")

    def test_snapshot_of_a_replica_restores_standalone(self):
        self.source()
        self.replica("rep", "src")
        self.rds.create_db_snapshot(DBSnapshotIdentifier="of-rep", DBInstanceIdentifier="rep")
        self.rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="of-rep",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="copy", DBSnapshotIdentifier="of-rep")
        c = tl.wait_status(self.rds, "copy", "available")
        self.assertNotIn("ReadReplicaSourceDBInstanceIdentifier", c)
        self.assertEqual(self.count(c), "100")
        self.assertEqual(self.sql(c, "select pg_is_in_recovery()", db="appdb"), "f")
        self.assertEqual(self.sql(c, "insert into t values (900, 'copy') returning n", db="appdb"), "900")
        self.assertEqual(tl.describe_one(self.rds, "rep")["StatusInfos"][0]["Status"], "replicating")

    def test_deleting_the_source_promotes_its_replicas(self):
        self.source()
        self.replica("rep", "src")
        self.rds.delete_db_instance(DBInstanceIdentifier="src", SkipFinalSnapshot=True)
        r = tl.wait_status(self.rds, "rep", "available")
        self.assertNotIn("ReadReplicaSourceDBInstanceIdentifier", r)
        self.assertNotIn("StatusInfos", r)
        self.assertEqual(self.sql(r, "insert into t values (300, 'alone') returning n", db="appdb"), "300")
        msgs, _ = self.events("rep")
        self.assertIn("Replication on the read replica was terminated", [m for m, _ in msgs])

    def test_replicas_survive_restarts_as_replicas(self):
        s = self.source()
        self.replica("rep", "src")
        for how in ("sigterm", "kill9"):
            if how == "sigterm":
                self.server.stop()
            else:
                self.server.kill9()
            self.server.start()
            r = tl.describe_one(self.rds, "rep")
            self.assertEqual(r["DBInstanceStatus"], "available")
            self.assertEqual(r["ReadReplicaSourceDBInstanceIdentifier"], "src")
            self.assertEqual(self.sql(r, "select pg_is_in_recovery()", db="appdb"), "t")
            self.assertIn("read-only transaction", self.read_only_error(r, "delete from t"))
            n = int(self.count(r))
            self.sql(s, "insert into t values (%d, '%s')" % (1000 + n, how), db="appdb")
            self.wait_count(r, str(n + 1))
            tl.wait_for(lambda: tl.describe_one(self.rds, "rep")["StatusInfos"][0]["Status"] == "replicating",
                        10, interval=0.05, what="replicating again")
        # the replica's server promoted while rdslocal was down (as if it died between
        # promoting and recording): the start-up reconcile finishes the promotion
        rid = tl.describe_one(self.rds, "rep")["DbiResourceId"]
        self.server.kill9()
        data = os.path.join(tl.instance_dir(self.server.state_dir, rid), "data")
        pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
        cmd = [pg_ctl, "promote", "-w", "-D", data]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, capture_output=True)
        self.server.start()
        r = tl.describe_one(self.rds, "rep")
        self.assertNotIn("ReadReplicaSourceDBInstanceIdentifier", r)
        self.assertEqual(tl.describe_one(self.rds, "src")["ReadReplicaDBInstanceIdentifiers"], [])
        self.assertEqual(self.sql(r, "insert into t values (5000, 'promoted') returning n", db="appdb"), "5000")
        # reset leaves nothing (tearDown checks the processes too)
        self.server.admin("POST", "/_rdslocal/reset")
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertEqual(self.server.admin("GET", "/_rdslocal/health")["replicas"], [])


if __name__ == "__main__":
    tl.main()
