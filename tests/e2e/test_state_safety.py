"""Issue #7 items 4-6: the state dir never loses or exposes data.

4. File modes: the state dir is 0710 (group: the postgres user's) as root, 0700 otherwise;
   rdslocal.db, its -wal/-shm and rdslocal.lock are 0600, whatever the umask, and an
   existing state dir is narrowed at start.
5. A missing or empty rdslocal.db never deletes instance data: rdslocal refuses to start
   (exit 3) until the file is restored or --quarantine-unknown is given, which moves the
   data dirs to <state>/quarantine/; a data dir the (valid) database does not know is
   quarantined, never removed, and listed by GET /_rdslocal/health.
6. A damaged rdslocal.db (dropped table or column, garbage, a page that fails
   quick_check) is refused with exit 4, a newer schema version with exit 5; the file is
   left byte-identical and the instances' data dirs are untouched.
Real instances (boto3 + psql) wherever the item is about data dirs."""
import glob
import hashlib
import os
import pwd
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile

import rdslocal_testlib as t

PW = "S3cret-pass"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_once(server, *extra, timeout=60):
    """Runs rdslocal on server's state dir the way Server.start does, expecting it to exit
    by itself (a refusal); returns (exit status, stderr text)."""
    args = [t.BIN, "--listen", "127.0.0.1:%d" % server.port, "--state-dir", server.state_dir,
            "--port-range", "%d-%d" % server.ports] + list(extra)
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=server.env)
    if p.returncode == 0 or p.returncode is None:
        raise AssertionError("rdslocal did not refuse to start: %s" % p.stderr)
    return p.returncode, p.stderr


def damage(db, sql):
    c = sqlite3.connect(db)
    c.executescript(sql)
    c.commit()
    c.close()


