"""Real postgres behind CreateDBInstance: credentials and roles as on RDS, readiness, engine
versions, ports and logs, seen from the user's side (boto3 for the API, psql for the DB)."""
import glob
import os
import re
import socket
import subprocess

from botocore.exceptions import ClientError

import rdslocal_testlib as t


def installed_majors():
    return sorted(int(m) for m in os.listdir("/usr/lib/postgresql")
                  if m.isdigit() and os.path.exists("/usr/lib/postgresql/%s/bin/postgres" % m))


def installed_version(major):
    out = subprocess.run(["/usr/lib/postgresql/%d/bin/postgres" % major, "--version"],
                         capture_output=True, text=True, check=True).stdout
    return re.search(r"\) (\d+\.\d+)", out).group(1)  # "postgres (PostgreSQL) 15.18 (Debian ...)"


class PgConnect(t.PgTestCase):
    def test_master_user_can_write_and_read_a_table(self):
        d = self.create("conn1")
        self.assertEqual(d["DBInstanceStatus"], "available")
        self.assertEqual(d["Endpoint"]["Address"], "localhost")
        self.sql(d, "create table t (id int primary key, v text); insert into t values (1, 'one'), (2, 'two')")
        self.assertEqual(self.sql(d, "select id || ':' || v from t order by id"), "1:one\n2:two")

    def test_master_user_is_rds_superuser_not_superuser(self):
        d = self.create("conn2")
        self.assertEqual(self.sql(d, "select rolsuper from pg_roles where rolname = current_user"), "f")
        self.assertEqual(self.sql(d, "select pg_has_role(current_user, 'rds_superuser', 'member')"), "t")
        self.sql(d, "create database otherdb")
        self.sql(d, "create role reader login password 'R3ader-pass'")
        self.assertEqual(self.sql(d, "select current_user", user="reader", password="R3ader-pass",
                                  db="otherdb"), "reader")
        # a superuser-only command is refused
        ep = d["Endpoint"]
        rc, _, err = t.psql(ep["Port"], "app", "S3cret-pass", "alter system set work_mem = '8MB'")
        self.assertNotEqual(rc, 0)
        self.assertIn("permission denied", err)

    def test_db_name_exists_and_is_owned_by_master_user(self):
        d = self.create("conn3", DBName="appdb")
        self.assertEqual(d["DBName"], "appdb")
        self.assertEqual(self.sql(d, "select pg_get_userbyid(datdba) from pg_database where datname = 'appdb'"),
                         "app")
        self.assertEqual(self.sql(d, "select current_database()", db="appdb"), "appdb")
        self.sql(d, "create table x (a int); insert into x values (7)", db="appdb")

    def test_wrong_password_is_refused_by_postgres(self):
        d = self.create("conn4")
        rc, _, err = t.psql(d["Endpoint"]["Port"], "app", "wrong-password", "select 1")
        self.assertNotEqual(rc, 0)
        self.assertIn('password authentication failed for user "app"', err)
        for user in ("postgres", "rdsadmin"):  # superusers never log in over TCP
            rc, _, err = t.psql(d["Endpoint"]["Port"], user, "S3cret-pass", "select 1")
            self.assertNotEqual(rc, 0, user)
            self.assertIn("password authentication failed", err)

    def test_available_on_first_poll_and_psql_works_at_once(self):
        r = self.rds.create_db_instance(**t.create_args("ready1", DBName="readydb"))
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "creating")
        # no waiting at all: the first Describe and the first connection must succeed
        d = t.describe_one(self.rds, "ready1")
        self.assertEqual(d["DBInstanceStatus"], "available")
        rc, out, err = t.psql(d["Endpoint"]["Port"], "app", "S3cret-pass", "select 1", db="readydb")
        self.assertEqual((rc, out), (0, "1"), err)
        # the SDK waiter returns on its first poll
        self.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier="ready1", WaiterConfig={"Delay": 1, "MaxAttempts": 1})

    def test_engine_version_major_and_full_show_running_version(self):
        major = 15 if 15 in installed_majors() else installed_majors()[-1]
        full = installed_version(major)
        for ident, ev in (("ev-major", str(major)), ("ev-full", full)):
            d = self.create(ident, EngineVersion=ev)
            self.assertEqual(d["EngineVersion"], full, ev)
            version = self.sql(d, "select version()")
            self.assertTrue(version.startswith("PostgreSQL %s " % full), version)
            self.assertEqual(self.sql(d, "show server_version_num")[:2], str(major))

    def test_empty_engine_version_means_the_default(self):
        # Terraform sends EngineVersion= (empty) when engine_version is not set; AWS reads it
        # as "the default version".
        newest = installed_version(installed_majors()[-1])
        d = self.create("ev-empty", EngineVersion="")
        self.assertEqual(d["EngineVersion"], newest)
        self.assertTrue(self.sql(d, "select version()").startswith("PostgreSQL %s " % newest))

    def test_engine_version_not_installed_is_refused(self):
        installed = installed_majors()
        newest = max(installed)
        for ev in ("16", "9.6", "16.1", "%d.99" % newest, "%d.x" % newest):
            if "." not in ev and int(ev) in installed:
                continue
            with self.assertRaises(ClientError) as cm:
                self.rds.create_db_instance(**t.create_args("ev-missing", EngineVersion=ev))
            err = cm.exception.response
            self.assertEqual(err["Error"]["Code"], "InvalidParameterCombination", ev)
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertEqual(err["Error"]["Message"], "Cannot find version %s for postgres" % ev)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])
        self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "instances")), [])
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])

    def test_explicit_port_is_honoured(self):
        port = t.free_port()
        d = self.create("port1", Port=port)
        self.assertEqual(d["Endpoint"]["Port"], port)
        self.assertEqual(self.sql(d, "show port"), str(port))
        self.assertEqual(self.sql(d, "select inet_server_addr()::text"), "127.0.0.1/32")

    def test_port_in_use_is_refused_and_nothing_created(self):
        lo, _ = self.server.ports
        for port in (t.free_port(), lo):  # outside and inside --port-range
            sock = socket.socket()
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
                sock.listen()
                with self.assertRaises(ClientError) as cm:
                    self.rds.create_db_instance(**t.create_args("port-taken", Port=port))
            finally:
                sock.close()
            err = cm.exception.response
            self.assertEqual(err["Error"]["Code"], "InvalidParameterValue")
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertIn(str(port), err["Error"]["Message"])
            with self.assertRaises(ClientError) as cm:
                t.describe_one(self.rds, "port-taken")
            self.assertEqual(cm.exception.response["Error"]["Code"], "DBInstanceNotFound")
            self.assertEqual(os.listdir(os.path.join(self.server.state_dir, "instances")), [])
            self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])

    def test_no_port_takes_one_from_port_range_and_skips_taken_ones(self):
        lo, hi = self.server.ports
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # lo may be in TIME_WAIT
        sock.bind(("127.0.0.1", lo))  # a foreign listener on the first port of the range
        sock.listen()
        try:
            a = self.create("range-a")
            b = self.create("range-b")
        finally:
            sock.close()
        pa, pb = a["Endpoint"]["Port"], b["Endpoint"]["Port"]
        for p in (pa, pb):
            self.assertTrue(lo <= p <= hi, "%d not in %d-%d" % (p, lo, hi))
        self.assertNotEqual(pa, lo)
        self.assertNotEqual(pb, lo)
        self.assertNotEqual(pa, pb)
        self.assertEqual(self.sql(a, "show port"), str(pa))
        self.assertEqual(self.sql(b, "show port"), str(pb))

    def test_log_dir_holds_rds_named_postgres_log(self):
        d = self.create("logs1")
        self.sql(d, "select 1")
        t.psql(d["Endpoint"]["Port"], "app", "wrong-password", "select 1")
        err_dir = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "log", "error")
        files = [f for f in os.listdir(err_dir) if re.fullmatch(r"postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}", f)]
        self.assertTrue(files, os.listdir(err_dir))

        def logged():
            text = ""
            for f in glob.glob(os.path.join(err_dir, "postgresql.log.*")):
                with open(f, errors="replace") as fh:
                    text += fh.read()
            return "password authentication failed" in text and text
        text = t.wait_for(logged, 10, what="the failed login in the postgres log")
        self.assertIn("database system is ready to accept connections", text)
        self.assertNotIn("wrong-password", text)
        self.assertNotIn("S3cret-pass", text)


