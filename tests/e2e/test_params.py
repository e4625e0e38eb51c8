"""DB parameter groups on the real server (boto3, AWS CLI, psql): engine defaults read from
PostgreSQL's pg_settings, a dynamic parameter visible in SHOW right after the modify, a
static one pending-reboot until RebootDBInstance applies it, reset, switching an instance's
group, AWS's errors (default group, group in use, bad values), values that cannot leave
their postgresql.conf line, option groups, and all of it across restarts of rdslocal."""
import os
import signal
import subprocess

from botocore.exceptions import ClientError

import rdslocal_testlib as t

FAMILY = "postgres15"


class Params(t.PgTestCase):
    def group(self, name, *params):
        self.rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=FAMILY,
                                           Description="test group " + name)
        if params:
            self.modify(name, *params)

    def modify(self, name, *params):
        self.rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            dict(ParameterName=n, ParameterValue=v, ApplyMethod=m) for n, v, m in params])

    def show(self, d, setting):
        return self.sql(d, "show " + setting)

    def apply_status(self, ident):
        return t.describe_one(self.rds, ident)["DBParameterGroups"][0]["ParameterApplyStatus"]

    def user_params(self, name):
        pages = self.rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=name, Source="user")
        return {p["ParameterName"]: p for page in pages for p in page["Parameters"]}

    def assertCode(self, fn, code, status=400, contains=None, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], code, e)
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], status)
        if contains:
            self.assertIn(contains, e["Error"]["Message"])
        return e["Error"]["Message"]

    def test_engine_defaults_come_from_pg_settings(self):
        pages = self.rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily=FAMILY)
        params, n_pages = {}, 0
        for page in pages:
            n_pages += 1
            self.assertEqual(page["EngineDefaults"]["DBParameterGroupFamily"], FAMILY)
            for p in page["EngineDefaults"]["Parameters"]:
                params[p["ParameterName"]] = p
        self.assertGreater(n_pages, 1)  # paged by MaxRecords (100)
        # what the real server's pg_settings says, compared with the live server itself
        d = self.create("pd-defaults")
        rows = self.sql(d, "select name || '|' || context || '|' || coalesce(array_to_string(enumvals, ','), '')"
                           " from pg_settings where name in ('log_statement', 'shared_buffers', 'work_mem')")
        live = {r.split("|")[0]: r.split("|") for r in rows.splitlines()}
        self.assertEqual(params["log_statement"]["AllowedValues"], live["log_statement"][2])
        self.assertEqual(params["log_statement"]["ApplyType"], "dynamic")
        self.assertEqual(live["shared_buffers"][1], "postmaster")
        self.assertEqual(params["shared_buffers"]["ApplyType"], "static")
        self.assertEqual(params["work_mem"]["DataType"], "integer")
        self.assertEqual(params["work_mem"]["AllowedValues"], "64-2147483647")
        self.assertEqual(params["autovacuum"]["AllowedValues"], "0,1")
        self.assertEqual(params["rds.force_ssl"]["ParameterValue"], "1")
        self.assertEqual(params["rds.log_retention_period"]["ParameterValue"], "4320")
        self.assertFalse(params["port"]["IsModifiable"])
        self.assertEqual(params["port"]["Source"], "system")
        self.assertNotIn("block_size", params)  # internal settings are no parameters
        # a user group lists the same parameters
        self.group("pd-list")
        got = self.rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName="pd-list")
        self.assertEqual(sorted(p["ParameterName"] for pg in got for p in pg["Parameters"]), sorted(params))

    def test_dynamic_now_static_after_reboot(self):
        self.group("pd-app", ("log_min_duration_statement", "250", "immediate"),
                   ("max_locks_per_transaction", "128", "pending-reboot"))
        d = self.create("pd-inst", DBParameterGroupName="pd-app")
        self.assertEqual(d["DBParameterGroups"][0], {"DBParameterGroupName": "pd-app",
                                                     "ParameterApplyStatus": "in-sync"})
        # a new instance starts with all of its group
        self.assertEqual(self.show(d, "log_min_duration_statement"), "250ms")
        self.assertEqual(self.show(d, "max_locks_per_transaction"), "128")
        # dynamic: the running server has it as soon as the modify answered
        self.modify("pd-app", ("log_statement", "ddl", "immediate"))
        self.assertEqual(self.show(d, "log_statement"), "ddl")
        self.assertEqual(self.apply_status("pd-inst"), "in-sync")
        # static: held until a reboot
        self.modify("pd-app", ("max_locks_per_transaction", "256", "pending-reboot"))
        self.assertEqual(self.apply_status("pd-inst"), "pending-reboot")
        self.assertEqual(self.show(d, "max_locks_per_transaction"), "128")
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-inst")
        d = t.wait_status(self.rds, "pd-inst", "available")
        self.assertEqual(self.show(d, "max_locks_per_transaction"), "256")
        self.assertEqual(self.apply_status("pd-inst"), "in-sync")
        self.assertEqual(self.show(d, "log_statement"), "ddl")
        # what is logged follows the group: log_statement=ddl logs a CREATE TABLE, not a SELECT
        self.sql(d, "create table logged_by_group (v int)")
        self.sql(d, "select 'not_logged_select'")
        logdir = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "log", "error")

        def logged():
            text = ""
            for f in os.listdir(logdir):
                with open(os.path.join(logdir, f), errors="replace") as fh:
                    text += fh.read()
            return text if "statement: create table logged_by_group" in text else None
        self.assertNotIn("not_logged_select", t.wait_for(logged, 10, what="the DDL in the server log"))
        # a master password change is DDL too, but its verifier never reaches that log
        # (DownloadDBLogFilePortion serves it to anyone with the API)
        self.rds.modify_db_instance(DBInstanceIdentifier="pd-inst", MasterUserPassword="N3w-secret-pass",
                                    ApplyImmediately=True)
        self.sql(d, "create table after_password_change (v int)", password="N3w-secret-pass")
        text = t.wait_for(lambda: (lambda x: x if "after_password_change" in x else None)(logged()), 10,
                          what="the DDL after the password change in the server log")
        self.assertNotIn("SCRAM-SHA-256$", text)
        self.assertNotIn("ALTER ROLE", text.upper())

    def test_static_value_the_host_cannot_honour(self):
        """A reboot with a static value the server cannot start with (8 TB of shared_buffers)
        leaves the instance running with its previous settings, still pending-reboot."""
        self.group("pd-huge")
        d = self.create("pd-hg", DBParameterGroupName="pd-huge")
        before = self.show(d, "shared_buffers")
        self.modify("pd-huge", ("shared_buffers", "1073741823", "pending-reboot"))
        self.assertEqual(self.apply_status("pd-hg"), "pending-reboot")
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-hg")
        d = t.wait_status(self.rds, "pd-hg", "available")
        self.assertEqual(self.show(d, "shared_buffers"), before)
        self.assertEqual(self.apply_status("pd-hg"), "pending-reboot")
        # a sane value then applies at the next reboot
        self.modify("pd-huge", ("shared_buffers", "4096", "pending-reboot"))
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-hg")
        d = t.wait_status(self.rds, "pd-hg", "available")
        self.assertEqual(self.show(d, "shared_buffers"), "32MB")
        self.assertEqual(self.apply_status("pd-hg"), "in-sync")

    def test_reset_and_user_source(self):
        self.group("pd-reset", ("log_statement", "all", "immediate"), ("work_mem", "8192", "immediate"))
        d = self.create("pd-rs", DBParameterGroupName="pd-reset")
        self.assertEqual(self.show(d, "log_statement"), "all")
        user = self.user_params("pd-reset")
        self.assertEqual(set(user), {"log_statement", "work_mem"})
        self.assertEqual(user["work_mem"]["ParameterValue"], "8192")
        self.assertEqual(user["work_mem"]["ApplyMethod"], "immediate")
        self.rds.reset_db_parameter_group(DBParameterGroupName="pd-reset",
                                          Parameters=[dict(ParameterName="log_statement", ApplyMethod="immediate")])
        self.assertEqual(self.show(d, "log_statement"), "none")
        self.assertEqual(self.show(d, "work_mem"), "8MB")
        self.assertEqual(set(self.user_params("pd-reset")), {"work_mem"})
        self.rds.reset_db_parameter_group(DBParameterGroupName="pd-reset", ResetAllParameters=True)
        self.assertEqual(self.user_params("pd-reset"), {})
        self.assertEqual(self.show(d, "work_mem"), "4MB")

    def test_switch_group_applies_at_reboot(self):
        d = self.create("pd-sw")
        self.assertEqual(d["DBParameterGroups"][0]["DBParameterGroupName"], "default." + FAMILY)
        self.group("pd-new", ("log_min_duration_statement", "1000", "immediate"))
        out = self.rds.modify_db_instance(DBInstanceIdentifier="pd-sw", DBParameterGroupName="pd-new",
                                          ApplyImmediately=True)["DBInstance"]
        self.assertEqual(out["DBParameterGroups"][0]["DBParameterGroupName"], "pd-new")
        self.assertEqual(self.apply_status("pd-sw"), "pending-reboot")
        events = self.rds.describe_events(SourceIdentifier="pd-sw", SourceType="db-instance")["Events"]
        self.assertIn("Updated to use DBParameterGroup pd-new", [e["Message"] for e in events])
        self.assertEqual(self.show(d, "log_min_duration_statement"), "-1")
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-sw")
        d = t.wait_status(self.rds, "pd-sw", "available")
        self.assertEqual(self.show(d, "log_min_duration_statement"), "1s")
        self.assertEqual(self.apply_status("pd-sw"), "in-sync")
        # the old default group is no group one can delete; the new one is in use
        self.assertCode(self.rds.delete_db_parameter_group, "InvalidDBParameterGroupState",
                        contains="still members", DBParameterGroupName="pd-new")
        self.assertCode(self.rds.modify_db_instance, "DBParameterGroupNotFound", 404,
                        DBInstanceIdentifier="pd-sw", DBParameterGroupName="pd-nope")

    def test_errors(self):
        default = "default." + FAMILY
        with self.assertRaises(ClientError) as cm:
            self.modify(default, ("log_statement", "all", "immediate"))
        self.assertEqual(cm.exception.response["Error"]["Message"], "Cannot modify a default parameter group.")
        self.assertCode(self.rds.delete_db_parameter_group, "InvalidDBParameterGroupState",
                        contains="Default DBParameterGroup cannot be deleted: " + default,
                        DBParameterGroupName=default)
        self.assertCode(self.rds.describe_db_parameters, "DBParameterGroupNotFound", 404,
                        DBParameterGroupName="nope")
        self.assertCode(self.rds.delete_db_parameter_group, "DBParameterGroupNotFound", 404,
                        DBParameterGroupName="nope")
        self.group("pd-err")
        self.assertCode(self.rds.create_db_parameter_group, "DBParameterGroupAlreadyExists",
                        DBParameterGroupName="PD-ERR", DBParameterGroupFamily=FAMILY, Description="x")
        self.assertCode(self.rds.create_db_parameter_group, "InvalidParameterValue",
                        DBParameterGroupName="pd-fam", DBParameterGroupFamily="mysql8.0", Description="x")
        self.assertCode(self.rds.create_db_instance, "DBParameterGroupNotFound", 404,
                        **t.create_args("pd-nogroup", DBParameterGroupName="nope"))
        cases = [
            (("log_statement", "everything", "immediate"), "InvalidParameterValue",
             "Invalid parameter value: everything for: log_statement allowed values are: none,ddl,mod,all"),
            (("work_mem", "12", "immediate"), "InvalidParameterValue", "allowed values are: 64-2147483647"),
            (("work_mem", "lots", "immediate"), "InvalidParameterValue", "for: work_mem"),
            (("autovacuum", "on", "immediate"), "InvalidParameterValue", "allowed values are: 0,1"),
            (("no_such_setting", "1", "immediate"), "InvalidParameterValue",
             "Could not find parameter with name: no_such_setting"),
            (("port", "5433", "pending-reboot"), "InvalidParameterValue", "cannot be modified"),
            (("archive_command", "/bin/true", "immediate"), "InvalidParameterValue", "cannot be modified"),
            (("shared_preload_libraries", "evil", "pending-reboot"), "InvalidParameterValue",
             "allowed values are: auto_explain,pg_prewarm,pg_stat_statements"),
            (("max_locks_per_transaction", "128", "immediate"), "InvalidParameterCombination",
             "cannot use immediate apply method for static parameter"),
            (("application_name", "two\nlines", "immediate"), "InvalidParameterValue", "application_name"),
        ]
        for param, code, msg in cases:
            with self.subTest(param=param[0]):
                with self.assertRaises(ClientError) as cm:
                    self.modify("pd-err", param)
                self.assertEqual(cm.exception.response["Error"]["Code"], code)
                self.assertIn(msg, cm.exception.response["Error"]["Message"])
        self.assertEqual(self.user_params("pd-err"), {})  # a refused request changes nothing

    def test_values_stay_in_their_line(self):
        evil = "x'\nport = 1\n'; listen_addresses = '*"
        self.group("pd-quote")
        with self.assertRaises(ClientError):
            self.modify("pd-quote", ("application_name", evil, "immediate"))
        tricky = "a'b\\c # not a comment; port = 1"
        self.modify("pd-quote", ("syslog_ident", tricky, "immediate"),
                    ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"))
        d = self.create("pd-q", DBParameterGroupName="pd-quote")
        self.assertEqual(self.show(d, "syslog_ident"), tricky)
        # the group's library is loaded next to rdslocal's own guard module, never instead of it
        libs = self.show(d, "shared_preload_libraries")
        self.assertIn("pg_stat_statements", libs)
        self.assertIn("rdslocal_guard", libs)
        self.assertEqual(self.show(d, "port"), str(d["Endpoint"]["Port"]))

    def test_copy_and_cli(self):
        self.group("pd-src", ("log_statement", "mod", "immediate"))
        rc, out, _ = self.server.cli("rds", "copy-db-parameter-group", "--source-db-parameter-group-identifier",
                                     "pd-src", "--target-db-parameter-group-identifier", "pd-copy",
                                     "--target-db-parameter-group-description", "copied")
        self.assertEqual(out["DBParameterGroup"]["DBParameterGroupFamily"], FAMILY)
        self.assertTrue(out["DBParameterGroup"]["DBParameterGroupArn"].endswith(":pg:pd-copy"))
        rc, out, _ = self.server.cli("rds", "modify-db-parameter-group", "--db-parameter-group-name", "pd-copy",
                                     "--parameters",
                                     "ParameterName=log_min_duration_statement,ParameterValue=500,ApplyMethod=immediate")
        self.assertEqual(out, {"DBParameterGroupName": "pd-copy"})
        rc, out, _ = self.server.cli("rds", "describe-db-parameters", "--db-parameter-group-name", "pd-copy",
                                     "--source", "user")
        self.assertEqual({p["ParameterName"]: p["ParameterValue"] for p in out["Parameters"]},
                         {"log_statement": "mod", "log_min_duration_statement": "500"})
        rc, out, _ = self.server.cli("rds", "describe-db-parameter-groups")
        names = [g["DBParameterGroupName"] for g in out["DBParameterGroups"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("default." + FAMILY, names)
        self.assertIn("pd-copy", names)
        self.rds.delete_db_parameter_group(DBParameterGroupName="pd-copy")
        self.assertCode(self.rds.describe_db_parameter_groups, "DBParameterGroupNotFound", 404,
                        DBParameterGroupName="pd-copy")

    def test_force_ssl(self):
        """rds.force_ssl=1 (the postgres15 default): a client without SSL gets PostgreSQL's own
        refusal; the parameter is dynamic: 0 lets it in at once, 1 shuts it out again."""
        d = self.create("pd-ssl")
        ep = d["Endpoint"]

        def connect(sslmode):
            env = dict(os.environ, PGPASSWORD="S3cret-pass", PGSSLMODE=sslmode, PGCONNECT_TIMEOUT="5")
            p = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(ep["Port"]), "-U", "app", "-d", "postgres",
                                "-Atq", "-c", "select 1"], capture_output=True, text=True, env=env, timeout=60)
            return p.returncode, p.stdout.strip(), p.stderr.strip()
        rc, _, err = connect("disable")
        self.assertNotEqual(rc, 0)
        # PostgreSQL's own words for a missing hostssl entry ("SSL off"; 15.20 says "no encryption")
        self.assertIn('no pg_hba.conf entry for host "127.0.0.1", user "app", database "postgres", ', err)
        self.assertTrue(err.endswith("SSL off") or err.endswith("no encryption"), err)
        self.assertEqual(connect("require")[:2], (0, "1"))
        self.group("pd-nossl", ("rds.force_ssl", "0", "immediate"))
        self.rds.modify_db_instance(DBInstanceIdentifier="pd-ssl", DBParameterGroupName="pd-nossl",
                                    ApplyImmediately=True)
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-ssl")
        t.wait_status(self.rds, "pd-ssl", "available")
        self.assertEqual(connect("disable")[:2], (0, "1"))
        self.modify("pd-nossl", ("rds.force_ssl", "1", "immediate"))
        self.assertIn("no pg_hba.conf entry", connect("disable")[2])
        self.assertEqual(self.apply_status("pd-ssl"), "in-sync")

    def test_option_groups(self):
        groups = self.rds.describe_option_groups(EngineName="postgres")["OptionGroupsList"]
        og = [g for g in groups if g["OptionGroupName"] == "default:postgres-15"][0]
        self.assertEqual(og["MajorEngineVersion"], "15")
        self.assertEqual(og["Options"], [])
        self.assertEqual(self.rds.describe_option_group_options(EngineName="postgres")["OptionGroupOptions"], [])
        self.assertCode(self.rds.describe_option_groups, "OptionGroupNotFoundFault", 404, OptionGroupName="nope")
        d = self.create("pd-og")
        self.assertEqual(d["OptionGroupMemberships"][0]["OptionGroupName"], "default:postgres-15")
        # a user's option group (empty, as every postgres one), used by an instance, not deletable then
        og = self.rds.create_option_group(OptionGroupName="pd-opts", EngineName="postgres", MajorEngineVersion="15",
                                          OptionGroupDescription="mine")["OptionGroup"]
        self.assertEqual((og["OptionGroupName"], og["Options"]), ("pd-opts", []))
        self.assertTrue(og["OptionGroupArn"].endswith(":og:pd-opts"))
        self.assertCode(self.rds.create_option_group, "OptionGroupAlreadyExistsFault", OptionGroupName="pd-opts",
                        EngineName="postgres", MajorEngineVersion="15", OptionGroupDescription="again")
        self.assertCode(self.rds.create_option_group, "InvalidParameterValue", OptionGroupName="pd-my",
                        EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="x")
        d = self.create("pd-og2", OptionGroupName="pd-opts")
        self.assertEqual(d["OptionGroupMemberships"][0]["OptionGroupName"], "pd-opts")
        self.assertCode(self.rds.create_db_instance, "OptionGroupNotFoundFault", 404,
                        **t.create_args("pd-og3", OptionGroupName="nope"))
        self.assertCode(self.rds.delete_option_group, "InvalidOptionGroupStateFault", OptionGroupName="pd-opts")
        self.assertCode(self.rds.delete_option_group, "InvalidOptionGroupStateFault",
                        OptionGroupName="default:postgres-15")
        self.rds.delete_db_instance(DBInstanceIdentifier="pd-og2", SkipFinalSnapshot=True)
        self.rds.delete_option_group(OptionGroupName="pd-opts")
        self.assertCode(self.rds.describe_option_groups, "OptionGroupNotFoundFault", 404, OptionGroupName="pd-opts")

    def test_restart_keeps_groups_and_settings(self):
        self.group("pd-keep", ("log_min_duration_statement", "300", "immediate"))
        d = self.create("pd-kp", DBParameterGroupName="pd-keep")
        self.modify("pd-keep", ("max_locks_per_transaction", "200", "pending-reboot"))
        for stop in (lambda: self.server.stop(signal.SIGTERM), self.server.kill9):
            stop()
            self.server.start()
            d = t.wait_status(self.rds, "pd-kp", "available")
            self.assertEqual(self.show(d, "log_min_duration_statement"), "300ms")
            self.assertEqual(self.show(d, "max_locks_per_transaction"), "64")  # still held
            self.assertEqual(self.apply_status("pd-kp"), "pending-reboot")
            self.assertEqual(self.user_params("pd-keep")["max_locks_per_transaction"]["ParameterValue"], "200")
        self.rds.reboot_db_instance(DBInstanceIdentifier="pd-kp")
        d = t.wait_status(self.rds, "pd-kp", "available")
        self.assertEqual(self.show(d, "max_locks_per_transaction"), "200")


if __name__ == "__main__":
    t.main()
