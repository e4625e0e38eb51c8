/* sv_tls.c: TLS material for the instances' servers, made with OpenSSL's library API.
 *
 * Certificate authorities: one per CA identifier RDS offers, created once per state dir in
 * <state>/certs/<id>/ (ca.crt, ca.key, server.key; ours, 0600 keys) with the key type the
 * name says: RSA-2048, RSA-4096, ECDSA P-384. Each CA also has ONE server key, made with
 * it: keygen is the slow part (RSA-4096 takes seconds), so a create never generates a key;
 * it only signs a fresh certificate for that key (a millisecond or so). A background
 * thread started by sv_open makes the default CA and the ECDSA one; RSA-4096 is made at
 * first need; a caller that needs a CA before it is ready makes or waits for it under
 * that CA's mutex. ca.crt is written
 * last, so a CA dir with ca.crt is complete. <state>/certs/global-bundle.pem holds every
 * CA certificate, like AWS's global bundle.
 *
 * Instances: the conf fragment `tls` (ssl=on) issues <instance dir>/tls/server.crt, signed
 * by the instance's CA (in->ca_id) with subjectAltNames = the endpoint address rdslocal
 * reports (in->tls_host: DNS or IP) and IP 127.0.0.1, and copies the CA's server key
 * beside it; both are the pg user's, 0600. The certificate is re-issued only when the CA
 * or host changed (tls/issued records them) or it expires within 30 days. PostgreSQL
 * reloads its certificate on SIGHUP, so a CA change needs only sv_instance_reconfigure. */
#include "sv_internal.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct ca_def {
    const char *id;
    const char *key_algorithm; /* what sv_ca_info reports */
    int rsa_bits;              /* 0: EC P-384 */
    int years;                 /* validity, as AWS's CAs of that name (2061 / 2121) */
} ca_def;

static const ca_def cas[SV_TLS_NCA] = {
    { "rds-ca-rsa2048-g1", "RSA2048", 2048, 40 },
    { "rds-ca-rsa4096-g1", "RSA4096", 4096, 100 },
    { "rds-ca-ecc384-g1", "ECC384", 0, 100 },
};

#define SERVER_CERT_DAYS 365

struct sv_tls {
    char dir[SV_PATH];              /* <state>/certs */
    pthread_mutex_t ca_mu[SV_TLS_NCA];
    pthread_mutex_t bundle_mu;
    pthread_t th;
    bool started;
};

static int ca_index(const char *id)
{
    for (int i = 0; i < SV_TLS_NCA; i++)
        if (id && strcmp(id, cas[i].id) == 0)
            return i;
    return -1;
}

const char *sv_tls_ca_id(size_t i) { return i < SV_TLS_NCA ? cas[i].id : NULL; }

static int ossl_fail(rds_error *err, const char *what)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "TLS: could not %s", what);
    return rds_detail(err, "openssl error %lu", ERR_get_error());
}

/* RSA keygen's progress callback: 0 aborts it once the supervisor is closing, so sv_close
 * never waits seconds for an RSA-4096 key nobody will use. */
static int keygen_progress(EVP_PKEY_CTX *ctx)
{
    const sv_supervisor *sv = EVP_PKEY_CTX_get_app_data(ctx);
    return sv && sv->closing ? 0 : 1;
}

static EVP_PKEY *keygen(const sv_supervisor *sv, const ca_def *c)
{
    if (!c->rsa_bits)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, c->rsa_bits) > 0) {
        EVP_PKEY_CTX_set_app_data(ctx, (void *)sv);
        EVP_PKEY_CTX_set_cb(ctx, keygen_progress);
        if (EVP_PKEY_keygen(ctx, &k) <= 0)
            k = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static const EVP_MD *digest_of(const ca_def *c) { return c->rsa_bits == 2048 ? EVP_sha256() : EVP_sha384(); }

static int write_pem(const char *path, EVP_PKEY *key, X509 *cert, mode_t mode, uid_t uid, gid_t gid, rds_error *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_X509(b, cert));
    BIO_write(b, "", 1); /* NUL terminator for sv__write_file */
    char *data = NULL;
    if (ok)
        BIO_get_mem_data(b, &data);
    int rc = ok ? sv__write_file(path, data, mode, uid, gid, err) : ossl_fail(err, "encode PEM");
    BIO_free(b);
    return rc;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

static int random_serial(X509 *x)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

/* Now plus whole calendar years (UTC). */
static time_t years_on(int years)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    tm.tm_year += years;
    return timegm(&tm);
}

