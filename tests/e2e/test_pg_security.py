"""The master user must not escape the database (issue #7 item 1).

On PostgreSQL 15 a CREATEROLE user may grant itself pg_execute_server_program,
pg_read_server_files or pg_write_server_files, and then run shell commands or read and
write files as the postgres OS user, who owns every instance's data directory. On RDS the
master user cannot (rds_superuser is not a superuser). rdslocal preloads its rdslocal_guard
module (pgext/) into every instance to refuse the same routes. Each escape test below
tries the whole route as the master user (get the role, then use it) and asserts the
refusal, so it fails on an instance running without the guard. The last tests check that
what the master user may do on RDS still works.

Runs as root (postgres as the `postgres` OS user) or as a normal user."""
import os
import signal
import subprocess

import rdslocal_testlib as t

WITHHELD = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")
DENIED = "ERROR:  permission denied to grant role \"%s\""


class PgSecurity(t.PgTestCase):
    def run_sql(self, d, sql, db="postgres"):
        """psql as the master user; returns (rc, out, err) without asserting."""
        return t.psql(d["Endpoint"]["Port"], "app", "S3cret-pass", sql, db=db)

    def refused(self, d, sql, message, db="postgres"):
        rc, out, err = self.run_sql(d, sql, db=db)
        self.assertNotEqual(rc, 0, "%r was accepted: %s" % (sql, out))
        self.assertIn(message, err, sql)

    def admin_sql(self, d, sql):
        """psql as the internal superuser rdsadmin over the instance's private unix socket
        (as the postgres OS user when the tests run as root)."""
        sock = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "sock")
        cmd = ["psql", "-h", sock, "-p", str(d["Endpoint"]["Port"]), "-U", "rdsadmin", "-d", "postgres",
               "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")
        self.assertEqual(p.returncode, 0, "rdsadmin psql failed: %s" % p.stderr)
        return p.stdout.strip()

    def is_member(self, d, role, member="app"):
        return self.sql(d, "select pg_has_role('%s', '%s', 'member')" % (member, role)) == "t"

    # ---- escape routes --------------------------------------------------------------

    def test_grant_withheld_roles_to_self_is_refused(self):
        d = self.create("sec-grant")
        for role in WITHHELD:
            self.refused(d, "grant %s to app" % role, DENIED % role)
            self.refused(d, "grant %s to app with admin option" % role, DENIED % role)
            self.refused(d, "grant %s to rds_superuser" % role, DENIED % role)
            self.assertFalse(self.is_member(d, role), role)
        self.refused(d, "grant pg_monitor, pg_execute_server_program to app", DENIED % "pg_execute_server_program")

    def test_create_role_in_withheld_role_is_refused(self):
        d = self.create("sec-inrole")
        for role in WITHHELD:
            self.refused(d, "create role sneaky login password 'x-Pass-1' in role %s" % role, DENIED % role)
            self.refused(d, "create user sneaky in group pg_monitor, %s" % role, DENIED % role)
        self.assertEqual(self.sql(d, "select count(*) from pg_roles where rolname = 'sneaky'"), "0")

    def test_grant_through_a_second_role_is_refused(self):
        d = self.create("sec-detour")
        self.sql(d, "create role helper")
        self.sql(d, "grant helper to app")
        for role in WITHHELD:
            self.refused(d, "grant %s to helper" % role, DENIED % role)
            self.refused(d, "alter group %s add user helper" % role, DENIED % role)
            self.refused(d, "alter group %s add user app" % role, DENIED % role)
            self.assertFalse(self.is_member(d, role, "helper"), role)
        # the same statements run by a function or a DO block are refused too
        self.refused(d, "do $$ begin execute 'grant pg_execute_server_program to app'; end $$",
                     DENIED % "pg_execute_server_program")
        self.sql(d, "create function give() returns void language plpgsql security definer "
                    "as $$ begin grant pg_read_server_files to app; end $$")
        self.refused(d, "select give()", DENIED % "pg_read_server_files")
        # a role that already holds a withheld role (made by rdsadmin, e.g. before the
        # guard existed) cannot be handed on either
        self.admin_sql(d, "create role legacy in role pg_execute_server_program")
        self.refused(d, "grant legacy to app", DENIED % "legacy")
        self.assertFalse(self.is_member(d, "pg_execute_server_program"))

    def test_copy_from_and_to_program_is_refused(self):
        d = self.create("sec-program")
        self.sql(d, "create table out (line text)")
        self.run_sql(d, "grant pg_execute_server_program to app")  # the route's first step
        self.refused(d, "copy out from program 'id'",
                     "must be superuser or have privileges of the pg_execute_server_program role to COPY to or "
                     "from an external program")
        marker = "/tmp/rdslocal-escape-%d" % os.getpid()
        self.refused(d, "copy (select 1) to program 'touch %s'" % marker, "pg_execute_server_program role")
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(self.sql(d, "select count(*) from out"), "0")

    def test_copy_is_refused_even_with_a_role_granted_before_the_guard(self):
        d = self.create("sec-legacy")
        self.sql(d, "create table out (line text)")
        # an instance whose master user escaped before the guard existed
        self.admin_sql(d, "grant pg_execute_server_program, pg_read_server_files, pg_write_server_files to app")
        self.assertTrue(self.is_member(d, "pg_execute_server_program"))
        self.refused(d, "copy out from program 'id'", "pg_execute_server_program role")
        self.refused(d, "copy out from '/etc/passwd'", "pg_read_server_files role")
        self.refused(d, "copy out to '/tmp/rdslocal-escape-%d'" % os.getpid(), "pg_write_server_files role")

    def test_server_files_cannot_be_read_or_written(self):
        d = self.create("sec-files")
        self.sql(d, "create table out (line text)")
        self.run_sql(d, "grant pg_read_server_files, pg_write_server_files to app")  # the route's first step
        self.refused(d, "copy out from '/etc/passwd'",
                     "must be superuser or have privileges of the pg_read_server_files role to COPY from a file")
        other = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "data", "PG_VERSION")
        self.refused(d, "copy out from '%s'" % other, "pg_read_server_files role")
        marker = "/tmp/rdslocal-escape-%d" % os.getpid()
        self.refused(d, "copy (select 'x') to '%s'" % marker,
                     "must be superuser or have privileges of the pg_write_server_files role to COPY to a file")
        self.assertFalse(os.path.exists(marker))
        # the server-side file functions stay superuser-only (PostgreSQL's own EXECUTE check)
        for fn in ("pg_read_file('/etc/passwd')", "pg_read_binary_file('/etc/passwd')", "pg_ls_dir('/')",
                   "pg_stat_file('/etc/passwd')", "lo_import('/etc/passwd')"):
            self.refused(d, "select %s" % fn, "permission denied for function")
        self.assertEqual(self.sql(d, "select count(*) from out"), "0")

    def test_guard_is_loaded_and_alter_system_cannot_unload_it(self):
        d = self.create("sec-system")
        self.assertEqual(self.sql(d, "show rdslocal_guard.version"), "1")
        self.assertTrue(self.sql(d, "show shared_preload_libraries").endswith("/lib/rdslocal_guard.so"))
        self.refused(d, "alter system set shared_preload_libraries = ''",
                     "permission denied to set parameter \"shared_preload_libraries\"")
        self.refused(d, "alter system reset all", "permission denied to perform ALTER SYSTEM RESET ALL")
        self.refused(d, "set rdslocal_guard.version = '0'", "rdslocal_guard.version")
        self.refused(d, "load 'plpgsql'", "access to library \"plpgsql\" is not allowed")
        self.refused(d, "set session_preload_libraries = 'plpgsql'",
                     "permission denied to set parameter \"session_preload_libraries\"")
        # a reboot rewrites the instance config: the guard is still there
        self.rds.reboot_db_instance(DBInstanceIdentifier="sec-system")
        d = t.wait_status(self.rds, "sec-system", "available")
        self.assertEqual(self.sql(d, "show rdslocal_guard.version"), "1")

    def test_adopted_postmaster_without_the_guard_is_restarted_with_it(self):
        # A postmaster left running by an rdslocal that predates the guard: rdslocal is
        # killed, the instance is restarted by hand without the module, rdslocal restarts.
        d = self.create("sec-adopt")
        rid = d["DbiResourceId"]
        data = os.path.join(t.instance_dir(self.server.state_dir, rid), "data")
        self.server.kill9()
        pm = t.postmaster_pid(self.server.state_dir, rid)
        os.kill(pm, signal.SIGINT)
        t.wait_for(lambda: not t.pid_alive(pm), 30, what="postmaster to stop")
        conf = os.path.join(data, "rdslocal.conf")
        with open(conf) as f:
            text = f.read()
        self.assertIn("shared_preload_libraries", text)
        with open(conf, "w") as f:
            f.write("\n".join(l for l in text.splitlines() if not l.startswith("shared_preload_libraries")) + "\n")
        cmd = ["/usr/lib/postgresql/15/bin/postgres", "-D", data]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        manual = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                                  start_new_session=True)
        t.wait_for(lambda: self.run_sql(d, "select 1")[0] == 0, 30, what="unguarded postmaster")
        self.assertEqual(self.run_sql(d, "show rdslocal_guard.version")[0], 1)  # really unguarded
        unguarded = t.postmaster_pid(self.server.state_dir, rid)
        self.server.start()
        d = t.wait_status(self.rds, "sec-adopt", "available")
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, rid), unguarded)
        manual.wait(30)  # reconcile stopped it
        self.assertEqual(self.sql(d, "show rdslocal_guard.version"), "1")
        self.refused(d, "grant pg_execute_server_program to app", DENIED % "pg_execute_server_program")

    def test_superuser_routes_stay_closed(self):
        # PostgreSQL's own checks; kept here so the whole list of routes is in one place
        d = self.create("sec-super")
        self.refused(d, "create role boss superuser", "must be superuser to create superusers")
        self.refused(d, "alter role app superuser", "must be superuser")
        self.refused(d, "set role rdsadmin", "permission denied to set role \"rdsadmin\"")
        self.refused(d, "grant rdsadmin to app", "must be superuser")
        for ext in ("dblink", "file_fdw", "postgres_fdw", "adminpack"):
            self.refused(d, "create extension %s" % ext, "permission denied to create extension \"%s\"" % ext)

    # ---- what the master user may still do, as on RDS ------------------------------------

    def test_master_user_keeps_its_rds_privileges(self):
        d = self.create("sec-allowed", DBName="appdb")
        self.sql(d, "create role reader login password 'R3ader-pass'")
        self.sql(d, "create role team")
        self.sql(d, "grant team to reader")
        self.sql(d, "alter group team add user app")
        self.assertTrue(self.is_member(d, "team", "reader"))
        self.sql(d, "create role ops in role pg_monitor")
        self.sql(d, "grant pg_monitor, pg_signal_backend, pg_checkpoint to reader")
        self.sql(d, "grant pg_read_all_data, pg_write_all_data to team")
        self.assertTrue(self.is_member(d, "pg_monitor", "reader"))
        self.sql(d, "revoke pg_signal_backend from reader")
        self.sql(d, "revoke pg_execute_server_program from reader")  # revoking is never refused
        self.sql(d, "grant rds_superuser to reader")
        self.sql(d, "create database otherdb")
        self.assertEqual(self.sql(d, "select current_user", user="reader", password="R3ader-pass",
                                  db="otherdb"), "reader")
        for ext in ("pgcrypto", "hstore"):
            if os.path.exists("/usr/share/postgresql/15/extension/%s.control" % ext):
                self.sql(d, "create extension %s" % ext, db="appdb")
        self.assertEqual(self.sql(d, "select length(digest('x', 'sha256'))", db="appdb"), "32")
        # COPY to STDOUT / from STDIN (and so psql's \copy) works for anyone
        self.sql(d, "create table t (a int); copy t to stdout", db="appdb")
        rc, out, err = self.run_sql(d, "\\copy (select 42) to stdout", db="appdb")
        self.assertEqual((rc, out), (0, "42"), err)
        self.sql(d, "alter role reader set work_mem = '8MB'")
        self.sql(d, "set work_mem = '8MB'")


if __name__ == "__main__":
    t.main()
