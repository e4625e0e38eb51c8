/* test_supervisor_tls.c: the supervisor's TLS material (sv_tls.c) with real postgres and
 * real OpenSSL: the three CAs (key types as named, made once per state dir and kept across
 * sv_close/sv_open), the bundle, an instance with ssl=on whose certificate passes libpq's
 * sslmode=verify-full for its host and 127.0.0.1 and fails for another name, a CA change by
 * sv_instance_reconfigure (re-issued and reloaded, same postmaster), no CA = no SSL, and an
 * unknown CA refused, and a create with rds.force_ssl on. */
#include "check.h"
#include "sv_test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char *MASTER = "master";
static const char *PW = "tls pw'1";

static int next_port(void)
{
    static int p = 16100; /* a range of its own: the supervisor tests run in parallel */
    return sv_test_next_port(&p, 16100, 16199);
}

static void cleanup(void)
{
    sv_test_end_state();
}

/* libpq over TCP with the given TLS settings; the value of pg_stat_ssl.ssl, or NULL. */
static const char *ssl_query(int port, const char *host, const char *hostaddr, const char *mode, const char *root,
                             char *out, size_t n)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *kw[] = { "host", "hostaddr", "port", "user", "password", "dbname", "connect_timeout", "sslmode",
                         "sslrootcert", NULL };
    const char *val[] = { host, hostaddr ? hostaddr : "127.0.0.1", p, MASTER, PW, "appdb", "5", mode, root, NULL };
    PGconn *c = PQconnectdbParams(kw, val, 0);
    const char *r = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        r = sv_test_q1(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        if (r) {
            snprintf(out, n, "%.15s", r);
            r = out;
        }
    }
    PQfinish(c);
    return r;
}

/* Certificates of the bundle file: their issuer CNs and key "RSA2048"/"RSA4096"/"EC384". */
static int read_bundle(const char *path, char cn[3][64], char kind[3][16])
{
    FILE *f = fopen(path, "r");
    int n = 0;
    X509 *x;
    while (f && n < 3 && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn[n], 64);
        EVP_PKEY *k = X509_get0_pubkey(x);
        snprintf(kind[n], 16, "%s%d", EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "RSA" : "EC", EVP_PKEY_get_bits(k));
        X509_free(x);
        n++;
    }
    if (f)
        fclose(f);
    return n;
}

static void test_sv_tls__cas_bundle_and_kept(void)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return;
    rds_error err = { 0 };
    sv_ca_info info[SV_TLS_NCA];
    for (size_t i = 0; i < SV_TLS_NCA; i++) {
        CHECK_INT(sv_tls_ca_info(sv, i, &info[i], &err), 0);
        CHECK_STR(info[i].id, sv_tls_ca_id(i));
        CHECK_INT(strlen(info[i].thumbprint), 40);
        CHECK(info[i].valid_till_ms > info[i].valid_from_ms);
    }
    CHECK(sv_tls_ca_id(SV_TLS_NCA) == NULL);
    char path[1024], cn[3][64] = { "" }, kind[3][16] = { "" };
    CHECK(sv_tls_bundle_path(sv, path, sizeof path, &err) != NULL);
    CHECK_INT(read_bundle(path, cn, kind), 3);
    for (int i = 0; i < 3; i++) {
        const char *want = strcmp(cn[i], "rds-ca-rsa2048-g1") == 0   ? "RSA2048"
                           : strcmp(cn[i], "rds-ca-rsa4096-g1") == 0 ? "RSA4096"
                           : strcmp(cn[i], "rds-ca-ecc384-g1") == 0  ? "EC384"
                                                                      : "?";
        CHECK_STR(kind[i], want);
    }
    /* the CA key is ours alone */
    char key[1100];
    struct stat st;
    snprintf(key, sizeof key, "%s/certs/rds-ca-ecc384-g1/ca.key", g_state);
    CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_uid == geteuid());
    sv_close(sv);
    /* made once per state dir: a new supervisor keeps them */
    sv = sv_test_open(0);
    for (size_t i = 0; i < SV_TLS_NCA; i++) {
        sv_ca_info again;
        CHECK_INT(sv_tls_ca_info(sv, i, &again, &err), 0);
        CHECK_STR(again.thumbprint, info[i].thumbprint);
    }
    sv_close(sv);
}

/* A supervisor and the spec of an instance served with `ca`'s certificate for "localhost";
 * bundle: the CA bundle's path. NULL (a failed check) when the supervisor did not open. */
static sv_supervisor *open_tls(sv_instance_spec *s, const char *ca, char *bundle, size_t n, rds_error *err)
{
    sv_supervisor *sv = sv_test_open(0);
    CHECK(sv != NULL);
    if (!sv)
        return NULL;
    CHECK(sv_tls_bundle_path(sv, bundle, n, err) != NULL);
    s->ca_id = ca;
    s->tls_host = "localhost";
    return sv;
}

