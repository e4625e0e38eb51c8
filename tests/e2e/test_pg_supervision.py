"""Supervision of the real postgres: a postmaster killed with SIGKILL is restarted with its
data and recovery events; a crash loop ends in status 'failed' with a failure event."""
import os
import signal

import rdslocal_testlib as t

RECOVERY_STARTED = ("Recovery of the DB instance has started. "
                    "Recovery time will vary with the amount of data to be recovered")
RECOVERY_DONE = "Recovery of the DB instance is complete"


def events(rds, ident):
    return rds.describe_events(SourceIdentifier=ident, SourceType="db-instance", Duration=60)["Events"]


class PgSupervision(t.PgTestCase):
    def kill_postmaster(self, rid):
        pid = t.postmaster_pid(self.server.state_dir, rid)
        self.assertTrue(pid and t.pid_alive(pid), "no live postmaster for %s" % rid)
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, d, old_pid, timeout=15):
        """Until a new postmaster accepts the master credentials and shows the data."""
        rid, port = d["DbiResourceId"], d["Endpoint"]["Port"]

        def up():
            pid = t.postmaster_pid(self.server.state_dir, rid)
            if not pid or pid == old_pid:
                return None
            rc, out, _ = t.psql(port, "app", "S3cret-pass", "select v from kept")
            return pid if rc == 0 and out == "survives" else None
        return t.wait_for(up, timeout, interval=0.05, what="postgres of %s to be restarted" % rid)

    def test_killed_postmaster_is_restarted_with_data_and_recovery_events(self):
        d = self.create("sup-1")
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        old = self.kill_postmaster(d["DbiResourceId"])
        new = self.wait_restarted(d, old)
        self.assertNotEqual(new, old)
        self.assertFalse(t.pid_alive(old))

        def both_events():
            evs = [e for e in events(self.rds, "sup-1") if "recovery" in e["EventCategories"]]
            msgs = [e["Message"] for e in evs]
            return evs if RECOVERY_STARTED in msgs and RECOVERY_DONE in msgs else None
        evs = t.wait_for(both_events, 10, interval=0.1, what="recovery events")
        started = next(e for e in evs if e["Message"] == RECOVERY_STARTED)
        done = next(e for e in evs if e["Message"] == RECOVERY_DONE)
        self.assertLessEqual(started["Date"], done["Date"])
        self.assertEqual(done["EventCategories"], ["recovery"])
        d = t.wait_status(self.rds, "sup-1", "available")
        self.assertEqual(d["Endpoint"]["Port"], t.describe_one(self.rds, "sup-1")["Endpoint"]["Port"])
        # writes work after recovery; orphaned backends of the killed postmaster are gone
        self.sql(d, "insert into kept values ('after')")
        self.assertEqual(self.sql(d, "select count(*) from kept"), "2")
        pids = set(t.postgres_pids_under(self.server.state_dir))
        self.assertIn(new, pids)
        for pid in pids - {new}:
            with open("/proc/%d/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            self.assertEqual(ppid, new, "postgres pid %d is not a child of the new postmaster" % pid)

    def test_crash_loop_ends_in_failed_with_a_failure_event(self):
        d = self.create("sup-loop")
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        rid = d["DbiResourceId"]
        pid = self.kill_postmaster(rid)
        pid = self.wait_restarted(d, pid)
        pid = self.kill_postmaster(rid)
        pid = self.wait_restarted(d, pid)
        self.kill_postmaster(rid)  # third unexpected exit in a short time: no more restarts
        d = t.wait_status(self.rds, "sup-loop", "failed", timeout=15)

        def failure_event():
            return [e for e in events(self.rds, "sup-loop") if "failure" in e["EventCategories"]]
        fails = t.wait_for(failure_event, 10, interval=0.1, what="failure event")
        self.assertIn("failed", fails[-1]["Message"])
        self.assertTrue(t.port_refuses(d["Endpoint"]["Port"]))
        self.assertEqual(t.wait_for(lambda: t.postgres_pids_under(self.server.state_dir) == [], 10,
                                    what="no postgres left"), True)
        # stays failed: nobody restarts it behind the user's back
        self.assertEqual(t.describe_one(self.rds, "sup-loop")["DBInstanceStatus"], "failed")
        # and it can still be deleted
        self.rds.delete_db_instance(DBInstanceIdentifier="sup-loop", SkipFinalSnapshot=True)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertFalse(os.path.exists(t.instance_dir(self.server.state_dir, rid)))

    def test_stop_on_purpose_is_not_a_crash(self):
        d = self.create("sup-stop")
        self.rds.stop_db_instance(DBInstanceIdentifier="sup-stop")
        self.rds.start_db_instance(DBInstanceIdentifier="sup-stop")
        self.rds.reboot_db_instance(DBInstanceIdentifier="sup-stop")
        t.wait_status(self.rds, "sup-stop", "available")
        self.assertEqual(self.sql(d, "select 1"), "1")
        cats = [c for e in events(self.rds, "sup-stop") for c in e["EventCategories"]]
        self.assertNotIn("recovery", cats)
        self.assertNotIn("failure", cats)


if __name__ == "__main__":
    t.main()
