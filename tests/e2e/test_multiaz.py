"""Multi-AZ end to end (issue 10 parts 1-3, 6): a real synchronous standby, failover on
request and automatic failover, with the real rdslocal binary, boto3 and psql.

A LoadClient is one psql session fed INSERT ... RETURNING statements one at a time: a
returned row is an acknowledged commit (autocommit). When the session dies (failover) a new
one is opened on the SAME endpoint. After the failover every acknowledged id must be in
the table, on the new primary."""
import os
import signal
import subprocess
import threading
import time

import rdslocal_testlib as t
from botocore.exceptions import ClientError

PW = "S3cret-pass"


class LoadClient:
    """Writes ids 1, 2, ... into table t through psql sessions on host:port until stopped."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.acked = []
        self.ack_log = []  # (id, time.monotonic(), session number): bench/failover_bench.py reads it
        self.sessions = 0
        self.session_t0 = []
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def session_started_at(self):
        return self.session_t0

    def start(self):
        self.thread.start()
        return self

    def _session(self, next_id):
        env = dict(os.environ, PGPASSWORD=PW, PGCONNECT_TIMEOUT="2")
        # stdbuf: psql's stdout is a pipe here; line buffering shows each ack at once
        p = subprocess.Popen(["stdbuf", "-oL", "psql", "-X", "-Atq", "-h", self.host, "-p", str(self.port), "-U", "app",
                              "-d", "postgres"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env)
        self.sessions += 1
        self.session_t0.append(time.monotonic())
        try:
            while not self.stop_flag:
                p.stdin.write("INSERT INTO t VALUES (%d) RETURNING id;\n\\echo done\n" % next_id)
                p.stdin.flush()
                got = None
                while True:
                    line = p.stdout.readline()
                    if not line:
                        return next_id + 1  # session lost (the id may be committed without an ack: skip it)
                    line = line.strip()
                    if line == "done":
                        break
                    got = line
                if got == str(next_id):
                    self.acked.append(next_id)
                    self.ack_log.append((next_id, time.monotonic(), self.sessions))
                    next_id += 1
                else:
                    return next_id + 1  # an error: the next session goes on with a fresh id
        except (BrokenPipeError, OSError):
            return next_id + 1
        finally:
            try:
                p.stdin.close()
            except OSError:
                pass
            p.kill()
            p.wait()
            p.stdout.close()
        return next_id

    def _run(self):
        next_id = 1
        while not self.stop_flag:
            next_id = self._session(next_id)
            if not self.stop_flag:
                time.sleep(0.005)

    def finish(self):
        self.stop_flag = True
        self.thread.join(30)


def describe_pids(pids):
    """pid: parent, cwd and command line of each (for a failure message)."""
    out = []
    for pid in sorted(pids):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open("/proc/%d/stat" % pid) as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
            out.append("%d (ppid %s, cwd %s): %s" % (pid, ppid, os.readlink("/proc/%d/cwd" % pid), cmd))
        except OSError:
            out.append("%d (gone)" % pid)
    return "; ".join(out)


class MultiAZTest(t.PgTestCase):
    def make(self, ident, **kw):
        d = self.create(ident, MultiAZ=True, **kw)
        self.assertTrue(d["MultiAZ"])
        self.sql(d, "CREATE TABLE t (id int PRIMARY KEY)")
        return d

    def idir(self, d):
        return t.instance_dir(self.server.state_dir, d["DbiResourceId"])

    def standby_pid(self, d):
        try:
            with open(os.path.join(self.idir(d), "standby", "postmaster.pid")) as f:
                pid = int(f.readline())
            return pid if t.pid_alive(pid) else None
        except (OSError, ValueError):
            return None

    def sync_state(self, d):
        # the standby's row only: an automated backup's pg_basebackup may be streaming too
        return self.sql(d, "SELECT application_name || ':' || sync_state FROM pg_stat_replication"
                           " WHERE application_name <> 'pg_basebackup'")

    def events(self, ident):
        return [e["Message"] for e in self.rds.describe_events(SourceIdentifier=ident,
                                                             SourceType="db-instance")["Events"]]

    def wait_sync(self, d, timeout=60):
        t.wait_for(lambda: self.sync_state(d) == "rdslocal_standby:sync", timeout, interval=0.1,
                   what="a synchronous standby")

    def count_check(self, d, load):
        ids = set(int(x) for x in self.sql(d, "SELECT id FROM t").split())
        lost = [i for i in load.acked if i not in ids]
        self.assertEqual(lost, [], "acknowledged commits lost")
        self.assertGreater(len(load.acked), 0)

    # ---- part 1 -----------------------------------------------------------------------

    def test_create_multi_az_runs_a_synchronous_standby(self):
        d = self.make("maz-create")
        self.assertNotEqual(d["AvailabilityZone"], d["SecondaryAvailabilityZone"])
        self.assertEqual(self.sync_state(d), "rdslocal_standby:sync")
        self.assertIsNotNone(self.standby_pid(d))
        # the standby listens on no TCP port: its config and the one listener of the port
        with open(os.path.join(self.idir(d), "standby", "rdslocal.conf")) as f:
            self.assertIn("listen_addresses = ''", f.read())
        self.sql(d, "INSERT INTO t VALUES (1)")
        # a committed row is on the standby (asked over its private socket as rdsadmin)
        sock = os.path.join(self.idir(d), "sock-sb") if os.path.isdir(os.path.join(self.idir(d), "sock-sb")) \
            else os.path.join(self.idir(d), "sbsock")
        p = subprocess.run(["psql", "-X", "-At", "-h", sock, "-p", str(d["Endpoint"]["Port"]), "-U", "rdsadmin",
                            "-d", "postgres", "-c", "SELECT count(*) FROM t; SELECT pg_is_in_recovery()"],
                           capture_output=True, text=True)
        self.assertEqual(p.stdout.split(), ["1", "t"], p.stderr)

    def test_modify_converts_both_ways_with_events(self):
        d = self.create("maz-conv")
        self.assertFalse(d["MultiAZ"])
        self.assertIsNone(self.standby_pid(d))
        self.rds.modify_db_instance(DBInstanceIdentifier="maz-conv", MultiAZ=True, ApplyImmediately=True)
        d = t.describe_one(self.rds, "maz-conv")
        self.assertTrue(d["MultiAZ"])
        self.assertIn("SecondaryAvailabilityZone", d)
        self.assertIsNotNone(self.standby_pid(d))
        self.assertEqual(self.sync_state(d), "rdslocal_standby:sync")
        ev = self.events("maz-conv")
        self.assertIn("Applying modification to convert to a Multi-AZ DB instance", ev)
        self.assertIn("Finished applying modification to convert to a Multi-AZ DB instance", ev)
        self.rds.modify_db_instance(DBInstanceIdentifier="maz-conv", MultiAZ=False, ApplyImmediately=True)
        d = t.describe_one(self.rds, "maz-conv")
        self.assertFalse(d["MultiAZ"])
        self.assertNotIn("SecondaryAvailabilityZone", d)
        self.assertIsNone(self.standby_pid(d))
        self.assertFalse(os.path.exists(os.path.join(self.idir(d), "standby")))
        self.assertEqual(self.sync_state(d), "")
        self.sql(d, "CREATE TABLE after_single (i int); INSERT INTO after_single VALUES (1)")  # never blocks
        ev = self.events("maz-conv")
        self.assertIn("Applying modification to convert to a standard (Single-AZ) DB instance", ev)
        self.assertIn("Finished applying modification to convert to a standard (Single-AZ) DB instance", ev)

    def test_conversion_waits_for_the_maintenance_window(self):
        d = self.create("maz-window", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
                        PreferredBackupWindow="02:00-02:30")
        r = self.rds.modify_db_instance(DBInstanceIdentifier="maz-window", MultiAZ=True)["DBInstance"]
        self.assertFalse(r["MultiAZ"])
        self.assertEqual(r["PendingModifiedValues"].get("MultiAZ"), True)
        self.assertIsNone(self.standby_pid(d))
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 8 * 86400})  # past a window
        d = t.wait_for(lambda: (lambda x: x if x["MultiAZ"] else None)(t.describe_one(self.rds, "maz-window")),
                       60, 0.1, "the conversion in the maintenance window")
        self.assertEqual(d["PendingModifiedValues"], {})
        self.assertIn("SecondaryAvailabilityZone", d)
        self.assertIsNotNone(self.standby_pid(d))
        self.assertEqual(self.sync_state(d), "rdslocal_standby:sync")
        self.assertIn("Finished applying modification to convert to a Multi-AZ DB instance", self.events("maz-window"))

    def test_restore_from_snapshot_with_multi_az(self):
        d = self.make("maz-src")
        self.sql(d, "INSERT INTO t VALUES (7)")
        self.rds.create_db_snapshot(DBInstanceIdentifier="maz-src", DBSnapshotIdentifier="maz-snap")
        t.wait_for(lambda: self.rds.describe_db_snapshots(DBSnapshotIdentifier="maz-snap")["DBSnapshots"][0]
                   ["Status"] == "available", 60, interval=0.1, what="snapshot")
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="maz-rest",
                                                      DBSnapshotIdentifier="maz-snap", MultiAZ=True)
        r = t.wait_status(self.rds, "maz-rest", "available", 60)
        self.assertTrue(r["MultiAZ"])
        self.assertEqual(self.sync_state(r), "rdslocal_standby:sync")
        self.assertEqual(self.sql(r, "SELECT id FROM t"), "7")

    # ---- part 2 -----------------------------------------------------------------------

    def test_force_failover_single_az_refused(self):
        self.create("maz-single")
        with self.assertRaises(ClientError) as cm:
            self.rds.reboot_db_instance(DBInstanceIdentifier="maz-single", ForceFailover=True)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], "InvalidParameterCombination")
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(e["Error"]["Message"], "Cannot reboot with failover a DB instance that is not Multi-AZ.")
        self.assertNotIn("Multi-AZ instance failover started", self.events("maz-single"))

    def test_force_failover_under_write_load_loses_nothing(self):
        d = self.make("maz-ff")
        ep = d["Endpoint"]
        old_pid = t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])
        old_sock = os.listdir(os.path.join(self.idir(d), "sock"))
        load = LoadClient(ep["Address"], ep["Port"]).start()
        try:
            t.wait_for(lambda: len(load.acked) > 20, 30, what="writes before the failover")
            self.rds.reboot_db_instance(DBInstanceIdentifier="maz-ff", ForceFailover=True)
            n = len(load.acked)
            t.wait_for(lambda: len(load.acked) > n + 20, 30, what="writes after the failover")
        finally:
            load.finish()
        after = t.describe_one(self.rds, "maz-ff")
        self.assertEqual(after["Endpoint"], ep)
        self.assertEqual(after["AvailabilityZone"], d["SecondaryAvailabilityZone"])
        self.assertEqual(after["SecondaryAvailabilityZone"], d["AvailabilityZone"])
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, d["DbiResourceId"]), old_pid)
        self.assertEqual(os.listdir(os.path.join(self.idir(d), "sock")), old_sock)  # same socket path
        self.assertGreater(load.sessions, 1)  # the client really was cut off and came back
        self.count_check(after, load)
        self.assertEqual(self.sql(after, "SELECT pg_is_in_recovery()"), "f")
        ev = self.events("maz-ff")
        for m in ("Multi-AZ instance failover started", "The user requested a failover of the DB instance.",
                  "Multi-AZ instance failover completed"):
            self.assertIn(m, ev)
        # the old primary comes back as the synchronous standby
        self.wait_sync(after)
        self.assertIsNotNone(self.standby_pid(after))

    # ---- part 3 -----------------------------------------------------------------------

    def auto_failover(self, ident, fault, reason):
        d = self.make(ident)
        ep = d["Endpoint"]
        pid = t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])
        load = LoadClient(ep["Address"], ep["Port"]).start()
        try:
            t.wait_for(lambda: len(load.acked) > 20, 30, what="writes before the fault")
            fault(pid)
            t.wait_for(lambda: "Multi-AZ instance failover completed" in self.events(ident), 30, interval=0.1,
                       what="the automatic failover")
            n = len(load.acked)
            t.wait_for(lambda: len(load.acked) > n + 20, 30, what="writes after the failover")
        finally:
            load.finish()
        after = t.describe_one(self.rds, ident)
        self.assertEqual(after["DBInstanceStatus"], "available")
        self.assertEqual(after["Endpoint"], ep)
        self.assertEqual(after["AvailabilityZone"], d["SecondaryAvailabilityZone"])
        self.count_check(after, load)
        ev = self.events(ident)
        self.assertIn("Multi-AZ instance failover started", ev)
        self.assertIn(reason, ev)
        self.assertNotIn("Recovery of the DB instance has started. Recovery time will vary with the amount of "
                         "data to be recovered", ev)  # a failover, not a restart in place
        self.assertFalse(t.pid_alive(pid))
        self.wait_sync(after)
        return after

    def test_automatic_failover_after_kill9_of_primary(self):
        def kill_all(pid):
            kids = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]
            for p in [pid] + kids:
                os.kill(p, signal.SIGKILL)
        self.auto_failover("maz-kill", kill_all, "The primary host of the RDS Multi-AZ instance is unhealthy.")

    def test_automatic_failover_after_primary_hangs(self):
        stopped = []

        def hang(pid):
            stopped.append(pid)
            os.kill(pid, signal.SIGSTOP)
        try:
            self.auto_failover("maz-hang", hang, "The RDS Multi-AZ primary instance is busy and unresponsive.")
        finally:
            for pid in stopped:  # rdslocal SIGKILLs it; if the test failed first, do not leave it stopped
                _ignore(lambda: os.kill(pid, signal.SIGCONT))

    # ---- part 6: rdslocal killed during a failover; reset -----------------------------

    def test_kill9_of_rdslocal_during_failover_leaves_one_primary(self):
        d = self.make("maz-crash")
        self.sql(d, "INSERT INTO t VALUES (1)")
        rid = d["DbiResourceId"]
        th = threading.Thread(target=lambda: _ignore(lambda: self.rds.reboot_db_instance(
            DBInstanceIdentifier="maz-crash", ForceFailover=True)))
        th.start()
        # kill rdslocal as soon as the failover has moved the old primary away
        t.wait_for(lambda: os.path.exists(os.path.join(self.idir(d), "old")) or
                   not os.path.exists(os.path.join(self.idir(d), "data")), 30, interval=0.001,
                   what="the failover to begin")
        self.server.kill9()
        th.join(30)
        self.server.start()
        r = t.wait_status(self.rds, "maz-crash", "available", 60)
        self.assertEqual(r["Endpoint"], d["Endpoint"])
        self.assertEqual(self.sql(r, "SELECT pg_is_in_recovery(); SELECT count(*) FROM t").split(), ["f", "1"])
        self.wait_sync(r)
        # exactly one primary and one standby run for the instance, nothing else
        primaries = []
        for node in ("data", "standby"):
            pidf = os.path.join(self.idir(d), node, "postmaster.pid")
            self.assertTrue(os.path.exists(pidf), node)
            primaries.append(os.path.exists(os.path.join(self.idir(d), node, "standby.signal")))
        self.assertEqual(primaries, [False, True])
        self.assertEqual(sorted(n for n in os.listdir(self.idir(d)) if n in ("old", "standby.new")), [])
        def orphans():
            pids = set(t.postgres_pids_under(self.idir(d)))
            owned = set()
            for node in ("data", "standby"):
                with open(os.path.join(self.idir(d), node, "postmaster.pid")) as f:
                    pm = int(f.readline())
                owned |= {pm} | {p for p in pids if _ppid(p) == pm}
            # a backend that exited between the listing and its parent's lookup is no orphan
            return {p for p in pids - owned if t.pid_alive(p)}
        left = orphans()
        deadline = time.time() + 5
        while left and time.time() < deadline:  # a process of the killed primary still dying
            time.sleep(0.2)
            left = orphans()
        self.assertEqual(left, set(), "orphan postgres processes: %s" % describe_pids(left))
        self.assertEqual(rid, r["DbiResourceId"])

    def test_kill9_of_rdslocal_with_the_standby_placed_but_not_promoted(self):
        # the state a failover is in between moving the stopped standby to D/data and its
        # self-promotion there (sv_failover.c, step 4), made by hand so it is exact: rdslocal
        # and every postgres of the instance killed, D/data -> D/old, D/standby -> D/data
        d = self.make("maz-placed")
        self.sql(d, "INSERT INTO t VALUES (1)")
        self.server.kill9()
        idir = self.idir(d)
        for pid in t.postgres_pids_under(idir):
            _ignore(lambda: os.kill(pid, signal.SIGKILL))
        t.wait_for(lambda: not t.postgres_pids_under(idir), 10, what="the instance's postgres to exit")
        os.rename(os.path.join(idir, "data"), os.path.join(idir, "old"))
        os.rename(os.path.join(idir, "standby"), os.path.join(idir, "data"))
        self.assertTrue(os.path.exists(os.path.join(idir, "data", "standby.signal")))
        self.server.start()
        r = t.wait_status(self.rds, "maz-placed", "available", 60)
        # the standby came up as the writable primary with every committed row
        self.sql(r, "INSERT INTO t VALUES (2)")
        self.assertEqual(self.sql(r, "SELECT pg_is_in_recovery(); SELECT count(*) FROM t").split(), ["f", "2"])
        self.wait_sync(r)
        self.assertFalse(os.path.exists(os.path.join(idir, "old")))
        self.assertFalse(os.path.exists(os.path.join(idir, "data", "standby.signal")))

    def test_reboot_stop_start_and_rdslocal_restarts_keep_the_standby(self):
        d = self.make("maz-life")
        self.sql(d, "INSERT INTO t VALUES (1)")
        sb = self.standby_pid(d)
        # a plain reboot restarts the primary; the standby reconnects and is synchronous again
        self.rds.reboot_db_instance(DBInstanceIdentifier="maz-life")
        self.assertEqual(self.sync_state(d), "rdslocal_standby:sync")
        self.assertEqual(self.standby_pid(d), sb)
        self.assertEqual(self.events("maz-life").count("Multi-AZ instance failover started"), 0)
        # stop: both servers go; start: both come back, synchronous
        self.rds.stop_db_instance(DBInstanceIdentifier="maz-life")
        t.wait_status(self.rds, "maz-life", "stopped", 60)
        self.assertEqual(t.postgres_pids_under(self.idir(d)), [])
        self.rds.start_db_instance(DBInstanceIdentifier="maz-life")
        t.wait_status(self.rds, "maz-life", "available", 60)
        self.assertEqual(self.sync_state(d), "rdslocal_standby:sync")
        # kill -9 of rdslocal: both servers are adopted as they run
        sb = self.standby_pid(d)
        pm = t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])
        self.server.kill9()
        self.server.start()
        self.wait_sync(d)
        self.assertEqual((self.standby_pid(d), t.postmaster_pid(self.server.state_dir, d["DbiResourceId"])), (sb, pm))
        # SIGTERM: both stop; the next start brings both back
        self.server.stop()
        self.assertEqual(t.postgres_pids_under(self.idir(d)), [])
        self.server.start()
        self.wait_sync(d)
        self.assertEqual(self.sql(d, "SELECT count(*) FROM t"), "1")

    def test_reset_leaves_nothing(self):
        d = self.make("maz-reset")
        self.assertIsNotNone(self.standby_pid(d))
        self.server.admin("POST", "/_rdslocal/reset")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.assertFalse(os.path.exists(self.idir(d)))


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _ignore(fn):
    try:
        fn()
    except Exception:  # noqa: BLE001 - the server is killed under the request on purpose
        pass


if __name__ == "__main__":
    t.main()