/* A self-signed CA certificate for key. */
static X509 *make_ca_cert(const ca_def *c, EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_NAME_new();
    bool ok = X509_set_version(x, 2) && random_serial(x) == 0 && name &&
              X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"rdslocal", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)"RDS", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)c->id, -1, -1, 0) &&
              X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
              X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
              ASN1_TIME_set(X509_getm_notAfter(x), years_on(c->years)) &&
              X509_set_pubkey(x, key) && add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
              add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") == 0 &&
              add_ext(x, x, NID_subject_key_identifier, "hash") == 0 && X509_sign(x, key, digest_of(c)) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int ca_path(const sv_supervisor *sv, int i, const char *file, char *buf, size_t n, rds_error *err)
{
    return sv__path(buf, n, err, "%s/%s/%s", sv->tls->dir, cas[i].id, file);
}

static int write_bundle(const sv_supervisor *sv, rds_error *err);

/* Makes CA i (key, certificate, server key) if it is not complete yet. */
static int ensure_ca(const sv_supervisor *sv, int i, rds_error *err)
{
    char crt[SV_PATH], key[SV_PATH], skey[SV_PATH], dir[SV_PATH];
    if (ca_path(sv, i, "ca.crt", crt, sizeof crt, err) || ca_path(sv, i, "ca.key", key, sizeof key, err) ||
        ca_path(sv, i, "server.key", skey, sizeof skey, err) ||
        sv__path(dir, sizeof dir, err, "%s/%s", sv->tls->dir, cas[i].id))
        return -1;
    pthread_mutex_lock(&sv->tls->ca_mu[i]);
    int rc = 0;
    bool made = false;
    if (access(crt, R_OK) == 0)
        goto out;
    int64_t t0 = sv__mono_ms();
    EVP_PKEY *ca_key = NULL, *server_key = NULL;
    X509 *ca = NULL;
    if ((rc = sv__mkdirs(dir, 0700, (uid_t)-1, 0, err)) != 0)
        goto out;
    if (!(ca_key = keygen(sv, &cas[i])) || !(server_key = keygen(sv, &cas[i])) || !(ca = make_ca_cert(&cas[i], ca_key))) {
        rc = ossl_fail(err, "make a certificate authority");
    } else if ((rc = write_pem(key, ca_key, NULL, 0600, (uid_t)-1, 0, err)) == 0 &&
               (rc = write_pem(skey, server_key, NULL, 0600, (uid_t)-1, 0, err)) == 0 &&
               (rc = write_pem(crt, NULL, ca, 0644, (uid_t)-1, 0, err)) == 0) {
        made = true;
        log_at(LOG_INFO, "supervisor", "TLS: made certificate authority %s in %lld ms", cas[i].id,
               (long long)(sv__mono_ms() - t0));
    }
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(server_key);
    X509_free(ca);
    /* the bundle is rewritten before the CA's mutex is released: whoever then finds the CA
     * complete also finds it in the bundle */
    if (rc == 0 && made)
        rc = write_bundle(sv, err);
out:
    pthread_mutex_unlock(&sv->tls->ca_mu[i]);
    return rc;
}

/* <state>/certs/global-bundle.pem: every complete CA's certificate. */
static int write_bundle(const sv_supervisor *sv, rds_error *err)
{
    pthread_mutex_lock(&sv->tls->bundle_mu);
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < SV_TLS_NCA; i++) {
        char crt[SV_PATH], pem[16384];
        if (ca_path(sv, i, "ca.crt", crt, sizeof crt, NULL) == 0 && sv__read_file(crt, pem, sizeof pem) > 0)
            strbuf_puts(&b, pem);
    }
    char path[SV_PATH];
    int rc = sv__path(path, sizeof path, err, "%s/global-bundle.pem", sv->tls->dir);
    if (rc == 0)
        rc = sv__write_file(path, b.data ? b.data : "", 0644, (uid_t)-1, 0, err);
    strbuf_free(&b);
    pthread_mutex_unlock(&sv->tls->bundle_mu);
    return rc;
}

/* The background thread: the CAs a create may need without being asked (the default and
 * the cheap ECDSA one), at the lowest priority (Linux nice is per thread). RSA-4096 (seconds
 * of CPU) is made at first need only: DescribeCertificates, the bundle, or an instance of
 * that CA; many state dirs (test suites) never need it. */
static void *prepare_defaults(void *arg)
{
    sv_supervisor *sv = arg;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    for (int i = 0; i < SV_TLS_NCA && !sv->closing; i++) {
        if (cas[i].rsa_bits > 2048)
            continue;
        rds_error e = { 0 };
        if (ensure_ca(sv, i, &e) != 0 && !sv->closing)
            log_at(LOG_WARN, "supervisor", "TLS: %s: %s", cas[i].id, e.message);
    }
    return NULL;
}

