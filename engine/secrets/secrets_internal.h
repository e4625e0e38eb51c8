/* secrets_internal.h: what engine/secrets's files share: finding a secret by SecretId,
 * sealing values into versions, moving staging labels. Every function here runs inside
 * the caller's store transaction (or a read) and under the caller's lock. */
#ifndef RDSLOCAL_SECRETS_INTERNAL_H
#define RDSLOCAL_SECRETS_INTERNAL_H

#include "engine_internal.h"

#define SECRETS_CURRENT "AWSCURRENT"
#define SECRETS_PREVIOUS "AWSPREVIOUS"
#define SECRETS_PENDING "AWSPENDING"
/* One lock per region for all its secrets: a SecretId may be a name or an ARN, so a lock
 * per spelling would not exclude. */
#define SECRETS_LOCK "all"

/* The secret a SecretId names (name, full ARN, partial ARN) in r's region, or
 * ResourceNotFoundException ("Secrets Manager can't find the specified secret."). */
int secrets__find(engine_req *r, store *s, const char *id, sm_secret **out, rds_error *err);
/* find + refuse one scheduled for deletion (InvalidRequestException), as every operation
 * but Describe, Restore, Delete and List does. */
int secrets__find_live(engine_req *r, store *s, const char *id, sm_secret **out, rds_error *err);
/* A secret owned by another service (RDS) is changed through that service only. */
int secrets__refuse_owned(const sm_secret *sec, rds_error *err);
/* A new row for name in r's region: its ARN with 6 random characters. */
sm_secret *secrets__new(engine_req *r, const char *name);
/* True if version v carries staging label `stage`. */
bool secrets__has_stage(const sm_secret_version *v, const char *stage);
/* A new version (id: client_token or a UUID) of sec holding value, sealed under the
 * secret's key, with the labels stages (NULL/none: AWSCURRENT). Labels move from the
 * versions that had them; the version losing AWSCURRENT gets AWSPREVIOUS; versions left
 * with no label are dropped. An existing version id: the same value is a no-op (*out is
 * that version), another one ResourceExistsException. */
int secrets__add_version(engine_req *r, store *s, sm_secret *sec, const char *client_token, const secret_value *value,
                         const str_list *stages, sm_secret_version **out, rds_error *err);
/* True if sec has a version `token` holding value: a retried request (*out: that version). */
bool secrets__is_retry(engine_req *r, store *s, const sm_secret *sec, const char *token, const secret_value *value,
                       sm_secret_version **out);
/* Makes version target AWSCURRENT (dropping its AWSPENDING); the version losing AWSCURRENT
 * gets AWSPREVIOUS; versions left with no label go. */
int secrets__promote(engine_req *r, store *s, sm_secret *sec, sm_secret_version *target, rds_error *err);
/* The value of a version (unsealed). A key that cannot decrypt: DecryptionFailure. */
int secrets__open(engine_req *r, store *s, const sm_secret_version *v, secret_value *out, rds_error *err);
/* The KMS error of a seal, as Secrets Manager words it (EncryptionFailure, KMS's reason). */
int secrets__seal_failure(rds_error *err);

#endif
