"""End-to-end tests WITH real postgres: the create/waiter/delete flow, and restarts of
rdslocal (SIGTERM, then kill -9) on the same state dir keeping every instance, its fields
and a running server. The harness's cleanup asserts no postgres process is left."""
import shutil
import tempfile
import time
import unittest

from api_helpers import ApiTestCase, main
import rdslocal_testlib as tl


def stable(d):
    d = dict(d)
    d.pop("ResponseMetadata", None)
    # LatestRestorableTime follows the clock while an instance is idle (pitr, issue 9)
    d.pop("LatestRestorableTime", None)
    return d


class EngineFlowTest(ApiTestCase):
    no_engine = False

    def test_create_wait_connect_delete(self):
        r = self.create("real1", DBName="appdb")
        self.assertEqual(r["DBInstanceStatus"], "creating")
        t0 = time.time()
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="real1", WaiterConfig={"Delay": 30, "MaxAttempts": 2})
        self.assertLess(time.time() - t0, 5)
        d = self.describe("real1")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["DBName"], "appdb")
        port = d["Endpoint"]["Port"]
        rc, out, err = tl.psql(port, "app", "S3cret-pass", "select current_database()", db="appdb")
        self.assertEqual((rc, out), (0, "appdb"), err)
        self.assertTrue(tl.postgres_pids_under(self.server.state_dir))
        r = self.rds.delete_db_instance(DBInstanceIdentifier="real1", SkipFinalSnapshot=True)["DBInstance"]
        self.assertEqual(r["DBInstanceStatus"], "deleting")
        t0 = time.time()
        self.rds.get_waiter("db_instance_deleted").wait(
            DBInstanceIdentifier="real1", WaiterConfig={"Delay": 30, "MaxAttempts": 2})
        self.assertLess(time.time() - t0, 5)
        self.assertError(self.rds.describe_db_instances, "DBInstanceNotFound", 404, "DBInstance real1 not found.",
                         DBInstanceIdentifier="real1")
        tl.wait_for(lambda: not tl.postgres_pids_under(self.server.state_dir), 10, 0.1, "postgres gone")

    def test_stop_start_reboot_real(self):
        self.create("real2")
        port = self.describe("real2")["Endpoint"]["Port"]
        self.rds.stop_db_instance(DBInstanceIdentifier="real2")
        self.assertEqual(self.describe("real2")["DBInstanceStatus"], "stopped")
        self.assertNotEqual(tl.psql(port, "app", "S3cret-pass", "select 1")[0], 0)
        self.rds.start_db_instance(DBInstanceIdentifier="real2")
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="real2", WaiterConfig={"Delay": 30, "MaxAttempts": 2})
        self.assertEqual(tl.psql(port, "app", "S3cret-pass", "select 1")[:2], (0, "1"))
        self.rds.reboot_db_instance(DBInstanceIdentifier="real2")
        self.assertEqual(tl.psql(port, "app", "S3cret-pass", "select 1")[:2], (0, "1"))


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rdslocal-restart-")
        self.servers = []

    def tearDown(self):
        errors = []
        for s in reversed(self.servers):  # the running one first
            try:
                s.cleanup()
            except AssertionError as e:
                errors.append(e)
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise errors[0]

    def start(self):
        s = tl.Server(state_dir=self.dir).start(timeout=60)
        self.servers.append(s)
        return s, s.client()

    def snapshot(self, rds):
        return {d["DBInstanceIdentifier"]: stable(d) for d in rds.describe_db_instances()["DBInstances"]}

    def test_sigterm_then_kill9(self):
        s, rds = self.start()
        for i in range(3):
            rds.create_db_instance(**tl.create_args("keep%d" % i, Tags=[{"Key": "n", "Value": str(i)}]))
        rds.stop_db_instance(DBInstanceIdentifier="keep2")
        before = self.snapshot(rds)
        self.assertEqual(sorted(before), ["keep0", "keep1", "keep2"])
        self.assertEqual([before[k]["DBInstanceStatus"] for k in sorted(before)], ["available", "available", "stopped"])
        rds.start_db_instance(DBInstanceIdentifier="keep2")
        before = self.snapshot(rds)

        # 1. SIGTERM: every postgres stops with rdslocal
        self.assertEqual(s.stop(), 0)
        self.assertEqual(tl.postgres_pids_under(self.dir), [])
        s, rds = self.start()
        after = self.snapshot(rds)
        self.assertEqual(after, before)
        for d in after.values():
            self.assertEqual(d["DBInstanceStatus"], "available")
            rc, out, err = tl.psql(d["Endpoint"]["Port"], "app", "S3cret-pass", "select 1")
            self.assertEqual((rc, out), (0, "1"), err)

        # 2. kill -9: postmasters survive and are adopted
        s.kill9()
        s, rds = self.start()
        after = self.snapshot(rds)
        self.assertEqual(after, before)
        for d in after.values():
            rc, out, err = tl.psql(d["Endpoint"]["Port"], "app", "S3cret-pass", "select 1")
            self.assertEqual((rc, out), (0, "1"), err)
        # the instances still work through the API after the adoption
        rds.delete_db_instance(DBInstanceIdentifier="keep0", SkipFinalSnapshot=True)
        self.assertEqual(sorted(self.snapshot(rds)), ["keep1", "keep2"])


if __name__ == "__main__":
    main()