class PgNoEngine(t.PgTestCase):
    no_engine = True

    def test_create_is_available_without_any_postgres(self):
        r = self.rds.create_db_instance(**t.create_args("noeng", DBName="appdb"))
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "creating")
        d = t.describe_one(self.rds, "noeng")
        self.assertEqual(d["DBInstanceStatus"], "available")
        # nothing listens, so no port is allocated: the engine's default, as on AWS
        self.assertEqual(d["Endpoint"]["Port"], 5432)
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        # stop/start/reboot only change the model
        self.assertEqual(self.rds.stop_db_instance(DBInstanceIdentifier="noeng")["DBInstance"]["DBInstanceStatus"],
                         "stopping")
        self.assertEqual(t.describe_one(self.rds, "noeng")["DBInstanceStatus"], "stopped")
        self.rds.start_db_instance(DBInstanceIdentifier="noeng")
        self.assertEqual(t.describe_one(self.rds, "noeng")["DBInstanceStatus"], "available")
        self.rds.reboot_db_instance(DBInstanceIdentifier="noeng")
        self.assertEqual(t.describe_one(self.rds, "noeng")["DBInstanceStatus"], "available")
        self.assertEqual(t.postgres_pids_under(self.server.state_dir), [])
        self.rds.delete_db_instance(DBInstanceIdentifier="noeng", SkipFinalSnapshot=True)
        self.assertEqual(self.rds.describe_db_instances()["DBInstances"], [])


if __name__ == "__main__":
    t.main()
