"""DB log files (issue 12 part 4), end to end over the real servers' logs.

Each instance's postgres logs to <instance>/log/error/postgresql.log.YYYY-MM-DD-HH (hourly
files, RDS's names). DescribeDBLogFiles lists them as "error/postgresql.log...." with
LastWritten and Size (filters FilenameContains, FileLastWritten, FileSize; MaxRecords and
Marker paging); DownloadDBLogFilePortion reads them (Marker "0" or a returned "0:<offset>",
NumberOfLines, at most 1 MB a call, AdditionalDataPending; without Marker, the tail).
Unknown files are DBLogFileNotFoundFault (404). Files older than rds.log_retention_period
(default 4320 minutes) by rdslocal's clock are removed by the worker, except the one
postgres writes now. Older hourly files are made by the test (written as postgres would,
owned by the postgres user) since a test cannot wait for hours to pass."""
import os
import pwd
import time

import botocore.exceptions

import rdslocal_testlib as t

MB = 1024 * 1024


class LogFiles(t.PgTestCase):
    def log_dir(self, d):
        return os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "log", "error")

    def current(self, d):
        files = sorted(f for f in os.listdir(self.log_dir(d)) if f.startswith("postgresql.log."))
        return files[-1]

    def old_file(self, d, name, text, age_s=3600):
        """An earlier hour's log file, as the logging collector leaves it."""
        path = os.path.join(self.log_dir(d), name)
        with open(path, "w") as f:
            f.write(text)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o600)
        when = time.time() - age_s
        os.utime(path, (when, when))
        return path

    def log_lines(self, d, n, width=200):
        """n lines in the server log through RAISE LOG as the master user; returns the tag."""
        tag = "tag%d" % int(time.time() * 1000)
        self.sql(d, "DO $$ BEGIN FOR i IN 1..%d LOOP RAISE LOG '%s %% %s', i; END LOOP; END $$" % (n, tag, "x" * width))
        return tag

    def error_code(self, call):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call()
        e = cm.exception.response
        return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]

    def test_list_and_filters(self):
        d = self.create("logs1")
        cur = self.current(d)
        for h in range(24):
            self.old_file(d, "postgresql.log.2020-01-02-%02d" % h, "line %d\n" % h * (h + 1), age_s=7200)
        before = os.stat(os.path.join(self.log_dir(d), cur))
        r = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1")
        after = os.stat(os.path.join(self.log_dir(d), cur))  # postgres may log meanwhile
        files = r["DescribeDBLogFiles"]
        self.assertEqual(len(files), 25)
        self.assertEqual(files[-1]["LogFileName"], "error/" + cur)
        self.assertTrue(before.st_size <= files[-1]["Size"] <= after.st_size)
        self.assertTrue(int(before.st_mtime * 1000) - 1 <= files[-1]["LastWritten"] <= after.st_mtime * 1000 + 1)
        self.assertEqual((files[0]["LogFileName"], files[0]["Size"]), ("error/postgresql.log.2020-01-02-00", 7))
        old_ns = os.stat(os.path.join(self.log_dir(d), "postgresql.log.2020-01-02-00")).st_mtime_ns
        self.assertEqual(files[0]["LastWritten"], old_ns // 1000000)
        self.assertNotIn("Marker", r)
        # paging
        p1 = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", MaxRecords=20)
        self.assertEqual(len(p1["DescribeDBLogFiles"]), 20)
        p2 = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", MaxRecords=20, Marker=p1["Marker"])
        self.assertEqual(p1["DescribeDBLogFiles"] + p2["DescribeDBLogFiles"], files)
        self.assertNotIn("Marker", p2)
        # the CLI's paginator walks them all
        _, out, _ = self.server.cli("rds", "describe-db-log-files", "--db-instance-identifier", "logs1",
                                    "--page-size", "20")
        self.assertEqual([f["LogFileName"] for f in out["DescribeDBLogFiles"]], [f["LogFileName"] for f in files])
        # filters
        r = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", FilenameContains="2020-01-02-1")
        self.assertEqual([f["LogFileName"] for f in r["DescribeDBLogFiles"]],
                         ["error/postgresql.log.2020-01-02-%02d" % h for h in range(10, 20)])
        r = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", FileSize=100)
        self.assertTrue(all(f["Size"] >= 100 for f in r["DescribeDBLogFiles"]))
        self.assertIn("error/" + cur, [f["LogFileName"] for f in r["DescribeDBLogFiles"]])
        self.assertLess(len(r["DescribeDBLogFiles"]), 25)
        since = int((time.time() - 3600) * 1000)
        r = self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", FileLastWritten=since)
        self.assertEqual([f["LogFileName"] for f in r["DescribeDBLogFiles"]], ["error/" + cur])
        # errors
        self.assertEqual(self.error_code(lambda: self.rds.describe_db_log_files(DBInstanceIdentifier="nope")),
                         ("DBInstanceNotFound", 404))
        self.assertEqual(self.error_code(
            lambda: self.rds.describe_db_log_files(DBInstanceIdentifier="logs1", MaxRecords=5))[0],
            "InvalidParameterValue")

    def test_portions_with_markers(self):
        d = self.create("logs2")
        tag = self.log_lines(d, 40)
        name = "error/" + self.current(d)
        path = os.path.join(self.log_dir(d), self.current(d))
        with open(path) as f:
            content = f.read()
        self.assertEqual(content.count("LOG:  %s " % tag), 40)
        # blocks of 7 lines from the start, following the markers
        got, marker, calls = "", "0", 0
        while True:
            r = self.rds.download_db_log_file_portion(DBInstanceIdentifier="logs2", LogFileName=name,
                                                      Marker=marker, NumberOfLines=7)
            data = r.get("LogFileData", "")
            calls += 1
            if r["AdditionalDataPending"]:
                self.assertEqual(data.count("\n"), 7)
            got += data
            self.assertRegex(r["Marker"], r"^\d+:\d+$")
            marker = r["Marker"]
            if not r["AdditionalDataPending"]:
                break
        self.assertTrue(got.startswith(content), "the blocks put together are the file")
        self.assertGreater(calls, 40 // 7)
        # the tail: without a marker, the last lines
        r = self.rds.download_db_log_file_portion(DBInstanceIdentifier="logs2", LogFileName=name, NumberOfLines=3)
        end = int(r["Marker"].split(":")[1])   # the file's size when it was read (it may grow since)
        with open(path, "rb") as f:
            lines = f.read()[:end].decode().splitlines(True)
        self.assertEqual(r["LogFileData"], "".join(lines[-3:]))
        self.assertFalse(r["AdditionalDataPending"])
        self.assertGreaterEqual(os.path.getsize(path), end)
        self.assertGreaterEqual(end, len(content.encode()))
        # the AWS CLI's paginated download (--starting-token 0) gives the whole file
        _, out, _ = self.server.cli("rds", "download-db-log-file-portion", "--db-instance-identifier", "logs2",
                                    "--log-file-name", name, "--starting-token", "0")
        self.assertTrue(out["LogFileData"].startswith(content))

    def test_one_megabyte_page_limit(self):
        d = self.create("logs3")
        self.log_lines(d, 3000, width=600)   # about 2 MB
        name = "error/" + self.current(d)
        size = os.path.getsize(os.path.join(self.log_dir(d), self.current(d)))
        self.assertGreater(size, 2 * MB - 200 * 1024)
        r = self.rds.download_db_log_file_portion(DBInstanceIdentifier="logs3", LogFileName=name, Marker="0")
        data = r["LogFileData"]
        self.assertLessEqual(len(data.encode()), MB)
        self.assertGreater(len(data.encode()), MB - 2048)
        self.assertTrue(data.endswith("\n"), "cut at a line end")
        self.assertTrue(r["AdditionalDataPending"])
        self.assertEqual(r["Marker"], "0:%d" % len(data.encode()))
        total = len(data.encode())
        while r["AdditionalDataPending"]:
            r = self.rds.download_db_log_file_portion(DBInstanceIdentifier="logs3", LogFileName=name,
                                                      Marker=r["Marker"])
            self.assertLessEqual(len(r.get("LogFileData", "").encode()), MB)
            total += len(r.get("LogFileData", "").encode())
        self.assertGreaterEqual(total, size)
        # the tail is capped too
        r = self.rds.download_db_log_file_portion(DBInstanceIdentifier="logs3", LogFileName=name)
        self.assertLessEqual(len(r["LogFileData"].encode()), MB)

    def test_unknown_file(self):
        d = self.create("logs4")
        for bad in ("error/postgresql.log.2001-01-01-00", "error/../../data/postgresql.conf", "postgresql.log",
                    "error/" + self.current(d) + "x"):
            self.assertEqual(self.error_code(lambda: self.rds.download_db_log_file_portion(
                DBInstanceIdentifier="logs4", LogFileName=bad)), ("DBLogFileNotFoundFault", 404), bad)
        self.assertEqual(self.error_code(lambda: self.rds.download_db_log_file_portion(
            DBInstanceIdentifier="nope", LogFileName="error/" + self.current(d))), ("DBInstanceNotFound", 404))

    def test_retention_by_clock(self):
        d = self.create("logs5")
        cur = self.current(d)
        old = self.old_file(d, "postgresql.log.2020-01-01-00", "old line\n", age_s=3600)
        names = lambda: [f["LogFileName"] for f in
                         self.rds.describe_db_log_files(DBInstanceIdentifier="logs5")["DescribeDBLogFiles"]]
        self.assertEqual(names(), ["error/postgresql.log.2020-01-01-00", "error/" + cur])
        # 2 days on (+1 h of age): within the 4320-minute default, kept
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 2 * 86400})
        self.assertTrue(os.path.exists(old))
        # past 3 days: removed; the file postgres writes stays
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 86400})
        t.wait_for(lambda: not os.path.exists(old), 10, what="old log file removed")
        self.assertEqual(names(), ["error/" + cur])
        self.log_lines(d, 1)
        self.assertEqual(names(), ["error/" + cur])
        # a file written after those advances is as old as rdslocal's clock has seen it
        # (minutes), not as old as the clock's lead over real time (3 days): kept
        newer = self.old_file(d, "postgresql.log.2020-01-01-01", "newer line\n", age_s=0)
        self.server.admin("POST", "/_rdslocal/clock", {"advance_seconds": 120})
        self.assertTrue(os.path.exists(newer))
        self.assertEqual(names(), ["error/postgresql.log.2020-01-01-01", "error/" + cur])


if __name__ == "__main__":
    t.main()
