/* kms_internal.h: what engine/kms's files share: the master key, key-material wrapping and
 * the ciphertext blob format (kms_crypto.c), and key/alias resolution (kms.c). */
#ifndef RDSLOCAL_KMS_INTERNAL_H
#define RDSLOCAL_KMS_INTERNAL_H

#include "engine_internal.h"

enum {
    KMS_KEY_BYTES = 32,
    KMS_KEY_ID_LEN = 36,         /* a UUID */
    KMS_GCM_NONCE = 12,
    KMS_GCM_TAG = 16,
    /* blob: magic "RLK" + version (4) | key id (36) | nonce (12) | ciphertext | tag (16) */
    KMS_BLOB_HEADER = 4 + KMS_KEY_ID_LEN,
    KMS_BLOB_OVERHEAD = KMS_BLOB_HEADER + KMS_GCM_NONCE + KMS_GCM_TAG,
};

/* The state dir's master key (<state_dir>/kms/master.key, created on first use: dir 0700,
 * file 0600). Any thread. */
int kms__master_key(engine *e, unsigned char out[KMS_KEY_BYTES], rds_error *err);
/* New random key material, wrapped under the master key as hex (kms_key.material). */
int kms__new_material(engine *e, arena *a, unsigned char mat[KMS_KEY_BYTES], const char **hex, rds_error *err);
/* The key's material (unwrapped). A damaged row: INTERNAL_FAILURE. */
int kms__material(engine *e, const kms_key *k, unsigned char mat[KMS_KEY_BYTES], rds_error *err);
/* Encrypts plain under key k: a self-describing blob in arena a. */
int kms__seal(engine *e, arena *a, const kms_key *k, const kms_context *ctx, const unsigned char *plain,
              size_t n, unsigned char **blob, size_t *blob_n, rds_error *err);
/* The key id a blob names, into id (37 bytes); false if the blob is not ours. */
bool kms__blob_key_id(const unsigned char *blob, size_t n, char id[KMS_KEY_ID_LEN + 1]);
/* Decrypts a blob under key k. Wrong key, context or damaged blob: -1 (no error filled;
 * the caller answers with its own error). */
int kms__open(engine *e, arena *a, const kms_key *k, const kms_context *ctx, const unsigned char *blob,
              size_t n, unsigned char **plain, size_t *plain_n);

/* ARN of key id / alias name ("alias/x") in region. */
const char *kms__key_arn(engine *e, arena *a, const char *region, const char *key_id);
const char *kms__alias_arn(engine *e, arena *a, const char *region, const char *alias);

/* AWS's default key policy document for the account. */
const char *kms__default_policy(engine *e, arena *a);
/* A new Enabled SYMMETRIC_DEFAULT key of r's region (not stored), fresh material. */
int kms__new_key(engine_req *r, const char *description, const char *manager, const char *policy,
                 kms_key **out, rds_error *err);
/* What a KeyId may name: KMS_REF_ALIAS a key id, key ARN, alias name or alias ARN (the
 * cryptographic operations, DescribeKey); KMS_REF_MANAGED the same, and alias/aws/rds is
 * created if missing; KMS_REF_KEY a key id or key ARN only (the operations that manage a
 * key: its state, tags, policy, rotation). */
typedef enum kms_ref_mode { KMS_REF_KEY, KMS_REF_ALIAS, KMS_REF_MANAGED } kms_ref_mode;
/* The key a KeyId names in r's region: KMS's NotFoundException when none. */
int kms__resolve(engine_req *r, store *s, const char *ref, kms_ref_mode mode, kms_key **out, rds_error *err);
/* 0 if k is Enabled; else DisabledException / KMSInvalidStateException as KMS words them. */
int kms__check_usable(engine *e, arena *a, const kms_key *k, rds_error *err);

/* AWS managed keys are AWS's to manage: their key policy gives the account no right to
 * change their state, tags, policy or rotation, so KMS answers AccessDeniedException. */
int kms__managed_refusal(engine *e, arena *a, const kms_key *k, const char *action, rds_error *err);

#endif
