"""TLS in transit (issue 12 part 1), end to end with the real binary, boto3, psql and the
openssl command (only as a client here: rdslocal makes its CAs with OpenSSL's library).

Every instance's server runs with ssl=on and a certificate signed by its CA (the
CACertificateIdentifier), with subjectAltNames covering the endpoint address and
127.0.0.1. The bundle of the three CAs is served at /_rdslocal/certs/global-bundle.pem and
written to <state>/certs/global-bundle.pem. Checked here: psql sslmode=verify-full with the
bundle works, with another CA or another host name it fails; each CA's key type; a CA
change on modify re-issues (the served certificate's issuer changes; restart or reload per
CertificateRotationRestart); DescribeCertificates fields; CertificateNotFound; and a
restart of rdslocal (SIGTERM and kill -9) keeps CAs, certificates and verify-full."""
import datetime
import hashlib
import os
import re
import ssl
import subprocess
import tempfile
import urllib.request

import botocore.exceptions

import rdslocal_testlib as t

CAS = ("rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1")
KEY_TYPES = {"rds-ca-rsa2048-g1": "RSA 2048", "rds-ca-rsa4096-g1": "RSA 4096", "rds-ca-ecc384-g1": "EC 384"}


def pem_blocks(text):
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", text, re.S)


def x509_text(pem):
    p = subprocess.run(["openssl", "x509", "-noout", "-text", "-nameopt", "RFC2253"], input=pem,
                       capture_output=True, text=True, check=True)
    return p.stdout


def key_type(text):
    """'RSA 2048', 'RSA 4096' or 'EC 384' from `openssl x509 -text`."""
    m = re.search(r"Public Key Algorithm: (\S+)\s+Public-Key: \((\d+) bit\)", text)
    algo = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC"}.get(m.group(1), m.group(1))
    return "%s %s" % (algo, m.group(2))


def issuer_cn(text):
    return re.search(r"Issuer: .*?CN=([^,\n]+)", text).group(1)


def served_cert(port):
    """The certificate the server presents (STARTTLS of the postgres protocol)."""
    p = subprocess.run(["openssl", "s_client", "-starttls", "postgres", "-connect", "127.0.0.1:%d" % port],
                       input="", capture_output=True, text=True, timeout=30)
    blocks = pem_blocks(p.stdout)
    assert blocks, "no certificate from port %d: %s" % (port, p.stderr[-500:])
    return blocks[0]


