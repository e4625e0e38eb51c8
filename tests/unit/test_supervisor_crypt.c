/* test_supervisor_crypt.c: unit tests of the chunked AES-256-GCM format of encrypted
 * snapshots (engine/supervisor/sv_crypt.c): round trips at and around chunk boundaries,
 * and every kind of damage the format must detect (wrong key, a flipped bit anywhere,
 * truncation at any length, swapped, dropped or appended chunks). Small chunks (4 KiB)
 * keep the files small; temp files under /tmp. */
#include "check.h"
#include "../../engine/supervisor/sv_crypt.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define CH 4096

static const unsigned char KEY[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char KEY2[32] = "0123456789abcdef0123456789abcdeX";

/* Encrypts data[0..n) (written in pieces of `piece` bytes) into a fresh temp file; returns
 * its bytes (caller frees) and *out_n. */
static unsigned char *encrypt_buf(const unsigned char *data, size_t n, size_t piece, size_t *out_n)
{
    char path[] = "/tmp/svcrypt-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    sv_enc *e = NULL;
    rds_error err = { 0 };
    CHECK_INT(sv__enc_open(&e, fd, KEY, CH, &err), 0);
    for (size_t off = 0; e && off < n; off += piece)
        CHECK_INT(sv__enc_write(e, data + off, n - off < piece ? n - off : piece, &err), 0);
    if (e) {
        CHECK_INT(sv__enc_bytes(e), n);
        CHECK_INT(sv__enc_finish(e, &err), 0);
    }
    sv__enc_free(e);
    struct stat st;
    fstat(fd, &st);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    *out_n = (size_t)pread(fd, b, (size_t)st.st_size, 0);
    close(fd);
    return b;
}

/* Decrypts file bytes; returns 0 (and the plaintext in *plain) or the failing code. */
static int decrypt_buf(const unsigned char *file, size_t n, const unsigned char *key, unsigned char **plain,
                       size_t *plain_n)
{
    char path[] = "/tmp/svcrypt-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (n && write(fd, file, n) != (ssize_t)n)
        return -9;
    lseek(fd, 0, SEEK_SET);
    sv_dec *d = NULL;
    rds_error err = { 0 };
    int rc = sv__dec_open(&d, fd, key, &err);
    size_t cap = n + 16, len = 0;
    unsigned char *out = malloc(cap);
    while (rc == 0) {
        const unsigned char *p;
        size_t pn;
        int r = sv__dec_next(d, &p, &pn, &err);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 0)
            break;
        CHECK(pn > 0 && len + pn <= cap);
        memcpy(out + len, p, pn);
        len += pn;
    }
    if (rc == SV_CRYPT_INTEGRITY)
        CHECK_CONTAINS(err.message, "integrity check");
    sv__dec_free(d);
    close(fd);
    if (plain) {
        *plain = out;
        *plain_n = len;
    } else {
        free(out);
    }
    return rc;
}

static unsigned char *pattern(size_t n)
{
    unsigned char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(i * 31 + i / 7);
    return b;
}

static void test_supervisor_crypt__roundtrip_sizes(void)
{
    size_t sizes[] = { 0, 1, CH - 1, CH, CH + 1, 3 * CH, 3 * CH + 17 };
    size_t pieces[] = { 1000, CH, 100000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t j = 0; j < 3; j++) {
            unsigned char *data = pattern(sizes[i]);
            size_t fn = 0, pn = 0;
            unsigned char *file = encrypt_buf(data, sizes[i], pieces[j], &fn);
            /* header + one tag per chunk; the last chunk is never empty unless all is */
            size_t chunks = sizes[i] == 0 ? 1 : (sizes[i] + CH - 1) / CH;
            CHECK_INT(fn, SV_CRYPT_HDR + sizes[i] + chunks * SV_CRYPT_TAG);
            unsigned char *plain = NULL;
            CHECK_INT(decrypt_buf(file, fn, KEY, &plain, &pn), 0);
            CHECK_INT(pn, sizes[i]);
            CHECK(pn == sizes[i] && memcmp(plain, data, pn) == 0);
            free(plain);
            free(file);
            free(data);
        }
    }
}

static void test_supervisor_crypt__ciphertext_is_not_plaintext(void)
{
    const char *msg = "a very recognisable plaintext row, repeated. ";
    size_t n = 3 * CH;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)msg[i % strlen(msg)];
    size_t f1, f2;
    unsigned char *a = encrypt_buf(data, n, n, &f1), *b = encrypt_buf(data, n, n, &f2);
    CHECK(f1 == f2 && memcmp(a + SV_CRYPT_HDR, b + SV_CRYPT_HDR, f1 - SV_CRYPT_HDR) != 0); /* fresh nonces */
    bool leak = false;
    for (size_t i = 0; i + 20 <= f1; i++)
        leak |= memcmp(a + i, msg, 20) == 0;
    CHECK(!leak);
    free(a);
    free(b);
    free(data);
}