int sv__tls_init(sv_supervisor *sv, const char *state_dir, bool background, rds_error *err)
{
    sv->tls = calloc(1, sizeof *sv->tls);
    if (!sv->tls)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    for (int i = 0; i < SV_TLS_NCA; i++)
        pthread_mutex_init(&sv->tls->ca_mu[i], NULL);
    pthread_mutex_init(&sv->tls->bundle_mu, NULL);
    if (sv__path(sv->tls->dir, sizeof sv->tls->dir, err, "%s/certs", state_dir) ||
        sv__mkdirs(sv->tls->dir, 0700, (uid_t)-1, 0, err))
        return -1;
    if (background && pthread_create(&sv->tls->th, NULL, prepare_defaults, sv) == 0)
        sv->tls->started = true;
    return 0;
}

void sv__tls_stop(sv_supervisor *sv)
{
    if (!sv->tls)
        return;
    if (sv->tls->started)
        pthread_join(sv->tls->th, NULL);
    for (int i = 0; i < SV_TLS_NCA; i++)
        pthread_mutex_destroy(&sv->tls->ca_mu[i]);
    pthread_mutex_destroy(&sv->tls->bundle_mu);
    free(sv->tls);
    sv->tls = NULL;
}

static int64_t asn1_time_ms(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}

int sv_tls_ca_info(sv_supervisor *sv, size_t i, sv_ca_info *out, rds_error *err)
{
    memset(out, 0, sizeof *out);
    if (i >= SV_TLS_NCA || !sv->tls)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "TLS: no certificate authority %zu", i);
    if (ensure_ca(sv, (int)i, err) != 0)
        return -1;
    char crt[SV_PATH];
    if (ca_path(sv, (int)i, "ca.crt", crt, sizeof crt, err) != 0)
        return -1;
    X509 *x = read_cert(crt);
    if (!x)
        return ossl_fail(err, "read a CA certificate");
    snprintf(out->id, sizeof out->id, "%s", cas[i].id);
    snprintf(out->key_algorithm, sizeof out->key_algorithm, "%s", cas[i].key_algorithm);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha1(), md, &n);
    for (unsigned int k = 0; k < n && 2 * k + 2 < sizeof out->thumbprint; k++)
        snprintf(out->thumbprint + 2 * k, 3, "%02x", md[k]);
    out->valid_from_ms = asn1_time_ms(X509_get0_notBefore(x));
    out->valid_till_ms = asn1_time_ms(X509_get0_notAfter(x));
    X509_free(x);
    return 0;
}

const char *sv_tls_bundle_path(sv_supervisor *sv, char *buf, size_t n, rds_error *err)
{
    if (!sv->tls) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "TLS is not set up");
        return NULL;
    }
    for (int i = 0; i < SV_TLS_NCA; i++)
        if (ensure_ca(sv, i, err) != 0)
            return NULL;
    return sv__path(buf, n, err, "%s/global-bundle.pem", sv->tls->dir) == 0 ? buf : NULL;
}

int sv_tls_instance_cert(sv_supervisor *sv, const char *key, char *ca_id, size_t n, int64_t *valid_till_ms)
{
    char path[SV_PATH];
    if (sv__path(path, sizeof path, NULL, "%s/%s/tls/server.crt", sv->instances_dir, key) != 0)
        return -1;
    X509 *x = read_cert(path);
    if (!x)
        return -1;
    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, cn, sizeof cn);
    if (ca_id)
        snprintf(ca_id, n, "%s", cn);
    if (valid_till_ms)
        *valid_till_ms = asn1_time_ms(X509_get0_notAfter(x));
    X509_free(x);
    return 0;
}

/* The subjectAltName value for host: an IP address or a DNS name, plus 127.0.0.1. */
static void san_value(const char *host, char *buf, size_t n)
{
    bool ip = host[0] && strspn(host, "0123456789.") == strlen(host);
    bool ip6 = strchr(host, ':') != NULL;
    if (!host[0] || strcmp(host, "127.0.0.1") == 0)
        snprintf(buf, n, "IP:127.0.0.1");
    else
        snprintf(buf, n, "%s:%s,IP:127.0.0.1", ip || ip6 ? "IP" : "DNS", host);
}

