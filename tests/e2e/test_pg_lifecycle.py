"""Real postgres through the instance lifecycle: stop/start, reboot, modify (password, port,
class), delete, reset, and many instances at once (boto3 for the API, psql for the DB)."""
import concurrent.futures
import os

from botocore.exceptions import ClientError

import rdslocal_testlib as t

PW = "S3cret-pass"


def event_messages(rds, ident):
    evs = rds.describe_events(SourceIdentifier=ident, SourceType="db-instance", Duration=60)["Events"]
    return [e["Message"] for e in evs]


class PgLifecycle(t.PgTestCase):
    def make_with_data(self, ident, **kw):
        d = self.create(ident, **kw)
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        return d

    def assert_refused(self, port, password=PW):
        rc, _, err = t.psql(port, "app", password, "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn("Connection refused", err)

    def test_stop_refuses_connections_and_start_keeps_data(self):
        d = self.make_with_data("life-stop")
        port = d["Endpoint"]["Port"]
        r = self.rds.stop_db_instance(DBInstanceIdentifier="life-stop")
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "stopping")
        self.assertEqual(t.describe_one(self.rds, "life-stop")["DBInstanceStatus"], "stopped")
        self.assert_refused(port)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        r = self.rds.start_db_instance(DBInstanceIdentifier="life-stop")
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "starting")
        d = t.describe_one(self.rds, "life-stop")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["Endpoint"]["Port"], port)
        self.assertEqual(self.sql(d, "select v from kept"), "survives")
        msgs = event_messages(self.rds, "life-stop")
        self.assertIn("DB instance stopped", msgs)
        self.assertIn("DB instance started", msgs)

    def test_stopped_for_seven_days_is_started_again(self):
        # AWS starts an instance that has been stopped for 7 days (RDS-EVENT-0154); rdslocal's
        # clock lets a test live through the week at once.
        d = self.make_with_data("life-week")
        self.rds.stop_db_instance(DBInstanceIdentifier="life-week")
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 6 * 86400})
        self.assertEqual(t.describe_one(self.rds, "life-week")["DBInstanceStatus"], "stopped")
        self.assert_refused(d["Endpoint"]["Port"])
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 86400 + 60})
        d = t.wait_status(self.rds, "life-week", "available")
        self.assertEqual(self.sql(d, "select v from kept"), "survives")
        self.assertIn("DB instance is being started due to it exceeding the maximum allowed time "
                      "being stopped", event_messages(self.rds, "life-week"))

    def test_reboot_restarts_postgres_and_keeps_data(self):
        d = self.make_with_data("life-reboot")
        rid = d["DbiResourceId"]
        before = t.postmaster_pid(self.server.state_dir, rid)
        started_before = self.sql(d, "select pg_postmaster_start_time()")
        r = self.rds.reboot_db_instance(DBInstanceIdentifier="life-reboot")
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "rebooting")
        d = t.wait_status(self.rds, "life-reboot", "available")
        self.assertEqual(self.sql(d, "select v from kept"), "survives")
        self.assertNotEqual(self.sql(d, "select pg_postmaster_start_time()"), started_before)
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, rid), before)
        self.assertFalse(t.pid_alive(before))
        self.assertIn("DB instance restarted", event_messages(self.rds, "life-reboot"))

    def test_modify_master_password_changes_the_real_password(self):
        d = self.create("life-pw")
        self.rds.modify_db_instance(DBInstanceIdentifier="life-pw", MasterUserPassword="N3w-password",
                                    ApplyImmediately=True)
        port = d["Endpoint"]["Port"]
        self.assertEqual(self.sql(d, "select current_user", password="N3w-password"), "app")
        rc, _, err = t.psql(port, "app", PW, "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn("password authentication failed", err)
        self.assertIn("Reset master credentials", event_messages(self.rds, "life-pw"))
        pending = t.describe_one(self.rds, "life-pw").get("PendingModifiedValues", {})
        self.assertNotIn("MasterUserPassword", pending)

    def test_modify_port_moves_the_server(self):
        d = self.make_with_data("life-port")
        old = d["Endpoint"]["Port"]
        new = t.free_port()
        self.rds.modify_db_instance(DBInstanceIdentifier="life-port", DBPortNumber=new, ApplyImmediately=True)
        d = t.wait_status(self.rds, "life-port", "available")
        self.assertEqual(d["Endpoint"]["Port"], new)
        self.assertEqual(self.sql(d, "show port"), str(new))
        self.assertEqual(self.sql(d, "select v from kept"), "survives")
        self.assert_refused(old)

    def test_modify_port_to_a_taken_port_is_refused(self):
        import socket
        d = self.create("life-port2")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        try:
            with self.assertRaises(ClientError) as cm:
                self.rds.modify_db_instance(DBInstanceIdentifier="life-port2",
                                            DBPortNumber=sock.getsockname()[1], ApplyImmediately=True)
        finally:
            sock.close()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")
        after = t.describe_one(self.rds, "life-port2")
        self.assertEqual(after["Endpoint"]["Port"], d["Endpoint"]["Port"])
        self.assertEqual(after["DBInstanceStatus"], "available")
        self.assertEqual(self.sql(after, "select 1"), "1")

    def test_modify_class_applied_immediately_raises_max_connections(self):
        d = self.make_with_data("life-class")
        before = int(self.sql(d, "show max_connections"))
        self.rds.modify_db_instance(DBInstanceIdentifier="life-class", DBInstanceClass="db.m5.large",
                                    ApplyImmediately=True)
        d = t.wait_status(self.rds, "life-class", "available")
        self.assertEqual(d["DBInstanceClass"], "db.m5.large")
        after = int(self.sql(d, "show max_connections"))
        self.assertGreater(after, before)
        self.assertEqual(self.sql(d, "select v from kept"), "survives")

    def test_modify_class_without_apply_immediately_stays_pending(self):
        d = self.create("life-class2")
        before = self.sql(d, "show max_connections")
        self.rds.modify_db_instance(DBInstanceIdentifier="life-class2", DBInstanceClass="db.m5.large",
                                    ApplyImmediately=False)
        d = t.describe_one(self.rds, "life-class2")
        self.assertEqual(d["DBInstanceClass"], "db.t3.micro")
        self.assertEqual(d["PendingModifiedValues"].get("DBInstanceClass"), "db.m5.large")
        self.assertEqual(self.sql(d, "show max_connections"), before)

    def test_delete_removes_server_process_and_dir(self):
        d = self.make_with_data("life-del")
        rid, port = d["DbiResourceId"], d["Endpoint"]["Port"]
        idir = t.instance_dir(self.server.state_dir, rid)
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.assertTrue(t.pid_alive(pm))
        r = self.rds.delete_db_instance(DBInstanceIdentifier="life-del", SkipFinalSnapshot=True)
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "deleting")
        with self.assertRaises(ClientError) as cm:
            t.describe_one(self.rds, "life-del")
        self.assertEqual(cm.exception.response["Error"]["Code"], "DBInstanceNotFound")
        self.assert_refused(port)
        self.assertFalse(t.pid_alive(pm))
        self.assertEqual(t.postgres_pids_under(idir), [])
        self.assertFalse(os.path.exists(idir))

    def test_reset_removes_every_instance_and_process(self):
        ds = [self.make_with_data("reset-%d" % i) for i in range(2)]
        self.rds.stop_db_instance(DBInstanceIdentifier="reset-1")
        self.assertTrue(t.postgres_pids_under(self.server.state_dir))
        self.assertEqual(self.server.admin("POST", "/_rdslocal/reset"), {"reset": True})
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "instances")), [])
        for d in ds:
            self.assertTrue(t.port_refuses(d["Endpoint"]["Port"]))
        # the same identifiers can be created again, with fresh data
        d = self.create("reset-0")
        self.assertEqual(self.sql(d, "select count(*) from pg_tables where tablename = 'kept'"), "0")

    def test_ten_instances_created_and_deleted_concurrently(self):
        n = 10
        clients = [self.server.client() for _ in range(n)]
        idents = ["many-%02d" % i for i in range(n)]

        def create(i):
            clients[i].create_db_instance(**t.create_args(idents[i], DBName="db%d" % i))
            return t.describe_one(clients[i], idents[i])

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            ds = list(ex.map(create, range(n)))
        self.assertEqual(len({d["Endpoint"]["Port"] for d in ds}), n)
        self.assertEqual(len({d["DbiResourceId"] for d in ds}), n)
        for i, d in enumerate(ds):
            self.assertEqual(d["DBInstanceStatus"], "available", d["DBInstanceIdentifier"])
            self.assertEqual(self.sql(d, "select current_database() || '@' || current_setting('port')",
                                      db="db%d" % i), "db%d@%d" % (i, d["Endpoint"]["Port"]))
        listed = self.rds.describe_db_instances()["DBInstances"]
        self.assertEqual(sorted(x["DBInstanceIdentifier"] for x in listed), idents)

        def delete(i):
            return clients[i].delete_db_instance(DBInstanceIdentifier=idents[i],
                                                 SkipFinalSnapshot=True)["DBInstance"]["DBInstanceStatus"]

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            self.assertEqual(list(ex.map(delete, range(n))), ["deleting"] * n)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "instances")), [])
        for d in ds:
            self.assertTrue(t.port_refuses(d["Endpoint"]["Port"]))


if __name__ == "__main__":
    t.main()