static void test_supervisor_crypt__wrong_key(void)
{
    unsigned char *data = pattern(2 * CH);
    size_t fn;
    unsigned char *file = encrypt_buf(data, 2 * CH, CH, &fn);
    CHECK_INT(decrypt_buf(file, fn, KEY2, NULL, NULL), SV_CRYPT_INTEGRITY);
    free(file);
    free(data);
}

/* Every single bit flip, header included, is refused (sampled every 7th byte). */
static void test_supervisor_crypt__bit_flips(void)
{
    unsigned char *data = pattern(2 * CH + 100);
    size_t fn;
    unsigned char *file = encrypt_buf(data, 2 * CH + 100, CH, &fn);
    for (size_t i = 0; i < fn; i += (i < SV_CRYPT_HDR ? 1 : 7)) {
        file[i] ^= 0x20;
        int rc = decrypt_buf(file, fn, KEY, NULL, NULL);
        if (rc != SV_CRYPT_INTEGRITY)
            fprintf(stderr, "flip at byte %zu not detected\n", i);
        CHECK_INT(rc, SV_CRYPT_INTEGRITY);
        file[i] ^= 0x20;
    }
    CHECK_INT(decrypt_buf(file, fn, KEY, NULL, NULL), 0);
    free(file);
    free(data);
}

/* Truncated to any shorter length: refused, including exactly at a chunk boundary. */
static void test_supervisor_crypt__truncation(void)
{
    unsigned char *data = pattern(3 * CH);
    size_t fn;
    unsigned char *file = encrypt_buf(data, 3 * CH, CH, &fn);
    size_t full = CH + SV_CRYPT_TAG;
    size_t cuts[] = { 0, 1, SV_CRYPT_HDR, SV_CRYPT_HDR + full, SV_CRYPT_HDR + 2 * full, fn - 1, fn - SV_CRYPT_TAG,
                      SV_CRYPT_HDR + 1000 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        CHECK_INT(decrypt_buf(file, cuts[i], KEY, NULL, NULL), SV_CRYPT_INTEGRITY);
    free(file);
    free(data);
}

static void test_supervisor_crypt__reordered_dropped_appended_chunks(void)
{
    unsigned char *data = pattern(3 * CH + 10);
    size_t fn;
    unsigned char *file = encrypt_buf(data, 3 * CH + 10, CH, &fn);
    size_t full = CH + SV_CRYPT_TAG;
    unsigned char *m = malloc(fn + full);
    /* swap chunks 0 and 1 */
    memcpy(m, file, fn);
    memcpy(m + SV_CRYPT_HDR, file + SV_CRYPT_HDR + full, full);
    memcpy(m + SV_CRYPT_HDR + full, file + SV_CRYPT_HDR, full);
    CHECK_INT(decrypt_buf(m, fn, KEY, NULL, NULL), SV_CRYPT_INTEGRITY);
    /* drop chunk 1 */
    memcpy(m, file, SV_CRYPT_HDR + full);
    memcpy(m + SV_CRYPT_HDR + full, file + SV_CRYPT_HDR + 2 * full, fn - SV_CRYPT_HDR - 2 * full);
    CHECK_INT(decrypt_buf(m, fn - full, KEY, NULL, NULL), SV_CRYPT_INTEGRITY);
    /* append a copy of chunk 0 after the final one */
    memcpy(m, file, fn);
    memcpy(m + fn, file + SV_CRYPT_HDR, full);
    CHECK_INT(decrypt_buf(m, fn + full, KEY, NULL, NULL), SV_CRYPT_INTEGRITY);
    /* a chunk of another file under the same key (other nonce prefix) */
    size_t fn2;
    unsigned char *other = encrypt_buf(data, 3 * CH + 10, CH, &fn2);
    memcpy(m, file, fn);
    memcpy(m + SV_CRYPT_HDR + full, other + SV_CRYPT_HDR + full, full);
    CHECK_INT(decrypt_buf(m, fn, KEY, NULL, NULL), SV_CRYPT_INTEGRITY);
    free(other);
    free(m);
    free(file);
    free(data);
}

static const check_case cases[] = {
    TEST(test_supervisor_crypt__roundtrip_sizes),
    TEST(test_supervisor_crypt__ciphertext_is_not_plaintext),
    TEST(test_supervisor_crypt__wrong_key),
    TEST(test_supervisor_crypt__bit_flips),
    TEST(test_supervisor_crypt__truncation),
    TEST(test_supervisor_crypt__reordered_dropped_appended_chunks),
};

CHECK_MAIN(cases, NULL, NULL)
