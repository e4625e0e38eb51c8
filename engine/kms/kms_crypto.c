/* kms_crypto.c: the cryptography of rdslocal's KMS, with OpenSSL: the state dir's master
 * key, key material wrapped under it (AES-256-GCM), and the ciphertext blobs of
 * Encrypt/GenerateDataKey. A blob names its key so Decrypt needs no KeyId, as on AWS:
 *   "RLK" 0x01 | key id (36 ASCII) | nonce (12) | ciphertext | GCM tag (16)
 * The header (magic, version, key id) and the encryption context are the GCM AAD, so a
 * blob moved to another key id, or opened with another context, fails authentication.
 * The context is bound canonically: pairs sorted by key, each as 4-byte big-endian
 * lengths + bytes, so {"a":"bc"} and {"ab":"c"} differ. */
#include "kms/kms_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t master_mu = PTHREAD_MUTEX_INITIALIZER;

static int crypto_fail(rds_error *err, const char *what)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
    return rds_detail(err, "kms: %s", what);
}

/* Reads exactly 32 bytes, or creates the file (write to a temp name, fsync, link: a crash
 * leaves either no key or a whole one, and two processes never both win). */
static int load_or_create(const char *dir, unsigned char key[KMS_KEY_BYTES], rds_error *err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/master.key", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return crypto_fail(err, "cannot create the kms dir");
    chmod(dir, 0700);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            ssize_t got = read(fd, key, KMS_KEY_BYTES);
            unsigned char extra;
            ssize_t more = read(fd, &extra, 1);
            close(fd);
            if (got != KMS_KEY_BYTES || more != 0) {
                rds_fail(err, RDS_E_INTERNAL_FAILURE, "An internal error has occurred. Please try again.");
                return rds_detail(err, "kms: %s is not a 32-byte master key", path);
            }
            return 0;
        }
        if (errno != ENOENT)
            return crypto_fail(err, "cannot read the master key");
        unsigned char fresh[KMS_KEY_BYTES];
        if (RAND_bytes(fresh, sizeof fresh) != 1)
            return crypto_fail(err, "RAND_bytes failed");
        snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return crypto_fail(err, "cannot write the master key");
        bool ok = fchmod(fd, 0600) == 0 && write(fd, fresh, sizeof fresh) == (ssize_t)sizeof fresh &&
                  fsync(fd) == 0;
        close(fd);
        int linked = ok ? link(tmp, path) : -1;
        int link_errno = errno;
        unlink(tmp);
        if (!ok || (linked != 0 && link_errno != EEXIST))
            return crypto_fail(err, "cannot write the master key");
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        /* loop: read back whichever key won */
    }
    return crypto_fail(err, "master key vanished");
}

int kms__master_key(engine *e, unsigned char out[KMS_KEY_BYTES], rds_error *err)
{
    pthread_mutex_lock(&master_mu);
    int rc = 0;
    if (!e->kms_master_loaded) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/kms", e->cfg.state_dir);
        rc = load_or_create(dir, e->kms_master, err);
        e->kms_master_loaded = rc == 0;
    }
    if (rc == 0)
        memcpy(out, e->kms_master, KMS_KEY_BYTES);
    pthread_mutex_unlock(&master_mu);
    return rc;
}

/* AES-256-GCM: out = nonce | ct | tag. */
static int gcm_seal(const unsigned char key[32], const unsigned char *aad, size_t aad_n,
                    const unsigned char *plain, size_t n, unsigned char *out)
{
    if (RAND_bytes(out, KMS_GCM_NONCE) != 1)
        return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1;
    if (ok && aad_n)
        ok = EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_n) == 1;
    if (ok && n)
        ok = EVP_EncryptUpdate(c, out + KMS_GCM_NONCE, &len, plain, (int)n) == 1;
    if (ok)
        ok = EVP_EncryptFinal_ex(c, out + KMS_GCM_NONCE + n, &len) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KMS_GCM_TAG, out + KMS_GCM_NONCE + n) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* in = nonce | ct | tag (n bytes in all); plain receives n - 28 bytes. */
