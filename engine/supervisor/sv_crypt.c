/* sv_crypt.c: streaming AES-256-GCM in fixed-size chunks for encrypted snapshot files
 * (format in sv_crypt.h). The writer buffers one chunk and writes it when the next byte
 * arrives, so the last chunk is always the one written by sv__enc_finish with the final
 * flag; the reader derives the chunk layout from the file size. OpenSSL EVP, one cipher
 * context per object, encryption/decryption in place. Any thread. */
#include "sv_crypt.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char MAGIC[8] = { 'R', 'D', 'S', 'L', 'E', 'N', 'C', '1' };

struct sv_enc {
    int fd;
    unsigned char key[32];
    unsigned char hdr[SV_CRYPT_HDR];
    size_t chunk, fill;
    uint32_t index;
    int64_t bytes;
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf; /* chunk + tag */
};

struct sv_dec {
    int fd;
    unsigned char key[32];
    unsigned char hdr[SV_CRYPT_HDR];
    size_t chunk;
    uint64_t nchunks, index; /* chunks in the file; next to read */
    size_t last_len;         /* ciphertext bytes of the final chunk */
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf;
};

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void nonce_aad(const unsigned char *hdr, uint64_t index, bool final, unsigned char nonce[12],
                      unsigned char aad[SV_CRYPT_HDR + 9])
{
    memcpy(nonce, hdr + 16, 8);
    put_be32(nonce + 8, (uint32_t)index);
    memcpy(aad, hdr, SV_CRYPT_HDR);
    put_be32(aad + SV_CRYPT_HDR, (uint32_t)(index >> 32));
    put_be32(aad + SV_CRYPT_HDR + 4, (uint32_t)index);
    aad[SV_CRYPT_HDR + 8] = final ? 1 : 0;
}

static int write_all(int fd, const unsigned char *p, size_t n, rds_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not write an encrypted snapshot file");
            return rds_detail(err, "write: %s", w < 0 ? strerror(errno) : "short write");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int crypto_fail(rds_error *err, const char *what)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not %s", what);
    return rds_detail(err, "OpenSSL error");
}

int sv__enc_open(sv_enc **out, int fd, const unsigned char key[32], size_t chunk, rds_error *err)
{
    *out = NULL;
    if (chunk == 0)
        chunk = SV_CRYPT_CHUNK;
    if (chunk < 4096 || chunk > (64u << 20))
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "invalid chunk size %zu", chunk);
    sv_enc *e = calloc(1, sizeof *e);
    if (!e)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    e->fd = fd;
    e->chunk = chunk;
    memcpy(e->key, key, 32);
    memcpy(e->hdr, MAGIC, 8);
    e->hdr[8] = 1;  /* version */
    e->hdr[9] = 1;  /* AES-256-GCM */
    put_be32(e->hdr + 12, (uint32_t)chunk);
    e->ctx = EVP_CIPHER_CTX_new();
    e->buf = malloc(chunk + SV_CRYPT_TAG);
    if (!e->ctx || !e->buf || RAND_bytes(e->hdr + 16, 8) != 1 ||
        EVP_EncryptInit_ex(e->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) {
        sv__enc_free(e);
        return crypto_fail(err, "start snapshot encryption");
    }
    if (write_all(fd, e->hdr, SV_CRYPT_HDR, err) != 0) {
        sv__enc_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

/* Encrypts e->buf[0..fill) in place as chunk e->index and writes it with its tag. */
static int flush_chunk(sv_enc *e, bool final, rds_error *err)
{
    unsigned char nonce[12], aad[SV_CRYPT_HDR + 9];
    nonce_aad(e->hdr, e->index, final, nonce, aad);
    int len = 0;
    if (EVP_EncryptInit_ex(e->ctx, NULL, NULL, e->key, nonce) != 1 ||
        EVP_EncryptUpdate(e->ctx, NULL, &len, aad, (int)sizeof aad) != 1 ||
        (e->fill > 0 && EVP_EncryptUpdate(e->ctx, e->buf, &len, e->buf, (int)e->fill) != 1) ||
        EVP_EncryptFinal_ex(e->ctx, e->buf + e->fill, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(e->ctx, EVP_CTRL_GCM_GET_TAG, SV_CRYPT_TAG, e->buf + e->fill) != 1)
        return crypto_fail(err, "encrypt a snapshot chunk");
    if (e->index == UINT32_MAX)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "snapshot file too large to encrypt");
    e->index++;
    int rc = write_all(e->fd, e->buf, e->fill + SV_CRYPT_TAG, err);
    e->fill = 0;
    return rc;
}

int sv__enc_write(sv_enc *e, const void *buf, size_t n, rds_error *err)
{
    const unsigned char *p = buf;
    e->bytes += (int64_t)n;
    while (n > 0) {
        if (e->fill == e->chunk && flush_chunk(e, false, err) != 0) /* more follows: not final */
            return -1;
        size_t take = e->chunk - e->fill < n ? e->chunk - e->fill : n;
        memcpy(e->buf + e->fill, p, take);
        e->fill += take;
        p += take;
        n -= take;
    }
    return 0;
}

int sv__enc_finish(sv_enc *e, rds_error *err)
{
    return flush_chunk(e, true, err);
}

int64_t sv__enc_bytes(const sv_enc *e)
{
    return e->bytes;
}

void sv__enc_free(sv_enc *e)
{
    if (!e)
        return;
    OPENSSL_cleanse(e->key, sizeof e->key);
    if (e->buf) {
        OPENSSL_cleanse(e->buf, e->chunk + SV_CRYPT_TAG);
        free(e->buf);
    }
    EVP_CIPHER_CTX_free(e->ctx);
    free(e);
}

static int integrity(rds_error *err, const char *why)
{
    rds_fail(err, RDS_E_INTERNAL_FAILURE, "encrypted file failed its integrity check");
    rds_detail(err, "%s", why);
    return SV_CRYPT_INTEGRITY;
}

static int read_full(int fd, unsigned char *p, size_t n, rds_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read an encrypted snapshot file");
            return rds_detail(err, "read: %s", strerror(errno));
        }
        if (r == 0) /* the file shrank under us */
            return integrity(err, "unexpected end of file");
        got += (size_t)r;
    }
    return 0;
}

