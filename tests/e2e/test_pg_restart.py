"""rdslocal itself restarting: SIGTERM stops every postgres and the next start brings the
instances back; after kill -9 of rdslocal the running postmasters are adopted (same pid),
dead ones started again; stopped instances stay stopped; deleted ones stay gone."""
import os
import signal
import socket

from botocore.exceptions import ClientError

import rdslocal_testlib as t


class PgRestart(t.PgTestCase):
    def make(self, ident, **kw):
        d = self.create(ident, **kw)
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        return d

    def assert_back(self, ident, port):
        d = t.wait_status(self.rds, ident, "available")
        self.assertEqual(d["Endpoint"]["Port"], port)
        self.assertEqual(self.sql(d, "select v from kept limit 1"), "survives")
        return d

    def test_sigterm_stops_postgres_and_restart_brings_it_back(self):
        a = self.make("rs-term-a")
        b = self.make("rs-term-b", DBName="bdb")
        self.rds.stop_db_instance(DBInstanceIdentifier="rs-term-b")
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertTrue(t.port_refuses(a["Endpoint"]["Port"]))
        self.server.start()
        self.assert_back("rs-term-a", a["Endpoint"]["Port"])
        # a stopped instance stays stopped across the restart
        self.assertEqual(t.describe_one(self.rds, "rs-term-b")["DBInstanceStatus"], "stopped")
        self.assertTrue(t.port_refuses(b["Endpoint"]["Port"]))
        self.rds.start_db_instance(DBInstanceIdentifier="rs-term-b")
        d = self.assert_back("rs-term-b", b["Endpoint"]["Port"])
        self.assertEqual(self.sql(d, "select current_database()", db="bdb"), "bdb")

    def test_sigint_also_stops_postgres(self):
        a = self.make("rs-int")
        self.assertEqual(self.server.stop(signal.SIGINT), 0)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.server.start()
        self.assert_back("rs-int", a["Endpoint"]["Port"])

    def test_kill9_rdslocal_keeps_postgres_and_restart_adopts_it(self):
        a = self.make("rs-adopt")
        rid, port = a["DbiResourceId"], a["Endpoint"]["Port"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        # postgres outlives rdslocal and keeps serving
        self.assertTrue(t.pid_alive(pm))
        self.assertEqual(self.sql(a, "insert into kept values ('while rdslocal was down') returning 1"), "1")
        self.server.start()
        self.assert_back("rs-adopt", port)
        self.assertEqual(t.postmaster_pid(self.server.state_dir, rid), pm)
        self.assertTrue(t.pid_alive(pm))
        self.assertEqual(self.sql(a, "select count(*) from kept"), "2")
        # operations on the adopted instance work: stop really stops it, start brings it back
        self.rds.stop_db_instance(DBInstanceIdentifier="rs-adopt")
        self.assertEqual(t.describe_one(self.rds, "rs-adopt")["DBInstanceStatus"], "stopped")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertFalse(t.pid_alive(pm))
        self.rds.start_db_instance(DBInstanceIdentifier="rs-adopt")
        self.assert_back("rs-adopt", port)

    def test_adopted_postmaster_that_crashes_is_recovered(self):
        a = self.make("rs-adopt2")
        rid, port = a["DbiResourceId"], a["Endpoint"]["Port"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        self.server.start()
        self.assertEqual(t.postmaster_pid(self.server.state_dir, rid), pm)
        # the adopted postmaster (not rdslocal's child: init reaps it) is supervised too
        os.kill(pm, signal.SIGKILL)

        def restarted_or_failed():
            if t.describe_one(self.rds, "rs-adopt2")["DBInstanceStatus"] == "failed":
                return "failed"
            pid = t.postmaster_pid(self.server.state_dir, rid)
            rc, out, _ = t.psql(port, "app", "S3cret-pass", "select v from kept")
            return "ok" if pid != pm and rc == 0 and out == "survives" else None
        outcome = t.wait_for(restarted_or_failed, 15, interval=0.05,
                             what="adopted postmaster restarted after a crash")
        self.assertEqual(outcome, "ok", "rdslocal log:\n" + self.server.read_log()[-2500:])
        self.assertEqual(t.wait_status(self.rds, "rs-adopt2", "available")["Endpoint"]["Port"], port)
        # the supervisor's report is recorded by the worker shortly after the server is back
        t.wait_for(lambda: "Recovery of the DB instance is complete" in [e["Message"] for e in self.rds.describe_events(
            SourceIdentifier="rs-adopt2", SourceType="db-instance", Duration=60)["Events"]], 10, 0.1,
            "the recovery-complete event")

    def test_kill9_rdslocal_then_postmaster_restart_starts_it_again(self):
        a = self.make("rs-dead")
        rid, port = a["DbiResourceId"], a["Endpoint"]["Port"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        os.kill(pm, signal.SIGKILL)
        # every process of the old server gone (and the postmaster reaped by init)
        t.wait_for(lambda: not os.path.exists("/proc/%d" % pm) and
                   not t.postgres_pids_under(self.server.state_dir), 15, interval=0.05,
                   what="the killed postgres to be gone")
        self.server.start()
        self.assert_back("rs-dead", port)
        new = t.postmaster_pid(self.server.state_dir, rid)
        self.assertNotEqual(new, pm)
        self.assertTrue(t.pid_alive(new))

    def test_kill9_rdslocal_and_postmaster_then_immediate_restart_starts_it_again(self):
        # As a script would do it: kill everything, start rdslocal at once. The killed
        # postmaster may still be a zombie (init reaps lazily) and its backends may still
        # be exiting; rdslocal must still come up and start the instance.
        a = self.make("rs-dead2")
        rid, port = a["DbiResourceId"], a["Endpoint"]["Port"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        os.kill(pm, signal.SIGKILL)
        self.server.start()
        d = t.describe_one(self.rds, "rs-dead2")
        self.assertEqual(d["DBInstanceStatus"], "available", "rdslocal log:\n" + self.server.read_log()[-3000:])
        self.assert_back("rs-dead2", port)
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, rid), pm)

    def test_restart_with_one_instance_unstartable_keeps_the_others(self):
        # rdslocal must come up even if one instance cannot be started (its port was
        # taken while rdslocal was down); the others are adopted, the broken one is failed.
        a = self.make("rs-bad")
        b = self.make("rs-good")
        rid = a["DbiResourceId"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        os.kill(pm, signal.SIGKILL)
        t.wait_for(lambda: not os.path.exists("/proc/%d" % pm) and
                   not t.postgres_pids_under(t.instance_dir(self.server.state_dir, rid)), 15,
                   interval=0.05, what="the killed postgres to be gone")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", a["Endpoint"]["Port"]))
        sock.listen()
        try:
            self.server.start()
            self.assert_back("rs-good", b["Endpoint"]["Port"])
            bad = t.describe_one(self.rds, "rs-bad")
            self.assertIn(bad["DBInstanceStatus"], ("failed", "incompatible-network"))
            evs = self.rds.describe_events(SourceIdentifier="rs-bad", SourceType="db-instance",
                                           Duration=60)["Events"]
            self.assertTrue([e for e in evs if "failure" in e["EventCategories"]], evs)
        finally:
            sock.close()
        # it can still be deleted, and nothing of it is left
        self.rds.delete_db_instance(DBInstanceIdentifier="rs-bad", SkipFinalSnapshot=True)
        self.assertFalse(os.path.exists(t.instance_dir(self.server.state_dir, rid)))
        self.assertEqual(self.sql(b, "select v from kept limit 1"), "survives")

    def test_kill9_rdslocal_then_delete_after_restart_removes_everything(self):
        a = self.make("rs-del")
        rid = a["DbiResourceId"]
        self.server.kill9()
        self.server.start()
        self.assert_back("rs-del", a["Endpoint"]["Port"])
        self.rds.delete_db_instance(DBInstanceIdentifier="rs-del", SkipFinalSnapshot=True)
        with self.assertRaises(ClientError):
            t.describe_one(self.rds, "rs-del")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertFalse(os.path.exists(t.instance_dir(self.server.state_dir, rid)))
        self.assertTrue(t.port_refuses(a["Endpoint"]["Port"]))


if __name__ == "__main__":
    t.main()