static void test_sv_tls__instance_verify_full_and_ca_change(void)
{
    rds_error err = { 0 };
    char bundle[1024], v[16];
    int port = next_port();
    sv_instance_spec s = sv_test_spec("tls1", port, MASTER, PW);
    sv_supervisor *sv = open_tls(&s, "rds-ca-rsa2048-g1", bundle, sizeof bundle, &err);
    if (!sv)
        return;
    CHECK_INT(sv_instance_create(sv, &s, &err), 0);
    CHECK_STR(ssl_query(port, "localhost", NULL, "verify-full", bundle, v, sizeof v), "t");
    CHECK_STR(ssl_query(port, "127.0.0.1", NULL, "verify-full", bundle, v, sizeof v), "t");
    CHECK(ssl_query(port, "db.example.com", NULL, "verify-full", bundle, v, sizeof v) == NULL);
    CHECK_STR(ssl_query(port, "db.example.com", NULL, "verify-ca", bundle, v, sizeof v), "t");
    char ca[64] = "";
    int64_t till = 0;
    CHECK_INT(sv_tls_instance_cert(sv, "tls1", ca, sizeof ca, &till), 0);
    CHECK_STR(ca, "rds-ca-rsa2048-g1");
    CHECK(till > 0);

    /* another CA by reconfigure: re-issued and reloaded by the same postmaster */
    int pids[8];
    CHECK(sv_instance_pids(sv, "tls1", pids, 8) > 0);
    int pm = pids[0];
    s.ca_id = "rds-ca-ecc384-g1";
    CHECK_INT(sv_instance_reconfigure(sv, &s, &err), 0);
    CHECK_INT(sv_tls_instance_cert(sv, "tls1", ca, sizeof ca, NULL), 0);
    CHECK_STR(ca, "rds-ca-ecc384-g1");
    CHECK_STR(ssl_query(port, "localhost", NULL, "verify-full", bundle, v, sizeof v), "t");
    CHECK(sv_instance_pids(sv, "tls1", pids, 8) > 0 && pids[0] == pm);

    /* a new host name: re-issued for it */
    s.tls_host = "db.example.com";
    CHECK_INT(sv_instance_reconfigure(sv, &s, &err), 0);
    CHECK_STR(ssl_query(port, "db.example.com", NULL, "verify-full", bundle, v, sizeof v), "t");
    CHECK(ssl_query(port, "localhost", NULL, "verify-full", bundle, v, sizeof v) == NULL);

    /* unknown CA: refused, the running server is left as it was */
    s.ca_id = "rds-ca-nope";
    CHECK_ERR(sv_instance_reconfigure(sv, &s, &err), &err, RDS_E_CERTIFICATE_NOT_FOUND);
    CHECK_STR(ssl_query(port, "db.example.com", NULL, "verify-full", bundle, v, sizeof v), "t");

    /* no CA: no SSL after a restart */
    s.ca_id = NULL;
    CHECK_INT(sv_instance_restart(sv, &s, &err), 0);
    CHECK(ssl_query(port, "localhost", NULL, "require", bundle, v, sizeof v) == NULL);
    CHECK_STR(ssl_query(port, "localhost", NULL, "disable", bundle, v, sizeof v), "f");
    CHECK_INT(sv_instance_delete(sv, "tls1", &err), 0);
    sv_close(sv);
}

/* rds.force_ssl=1 (hostssl lines only): the create's own check that the master user can
 * log in over TCP still passes (it uses sslmode=prefer), plain TCP is refused. */
static void test_sv_tls__force_ssl_create(void)
{
    rds_error err = { 0 };
    char bundle[1024], v[16];
    int port = next_port();
    sv_instance_spec s = sv_test_spec("tls2", port, MASTER, PW);
    sv_supervisor *sv = open_tls(&s, "rds-ca-ecc384-g1", bundle, sizeof bundle, &err);
    if (!sv)
        return;
    s.force_ssl = true;
    CHECK_INT(sv_instance_create(sv, &s, &err), 0);
    if (err.code)
        fprintf(stderr, "create: %s (%s)\n", err.message, err.detail);
    CHECK_STR(ssl_query(port, "localhost", NULL, "verify-full", bundle, v, sizeof v), "t");
    CHECK(ssl_query(port, "localhost", NULL, "disable", bundle, v, sizeof v) == NULL);
    CHECK_INT(sv_instance_delete(sv, "tls2", &err), 0);
    sv_close(sv);
}

static const check_case cases[] = {
    TEST(test_sv_tls__force_ssl_create),
    TEST(test_sv_tls__cas_bundle_and_kept),
    TEST(test_sv_tls__instance_verify_full_and_ca_change),
};

static void suite_setup(void)
{
    sv_test_case_start("svtls", "/tmp/svtls-XXXXXX");
}

CHECK_MAIN(cases, suite_setup, cleanup)