int sv__dec_open(sv_dec **out, int fd, const unsigned char key[32], rds_error *err)
{
    *out = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rds_fail(err, RDS_E_INTERNAL_FAILURE, "could not read an encrypted snapshot file");
        return rds_detail(err, "fstat: %s", strerror(errno));
    }
    if (st.st_size < SV_CRYPT_HDR + SV_CRYPT_TAG)
        return integrity(err, "file shorter than a header and one chunk");
    sv_dec *d = calloc(1, sizeof *d);
    if (!d)
        return rds_fail(err, RDS_E_INTERNAL_FAILURE, "out of memory");
    d->fd = fd;
    memcpy(d->key, key, 32);
    int rc = read_full(fd, d->hdr, SV_CRYPT_HDR, err);
    if (rc != 0) {
        sv__dec_free(d);
        return rc;
    }
    d->chunk = get_be32(d->hdr + 12);
    if (memcmp(d->hdr, MAGIC, 8) != 0 || d->hdr[8] != 1 || d->hdr[9] != 1 || d->hdr[10] || d->hdr[11] ||
        d->chunk < 4096 || d->chunk > (64u << 20)) {
        sv__dec_free(d);
        return integrity(err, "bad header");
    }
    /* Every chunk but the last is chunk + tag bytes; the last is 0..chunk + tag. */
    uint64_t body = (uint64_t)st.st_size - SV_CRYPT_HDR, full = d->chunk + SV_CRYPT_TAG;
    d->nchunks = body / full + (body % full ? 1 : 0);
    uint64_t rest = body - (d->nchunks - 1) * full;
    if (rest < SV_CRYPT_TAG) {
        sv__dec_free(d);
        return integrity(err, "last chunk shorter than a tag");
    }
    d->last_len = (size_t)(rest - SV_CRYPT_TAG);
    d->ctx = EVP_CIPHER_CTX_new();
    d->buf = malloc(full);
    if (!d->ctx || !d->buf || EVP_DecryptInit_ex(d->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) {
        sv__dec_free(d);
        return crypto_fail(err, "start snapshot decryption");
    }
    *out = d;
    return 0;
}

int sv__dec_next(sv_dec *d, const unsigned char **data, size_t *len, rds_error *err)
{
    *data = NULL;
    *len = 0;
    if (d->index >= d->nchunks)
        return 0;
    bool final = d->index == d->nchunks - 1;
    size_t n = final ? d->last_len : d->chunk;
    int rc = read_full(d->fd, d->buf, n + SV_CRYPT_TAG, err);
    if (rc != 0)
        return rc;
    unsigned char nonce[12], aad[SV_CRYPT_HDR + 9];
    nonce_aad(d->hdr, d->index, final, nonce, aad);
    int l = 0;
    if (EVP_DecryptInit_ex(d->ctx, NULL, NULL, d->key, nonce) != 1 ||
        EVP_DecryptUpdate(d->ctx, NULL, &l, aad, (int)sizeof aad) != 1 ||
        (n > 0 && EVP_DecryptUpdate(d->ctx, d->buf, &l, d->buf, (int)n) != 1) ||
        EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_GCM_SET_TAG, SV_CRYPT_TAG, d->buf + n) != 1)
        return crypto_fail(err, "decrypt a snapshot chunk");
    if (EVP_DecryptFinal_ex(d->ctx, d->buf + n, &l) != 1) {
        OPENSSL_cleanse(d->buf, n);
        char why[64];
        snprintf(why, sizeof why, "chunk %llu of %llu did not authenticate", (unsigned long long)d->index,
                 (unsigned long long)d->nchunks);
        return integrity(err, why);
    }
    d->index++;
    if (final && n == 0)
        return 0;
    *data = d->buf;
    *len = n;
    return 1;
}

void sv__dec_free(sv_dec *d)
{
    if (!d)
        return;
    OPENSSL_cleanse(d->key, sizeof d->key);
    if (d->buf) {
        OPENSSL_cleanse(d->buf, d->chunk + SV_CRYPT_TAG);
        free(d->buf);
    }
    EVP_CIPHER_CTX_free(d->ctx);
    free(d);
}