class StateSafety(t.PgTestCase):
    """One server per test (each one stops, damages and restarts it)."""

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.server = t.Server()
        self.server.start()
        self.rds = self.server.client()

    def tearDown(self):
        if self.server.proc is None:
            try:
                self.server.start()
            except AssertionError:
                pass
        if self.server.proc is not None:
            self.server.admin("POST", "/_rdslocal/reset")
        self.server.cleanup()

    def db(self):
        return os.path.join(self.server.state_dir, "rdslocal.db")

    def make_instance(self, ident):
        # retention 0: the quarantine lists below are of instance dirs; an automated
        # snapshot's dir unknown to the model would be quarantined beside them
        self.create(ident, BackupRetentionPeriod=0)
        d = t.wait_status(self.rds, ident, "available")
        self.sql(d, "create table kept (v text); insert into kept values ('survives')")
        return d

    def data_dir(self, d):
        return os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "data")

    def assert_data_intact(self, d):
        data = self.data_dir(d)
        self.assertTrue(os.path.isfile(os.path.join(data, "PG_VERSION")), "data dir %s is gone" % data)

    # ---- item 5: missing or empty database ----

    def check_missing_db_refused(self, lose):
        d = self.make_instance("ss-miss")
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        backup = self.db() + ".backup"
        shutil.copyfile(self.db(), backup)
        lose(self.db())
        before = os.path.exists(self.db()) and digest(self.db())
        rc, err = run_once(self.server)
        self.assertEqual(rc, 3, err)
        self.assertIn("missing or empty", err)
        self.assertIn("--quarantine-unknown", err)
        self.assertIn(os.path.join(self.server.state_dir, "instances"), err)
        self.assert_data_intact(d)
        self.assertEqual(os.path.exists(self.db()) and digest(self.db()), before)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        # recovery by restoring the file: the instance and its row are back
        shutil.copyfile(backup, self.db())
        os.remove(backup)
        self.server.start()
        d = t.wait_status(self.rds, "ss-miss", "available")
        self.assertEqual(self.sql(d, "select v from kept"), "survives")

    def test_issue_7_empty_db_refuses_to_start_and_keeps_data(self):
        self.check_missing_db_refused(lambda p: open(p, "w").close())

    def test_issue_7_missing_db_refuses_to_start_and_keeps_data(self):
        self.check_missing_db_refused(os.remove)

    def test_issue_7_quarantine_unknown_moves_data_dirs_and_starts_fresh(self):
        d = self.make_instance("ss-quar")
        rid = d["DbiResourceId"]
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        open(self.db(), "w").close()
        self.server.extra.append("--quarantine-unknown")
        try:
            self.server.start()
        finally:
            self.server.extra.remove("--quarantine-unknown")
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "instances")), [])
        qdir = os.path.join(self.server.state_dir, "quarantine")
        moved = glob.glob(os.path.join(qdir, rid + "-*"))
        self.assertEqual(len(moved), 1, os.listdir(qdir))
        self.assertTrue(os.path.isfile(os.path.join(moved[0], "data", "PG_VERSION")))
        self.assertEqual(self.server.admin("GET", "/_rdslocal/health")["quarantined"], moved)
        log = self.server.read_log()
        self.assertIn("WARN", log)
        self.assertIn(moved[0], log)

    def test_issue_7_quarantine_unknown_after_kill9_stops_the_running_postgres_first(self):
        d = self.make_instance("ss-quar9")
        rid, port = d["DbiResourceId"], d["Endpoint"]["Port"]
        pm = t.postmaster_pid(self.server.state_dir, rid)
        self.server.kill9()
        self.assertTrue(t.pid_alive(pm))
        open(self.db(), "w").close()   # the -wal of the killed rdslocal stays beside it
        rc, err = run_once(self.server)
        self.assertEqual(rc, 3, err)
        self.assertTrue(t.pid_alive(pm), "a refusal must not touch running instances")
        self.server.extra.append("--quarantine-unknown")
        try:
            self.server.start()
        finally:
            self.server.extra.remove("--quarantine-unknown")
        self.assertFalse(t.pid_alive(pm))
        self.assertTrue(t.port_refuses(port))
        qdir = os.path.join(self.server.state_dir, "quarantine")
        moved = glob.glob(os.path.join(qdir, rid + "-*"))
        self.assertEqual(len(moved), 1, os.listdir(qdir))
        self.assertEqual(t.postgres_pids_under(moved[0]), [])
        self.assertTrue(os.path.isfile(os.path.join(moved[0], "data", "PG_VERSION")))
        # a clean shutdown: no postmaster.pid left, the cluster can be started from there
        self.assertFalse(os.path.exists(os.path.join(moved[0], "data", "postmaster.pid")))
        health = self.server.admin("GET", "/_rdslocal/health")["quarantined"]
        self.assertIn(moved[0], health)
        self.assertTrue(any(os.path.basename(p).startswith("rdslocal.db-wal-") for p in health), health)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])

    def test_issue_7_data_dir_unknown_to_a_valid_db_is_quarantined_not_deleted(self):
        # a database from before the instance existed (e.g. restored from an old backup)
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        old = self.db() + ".old"
        shutil.copyfile(self.db(), old)
        self.server.start()
        d = self.make_instance("ss-unknown")
        rid = d["DbiResourceId"]
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        shutil.copyfile(old, self.db())
        os.remove(old)
        self.server.start()
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertFalse(os.path.exists(t.instance_dir(self.server.state_dir, rid)))
        moved = glob.glob(os.path.join(self.server.state_dir, "quarantine", rid + "-*"))
        self.assertEqual(len(moved), 1)
        self.assertTrue(os.path.isfile(os.path.join(moved[0], "data", "PG_VERSION")))
        self.assertEqual(self.server.admin("GET", "/_rdslocal/health")["quarantined"], moved)
        self.assertIn('"%s"' % moved[0], self.server.read_log())
        # its postgres is not running (it was stopped before the move) and a new instance works
        self.assertEqual(t.postgres_pids_under(moved[0]), [])
        d2 = self.make_instance("ss-after")
        self.assertEqual(self.sql(d2, "select v from kept"), "survives")

    def test_issue_7_deleted_instance_dir_is_still_removed(self):
        # the model knows these: a delete through the API removes the data as before
        d = self.make_instance("ss-del")
        self.rds.delete_db_instance(DBInstanceIdentifier="ss-del", SkipFinalSnapshot=True)
        self.assertFalse(os.path.exists(t.instance_dir(self.server.state_dir, d["DbiResourceId"])))
        self.server.stop(signal.SIGTERM)
        self.server.start()
        self.assertFalse(os.path.exists(os.path.join(self.server.state_dir, "quarantine")))
        self.assertEqual(self.server.admin("GET", "/_rdslocal/health")["quarantined"], [])

    # ---- item 6: damaged database ----

    def test_issue_7_damaged_db_refuses_to_start_and_is_left_untouched(self):
        d = self.make_instance("ss-dmg")
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        good = self.db() + ".good"
        shutil.copyfile(self.db(), good)

        def garbage(p):
            with open(p, "wb") as f:
                f.write(os.urandom(8192))

        def bad_page(p):
            # the second page (a table's b-tree root) overwritten: quick_check fails
            self.assertGreater(os.path.getsize(p), 4 * 4096)
            with open(p, "r+b") as f:
                f.seek(4096)
                f.write(b"\xff" * 4096)

        cases = [
            ("dropped table", lambda p: damage(p, "DROP TABLE event"), 4, 'lacks table "event"'),
            ("dropped instance table", lambda p: damage(p, "DROP TABLE db_instance"), 4,
             'lacks table "db_instance"'),
            ("dropped column", lambda p: damage(p, "ALTER TABLE db_instance DROP COLUMN status"), 4,
             'lacks column "status"'),
            ("newer schema", lambda p: damage(p, "PRAGMA user_version = 999"), 5, "schema version 999"),
            ("not a database", garbage, 4, "not a readable SQLite database"),
            ("corrupt page", bad_page, 4, "integrity check"),
        ]
        for name, hurt, code, words in cases:
            with self.subTest(name):
                shutil.copyfile(good, self.db())
                hurt(self.db())
                before = digest(self.db())
                rc, err = run_once(self.server)
                self.assertEqual(rc, code, err)
                self.assertIn(words, err)
                self.assertIn(self.db(), err)
                self.assertEqual(digest(self.db()), before, "the damaged file was changed")
                self.assert_data_intact(d)
                self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        shutil.copyfile(good, self.db())
        os.remove(good)
        self.server.start()
        d = t.wait_status(self.rds, "ss-dmg", "available")
        self.assertEqual(self.sql(d, "select v from kept"), "survives")

    # ---- item 4: file modes ----

    def assert_private_files(self):
        sd = self.server.state_dir
        for name in ("rdslocal.db", "rdslocal.db-wal", "rdslocal.db-shm", "rdslocal.lock"):
            p = os.path.join(sd, name)
            self.assertTrue(os.path.exists(p), name)
            self.assertEqual(oct(mode(p)), oct(0o600), name)

    def test_issue_7_modes_as_root_with_umask_0000(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        sd = self.server.state_dir
        # an existing state dir with wide modes is narrowed at start
        os.chmod(sd, 0o777)
        os.chmod(self.db(), 0o666)
        os.chmod(os.path.join(sd, "rdslocal.lock"), 0o666)
        old = os.umask(0)
        try:
            self.server.start()
        finally:
            os.umask(old)
        self.rds.describe_db_instances()   # the database is in use: -wal and -shm exist
        self.assertEqual(oct(mode(sd)), oct(0o710))
        self.assertEqual(os.stat(sd).st_gid, pwd.getpwnam("postgres").pw_gid)
        self.assert_private_files()
        # the postgres user still reaches what it needs: an instance runs and serves
        old = os.umask(0)
        try:
            d = self.make_instance("ss-modes")
        finally:
            os.umask(old)
        self.assertEqual(self.sql(d, "select v from kept"), "survives")
        self.assert_private_files()
        self.assertEqual(oct(mode(sd)), oct(0o710))

    def test_issue_7_modes_as_a_normal_user_with_umask_0000(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch to the postgres user")
        pg = pwd.getpwnam("postgres")
        base = tempfile.mkdtemp(prefix="rdslocal-user-")
        os.chmod(base, 0o755)
        sd = os.path.join(base, "state")
        tdir = os.path.join(base, "templates")
        os.mkdir(sd, 0o777)
        os.chmod(sd, 0o777)
        os.chown(sd, pg.pw_uid, pg.pw_gid)
        os.mkdir(tdir)
        os.chown(tdir, pg.pw_uid, pg.pw_gid)
        port = t.free_port()
        lo, hi = t.port_block()

        def become_postgres():
            os.setgid(pg.pw_gid)
            os.setgroups([])
            os.setuid(pg.pw_uid)
            os.umask(0)

        env = dict(os.environ, HOME=pg.pw_dir)
        log = open(os.path.join(base, "log"), "wb")
        p = subprocess.Popen([t.BIN, "--listen", "127.0.0.1:%d" % port, "--state-dir", sd,
                              "--template-dir", tdir, "--spare-pool", "0", "--port-range", "%d-%d" % (lo, hi)],
                             stdout=log, stderr=log, env=env, preexec_fn=become_postgres)
        try:
            def healthy():
                if p.poll() is not None:
                    with open(os.path.join(base, "log")) as f:
                        raise AssertionError("rdslocal exited: %s" % f.read())
                try:
                    import urllib.request
                    with urllib.request.urlopen("http://127.0.0.1:%d/_rdslocal/health" % port, timeout=1) as r:
                        return r.status == 200
                except OSError:
                    return False
            t.wait_for(healthy, 30, what="rdslocal as the postgres user")
            self.assertEqual(oct(mode(sd)), oct(0o700))
            for name in ("rdslocal.db", "rdslocal.db-wal", "rdslocal.db-shm", "rdslocal.lock"):
                self.assertEqual(oct(mode(os.path.join(sd, name))), oct(0o600), name)
                self.assertEqual(os.stat(os.path.join(sd, name)).st_uid, pg.pw_uid)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(60)
            log.close()
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    t.main()