def psql_tls(port, rootcert, host="localhost", sslmode="verify-full", hostaddr=None):
    """psql as the master user with the given TLS settings; (rc, out, err)."""
    conn = "host=%s port=%d user=app dbname=postgres sslmode=%s sslrootcert=%s" % (host, port, sslmode, rootcert)
    if hostaddr:
        conn += " hostaddr=%s" % hostaddr
    env = dict(os.environ, PGPASSWORD="S3cret-pass", PGCONNECT_TIMEOUT="5")
    p = subprocess.run(["psql", conn, "-Atqc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
                       capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


class Tls(t.PgTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="rdslocal-tls-")
        cls.bundle = os.path.join(cls.tmp, "global-bundle.pem")
        with urllib.request.urlopen(cls.server.endpoint + "/_rdslocal/certs/global-bundle.pem", timeout=60) as r:
            cls.bundle_pem = r.read().decode()
            cls.bundle_type = r.headers["Content-Type"]
        with open(cls.bundle, "w") as f:
            f.write(cls.bundle_pem)
        # a CA of our own that signed nothing of rdslocal's
        cls.other_ca = os.path.join(cls.tmp, "other-ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", os.path.join(cls.tmp, "other.key"), "-subj", "/CN=other-ca",
                        "-days", "2", "-out", cls.other_ca], capture_output=True, check=True)

    def test_bundle_served_and_written_to_state_dir(self):
        blocks = pem_blocks(self.bundle_pem)
        self.assertEqual(len(blocks), 3)
        self.assertEqual(self.bundle_type, "application/x-pem-file")
        self.assertEqual(sorted(issuer_cn(x509_text(b)) for b in blocks), sorted(CAS))
        with open(os.path.join(self.server.state_dir, "certs", "global-bundle.pem")) as f:
            self.assertEqual(f.read(), self.bundle_pem)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.server.endpoint + "/_rdslocal/certs/nothing.pem", timeout=10)
        self.assertEqual(cm.exception.code, 404)

    def test_each_ca_has_its_key_type(self):
        for b in pem_blocks(self.bundle_pem):
            text = x509_text(b)
            cn = issuer_cn(text)
            self.assertEqual(key_type(text), KEY_TYPES[cn], cn)
            self.assertIn("CA:TRUE", text)

    def test_verify_full_with_bundle_each_ca(self):
        for i, ca in enumerate(CAS):
            d = self.create("tls%d" % i, CACertificateIdentifier=ca)
            self.assertEqual(d["CACertificateIdentifier"], ca)
            self.assertEqual(d["CertificateDetails"]["CAIdentifier"], ca)
            port = d["Endpoint"]["Port"]
            rc, out, err = psql_tls(port, self.bundle, host=d["Endpoint"]["Address"])
            self.assertEqual((rc, out), (0, "t"), err)
            text = x509_text(served_cert(port))
            self.assertEqual(issuer_cn(text), ca)
            self.assertEqual(key_type(text), KEY_TYPES[ca])  # the server key is of the CA's type
            self.assertIn("DNS:%s" % d["Endpoint"]["Address"], text)
            self.assertIn("IP Address:127.0.0.1", text)
            # by IP too (the SAN 127.0.0.1)
            rc, out, err = psql_tls(port, self.bundle, host="127.0.0.1")
            self.assertEqual((rc, out), (0, "t"), err)
        # the default CA
        d = self.create("tlsdef")
        self.assertEqual(d["CACertificateIdentifier"], "rds-ca-rsa2048-g1")
        self.assertEqual(issuer_cn(x509_text(served_cert(d["Endpoint"]["Port"]))), "rds-ca-rsa2048-g1")

    def test_other_ca_and_wrong_host_fail(self):
        d = self.create("tlsbad")
        port = d["Endpoint"]["Port"]
        rc, out, err = psql_tls(port, self.other_ca)
        self.assertNotEqual(rc, 0)
        self.assertIn("certificate verify failed", err)
        rc, out, err = psql_tls(port, self.bundle, host="db.example.com", hostaddr="127.0.0.1")
        self.assertNotEqual(rc, 0)
        self.assertIn("does not match host name", err)
        # verify-ca does not check the name: the same connection works
        rc, out, err = psql_tls(port, self.bundle, host="db.example.com", hostaddr="127.0.0.1", sslmode="verify-ca")
        self.assertEqual((rc, out), (0, "t"), err)

    def test_certificate_files_belong_to_postgres_only(self):
        d = self.create("tlsfiles")
        tls_dir = os.path.join(t.instance_dir(self.server.state_dir, d["DbiResourceId"]), "tls")
        for name in ("server.crt", "server.key"):
            st = os.stat(os.path.join(tls_dir, name))
            self.assertEqual(st.st_mode & 0o777, 0o600, name)
            if os.geteuid() == 0:
                import pwd
                self.assertEqual(st.st_uid, pwd.getpwnam("postgres").pw_uid, name)
        # the CA keys stay rdslocal's own
        st = os.stat(os.path.join(self.server.state_dir, "certs", "rds-ca-rsa2048-g1", "ca.key"))
        self.assertEqual((st.st_mode & 0o777, st.st_uid), (0o600, os.geteuid()))

    def test_held_ca_change_applies_in_maintenance_window(self):
        d = self.create("tlswin", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
                        PreferredBackupWindow="02:00-02:30")
        port, rid = d["Endpoint"]["Port"], d["DbiResourceId"]
        pid = t.postmaster_pid(self.server.state_dir, rid)
        self.rds.modify_db_instance(DBInstanceIdentifier="tlswin", CACertificateIdentifier="rds-ca-ecc384-g1")
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), "rds-ca-rsa2048-g1")
        # move rdslocal's clock into the next sun:05:00-06:00 window
        now = self.server.admin("GET", "/_rdslocal/clock")["now"]
        now_s = datetime.datetime.strptime(now[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        week = 7 * 86400
        pos = (now_s - 4 * 86400) % week  # 1970-01-01 was a Thursday: +4 days -> Monday 00:00
        self.server.admin("POST", "/_rdslocal/clock",
                          {"advance_seconds": int((6 * 86400 + 5 * 3600 + 600 - pos) % week)})
        t.wait_for(lambda: t.describe_one(self.rds, "tlswin")["CACertificateIdentifier"] == "rds-ca-ecc384-g1",
                   30, interval=0.2, what="CA change applied in the window")
        t.wait_status(self.rds, "tlswin", "available")
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), "rds-ca-ecc384-g1")
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, rid), pid)  # AWS restarts
        rc, out, err = psql_tls(port, self.bundle)
        self.assertEqual((rc, out), (0, "t"), err)

    def test_modify_ca_reissues(self):
        d = self.create("tlsmod")
        port, rid = d["Endpoint"]["Port"], d["DbiResourceId"]
        pid = t.postmaster_pid(self.server.state_dir, rid)
        # without ApplyImmediately: held for the maintenance window, nothing changes yet
        r = self.rds.modify_db_instance(DBInstanceIdentifier="tlsmod", CACertificateIdentifier="rds-ca-ecc384-g1")
        self.assertEqual(r["DBInstance"]["PendingModifiedValues"].get("CACertificateIdentifier"), "rds-ca-ecc384-g1")
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), "rds-ca-rsa2048-g1")
        # ApplyImmediately, CertificateRotationRestart=false: re-issued and reloaded, same postmaster
        self.rds.modify_db_instance(DBInstanceIdentifier="tlsmod", CACertificateIdentifier="rds-ca-ecc384-g1",
                                    ApplyImmediately=True, CertificateRotationRestart=False)
        self.assertEqual(t.postmaster_pid(self.server.state_dir, rid), pid)
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), "rds-ca-ecc384-g1")
        d = t.describe_one(self.rds, "tlsmod")
        self.assertEqual(d["CACertificateIdentifier"], "rds-ca-ecc384-g1")
        self.assertEqual(d["CertificateDetails"]["CAIdentifier"], "rds-ca-ecc384-g1")
        self.assertNotIn("CACertificateIdentifier", d.get("PendingModifiedValues", {}))
        rc, out, err = psql_tls(port, self.bundle)
        self.assertEqual((rc, out), (0, "t"), err)
        # the default (restart): a new postmaster and the new issuer
        self.rds.modify_db_instance(DBInstanceIdentifier="tlsmod", CACertificateIdentifier="rds-ca-rsa4096-g1",
                                    ApplyImmediately=True)
        t.wait_status(self.rds, "tlsmod", "available")
        self.assertNotEqual(t.postmaster_pid(self.server.state_dir, rid), pid)
        text = x509_text(served_cert(port))
        self.assertEqual((issuer_cn(text), key_type(text)), ("rds-ca-rsa4096-g1", "RSA 4096"))
        rc, out, err = psql_tls(port, self.bundle)
        self.assertEqual((rc, out), (0, "t"), err)

    def test_restore_with_another_ca(self):
        d = self.create("tlssrc")
        self.rds.create_db_snapshot(DBSnapshotIdentifier="tlssnap", DBInstanceIdentifier="tlssrc")
        t.wait_for(lambda: self.rds.describe_db_snapshots(DBSnapshotIdentifier="tlssnap")["DBSnapshots"][0]["Status"]
                   == "available", 60, interval=0.2, what="snapshot available")
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="tlsdst", DBSnapshotIdentifier="tlssnap",
                                                      CACertificateIdentifier="rds-ca-rsa4096-g1")
        r = t.wait_status(self.rds, "tlsdst", "available", timeout=60)
        self.assertEqual(r["CACertificateIdentifier"], "rds-ca-rsa4096-g1")
        port = r["Endpoint"]["Port"]
        self.assertEqual(issuer_cn(x509_text(served_cert(port))), "rds-ca-rsa4096-g1")
        rc, out, err = psql_tls(port, self.bundle)
        self.assertEqual((rc, out), (0, "t"), err)
        self.assertEqual(issuer_cn(x509_text(served_cert(d["Endpoint"]["Port"]))), "rds-ca-rsa2048-g1")

    def test_describe_certificates(self):
        r = self.rds.describe_certificates()
        self.assertEqual(r["DefaultCertificateForNewLaunches"], "rds-ca-rsa2048-g1")
        certs = r["Certificates"]
        self.assertEqual([c["CertificateIdentifier"] for c in certs], list(CAS))
        by_cn = {issuer_cn(x509_text(b)): b for b in pem_blocks(self.bundle_pem)}
        for c in certs:
            self.assertEqual(c["CertificateType"], "CA")
            self.assertEqual(c["CertificateArn"], "arn:aws:rds:us-east-1::cert:%s" % c["CertificateIdentifier"])
            self.assertFalse(c["CustomerOverride"])
            self.assertNotIn("CustomerOverrideValidTill", c)
            der = ssl.PEM_cert_to_DER_cert(by_cn[c["CertificateIdentifier"]])
            self.assertEqual(c["Thumbprint"], hashlib.sha1(der).hexdigest())
            years = (c["ValidTill"] - c["ValidFrom"]).days / 365.25
            self.assertAlmostEqual(years, 40 if c["CertificateIdentifier"] == CAS[0] else 100, delta=0.1)
        one = self.rds.describe_certificates(CertificateIdentifier="rds-ca-ecc384-g1")["Certificates"]
        self.assertEqual([c["CertificateIdentifier"] for c in one], ["rds-ca-ecc384-g1"])
        self.assertEqual(len(self.rds.describe_certificates(MaxRecords=20)["Certificates"]), 3)
        # AWS CLI: the same list
        _, out, _ = self.server.cli("rds", "describe-certificates")
        self.assertEqual([c["CertificateIdentifier"] for c in out["Certificates"]], list(CAS))

    def test_certificate_not_found(self):
        for call in (lambda: self.rds.describe_certificates(CertificateIdentifier="rds-ca-nope"),
                     lambda: self.rds.create_db_instance(**t.create_args("tlsnf", CACertificateIdentifier="rds-ca-2019"))):
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                call()
            self.assertEqual(cm.exception.response["Error"]["Code"], "CertificateNotFound")
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.create("tlsnf2")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.rds.modify_db_instance(DBInstanceIdentifier="tlsnf2", CACertificateIdentifier="rds-ca-bogus",
                                        ApplyImmediately=True)
        self.assertEqual(cm.exception.response["Error"]["Code"], "CertificateNotFound")
        self.assertEqual(t.describe_one(self.rds, "tlsnf2")["CACertificateIdentifier"], "rds-ca-rsa2048-g1")

    def test_restart_keeps_cas_and_certificates(self):
        d = self.create("tlsrst", CACertificateIdentifier="rds-ca-ecc384-g1")
        port = d["Endpoint"]["Port"]
        before = self.rds.describe_certificates()["Certificates"]
        cert = served_cert(port)
        for stop in (self.server.stop, self.server.kill9):
            stop()
            self.server.start()
            self.assertEqual(self.rds.describe_certificates()["Certificates"], before)
            t.wait_status(self.rds, "tlsrst", "available")
            self.assertEqual(served_cert(port), cert)  # same CA, host and validity: not re-issued
            rc, out, err = psql_tls(port, self.bundle)
            self.assertEqual((rc, out), (0, "t"), err)
            with urllib.request.urlopen(self.server.endpoint + "/_rdslocal/certs/global-bundle.pem") as r:
                self.assertEqual(r.read().decode(), self.bundle_pem)


if __name__ == "__main__":
    t.main()