static int gcm_open(const unsigned char key[32], const unsigned char *aad, size_t aad_n,
                    const unsigned char *in, size_t n, unsigned char *plain)
{
    if (n < KMS_GCM_NONCE + KMS_GCM_TAG)
        return -1;
    size_t ct_n = n - KMS_GCM_NONCE - KMS_GCM_TAG;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1;
    if (ok && aad_n)
        ok = EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_n) == 1;
    if (ok && ct_n)
        ok = EVP_DecryptUpdate(c, plain, &len, in + KMS_GCM_NONCE, (int)ct_n) == 1;
    if (ok)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KMS_GCM_TAG, (void *)(in + n - KMS_GCM_TAG)) == 1 &&
             EVP_DecryptFinal_ex(c, plain + ct_n, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static const char HEX[] = "0123456789abcdef";

int kms__new_material(engine *e, arena *a, unsigned char mat[KMS_KEY_BYTES], const char **hex, rds_error *err)
{
    unsigned char master[KMS_KEY_BYTES], wrapped[KMS_GCM_NONCE + KMS_KEY_BYTES + KMS_GCM_TAG];
    if (kms__master_key(e, master, err))
        return -1;
    if (RAND_bytes(mat, KMS_KEY_BYTES) != 1 ||
        gcm_seal(master, (const unsigned char *)"rdslocal-kms-key", 16, mat, KMS_KEY_BYTES, wrapped))
        return crypto_fail(err, "cannot make key material");
    char *h = arena_alloc(a, 2 * sizeof wrapped + 1);
    for (size_t i = 0; i < sizeof wrapped; i++) {
        h[2 * i] = HEX[wrapped[i] >> 4];
        h[2 * i + 1] = HEX[wrapped[i] & 15];
    }
    *hex = h;
    return 0;
}

static int unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int kms__material(engine *e, const kms_key *k, unsigned char mat[KMS_KEY_BYTES], rds_error *err)
{
    unsigned char master[KMS_KEY_BYTES], wrapped[KMS_GCM_NONCE + KMS_KEY_BYTES + KMS_GCM_TAG];
    if (kms__master_key(e, master, err))
        return -1;
    if (!k->material || strlen(k->material) != 2 * sizeof wrapped)
        return crypto_fail(err, "damaged key material");
    for (size_t i = 0; i < sizeof wrapped; i++) {
        int hi = unhex(k->material[2 * i]), lo = unhex(k->material[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return crypto_fail(err, "damaged key material");
        wrapped[i] = (unsigned char)(hi << 4 | lo);
    }
    if (gcm_open(master, (const unsigned char *)"rdslocal-kms-key", 16, wrapped, sizeof wrapped, mat))
        return crypto_fail(err, "key material does not open under this state dir's master key");
    return 0;
}

static int cmp_pair(const void *x, const void *y)
{
    return strcmp(((const rds_tag *)x)->key, ((const rds_tag *)y)->key);
}

/* header | canonical context, in arena a */
static unsigned char *make_aad(arena *a, const unsigned char *header, const kms_context *ctx, size_t *n)
{
    size_t total = KMS_BLOB_HEADER, m = ctx ? ctx->n : 0;
    rds_tag *sorted = arena_alloc(a, (m ? m : 1) * sizeof *sorted);
    for (size_t i = 0; i < m; i++) {
        sorted[i] = ctx->v[i];
        total += 8 + strlen(sorted[i].key) + strlen(sorted[i].value ? sorted[i].value : "");
    }
    qsort(sorted, m, sizeof *sorted, cmp_pair);
    unsigned char *out = arena_alloc(a, total), *p = out;
    memcpy(p, header, KMS_BLOB_HEADER);
    p += KMS_BLOB_HEADER;
    for (size_t i = 0; i < m; i++) {
        const char *parts[2] = { sorted[i].key, sorted[i].value ? sorted[i].value : "" };
        for (int j = 0; j < 2; j++) {
            uint32_t l = (uint32_t)strlen(parts[j]);
            *p++ = (unsigned char)(l >> 24);
            *p++ = (unsigned char)(l >> 16);
            *p++ = (unsigned char)(l >> 8);
            *p++ = (unsigned char)l;
            memcpy(p, parts[j], l);
            p += l;
        }
    }
    *n = total;
    return out;
}

int kms__seal(engine *e, arena *a, const kms_key *k, const kms_context *ctx, const unsigned char *plain,
              size_t n, unsigned char **blob, size_t *blob_n, rds_error *err)
{
    unsigned char mat[KMS_KEY_BYTES];
    if (kms__material(e, k, mat, err))
        return -1;
    if (strlen(k->key_id) != KMS_KEY_ID_LEN)
        return crypto_fail(err, "key id is not a UUID");
    unsigned char *out = arena_alloc(a, KMS_BLOB_OVERHEAD + n);
    memcpy(out, "RLK\x01", 4);
    memcpy(out + 4, k->key_id, KMS_KEY_ID_LEN);
    size_t aad_n;
    unsigned char *aad = make_aad(a, out, ctx, &aad_n);
    if (gcm_seal(mat, aad, aad_n, plain, n, out + KMS_BLOB_HEADER))
        return crypto_fail(err, "encryption failed");
    *blob = out;
    *blob_n = KMS_BLOB_OVERHEAD + n;
    return 0;
}

bool kms__blob_key_id(const unsigned char *blob, size_t n, char id[KMS_KEY_ID_LEN + 1])
{
    if (n < KMS_BLOB_OVERHEAD || memcmp(blob, "RLK\x01", 4) != 0)
        return false;
    for (size_t i = 0; i < KMS_KEY_ID_LEN; i++) {
        char c = (char)blob[4 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return false;
        id[i] = c;
    }
    id[KMS_KEY_ID_LEN] = '\0';
    return true;
}

int kms__open(engine *e, arena *a, const kms_key *k, const kms_context *ctx, const unsigned char *blob,
              size_t n, unsigned char **plain, size_t *plain_n)
{
    rds_error ignored;
    rds_error_clear(&ignored);
    unsigned char mat[KMS_KEY_BYTES];
    char id[KMS_KEY_ID_LEN + 1];
    if (!kms__blob_key_id(blob, n, id) || strcmp(id, k->key_id) != 0 || kms__material(e, k, mat, &ignored))
        return -1;
    size_t aad_n;
    unsigned char *aad = make_aad(a, blob, ctx, &aad_n);
    size_t out_n = n - KMS_BLOB_OVERHEAD;
    unsigned char *out = arena_alloc(a, out_n + 1);
    if (gcm_open(mat, aad, aad_n, blob + KMS_BLOB_HEADER, n - KMS_BLOB_HEADER, out))
        return -1;
    *plain = out;
    *plain_n = out_n;
    return 0;
}