/* A certificate for the instance's host signed by CA i, for its server key. */
static X509 *issue(int i, const char *host, EVP_PKEY *ca_key, X509 *ca, EVP_PKEY *server_key)
{
    const ca_def *c = &cas[i];
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    char san[400];
    san_value(host, san, sizeof san);
    const char *cn = host[0] ? host : "127.0.0.1";
    bool ok = x && name && X509_set_version(x, 2) && random_serial(x) == 0 &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"rdslocal", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
              X509_set_subject_name(x, name) && X509_set_issuer_name(x, X509_get_subject_name(ca)) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_time_adj_ex(X509_getm_notAfter(x), SERVER_CERT_DAYS, 0, NULL) && X509_set_pubkey(x, server_key) &&
              add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
              add_ext(x, ca, NID_key_usage,
                      c->rsa_bits ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") == 0 &&
              add_ext(x, ca, NID_ext_key_usage, "serverAuth") == 0 &&
              add_ext(x, ca, NID_subject_alt_name, san) == 0 &&
              add_ext(x, ca, NID_authority_key_identifier, "keyid:always") == 0 && X509_sign(x, ca_key, digest_of(c)) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Issues <dir>/tls/server.crt (+ server.key) unless the current one is for the same CA and
 * host and valid for 30 more days. */
static int issue_instance_cert(const sv_supervisor *sv, const sv_inst *in, int i, const char *tls_dir,
                               rds_error *err)
{
    uid_t uid = sv->as_root ? sv->pg_uid : (uid_t)-1;
    char crt[SV_PATH], key[SV_PATH], meta_path[SV_PATH], meta[400], want[400];
    if (sv__path(crt, sizeof crt, err, "%s/server.crt", tls_dir) || sv__path(key, sizeof key, err, "%s/server.key", tls_dir) ||
        sv__path(meta_path, sizeof meta_path, err, "%s/issued", tls_dir))
        return -1;
    snprintf(want, sizeof want, "%s %s\n", cas[i].id, in->tls_host);
    if (sv__read_file(meta_path, meta, sizeof meta) > 0 && strcmp(meta, want) == 0 && access(key, F_OK) == 0) {
        X509 *cur = read_cert(crt);
        bool fresh = cur && X509_cmp_time(X509_get0_notAfter(cur), &(time_t){ time(NULL) + 30 * 86400 }) > 0;
        X509_free(cur);
        if (fresh)
            return 0;
    }
    if (sv__mkdir_owned(tls_dir, 0700, uid, sv->pg_gid, err) != 0 || ensure_ca(sv, i, err) != 0)
        return -1;
    char ca_crt[SV_PATH], ca_key[SV_PATH], skey[SV_PATH];
    if (ca_path(sv, i, "ca.crt", ca_crt, sizeof ca_crt, err) || ca_path(sv, i, "ca.key", ca_key, sizeof ca_key, err) ||
        ca_path(sv, i, "server.key", skey, sizeof skey, err))
        return -1;
    X509 *ca = read_cert(ca_crt), *x = NULL;
    EVP_PKEY *cak = read_key(ca_key), *sk = read_key(skey);
    int rc;
    if (!ca || !cak || !sk || !(x = issue(i, in->tls_host, cak, ca, sk)))
        rc = ossl_fail(err, "issue a server certificate");
    else if ((rc = write_pem(key, sk, NULL, 0600, uid, sv->pg_gid, err)) == 0 &&
             (rc = write_pem(crt, NULL, x, 0600, uid, sv->pg_gid, err)) == 0)
        rc = sv__write_file(meta_path, want, 0600, uid, sv->pg_gid, err);
    X509_free(ca);
    X509_free(x);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(sk);
    return rc;
}

int sv__conf_tls(const sv_supervisor *sv, const sv_inst *in, strbuf *out, rds_error *err)
{
    if (!in->ca_id[0])
        return 0; /* no CA given (supervisor tests): the server runs without SSL */
    int i = ca_index(in->ca_id);
    if (i < 0)
        return rds_fail(err, RDS_E_CERTIFICATE_NOT_FOUND, "Certificate %s not found.", in->ca_id);
    if (!sv->tls)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "TLS is not set up");
    char tls_dir[SV_PATH];
    if (sv__path(tls_dir, sizeof tls_dir, err, "%s/tls", in->dir) || issue_instance_cert(sv, in, i, tls_dir, err))
        return -1;
    strbuf_printf(out,
                  "ssl = on\n"
                  "ssl_cert_file = '%s/server.crt'\n"
                  "ssl_key_file = '%s/server.key'\n"
                  "ssl_min_protocol_version = 'TLSv1.2'\n",
                  tls_dir, tls_dir);
    return 0;
}
