"""Fault injection (/_rdslocal/faults, /_rdslocal/experiments) against real postgres:
each fault and its recovery (kill, hang, storage-full, standby faults on a Multi-AZ
instance), scheduled experiments, listing and deleting, clear 4xx errors, the admin API's
browser refusal, and that no fault outlives rdslocal (no stopped postgres left behind)."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import rdslocal_testlib as t

DISK_FULL = "No space left on device"


def call(server, method, path, body=None, headers=None, raw=None):
    """An admin request; returns (HTTP status, parsed JSON body)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    req = urllib.request.Request(server.endpoint + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {"raw": text.decode(errors="replace")}


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def stopped_pids(state_dir):
    return [p for p in t.postgres_pids_under(state_dir) if proc_state(p) == "T"]


def psql_quick(d, sql, timeout_s=2):
    """psql as the master user with a short connect timeout; (rc, out, err)."""
    ep = d["Endpoint"]
    env = dict(os.environ, PGPASSWORD="S3cret-pass", PGCONNECT_TIMEOUT=str(timeout_s))
    p = subprocess.run(["psql", "-h", ep["Address"], "-p", str(ep["Port"]), "-U", "app", "-d", "postgres",
                        "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def messages(rds, ident):
    evs = rds.describe_events(SourceIdentifier=ident, SourceType="db-instance", Duration=60)["Events"]
    return [e["Message"] for e in evs]


class Faults(t.PgTestCase):
    def fault(self, body, want=201):
        status, out = call(self.server, "POST", "/_rdslocal/faults", body)
        self.assertEqual(status, want, out)
        return out

    def wait_sql(self, d, sql, want, timeout=20):
        def ok():
            rc, out, _ = psql_quick(d, sql)
            return rc == 0 and out == want
        t.wait_for(ok, timeout, interval=0.1, what="%r to give %r" % (sql, want))

    def assert_no_stopped_postgres(self):
        self.assertEqual(stopped_pids(self.server.state_dir), [], "a postgres process is left stopped")

    # ---- kill ----

    def test_kill_primary_single_az_restarts_with_recovery_events(self):
        d = self.create("f-kill")
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        old = t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])
        f = self.fault({"kind": "kill-primary", "DBInstanceIdentifier": "f-kill"})
        self.assertEqual(f["kind"], "kill-primary")
        self.assertEqual(f["state"], "ended")            # a kill is instantaneous
        self.assertEqual(f["outcome"], "killed the primary postmaster, pid %d" % old)
        self.assertEqual(f["start"], f["end"])
        t.wait_for(lambda: not t.pid_alive(old), 5, what="the postmaster to die")
        self.wait_sql(d, "select v from kept", "survives")
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, d["DbiResourceId"]), old)
        t.wait_for(lambda: "Recovery of the DB instance is complete" in messages(self.rds, "f-kill"), 10,
                   interval=0.1, what="the recovery events")
        msgs = messages(self.rds, "f-kill")
        self.assertIn("Recovery of the DB instance has started. Recovery time will vary with the amount of "
                      "data to be recovered", msgs)
        self.assertEqual(t.describe_one(self.rds, "f-kill")["DBInstanceStatus"], "available")
        # listed as ended, not active
        self.assertEqual(call(self.server, "GET", "/_rdslocal/faults")[1]["faults"], [])
        _, one = call(self.server, "GET", "/_rdslocal/faults/%d" % f["id"])
        self.assertEqual(one["state"], "ended")

    # ---- hang ----

    def test_hang_times_out_clients_then_resumes(self):
        d = self.create("f-hang")
        self.sql(d, "create table kept (v text); insert into kept values ('x')")
        f = self.fault({"kind": "hang", "DBInstanceIdentifier": "f-hang", "duration_ms": 4000})
        self.assertEqual(f["state"], "active")
        self.assertEqual(f["end_ms"] - f["start_ms"], 4000)
        # every process of the instance is stopped
        pids = t.postgres_pids_under(self.server.state_dir)
        self.assertTrue(pids)
        self.assertEqual(sorted(stopped_pids(self.server.state_dir)), sorted(pids))
        listed = call(self.server, "GET", "/_rdslocal/faults")[1]["faults"]
        self.assertEqual([(x["id"], x["kind"], x["state"]) for x in listed], [(f["id"], "hang", "active")])
        rc, _, err = psql_quick(d, "select 1", timeout_s=1)
        self.assertNotEqual(rc, 0)
        self.assertIn("timeout expired", err)
        # after the duration it answers again, by itself, with nothing left stopped
        self.wait_sql(d, "select v from kept", "x", timeout=15)
        self.assert_no_stopped_postgres()
        t.wait_for(lambda: call(self.server, "GET", "/_rdslocal/faults")[1]["faults"] == [], 5,
                   what="the fault to leave the active list")
        _, one = call(self.server, "GET", "/_rdslocal/faults/%d" % f["id"])
        self.assertEqual((one["state"], one["outcome"]), ("ended", "expired"))
        msgs = messages(self.rds, "f-hang")
        self.assertIn("DB instance is not responding", msgs)
        self.assertIn("DB instance is responding again", msgs)
        # the single-AZ monitor did not take the hang for a crash
        self.assertNotIn("Recovery of the DB instance is complete", msgs)
        self.assertEqual(t.describe_one(self.rds, "f-hang")["DBInstanceStatus"], "available")

    def test_delete_ends_a_hang_at_once_and_lists(self):
        d = self.create("f-del")
        hang = self.fault({"kind": "hang", "DBInstanceIdentifier": "f-del", "duration_seconds": 600})
        status, out = call(self.server, "DELETE", "/_rdslocal/faults/%d" % hang["id"])
        self.assertEqual(status, 200, out)
        self.assertEqual((out["state"], out["outcome"]), ("ended", "ended by request"))
        self.assertLess(out["end_ms"] - out["start_ms"], 60000)
        self.assert_no_stopped_postgres()
        self.assertEqual(psql_quick(d, "select 1")[1], "1")
        # ending it twice, or an unknown id
        status, out = call(self.server, "DELETE", "/_rdslocal/faults/%d" % hang["id"])
        self.assertEqual((status, out["code"]), (400, "InvalidParameterCombination"))
        self.assertIn("already ended", out["error"])
        status, out = call(self.server, "DELETE", "/_rdslocal/faults/999999")
        self.assertEqual((status, out["code"]), (404, "ResourceNotFoundFault"))
        status, out = call(self.server, "GET", "/_rdslocal/faults/abc")
        self.assertEqual(status, 404)
        # ?all=true lists ended faults too; the default only active ones
        sf = self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-del", "duration_seconds": 600})
        active = call(self.server, "GET", "/_rdslocal/faults")[1]["faults"]
        self.assertEqual([x["id"] for x in active], [sf["id"]])
        every = call(self.server, "GET", "/_rdslocal/faults?all=true")[1]["faults"]
        self.assertEqual([(x["id"], x["state"]) for x in every], [(hang["id"], "ended"), (sf["id"], "active")])
        for x in every:
            self.assertEqual(x["DBInstanceIdentifier"], "f-del")
            self.assertEqual(x["region"], "us-east-1")
            self.assertTrue(x["start"].endswith("Z") and x["end"].endswith("Z"))
        self.assertEqual(call(self.server, "DELETE", "/_rdslocal/faults/%d" % sf["id"])[0], 200)
        self.assertEqual(t.describe_one(self.rds, "f-del")["DBInstanceStatus"], "available")

    # ---- storage-full ----

    def test_storage_full_refuses_writes_keeps_reads_until_it_ends(self):
        d = self.create("f-full")
        self.sql(d, "create table kept (v text); insert into kept values ('before')")
        f = self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-full", "duration_ms": 3000})
        self.assertEqual(t.describe_one(self.rds, "f-full")["DBInstanceStatus"], "storage-full")
        self.assertIn("Allocated storage has been exhausted. Allocate additional storage to resolve the issue",
                      messages(self.rds, "f-full"))
        ev = [e for e in self.rds.describe_events(SourceIdentifier="f-full", SourceType="db-instance",
                                                 Duration=60)["Events"]
              if e["Message"].startswith("Allocated storage has been exhausted")][0]
        self.assertEqual(ev["EventCategories"], ["low storage"])
        rc, _, err = psql_quick(d, "insert into kept values ('during')")
        self.assertNotEqual(rc, 0)
        self.assertIn("could not extend file", err)
        self.assertIn(DISK_FULL, err)
        rc, _, err = psql_quick(d, "create table other (v int)")
        self.assertIn(DISK_FULL, err)
        rc, _, err = psql_quick(d, "update kept set v = 'changed'")
        self.assertIn(DISK_FULL, err)
        self.assertEqual(psql_quick(d, "select v from kept")[1], "before")   # reads work
        # the master user cannot lift it
        rc, _, err = psql_quick(d, "set rdslocal_guard.storage_full = off")
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot be changed", err)
        # ends by itself: available, writes work
        t.wait_status(self.rds, "f-full", "available", timeout=15)
        self.wait_sql(d, "insert into kept values ('after'); select count(*) from kept", "2")
        _, one = call(self.server, "GET", "/_rdslocal/faults/%d" % f["id"])
        self.assertEqual(one["outcome"], "expired")

    def test_storage_full_freed_by_a_storage_increase(self):
        d = self.create("f-grow")
        self.sql(d, "create table kept (v text)")
        f = self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-grow", "duration_seconds": 600})
        self.assertIn(DISK_FULL, psql_quick(d, "insert into kept values ('x')")[2])
        # storage-full allows ModifyDBInstance; without ApplyImmediately the increase waits
        # for the maintenance window, and so does the fault's end
        self.rds.modify_db_instance(DBInstanceIdentifier="f-grow", AllocatedStorage=30, ApplyImmediately=True)

        def ended():
            return call(self.server, "GET", "/_rdslocal/faults/%d" % f["id"])[1]["state"] == "ended"
        t.wait_for(ended, 10, interval=0.1, what="the fault to end")
        _, one = call(self.server, "GET", "/_rdslocal/faults/%d" % f["id"])
        self.assertEqual(one["outcome"], "allocated storage increased")
        d = t.wait_status(self.rds, "f-grow", "available", timeout=10)
        self.assertEqual(d["AllocatedStorage"], 30)
        self.wait_sql(d, "insert into kept values ('x'); select count(*) from kept", "1")

    def test_storage_full_on_a_hung_instance(self):
        d = self.create("f-both")
        self.sql(d, "create table kept (v int)")
        hang = self.fault({"kind": "hang", "DBInstanceIdentifier": "f-both", "duration_seconds": 600})
        started = time.time()
        full = self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-both", "duration_seconds": 600})
        self.assertLess(time.time() - started, 4)          # no wait on a server that cannot answer
        self.assertEqual(t.describe_one(self.rds, "f-both")["DBInstanceStatus"], "storage-full")
        self.assertEqual(call(self.server, "DELETE", "/_rdslocal/faults/%d" % hang["id"])[0], 200)
        # the setting reached the server once it ran again
        t.wait_for(lambda: DISK_FULL in psql_quick(d, "insert into kept values (1)")[2], 10, interval=0.1,
                   what="writes to fail")
        self.assertEqual(call(self.server, "DELETE", "/_rdslocal/faults/%d" % full["id"])[0], 200)
        self.assertEqual(psql_quick(d, "insert into kept values (1); select count(*) from kept")[1], "1")
        self.assertEqual(t.describe_one(self.rds, "f-both")["DBInstanceStatus"], "available")

    # ---- experiments ----

    def test_experiment_runs_faults_at_their_offsets(self):
        d = self.create("f-exp")
        self.sql(d, "create table kept (v text); insert into kept values ('x')")
        old = t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])
        status, x = call(self.server, "POST", "/_rdslocal/experiments", {"faults": [
            {"kind": "kill-primary", "DBInstanceIdentifier": "f-exp", "offset_ms": 1000},
            {"kind": "hang", "DBInstanceIdentifier": "f-exp", "offset_seconds": 6, "duration_ms": 2000},
        ]})
        self.assertEqual(status, 201, x)
        self.assertEqual(x["state"], "running")
        self.assertEqual([s["state"] for s in x["faults"]], ["pending", "pending"])
        self.assertEqual([s["offset_ms"] for s in x["faults"]], [1000, 6000])
        # the kill comes after its offset, not before
        self.assertTrue(t.pid_alive(old))
        t.wait_for(lambda: not t.pid_alive(old), 5, what="the kill step")
        self.assertGreaterEqual(t.wait_for(lambda: call(self.server, "GET", "/_rdslocal/experiments/%d" % x["id"])[1]
                                           ["faults"][0].get("fault_id"), 5, what="step 0's fault"), 1)
        self.wait_sql(d, "select v from kept", "x")        # restarted before the hang
        t.wait_for(lambda: stopped_pids(self.server.state_dir), 10, interval=0.05, what="the hang step")

        def hanging():
            v = call(self.server, "GET", "/_rdslocal/experiments/%d" % x["id"])[1]
            return v if [s["state"] for s in v["faults"]] == ["ended", "active"] else None
        mid = t.wait_for(hanging, 2, interval=0.02, what="the experiment to show the hang")
        self.assertEqual(mid["state"], "running")

        def completed():
            v = call(self.server, "GET", "/_rdslocal/experiments/%d" % x["id"])[1]
            return v if v["state"] == "completed" else None
        done = t.wait_for(completed, 15, interval=0.1, what="the experiment to complete")
        self.assertEqual([s["state"] for s in done["faults"]], ["ended", "ended"])
        faults = call(self.server, "GET", "/_rdslocal/faults?all=true")[1]["faults"]
        self.assertEqual([(f["kind"], f["experiment_id"]) for f in faults],
                         [("kill-primary", x["id"]), ("hang", x["id"])])
        hang = faults[1]
        self.assertGreaterEqual(hang["start_ms"] - x["start_ms"], 6000)
        self.assert_no_stopped_postgres()
        self.assertEqual(psql_quick(d, "select v from kept")[1], "x")
        listed = call(self.server, "GET", "/_rdslocal/experiments")[1]["experiments"]
        self.assertEqual([e["id"] for e in listed], [x["id"]])

    def test_experiment_cancel_and_failed_step(self):
        self.create("f-can")
        status, x = call(self.server, "POST", "/_rdslocal/experiments", {"faults": [
            {"kind": "hang", "DBInstanceIdentifier": "f-can", "offset_ms": 0, "duration_seconds": 600},
            {"kind": "kill-standby", "DBInstanceIdentifier": "f-can", "offset_ms": 0},
            {"kind": "storage-full", "DBInstanceIdentifier": "f-can", "offset_seconds": 600},
        ]})
        self.assertEqual(status, 201, x)
        # offset 0 starts at once; a step that cannot start is failed with the reason
        self.assertEqual([s["state"] for s in x["faults"]], ["active", "failed", "pending"])
        self.assertIn("InvalidDBInstanceState", x["faults"][1]["error"])
        self.assertIn("not a Multi-AZ instance", x["faults"][1]["error"])
        self.assertTrue(stopped_pids(self.server.state_dir))
        status, c = call(self.server, "DELETE", "/_rdslocal/experiments/%d" % x["id"])
        self.assertEqual(status, 200, c)
        self.assertEqual(c["state"], "cancelled")
        self.assertEqual([s["state"] for s in c["faults"]], ["ended", "failed", "skipped"])
        self.assert_no_stopped_postgres()
        self.assertEqual(call(self.server, "GET", "/_rdslocal/faults")[1]["faults"], [])

    # ---- errors and the front door ----

    def test_bad_requests_get_clear_errors(self):
        self.create("f-err")
        cases = [
            ({"kind": "hang", "DBInstanceIdentifier": "nope", "duration_ms": 10}, 404, "DBInstanceNotFound",
             "DBInstance nope not found."),
            ({"kind": "explode", "DBInstanceIdentifier": "f-err"}, 400, "InvalidParameterValue",
             "unknown fault kind \"explode\""),
            ({"kind": "hang", "DBInstanceIdentifier": "f-err", "durationms": 10}, 400, "InvalidParameterValue",
             "unknown member \"durationms\""),
            ({"kind": "kill-primary", "DBInstanceIdentifier": "f-err", "duration_ms": 10}, 400,
             "InvalidParameterValue", "takes no duration"),
            ({"kind": "hang", "DBInstanceIdentifier": "f-err", "duration_seconds": 7200}, 400,
             "InvalidParameterValue", "the duration must be from 1 ms to 3600 s"),
            ({"kind": "cut-standby", "DBInstanceIdentifier": "f-err", "duration_ms": 10}, 400,
             "InvalidDBInstanceState", "not a Multi-AZ instance"),
            ({"kind": "hang", "DBInstanceIdentifier": "f-err", "region": "eu-west-1"}, 404, "DBInstanceNotFound",
             "not found"),
        ]
        for body, status, code, text in cases:
            got, out = call(self.server, "POST", "/_rdslocal/faults", body)
            self.assertEqual((got, out.get("code")), (status, code), (body, out))
            self.assertIn(text, out["error"])
        got, out = call(self.server, "POST", "/_rdslocal/faults", raw=b'{"kind": "hang",')
        self.assertEqual((got, out["code"]), (400, "InvalidParameterValue"))
        self.assertIn("bad JSON", out["error"])
        got, out = call(self.server, "POST", "/_rdslocal/experiments",
                        {"faults": [{"kind": "hang", "DBInstanceIdentifier": "ghost", "offset_ms": 5}]})
        self.assertEqual((got, out["code"]), (404, "DBInstanceNotFound"))
        got, out = call(self.server, "PUT", "/_rdslocal/faults", {"kind": "hang"})
        self.assertEqual((got, out["code"]), (405, "MethodNotAllowed"))
        # the same kind twice on one instance
        self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-err", "duration_seconds": 600})
        got, out = call(self.server, "POST", "/_rdslocal/faults",
                        {"kind": "storage-full", "DBInstanceIdentifier": "F-ERR", "duration_seconds": 5})
        self.assertEqual((got, out["code"]), (400, "InvalidParameterCombination"))
        self.assertIn("already active", out["error"])
        # nothing else was started by the refusals
        self.assertEqual([f["kind"] for f in call(self.server, "GET", "/_rdslocal/faults")[1]["faults"]],
                         ["storage-full"])
        self.assertEqual(call(self.server, "GET", "/_rdslocal/experiments")[1]["experiments"], [])
        self.assert_no_stopped_postgres()

    def test_browser_requests_are_refused_like_other_admin_routes(self):
        self.create("f-web")
        body = {"kind": "hang", "DBInstanceIdentifier": "f-web", "duration_seconds": 600}
        got, out = call(self.server, "POST", "/_rdslocal/faults", body, headers={"Origin": "http://evil.example"})
        self.assertEqual(got, 403, out)
        got, _ = call(self.server, "GET", "/_rdslocal/faults", headers={"Origin": "http://evil.example"})
        self.assertEqual(got, 403)
        got, _ = call(self.server, "POST", "/_rdslocal/faults", body, headers={"Host": "evil.example"})
        self.assertEqual(got, 403)
        # a CORS "simple" request (text/plain) is refused before it can do anything
        got, _ = call(self.server, "POST", "/_rdslocal/faults", body, headers={"Content-Type": "text/plain"})
        self.assertEqual(got, 415)
        got, _ = call(self.server, "POST", "/_rdslocal/experiments", {"faults": [body]},
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(got, 415)
        self.assertEqual(call(self.server, "GET", "/_rdslocal/faults")[1]["faults"], [])
        self.assert_no_stopped_postgres()

    # ---- faults survive nothing ----

    def test_restart_of_rdslocal_ends_every_fault(self):
        d = self.create("f-rst")
        self.sql(d, "create table kept (v text)")
        self.fault({"kind": "storage-full", "DBInstanceIdentifier": "f-rst", "duration_seconds": 600})
        self.fault({"kind": "hang", "DBInstanceIdentifier": "f-rst", "duration_seconds": 600})
        self.assertTrue(stopped_pids(self.server.state_dir))
        self.server.kill9()                              # no clean shutdown
        self.assertTrue(stopped_pids(self.server.state_dir))
        self.server.start()
        self.assert_no_stopped_postgres()
        self.assertEqual(call(self.server, "GET", "/_rdslocal/faults?all=true")[1]["faults"], [])
        d = t.wait_status(self.rds, "f-rst", "available", timeout=15)
        self.wait_sql(d, "insert into kept values ('x'); select count(*) from kept", "1")
        # a clean stop during a hang does not wait on a stopped postmaster either
        self.fault({"kind": "hang", "DBInstanceIdentifier": "f-rst", "duration_seconds": 600})
        started = time.time()
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        self.assertLess(time.time() - started, 20)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])

    def test_delete_of_a_hung_instance(self):
        self.create("f-gone")
        self.fault({"kind": "hang", "DBInstanceIdentifier": "f-gone", "duration_seconds": 600})
        started = time.time()
        self.rds.delete_db_instance(DBInstanceIdentifier="f-gone", SkipFinalSnapshot=True)
        self.assertLess(time.time() - started, 20)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        # the fault ends by itself at its next check; ending it now is harmless
        active = call(self.server, "GET", "/_rdslocal/faults")[1]["faults"]
        for f in active:
            self.assertEqual(call(self.server, "DELETE", "/_rdslocal/faults/%d" % f["id"])[0], 200)


    # ---- Multi-AZ: the standby faults, and a kill/hang experiment with failovers ----

    def standby_pid(self, d):
        path = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "standby", "postmaster.pid")
        try:
            with open(path) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def replication(self, d):
        return psql_quick(d, "select state || '/' || sync_state from pg_stat_replication"
                           " where application_name = 'rdslocal_standby'")[1]

    def test_multi_az_cut_standby_then_kill_standby(self):
        d = self.create("f-maz", MultiAZ=True)
        self.sql(d, "create table kept (v int)")
        self.assertEqual(self.replication(d), "streaming/sync")
        cut = self.fault({"kind": "cut-standby", "DBInstanceIdentifier": "f-maz", "duration_ms": 3000})
        self.assertEqual(cut["state"], "active")
        # replication stops; the instance stays available and writes do not wait for the standby
        self.assertEqual(self.replication(d), "")
        self.assertEqual(psql_quick(d, "insert into kept values (1); select count(*) from kept")[1], "1")
        self.assertEqual(t.describe_one(self.rds, "f-maz")["DBInstanceStatus"], "available")
        self.assertIn("Multi-AZ instance recovery started", messages(self.rds, "f-maz"))
        # after the cut it catches up and is synchronous again
        t.wait_for(lambda: call(self.server, "GET", "/_rdslocal/faults/%d" % cut["id"])[1]["state"] == "ended",
                   15, interval=0.1, what="the cut to end")
        self.assertEqual(self.replication(d), "streaming/sync")
        self.assertIn("Multi-AZ instance recovery completed", messages(self.rds, "f-maz"))

        old = self.standby_pid(d)
        self.assertTrue(old and t.pid_alive(old))
        kill = self.fault({"kind": "kill-standby", "DBInstanceIdentifier": "f-maz"})
        self.assertEqual(kill["outcome"], "killed the standby postmaster, pid %d" % old)
        self.assertEqual(kill["state"], "active")          # until a new standby runs
        self.assertEqual(psql_quick(d, "insert into kept values (2); select count(*) from kept")[1], "2")

        def back():
            v = call(self.server, "GET", "/_rdslocal/faults/%d" % kill["id"])[1]
            return v if v["state"] == "ended" else None
        v = t.wait_for(back, 60, interval=0.1, what="the standby to come back")
        new = self.standby_pid(d)
        self.assertNotEqual(new, old)
        self.assertEqual(v["outcome"], "the standby is back, pid %d" % new)
        t.wait_for(lambda: self.replication(d) == "streaming/sync", 30, interval=0.1, what="sync again")
        msgs = messages(self.rds, "f-maz")
        self.assertEqual(msgs.count("Multi-AZ instance recovery started"), 2)
        self.assertEqual(msgs.count("Multi-AZ instance recovery completed"), 2)
        self.assertNotIn("Multi-AZ instance failover started", msgs)   # the primary was never touched

    def test_multi_az_experiment_kill_primary_then_hang_new_primary(self):
        d = self.create("f-mexp", MultiAZ=True)
        self.sql(d, "create table kept (v int); insert into kept values (1)")
        status, x = call(self.server, "POST", "/_rdslocal/experiments", {"faults": [
            {"kind": "kill-primary", "DBInstanceIdentifier": "f-mexp", "offset_ms": 1000},
            {"kind": "hang", "DBInstanceIdentifier": "f-mexp", "offset_ms": 9000, "duration_ms": 6000},
        ]})
        self.assertEqual(status, 201, x)

        def completed():
            v = call(self.server, "GET", "/_rdslocal/experiments/%d" % x["id"])[1]
            return v if v["state"] == "completed" else None
        done = t.wait_for(completed, 40, interval=0.2, what="the experiment to complete")
        self.assertEqual([s["state"] for s in done["faults"]], ["ended", "ended"])
        msgs = messages(self.rds, "f-mexp")
        # the kill and the hang each made the instance fail over to its standby
        self.assertEqual(msgs.count("Multi-AZ instance failover started"), 2, msgs)
        self.assertEqual(msgs.count("Multi-AZ instance failover completed"), 2, msgs)
        self.assertIn("The primary host of the RDS Multi-AZ instance is unhealthy.", msgs)
        self.assertIn("DB instance is not responding", msgs)
        self.assert_no_stopped_postgres()
        # same endpoint, every acknowledged row, writable
        self.wait_sql(d, "insert into kept values (2); select count(*) from kept", "2")
        d2 = t.wait_status(self.rds, "f-mexp", "available")
        self.assertEqual(d2["Endpoint"], d["Endpoint"])


class FaultsApiOnly(t.PgTestCase):
    """--no-engine: there are no processes to break, so every fault is refused."""
    no_engine = True

    def test_faults_refused_without_postgres(self):
        self.rds.create_db_instance(**t.create_args("f-api"))
        for kind in ("kill-primary", "hang", "storage-full"):
            got, out = call(self.server, "POST", "/_rdslocal/faults", {"kind": kind, "DBInstanceIdentifier": "f-api"})
            self.assertEqual((got, out["code"]), (400, "InvalidDBInstanceState"), out)
            self.assertIn("API-only mode", out["error"])
        status, x = call(self.server, "POST", "/_rdslocal/experiments",
                         {"faults": [{"kind": "hang", "DBInstanceIdentifier": "f-api", "offset_ms": 0}]})
        self.assertEqual(status, 201, x)
        self.assertEqual(x["faults"][0]["state"], "failed")
        self.assertEqual(x["state"], "completed")
        self.assertEqual(call(self.server, "GET", "/_rdslocal/faults?all=true")[1]["faults"], [])
        self.assertEqual(t.describe_one(self.rds, "f-api")["DBInstanceStatus"], "available")


if __name__ == "__main__":
    t.main()
