/* sv_crypt.h: private to engine/supervisor. The chunked AES-256-GCM file format of
 * encrypted snapshots (sv_crypt.c), used by sv_snapshot.c and its unit test.
 *
 * File = header (SV_CRYPT_HDR bytes) then chunks:
 *   header: "RDSLENC1" | version u8 (1) | algorithm u8 (1 = AES-256-GCM) | 2 zero bytes |
 *           chunk size u32 BE (plaintext bytes per chunk) | nonce prefix (8 random bytes)
 *   chunk i: ciphertext (chunk size bytes, the last one 0..chunk size) | GCM tag (16 bytes)
 *   nonce(i) = prefix | i as u32 BE; AAD(i) = header | i as u64 BE | final flag u8.
 * Every chunk but the last is full, so the reader knows from the file size where each
 * chunk ends and which one is final. A flipped byte (header included: it is in every
 * AAD), a swapped or dropped chunk (the index is in the nonce), a truncated file (the
 * chunk read as last was not written with the final flag) or a wrong key all fail a tag.
 * The reader hands out a chunk's plaintext only after its tag verified.
 * A fresh random prefix per file, and a fresh data key per snapshot (KMS), keep nonces
 * unique. Any thread; the objects are not shared. */
#ifndef RDSLOCAL_SV_CRYPT_H
#define RDSLOCAL_SV_CRYPT_H

#include "rdslocal/base.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SV_CRYPT_HDR 24
#define SV_CRYPT_TAG 16
#define SV_CRYPT_CHUNK (1u << 20) /* default plaintext bytes per chunk */
#define SV_CRYPT_INTEGRITY (-2)   /* return value of the reader: authentication failed */

typedef struct sv_enc sv_enc;
typedef struct sv_dec sv_dec;

/* Starts an encrypted file on fd (writes the header at the current offset). chunk: plaintext
 * bytes per chunk (4 KiB..64 MiB; 0: SV_CRYPT_CHUNK). fd stays the caller's. key is copied
 * (wiped at free). Errors: INTERNAL_FAILURE (write, OpenSSL). */
int sv__enc_open(sv_enc **out, int fd, const unsigned char key[32], size_t chunk, rds_error *err);
/* Appends plaintext; full chunks are encrypted and written as they fill. */
int sv__enc_write(sv_enc *e, const void *buf, size_t n, rds_error *err);
/* Writes the last chunk (final flag set; may be empty). Call once, then free. */
int sv__enc_finish(sv_enc *e, rds_error *err);
/* Total plaintext bytes written so far. */
int64_t sv__enc_bytes(const sv_enc *e);
void sv__enc_free(sv_enc *e);

/* Opens an encrypted file on fd (read from offset 0; its size from fstat). A bad header is
 * an integrity failure: returns SV_CRYPT_INTEGRITY with err filled. */
int sv__dec_open(sv_dec **out, int fd, const unsigned char key[32], rds_error *err);
/* Next verified chunk: returns 1 with *data (lent until the next call) and *len (> 0); 0
 * once the final chunk has been verified (the file is complete and authentic); -1 on an
 * I/O error; SV_CRYPT_INTEGRITY if a tag did not verify (tampered, truncated, reordered,
 * wrong key). Plaintext of a chunk that failed is never handed out. */
int sv__dec_next(sv_dec *d, const unsigned char **data, size_t *len, rds_error *err);
void sv__dec_free(sv_dec *d);

#endif
